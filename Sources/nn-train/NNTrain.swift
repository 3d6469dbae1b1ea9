// nn-train: trains a multi-layer perceptron or a convolutional network on IDX data and writes a model file.
import ArgumentParser
import Foundation
import NNCommandLine
import NNCore
import NNFormats
import NNImage
import NNReport
import NNToolkit

struct NNTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nn-train",
        abstract: "Train a multi-layer perceptron or a convolutional network on IDX data (MNIST, Fashion-MNIST, any IDX set).",
        usage: "nn-train [--data DIR | --train-images FILE --train-labels FILE] [--layers SPEC] [-o MODEL] [options]",
        discussion: """
            With no data arguments, trains on the embedded default data set (5,000 MNIST training images, \
            tested on the 10,000 t10k images). One line per epoch goes to stderr; the model goes to -o \
            (- for stdout, so `nn-train -o - | nn-eval -m -` works). SIGINT or SIGTERM finishes the current \
            batch, writes a checkpoint and exits 130 or 143; --resume CHECKPOINT continues the run exactly.
            """,
        version: versionText)

    @OptionGroup(title: "Data") var data: TrainDataOptions
    @OptionGroup(title: "Model") var model: NetworkOptions
    @OptionGroup(title: "Training") var training: TrainingOptions
    @OptionGroup(title: "Output") var output: TrainOutputOptions

    /// The defaults are the library's (NNToolkit.TrainingConfiguration): one table for nn-train and Swift callers.
    static let defaults = TrainingConfiguration()
    static let defaultLayers = defaults.layers

    func run() throws { try run(arguments: Array(CommandLine.arguments.dropFirst())) }

    /// Runs with `arguments`, the command line this command was parsed from (which options were given).
    func run(arguments: [String]) throws {
        Parallelism.threadCount = training.threadCount()
        // A resumed run takes its settings, data and outputs from the checkpoint; flags beside --resume
        // may only agree with them, add epochs, move outputs, or name the same data elsewhere (Resume.swift).
        let given = GivenOptions(arguments)
        // the augmentation settings do nothing without --augment (a resumed run has its own, Resume.swift)
        if !training.augment && output.resume == nil,
           let flag = ["--augment-shift", "--augment-rotation", "--augment-elastic", "--augment-flip"].first(where: given.contains) {
            throw ToolError("\(flag) works with --augment: add --augment, or leave \(flag) out")
        }
        let resumed = try output.resume.map { try ResumedRun(path: $0, commandLine: self, given: given) }
        let settings = resumed?.settings ?? self
        let model = settings.model, training = settings.training, output = settings.output
        // Outputs are checked against the inputs and each other, and for being writable, before anything
        // is read: a long run never ends unable to write its results, nor overwrites its own data.
        let data = try resumed?.data ?? settings.data.choice()
        var runFiles = RunFiles()
        for (role, path) in data.roles { runFiles.input(data.flag(role), path) }
        runFiles.input("--resume", output.resume)
        runFiles.input("--class-names", settings.data.classNamesFile)
        runFiles.output("-o", output.output)
        runFiles.output("--metrics", output.metrics)
        runFiles.output("--plot", output.plot)
        if output.checkpoint != nil || output.checkpointEvery != nil {
            // the checkpoint a run resumes from is the one it goes on updating
            runFiles.output("--checkpoint", output.checkpointPath, updating: "--resume")
        }
        try runFiles.check()
        let plotFormat = try output.plot.map { path in
            guard let f = PictureFormat.forOutput(path, fallback: .svg) else { throw ToolError(PictureFormat.refusal(flag: "--plot", path: path)) }
            return f
        }
        let sets = try resumed?.load(settings.data) ?? settings.data.load(data.files)
        let (trainSet, validationSet) = try resumed?.splitValidation(sets.train)
            ?? settings.data.splitValidation(sets.train, seed: training.seed)
        let architecture = try model.architecture(defaultLayers: NNTrain.defaultLayers, inputShape: trainSet.sampleShape, labels: trainSet.dataset.labels)
        if let p = model.positiveClass {   // a yes/no model (NetworkOptions.architecture checked that)
            guard trainSet.dataset.labels.contains(Double(p)) else {
                let labels = Set(trainSet.dataset.labels)
                let range = labels.isEmpty ? "none" : "\(CheckedSize.exactInt(labels.min()!).map(String.init) ?? "?")-\(CheckedSize.exactInt(labels.max()!).map(String.init) ?? "?")"
                throw FormatError(trainSet.files.labels, "no training sample has label \(p), so --positive-class \(p) would train on all-zero targets (labels here: \(range))")
            }
        }
        let encoding = TargetEncoding(output: architecture.output, outputCount: architecture.outputSize, positiveClass: model.positiveClass)
        for (set, name) in [(trainSet, trainSet.files.labels), (sets.test, sets.test?.files.labels ?? "")] {
            if let set, let problem = encoding.problem(with: set.dataset.labels) { throw FormatError(name, problem) }
        }
        // A softmax with more outputs than the labels have classes trains outputs no sample ever asks for:
        // almost always a forgotten last size (--layers 784-300 on ten digits).
        if architecture.output == .softmaxCrossEntropy, let top = sets.train.dataset.labels.max(), top >= 0,
           top < Double(architecture.outputSize - 1) {
            throw ToolError("--layers \(architecture.layersText) ends in \(architecture.outputSize) outputs, but the training labels are 0-\(Int(top)) (\(Int(top) + 1) classes): end it with \(Int(top) + 1)")
        }
        // --class-names and --png-recipe, or what the interrupted run stored (they cannot be given with --resume)
        let classNames = try resumed?.checkpoint.model.classNames
            ?? settings.data.classNameList(classes: encoding.classCount, isRegression: encoding.isRegression) ?? []
        let picture = resumed == nil ? try settings.data.pictureRecipe(trainSet) : nil
        let imageRecipe = resumed?.checkpoint.model.imageRecipe ?? picture.map { ImageRecipe(name: $0.recipe.name, parameters: $0.recipe.parameters) }
        let config = try training.config()
        if config.patience != nil && validationSet == nil { throw ToolError("--patience needs a validation set: add --validation-split F") }
        let initializer = model.initializer ?? WeightInit.default(for: model.activation)
        let network: Network<Float>
        if let r = resumed {
            let c = r.checkpoint
            guard c.model.architecture == architecture else {
                throw FormatError(r.path, "holds \(c.model.architecture.summary), which does not take this data's samples (\(architecture.summary))")
            }
            try c.validate(trainingSamples: trainSet.dataset.count, path: r.path)
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
            // a shift as large as the image moves every sample off its canvas: training on blank images
            guard training.augmentShift < Double(min(shape[0], shape[1])) else {
                throw ToolError("--augment-shift must be below the image size (\(shape[1])x\(shape[0])), not \(training.augmentShift)")
            }
            var augmentation = Augmentation(width: shape[1], height: shape[0], maxShift: training.augmentShift,
                                            maxRotationDegrees: training.augmentRotation, elasticProbability: training.augmentElastic)
            augmentation.flipProbability = training.augmentFlip
            trainer.augment = augmentation.transform
        }
        if let c = resumed?.checkpoint {
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
        if let picture {
            let option = PictureRecipe.choices.first { $0.stored == picture.recipe.name }?.option ?? picture.recipe.name
            printError("nn-train: nn-predict will read PNGs with the \(option) recipe (\(picture.reason))")
        }

        let checkpointPath = output.checkpointPath
        // what the model says it was trained on: the embedded set by name, so the same command gives the
        // same bytes anywhere; a resumed run keeps the name its run began with
        let dataName = resumed?.checkpoint.run.dataName
            ?? (data.source == .embedded ? "embedded datasets/default (5,000 MNIST training images)" : trainSet.files.images)
        let run = settings.trainingRun(data: data, sets: sets, dataName: dataName, config: config, initializer: initializer)
        func checkpoint() -> Checkpoint {
            Checkpoint(model: settings.makeModel(network, trainSet, dataName: dataName, architecture: architecture, config: config,
                                                 initializer: initializer, history: trainer.progress.history,
                                                 imageRecipe: imageRecipe, classNames: classNames),
                       run: run, progress: trainer.progress, rng: trainer.rng, dropoutGenerators: network.dropoutLayers.map(\.rng),
                       optimizer: trainer.optimizer.state(for: network.parameters))
        }
        let interruptHook = InterruptHook(ProcessInfo.processInfo.environment["NN_TRAIN_INTERRUPT_AFTER"])
        var progress = ProgressBar()
        var checkpointError: Error? = nil
        StopSignal.install()
        let outcome = trainer.run(
            trainSet.dataset, validation: validationSet?.dataset, test: sets.test?.dataset,
            shouldStop: { StopSignal.received != 0 || checkpointError != nil },
            onBatch: { epoch, done, total, loss in
                progress.update("epoch \(epoch)/\(config.epochs)", done: done, total: total, suffix: "loss \(fixed(loss))",
                                later: (config.epochs - epoch) * total)
                interruptHook?.fire(epoch: epoch, sample: done)
            },
            onEpoch: { s in
                progress.clear()
                printError(EpochLine.text(s, epochs: config.epochs))
                if let every = output.checkpointEvery, s.epoch % every == 0, s.epoch < config.epochs {
                    do { try writeFileAtomically(CheckpointCodec.encode(checkpoint()), to: checkpointPath) } catch { checkpointError = error }
                }
                interruptHook?.fire(epoch: s.epoch, sample: nil)
            })
        progress.clear()
        if let checkpointError { throw checkpointError }
        let history = trainer.progress.history

        switch outcome {
        case .diverged(let epoch, let batch, let loss):
            throw ToolError("training diverged at epoch \(epoch), batch \(batch): the loss became \(inWords(loss)); "
                + "lower --learning-rate (now \(config.learningRate)); no model written", exitCode: 1)
        case .interrupted:
            try writeFileAtomically(CheckpointCodec.encode(checkpoint()), to: checkpointPath)
            let signal = StopSignal.received
            printError("nn-train: interrupted; checkpoint written to \(checkpointPath); continue with: "
                + continueCommand(checkpoint: checkpointPath, given: given, data: data))
            throw ExitCode(signal == SIGTERM ? 143 : 130)
        case .stoppedEarly(let best):
            printError("nn-train: no validation improvement for \(config.patience!) epochs; keeping the weights of epoch \(best)")
        case .finished:
            if let best = config.patience.map({ _ in trainer.progress.bestEpoch }), best > 0, best != history.last?.epoch {
                printError("nn-train: keeping the weights of epoch \(best), the best on validation")
            }
        }
        let file = settings.makeModel(network, trainSet, dataName: dataName, architecture: architecture, config: config, initializer: initializer, history: history,
                             bestEpoch: config.patience != nil ? trainer.progress.bestEpoch : nil, imageRecipe: imageRecipe, classNames: classNames)
        // all outputs or none
        var outputs: [(path: String, bytes: [UInt8])] = [(output.output, ModelFileWriter.encode(file))]
        if let path = output.metrics { outputs.append((path, Array(history.map { EpochLine.json($0) + "\n" }.joined().utf8))) }
        if let path = output.plot, let format = plotFormat {
            outputs.append((path, try trainingCurves(history, title: "nn-train \(architecture.summary)", format: format)))
        }
        try writeFilesAtomically(outputs)
        if output.output != "-" { printError("nn-train: wrote \(output.output)") }
    }

    /// The model file for the network as it is now, with the run's metadata (call it on the effective
    /// settings: a resumed run's come from its checkpoint).
    func makeModel(_ network: Network<Float>, _ trainSet: LoadedDataset, dataName: String, architecture: Architecture, config: TrainingConfig,
                   initializer: WeightInit, history: [EpochStats], bestEpoch: Int? = nil, imageRecipe: ImageRecipe?,
                   classNames: [String]) -> Model {
        var meta = [
            MetadataEntry("tool", "nn-train \(toolVersion)"),
            MetadataEntry("data", dataName),
            MetadataEntry("train-samples", String(trainSet.dataset.count)),
            MetadataEntry("seed", String(config.seed)),
            MetadataEntry("epochs", String(config.epochs)),
            MetadataEntry("batch-size", String(config.batchSize)),
            MetadataEntry("optimizer", config.optimizer.rawValue),
            MetadataEntry("learning-rate", String(config.learningRate)),
            MetadataEntry("lr-schedule", config.schedule.flagText + (config.warmupEpochs > 0 ? " warmup \(config.warmupEpochs)" : "")),
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
        // Image models carry the recipe nn-predict uses to turn any picture into their input (--png-recipe).
        return Model(network: network, scaling: InputScaling(), positiveClass: model.positiveClass,
                     imageRecipe: imageRecipe, classNames: classNames, metadata: meta)
    }

    /// This run's settings as a checkpoint records them (call it on the effective settings).
    func trainingRun(data: DataChoice, sets: TrainDataOptions.Sets, dataName: String, config: TrainingConfig, initializer: WeightInit) -> TrainingRun {
        var files: [DataFileRecord] = []
        for (set, roles) in [(sets.train, (DataFileRecord.Role.trainImages, DataFileRecord.Role.trainLabels))] + (sets.test.map { [($0, (.testImages, .testLabels))] } ?? []) {
            guard let prints = set.fingerprints else { continue }
            files.append(DataFileRecord(role: roles.0, path: set.files.images, fingerprint: prints.images))
            files.append(DataFileRecord(role: roles.1, path: set.files.labels, fingerprint: prints.labels))
        }
        return TrainingRun(
            layers: model.layers ?? NNTrain.defaultLayers, activation: model.activation, loss: model.loss, batchNorm: model.batchNorm,
            dropout: model.dropout, initializer: initializer, positiveClass: model.positiveClass, config: config,
            augmentation: training.augment ? AugmentationSettings(shift: training.augmentShift, rotation: training.augmentRotation,
                                                                  elastic: training.augmentElastic, flip: training.augmentFlip) : nil,
            validationSplit: self.data.validationSplit, workingDirectory: currentDirectory(), dataSource: data.source,
            dataDirectory: data.directory, dataName: dataName, dataFiles: files, output: output.output, metrics: output.metrics,
            plot: output.plot, checkpoint: output.checkpointPath, checkpointEvery: output.checkpointEvery)
    }

    /// The command that continues this run from `checkpoint`, as a shell reads it: this executable as it
    /// was invoked, --resume, and --threads when given (it changes no result, but it was asked for).
    func continueCommand(checkpoint: String, given: GivenOptions, data: DataChoice) -> String {
        var words = [CommandLine.arguments.first ?? "nn-train", "--resume", checkpoint]
        if given.contains("--threads"), let threads = training.threads { words += ["--threads", String(threads)] }
        var notes: [String] = []
        if data.roles.contains(where: { $0.1 == "-" }) { notes.append("with the same data on standard input") }
        if output.output == "-" { notes.append("it writes the model to standard output") }
        return words.map(shellQuoted).joined(separator: " ") + (notes.isEmpty ? "" : " (" + notes.joined(separator: "; ") + ")")
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
