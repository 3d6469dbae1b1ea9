// GradientCheck.swift: backprop against central differences, in float64, for a model's network or one a
// configuration describes, with a verdict: what nn-gradcheck prints, for CI jobs written in Swift.
//
// The check itself is NNCore's checkGradients (Network/GradientCheck.swift explains the numerics: the
// step, Richardson extrapolation, kinks); this file picks the network and the batch the way nn-gradcheck
// does, so the same settings give the same figures as the tool.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNCore
import NNFormats

/// A known bug in a backward pass, planted on purpose to prove that a gradient check fails.
public typealias PlantedFault = NNCore.Fault

/// A gradient check: backprop's gradient of every parameter tensor compared with central differences,
/// in float64, with a verdict. The defaults are `nn-gradcheck`'s.
///
/// ```swift
/// let model = try Classifier(contentsOf: "models/mnist-default.nnm")
/// let result = try GradientCheck().check(model)
/// guard result.passed else { fatalError("backprop is wrong: \(result.tensors.filter { $0.verdict != .pass })") }
/// ```
public struct GradientCheck: Sendable, Equatable {
    /// Central-difference step h (`--step`).
    public var step = 1e-3
    /// Coordinates checked per tensor, a seeded sample (`--coordinates`); nil checks every one (`--all`).
    public var coordinatesPerTensor: Int? = 200
    /// A coordinate fails when its relative error exceeds this (`--rtol`) and its absolute difference
    /// exceeds ``absoluteTolerance``.
    public var relativeTolerance = 1e-6
    /// The absolute difference a failing coordinate exceeds too (`--atol`).
    public var absoluteTolerance = 1e-10
    /// Floor of the relative error's denominator: |a - n| / max(|a|, |n|, floor) (`--floor`).
    public var relativeErrorFloor = 1e-6
    /// Seed of a configuration's initial weights, the samples picked and the coordinates sampled (`--seed`).
    public var seed: UInt64 = 1
    /// L2 weight decay included in the loss (`--weight-decay`).
    public var weightDecay = 0.0
    /// Samples in the batch: picked at random (with the seed) from the data, or synthesised (`--samples`).
    public var sampleCount = 3
    /// Worker threads (nil: all cores); the results do not depend on it.
    public var threads: Int? = nil
    /// A bug to plant in the network before checking (nil: none): the check must then fail.
    public var plantedFault: PlantedFault? = nil

    /// A check with `nn-gradcheck`'s defaults: 200 coordinates per tensor, rtol 1e-6, atol 1e-10, 3 samples.
    public init() {}

    /// Where the batch comes from.
    public enum Samples: Sendable, Equatable {
        /// Seeded synthetic inputs in [0, 1] (pixel-like bytes, scaled) with random classes or targets.
        case synthetic
        /// IDX files (gzipped or not): images of the network's input size and one label per image.
        case files(images: String, labels: String)
        /// Samples in memory: one byte array per sample (the network's input size), one label per sample.
        case values([[UInt8]], labels: [Double])
    }

    /// Checks a model's network at its stored weights (a model loaded from a file or from `Data`).
    public func check(_ model: Classifier, on samples: Samples = .synthetic) throws(ToolkitError) -> GradientCheckResult {
        let subject = GradientCheckSubject(model: model.model)
        return try check(subject, samples: samples.loaded(inputSize: subject.architecture.inputSize))
    }

    /// Checks a freshly initialised network: the one `configuration`'s layers, activation, loss, batch norm,
    /// dropout and initialiser describe, with weights drawn from ``seed`` (the configuration's training
    /// settings, its seed and weight decay included, are not used). `nn-gradcheck --layers` without
    /// `--layers` checks 784-50-10.
    public func check(_ configuration: TrainingConfiguration, on samples: Samples = .synthetic) throws(ToolkitError) -> GradientCheckResult {
        let architecture = try configuration.architecture()
        if let problem = architecture.validate() { throw .invalidConfiguration("layers \(configuration.layers): \(problem)") }
        let subject = GradientCheckSubject(architecture: architecture,
                                           initializer: configuration.initializer ?? WeightInit.default(for: configuration.activation), seed: seed)
        return try check(subject, samples: samples.loaded(inputSize: architecture.inputSize))
    }

    /// Checks `subject` on `sampleCount` samples picked from `samples` (its data and the name that stands
    /// for it in the result), or on synthetic ones when nil. nn-gradcheck's entry: it loads and names the
    /// files itself.
    package func check(_ subject: GradientCheckSubject, samples: (data: Dataset, name: String)?) throws(ToolkitError) -> GradientCheckResult {
        guard step > 0, step.isFinite, (coordinatesPerTensor ?? 1) >= 1, relativeTolerance >= 0, absoluteTolerance >= 0,
              relativeErrorFloor > 0, weightDecay >= 0, weightDecay.isFinite, sampleCount >= 1, (threads ?? 1) >= 1 else {
            throw .invalidConfiguration("gradient check: the step and floor must be positive, the tolerances and weight decay "
                + "at least 0, the samples, coordinates and threads at least 1")
        }
        let architecture = subject.architecture
        let inputs = architecture.inputSize
        var rng = SeededGenerator(seed: seed &+ 0x6772_6164)
        // x: [samples, inputs] scaled as the network takes them; targets as its loss takes them
        let x: Matrix<Double>, targets: Targets<Double>, dataName: String
        if let (data, name) = samples {
            guard data.featureCount == inputs else {
                throw .inputMismatch("\(name): samples have \(data.featureCount) values, the network takes \(inputs)")
            }
            let encoding = subject.encoding(forLabels: data.labels)
            if let problem = encoding.problem(with: data.labels) { throw .invalidData("\(name): \(problem)") }
            var order = Array(0..<data.count)
            rng.shuffle(&order)
            let picks = Array(order.prefix(sampleCount))
            x = subject.scaling.batch(data, picks[...], as: Double.self)
            targets = encoding.targets(data.labels, picks[...], as: Double.self)
            dataName = "\(picks.count) samples of \(name)"
        } else {
            // Synthetic: pixel-like inputs in [0, 1], random classes or targets.
            let count: Int
            do { count = try CheckedSize.product([sampleCount, inputs], limit: SizeLimits.maxTensorElements, field: "sampleCount x inputs per sample") } catch {
                throw .invalidConfiguration("\(error)")
            }
            var bytes = [UInt8](repeating: 0, count: count)
            for i in 0..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: rng.next() >> 56) }
            x = subject.scaling.batch(Dataset(features: bytes, featureCount: inputs, labels: [Double](repeating: 0, count: sampleCount)),
                                      Array(0..<sampleCount)[...], as: Double.self)
            let outputs = architecture.outputSize
            var t = Matrix<Double>(rows: sampleCount, cols: outputs)
            switch architecture.output {
            case .softmaxCrossEntropy:
                targets = .labels((0..<sampleCount).map { _ in rng.nextInt(below: outputs) })
            case .sigmoidBinaryCrossEntropy:
                for i in 0..<t.count { t.storage[i] = Double(rng.nextInt(below: 2)) }
                targets = .values(t)
            case .identityMeanSquaredError:
                for i in 0..<t.count { t.storage[i] = rng.nextNormal() }
                targets = .values(t)
            }
            dataName = "\(sampleCount) synthetic samples (seed \(seed))"
        }
        var config = GradientCheckConfig()
        config.step = step
        config.coordinates = coordinatesPerTensor
        config.seed = seed
        config.rtol = relativeTolerance
        config.atol = absoluteTolerance
        config.floor = relativeErrorFloor
        config.threads = threads ?? max(1, min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), SizeLimits.maxThreads))
        // one network per worker thread, each with the fault planted
        let build = { [weightDecay, plantedFault] () -> Network<Double> in
            let net = subject.makeNetwork()
            net.weightDecay = weightDecay
            return plantedFault.map { $0.plant(in: net) } ?? net
        }
        let clock = ContinuousClock(), start = clock.now
        let network = build()
        let results = checkGradients(network, x: x, targets: targets, config: config, makeReplica: build)
        let elapsed = start.duration(to: clock.now).components
        return GradientCheckResult(title: architecture.summary, dataName: dataName, tensors: results.map(GradientCheckResult.Tensor.init),
                                   tiedPoolWindows: tiedPoolWindows(network, x: x),
                                   seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18)
    }
}

extension GradientCheck.Samples {
    /// The samples as a data set and the name that stands for them (nil: synthetic).
    func loaded(inputSize: Int) throws(ToolkitError) -> (data: Dataset, name: String)? {
        switch self {
        case .synthetic:
            return nil
        case .files(let images, let labels):
            do { return (try IDXDataset.load(DataFiles(images: images, labels: labels)).dataset, images) } catch {
                throw ToolkitError.from(error, model: false)
            }
        case .values(let samples, let labels):
            guard !samples.isEmpty, samples.count == labels.count else {
                throw .invalidData("\(samples.count) samples and \(labels.count) labels: give one label per sample, at least one")
            }
            if let bad = samples.firstIndex(where: { $0.count != inputSize }) {
                throw .inputMismatch("sample \(bad) has \(samples[bad].count) values, the network takes \(inputSize)")
            }
            return (Dataset(features: samples.flatMap { $0 }, featureCount: inputSize, labels: labels), "samples")
        }
    }
}

/// The network a gradient check runs on: how to build it (once per worker thread), and how it takes its
/// inputs and labels.
package struct GradientCheckSubject {
    package var architecture: Architecture
    package var scaling: InputScaling
    package var encoding: TargetEncoding
    package var makeNetwork: () -> Network<Double>

    /// A model's network at its stored weights, with its input scaling and labels.
    package init(model: Model) {
        architecture = model.architecture
        scaling = model.scaling
        encoding = model.encoding
        makeNetwork = { model.network(Double.self) }
    }

    /// A new network of `architecture`, initialised from `seed` (and its dropout layers seeded from it);
    /// `positiveClass` for a yes/no network on multi-class labels.
    package init(architecture: Architecture, initializer: WeightInit, seed: UInt64, positiveClass: Int? = nil) {
        self.architecture = architecture
        scaling = InputScaling()
        encoding = TargetEncoding(output: architecture.output, outputCount: architecture.outputSize, positiveClass: positiveClass)
        makeNetwork = {
            var rng = SeededGenerator(seed: seed)
            let net = Network<Double>(architecture: architecture, initializer: initializer, rng: &rng)
            net.seedRandomLayers(seed)
            return net
        }
    }

    /// How `labels` become targets: a 1-output sigmoid network with no positive class of its own, given
    /// labels beyond 1, counts label 0 as the positive class.
    package func encoding(forLabels labels: [Double]) -> TargetEncoding {
        if encoding.isBinary && encoding.positiveClass == nil && labels.contains(where: { $0 > 1 }) {
            return TargetEncoding(output: encoding.output, outputCount: 1, positiveClass: 0)
        }
        return encoding
    }
}

/// The outcome of a ``GradientCheck``: one result per parameter tensor, and the verdict.
public struct GradientCheckResult: Sendable, Equatable {
    /// The network checked: "784-50-10 relu softmax-ce".
    public var title: String
    /// The batch: "3 samples of FILE" or "3 synthetic samples (seed 1)".
    public var dataName: String
    /// One result per parameter tensor, in layer order (W1, b1, W2, b2, ...).
    public var tensors: [Tensor]
    /// Max-pool windows tied at the point checked (their steps cross kinks); nil without max pooling.
    public var tiedPoolWindows: Int?
    /// How long the check took, in seconds.
    public var seconds: Double

    /// True when every tensor passed: the gate.
    public var passed: Bool { tensors.allSatisfy { $0.verdict == .pass } }
    /// Coordinates compared, over all tensors.
    public var checkedCoordinates: Int { tensors.reduce(0) { $0 + $1.checked } }
    /// The largest relative error of any coordinate (0 when none was checked).
    public var maxRelativeError: Double { tensors.map(\.maxRelativeError).max() ?? 0 }

    /// The check of one parameter tensor.
    public struct Tensor: Sendable, Equatable {
        /// Why a tensor passed or failed.
        public enum Verdict: String, Sendable {
            /// Every checked coordinate within the tolerances.
            case pass
            /// Some coordinate beyond both tolerances: backprop is wrong (or the tolerances too tight).
            case mismatch
            /// Nothing was tested: no coordinate could be checked, or all gradients are (near) zero.
            case vacuous
        }
        /// The tensor's name: W1, b1, gamma1, ...
        public var name: String
        /// Its shape, rows by columns.
        public var rows: Int, cols: Int
        /// Coordinates compared.
        public var checked: Int
        /// Coordinates skipped because the step crossed a kink (a ReLU unit or a max-pool winner changed).
        public var skippedAtKinks: Int
        /// The largest |backprop - numerical| difference.
        public var maxAbsDifference: Double
        /// The largest relative error |a - n| / max(|a|, |n|, floor).
        public var maxRelativeError: Double
        /// The largest relative error over coordinates whose gradient exceeds 1e-6.
        public var maxRelativeErrorSignificant: Double
        /// The coordinate with the largest relative error (-1 when none was checked).
        public var worstIndex: Int
        /// Backprop's and the central difference's gradient at ``worstIndex``.
        public var worstBackprop: Double, worstNumeric: Double
        /// Euclidean norms of backprop's and the numerical gradient over the checked coordinates.
        public var backpropNorm: Double, numericNorm: Double
        /// Coordinates beyond both tolerances.
        public var failures: Int
        /// The verdict.
        public var verdict: Verdict
        /// True when the gradient is zero by construction (a bias right before batch norm): zero passes.
        public var expectedZero: Bool

        init(_ t: TensorCheck) {
            name = t.name
            rows = t.rows
            cols = t.cols
            checked = t.checked
            skippedAtKinks = t.skippedAtKinks
            maxAbsDifference = t.maxAbsDifference
            maxRelativeError = t.maxRelativeError
            maxRelativeErrorSignificant = t.maxRelativeErrorSignificant
            worstIndex = t.worstIndex
            worstBackprop = t.worstAnalytic
            worstNumeric = t.worstNumeric
            backpropNorm = t.analyticNorm
            numericNorm = t.numericNorm
            failures = t.failures
            verdict = Verdict(rawValue: t.verdict.rawValue)!
            expectedZero = t.expectedZero
        }
    }
}
