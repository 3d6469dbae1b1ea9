// CheckpointFormatTests.swift: the checkpoint sections (docs/model-format.md, "Checkpoints"): every field
// survives encoding, the typed-field reader refuses what does not fit, validate() catches progress that
// does not fit the run, and the data fingerprint is SHA-256 of the first MiB (FIPS 180-2 vectors).
import Testing
@testable import NNCore
import NNDigest
@testable import NNFormats

struct CheckpointFormatTests {
    /// A 6-4-3 network with batch norm and dropout, Adam, stopped 20 samples into epoch 3 of 5 with early
    /// stopping's best weights from epoch 2: every kind of field in use.
    func sample() -> Checkpoint {
        var rng = SeededGenerator(seed: 11)
        let arch = Architecture.mlp(sizes: [6, 4, 3], activation: .relu, output: .softmaxCrossEntropy, batchNorm: [0], dropout: [0: 0.25])
        let net = Network<Float>(architecture: arch, initializer: .he, rng: &rng)
        let model = Model(network: net, scaling: InputScaling(), metadata: [MetadataEntry("tool", "test")])
        var config = TrainingConfig()
        config.epochs = 5
        config.batchSize = 10
        config.optimizer = .adam
        config.learningRate = 0.002
        config.schedule = .step(every: 2, factor: 0.5)
        config.warmupEpochs = 0.5
        config.weightDecay = 1e-4
        config.seed = UInt64.max - 3
        config.patience = 3
        let run = TrainingRun(
            layers: "6-4-3", activation: .relu, loss: .softmaxCrossEntropy, batchNorm: "all", dropout: "0.25", initializer: .he,
            positiveClass: nil, config: config, augmentation: AugmentationSettings(shift: 2, rotation: 12, elastic: 0.1),
            validationSplit: 0.2, workingDirectory: "/work/run", dataSource: .directory, dataDirectory: "data", dataName: "data/train-images",
            dataFiles: [DataFileRecord(role: .trainImages, path: "data/train-images", fingerprint: FileFingerprint(of: [1, 2, 3])),
                        DataFileRecord(role: .trainLabels, path: "data/train-labels", fingerprint: FileFingerprint(of: [4])),
                        DataFileRecord(role: .testImages, path: "data/t10k-images", fingerprint: FileFingerprint(of: [])),
                        DataFileRecord(role: .testLabels, path: "it's\ta \"path\"", fingerprint: FileFingerprint(of: [5, 6]))],
            output: "m.nnm", metrics: "m.jsonl", plot: nil, checkpoint: "m.nnm.ckpt", checkpointEvery: 2)
        var p = TrainerProgress<Float>()
        p.epoch = 3
        p.position = 20
        p.epochStart = SeededGenerator(seed: 5)
        p.lossSum = 21.5
        p.correct = 7
        p.seen = 20
        p.bestEpoch = 2
        p.bestScore = 0.75
        p.bestParameters = net.allTensors.map { $0.value }
        var classification = ClassificationReport(classCount: 2, loss: 0.5)
        classification.confusion = [[6, 4], [0, 0]]
        p.history = [EpochStats(epoch: 1, trainLoss: 1.5, trainAccuracy: 0.5, validation: .classification(classification), test: nil,
                                seconds: 0.25, samplesPerSecond: 400, learningRate: 0.001),
                     EpochStats(epoch: 2, trainLoss: 1.25, trainAccuracy: nil, validation: nil,
                                test: .regression(RegressionReport(sampleCount: 3, loss: 0.5, mse: 1, mae: 0.75)),
                                seconds: 0.5, samplesPerSecond: 200, learningRate: 0.002)]
        let trained = net.parameters.map { [Float](repeating: 0.125, count: $0.value.count) }
        // 8 steps = 2 epochs of 3 batches (25 samples in batches of 10) + 2 batches of epoch 3
        return Checkpoint(model: model, run: run, progress: p, rng: SeededGenerator(seed: 9), dropoutGenerators: [SeededGenerator(seed: 8)],
                          optimizer: OptimizerState(step: 8, slots: [trained, trained]))
    }

    @Test func everyFieldSurvivesEncoding() throws {
        let c = sample()
        let bytes = CheckpointCodec.encode(c)
        #expect(CheckpointCodec.encode(c) == bytes, "deterministic")
        let d = try CheckpointCodec.decode(bytes, path: "c.ckpt")
        #expect(d.model == c.model && d.run == c.run && d.rng == c.rng && d.dropoutGenerators == c.dropoutGenerators && d.optimizer == c.optimizer)
        let (a, b) = (d.progress, c.progress)
        #expect(a.epoch == b.epoch && a.position == b.position && a.epochStart == b.epochStart && a.lossSum == b.lossSum)
        #expect(a.correct == b.correct && a.seen == b.seen && a.bestEpoch == b.bestEpoch && a.bestScore == b.bestScore)
        #expect(a.bestParameters == b.bestParameters)
        #expect(a.history.map(\.epoch) == [1, 2] && a.history[0].validation?.accuracy == 0.6 && a.history[1].test?.loss == 0.5)
        #expect(a.history[1].trainAccuracy == nil && a.history[1].learningRate == 0.002)
        try d.validate(path: "c.ckpt")
        try d.validate(trainingSamples: 25, path: "c.ckpt")
        // a checkpoint is a model file: the model reader skips its sections
        #expect(try ModelFileReader.decode(bytes, path: "c.ckpt") == c.model)
    }

    func expectRefusal(_ c: Checkpoint, samples: Int? = nil, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let d = try CheckpointCodec.decode(CheckpointCodec.encode(c), path: "c.ckpt")
            try d.validate(path: "c.ckpt")
            if let samples { try d.validate(trainingSamples: samples, path: "c.ckpt") }
            Issue.record("accepted (expected '\(fragment)')", sourceLocation: sourceLocation)
        } catch let e as FormatError {
            #expect(e.path == "c.ckpt" && e.message.contains(fragment), "\(e.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
        }
    }

    /// Progress that does not fit the run or the network is refused naming the section and field, and
    /// never traps (a batch size of 0, an epoch count of -3).
    @Test func progressThatDoesNotFitIsRefused() {
        func with(_ change: (inout Checkpoint) -> Void) -> Checkpoint {
            var c = sample()
            change(&c)
            return c
        }
        expectRefusal(with { $0.progress.epoch = 0 }, "section prog: field epoch: 0 is before the first epoch")
        expectRefusal(with { $0.progress.epoch = 6 }, "field epoch: 6 is past the run's 5 epochs")
        expectRefusal(with { $0.run.config.epochs = -3 }, "field epoch: 3 is past the run's -3 epochs")
        // ranges are nn-train's to check (OptionRules); validate only must not trap on them
        var zeroBatch = sample()
        zeroBatch.run.config.batchSize = 0
        zeroBatch.run.config.epochs = Int.max
        #expect(throws: Never.self) { try zeroBatch.validate(path: "c.ckpt") }
        #expect(throws: Never.self) { try zeroBatch.validate(trainingSamples: Int.max, path: "c.ckpt") }
        expectRefusal(with { $0.progress.position = -10 }, "field position: -10 is negative")
        expectRefusal(with { $0.progress.position = 25 }, "not a multiple of the batch size 10")
        expectRefusal(with { $0.progress.epochStart = nil }, "field rng.epoch-start: missing")
        expectRefusal(with { $0.progress.seen = 30 }, "field seen")
        expectRefusal(with { $0.progress.correct = 21 }, "field correct")
        expectRefusal(with { $0.progress.lossSum = -.infinity }, "field loss-sum")
        expectRefusal(with { $0.progress.history.removeLast() }, "section hist: holds epochs 1, the run has finished 2")
        expectRefusal(with { $0.progress.bestEpoch = 3 }, "field best-epoch: 3 is not a finished epoch")
        expectRefusal(with { $0.progress.bestScore = nil }, "field best-score: missing")
        expectRefusal(with { $0.run.config.patience = nil }, "no patience")
        expectRefusal(with { $0.progress.bestParameters.removeLast() }, "section best: holds 7 tensors, the network has 8")
        expectRefusal(with { $0.progress.bestParameters[0] = Matrix(rows: 4, cols: 6) }, "tensor W1 is 4x6, the network's is 6x4")
        expectRefusal(with { $0.progress.bestParameters[1].storage[0] = .nan }, "tensor b1 has a non-finite value")
        expectRefusal(with { $0.optimizer.slots.removeLast() }, "section opts: 1 slot(s) of optimizer memory; adam keeps 2")
        expectRefusal(with { $0.optimizer.slots[0].removeLast(); $0.optimizer.slots[1].removeLast() }, "slot 1 holds 5 tensors, the network trains 6")
        expectRefusal(with { $0.optimizer.slots[1].removeLast() }, "section opts: truncated in slot 2, tensor 6")  // framing: 6 tensors a slot
        expectRefusal(with { $0.optimizer.slots[1][2].append(0) }, "slot 2, tensor gamma1: 5 values, the tensor has 4")
        expectRefusal(with { $0.optimizer.slots[1][0][3] = -1 }, "slot 2, tensor W1: value -1.0 at index 3 is impossible")
        expectRefusal(with { $0.run.config.optimizer = .momentum }, "2 slot(s) of optimizer memory; momentum keeps 1")
        expectRefusal(with { $0.rng = SeededGenerator(state: (0, 0, 0, 0)) }, "field rng: the all-zero generator state")
        expectRefusal(with { $0.dropoutGenerators = [] }, "field rng.dropout: 0 generator states, the network has 1 dropout layers")
        expectRefusal(sample(), samples: 20, "field position: 20 is not inside an epoch: the training set has 20 samples")
        expectRefusal(sample(), samples: 35, "section opts: step 8, but epoch 3 at sample 20 of 35 in batches of 10 is step 10")
    }

    /// The typed fields: a value of another type, an unknown, repeated or truncated field, and fields that
    /// need each other are each refused naming the field.
    @Test func fieldsAreReadStrictly() throws {
        func conf(_ edit: (inout [UInt8]) -> Void) -> [UInt8] {
            var bytes = CheckpointCodec.encodeRun(sample().run)
            edit(&bytes)
            return bytes
        }
        func expect(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(throws: FormatError.self, sourceLocation: sourceLocation) {
                do { _ = try CheckpointCodec.decodeRun(bytes, path: "c.ckpt") } catch let e as FormatError {
                    #expect(e.message.contains(fragment), "\(e.message)", sourceLocation: sourceLocation)
                    throw e
                }
            }
        }
        #expect(try CheckpointCodec.decodeRun(conf { _ in }, path: "c.ckpt") == sample().run)
        var w = FieldWriter()
        w.text("epochs", "20")
        var reader = try FieldReader(w.encoded, section: "conf", path: "c.ckpt", known: ["epochs"])
        #expect(throws: FormatError("c.ckpt", "section conf: field epochs: is of type text, expected int")) { try reader.int("epochs") }
        expect(conf { $0 += [0] }, "section conf: 1 unexpected trailing bytes")
        expect(conf { $0.removeLast() }, "past the section's end")
        var extra = FieldWriter()
        extra.text("colour", "blue")
        expect(conf { $0[0] += 1; $0 += extra.encoded.dropFirst(4) }, "unknown field 'colour'")
        var twice = FieldWriter()
        twice.int("epochs", 1)
        expect(conf { $0[0] += 1; $0 += twice.encoded.dropFirst(4) }, "field epochs: appears twice")
        var odd = FieldWriter()
        odd.int("lr-schedule.every", 3)
        var cosine = sample().run
        cosine.config.schedule = .cosine
        expect(CheckpointCodec.encodeRun(cosine).enumerated().map { $0.offset == 0 ? $0.element + 1 : $0.element } + odd.encoded.dropFirst(4),
               "field lr-schedule.every: given, but lr-schedule is not step")
        var noLabels = sample().run
        noLabels.dataFiles.remove(at: 1)
        expect(CheckpointCodec.encodeRun(noLabels), "field data.train-labels.path: missing (train-images is there)")
        var files = sample().run
        files.dataSource = .files
        expect(CheckpointCodec.encodeRun(files), "field data.directory: given, but data.source is files")
    }

    /// The fingerprint: the size, and SHA-256 of the first MiB only (FIPS 180-2 vectors for the digest).
    @Test func fingerprintIsSHA256OfTheFirstMiB() {
        func hex(_ b: [UInt8]) -> String { b.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
        #expect(hex(FileFingerprint(of: Array("abc".utf8)).sha256) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(FileFingerprint(of: []).sha256) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var h = SHA256()
        h.update(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
        #expect(h.finalize() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let mib = [UInt8](repeating: 0x61, count: 1 << 20)
        let longer = FileFingerprint(of: mib + [1, 2, 3]), exact = FileFingerprint(of: mib)
        #expect(longer.sha256 == exact.sha256 && longer.size == exact.size + 3 && longer != exact)
        var million = SHA256()
        million.update(mib)
        #expect(million.finalizeBytes() == exact.sha256)
        #expect(FileFingerprint(of: [UInt8](repeating: 0x61, count: 1_000_000)).text.hasPrefix("1,000,000 bytes, first MiB SHA-256 cdc76e5c9914fb92"))
    }

    /// A model file is no checkpoint; the checkpoints of earlier builds (settings as a command line) are
    /// refused with what to do.
    @Test func modelsAndOldCheckpointsAreNoCheckpoints() throws {
        let model = sample().model
        #expect(throws: FormatError.self) { try CheckpointCodec.decode(ModelFileWriter.encode(model), path: "m.nnm") }
        var old = ModelFileWriter.encode(model)
        old.removeLast(12)
        var kv = [UInt8]()
        kv.appendLE(UInt32(1))
        kv.appendString("nn-train.arguments")
        kv.appendString("--help")
        ModelFileWriter.appendSection(&old, "ckpt", kv)
        ModelFileWriter.appendSection(&old, "IEND", [])
        do {
            _ = try CheckpointCodec.decode(old, path: "old.ckpt")
            Issue.record("an old checkpoint was read")
        } catch let e as FormatError {
            #expect(e.message.contains("a checkpoint of an earlier nn-train") && e.message.contains("start the run again"), "\(e.message)")
        }
        #expect(try ModelFileReader.decode(old, path: "old.ckpt") == model, "still a model for nn-eval and nn-predict")
    }
}
