// Training.swift: training from Swift with the settings nn-train uses, and the same defaults.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNCore
import NNFormats
import NNImage

/// The hidden activation (`relu`, `sigmoid`, `tanh`).
public typealias Activation = NNCore.Activation
/// The output layer and its loss (`softmax-ce`, `sigmoid-bce`, `mse`).
public typealias OutputKind = NNCore.OutputKind
/// The update rule (`sgd`, `momentum`, `adagrad`, `adam`).
public typealias OptimizerKind = NNCore.OptimizerKind

/// What to train and how: nn-train's options, with nn-train's defaults.
public struct TrainingConfiguration: Sendable, Equatable {
    /// The layers, in nn-train's --layers grammar: "784-300-10", "1x28x28-conv32k5-maxpool2-128-10".
    public var layers = "784-300-10"
    /// The hidden activation (nn-train --activation).
    public var activation: Activation = .relu
    /// The output layer and its loss (nn-train --loss).
    public var loss: OutputKind = .softmaxCrossEntropy
    /// The update rule (nn-train --optimizer).
    public var optimizer: OptimizerKind = .adam
    /// nil: 0.001 for Adam, 0.01 for AdaGrad, 0.1 otherwise.
    public var learningRate: Double? = nil
    /// Passes over the training set (nn-train --epochs).
    public var epochs = 20
    /// Samples per mini-batch (nn-train --batch-size).
    public var batchSize = 50
    /// L2: the loss gains lambda/2 * sum W^2 over weights.
    public var weightDecay = 0.0005
    /// Seeds initialisation, shuffling and augmentation: the same seed gives the same model.
    public var seed: UInt64 = 1
    /// Batch normalisation after these hidden layers (0 = the first).
    public var batchNorm: Set<Int> = []
    /// Dropout ratio after each hidden layer: one for all, or one per hidden layer.
    public var dropout: [Double] = []
    /// On-the-fly distortion of 2-D image samples (shifts, rotations, scaling, stroke width, blur).
    public var augment = false
    /// nil: He for ReLU, Xavier otherwise.
    public var initializer: WeightInit? = nil
    /// The most threads for the matrix products (nil: all cores); each training step runs on all of them
    /// or on one, whichever the run measures faster (`StepThreads`). The model's bytes do not depend on
    /// it. (It sets the process-wide thread count of the kernels.)
    public var threads: Int? = nil

    /// nn-train's defaults: 784-300-10 ReLU softmax-ce, Adam 0.001, weight decay 5e-4, batch 50, 20 epochs.
    public init() {}

    /// The learning rate the run uses.
    public var effectiveLearningRate: Double {
        learningRate ?? (optimizer == .adam ? 0.001 : optimizer == .adagrad ? 0.01 : 0.1)
    }
}

/// The weight initialisers (`he`, `xavier`, `std-0.01`).
public typealias WeightInit = NNCore.WeightInit

/// Per finished epoch: the figures nn-train prints.
public struct EpochReport: Sendable, Equatable {
    /// The epoch that finished, from 1.
    public var epoch: Int
    /// The mean training loss over the epoch.
    public var trainLoss: Double
    /// The fraction of training samples classified correctly during the epoch (nil for regression).
    public var trainAccuracy: Double?
    /// The accuracy on the test files after the epoch (nil without test files or for regression).
    public var testAccuracy: Double?
    /// Training speed over the epoch.
    public var samplesPerSecond: Double
}

extension Classifier {
    /// Trains a model on IDX files (gzipped or not), as `nn-train` does with the same settings, and returns
    /// it ready to classify (write it with `write(to:)`). With test files, each epoch is scored on them.
    /// `onEpoch` sees every finished epoch.
    public static func train(_ configuration: TrainingConfiguration = TrainingConfiguration(),
                             trainImages: String, trainLabels: String, testImages: String? = nil, testLabels: String? = nil,
                             onEpoch: ((EpochReport) -> Void)? = nil) throws(ToolkitError) -> Classifier {
        let train: LoadedDataset, test: LoadedDataset?
        do {
            train = try IDXDataset.load(DataFiles(images: trainImages, labels: trainLabels))
            test = try testImages.map { try IDXDataset.load(DataFiles(images: $0, labels: testLabels ?? "")) }
        } catch { throw ToolkitError.from(error, model: false) }
        return try self.train(configuration, samples: train.dataset, sampleShape: train.sampleShape, test: test?.dataset, onEpoch: onEpoch)
    }

    static func train(_ c: TrainingConfiguration, samples: Dataset, sampleShape: [Int], test: Dataset?,
                      onEpoch: ((EpochReport) -> Void)?) throws(ToolkitError) -> Classifier {
        var architecture = try c.architecture()
        guard CheckedSize.productOrNil(architecture.inputShape) == samples.featureCount else {
            throw .invalidConfiguration("layers \(c.layers) take \(CheckedSize.shape(architecture.inputShape)) inputs, the samples have \(samples.featureCount) values")
        }
        if architecture.layers.first is AffineSpec { architecture.inputShape = sampleShape }
        if let problem = architecture.validate() { throw .invalidConfiguration("layers \(c.layers): \(problem)") }
        guard c.epochs >= 1, c.batchSize >= 1, c.weightDecay >= 0, c.weightDecay.isFinite,
              c.effectiveLearningRate > 0, c.effectiveLearningRate.isFinite else {
            throw .invalidConfiguration("epochs and batch size must be at least 1, the learning rate positive, weight decay >= 0")
        }
        let encoding = TargetEncoding(output: architecture.output, outputCount: architecture.outputSize)
        if let problem = encoding.problem(with: samples.labels) { throw .invalidData("training labels: \(problem)") }
        if let test, let problem = encoding.problem(with: test.labels) { throw .invalidData("test labels: \(problem)") }

        Parallelism.threadCount = max(1, min(c.threads ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), SizeLimits.maxThreads))
        var config = TrainingConfig()
        config.epochs = c.epochs
        config.batchSize = c.batchSize
        config.optimizer = c.optimizer
        config.learningRate = c.effectiveLearningRate
        config.weightDecay = c.weightDecay
        config.seed = c.seed
        var rng = SeededGenerator(seed: c.seed)
        let initializer = c.initializer ?? WeightInit.default(for: c.activation)
        let network = Network<Float>(architecture: architecture, initializer: initializer, rng: &rng)
        let trainer = Trainer(network: network, config: config, scaling: InputScaling(), encoding: encoding)
        if c.augment {
            guard sampleShape.count == 2 else { throw .invalidConfiguration("augment needs 2-D image samples") }
            trainer.augment = Augmentation(width: sampleShape[1], height: sampleShape[0]).transform
        }
        let outcome = trainer.run(samples, test: test, onEpoch: { s in
            onEpoch?(EpochReport(epoch: s.epoch, trainLoss: s.trainLoss, trainAccuracy: s.trainAccuracy,
                                 testAccuracy: s.test?.accuracy, samplesPerSecond: s.samplesPerSecond))
        })
        if case .diverged(let epoch, let batch, _) = outcome {
            throw .invalidConfiguration("training diverged at epoch \(epoch), batch \(batch) (the loss is not a number): lower the learning rate")
        }
        // Image samples carry the PNG recipe nn-predict and predict(png:) use, chosen as nn-train chooses it
        // (digit for MNIST-style digits, resize for other images).
        let size: (width: Int, height: Int)? = sampleShape.count == 2 ? (sampleShape[1], sampleShape[0])
            : sampleShape.count == 3 && sampleShape[0] == 1 ? (sampleShape[2], sampleShape[1]) : nil
        let recipe = size.map { PictureRecipe.chosen(forImages: samples.features, count: samples.count, width: $0.width, height: $0.height).recipe }
            .map { ImageRecipe(name: $0.name, parameters: $0.parameters) }
        return Classifier(model: Model(network: network, scaling: InputScaling(), imageRecipe: recipe))
    }
}

extension TrainingConfiguration {
    /// The network the layers line, activation, loss, batch norm and dropout describe, as nn-train builds
    /// it (not yet validated: a dense network may still take the data's sample shape first).
    func architecture() throws(ToolkitError) -> Architecture {
        let plan: LayersPlan
        do { plan = try LayersPlan(parsing: layers) } catch { throw .invalidConfiguration("layers \(layers): \(error.message)") }
        let hidden = plan.hiddenLayerCount
        guard dropout.count <= 1 || dropout.count == hidden, dropout.allSatisfy({ $0 >= 0 && $0 < 1 }) else {
            throw .invalidConfiguration("dropout: give one ratio in [0, 1) or one per hidden layer (\(hidden))")
        }
        guard batchNorm.allSatisfy({ (0..<hidden).contains($0) }) else {
            throw .invalidConfiguration("batchNorm: hidden layers are 0-\(hidden - 1)")
        }
        var ratios: [Int: Double] = [:]
        for i in 0..<hidden where !dropout.isEmpty { ratios[i] = dropout.count == 1 ? dropout[0] : dropout[i] }
        do { return try plan.architecture(activation: activation, output: loss, batchNorm: batchNorm, dropout: ratios) } catch {
            throw .invalidConfiguration("layers \(layers): \(error.message)")
        }
    }
}
