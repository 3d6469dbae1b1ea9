// Training.swift: mini-batch training. Each epoch reshuffles with the seeded generator; the order of
// every floating-point operation depends only on the seed, never on the thread count. The loop can stop
// after any batch and resume from `TrainerProgress` with exactly the same result (checkpoints).

/// How the learning rate changes over the run.
public enum LearningRateSchedule: Equatable, Sendable {
    case constant
    /// lr * factor^(number of completed `every`-epoch periods)
    case step(every: Int, factor: Double)
    /// lr * (1 + cos(pi * t / T)) / 2 over the run, t in epochs (continuous)
    case cosine
}

/// Hyper-parameters of a training run.
public struct TrainingConfig: Equatable, Sendable {
    public var epochs: Int = 10
    public var batchSize: Int = 100
    public var learningRate: Double = 0.1
    public var optimizer: OptimizerKind = .sgd
    public var weightDecay: Double = 0
    public var seed: UInt64 = 1
    public var schedule: LearningRateSchedule = .constant
    /// Linear warm-up from 0 over this many epochs (fractional allowed), applied on top of the schedule.
    public var warmupEpochs: Double = 0
    /// Early stopping: stop when the validation score has not improved for this many epochs.
    public var patience: Int? = nil
    public init() {}

    /// The learning rate for the batch that ends at fraction `progress` (in (0, 1]) of epoch `epoch`.
    public func learningRate(epoch: Int, progress: Double) -> Double {
        let t = Double(epoch - 1) + progress          // epochs done when this batch completes
        var lr = learningRate
        switch schedule {
        case .constant: break
        case .step(let every, let factor):
            var periods = 0
            if every > 0 { periods = (epoch - 1) / every }
            for _ in 0..<periods { lr *= factor }
        case .cosine:
            let T = Double(max(epochs, 1))
            lr *= (1 + cosine(Double.pi * min(t, T) / T)) / 2
        }
        if warmupEpochs > 0 && t < warmupEpochs { lr *= t / warmupEpochs }
        return lr
    }
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
    /// Learning rate of the epoch's last batch.
    public var learningRate: Double

    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double?, validation: EvaluationReport?, test: EvaluationReport?,
                seconds: Double, samplesPerSecond: Double, learningRate: Double) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.validation = validation
        self.test = test
        self.seconds = seconds
        self.samplesPerSecond = samplesPerSecond
        self.learningRate = learningRate
    }
}

/// Per-sample augmentation hook: rewrites the bytes of one sample in place (see Augmentation).
public typealias SampleTransform = (_ sample: UnsafeMutableBufferPointer<UInt8>, _ rng: inout SeededGenerator) -> Void

/// Where a run is: everything besides the weights and the optimizer that a checkpoint must hold.
public struct TrainerProgress<Scalar: NNFloat> {
    /// The epoch in progress, or the next one to start when `position` is 0.
    public var epoch = 1
    /// Samples of this epoch already trained on.
    public var position = 0
    /// The generator as it was before this epoch's shuffle (regenerates the order on resume).
    public var epochStart: SeededGenerator? = nil
    public var lossSum = 0.0
    public var correct = 0
    public var seen = 0
    public var history: [EpochStats] = []
    /// Early stopping: the best validation score so far, its epoch and weights.
    public var bestScore: Double? = nil
    public var bestEpoch = 0
    public var bestParameters: [Matrix<Scalar>] = []
    public init() {}
}

/// How a run ended.
public enum TrainingOutcome: Equatable, Sendable {
    case finished
    /// No validation improvement for `patience` epochs; the best epoch's weights were restored.
    case stoppedEarly(bestEpoch: Int)
    /// `shouldStop` asked to stop; `progress` holds the place to resume from.
    case interrupted
    /// A non-finite loss: training cannot continue.
    case diverged(epoch: Int, batch: Int, loss: Double)
}

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
    public var progress = TrainerProgress<Scalar>()

    public init(network: Network<Scalar>, config: TrainingConfig, scaling: InputScaling, encoding: TargetEncoding) {
        self.network = network
        self.config = config
        self.scaling = scaling
        self.encoding = encoding
        self.network.weightDecay = Scalar(config.weightDecay)
        self.optimizer = makeOptimizer(config.optimizer, learningRate: Scalar(config.learningRate))
        self.rng = SeededGenerator(seed: config.seed &+ 0x7261_696E)
        network.seedRandomLayers(config.seed)
    }

    /// Trains until `config.epochs` are done, early stopping triggers, the loss diverges, or `shouldStop`
    /// returns true after a batch. After each epoch, evaluates on `validation` and `test` when given.
    /// `onBatch(epoch, done, total, runningLoss)` reports progress; `onEpoch` each finished epoch.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func run(
        _ train: Dataset, validation: Dataset? = nil, test: Dataset? = nil, shouldStop: () -> Bool = { false },
        onBatch: ((Int, Int, Int, Double) -> Void)? = nil, onEpoch: ((EpochStats) -> Void)? = nil
    ) -> TrainingOutcome {
        let clock = ContinuousClock()
        let n = train.count, d = train.featureCount
        var batchBytes = [UInt8]()
        let parameters = network.parameters
        // each step on all the threads or on one, whichever measures faster (StepThreads); everything
        // else (the evaluations, the caller's work after the run) keeps the caller's count
        let most = Parallelism.threadCount
        var stepThreads = StepThreads(most: most)
        defer { Parallelism.threadCount = most }
        while progress.epoch <= config.epochs {
            var order = Array(0..<n)
            if progress.position == 0 {
                progress.epochStart = rng
                rng.shuffle(&order)
                progress.lossSum = 0
                progress.correct = 0
                progress.seen = 0
            } else {
                var replay = progress.epochStart!
                replay.shuffle(&order)   // the same order as when the epoch started
            }
            let start = clock.now
            let firstSample = progress.position
            var lr = config.learningRate
            while progress.position < n {
                let stepStart = clock.now
                Parallelism.threadCount = stepThreads.next()
                let end = min(progress.position + config.batchSize, n)
                let idx = order[progress.position..<end]
                let x: Matrix<Scalar>
                if let augment {
                    batchBytes.removeAll(keepingCapacity: true)
                    for i in idx { batchBytes.append(contentsOf: train.features[(i * d)..<((i + 1) * d)]) }
                    batchBytes.withUnsafeMutableBufferPointer { all in
                        for r in 0..<idx.count { augment(UnsafeMutableBufferPointer(rebasing: all[(r * d)..<((r + 1) * d)]), &rng) }
                    }
                    let batch = Dataset(features: batchBytes, featureCount: d, labels: idx.map { train.labels[$0] })
                    x = scaling.batch(batch, Array(0..<idx.count)[...], as: Scalar.self)
                } else {
                    x = scaling.batch(train, idx, as: Scalar.self)
                }
                let t = encoding.targets(train.labels, idx, as: Scalar.self)
                lr = config.learningRate(epoch: progress.epoch, progress: Double(end) / Double(n))
                optimizer.learningRate = Scalar(lr)
                let loss = network.trainStep(x, t, optimizer: optimizer, parameters: parameters)
                stepThreads.record(seconds(clock.now - stepStart))
                if !loss.isFinite {
                    return .diverged(epoch: progress.epoch, batch: progress.position / config.batchSize + 1, loss: Double(loss))
                }
                progress.lossSum += Double(loss) * Double(idx.count)
                if !encoding.isRegression {
                    let predicted = encoding.predictedClasses(network.output.lastPredictions)
                    for (r, i) in idx.enumerated() where predicted[r] == encoding.classOf(train.labels[i]) { progress.correct += 1 }
                }
                progress.seen += idx.count
                progress.position = end
                onBatch?(progress.epoch, end, n, progress.lossSum / Double(progress.seen))
                if end < n && shouldStop() { return .interrupted }
            }
            Parallelism.threadCount = most
            let epochSeconds = seconds(clock.now - start)
            let seen = Double(max(progress.seen, 1))
            let stats = EpochStats(
                epoch: progress.epoch, trainLoss: progress.lossSum / seen,
                trainAccuracy: encoding.isRegression ? nil : Double(progress.correct) / seen,
                validation: validation.map { evaluate(network, on: $0, scaling: scaling, encoding: encoding) },
                test: test.map { evaluate(network, on: $0, scaling: scaling, encoding: encoding) },
                seconds: epochSeconds, samplesPerSecond: Double(n - firstSample) / max(epochSeconds, 1e-9), learningRate: lr)
            // The progress is complete before onEpoch runs, so a checkpoint written there resumes cleanly.
            progress.history.append(stats)
            progress.epoch += 1
            progress.position = 0
            var stopEarly = false
            if let patience = config.patience, let v = stats.validation {
                // higher is better: accuracy for classifiers, -loss for regression
                let score = v.accuracy ?? -v.loss
                if progress.bestScore == nil || score > progress.bestScore! {
                    progress.bestScore = score
                    progress.bestEpoch = stats.epoch
                    progress.bestParameters = network.allTensors.map { $0.value }
                } else if stats.epoch - progress.bestEpoch >= patience {
                    stopEarly = true
                }
            }
            onEpoch?(stats)
            if stopEarly {
                restoreBest()
                return .stoppedEarly(bestEpoch: progress.bestEpoch)
            }
            if progress.epoch <= config.epochs && shouldStop() { return .interrupted }
        }
        restoreBest()
        return .finished
    }

    private func seconds(_ d: ContinuousClock.Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// With early stopping, the weights of the best validation epoch replace the last ones.
    private func restoreBest() {
        guard config.patience != nil, !progress.bestParameters.isEmpty else { return }
        for (p, v) in zip(network.allTensors, progress.bestParameters) { p.value = v }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func cosine(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@inline(__always) private func cosine(_ x: Double) -> Double { Darwin.cos(x) }
#endif
