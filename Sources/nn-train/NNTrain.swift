// nn-train: trains a multi-layer perceptron on IDX data and writes a model file.
import ArgumentParser
import Foundation
import NNCommandLine
import NNCore
import NNFormats
import NNImage

struct NNTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nn-train",
        abstract: "Train a multi-layer perceptron on IDX data (MNIST, Fashion-MNIST, any IDX set).",
        discussion: """
            With no data arguments, trains on the embedded default data set (5,000 MNIST training images, \
            tested on the 10,000 t10k images). One line per epoch goes to stderr; the model goes to -o \
            (- for stdout, so `nn-train -o - | nn-eval -m -` works).
            """)

    @OptionGroup(title: "Data") var data: TrainDataOptions
    @OptionGroup(title: "Model") var model: ModelOptions
    @OptionGroup(title: "Training") var training: TrainingOptions
    @OptionGroup(title: "Output") var output: TrainOutputOptions

    func run() throws {
        Parallelism.threadCount = try training.threadCount()
        let sets = try data.load()
        let (trainSet, validationSet) = try data.splitValidation(sets.train, seed: training.seed)
        let architecture = try model.architecture(inputSize: trainSet.dataset.featureCount, labels: trainSet.dataset.labels)
        let encoding = TargetEncoding(output: architecture.output, outputCount: architecture.outputSize!, positiveClass: model.positiveClass)
        for (set, name) in [(trainSet, trainSet.files.labels), (sets.test, sets.test?.files.labels ?? "")] {
            if let set, let problem = encoding.problem(with: set.dataset.labels) { throw FormatError(name, problem) }
        }
        let config = try training.config()
        var initRNG = SeededGenerator(seed: config.seed)
        let initializer = model.initializer ?? WeightInit.default(for: model.activation)
        let network = Network<Float>(architecture: architecture, initializer: initializer, rng: &initRNG)
        let scaling = InputScaling()
        let trainer = Trainer(network: network, config: config, scaling: scaling, encoding: encoding)
        if training.augment {
            let shape = trainSet.sampleShape
            guard shape.count == 2 else { throw ToolError("--augment needs 2-D image samples; these are \(shape)") }
            guard training.augmentShift >= 0, training.augmentRotation >= 0, (0...1).contains(training.augmentElastic) else {
                throw ToolError("--augment-shift and --augment-rotation must be >= 0, --augment-elastic in [0, 1]")
            }
            trainer.augment = Augmentation(width: shape[1], height: shape[0], maxShift: training.augmentShift,
                                           maxRotationDegrees: training.augmentRotation,
                                           elasticProbability: training.augmentElastic).transform
        }

        printError("nn-train: \(architecture.summary), \(grouped(trainSet.dataset.count)) training samples"
            + (validationSet.map { ", \(grouped($0.dataset.count)) validation" } ?? "")
            + (sets.test.map { ", \(grouped($0.dataset.count)) test" } ?? "")
            + ", \(config.optimizer.rawValue) lr \(config.learningRate), batch \(config.batchSize), \(Parallelism.threadCount) thread(s)")
        var progress = ProgressBar()
        var metricsLines: [String] = []
        let history = trainer.fit(
            trainSet.dataset, validation: validationSet?.dataset, test: sets.test?.dataset,
            onBatch: { epoch, done, total, loss in
                progress.update("epoch \(epoch)/\(config.epochs)", done: done, total: total, suffix: "loss \(fixed(loss))")
            },
            onEpoch: { s in
                progress.clear()
                printError(EpochLine.text(s, epochs: config.epochs))
                metricsLines.append(EpochLine.json(s))
            })

        if let path = output.metrics {
            try writeFileAtomically(Array(metricsLines.map { $0 + "\n" }.joined().utf8), to: path)
        }
        let last = history.last
        var meta = [
            MetadataEntry("tool", "nn-train \(toolVersion)"),
            // the embedded set is named, not its absolute path, so the same command gives the same bytes anywhere
            MetadataEntry("data", data.usesEmbeddedData ? "embedded datasets/default (5,000 MNIST training images)" : trainSet.files.images),
            MetadataEntry("train-samples", String(trainSet.dataset.count)),
            MetadataEntry("seed", String(config.seed)),
            MetadataEntry("epochs", String(config.epochs)),
            MetadataEntry("batch-size", String(config.batchSize)),
            MetadataEntry("optimizer", config.optimizer.rawValue),
            MetadataEntry("learning-rate", String(config.learningRate)),
            MetadataEntry("weight-decay", String(config.weightDecay)),
            MetadataEntry("init", initializer.rawValue),
            MetadataEntry("augment", training.augment
                ? "shift \(training.augmentShift) rotation \(training.augmentRotation) elastic \(training.augmentElastic)" : "none"),
        ]
        if let last {
            meta.append(MetadataEntry("final-train-loss", fixed(last.trainLoss, 6)))
            if let a = last.trainAccuracy { meta.append(MetadataEntry("final-train-accuracy", fixed(a, 6))) }
            if let v = last.validation?.accuracy { meta.append(MetadataEntry("final-validation-accuracy", fixed(v, 6))) }
            if let t = last.test?.accuracy { meta.append(MetadataEntry("final-test-accuracy", fixed(t, 6))) }
        }
        // Square images the size of the normaliser's canvas (MNIST's 28x28) carry the recipe nn-predict
        // uses to turn any picture into such an input.
        let normalizer = DigitNormalizer.standard
        let recipe = trainSet.sampleShape == [normalizer.canvas, normalizer.canvas]
            ? ImageRecipe(name: normalizer.recipeName, parameters: normalizer.parameters) : nil
        let file = Model(network: network, inputShape: trainSet.sampleShape, scaling: scaling, positiveClass: model.positiveClass,
                         imageRecipe: recipe, metadata: meta)
        try writeFileAtomically(ModelFileWriter.encode(file), to: output.output)
        if output.output != "-" { printError("nn-train: wrote \(output.output)") }
    }
}
