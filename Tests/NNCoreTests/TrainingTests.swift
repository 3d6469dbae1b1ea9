import Testing
@testable import NNCore

/// Training end to end on small synthetic problems, for each output kind, and reproducibility.
struct TrainingTests {
    /// Two Gaussian-ish blobs of bytes in 8 dimensions; label 0 or 1; plus a regression target.
    func blobs(_ n: Int, seed: UInt64) -> Dataset {
        var rng = SeededGenerator(seed: seed)
        var features: [UInt8] = [], labels: [Double] = []
        for i in 0..<n {
            let cls = i % 2
            for d in 0..<8 {
                let center = (cls == 0) == (d % 2 == 0) ? 70.0 : 180.0
                features.append(UInt8(max(0, min(255, center + 40 * rng.nextNormal()))))
            }
            labels.append(Double(cls))
        }
        return Dataset(features: features, featureCount: 8, labels: labels)
    }

    func train(_ kind: OutputKind, outputs: Int, data: Dataset, epochs: Int = 30, threads: Int = 1, seed: UInt64 = 1) -> (Network<Float>, Trainer<Float>) {
        Parallelism.threadCount = threads
        defer { Parallelism.threadCount = 1 }
        var rng = SeededGenerator(seed: seed)
        let net = Network<Float>(architecture: .mlp(sizes: [8, 16, outputs], activation: .tanh, output: kind), initializer: .xavier, rng: &rng)
        var config = TrainingConfig()
        config.epochs = epochs
        config.batchSize = 20
        config.optimizer = .adam
        config.learningRate = 0.01
        config.seed = seed
        let trainer = Trainer(network: net, config: config, scaling: InputScaling(), encoding: TargetEncoding(output: kind, outputCount: outputs))
        _ = trainer.run(data)
        return (net, trainer)
    }

    @Test func softmaxClassifierLearns() {
        let (net, t) = train(.softmaxCrossEntropy, outputs: 2, data: blobs(400, seed: 1))
        let r = evaluate(net, on: blobs(400, seed: 2), scaling: t.scaling, encoding: t.encoding)
        #expect(r.accuracy! > 0.95)
    }

    @Test func binarySigmoidLearns() {
        let (net, t) = train(.sigmoidBinaryCrossEntropy, outputs: 1, data: blobs(400, seed: 1))
        let r = evaluate(net, on: blobs(400, seed: 2), scaling: t.scaling, encoding: t.encoding)
        #expect(r.accuracy! > 0.95)
        guard case .classification(let c) = r else { Issue.record("not a classification"); return }
        #expect(c.classCount == 2)
    }

    @Test func regressionLearns() {
        // target: mean of the first two features in [0, 1]
        var data = blobs(400, seed: 3)
        for i in 0..<data.count { data.labels[i] = (Double(data.features[i * 8]) + Double(data.features[i * 8 + 1])) / 510 }
        let (net, t) = train(.identityMeanSquaredError, outputs: 1, data: data, epochs: 60)
        guard case .regression(let r) = evaluate(net, on: data, scaling: t.scaling, encoding: t.encoding) else {
            Issue.record("not a regression"); return
        }
        #expect(r.mse < 0.002, "mse \(r.mse)")
        #expect(r.mae < 0.04, "mae \(r.mae)")
    }

    @Test func sameSeedSameWeightsAnyThreadCount() {
        let data = blobs(300, seed: 4)
        let (a, _) = train(.softmaxCrossEntropy, outputs: 2, data: data, epochs: 3, threads: 1)
        let (b, _) = train(.softmaxCrossEntropy, outputs: 2, data: data, epochs: 3, threads: 2)
        let (c, _) = train(.softmaxCrossEntropy, outputs: 2, data: data, epochs: 3, threads: 1, seed: 2)
        #expect(a.parameters.map(\.value) == b.parameters.map(\.value))
        #expect(a.parameters.map(\.value) != c.parameters.map(\.value))
    }

    /// Products split by rows (C taller than wide) and by columns (wider than tall), with every transpose.
    @Test func parallelGemmIsBitIdentical() {
        var rng = SeededGenerator(seed: 9)
        let shapes = [(100, 784, 100), (37, 50, 13), (784, 100, 100), (100, 100, 10), (13, 784, 100), (6, 300, 300),
                      (50, 784, 300), (50, 300, 784), (784, 50, 300), (100, 512, 17)]
        for (m, k, n) in shapes {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                var a = Matrix<Float>(rows: ta ? k : m, cols: ta ? m : k), b = Matrix<Float>(rows: tb ? n : k, cols: tb ? k : n)
                for i in 0..<a.count { a.storage[i] = Float(rng.nextNormal()) }
                for i in 0..<b.count { b.storage[i] = Float(rng.nextNormal()) }
                Parallelism.threadCount = 1
                let one = matmul(a, transposeA: ta, b, transposeB: tb)
                Parallelism.threadCount = 2
                let two = matmul(a, transposeA: ta, b, transposeB: tb)
                Parallelism.threadCount = 1
                #expect(one == two, "\(m)x\(k)x\(n) transposes \(ta) \(tb)")
                // and against a plain double-precision product
                var maxErr = 0.0
                for r in 0..<m { for c in 0..<n {
                    var s = 0.0
                    for j in 0..<k { s += Double(ta ? a[j, r] : a[r, j]) * Double(tb ? b[c, j] : b[j, c]) }
                    maxErr = max(maxErr, abs(s - Double(one[r, c])))
                } }
                #expect(maxErr < 1e-3)
            }
        }
    }

    @Test func seededSplitAndShuffle() {
        let data = blobs(100, seed: 5)
        let (t1, v1) = data.split(holdOut: 0.2, seed: 42)
        let (t2, v2) = data.split(holdOut: 0.2, seed: 42)
        #expect(v1.count == 20 && t1.count == 80)
        #expect(v1.features == v2.features && t1.labels == t2.labels)
        var g1 = SeededGenerator(seed: 1), g2 = SeededGenerator(seed: 1)
        var x = Array(0..<50), y = Array(0..<50)
        g1.shuffle(&x)
        g2.shuffle(&y)
        #expect(x == y && x != Array(0..<50))
    }

    @Test func confusionMetrics() {
        var c = ClassificationReport(classCount: 3)
        c.confusion = [[5, 1, 0], [2, 3, 1], [0, 0, 4]]
        #expect(c.sampleCount == 16 && c.correct == 12)
        #expect(abs(c.precision(0) - 5.0 / 7) < 1e-12)
        #expect(abs(c.recall(1) - 0.5) < 1e-12)
        #expect(abs(c.f1(2) - 2 * 0.8 * 1 / 1.8) < 1e-12)
        #expect(abs(c.macroRecall - (5.0 / 6 + 0.5 + 1) / 3) < 1e-12)
    }
}
