// nn-eval: scores a model on labelled IDX data: loss, accuracy, confusion matrix, per-class P/R/F1
// (or MSE/MAE for regression models).
import ArgumentParser
import Foundation
import NNCommandLine
import NNCore
import NNFormats
import NNImage
import NNReport

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
    @Option(help: "Samples per inference batch (default: 500, fewer for convolutional networks to bound memory).") var batchSize: Int?
    @Option(help: "Threads for the matrix kernels (default: all cores).") var threads: Int?
    @Option(help: "Draw the confusion matrix as a labelled heat map into this SVG file.") var confusion: String?
    @Option(help: "Write a PNG grid of the misclassified images (scaled up, ordered by true class).") var errors: String?
    @Flag(help: "Print the misclassified samples (index, truth, prediction) instead of the report.") var errorsList = false
    @Option(help: "With --errors: at most this many images per true class.") var errorsPerClass: Int = 100

    func run() throws {
        guard (batchSize ?? 1) >= 1 else { throw ToolError("--batch-size must be at least 1") }
        if let threads { guard threads >= 1 else { throw ToolError("--threads must be at least 1") } }
        Parallelism.threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let modelPath = try model ?? Locations.defaultModel()
        let files = try data.files()
        let m = try ModelFileReader.read(modelPath)
        let set = try IDXDataset.load(files)
        if set.dataset.featureCount != m.architecture.inputSize {
            throw FormatError(files.images, "samples have \(set.dataset.featureCount) values, the model takes \(m.architecture.inputSize)")
        }
        if let problem = m.encoding.problem(with: set.dataset.labels) { throw FormatError(files.labels, problem) }
        var mistakes: [(index: Int, truth: Int, predicted: Int)] = []
        let encoding = m.encoding
        let report = evaluate(m.network(Float.self), on: set.dataset, scaling: m.scaling, encoding: encoding, batchSize: batchSize) { range, y in
            guard !encoding.isRegression else { return }
            for (r, p) in encoding.predictedClasses(y).enumerated() {
                let truth = encoding.classOf(set.dataset.labels[range.lowerBound + r])
                if p != truth { mistakes.append((range.lowerBound + r, truth, p)) }
            }
        }
        guard case .classification(let c) = report else {
            if confusion != nil || errors != nil || errorsList { throw ToolError("--confusion, --errors and --errors-list need a classification model") }
            return emit(format == .json
                ? EvaluationText.json(report, model: modelPath, architecture: m.architecture, files: files, classNames: m.classNames)
                : EvaluationText.text(report, model: modelPath, architecture: m.architecture, files: files, classNames: m.classNames))
        }
        if let path = confusion {
            try writeFileAtomically(Array(confusionHeatmapSVG(c, classNames: m.classNames, title: "nn-eval \(m.architecture.summary)").utf8), to: path)
        }
        if let path = errors {
            guard errorsPerClass >= 1 else { throw ToolError("--errors-per-class must be at least 1") }
            guard set.sampleShape.count == 2 else { throw ToolError("--errors needs 2-D images; these samples are \(set.sampleShape)") }
            var perClass: [Int: Int] = [:]
            let shown = mistakes.sorted { ($0.truth, $0.index) < ($1.truth, $1.index) }.filter { e in
                perClass[e.truth, default: 0] += 1
                return perClass[e.truth]! <= errorsPerClass
            }
            let d = set.dataset.featureCount
            let images = shown.map { Array(set.dataset.features[($0.index * d)..<(($0.index + 1) * d)]) }
            let grid = misclassifiedGrid(images: images, width: set.sampleShape[1], height: set.sampleShape[0],
                                         entries: shown.enumerated().map { (index: $0.offset, truth: $0.element.truth, predicted: $0.element.predicted) })
            try writeFileAtomically(try encodePNG(grid), to: path)
        }
        if errorsList { return emit(misclassifiedList(mistakes), terminator: "") }
        let text = format == .json
            ? EvaluationText.json(report, model: modelPath, architecture: m.architecture, files: files, classNames: m.classNames)
            : EvaluationText.text(report, model: modelPath, architecture: m.architecture, files: files, classNames: m.classNames)
        emit(text)
    }
}
