// nn-gradcheck: compares backprop gradients with central differences in float64, with a verdict.
// Exit 0: every tensor passes; 1: a gradient mismatch or a vacuous check; 2: usage or input error.
import ArgumentParser
import Foundation
import NNCommandLine
import NNCore
import NNFormats
import NNToolkit

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
        var check = GradientCheck()
        check.step = step
        check.coordinatesPerTensor = all ? nil : coordinates
        check.seed = seed
        check.relativeTolerance = rtol
        check.absoluteTolerance = atol
        check.relativeErrorFloor = floor
        check.weightDecay = weightDecay
        check.sampleCount = samples
        check.threads = threads ?? min(ProcessInfo.processInfo.activeProcessorCount, SizeLimits.maxThreads)
        check.plantedFault = fault
        let result: GradientCheckResult
        do { result = try check.check(problem.subject, samples: problem.samples) } catch { throw ToolError(error.description) }
        let report = CheckReport(settings: check, result: result)
        switch format {
        case .table: emit(report.table())
        case .json: emit(report.json())
        case .junit: emit(report.junit())
        }
        if !result.passed { throw ExitCode(1) }
    }
}

/// The network and batch to check, read and refused with the tool's own messages.
struct Problem {
    var subject: GradientCheckSubject
    /// The data set to pick samples from and its images file (nil: synthetic samples).
    var samples: (data: Dataset, name: String)?

    static func make(_ o: NNGradcheck) throws -> Problem {
        let subject: GradientCheckSubject
        if let path = o.model {
            // the model is the network: a network option beside it would be silently ignored
            if let flag = NetworkOptions.longNames.first(where: GivenOptions(CommandLine.arguments.dropFirst()).contains) {
                throw ToolError("-m checks the model's own network: \(flag) cannot be given with it")
            }
            subject = GradientCheckSubject(model: try ModelFileReader.read(path))
        } else {
            subject = GradientCheckSubject(architecture: try o.network.architecture(defaultLayers: "784-50-10"),
                                           initializer: o.network.initializer ?? WeightInit.default(for: o.network.activation), seed: o.seed,
                                           positiveClass: o.network.positiveClass)
        }
        let inputs = subject.architecture.inputSize
        guard o.data != nil || o.images != nil || o.labels != nil else {
            // synthetic samples: their size is checked here to name the flag
            _ = try CheckedSize.product([o.samples, inputs], limit: SizeLimits.maxTensorElements, field: "--samples x inputs per sample")
            return Problem(subject: subject, samples: nil)
        }
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
        // a --samples given beyond the data is refused; the default (3) takes what a smaller set has
        if set.dataset.count < o.samples && GivenOptions(CommandLine.arguments.dropFirst()).contains("--samples") {
            throw FormatError(files.images, "holds only \(set.dataset.count) samples, fewer than --samples \(o.samples)")
        }
        if set.dataset.featureCount != inputs {
            throw FormatError(files.images, "samples have \(set.dataset.featureCount) values, the network takes \(inputs)")
        }
        if let p = subject.encoding(forLabels: set.dataset.labels).problem(with: set.dataset.labels) { throw FormatError(files.labels, p) }
        return Problem(subject: subject, samples: (set.dataset, files.images))
    }
}
