// Train.swift: `nn-bench train`, the counterpart of /work/shared/bench/torch_mlp.py with the same flags
// and JSON fields, measured the same way (loop-only training time, warm-up, repeats, quiet gate).
//
// Data stay in memory as bytes and are converted to Float one batch at a time, as nn-train does; the
// network is Affine-ReLU-...-Affine with softmax cross-entropy, He initialisation, plain SGD (no
// momentum, no weight decay), trained through NNCore's `Trainer` (shuffle, batch conversion,
// forward/backward, update, running loss and accuracy). Only `Trainer.run`'s training loop is timed
// (its per-epoch seconds); the test evaluation after each epoch is not.
import ArgumentParser
import Foundation
import NNCommandLine
import NNCore
import NNFormats

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train",
        abstract: "Time MLP training and inference on Fashion-MNIST like torch_mlp.py; prints one JSON line.")
    @Option(help: "Hidden sizes, comma separated (100, 512 or 512,512).") var hidden: String = "100"
    @Option var epochs: Int = 1
    @Option var batch: Int = 100
    @Option var lr: Double = 0.1
    @Option(help: "Kernel threads (Parallelism.threadCount).") var threads: Int = 2
    @Option(help: "fashion (FMNIST_DIR or /usr/share/datasets/fashion-mnist) or a directory with the 4 IDX files.")
    var data: String = "fashion"
    @Option var repeats: Int = 3
    @Option var seed: UInt64 = 0
    @Flag var noWarmup = false
    @Option(help: "Before each timed repeat wait until the machine is < this % busy (0 = off).") var quietGate: Double = 0
    @Option(help: "Longest wait for a quiet machine per try, seconds.") var gateMaxWait: Double = 300
    @Flag(help: "For profilers: load once, train --epochs without warm-up, test evaluation or inference; print the rate.")
    var trainOnly = false

    func run() throws {
        let sizes = try hidden.split(separator: ",").map { s -> Int in
            guard let v = Int(s), v > 0 else { throw ToolError("--hidden: '\(s)' is not a positive size") }
            return v
        }
        guard !sizes.isEmpty, epochs >= 1, batch >= 1, repeats >= 1, threads >= 1 else {
            throw ToolError("--hidden, --epochs, --batch, --repeats, --threads must be positive")
        }
        Parallelism.threadCount = threads
        let loadAtStart = loadAverage()
        let dir = data == "fashion" ? (ProcessInfo.processInfo.environment["FMNIST_DIR"] ?? "/usr/share/datasets/fashion-mnist") : data
        let trainFiles = try IDXDataset.standardFiles(in: dir, split: "train")
        let testFiles = try IDXDataset.standardFiles(in: dir, split: "test")

        // gz read + inflate + IDX parse of the 4 files, `repeats` times (the first may be disk-cold).
        var loads: [Double] = []
        var trainSet: Dataset! = nil, testSet: Dataset! = nil
        for _ in 0..<(trainOnly ? 1 : repeats) {
            trainSet = nil; testSet = nil
            let t0 = now()
            let tr = try IDXDataset.load(trainFiles), te = try IDXDataset.load(testFiles)
            loads.append(now() - t0)
            trainSet = tr.dataset
            testSet = te.dataset
        }
        let nTrain = trainSet.count, nTest = testSet.count, d = trainSet.featureCount
        let architecture = Architecture.mlp(sizes: [d] + sizes + [10], activation: .relu, output: .softmaxCrossEntropy)
        let encoding = TargetEncoding(output: .softmaxCrossEntropy, outputCount: 10)
        if let p = encoding.problem(with: trainSet.labels) { throw FormatError(trainFiles.labels, p) }
        let scaling = InputScaling()
        var config = TrainingConfig()
        config.epochs = epochs
        config.batchSize = batch
        config.learningRate = lr
        config.optimizer = .sgd
        config.weightDecay = 0
        config.seed = seed

        func makeTrainer() -> Trainer<Float> {
            var rng = SeededGenerator(seed: seed)
            let net = Network<Float>(architecture: architecture, initializer: .he, rng: &rng)
            return Trainer(network: net, config: config, scaling: scaling, encoding: encoding)
        }

        if trainOnly {
            let t = makeTrainer()
            _ = t.run(trainSet)
            let seconds = t.progress.history.reduce(0) { $0 + $1.seconds }
            emit(JSON.object([("arch", .string(architecture.layersText)), ("threads", .int(threads)),
                              ("epochs", .int(epochs)), ("train_s", .number(round4(seconds))),
                              ("train_samples_per_s", .number(round1(Double(nTrain * epochs) / seconds)))]).text)
            return
        }
        if !noWarmup {   // 50 steps, untimed
            var steps = 0
            _ = makeTrainer().run(trainSet, shouldStop: { steps += 1; return steps >= 50 })
        }

        var trainTimes: [Double] = [], perEpoch: [JSON] = [], accRuns: [[Double]] = [], lossRuns: [[Double]] = []
        var cpu: [JSON] = []
        var trainer: Trainer<Float>! = nil
        for _ in 0..<repeats {
            let (t, info) = cleanRepeat(gate: quietGate, maxWait: gateMaxWait) { () -> Trainer<Float> in
                let t = makeTrainer()
                _ = t.run(trainSet, test: testSet)   // test evaluation after each epoch is outside the timed loop
                return t
            }
            trainer = t
            cpu.append(info)
            let h = t.progress.history
            trainTimes.append(h.reduce(0) { $0 + $1.seconds })
            perEpoch.append(.array(h.map { .number(round4($0.seconds)) }))
            accRuns.append(h.map { (($0.test?.accuracy ?? .nan) * 10_000).rounded() / 10_000 })
            lossRuns.append(h.map { (($0.test?.loss ?? .nan) * 10_000).rounded() / 10_000 })
        }
        let network = trainer.network

        // Inference over the test set: bytes -> Float batch, scores, argmax.
        let all = Array(0..<nTest)
        func infer(_ bs: Int, passes: Int) -> (Double, Int) {
            let t0 = now()
            var correct = 0
            for _ in 0..<passes {
                correct = 0
                var start = 0
                while start < nTest {
                    let end = min(start + bs, nTest)
                    let x = scaling.batch(testSet, all[start..<end], as: Float.self)
                    let s = network.scores(x, mode: .inference)
                    s.storage.withUnsafeBufferPointer { p in
                        for r in 0..<s.rows {
                            var best = 0
                            for j in 1..<s.cols where p[r * s.cols + j] > p[r * s.cols + best] { best = j }
                            if best == Int(testSet.labels[start + r]) { correct += 1 }
                        }
                    }
                    start = end
                }
            }
            return (now() - t0, correct)
        }
        var inf: [(String, JSON)] = []
        for (label, bs) in [("full", nTest), ("b\(batch)", batch), ("b1", 1)] {
            let warm = infer(bs, passes: 1).0
            let passes = max(1, Int((0.5 / max(warm, 1e-6)).rounded(.up)))   // each repeat lasts >= ~0.5 s
            var ts: [Double] = [], infos: [JSON] = [], correct = 0
            for _ in 0..<repeats {
                let ((t, c), info) = cleanRepeat(gate: quietGate, maxWait: gateMaxWait) { infer(bs, passes: passes) }
                ts.append(t); infos.append(info); correct = c
            }
            inf.append((label, .object([("batch", .int(bs)), ("passes_per_repeat", .int(passes)),
                                        ("samples_per_s", rateStats(nTest * passes, ts)),
                                        ("acc", .number((Double(correct) / Double(nTest) * 10_000).rounded() / 10_000)),
                                        ("cpu_per_repeat", .array(infos))])))
        }

        let params = network.parameters.reduce(0) { $0 + $1.value.count }
        let steps = epochs * ((nTrain + batch - 1) / batch)
        let out: JSON = .object([
            ("peer", .string("nn-toolkit")), ("arch", .string(architecture.layersText)),
            ("params", .int(params)), ("data", .string(data)), ("n_train", .int(nTrain)), ("n_test", .int(nTest)),
            ("epochs", .int(epochs)), ("batch", .int(batch)), ("lr", .number(lr)), ("threads", .int(threads)),
            ("repeats", .int(repeats)), ("seed", .int(Int(seed))), ("init", .string("he")), ("optimizer", .string("sgd")),
            ("train_samples_per_s", rateStats(nTrain * epochs, trainTimes)),
            ("train_s", stats(trainTimes, digits: 4)),
            ("ms_per_step", .number(round4(1000 * median(trainTimes) / Double(steps)))),
            ("epoch_s_per_run", .array(perEpoch)),
            ("test_acc_final", .number(accRuns.last!.last!)),
            ("test_acc_per_epoch", .array(accRuns.last!.map { .number($0) })),
            ("test_loss_per_epoch", .array(lossRuns.last!.map { .number($0) })),
            ("test_acc_final_all_runs", .array(accRuns.map { .number($0.last!) })),
            ("infer", .object(inf)),
            ("load", .object([("gz_load_s", stats(loads)), ("to_float_s", .null)])),
            ("peak_rss_mb", .number(round1(peakRSSMegabytes()))),
            ("cpu_per_repeat", .array(cpu)),
            ("machine", .object([("loadavg_at_start", .array(loadAtStart.map { .number($0) })),
                                 ("date_utc", .string(isoNow()))])),
        ])
        emit(out.text)
    }
}

func loadAverage() -> [Double] {
    var l = [Double](repeating: 0, count: 3)
    _ = getloadavg(&l, 3)
    return l.map { ($0 * 100).rounded() / 100 }
}

func isoNow() -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
    return f.string(from: Date())
}
