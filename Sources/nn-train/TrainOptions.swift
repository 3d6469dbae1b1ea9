// TrainOptions.swift: nn-train's command-line options, grouped as in --help.
import ArgumentParser
import Foundation
import NNCommandLine
import NNCore
import NNFormats
import NNImage
import NNToolkit

/// nn-train --png-recipe.
enum PNGRecipeChoice: String, ExpressibleByArgument, CaseIterable { case digit, resize }

struct TrainDataOptions: ParsableArguments {
    @Option(help: "Directory with the four standard IDX files (train-/t10k- images/labels, gzipped or not).")
    var data: String?
    @Option(help: "Training images (IDX, gzipped or raw).") var trainImages: String?
    @Option(help: "Training labels (IDX).") var trainLabels: String?
    @Option(help: "Test images, to report test accuracy per epoch.") var testImages: String?
    @Option(help: "Test labels.") var testLabels: String?
    @Option(help: OptionRules.validationSplit.help("Hold out this fraction of the training set (seeded) for validation, e.g. 0.1; 0: none."))
    var validationSplit: Double = 0
    @Option(help: ArgumentHelp("How nn-predict turns a PNG into this model's input: digit (MNIST's recipe: crop the ink, fit 20x20, centre of mass at the centre of 28x28) or resize (the whole picture scaled to the input size; a light background is inverted). Default: digit for 28x28 images whose ink fits 20x20 like MNIST's digits, resize for other images.", valueName: "digit|resize"))
    var pngRecipe: PNGRecipeChoice?
    @Option(help: ArgumentHelp("Class names in label order, stored in the model for nn-predict and nn-eval: a comma-separated list (cat,dog) or a file with one name per line. Default: the label numbers.", valueName: "names|file"))
    var classNames: String?

    func validate() throws {
        try OptionRules.validationSplit.check(validationSplit)
        if (trainImages == nil) != (trainLabels == nil) { throw ToolError("--train-images and --train-labels go together") }
        if (testImages == nil) != (testLabels == nil) { throw ToolError("--test-images and --test-labels go together") }
        if data != nil && trainImages != nil { throw ToolError("give either --data or --train-images/--train-labels, not both") }
    }

    var usesEmbeddedData: Bool { data == nil && trainImages == nil }

    /// --png-recipe for these training images: the one given, or the default (digit for MNIST-style 28x28
    /// digits, resize for other images), with the reason; nil for samples that are not one-channel images.
    func pictureRecipe(_ set: LoadedDataset) throws -> (recipe: PictureRecipe, reason: String)? {
        let shape = set.sampleShape
        let size: (width: Int, height: Int)? = shape.count == 2 ? (shape[1], shape[0]) : shape.count == 3 && shape[0] == 1 ? (shape[2], shape[1]) : nil
        guard let size else {
            if pngRecipe != nil { throw ToolError("--png-recipe is for image samples; these are \(CheckedSize.shape(shape))") }
            return nil
        }
        let mnistSize = size.width == DigitNormalizer.standard.canvas && size.height == DigitNormalizer.standard.canvas
        switch pngRecipe {
        case .digit:
            guard mnistSize else {
                throw ToolError("--png-recipe digit is MNIST's recipe for 28x28 images; these are \(size.width)x\(size.height): use --png-recipe resize")
            }
            return (.digit(.standard), "--png-recipe digit")
        case .resize:
            return (.resize(ResizeNormalizer(width: size.width, height: size.height)), "--png-recipe resize")
        case nil:
            return PictureRecipe.chosen(forImages: set.dataset.features, count: set.dataset.count, width: size.width, height: size.height)
        }
    }

    /// --class-names when it names a file (or - for stdin) rather than listing the names.
    var classNamesFile: String? {
        guard let classNames else { return nil }
        var st = stat()
        return classNames == "-" || stat(classNames, &st) == 0 ? classNames : nil
    }

    /// --class-names as a list, checked against the model's class count (nil: not given).
    func classNameList(classes: Int, isRegression: Bool) throws -> [String]? {
        guard let classNames else { return nil }
        if isRegression { throw ToolError("--class-names is for classifiers; --loss mse is a regression") }
        let isFile = classNamesFile != nil
        let names: [String]
        if isFile {
            let bytes = try readWholeFile(classNames, limit: 1 << 20, kind: "a class-names file")
            var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
            while lines.last == "" { lines.removeLast() }
            names = lines
        } else {
            names = classNames.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let flag = isFile ? "--class-names \(classNames == "-" ? "<stdin>" : classNames)" : "--class-names"
        guard names.count == classes else {
            throw ToolError("\(flag): \(names.count) name\(names.count == 1 ? "" : "s") for \(classes) classes"
                + (isFile ? " (one name per line)" : " (a comma-separated list, or a file with one name per line; no file has this name)"))
        }
        if let k = names.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ToolError("\(flag): the name of class \(k) is empty")
        }
        if let long = names.first(where: { $0.utf8.count > 256 }) {
            throw ToolError("\(flag): '\(long.prefix(40))...' is longer than 256 bytes")
        }
        var seen = Set<String>()
        if let twice = names.first(where: { !seen.insert($0).inserted }) { throw ToolError("\(flag): '\(twice)' names two classes") }
        return names
    }

    struct Sets {
        var train: LoadedDataset
        var test: LoadedDataset?
    }

    /// The files to read: training set, and the test set when there is one.
    func files() throws -> (train: DataFiles, test: DataFiles?) {
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
        try refusePNG(train.images, flag: trainImages != nil ? "--train-images" : "--data")
        if let test { try refusePNG(test.images, flag: testImages != nil ? "--test-images" : "--data") }
        return (train, test)
    }

    /// Loads the files, fingerprinting them (what a checkpoint records of its data).
    func load(_ files: (train: DataFiles, test: DataFiles?)) throws -> Sets {
        let (train, test) = files
        let trainSet = try IDXDataset.load(train, fingerprint: true)
        let testSet = try test.map { try IDXDataset.load($0, fingerprint: true) }
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


struct TrainingOptions: ParsableArguments {
    @Option(help: OptionRules.epochs.help("Passes over the training set.")) var epochs: Int = NNTrain.defaults.epochs
    @Option(help: OptionRules.batchSize.help("Samples per mini-batch.")) var batchSize: Int = NNTrain.defaults.batchSize
    @Option(help: OptionRules.learningRate.help("Learning rate (default: 0.001 for adam, 0.01 for adagrad, 0.1 otherwise).")) var learningRate: Double?
    @Option(help: "sgd, momentum, adagrad, adam.") var optimizer: OptimizerKind = NNTrain.defaults.optimizer
    @Option(help: OptionRules.weightDecay.help("L2 weight decay lambda (loss += lambda/2 * sum W^2).")) var weightDecay: Double = NNTrain.defaults.weightDecay
    @Option(help: "Seed for initialisation, shuffling and the validation split (0 to 2^64-1).") var seed: UInt64 = NNTrain.defaults.seed
    @Option(help: OptionRules.threads.help("At most this many threads for the matrix kernels: each training step runs on all of them or on one, whichever the run measures faster (results are identical for any count; default: all cores)."))
    var threads: Int?
    @Option(help: "Learning-rate schedule: constant, step:EVERY:FACTOR (e.g. step:10:0.5; EVERY 1-100000 epochs, FACTOR in (0, 1]), cosine.")
    var lrSchedule: String = "constant"
    @Option(help: OptionRules.warmup.help("Linear learning-rate warm-up over this many epochs (may be fractional).")) var warmup: Double = 0
    @Option(help: OptionRules.patience.help("Early stopping: stop after this many epochs without validation improvement, keep the best weights (needs --validation-split)."))
    var patience: Int?
    @Flag(help: "Augment 2-D image samples on the fly each epoch: seeded random shifts, rotations, scaling, stroke width and blur.")
    var augment = false
    @Option(help: OptionRules.augmentShift.help("With --augment: largest shift in pixels (also below the image's width and height).")) var augmentShift: Double = 2
    @Option(help: OptionRules.augmentRotation.help("With --augment: largest rotation in degrees.")) var augmentRotation: Double = 12
    @Option(help: OptionRules.augmentElastic.help("With --augment: probability of an elastic distortion per sample.")) var augmentElastic: Double = 0
    @Option(help: OptionRules.augmentFlip.help("With --augment: probability of a left-right mirror image per sample (clothes, not digits).")) var augmentFlip: Double = 0

    func validate() throws {
        try OptionRules.epochs.check(epochs)
        try OptionRules.batchSize.check(batchSize)
        try OptionRules.learningRate.check(learningRate)
        try OptionRules.weightDecay.check(weightDecay)
        try OptionRules.threads.check(threads)
        try OptionRules.warmup.check(warmup)
        try OptionRules.patience.check(patience)
        try OptionRules.augmentShift.check(augmentShift)
        try OptionRules.augmentRotation.check(augmentRotation)
        try OptionRules.augmentElastic.check(augmentElastic)
        try OptionRules.augmentFlip.check(augmentFlip)
        _ = try schedule()
    }

    func config() throws -> TrainingConfig {
        try validate()
        var c = TrainingConfig()
        c.epochs = epochs
        c.batchSize = batchSize
        c.optimizer = optimizer
        c.learningRate = learningRate ?? (optimizer == .adam ? 0.001 : optimizer == .adagrad ? 0.01 : 0.1)
        c.weightDecay = weightDecay
        c.seed = seed
        c.schedule = try schedule()
        c.warmupEpochs = warmup
        c.patience = patience
        return c
    }

    func schedule() throws -> LearningRateSchedule {
        let parts = lrSchedule.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.first {
        case "constant" where parts.count == 1: return .constant
        case "cosine" where parts.count == 1: return .cosine
        case "step" where parts.count == 3:
            guard let every = Int(parts[1]), OptionRules.lrScheduleEvery.range.contains(every), let factor = Double(parts[2]),
                  OptionRules.lrScheduleFactor.contains(factor) else { fallthrough }
            return .step(every: every, factor: factor)
        default:
            throw ToolError("--lr-schedule '\(lrSchedule)': use constant, cosine or step:EVERY:FACTOR (e.g. step:10:0.5; EVERY \(OptionRules.lrScheduleEvery.rangeText), FACTOR in \(OptionRules.lrScheduleFactor.rangeText))")
        }
    }

    func threadCount() -> Int { threads ?? min(ProcessInfo.processInfo.activeProcessorCount, SizeLimits.maxThreads) }
}

extension LearningRateSchedule {
    /// The --lr-schedule text that gives this schedule ("step:10:0.5"): the model's metadata, and a
    /// resumed run's settings.
    var flagText: String {
        switch self {
        case .constant: return "constant"
        case .cosine: return "cosine"
        case .step(let every, let factor): return "step:\(every):\(factor)"
        }
    }
}

struct TrainOutputOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Model file to write (atomically); - for stdout.") var output: String = "model.nnm"
    @Option(help: "Write one JSON object per epoch to this file.") var metrics: String?
    @Option(help: "Draw loss and accuracy curves per epoch into this .svg or .png file.") var plot: String?
    @Option(help: "Where checkpoints go (default: the output path + .ckpt).") var checkpoint: String?
    @Option(help: OptionRules.checkpointEvery.help("Write a checkpoint every N epochs (and always on SIGINT/SIGTERM).")) var checkpointEvery: Int?
    @Option(help: "Continue the run saved in this checkpoint, with its settings, data and outputs (beside it: --threads, other outputs, the same data elsewhere, more --epochs).") var resume: String?

    func validate() throws { try OptionRules.checkpointEvery.check(checkpointEvery) }

    /// Where checkpoints go.
    var checkpointPath: String { checkpoint ?? (output == "-" ? "nn-train.ckpt" : output + ".ckpt") }
}

/// The per-epoch report: one human line for stderr, one JSON object for --metrics.
enum EpochLine {
    static func text(_ s: EpochStats, epochs: Int) -> String {
        var parts = ["epoch \(s.epoch)/\(epochs)", "loss \(fixed(s.trainLoss))"]
        if let a = s.trainAccuracy { parts.append("train \(percent(a))") }
        if let v = s.validation { parts.append("val " + summary(v)) }
        if let t = s.test { parts.append("test " + summary(t)) }
        parts.append(cFormat("%.2f s", s.seconds))
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
        o.append(("learning_rate", .number(s.learningRate)))
        o.append(("seconds", .number(s.seconds)))
        o.append(("samples_per_second", .number(s.samplesPerSecond)))
        return JSON.object(o).text
    }
}
