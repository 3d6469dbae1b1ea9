// Checkpoint.swift: a model file plus what it takes to continue training exactly where it stopped.
//
// A checkpoint is a model file (format 1.x) with five more optional sections, so nn-eval and nn-predict
// read it as the model it holds (docs/model-format.md, "Checkpoints"):
//   conf  the run's settings as typed fields: network options, hyper-parameters, the data's identity, outputs
//   prog  where the run is, as typed fields: epoch, position, running sums, early stopping, generator states
//   opts  u64 optimizer step, u32 slot count, u32 parameter count, then each slot's tensors (u32 n, n f32)
//   best  u32 count, tensors as in WGHT (u32 rows, u32 cols, f32 data): early stopping's best weights
//   hist  u32 count, one record per finished epoch (see encodeHistory)
// Reading checks the framing of every section and the type of every field (`decode`); `validate` then
// checks that the progress fits the run and the network, and nn-train checks the values' ranges and the
// data. Every refusal names the checkpoint and the section or field.
import NNCore

/// Where a run's training data came from.
public enum DataSource: String, CaseIterable, Sendable {
    /// the embedded default set (found again wherever the toolkit is installed)
    case embedded
    /// --data DIR
    case directory
    /// --train-images/--train-labels
    case files
}

/// One data file a run read.
public struct DataFileRecord: Equatable, Sendable {
    public enum Role: String, CaseIterable, Sendable {
        case trainImages = "train-images", trainLabels = "train-labels", testImages = "test-images", testLabels = "test-labels"
    }
    public var role: Role
    /// As the run named it (relative to the run's working directory, or absolute).
    public var path: String
    public var fingerprint: FileFingerprint

    public init(role: Role, path: String, fingerprint: FileFingerprint) {
        self.role = role
        self.path = path
        self.fingerprint = fingerprint
    }
}

/// --augment's settings.
public struct AugmentationSettings: Equatable, Sendable {
    public var shift: Double, rotation: Double, elastic: Double
    /// --augment-flip: the probability of a left-right mirror (0: off, and then the field is not written).
    public var flip: Double
    public init(shift: Double, rotation: Double, elastic: Double, flip: Double = 0) {
        self.shift = shift
        self.rotation = rotation
        self.elastic = elastic
        self.flip = flip
    }
}

/// A training run's settings, as values: what `nn-train --resume` needs besides the model and the progress.
public struct TrainingRun: Equatable, Sendable {
    /// The network options as the run had them (--layers text, ...); they must build exactly the
    /// architecture of the checkpoint's model part.
    public var layers: String
    public var activation: Activation
    public var loss: OutputKind
    public var batchNorm: String?
    public var dropout: String?
    /// The initialiser used (the default already resolved).
    public var initializer: WeightInit
    public var positiveClass: Int?
    /// Epochs, batch size, optimizer, learning rate (resolved), schedule, warm-up, weight decay, seed, patience.
    public var config: TrainingConfig
    public var augmentation: AugmentationSettings?
    public var validationSplit: Double
    /// The absolute directory the run worked in: its relative paths are relative to it.
    public var workingDirectory: String
    public var dataSource: DataSource
    /// --data DIR (dataSource .directory).
    public var dataDirectory: String?
    /// What the model's metadata says it was trained on.
    public var dataName: String
    /// train-images and train-labels, then test-images and test-labels when the run had a test set.
    public var dataFiles: [DataFileRecord]
    public var output: String
    public var metrics: String?
    public var plot: String?
    /// Where the run writes its checkpoints.
    public var checkpoint: String
    public var checkpointEvery: Int?

    public init(layers: String, activation: Activation, loss: OutputKind, batchNorm: String?, dropout: String?, initializer: WeightInit,
                positiveClass: Int?, config: TrainingConfig, augmentation: AugmentationSettings?, validationSplit: Double,
                workingDirectory: String, dataSource: DataSource, dataDirectory: String?, dataName: String, dataFiles: [DataFileRecord],
                output: String, metrics: String?, plot: String?, checkpoint: String, checkpointEvery: Int?) {
        self.layers = layers
        self.activation = activation
        self.loss = loss
        self.batchNorm = batchNorm
        self.dropout = dropout
        self.initializer = initializer
        self.positiveClass = positiveClass
        self.config = config
        self.augmentation = augmentation
        self.validationSplit = validationSplit
        self.workingDirectory = workingDirectory
        self.dataSource = dataSource
        self.dataDirectory = dataDirectory
        self.dataName = dataName
        self.dataFiles = dataFiles
        self.output = output
        self.metrics = metrics
        self.plot = plot
        self.checkpoint = checkpoint
        self.checkpointEvery = checkpointEvery
    }

    public func file(_ role: DataFileRecord.Role) -> DataFileRecord? { dataFiles.first { $0.role == role } }
}

/// Everything `nn-train --resume` needs.
public struct Checkpoint {
    public var model: Model
    public var run: TrainingRun
    public var progress: TrainerProgress<Float>
    public var rng: SeededGenerator
    public var dropoutGenerators: [SeededGenerator]
    public var optimizer: OptimizerState<Float>

    public init(model: Model, run: TrainingRun, progress: TrainerProgress<Float>, rng: SeededGenerator,
                dropoutGenerators: [SeededGenerator], optimizer: OptimizerState<Float>) {
        self.model = model
        self.run = run
        self.progress = progress
        self.rng = rng
        self.dropoutGenerators = dropoutGenerators
        self.optimizer = optimizer
    }
}

public enum CheckpointCodec {
    public static func encode(_ c: Checkpoint) -> [UInt8] {
        var file = ModelFileWriter.encode(c.model)
        file.removeLast(12)   // IEND; the checkpoint sections go before it
        ModelFileWriter.appendSection(&file, "conf", encodeRun(c.run))

        let p = c.progress
        var prog = FieldWriter()
        prog.int("epoch", p.epoch)
        prog.int("position", p.position)
        prog.real("loss-sum", p.lossSum)
        prog.int("correct", p.correct)
        prog.int("seen", p.seen)
        prog.int("best-epoch", p.bestEpoch)
        prog.real("best-score", p.bestScore)
        prog.generators("rng", [c.rng])
        if let start = p.epochStart { prog.generators("rng.epoch-start", [start]) }
        prog.generators("rng.dropout", c.dropoutGenerators)
        ModelFileWriter.appendSection(&file, "prog", prog.encoded)

        var opts = [UInt8]()
        opts.appendLE(UInt64(c.optimizer.step))
        opts.appendLE(UInt32(c.optimizer.slots.count))
        opts.appendLE(UInt32(c.optimizer.slots.first?.count ?? 0))
        for slot in c.optimizer.slots {
            for t in slot {
                opts.appendLE(UInt32(t.count))
                opts.appendLE(floats: t)
            }
        }
        ModelFileWriter.appendSection(&file, "opts", opts)

        var best = [UInt8]()
        best.appendLE(UInt32(p.bestParameters.count))
        for t in p.bestParameters {
            best.appendLE(UInt32(t.rows))
            best.appendLE(UInt32(t.cols))
            best.appendLE(floats: t.storage)
        }
        ModelFileWriter.appendSection(&file, "best", best)
        ModelFileWriter.appendSection(&file, "hist", encodeHistory(p.history))
        ModelFileWriter.appendSection(&file, "IEND", [])
        return file
    }

    public static func read(_ path: String) throws -> Checkpoint {
        try decode(readWholeFile(path, limit: SizeLimits.maxCheckpointFileBytes, kind: "a checkpoint", checkStart: ModelFileReader.startCheck(path)), path: path)
    }

    /// The checkpoint in `bytes`: every section framed as the format says and every field of its type.
    /// Whether the values make sense together is `validate()`'s question.
    public static func decode(_ bytes: [UInt8], path: String) throws -> Checkpoint {
        let model = try ModelFileReader.decode(bytes, path: path)
        let sections = try ModelFileReader.optionalSections(bytes, path: path)
        func fail(_ m: String) -> FormatError { FormatError(path, m) }
        if sections["ckpt"] != nil && sections["conf"] == nil {
            throw fail("a checkpoint of an earlier nn-train, whose settings are a command line (section ckpt): this version resumes only "
                + "checkpoints that hold them as data; start the run again (nn-eval and nn-predict still read it as a model)")
        }
        let missing = ["conf", "prog", "opts", "best", "hist"].filter { sections[$0] == nil }
        if missing.count == 5 { throw fail("not a checkpoint (a model file without the conf/prog/opts/best/hist sections)") }
        if let first = missing.first { throw fail("not a whole checkpoint: section '\(first)' is missing") }

        let run = try decodeRun(sections["conf"]!, path: path)

        var prog = try FieldReader(sections["prog"]!, section: "prog", path: path, known: progFields)
        var p = TrainerProgress<Float>()
        p.epoch = try prog.requiredInt("epoch")
        p.position = try prog.requiredInt("position")
        p.lossSum = try prog.requiredReal("loss-sum")
        p.correct = try prog.requiredInt("correct")
        p.seen = try prog.requiredInt("seen")
        p.bestEpoch = try prog.requiredInt("best-epoch")
        p.bestScore = try prog.real("best-score")
        guard let rng = try prog.generators("rng"), rng.count == 1 else { throw prog.fail("rng", "needs exactly one generator state") }
        if let start = try prog.generators("rng.epoch-start") {
            guard start.count == 1 else { throw prog.fail("rng.epoch-start", "needs exactly one generator state") }
            p.epochStart = start[0]
        }
        let drops = try prog.generators("rng.dropout") ?? []

        var o = ByteReader(sections["opts"]!)
        func optsFail(_ m: String) -> FormatError { fail("section opts: \(m)") }
        guard let step: UInt64 = o.le(), let slotCount: UInt32 = o.le(), let paramCount: UInt32 = o.le() else { throw optsFail("truncated header") }
        guard step <= UInt64(Int32.max) else { throw optsFail("optimizer step \(step) is past any run") }
        guard slotCount <= 4 else { throw optsFail("\(slotCount) slots; no optimizer keeps more than 2") }
        guard paramCount <= 10_000 else { throw optsFail("\(paramCount) parameter tensors; a network has at most 10000") }
        var slots: [[[Float]]] = []
        for s in 0..<Int(slotCount) {
            var slot: [[Float]] = []
            for t in 0..<Int(paramCount) {
                guard let n: UInt32 = o.le(), Int(n) <= o.remaining / 4 else { throw optsFail("truncated in slot \(s + 1), tensor \(t + 1)") }
                slot.append(o.floats(Int(n)))
            }
            slots.append(slot)
        }
        if o.remaining != 0 { throw optsFail("\(o.remaining) unexpected trailing bytes") }

        var b = ByteReader(sections["best"]!)
        func bestFail(_ m: String) -> FormatError { fail("section best: \(m)") }
        guard let bestCount: UInt32 = b.le(), bestCount <= 10_000 else { throw bestFail("bad tensor count") }
        for t in 0..<Int(bestCount) {
            guard let rows: UInt32 = b.le(), let cols: UInt32 = b.le() else { throw bestFail("truncated at tensor \(t + 1)") }
            guard let n = CheckedSize.productOrNil([Int(rows), Int(cols)]), n <= b.remaining / 4 else {
                throw bestFail("tensor \(t + 1) claims \(rows)x\(cols) values, more than the section holds")
            }
            p.bestParameters.append(Matrix(rows: Int(rows), cols: Int(cols), storage: b.floats(n)))
        }
        if b.remaining != 0 { throw bestFail("\(b.remaining) unexpected trailing bytes") }
        guard let history = decodeHistory(sections["hist"]!) else { throw fail("section hist: corrupt") }
        p.history = history
        return Checkpoint(model: model, run: run, progress: p, rng: rng[0], dropoutGenerators: drops,
                          optimizer: OptimizerState(step: Int(step), slots: slots))
    }

    // MARK: - conf

    static let confFields: Set<String> = {
        var names: Set<String> = [
            "layers", "activation", "loss", "batch-norm", "dropout", "init", "positive-class", "optimizer", "learning-rate",
            "lr-schedule", "lr-schedule.every", "lr-schedule.factor", "warmup", "batch-size", "epochs", "seed", "weight-decay",
            "patience", "augment.shift", "augment.rotation", "augment.elastic", "augment.flip", "validation-split", "directory", "data.source",
            "data.directory", "data.name", "output", "metrics", "plot", "checkpoint", "checkpoint-every",
        ]
        for role in DataFileRecord.Role.allCases {
            names.formUnion(["data.\(role.rawValue).path", "data.\(role.rawValue).size", "data.\(role.rawValue).sha256"])
        }
        return names
    }()
    static let progFields: Set<String> = ["epoch", "position", "loss-sum", "correct", "seen", "best-epoch", "best-score", "rng",
                                          "rng.epoch-start", "rng.dropout"]

    static func encodeRun(_ r: TrainingRun) -> [UInt8] {
        var w = FieldWriter()
        w.text("layers", r.layers)
        w.text("activation", r.activation.rawValue)
        w.text("loss", r.loss.rawValue)
        w.text("batch-norm", r.batchNorm)
        w.text("dropout", r.dropout)
        w.text("init", r.initializer.rawValue)
        w.int("positive-class", r.positiveClass)
        let c = r.config
        w.text("optimizer", c.optimizer.rawValue)
        w.real("learning-rate", c.learningRate)
        switch c.schedule {
        case .constant: w.text("lr-schedule", "constant")
        case .cosine: w.text("lr-schedule", "cosine")
        case .step(let every, let factor):
            w.text("lr-schedule", "step")
            w.int("lr-schedule.every", every)
            w.real("lr-schedule.factor", factor)
        }
        w.real("warmup", c.warmupEpochs)
        w.int("batch-size", c.batchSize)
        w.int("epochs", c.epochs)
        w.uint("seed", c.seed)
        w.real("weight-decay", c.weightDecay)
        w.int("patience", c.patience)
        if let a = r.augmentation {
            w.real("augment.shift", a.shift)
            w.real("augment.rotation", a.rotation)
            w.real("augment.elastic", a.elastic)
            if a.flip != 0 { w.real("augment.flip", a.flip) }
        }
        w.real("validation-split", r.validationSplit)
        w.text("directory", r.workingDirectory)
        w.text("data.source", r.dataSource.rawValue)
        w.text("data.directory", r.dataDirectory)
        w.text("data.name", r.dataName)
        for f in r.dataFiles {
            w.text("data.\(f.role.rawValue).path", f.path)
            w.int("data.\(f.role.rawValue).size", f.fingerprint.size)
            w.bytes("data.\(f.role.rawValue).sha256", f.fingerprint.sha256)
        }
        w.text("output", r.output)
        w.text("metrics", r.metrics)
        w.text("plot", r.plot)
        w.text("checkpoint", r.checkpoint)
        w.int("checkpoint-every", r.checkpointEvery)
        return w.encoded
    }

    static func decodeRun(_ data: [UInt8], path: String) throws -> TrainingRun {
        var f = try FieldReader(data, section: "conf", path: path, known: confFields)
        func choice<E: RawRepresentable & CaseIterable>(_ name: String, _: E.Type) throws -> E where E.RawValue == String {
            let text = try f.requiredText(name)
            guard let value = E(rawValue: text) else {
                throw f.fail(name, "'\(shown(text))' is none of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }
        func nonEmpty(_ name: String, _ text: String?) throws -> String? {
            if let text, text.isEmpty { throw f.fail(name, "is empty") }
            return text
        }
        var c = TrainingConfig()
        c.optimizer = try choice("optimizer", OptimizerKind.self)
        c.learningRate = try f.requiredReal("learning-rate")
        let every = try f.int("lr-schedule.every"), factor = try f.real("lr-schedule.factor")
        switch try f.requiredText("lr-schedule") {
        case "constant": c.schedule = .constant
        case "cosine": c.schedule = .cosine
        case "step":
            guard let every, let factor else { throw f.fail(every == nil ? "lr-schedule.every" : "lr-schedule.factor", "missing (lr-schedule is step)") }
            c.schedule = .step(every: every, factor: factor)
        case let other: throw f.fail("lr-schedule", "'\(shown(other))' is none of constant, cosine, step")
        }
        if c.schedule.isStep == false, every != nil || factor != nil {
            throw f.fail(every != nil ? "lr-schedule.every" : "lr-schedule.factor", "given, but lr-schedule is not step")
        }
        c.warmupEpochs = try f.requiredReal("warmup")
        c.batchSize = try f.requiredInt("batch-size")
        c.epochs = try f.requiredInt("epochs")
        c.seed = try f.requiredUInt("seed")
        c.weightDecay = try f.requiredReal("weight-decay")
        c.patience = try f.int("patience")

        let shift = try f.real("augment.shift"), rotation = try f.real("augment.rotation"), elastic = try f.real("augment.elastic")
        var augmentation: AugmentationSettings? = nil
        if shift != nil || rotation != nil || elastic != nil {
            guard let shift, let rotation, let elastic else {
                throw f.fail(shift == nil ? "augment.shift" : rotation == nil ? "augment.rotation" : "augment.elastic", "missing (the other augment fields are there)")
            }
            augmentation = AugmentationSettings(shift: shift, rotation: rotation, elastic: elastic, flip: try f.real("augment.flip") ?? 0)
        }

        let directory = try f.requiredText("directory")
        guard directory.hasPrefix("/") else { throw f.fail("directory", "'\(shown(directory))' is not an absolute path") }
        let source = try choice("data.source", DataSource.self)
        let dataDirectory = try nonEmpty("data.directory", f.text("data.directory"))
        if (source == .directory) != (dataDirectory != nil) {
            throw f.fail("data.directory", source == .directory ? "missing (data.source is directory)" : "given, but data.source is \(source.rawValue)")
        }
        var files: [DataFileRecord] = []
        for role in DataFileRecord.Role.allCases {
            let stem = "data.\(role.rawValue)"
            let path = try nonEmpty(stem + ".path", f.text(stem + ".path")), size = try f.int(stem + ".size"), digest = try f.bytes(stem + ".sha256")
            if path == nil && size == nil && digest == nil { continue }
            guard let path, let size, let digest else {
                throw f.fail(path == nil ? stem + ".path" : size == nil ? stem + ".size" : stem + ".sha256", "missing (the file's other fields are there)")
            }
            if size < 0 { throw f.fail(stem + ".size", "\(size) is negative") }
            if digest.count != 32 { throw f.fail(stem + ".sha256", "holds \(digest.count) bytes, a SHA-256 is 32") }
            files.append(DataFileRecord(role: role, path: path, fingerprint: FileFingerprint(size: size, sha256: digest)))
        }
        let roles = Set(files.map(\.role))
        for (a, b) in [(DataFileRecord.Role.trainImages, DataFileRecord.Role.trainLabels), (.testImages, .testLabels)] where roles.contains(a) != roles.contains(b) {
            throw f.fail("data.\((roles.contains(a) ? b : a).rawValue).path", "missing (\((roles.contains(a) ? a : b).rawValue) is there)")
        }
        if !roles.contains(.trainImages) { throw f.fail("data.train-images.path", "missing") }

        let run = TrainingRun(
            layers: try nonEmpty("layers", f.requiredText("layers"))!, activation: try choice("activation", Activation.self),
            loss: try choice("loss", OutputKind.self), batchNorm: try nonEmpty("batch-norm", f.text("batch-norm")),
            dropout: try nonEmpty("dropout", f.text("dropout")), initializer: try choice("init", WeightInit.self),
            positiveClass: try f.int("positive-class"), config: c, augmentation: augmentation,
            validationSplit: try f.requiredReal("validation-split"), workingDirectory: directory, dataSource: source,
            dataDirectory: dataDirectory, dataName: try f.requiredText("data.name"), dataFiles: files,
            output: try nonEmpty("output", f.requiredText("output"))!, metrics: try nonEmpty("metrics", f.text("metrics")),
            plot: try nonEmpty("plot", f.text("plot")), checkpoint: try nonEmpty("checkpoint", f.requiredText("checkpoint"))!,
            checkpointEvery: try f.int("checkpoint-every"))
        try f.expectAllUsed()
        return run
    }

    // MARK: - history

    /// Per epoch: u32 epoch, f64 train loss, f64 train accuracy (NaN for regression), f64 seconds,
    /// f64 samples/s, f64 learning rate, then for validation and test: u8 kind (0 none, 1 classification,
    /// 2 regression), f64 loss, then classification: u32 correct, u32 samples; regression: f64 mse, f64 mae, u32 samples.
    static func encodeHistory(_ h: [EpochStats]) -> [UInt8] {
        var out = [UInt8]()
        out.appendLE(UInt32(h.count))
        for s in h {
            out.appendLE(UInt32(s.epoch))
            for v in [s.trainLoss, s.trainAccuracy ?? .nan, s.seconds, s.samplesPerSecond, s.learningRate] { out.appendLE(v.bitPattern) }
            for r in [s.validation, s.test] {
                switch r {
                case nil: out.append(0)
                case .classification(let c)?:
                    out.append(1)
                    out.appendLE(c.loss.bitPattern)
                    out.appendLE(UInt32(c.correct))
                    out.appendLE(UInt32(c.sampleCount))
                case .regression(let g)?:
                    out.append(2)
                    out.appendLE(g.loss.bitPattern)
                    out.appendLE(g.mse.bitPattern)
                    out.appendLE(g.mae.bitPattern)
                    out.appendLE(UInt32(g.sampleCount))
                }
            }
        }
        return out
    }

    /// The history back; a classification report keeps its loss and accuracy only (as a 2x2 table of
    /// correct/wrong counts), which is all the per-epoch report and the plot use.
    static func decodeHistory(_ bytes: [UInt8]) -> [EpochStats]? {
        var r = ByteReader(bytes)
        guard let n: UInt32 = r.le(), Int(n) <= r.remaining / 46 else { return nil }   // 46: the smallest record
        var out: [EpochStats] = []
        for _ in 0..<n {
            guard let epoch: UInt32 = r.le() else { return nil }
            var v: [Double] = []
            for _ in 0..<5 {
                guard let b: UInt64 = r.le() else { return nil }
                v.append(Double(bitPattern: b))
            }
            var reports: [EvaluationReport?] = []
            for _ in 0..<2 {
                guard let kind = r.byte() else { return nil }
                switch kind {
                case 0: reports.append(nil)
                case 1:
                    guard let loss: UInt64 = r.le(), let correct: UInt32 = r.le(), let total: UInt32 = r.le(), correct <= total else { return nil }
                    var c = ClassificationReport(classCount: 2, loss: Double(bitPattern: loss))
                    c.confusion = [[Int(correct), Int(total - correct)], [0, 0]]
                    reports.append(.classification(c))
                case 2:
                    guard let loss: UInt64 = r.le(), let mse: UInt64 = r.le(), let mae: UInt64 = r.le(), let count: UInt32 = r.le() else { return nil }
                    reports.append(.regression(RegressionReport(sampleCount: Int(count), loss: Double(bitPattern: loss),
                                                                mse: Double(bitPattern: mse), mae: Double(bitPattern: mae))))
                default: return nil
                }
            }
            out.append(EpochStats(epoch: Int(epoch), trainLoss: v[0], trainAccuracy: v[1].isNaN ? nil : v[1], validation: reports[0],
                                  test: reports[1], seconds: v[2], samplesPerSecond: v[3], learningRate: v[4]))
        }
        return r.remaining == 0 ? out : nil
    }
}

// MARK: - Consistency

extension Checkpoint {
    /// Checks that the progress fits the run's settings and the network: the epoch within the run, the
    /// position a batch boundary, the running sums possible, early stopping's weights shaped like the
    /// model's tensors, the optimizer's memory of the size its kind keeps, the generator states usable.
    /// Never traps, whatever the values (a batch size of 0, an epoch count of -3).
    public func validate(path: String) throws {
        func fail(_ section: String, _ field: String?, _ m: String) -> FormatError {
            FormatError(path, "section \(section): " + (field.map { "field \($0): " } ?? "") + m)
        }
        let p = progress, c = run.config
        if p.epoch < 1 { throw fail("prog", "epoch", "\(p.epoch) is before the first epoch") }
        if p.epoch > c.epochs { throw fail("prog", "epoch", "\(p.epoch) is past the run's \(c.epochs) epochs: nothing is left to train") }
        if p.position < 0 { throw fail("prog", "position", "\(p.position) is negative") }
        if c.batchSize > 0 && p.position % c.batchSize != 0 {
            throw fail("prog", "position", "\(p.position) is not a multiple of the batch size \(c.batchSize): no batch ends there")
        }
        if p.position > 0 && p.epochStart == nil {
            throw fail("prog", "rng.epoch-start", "missing: a run stopped inside an epoch (position \(p.position)) needs the generator the epoch began with")
        }
        if p.seen < 0 || p.correct < 0 || p.correct > p.seen {
            throw fail("prog", p.seen < 0 ? "seen" : "correct", "\(p.correct) correct of \(p.seen) seen is impossible")
        }
        if p.position > 0 && p.seen != p.position {
            throw fail("prog", "seen", "\(p.seen) samples seen, but the epoch is \(p.position) samples in")
        }
        if !p.lossSum.isFinite || p.lossSum < 0 { throw fail("prog", "loss-sum", "\(p.lossSum) is no sum of losses") }
        if p.history.count != p.epoch - 1 || p.history.enumerated().contains(where: { $0.element.epoch != $0.offset + 1 }) {
            throw fail("hist", nil, "holds epochs \(p.history.map { String($0.epoch) }.joined(separator: ",")), the run has finished \(p.epoch - 1)")
        }

        // early stopping
        let tensors = model.architecture.tensors
        if p.bestEpoch < 0 || p.bestEpoch >= p.epoch { throw fail("prog", "best-epoch", "\(p.bestEpoch) is not a finished epoch") }
        if (p.bestEpoch > 0) != (p.bestScore != nil) || p.bestScore.map({ !$0.isFinite }) == true {
            throw fail("prog", "best-score", p.bestScore.map { "\($0) does not go with best-epoch \(p.bestEpoch)" } ?? "missing (best-epoch is \(p.bestEpoch))")
        }
        if p.bestEpoch > 0 && c.patience == nil { throw fail("prog", "best-epoch", "\(p.bestEpoch), but the run has no patience (early stopping)") }
        if p.bestEpoch == 0 && !p.bestParameters.isEmpty {
            throw fail("best", nil, "holds \(p.bestParameters.count) tensors, but no epoch was best yet")
        }
        if p.bestEpoch > 0 {
            if p.bestParameters.count != tensors.count {
                throw fail("best", nil, "holds \(p.bestParameters.count) tensors, the network has \(tensors.count)")
            }
            for (t, m) in zip(tensors, p.bestParameters) {
                if m.rows != t.spec.rows || m.cols != t.spec.cols {
                    throw fail("best", nil, "tensor \(t.name) is \(m.rows)x\(m.cols), the network's is \(t.spec.rows)x\(t.spec.cols)")
                }
                if let k = m.storage.firstIndex(where: { !$0.isFinite }) { throw fail("best", nil, "tensor \(t.name) has a non-finite value at index \(k)") }
            }
        }

        // optimizer memory: one array per trained tensor, per slot of the optimizer's kind
        let trained = tensors.filter { $0.spec.role.isTrainable }
        let slots: Int
        switch c.optimizer {
        case .sgd: slots = 0
        case .momentum, .adagrad: slots = 1
        case .adam: slots = 2
        }
        let o = optimizer
        if o.slots.count != slots {
            throw fail("opts", nil, "\(o.slots.count) slot(s) of optimizer memory; \(c.optimizer.rawValue) keeps \(slots)")
        }
        if c.optimizer != .adam && o.step != 0 { throw fail("opts", nil, "step \(o.step); \(c.optimizer.rawValue) counts no steps") }
        for (s, slot) in o.slots.enumerated() {
            if slot.count != trained.count {
                throw fail("opts", nil, "slot \(s + 1) holds \(slot.count) tensors, the network trains \(trained.count)")
            }
            for (t, values) in zip(trained, slot) {
                if values.count != t.spec.rows * t.spec.cols {
                    throw fail("opts", nil, "slot \(s + 1), tensor \(t.name): \(values.count) values, the tensor has \(t.spec.rows * t.spec.cols)")
                }
                // momentum's velocity has any sign; AdaGrad's h and Adam's v are sums of squares
                let squares = (c.optimizer == .adagrad) || (c.optimizer == .adam && s == 1)
                if let k = values.firstIndex(where: { !$0.isFinite || (squares && $0 < 0) }) {
                    throw fail("opts", nil, "slot \(s + 1), tensor \(t.name): value \(values[k]) at index \(k) is impossible")
                }
            }
        }

        // generators: xoshiro256** never leaves the all-zero state, which gives only zeros
        func usable(_ g: SeededGenerator) -> Bool { g.state != (0, 0, 0, 0) }
        if !usable(rng) { throw fail("prog", "rng", "the all-zero generator state is no state of a run") }
        if let start = p.epochStart, !usable(start) { throw fail("prog", "rng.epoch-start", "the all-zero generator state is no state of a run") }
        let dropoutLayers = model.architecture.layers.filter { $0 is DropoutSpec }.count
        if dropoutGenerators.count != dropoutLayers {
            throw fail("prog", "rng.dropout", "\(dropoutGenerators.count) generator states, the network has \(dropoutLayers) dropout layers")
        }
        if dropoutGenerators.contains(where: { !usable($0) }) { throw fail("prog", "rng.dropout", "an all-zero generator state") }
    }

    /// Checks the position against the training set the run is resumed on (`samples`, after the
    /// validation split), and Adam's step count against the batches that position implies.
    public func validate(trainingSamples samples: Int, path: String) throws {
        let p = progress, batch = run.config.batchSize
        if p.position >= samples {
            throw FormatError(path, "section prog: field position: \(p.position) is not inside an epoch: the training set has \(samples) samples")
        }
        guard run.config.optimizer == .adam, batch > 0 else { return }
        // every batch is one step: (epoch - 1) whole epochs of ceil(samples / batch) batches, then position / batch
        let perEpoch = samples / batch + (samples % batch == 0 ? 0 : 1)
        let (done, overflow) = (p.epoch - 1).multipliedReportingOverflow(by: perEpoch)
        let (steps, overflow2) = done.addingReportingOverflow(p.position / batch)
        if overflow || overflow2 || steps != optimizer.step {
            throw FormatError(path, "section opts: step \(optimizer.step), but epoch \(p.epoch) at sample \(p.position) of \(samples) in batches of \(batch) is step \(overflow || overflow2 ? "(overflow)" : String(steps))")
        }
    }
}

extension LearningRateSchedule {
    var isStep: Bool { if case .step = self { return true } else { return false } }
}

// MARK: - Typed fields

/// Field value types of the conf and prog sections.
enum FieldType: UInt8 {
    case int = 1, uint = 2, real = 3, text = 4, bytes = 5, generators = 6

    var name: String {
        switch self {
        case .int: return "int"
        case .uint: return "uint"
        case .real: return "real"
        case .text: return "text"
        case .bytes: return "bytes"
        case .generators: return "generators"
        }
    }
}

/// Writes fields: u32 count, then per field string name, u8 type, u32 length, value. nil values are left out.
struct FieldWriter {
    private var count: UInt32 = 0
    private var body: [UInt8] = []

    var encoded: [UInt8] {
        var out = [UInt8]()
        out.appendLE(count)
        return out + body
    }

    private mutating func field(_ name: String, _ type: FieldType, _ value: [UInt8]) {
        count += 1
        body.appendString(name)
        body.append(type.rawValue)
        body.appendLE(UInt32(value.count))
        body.append(contentsOf: value)
    }
    private static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
        var out = [UInt8]()
        out.appendLE(v)
        return out
    }

    mutating func int(_ name: String, _ v: Int?) { if let v { field(name, .int, Self.le(Int64(v))) } }
    mutating func uint(_ name: String, _ v: UInt64) { field(name, .uint, Self.le(v)) }
    mutating func real(_ name: String, _ v: Double?) { if let v { field(name, .real, Self.le(v.bitPattern)) } }
    mutating func text(_ name: String, _ v: String?) { if let v { field(name, .text, Array(v.utf8)) } }
    mutating func bytes(_ name: String, _ v: [UInt8]) { field(name, .bytes, v) }
    mutating func generators(_ name: String, _ gs: [SeededGenerator]) {
        var out = [UInt8]()
        for g in gs { for w in [g.state.0, g.state.1, g.state.2, g.state.3] { out.appendLE(w) } }
        field(name, .generators, out)
    }
}

/// Reads the fields of one section, refusing unknown and repeated names, values whose length does not fit
/// their type, and trailing bytes. Each getter refuses a field of another type; `expectAllUsed` none.
struct FieldReader {
    let section: String, path: String
    private var fields: [String: (type: FieldType, value: [UInt8])] = [:]

    func fail(_ field: String, _ m: String) -> FormatError { FormatError(path, "section \(section): field \(field): \(m)") }

    init(_ data: [UInt8], section: String, path: String, known: Set<String>) throws {
        self.section = section
        self.path = path
        func corrupt(_ m: String) -> FormatError { FormatError(path, "section \(section): \(m)") }
        var r = ByteReader(data)
        guard let count: UInt32 = r.le(), count <= 1_000 else { throw corrupt("bad field count") }
        for i in 0..<Int(count) {
            guard let name = r.string(), let typeCode = r.byte(), let length: UInt32 = r.le() else {
                throw corrupt("field \(i + 1) is truncated or its name is not UTF-8")
            }
            guard known.contains(name) else {
                throw corrupt("unknown field '\(shown(name))' (written by a newer nn-train?)")
            }
            guard let type = FieldType(rawValue: typeCode) else { throw fail(name, "unknown value type \(typeCode)") }
            guard let value = r.bytes(Int(length)) else { throw fail(name, "its \(length) bytes run past the section's end") }
            let fits: Bool
            switch type {
            case .int, .uint, .real: fits = length == 8
            case .generators: fits = length % 32 == 0 && length <= 32 * 10_000
            case .text, .bytes: fits = true
            }
            if !fits { throw fail(name, "\(length) bytes cannot hold a value of type \(type.name)") }
            if fields[name] != nil { throw fail(name, "appears twice") }
            fields[name] = (type, value)
        }
        if r.remaining != 0 { throw corrupt("\(r.remaining) unexpected trailing bytes") }
    }

    private mutating func take(_ name: String, _ type: FieldType) throws -> [UInt8]? {
        guard let f = fields.removeValue(forKey: name) else { return nil }
        if f.type != type { throw fail(name, "is of type \(f.type.name), expected \(type.name)") }
        return f.value
    }
    private func word(_ b: [UInt8]) -> UInt64 { var r = ByteReader(b); return r.le()! }

    mutating func int(_ name: String) throws -> Int? { try take(name, .int).map { Int(Int64(bitPattern: word($0))) } }
    mutating func uint(_ name: String) throws -> UInt64? { try take(name, .uint).map(word) }
    mutating func real(_ name: String) throws -> Double? { try take(name, .real).map { Double(bitPattern: word($0)) } }
    mutating func bytes(_ name: String) throws -> [UInt8]? { try take(name, .bytes) }
    mutating func text(_ name: String) throws -> String? {
        guard let b = try take(name, .text) else { return nil }
        guard let s = String(validating: b, as: UTF8.self) else { throw fail(name, "is not UTF-8 text") }
        return s
    }
    mutating func generators(_ name: String) throws -> [SeededGenerator]? {
        guard let b = try take(name, .generators) else { return nil }
        var r = ByteReader(b)
        return (0..<(b.count / 32)).map { _ in SeededGenerator(state: (r.le()!, r.le()!, r.le()!, r.le()!)) }
    }

    private func missing(_ name: String) -> FormatError { fail(name, "missing") }
    mutating func requiredInt(_ name: String) throws -> Int { guard let v = try int(name) else { throw missing(name) }; return v }
    mutating func requiredUInt(_ name: String) throws -> UInt64 { guard let v = try uint(name) else { throw missing(name) }; return v }
    mutating func requiredReal(_ name: String) throws -> Double { guard let v = try real(name) else { throw missing(name) }; return v }
    mutating func requiredText(_ name: String) throws -> String { guard let v = try text(name) else { throw missing(name) }; return v }

    /// Every field was asked for (known names the run does not use, like lr-schedule.every beside cosine,
    /// are refused by the reader that knows why; this catches the rest).
    func expectAllUsed() throws {
        if let name = fields.keys.sorted().first { throw fail(name, "does not belong with the other fields") }
    }
}
