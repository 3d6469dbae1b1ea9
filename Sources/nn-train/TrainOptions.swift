// TrainOptions.swift: nn-train's command-line options, grouped as in --help.
import ArgumentParser
import Foundation
import NNCommandLine
import NNCore
import NNFormats

struct TrainDataOptions: ParsableArguments {
    @Option(help: "Directory with the four standard IDX files (train-/t10k- images/labels, gzipped or not).")
    var data: String?
    @Option(help: "Training images (IDX, gzipped or raw).") var trainImages: String?
    @Option(help: "Training labels (IDX).") var trainLabels: String?
    @Option(help: "Test images, to report test accuracy per epoch.") var testImages: String?
    @Option(help: "Test labels.") var testLabels: String?
    @Option(help: "Hold out this fraction of the training set (seeded) for validation, e.g. 0.1.")
    var validationSplit: Double = 0

    var usesEmbeddedData: Bool { data == nil && trainImages == nil }

    struct Sets {
        var train: LoadedDataset
        var test: LoadedDataset?
    }

    func load() throws -> Sets {
        if (trainImages == nil) != (trainLabels == nil) { throw ToolError("--train-images and --train-labels go together") }
        if (testImages == nil) != (testLabels == nil) { throw ToolError("--test-images and --test-labels go together") }
        if data != nil && trainImages != nil { throw ToolError("give either --data or --train-images/--train-labels, not both") }
        if !(0..<1).contains(validationSplit) { throw ToolError("--validation-split must be in [0, 1)") }
        let train: DataFiles
        var test: DataFiles? = nil
        if let trainImages, let trainLabels {
            train = DataFiles(images: trainImages, labels: trainLabels)
        } else {
            let dir = try data ?? Locations.defaultDataDirectory()
            train = try IDXDataset.standardFiles(in: dir, split: "train")
            test = try? IDXDataset.standardFiles(in: dir, split: "test")
        }
        if let testImages, let testLabels { test = DataFiles(images: testImages, labels: testLabels) }
        let trainSet = try IDXDataset.load(train)
        let testSet = try test.map { try IDXDataset.load($0) }
        if let testSet, testSet.dataset.featureCount != trainSet.dataset.featureCount {
            throw FormatError(testSet.files.images, "samples have \(testSet.dataset.featureCount) values, the training samples \(trainSet.dataset.featureCount)")
        }
        return Sets(train: trainSet, test: testSet)
    }

    func splitValidation(_ set: LoadedDataset, seed: UInt64) throws -> (LoadedDataset, LoadedDataset?) {
        guard validationSplit > 0 else { return (set, nil) }
        let (train, held) = set.dataset.split(holdOut: validationSplit, seed: seed)
        if train.count == 0 || held.count == 0 { throw ToolError("--validation-split \(validationSplit) leaves an empty set") }
        var t = set, v = set
        t.dataset = train
        v.dataset = held
        return (t, v)
    }
}


struct ModelOptions: ParsableArguments {
    @Option(help: "Layer sizes from input to output, e.g. 784-100-10 (any depth).")
    var layers: String = "784-300-10"
    @Option(help: "Hidden activation: relu, sigmoid, tanh.") var activation: Activation = .relu
    @Option(help: "Output layer and loss: softmax-ce (classes), sigmoid-bce (binary / multi-label), mse (regression).")
    var loss: OutputKind = .softmaxCrossEntropy
    @Option(help: "Binary tasks (sigmoid-bce with 1 output): the label that counts as 1; others are 0.")
    var positiveClass: Int?
    @Option(name: .customLong("init"), help: "Weight initialisation: std-0.01, xavier, he (default: he for relu, xavier otherwise).")
    var initializer: WeightInit?

    func architecture(inputSize: Int, labels: [Double]) throws -> Architecture {
        let parts = layers.split(separator: "-", omittingEmptySubsequences: false)
        let sizes = parts.compactMap { Int($0) }
        if sizes.count != parts.count || sizes.count < 2 || sizes.contains(where: { $0 <= 0 }) {
            throw ToolError("--layers '\(layers)' is not a list of positive sizes like 784-100-10")
        }
        if sizes[0] != inputSize {
            throw ToolError("--layers starts with \(sizes[0]) inputs, but the data has \(inputSize) values per sample")
        }
        let arch = Architecture.mlp(sizes: sizes, activation: activation, output: loss)
        if let problem = arch.validate() { throw ToolError("--layers: \(problem)") }
        if loss == .sigmoidBinaryCrossEntropy && sizes.last == 1 && positiveClass == nil,
           labels.contains(where: { $0 != 0 && $0 != 1 }) {
            throw ToolError("a 1-output sigmoid-bce model needs 0/1 labels; these labels go beyond 1: pass --positive-class K")
        }
        return arch
    }
}

struct TrainingOptions: ParsableArguments {
    @Option(help: "Passes over the training set.") var epochs: Int = 20
    @Option(help: "Samples per mini-batch.") var batchSize: Int = 50
    @Option(help: "Learning rate (default: 0.001 for adam, 0.01 for adagrad, 0.1 otherwise).") var learningRate: Double?
    @Option(help: "sgd, momentum, adagrad, adam.") var optimizer: OptimizerKind = .adam
    @Option(help: "L2 weight decay lambda (loss += lambda/2 * sum W^2).") var weightDecay: Double = 0.0005
    @Option(help: "Seed for initialisation, shuffling and the validation split.") var seed: UInt64 = 1
    @Option(help: "Threads for the matrix kernels (results are identical for any count; default: all cores).")
    var threads: Int?
    @Flag(help: "Augment 2-D image samples on the fly each epoch: seeded random shifts, rotations, scaling, stroke width and blur.")
    var augment = false
    @Option(help: "With --augment: largest shift in pixels.") var augmentShift: Double = 2
    @Option(help: "With --augment: largest rotation in degrees.") var augmentRotation: Double = 12
    @Option(help: "With --augment: probability of an elastic distortion per sample.") var augmentElastic: Double = 0

    func config() throws -> TrainingConfig {
        guard epochs >= 1 else { throw ToolError("--epochs must be at least 1") }
        guard batchSize >= 1 else { throw ToolError("--batch-size must be at least 1") }
        var c = TrainingConfig()
        c.epochs = epochs
        c.batchSize = batchSize
        c.optimizer = optimizer
        c.learningRate = learningRate ?? (optimizer == .adam ? 0.001 : optimizer == .adagrad ? 0.01 : 0.1)
        guard c.learningRate > 0, c.learningRate.isFinite else { throw ToolError("--learning-rate must be positive") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw ToolError("--weight-decay must be >= 0") }
        c.weightDecay = weightDecay
        c.seed = seed
        return c
    }

    func threadCount() throws -> Int {
        if let threads {
            guard threads >= 1 && threads <= 256 else { throw ToolError("--threads must be between 1 and 256") }
            return threads
        }
        return ProcessInfo.processInfo.activeProcessorCount
    }
}

struct TrainOutputOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Model file to write (atomically); - for stdout.") var output: String = "model.nnm"
    @Option(help: "Write one JSON object per epoch to this file.") var metrics: String?
}

/// The per-epoch report: one human line for stderr, one JSON object for --metrics.
enum EpochLine {
    static func text(_ s: EpochStats, epochs: Int) -> String {
        var parts = ["epoch \(s.epoch)/\(epochs)", "loss \(fixed(s.trainLoss))"]
        if let a = s.trainAccuracy { parts.append("train \(percent(a))") }
        if let v = s.validation { parts.append("val " + summary(v)) }
        if let t = s.test { parts.append("test " + summary(t)) }
        parts.append(String(format: "%.2f s", s.seconds))
        parts.append("\(grouped(Int(s.samplesPerSecond))) samples/s")
        return parts.joined(separator: "  ")
    }

    static func summary(_ r: EvaluationReport) -> String {
        switch r {
        case .classification(let c): return percent(c.accuracy)
        case .regression(let g): return "mse \(fixed(g.mse))"
        }
    }

    static func json(_ s: EpochStats) -> String {
        var o: [(String, JSON)] = [("epoch", .int(s.epoch)), ("train_loss", .number(s.trainLoss))]
        if let a = s.trainAccuracy { o.append(("train_accuracy", .number(a))) }
        for (name, r) in [("validation", s.validation), ("test", s.test)] {
            guard let r else { continue }
            o.append(("\(name)_loss", .number(r.loss)))
            switch r {
            case .classification(let c): o.append(("\(name)_accuracy", .number(c.accuracy)))
            case .regression(let g):
                o.append(("\(name)_mse", .number(g.mse)))
                o.append(("\(name)_mae", .number(g.mae)))
            }
        }
        o.append(("seconds", .number(s.seconds)))
        o.append(("samples_per_second", .number(s.samplesPerSecond)))
        return JSON.object(o).text
    }
}
