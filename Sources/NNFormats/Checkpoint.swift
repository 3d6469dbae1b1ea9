// Checkpoint.swift: a model file plus what it takes to continue training exactly where it stopped.
//
// A checkpoint is a model file (format 1.1) with three more optional sections, so nn-eval and nn-predict
// read it as the model it holds:
//   ckpt  u32 count, then (string key, string value) pairs: the run's settings and progress counters,
//         generator states as 4 hex u64 words
//   opts  u64 optimizer step, u32 slot count, u32 parameter count, then each slot's tensors (u32 n, n f32)
//   best  u32 count, tensors as in WGHT (u32 rows, u32 cols, f32 data): early stopping's best weights
//   hist  u32 count, one record per finished epoch (see encodeHistory)
import NNCore

/// Everything `nn-train --resume` needs.
public struct Checkpoint {
    public var model: Model
    /// nn-train's settings (architecture options, hyper-parameters, data) as key/value text.
    public var settings: [MetadataEntry]
    public var progress: TrainerProgress<Float>
    public var rng: SeededGenerator
    public var dropoutGenerators: [SeededGenerator]
    public var optimizer: OptimizerState<Float>

    public init(model: Model, settings: [MetadataEntry], progress: TrainerProgress<Float>, rng: SeededGenerator,
                dropoutGenerators: [SeededGenerator], optimizer: OptimizerState<Float>) {
        self.model = model
        self.settings = settings
        self.progress = progress
        self.rng = rng
        self.dropoutGenerators = dropoutGenerators
        self.optimizer = optimizer
    }

    public func setting(_ key: String) -> String? { settings.first { $0.key == key }?.value }
}

public enum CheckpointCodec {
    public static func encode(_ c: Checkpoint) -> [UInt8] {
        var file = ModelFileWriter.encode(c.model)
        file.removeLast(12)   // IEND; the checkpoint sections go before it
        var kv = c.settings
        let p = c.progress
        kv += [MetadataEntry("progress.epoch", String(p.epoch)), MetadataEntry("progress.position", String(p.position)),
               MetadataEntry("progress.lossSum", String(p.lossSum.bitPattern)), MetadataEntry("progress.correct", String(p.correct)),
               MetadataEntry("progress.seen", String(p.seen)), MetadataEntry("progress.bestEpoch", String(p.bestEpoch)),
               MetadataEntry("progress.bestScore", p.bestScore.map { String($0.bitPattern) } ?? ""),
               MetadataEntry("rng", hex(c.rng)), MetadataEntry("rng.epochStart", p.epochStart.map(hex) ?? ""),
               MetadataEntry("rng.dropout", c.dropoutGenerators.map(hex).joined(separator: ","))]
        var ckpt = [UInt8]()
        ckpt.appendLE(UInt32(kv.count))
        for e in kv {
            ckpt.appendString(e.key)
            ckpt.appendString(e.value)
        }
        ModelFileWriter.appendSection(&file, "ckpt", ckpt)

        var opts = [UInt8]()
        opts.appendLE(UInt64(c.optimizer.step))
        opts.appendLE(UInt32(c.optimizer.slots.count))
        opts.appendLE(UInt32(c.optimizer.slots.first?.count ?? 0))
        for slot in c.optimizer.slots {
            for t in slot {
                opts.appendLE(UInt32(t.count))
                for v in t { opts.appendLE(v.bitPattern) }
            }
        }
        ModelFileWriter.appendSection(&file, "opts", opts)

        var best = [UInt8]()
        best.appendLE(UInt32(p.bestParameters.count))
        for t in p.bestParameters {
            best.appendLE(UInt32(t.rows))
            best.appendLE(UInt32(t.cols))
            for v in t.storage { best.appendLE(v.bitPattern) }
        }
        ModelFileWriter.appendSection(&file, "best", best)
        ModelFileWriter.appendSection(&file, "hist", encodeHistory(p.history))
        ModelFileWriter.appendSection(&file, "IEND", [])
        return file
    }

    public static func read(_ path: String) throws -> Checkpoint {
        try decode(readWholeFile(path, limit: SizeLimits.maxCheckpointFileBytes, kind: "a checkpoint", checkStart: ModelFileReader.startCheck(path)), path: path)
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> Checkpoint {
        let model = try ModelFileReader.decode(bytes, path: path)
        let sections = try ModelFileReader.optionalSections(bytes, path: path)
        func fail(_ m: String) -> FormatError { FormatError(path, m) }
        guard let ckpt = sections["ckpt"], let opts = sections["opts"], let bestData = sections["best"], let hist = sections["hist"] else {
            throw fail("not a checkpoint (a model file without the ckpt/opts/best/hist sections)")
        }
        var r = ByteReader(ckpt)
        guard let count: UInt32 = r.le(), count < 10_000 else { throw fail("section ckpt: corrupt") }
        var kv: [MetadataEntry] = []
        for _ in 0..<count {
            guard let k = r.string(), let v = r.string() else { throw fail("section ckpt: corrupt") }
            kv.append(MetadataEntry(k, v))
        }
        func value(_ k: String) throws -> String {
            guard let v = kv.first(where: { $0.key == k })?.value else { throw fail("section ckpt: no \(k)") }
            return v
        }
        func int(_ k: String) throws -> Int {
            guard let v = Int(try value(k)) else { throw fail("section ckpt: bad \(k)") }
            return v
        }
        var p = TrainerProgress<Float>()
        p.epoch = try int("progress.epoch")
        p.position = try int("progress.position")
        guard let lossBits = UInt64(try value("progress.lossSum")) else { throw fail("section ckpt: bad lossSum") }
        p.lossSum = Double(bitPattern: lossBits)
        p.correct = try int("progress.correct")
        p.seen = try int("progress.seen")
        p.bestEpoch = try int("progress.bestEpoch")
        p.bestScore = UInt64(try value("progress.bestScore")).map { Double(bitPattern: $0) }
        guard let rng = generator(try value("rng")) else { throw fail("section ckpt: bad rng") }
        let epochStart = try value("rng.epochStart")
        p.epochStart = epochStart.isEmpty ? nil : generator(epochStart)
        if p.position > 0 && p.epochStart == nil { throw fail("section ckpt: mid-epoch without the epoch's generator") }
        let dropText = try value("rng.dropout")
        let drops = dropText.isEmpty ? [] : dropText.split(separator: ",").compactMap { generator(String($0)) }
        let settings = kv.filter { !$0.key.hasPrefix("progress.") && !$0.key.hasPrefix("rng") }

        var o = ByteReader(opts)
        guard let step: UInt64 = o.le(), let slotCount: UInt32 = o.le(), let paramCount: UInt32 = o.le(), slotCount <= 4 else {
            throw fail("section opts: corrupt")
        }
        var slots: [[[Float]]] = []
        for _ in 0..<slotCount {
            var slot: [[Float]] = []
            for _ in 0..<paramCount {
                guard let n: UInt32 = o.le(), Int(n) <= o.remaining / 4 else { throw fail("section opts: corrupt") }
                slot.append((0..<Int(n)).map { _ in Float(bitPattern: o.le()!) })
            }
            slots.append(slot)
        }
        var b = ByteReader(bestData)
        guard let bestCount: UInt32 = b.le(), bestCount < 10_000 else { throw fail("section best: corrupt") }
        for _ in 0..<bestCount {
            guard let rows: UInt32 = b.le(), let cols: UInt32 = b.le(), Int(rows) * Int(cols) <= b.remaining / 4 else {
                throw fail("section best: corrupt")
            }
            let n = Int(rows) * Int(cols)
            p.bestParameters.append(Matrix(rows: Int(rows), cols: Int(cols), storage: (0..<n).map { _ in Float(bitPattern: b.le()!) }))
        }
        guard let history = decodeHistory(hist) else { throw fail("section hist: corrupt") }
        p.history = history
        return Checkpoint(model: model, settings: settings, progress: p, rng: rng, dropoutGenerators: drops,
                          optimizer: OptimizerState(step: Int(step), slots: slots))
    }

    private static func hex(_ g: SeededGenerator) -> String {
        [g.state.0, g.state.1, g.state.2, g.state.3].map { String($0, radix: 16) }.joined(separator: ":")
    }

    private static func generator(_ s: String) -> SeededGenerator? {
        let w = s.split(separator: ":").compactMap { UInt64($0, radix: 16) }
        return w.count == 4 ? SeededGenerator(state: (w[0], w[1], w[2], w[3])) : nil
    }

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
        guard let n: UInt32 = r.le(), n < 1_000_000 else { return nil }
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
