// Resume.swift: `nn-train --resume CHECKPOINT`, which trusts nothing the checkpoint says.
//
// A checkpoint holds the run's settings as typed values (docs/model-format.md, "Checkpoints"). Resuming
// checks, before any data is read: every section's framing and every field's type (CheckpointCodec);
// every setting against the option's own range (OptionRules); the progress against the run and the
// network (Checkpoint.validate); the network options against the network the checkpoint holds; and every
// flag given beside --resume against the run (GivenOptions). After loading the data, each file's
// fingerprint against the one recorded, and the position against the training set. Each refusal is one
// line naming the checkpoint and the field or flag.
//
// Beside --resume a command line may give: --threads (any: the results do not depend on it); outputs
// (-o, --metrics, --plot, --checkpoint, --checkpoint-every) to write elsewhere; data flags naming the same
// files at another place (checked by fingerprint); --epochs larger than the run's, unless its learning
// rate follows a cosine over the run's length; any other setting only with the run's own value.
import ArgumentParser
import Foundation
import NNCommandLine
import NNCore
import NNFormats

/// The data a run trains on: its files, and how the run was told about them (messages, checkpoints).
struct DataChoice {
    var source: DataSource
    /// --data DIR
    var directory: String?
    var train: DataFiles
    var test: DataFiles?
    /// The test files were named by --test-images/--test-labels rather than found in the directory.
    var explicitTest: Bool

    /// How a message names the flag a file came from: "--train-images", "--data (train-images)", ...
    func flag(_ role: DataFileRecord.Role) -> String {
        let explicit = role == .trainImages || role == .trainLabels ? source == .files : explicitTest
        if explicit { return "--" + role.rawValue }
        return "\(source == .directory ? "--data" : "the embedded data set") (\(role.rawValue))"
    }

    var files: (train: DataFiles, test: DataFiles?) { (train, test) }

    /// Every file with its role, in the order a checkpoint records them.
    var roles: [(DataFileRecord.Role, String)] {
        [(.trainImages, train.images), (.trainLabels, train.labels)] + (test.map { [(.testImages, $0.images), (.testLabels, $0.labels)] } ?? [])
    }
}

extension TrainDataOptions {
    /// The data these options name.
    func choice() throws -> DataChoice {
        let (train, test) = try files()
        return DataChoice(source: usesEmbeddedData ? .embedded : data != nil ? .directory : .files, directory: data,
                          train: train, test: test, explicitTest: testImages != nil)
    }
}

/// A run resumed from a checkpoint: the checkpoint, the settings it gives with what the command line
/// adds, and the data to read.
struct ResumedRun {
    let path: String
    let checkpoint: Checkpoint
    /// The command line with the checkpoint's settings in place.
    var settings: NNTrain
    var data: DataChoice
    /// No data flag was given: the data comes from the checkpoint, and an error reading it names it.
    let dataFromCheckpoint: Bool

    static let dataFlags: Set<String> = ["--data", "--train-images", "--train-labels", "--test-images", "--test-labels"]
    static let outputFlags: Set<String> = ["--output", "--metrics", "--plot", "--checkpoint", "--checkpoint-every"]
    static let networkFlags: [String] = ["--layers", "--activation", "--loss", "--batch-norm", "--dropout", "--init", "--positive-class"]
    static let trainingFlags: [String] = ["--epochs", "--batch-size", "--learning-rate", "--optimizer", "--weight-decay", "--seed",
                                          "--lr-schedule", "--warmup", "--patience", "--augment", "--augment-shift", "--augment-rotation",
                                          "--augment-elastic", "--augment-flip", "--validation-split"]

    init(path: String, commandLine: NNTrain, given: GivenOptions) throws {
        self.path = path
        let c = try CheckpointCodec.read(path)
        checkpoint = c
        let run = c.run
        try Self.checkRanges(run, path: path)
        try c.validate(path: path)

        // The network options must build the network the checkpoint holds.
        var settings = commandLine
        settings.model.layers = run.layers
        settings.model.activation = run.activation
        settings.model.loss = run.loss
        settings.model.batchNorm = run.batchNorm
        settings.model.dropout = run.dropout
        settings.model.initializer = run.initializer
        settings.model.positiveClass = run.positiveClass
        let held = c.model.architecture
        if (try? settings.model.architecture(defaultLayers: NNTrain.defaultLayers, inputShape: held.inputShape)) != held {
            throw FormatError(path, "section conf: fields layers, activation, loss, batch-norm and dropout (\(shown(run.layers)) \(run.activation.rawValue) "
                + "\(run.loss.rawValue) \(shown(run.batchNorm ?? "-")) \(shown(run.dropout ?? "-"))) do not describe the network the checkpoint holds (\(held.summary))")
        }
        if run.positiveClass != c.model.positiveClass {
            throw FormatError(path, "section conf: field positive-class \(run.positiveClass.map(String.init) ?? "-") differs from the model's \(c.model.positiveClass.map(String.init) ?? "-")")
        }

        try Self.checkGiven(given, commandLine: commandLine, stored: settings.model, checkpoint: c, path: path)

        // The checkpoint's training settings (an --epochs that passed checkGiven may extend them).
        let cfg = run.config
        settings.training.epochs = given.contains("--epochs") ? commandLine.training.epochs : cfg.epochs
        settings.training.batchSize = cfg.batchSize
        settings.training.learningRate = cfg.learningRate
        settings.training.optimizer = cfg.optimizer
        settings.training.weightDecay = cfg.weightDecay
        settings.training.seed = cfg.seed
        settings.training.lrSchedule = cfg.schedule.flagText
        settings.training.warmup = cfg.warmupEpochs
        settings.training.patience = cfg.patience
        settings.training.augment = run.augmentation != nil
        if let a = run.augmentation {
            settings.training.augmentShift = a.shift
            settings.training.augmentRotation = a.rotation
            settings.training.augmentElastic = a.elastic
            settings.training.augmentFlip = a.flip
        }
        settings.data.validationSplit = run.validationSplit

        // Relative paths of the checkpoint are relative to the directory the run worked in.
        let here = currentDirectory()
        func rebased(_ p: String) -> String {
            p == "-" || p.hasPrefix("/") || here == run.workingDirectory ? p : run.workingDirectory + "/" + p
        }
        if !given.contains("--output") { settings.output.output = rebased(run.output) }
        if !given.contains("--metrics") { settings.output.metrics = run.metrics.map(rebased) }
        if !given.contains("--plot") { settings.output.plot = run.plot.map(rebased) }
        if !given.contains("--checkpoint") { settings.output.checkpoint = rebased(run.checkpoint) }
        if !given.contains("--checkpoint-every") { settings.output.checkpointEvery = run.checkpointEvery }
        self.settings = settings

        dataFromCheckpoint = given.names.isDisjoint(with: Self.dataFlags)
        if !dataFromCheckpoint {
            data = try commandLine.data.choice()
            return
        }
        let test = run.file(.testImages).map { DataFiles(images: $0.path, labels: run.file(.testLabels)!.path) }
        switch run.dataSource {
        case .embedded:
            // found again where this installation keeps it; the fingerprints tell whether it is the same
            let dir = try Locations.defaultDataDirectory()
            data = DataChoice(source: .embedded, directory: nil, train: try IDXDataset.standardFiles(in: dir, split: "train"),
                              test: try test.map { _ in try IDXDataset.standardFiles(in: dir, split: "test") }, explicitTest: false)
        case .directory, .files:
            data = DataChoice(source: run.dataSource, directory: run.dataDirectory.map(rebased),
                              train: DataFiles(images: rebased(run.file(.trainImages)!.path), labels: rebased(run.file(.trainLabels)!.path)),
                              test: test.map { DataFiles(images: rebased($0.images), labels: rebased($0.labels)) }, explicitTest: run.dataSource == .files)
        }
    }

    /// Each setting within its option's range, as if it had been typed.
    static func checkRanges(_ run: TrainingRun, path: String) throws {
        func check(_ field: String, _ problem: String?) throws {
            if let problem { throw FormatError(path, "section conf: field \(field): \(problem)") }
        }
        let c = run.config
        try check("epochs", OptionRules.epochs.problem(c.epochs))
        try check("batch-size", OptionRules.batchSize.problem(c.batchSize))
        try check("learning-rate", OptionRules.learningRate.problem(c.learningRate))
        try check("weight-decay", OptionRules.weightDecay.problem(c.weightDecay))
        try check("warmup", OptionRules.warmup.problem(c.warmupEpochs))
        try check("patience", c.patience.flatMap(OptionRules.patience.problem))
        try check("validation-split", OptionRules.validationSplit.problem(run.validationSplit))
        try check("checkpoint-every", run.checkpointEvery.flatMap(OptionRules.checkpointEvery.problem))
        if case .step(let every, let factor) = c.schedule {
            try check("lr-schedule.every", OptionRules.lrScheduleEvery.problem(every))
            try check("lr-schedule.factor", OptionRules.lrScheduleFactor.problem(factor))
        }
        if let a = run.augmentation {
            try check("augment.shift", OptionRules.augmentShift.problem(a.shift))
            try check("augment.rotation", OptionRules.augmentRotation.problem(a.rotation))
            try check("augment.elastic", OptionRules.augmentElastic.problem(a.elastic))
            try check("augment.flip", OptionRules.augmentFlip.problem(a.flip))
        }
        if c.patience != nil && run.validationSplit == 0 { try check("patience", "set, but validation-split is 0 (early stopping needs a validation set)") }
    }

    /// Flags beside --resume: each must agree with the run (see the top of this file).
    static func checkGiven(_ given: GivenOptions, commandLine cl: NNTrain, stored: NetworkOptions, checkpoint c: Checkpoint, path: String) throws {
        let run = c.run, cfg = run.config
        func conflict(_ flag: String, _ value: String, _ storedText: String, _ why: String = "") -> FormatError {
            FormatError(path, "\(flag) \(value) disagrees with the checkpoint's \(flag.dropFirst(2)) \(shown(storedText))"
                + (why.isEmpty ? "; beside --resume a setting may only repeat the run's value (--epochs may grow)" : why))
        }
        let known = Set(networkFlags + trainingFlags).union(dataFlags).union(outputFlags).union(["--threads", "--resume"])
        if let other = given.names.subtracting(known).sorted().first {
            throw FormatError(path, "\(other) cannot be given with --resume: the checkpoint holds the run's settings")
        }
        // network: each flag, put in place of the run's own option, must build the same network
        let held = c.model.architecture
        for flag in networkFlags where given.contains(flag) {
            var options = stored
            let value: String, storedText: String
            switch flag {
            case "--layers": (value, storedText) = (cl.model.layers ?? "", run.layers); options.layers = cl.model.layers
            case "--activation": (value, storedText) = (cl.model.activation.rawValue, run.activation.rawValue); options.activation = cl.model.activation
            case "--loss": (value, storedText) = (cl.model.loss.rawValue, run.loss.rawValue); options.loss = cl.model.loss
            case "--batch-norm": (value, storedText) = (cl.model.batchNorm ?? "", run.batchNorm ?? "none"); options.batchNorm = cl.model.batchNorm
            case "--dropout": (value, storedText) = (cl.model.dropout ?? "", run.dropout ?? "none"); options.dropout = cl.model.dropout
            case "--init":
                if cl.model.initializer != run.initializer { throw conflict(flag, cl.model.initializer?.rawValue ?? "", run.initializer.rawValue) }
                continue
            default:  // --positive-class
                if cl.model.positiveClass != run.positiveClass {
                    throw conflict(flag, cl.model.positiveClass.map(String.init) ?? "", run.positiveClass.map(String.init) ?? "none")
                }
                continue
            }
            if (try? options.architecture(defaultLayers: NNTrain.defaultLayers, inputShape: held.inputShape)) != held {
                throw conflict(flag, value, storedText)
            }
        }
        // training
        let t = cl.training
        func same<T: Equatable>(_ flag: String, _ mine: T, _ theirs: T, _ text: (T) -> String) throws {
            if given.contains(flag) && mine != theirs { throw conflict(flag, text(mine), text(theirs)) }
        }
        if given.contains("--epochs") && t.epochs != cfg.epochs {
            if t.epochs < cfg.epochs { throw conflict("--epochs", String(t.epochs), String(cfg.epochs), "; --epochs beside --resume may only add epochs") }
            if cfg.schedule == .cosine {
                throw conflict("--epochs", String(t.epochs), String(cfg.epochs),
                               "; the run's cosine learning-rate schedule spans its \(cfg.epochs) epochs, so more would change the rates already used")
            }
        }
        try same("--batch-size", t.batchSize, cfg.batchSize, String.init)
        if given.contains("--learning-rate"), let lr = t.learningRate, lr != cfg.learningRate { throw conflict("--learning-rate", "\(lr)", "\(cfg.learningRate)") }
        try same("--optimizer", t.optimizer, cfg.optimizer, \.rawValue)
        try same("--weight-decay", t.weightDecay, cfg.weightDecay) { "\($0)" }
        try same("--seed", t.seed, cfg.seed, String.init)
        if given.contains("--lr-schedule") {
            let mine = try t.schedule()
            if mine != cfg.schedule { throw conflict("--lr-schedule", t.lrSchedule, cfg.schedule.flagText) }
        }
        try same("--warmup", t.warmup, cfg.warmupEpochs) { "\($0)" }
        try same("--patience", t.patience, cfg.patience) { $0.map(String.init) ?? "none" }
        try same("--validation-split", cl.data.validationSplit, run.validationSplit) { "\($0)" }
        let a = run.augmentation
        if given.contains("--augment") && a == nil { throw conflict("--augment", "(on)", "(off)") }
        try same("--augment-shift", t.augmentShift, a?.shift ?? .nan) { $0.isNaN ? "(off)" : "\($0)" }
        try same("--augment-rotation", t.augmentRotation, a?.rotation ?? .nan) { $0.isNaN ? "(off)" : "\($0)" }
        try same("--augment-elastic", t.augmentElastic, a?.elastic ?? .nan) { $0.isNaN ? "(off)" : "\($0)" }
        try same("--augment-flip", t.augmentFlip, a?.flip ?? .nan) { $0.isNaN ? "(off)" : "\($0)" }
    }

    /// Loads the data; when it comes from the checkpoint, a file that cannot be read is reported as the
    /// checkpoint's field. Then each file must be the one the run recorded.
    /// The run's validation split of the loaded training set; a split the data cannot give (a fraction that
    /// holds out no sample, or every one) is refused naming the checkpoint's field.
    func splitValidation(_ set: LoadedDataset) throws -> (LoadedDataset, LoadedDataset?) {
        do { return try settings.data.splitValidation(set, seed: settings.training.seed) } catch let e as ToolError {
            throw FormatError(path, "section conf: field validation-split: \(e.message)")
        }
    }

    func load(_ options: TrainDataOptions) throws -> TrainDataOptions.Sets {
        let sets: TrainDataOptions.Sets
        do {
            sets = try options.load(data.files)
        } catch let e as FormatError where dataFromCheckpoint {
            let role = data.roles.first { $0.1 == e.path }?.0
            throw FormatError(path, "field data.\(role?.rawValue ?? "train-images").path: \(shown(e.description))")
        }
        var found: [DataFileRecord.Role: (String, FileFingerprint)] = [:]
        for (set, roles) in [(sets.train, (DataFileRecord.Role.trainImages, DataFileRecord.Role.trainLabels))] + (sets.test.map { [($0, (.testImages, .testLabels))] } ?? []) {
            guard let prints = set.fingerprints else { continue }
            found[roles.0] = (set.files.images, prints.images)
            found[roles.1] = (set.files.labels, prints.labels)
        }
        let run = checkpoint.run
        for role in DataFileRecord.Role.allCases {
            let recorded = run.file(role)
            switch (recorded, found[role]) {
            case (nil, nil): continue
            case (let r?, nil):
                throw FormatError(path, "field data.\(role.rawValue): the run had \(role.rawValue) (\(shown(r.path))); give them again, or nothing for the run's own data")
            case (nil, let f?):
                throw FormatError(path, "field data.\(role.rawValue): the run had none, but \(data.flag(role)) gives \(f.0)")
            case (let r?, let f?):
                if r.fingerprint != f.1 {
                    throw FormatError(path, "field data.\(role.rawValue): \(f.0) is not the file the run trained on "
                        + "(\(f.1.text); the run's \(shown(r.path)): \(r.fingerprint.text))")
                }
            }
        }
        return sets
    }
}

/// The working directory (absolute, as the kernel has it), or "/" when it cannot be told.
func currentDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: 4097)
    guard getcwd(&buffer, buffer.count) != nil else { return "/" }
    return String(cString: buffer)
}

/// `s` as one shell word: as it is when it holds only characters no shell treats specially, else in
/// single quotes; with control characters (a newline in a file name), as $'...' with C escapes (bash,
/// zsh, ksh), which also keeps the one-line message one line.
func shellQuoted(_ s: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./,:=+@%".unicodeScalars)
    if !s.isEmpty && s.unicodeScalars.allSatisfy({ safe.contains($0) }) { return s }
    if s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
        var out = "$'"
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7F { out += cFormat("\\x%02x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "'"
    }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// A test hook: NN_TRAIN_INTERRUPT_AFTER=E sends nn-train SIGINT after epoch E's line, E:S after the batch
/// that ends at sample S of epoch E, so that tests interrupt at an exact place between or inside epochs
/// (a signal from outside lands where it lands).
struct InterruptHook {
    var epoch: Int
    var sample: Int?

    init?(_ text: String?) {
        guard let parts = text?.split(separator: ":").map({ Int($0) }), (1...2).contains(parts.count), let e = parts[0] else { return nil }
        epoch = e
        if parts.count == 2 {
            guard let s = parts[1] else { return nil }
            sample = s
        }
    }

    func fire(epoch: Int, sample: Int?) {
        if epoch == self.epoch && sample == self.sample { raise(SIGINT) }
    }
}
