// nn-gradcheck: compares backprop gradients with central differences in float64, with a verdict.
// Exit 0: every tensor passes; 1: a gradient mismatch or a vacuous check; 2: usage or input error.
import ArgumentParser
import Foundation
import NNCommandLine
import NNCore
import NNFormats

enum CheckFormat: String, ExpressibleByArgument, CaseIterable { case table, json, junit }

struct NNGradcheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nn-gradcheck",
        abstract: "Check backprop gradients against central differences (float64): a CI gate.",
        usage: "nn-gradcheck [-m MODEL | --layers SPEC] [--data DIR | --images FILE --labels FILE] [options]",
        discussion: """
            Checks every parameter tensor of a network, either stored in a model file (--model, at its \
            weights) or freshly initialised from --layers. Data: a few samples of an IDX set, or seeded \
            synthetic inputs and targets. A tensor fails when a coordinate's relative error exceeds --rtol \
            and its absolute difference exceeds --atol, or when all its gradients are zero (a vacuous \
            check). Coordinates whose step crosses a kink (a ReLU unit flips, a max-pool window changes its winner) are \
            skipped and counted; max-pool windows tied at the checked point are reported.
            """,
        version: versionText)

    @Option(name: [.short, .customLong("model")], help: "Model file to check (- for stdin).") var model: String?
    @OptionGroup(title: "Network (when no --model is given; default 784-50-10)") var network: NetworkOptions
    @Option(help: "Seed for initialisation, samples and sampled coordinates.") var seed: UInt64 = 1
    @Option(help: OptionRules.weightDecay.help("L2 weight decay to include in the loss.")) var weightDecay: Double = 0

    @Option(help: "Directory with the standard IDX files (the training split is used).") var data: String?
    @Option(help: "IDX images file.") var images: String?
    @Option(help: "IDX labels file.") var labels: String?
    @Option(help: OptionRules.samples.help("Samples in the batch (picked at random with the seed).")) var samples: Int = 3

    @Option(help: OptionRules.step.help("Central-difference step h.")) var step: Double = 1e-3
    @Flag(help: "Check every coordinate of every tensor.") var all = false
    @Option(help: OptionRules.coordinates.help("Coordinates sampled per tensor when --all is not given.")) var coordinates: Int = 200
    @Option(help: OptionRules.rtol.help("Relative tolerance: |a-n| / max(|a|, |n|, floor).")) var rtol: Double = 1e-6
    @Option(help: OptionRules.atol.help("Absolute tolerance: a coordinate fails only beyond both.")) var atol: Double = 1e-10
    @Option(help: OptionRules.floor.help("Floor of the relative error's denominator.")) var floor: Double = 1e-6
    @Option(help: "Output: table, json, junit.") var format: CheckFormat = .table
    @Option(help: OptionRules.threads.help("Worker threads (default: all cores; results do not depend on it).")) var threads: Int?
    @Option(help: .hidden) var fault: String?

    func validate() throws {
        try OptionRules.weightDecay.check(weightDecay)
        try OptionRules.samples.check(samples)
        try OptionRules.step.check(step)
        try OptionRules.coordinates.check(coordinates)
        try OptionRules.rtol.check(rtol)
        try OptionRules.atol.check(atol)
        try OptionRules.floor.check(floor)
        try OptionRules.threads.check(threads)
    }

    func run() throws {
        var runFiles = RunFiles()
        runFiles.input("-m", model)
        runFiles.input("--images", images)
        runFiles.input("--labels", labels)
        try runFiles.check()
        let fault = try self.fault.map { name -> Fault in
            guard let f = Fault(rawValue: name) else { throw ToolError("unknown --fault \(name)") }
            return f
        }
        let problem = try Problem.make(self)
        var config = GradientCheckConfig()
        config.step = step
        config.coordinates = all ? nil : coordinates
        config.seed = seed
        config.rtol = rtol
        config.atol = atol
        config.floor = floor
        config.threads = threads ?? min(ProcessInfo.processInfo.activeProcessorCount, SizeLimits.maxThreads)
        let build = { () -> Network<Double> in
            let net = problem.makeNetwork()
            net.weightDecay = weightDecay
            return fault.map { $0.plant(in: net) } ?? net
        }
        let start = Date()
        let network = build()
        let results = checkGradients(network, x: problem.x, targets: problem.targets, config: config, makeReplica: build)
        let seconds = Date().timeIntervalSince(start)
        var report = CheckReport(title: problem.title, samples: problem.x.rows, dataName: problem.dataName, config: config,
                                 results: results, seconds: seconds)
        report.tiedPoolWindows = tiedPoolWindows(network, x: problem.x)
        switch format {
        case .table: emit(report.table())
        case .json: emit(report.json())
        case .junit: emit(report.junit())
        }
        if !report.passed { throw ExitCode(1) }
    }
}

/// The network and batch to check.
struct Problem {
    var title: String
    var dataName: String
    var makeNetwork: () -> Network<Double>
    var x: Matrix<Double>
    var targets: Targets<Double>

    static func make(_ o: NNGradcheck) throws -> Problem {
        let architecture: Architecture
        let makeNetwork: () -> Network<Double>
        var scaling = InputScaling()
        var encoding: TargetEncoding
        if let path = o.model {
            let m = try ModelFileReader.read(path)
            architecture = m.architecture
            scaling = m.scaling
            encoding = m.encoding
            makeNetwork = { m.network(Double.self) }
        } else {
            architecture = try o.network.architecture(defaultLayers: "784-50-10")
            let initializer = o.network.initializer ?? WeightInit.default(for: o.network.activation)
            let seed = o.seed
            makeNetwork = {
                var rng = SeededGenerator(seed: seed)
                let net = Network<Double>(architecture: architecture, initializer: initializer, rng: &rng)
                net.seedRandomLayers(seed)
                return net
            }
            encoding = TargetEncoding(output: architecture.output, outputCount: architecture.outputSize)
        }
        let inputs = architecture.inputSize
        var rng = SeededGenerator(seed: o.seed &+ 0x6772_6164)
        let x: Matrix<Double>, targets: Targets<Double>, dataName: String
        if o.data != nil || o.images != nil || o.labels != nil {
            let files: DataFiles
            if let images = o.images, let labels = o.labels, o.data == nil {
                try refusePNG(images, flag: "--images")
                files = DataFiles(images: images, labels: labels)
            } else if let dir = o.data, o.images == nil, o.labels == nil {
                files = try IDXDataset.standardFiles(in: dir, split: "train")
            } else {
                throw ToolError("give either --data DIR or both --images and --labels")
            }
            let set = try IDXDataset.load(files)
            if set.dataset.featureCount != inputs {
                throw FormatError(files.images, "samples have \(set.dataset.featureCount) values, the network takes \(inputs)")
            }
            if encoding.isBinary && encoding.positiveClass == nil && set.dataset.labels.contains(where: { $0 > 1 }) {
                encoding = TargetEncoding(output: encoding.output, outputCount: 1, positiveClass: 0)
            }
            if let p = encoding.problem(with: set.dataset.labels) { throw FormatError(files.labels, p) }
            var order = Array(0..<set.dataset.count)
            rng.shuffle(&order)
            let picks = Array(order.prefix(o.samples))
            x = scaling.batch(set.dataset, picks[...], as: Double.self)
            targets = encoding.targets(set.dataset.labels, picks[...], as: Double.self)
            dataName = "\(picks.count) samples of \(files.images)"
        } else {
            // Synthetic: pixel-like inputs in [0, 1], random classes or targets.
            let count = try CheckedSize.product([o.samples, inputs], limit: SizeLimits.maxTensorElements, field: "--samples x inputs per sample")
            var bytes = [UInt8](repeating: 0, count: count)
            for i in 0..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: rng.next() >> 56) }
            x = scaling.batch(Dataset(features: bytes, featureCount: inputs, labels: [Double](repeating: 0, count: o.samples)),
                              Array(0..<o.samples)[...], as: Double.self)
            let outputs = architecture.outputSize
            var t = Matrix<Double>(rows: o.samples, cols: outputs)
            switch architecture.output {
            case .softmaxCrossEntropy:
                targets = .labels((0..<o.samples).map { _ in rng.nextInt(below: outputs) })
            case .sigmoidBinaryCrossEntropy:
                for i in 0..<t.count { t.storage[i] = Double(rng.nextInt(below: 2)) }
                targets = .values(t)
            case .identityMeanSquaredError:
                for i in 0..<t.count { t.storage[i] = rng.nextNormal() }
                targets = .values(t)
            }
            dataName = "\(o.samples) synthetic samples (seed \(o.seed))"
        }
        return Problem(title: architecture.summary, dataName: dataName, makeNetwork: makeNetwork, x: x, targets: targets)
    }
}
