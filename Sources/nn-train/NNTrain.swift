// nn-train: trains a multi-layer perceptron or a convolutional network on IDX data and writes a model file.
import ArgumentParser
import Foundation
import NNCommandLine
import NNCore
import NNFormats
import NNImage
import NNReport

struct NNTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nn-train",
        abstract: "Train a multi-layer perceptron or a convolutional network on IDX data (MNIST, Fashion-MNIST, any IDX set).",
        discussion: """
            With no data arguments, trains on the embedded default data set (5,000 MNIST training images, \
            tested on the 10,000 t10k images). One line per epoch goes to stderr; the model goes to -o \
            (- for stdout, so `nn-train -o - | nn-eval -m -` works). SIGINT or SIGTERM finishes the current \
            batch, writes a checkpoint and exits 130 or 143; --resume CHECKPOINT continues the run exactly.
            """)

    @OptionGroup(title: "Data") var data: TrainDataOptions
    @OptionGroup(title: "Model") var model: NetworkOptions
    @OptionGroup(title: "Training") var training: TrainingOptions
    @OptionGroup(title: "Output") var output: TrainOutputOptions

    static let defaultLayers = "784-300-10"

    func run() throws {
        Parallelism.threadCount = try training.threadCount()
        if let every = output.checkpointEvery, every < 1 { throw ToolError("--checkpoint-every must be at least 1") }
        // A resumed run takes its model and training settings from the checkpoint, its data and outputs
        // from this command line.
        var resumed: Checkpoint? = nil
        var settings = self
        if let path = output.resume {
            let c = try CheckpointCodec.read(path)
            guard let argv = c.setting("nn-train.arguments") else { throw FormatError(path, "checkpoint has no nn-train settings") }
            let saved = try NNTrain.parse(argv.isEmpty ? [] : argv.components(separatedBy: "\u{1F}"))
            settings.model = saved.model
            settings.training = saved.training
            settings.data.validationSplit = saved.data.validationSplit
            resumed = c
        }
        let model = settings.model, training = settings.training
        // outputs are checked before training, so a long run never ends unable to write its results
        for path in [output.output, output.metrics, output.plot, output.checkpoint].compactMap({ $0 }) { try checkWritable(path) }
        let sets = try data.load()
        let (trainSet, validationSet) = try settings.data.splitValidation(sets.train, seed: training.seed)
        let architecture = try model.architecture(defaultLayers: NNTrain.defaultLayers, inputShape: trainSet.sampleShape, labels: trainSet.dataset.labels)
        let encoding = TargetEncoding(output: architecture.output, outputCount: architecture.outputSize, positiveClass: model.positiveClass)
        for (set, name) in [(trainSet, trainSet.files.labels), (sets.test, sets.test?.files.labels ?? "")] {
            if let set, let problem = encoding.problem(with: set.dataset.labels) { throw FormatError(name, problem) }
        }
        let config = try training.config()
        if config.patience != nil && validationSet == nil { throw ToolError("--patience needs a validation set: add --validation-split F") }
        let initializer = model.initializer ?? WeightInit.default(for: model.activation)
        let network: Network<Float>
        if let c = resumed {
            guard c.model.architecture == architecture else {
                throw FormatError(output.resume!, "checkpoint holds \(c.model.architecture.summary), the settings give \(architecture.summary)")
            }
            network = c.model.network(Float.self)
        } else {
            var initRNG = SeededGenerator(seed: config.seed)
            network = Network<Float>(architecture: architecture, initializer: initializer, rng: &initRNG)
        }
        let scaling = InputScaling()
        let trainer = Trainer(network: network, config: config, scaling: scaling, encoding: encoding)
        if training.augment {
            let shape = trainSet.sampleShape
            guard shape.count == 2 else { throw ToolError("--augment needs 2-D image samples; these are \(shape)") }
            guard training.augmentShift >= 0, training.augmentRotation >= 0, (0...1).contains(training.augmentElastic),
                  (0...1).contains(training.augmentFlip) else {
                throw ToolError("--augment-shift and --augment-rotation must be >= 0, --augment-elastic and --augment-flip in [0, 1]")
            }
            var augmentation = Augmentation(width: shape[1], height: shape[0], maxShift: training.augmentShift,
                                            maxRotationDegrees: training.augmentRotation, elasticProbability: training.augmentElastic)
            augmentation.flipProbability = training.augmentFlip
            trainer.augment = augmentation.transform
        }
        if let c = resumed {
            trainer.progress = c.progress
            trainer.rng = c.rng
            for (layer, g) in zip(network.dropoutLayers, c.dropoutGenerators) { layer.rng = g }
            trainer.optimizer.restore(c.optimizer, for: network.parameters)
        }

        printError("nn-train: \(architecture.summary), \(grouped(trainSet.dataset.count)) training samples"
            + (validationSet.map { ", \(grouped($0.dataset.count)) validation" } ?? "")
            + (sets.test.map { ", \(grouped($0.dataset.count)) test" } ?? "")
            + ", \(config.optimizer.rawValue) lr \(config.learningRate), batch \(config.batchSize), \(Parallelism.threadCount) thread(s)"
            + (resumed.map { _ in ", resuming at epoch \(trainer.progress.epoch)" + (trainer.progress.position > 0 ? " sample \(trainer.progress.position)" : "") } ?? ""))

        let checkpointPath = output.checkpoint ?? (output.output == "-" ? "nn-train.ckpt" : output.output + ".ckpt")
        func checkpoint() -> Checkpoint {
            Checkpoint(model: settings.makeModel(network, trainSet, architecture: architecture, config: config, initializer: initializer,
                                        history: trainer.progress.history),
                       settings: [MetadataEntry("nn-train.arguments", settings.savedArguments())], progress: trainer.progress,
                       rng: trainer.rng, dropoutGenerators: network.dropoutLayers.map(\.rng),
                       optimizer: trainer.optimizer.state(for: network.parameters))
        }
        var progress = ProgressBar()
        var checkpointError: Error? = nil
        StopSignal.install()
        let outcome = trainer.run(
            trainSet.dataset, validation: validationSet?.dataset, test: sets.test?.dataset,
            shouldStop: { StopSignal.received != 0 || checkpointError != nil },
            onBatch: { epoch, done, total, loss in
                progress.update("epoch \(epoch)/\(config.epochs)", done: done, total: total, suffix: "loss \(fixed(loss))")
            },
            onEpoch: { s in
                progress.clear()
                printError(EpochLine.text(s, epochs: config.epochs))
                if let every = output.checkpointEvery, s.epoch % every == 0, s.epoch < config.epochs {
                    do { try writeFileAtomically(CheckpointCodec.encode(checkpoint()), to: checkpointPath) } catch { checkpointError = error }
                }
            })
        progress.clear()
        if let checkpointError { throw checkpointError }
        let history = trainer.progress.history

        switch outcome {
        case .diverged(let epoch, let batch, let loss):
            throw ToolError("training diverged at epoch \(epoch), batch \(batch): the loss is \(loss); no model written. "
                + "Lower the learning rate (--learning-rate, now \(config.learningRate)) or the batch size", exitCode: 1)
        case .interrupted:
            try writeFileAtomically(CheckpointCodec.encode(checkpoint()), to: checkpointPath)
            let signal = StopSignal.received
            printError("nn-train: interrupted; checkpoint written to \(checkpointPath); continue with --resume \(checkpointPath)")
            throw ExitCode(signal == SIGTERM ? 143 : 130)
        case .stoppedEarly(let best):
            printError("nn-train: no validation improvement for \(config.patience!) epochs; keeping the weights of epoch \(best)")
        case .finished:
            if let best = config.patience.map({ _ in trainer.progress.bestEpoch }), best > 0, best != history.last?.epoch {
                printError("nn-train: keeping the weights of epoch \(best), the best on validation")
            }
        }
        let file = settings.makeModel(network, trainSet, architecture: architecture, config: config, initializer: initializer, history: history,
                             bestEpoch: config.patience != nil ? trainer.progress.bestEpoch : nil)
        // all outputs or none
        var outputs: [(path: String, bytes: [UInt8])] = [(output.output, ModelFileWriter.encode(file))]
        if let path = output.metrics { outputs.append((path, Array(history.map { EpochLine.json($0) + "\n" }.joined().utf8))) }
        if let path = output.plot { outputs.append((path, Array(trainingCurvesSVG(history, title: "nn-train \(architecture.summary)").utf8))) }
        try writeFilesAtomically(outputs)
        if output.output != "-" { printError("nn-train: wrote \(output.output)") }
    }

    /// The model file for the network as it is now, with the run's metadata (call it on the effective
    /// settings: a resumed run's come from its checkpoint).
    func makeModel(_ network: Network<Float>, _ trainSet: LoadedDataset, architecture: Architecture, config: TrainingConfig,
                   initializer: WeightInit, history: [EpochStats], bestEpoch: Int? = nil) -> Model {
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
            MetadataEntry("lr-schedule", training.lrSchedule + (config.warmupEpochs > 0 ? " warmup \(config.warmupEpochs)" : "")),
            MetadataEntry("weight-decay", String(config.weightDecay)),
            MetadataEntry("init", initializer.rawValue),
            MetadataEntry("augment", training.augment
                ? "shift \(training.augmentShift) rotation \(training.augmentRotation) elastic \(training.augmentElastic)"
                    + (training.augmentFlip > 0 ? " flip \(training.augmentFlip)" : "") : "none"),
        ]
        // final figures: of the kept epoch when early stopping chose one
        if let last = history.last(where: { $0.epoch == (bestEpoch ?? -1) }) ?? history.last {
            meta.append(MetadataEntry("final-epoch", String(last.epoch)))
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
        return Model(network: network, scaling: InputScaling(), positiveClass: model.positiveClass,
                     imageRecipe: recipe, metadata: meta)
    }

    /// The model and training options of this run, as arguments a resumed run parses again.
    func savedArguments() -> String {
        var a = ["--layers", model.layers ?? NNTrain.defaultLayers, "--activation", model.activation.rawValue, "--loss", model.loss.rawValue,
                 "--epochs", String(training.epochs), "--batch-size", String(training.batchSize), "--optimizer", training.optimizer.rawValue,
                 "--weight-decay", String(training.weightDecay), "--seed", String(training.seed), "--lr-schedule", training.lrSchedule,
                 "--warmup", String(training.warmup), "--validation-split", String(data.validationSplit)]
        if let p = model.positiveClass { a += ["--positive-class", String(p)] }
        if let i = model.initializer { a += ["--init", i.rawValue] }
        if let b = model.batchNorm { a += ["--batch-norm", b] }
        if let d = model.dropout { a += ["--dropout", d] }
        if let lr = training.learningRate { a += ["--learning-rate", String(lr)] }
        if let p = training.patience { a += ["--patience", String(p)] }
        if training.augment {
            a += ["--augment", "--augment-shift", String(training.augmentShift), "--augment-rotation", String(training.augmentRotation),
                  "--augment-elastic", String(training.augmentElastic)]
            if training.augmentFlip > 0 { a += ["--augment-flip", String(training.augmentFlip)] }
        }
        return a.joined(separator: "\u{1F}")
    }
}

/// SIGINT/SIGTERM set a flag; training stops after the current batch.
enum StopSignal {
    nonisolated(unsafe) static var received: Int32 = 0

    static func install() {
        signal(SIGINT) { StopSignal.received = $0 }
        signal(SIGTERM) { StopSignal.received = $0 }
        // A parent may have started us with these signals blocked (they are inherited): unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}
