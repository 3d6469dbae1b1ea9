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


struct TrainingOptions: ParsableArguments {
    @Option(help: "Passes over the training set.") var epochs: Int = 20
    @Option(help: "Samples per mini-batch.") var batchSize: Int = 50
    @Option(help: "Learning rate (default: 0.001 for adam, 0.01 for adagrad, 0.1 otherwise).") var learningRate: Double?
    @Option(help: "sgd, momentum, adagrad, adam.") var optimizer: OptimizerKind = .adam
    @Option(help: "L2 weight decay lambda (loss += lambda/2 * sum W^2).") var weightDecay: Double = 0.0005
    @Option(help: "Seed for initialisation, shuffling and the validation split.") var seed: UInt64 = 1
    @Option(help: "Threads for the matrix kernels (results are identical for any count; default: all cores).")
    var threads: Int?
    @Option(help: "Learning-rate schedule: constant, step:EVERY:FACTOR (e.g. step:10:0.5), cosine.")
    var lrSchedule: String = "constant"
    @Option(help: "Linear learning-rate warm-up over this many epochs (may be fractional).") var warmup: Double = 0
    @Option(help: "Early stopping: stop after this many epochs without validation improvement, keep the best weights (needs --validation-split).")
    var patience: Int?
    @Flag(help: "Augment 2-D image samples on the fly each epoch: seeded random shifts, rotations, scaling, stroke width and blur.")
    var augment = false
    @Option(help: "With --augment: largest shift in pixels.") var augmentShift: Double = 2
    @Option(help: "With --augment: largest rotation in degrees.") var augmentRotation: Double = 12
    @Option(help: "With --augment: probability of an elastic distortion per sample.") var augmentElastic: Double = 0
    @Option(help: "With --augment: probability of a left-right mirror image per sample (clothes, not digits).") var augmentFlip: Double = 0

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
        let parts = lrSchedule.split(separator: ":")
        switch parts.first {
        case "constant" where parts.count == 1: c.schedule = .constant
        case "cosine" where parts.count == 1: c.schedule = .cosine
        case "step" where parts.count == 3:
            guard let every = Int(parts[1]), every >= 1, let factor = Double(parts[2]), factor > 0, factor <= 1 else { fallthrough }
            c.schedule = .step(every: every, factor: factor)
        default:
            throw ToolError("--lr-schedule '\(lrSchedule)': use constant, cosine or step:EVERY:FACTOR (e.g. step:10:0.5)")
        }
        guard warmup >= 0, warmup.isFinite else { throw ToolError("--warmup must be >= 0") }
        c.warmupEpochs = warmup
        if let patience {
            guard patience >= 1 else { throw ToolError("--patience must be at least 1") }
            c.patience = patience
        }
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
    @Option(help: "Draw loss and accuracy curves per epoch into this SVG file.") var plot: String?
    @Option(help: "Where checkpoints go (default: the output path + .ckpt).") var checkpoint: String?
    @Option(help: "Write a checkpoint every N epochs (and always on SIGINT/SIGTERM).") var checkpointEvery: Int?
    @Option(help: "Continue the run saved in this checkpoint (same data arguments).") var resume: String?
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
