// Training.swift: mini-batch training. Each epoch reshuffles with the seeded generator; the order of
// every floating-point operation depends only on the seed, never on the thread count.

/// Hyper-parameters of a training run.
public struct TrainingConfig: Sendable {
    public var epochs: Int = 10
    public var batchSize: Int = 100
    public var learningRate: Double = 0.1
    public var optimizer: OptimizerKind = .sgd
    public var weightDecay: Double = 0
    public var seed: UInt64 = 1
    public init() {}
}

/// Figures of one finished epoch.
public struct EpochStats: Sendable {
    public var epoch: Int
    public var trainLoss: Double
    /// nil for regression
    public var trainAccuracy: Double?
    /// Evaluation on the held-out validation split and on the test set, when given.
    public var validation: EvaluationReport?
    public var test: EvaluationReport?
    public var seconds: Double
    public var samplesPerSecond: Double
}

/// Per-sample augmentation hook: rewrites the bytes of one sample in place (see Augmentation).
public typealias SampleTransform = (_ sample: UnsafeMutableBufferPointer<UInt8>, _ rng: inout SeededGenerator) -> Void

/// Trains a network on byte data with a given target encoding.
public final class Trainer<Scalar: NNFloat> {
    public let network: Network<Scalar>
    public let config: TrainingConfig
    public let scaling: InputScaling
    public let encoding: TargetEncoding
    public var optimizer: any Optimizer<Scalar>
    /// Shuffles batches and drives augmentation; its state is part of a checkpoint.
    public var rng: SeededGenerator
    public var augment: SampleTransform?

    public init(network: Network<Scalar>, config: TrainingConfig, scaling: InputScaling, encoding: TargetEncoding) {
        self.network = network
        self.config = config
        self.scaling = scaling
        self.encoding = encoding
        self.network.weightDecay = Scalar(config.weightDecay)
        self.optimizer = makeOptimizer(config.optimizer, learningRate: Scalar(config.learningRate))
        self.rng = SeededGenerator(seed: config.seed &+ 0x7261_696E)
    }

    /// One pass over `data` in a fresh seeded order. `onBatch(done, total, runningLoss)` reports progress.
    /// Returns (mean loss, accuracy or nil for regression).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func trainEpoch(_ data: Dataset, onBatch: ((Int, Int, Double) -> Void)? = nil) -> (loss: Double, accuracy: Double?) {
        var order = Array(0..<data.count)
        rng.shuffle(&order)
        var lossSum = 0.0, correct = 0, seen = 0
        var start = 0
        var batchBytes = [UInt8]()
        while start < order.count {
            let end = min(start + config.batchSize, order.count)
            let idx = order[start..<end]
            let x: Matrix<Scalar>
            if let augment {
                batchBytes = []
                batchBytes.reserveCapacity(idx.count * data.featureCount)
                for i in idx { batchBytes.append(contentsOf: data.features[(i * data.featureCount)..<((i + 1) * data.featureCount)]) }
                batchBytes.withUnsafeMutableBufferPointer { all in
                    for r in 0..<idx.count {
                        augment(UnsafeMutableBufferPointer(rebasing: all[(r * data.featureCount)..<((r + 1) * data.featureCount)]), &rng)
                    }
                }
                let batch = Dataset(features: batchBytes, featureCount: data.featureCount, labels: idx.map { data.labels[$0] })
                x = scaling.batch(batch, Array(0..<idx.count)[...], as: Scalar.self)
            } else {
                x = scaling.batch(data, idx, as: Scalar.self)
            }
            let t = encoding.targets(data.labels, idx, as: Scalar.self)
            let (loss, scores) = network.gradient(x, t)
            optimizer.update(network.parameters)
            lossSum += Double(loss) * Double(idx.count)
            if !encoding.isRegression {
                let predicted = encoding.predictedClasses(network.output.predict(scores))
                for (r, i) in idx.enumerated() where predicted[r] == encoding.classOf(data.labels[i]) { correct += 1 }
            }
            seen += idx.count
            onBatch?(seen, order.count, lossSum / Double(seen))
            start = end
        }
        let n = Double(max(seen, 1))
        return (lossSum / n, encoding.isRegression ? nil : Double(correct) / n)
    }
}

extension Trainer {
    /// Trains for `config.epochs` epochs. After each epoch, evaluates on `validation` and `test` when given
    /// and reports the figures through `onEpoch`; `onBatch(epoch, done, total, runningLoss)` reports progress.
    /// Returns the stats of every epoch.
    @discardableResult
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func fit(
        _ train: Dataset, validation: Dataset? = nil, test: Dataset? = nil, firstEpoch: Int = 1,
        onBatch: ((Int, Int, Int, Double) -> Void)? = nil, onEpoch: ((EpochStats) -> Void)? = nil
    ) -> [EpochStats] {
        var all: [EpochStats] = []
        let clock = ContinuousClock()
        for epoch in firstEpoch...max(firstEpoch, config.epochs) where epoch <= config.epochs {
            let start = clock.now
            let (loss, accuracy) = trainEpoch(train) { done, total, running in onBatch?(epoch, done, total, running) }
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let stats = EpochStats(
                epoch: epoch, trainLoss: loss, trainAccuracy: accuracy,
                validation: validation.map { evaluate(network, on: $0, scaling: scaling, encoding: encoding) },
                test: test.map { evaluate(network, on: $0, scaling: scaling, encoding: encoding) },
                seconds: seconds, samplesPerSecond: Double(train.count) / max(seconds, 1e-9))
            all.append(stats)
            onEpoch?(stats)
        }
        return all
    }
}
