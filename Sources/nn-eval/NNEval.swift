// nn-eval: scores a model on labelled IDX data: loss, accuracy, confusion matrix, per-class P/R/F1
// (or MSE/MAE for regression models).
import ArgumentParser
import Foundation
import NNCommandLine
import NNCore
import NNFormats

enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

struct NNEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nn-eval",
        abstract: "Score a model on labelled IDX data.",
        discussion: "With no data arguments, evaluates on the embedded t10k test set. The report goes to stdout.")

    @Option(name: [.short, .customLong("model")], help: "Model file (- for stdin; default: the shipped model).")
    var model: String?
    @OptionGroup(title: "Data") var data: EvalDataOptions
    @Option(help: "Report format: text or json.") var format: ReportFormat = .text
    @Option(help: "Samples per inference batch.") var batchSize: Int = 500
    @Option(help: "Threads for the matrix kernels (default: all cores).") var threads: Int?

    func run() throws {
        guard batchSize >= 1 else { throw ToolError("--batch-size must be at least 1") }
        if let threads { guard threads >= 1 else { throw ToolError("--threads must be at least 1") } }
        Parallelism.threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let modelPath = try model ?? Locations.defaultModel()
        let files = try data.files()
        let m = try ModelFileReader.read(modelPath)
        let set = try IDXDataset.load(files)
        if set.dataset.featureCount != m.architecture.inputSize {
            throw FormatError(files.images, "samples have \(set.dataset.featureCount) values, the model takes \(m.architecture.inputSize ?? 0)")
        }
        if let problem = m.encoding.problem(with: set.dataset.labels) { throw FormatError(files.labels, problem) }
        let report = evaluate(m.network(Float.self), on: set.dataset, scaling: m.scaling, encoding: m.encoding, batchSize: batchSize)
        let text = format == .json
            ? EvaluationText.json(report, model: modelPath, architecture: m.architecture, files: files, classNames: m.classNames)
            : EvaluationText.text(report, model: modelPath, architecture: m.architecture, files: files, classNames: m.classNames)
        emit(text)
    }
}
