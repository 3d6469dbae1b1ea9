// nn-eval: scores a model on labelled IDX data: loss, accuracy, confusion matrix, per-class P/R/F1
// (or MSE/MAE for regression models).
import ArgumentParser
import Foundation
import NNCommandLine
import NNCore
import NNFormats
import NNImage
import NNReport
import NNToolkit

enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

struct NNEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nn-eval",
        abstract: "Score a model on labelled IDX data.",
        usage: "nn-eval [-m MODEL] [--data DIR | --images FILE --labels FILE] [options]",
        discussion: "With no data arguments, evaluates on the embedded t10k test set. The report goes to stdout.",
        version: versionText)

    @Option(name: [.short, .customLong("model")], help: "Model file (- for stdin; default: the shipped model).")
    var model: String?
    @OptionGroup(title: "Data") var data: EvalDataOptions
    @Option(help: "Report format: text or json.") var format: ReportFormat = .text
    @Option(name: [.short, .customLong("output")], help: "Write the report (or --errors-list) to this file instead of stdout.")
    var output: String = "-"
    @Option(help: OptionRules.batchSize.help("Samples per inference batch (default: 500, fewer for convolutional networks to bound memory).")) var batchSize: Int?
    @Option(help: OptionRules.threads.help("Threads for the matrix kernels (default: all cores).")) var threads: Int?
    @Option(help: "Draw the confusion matrix as a labelled heat map into this .svg or .png file.") var confusion: String?
    @Option(help: "Draw the misclassified images, grouped by true class and captioned with the predicted class and its probability, into this .png or .svg file.") var errors: String?
    @Flag(help: "Print the misclassified samples (index, truth, prediction) instead of the report.") var errorsList = false
    @Option(help: OptionRules.errorsPerClass.help("With --errors: at most this many images per true class (default: 100).")) var errorsPerClass: Int?

    func validate() throws {
        try OptionRules.batchSize.check(batchSize)
        try OptionRules.threads.check(threads)
        try OptionRules.errorsPerClass.check(errorsPerClass)
        if errorsPerClass != nil && errors == nil { throw ToolError("--errors-per-class works with --errors FILE: add --errors, or leave it out") }
    }

    func run() throws {
        Parallelism.threadCount = threads ?? min(ProcessInfo.processInfo.activeProcessorCount, SizeLimits.maxThreads)
        let modelPath = try model ?? Locations.defaultModel()
        let files = try data.files()
        // every output is checked against the inputs and each other before anything is read; all of them
        // are written together at the end, or none is
        var runFiles = RunFiles()
        runFiles.input("-m", modelPath)
        runFiles.input("--images", files.images)
        runFiles.input("--labels", files.labels)
        runFiles.output(errorsList ? "--errors-list" : "the report (-o)", output)
        runFiles.output("--confusion", confusion)
        runFiles.output("--errors", errors)
        try runFiles.check()
        // each picture's format follows its name, checked before any work
        let confusionFormat = try confusion.map { path in
            guard let f = PictureFormat.forOutput(path, fallback: .svg) else { throw ToolError(PictureFormat.refusal(flag: "--confusion", path: path)) }
            return f
        }
        let errorsFormat = try errors.map { path in
            guard let f = PictureFormat.forOutput(path, fallback: .png) else { throw ToolError(PictureFormat.refusal(flag: "--errors", path: path)) }
            return f
        }
        let m = try ModelFileReader.read(modelPath)
        let set = try IDXDataset.load(files)
        if set.dataset.featureCount != m.architecture.inputSize {
            throw FormatError(files.images, "samples have \(set.dataset.featureCount) values, the model takes \(m.architecture.inputSize)")
        }
        if let problem = m.encoding.problem(with: set.dataset.labels) { throw FormatError(files.labels, problem) }
        if m.encoding.isRegression && (confusion != nil || errors != nil || errorsList) {
            throw ToolError("--confusion, --errors and --errors-list need a classification model")
        }
        if errors != nil && set.sampleShape.count != 2 {
            throw ToolError("--errors needs 2-D images; these samples are \(CheckedSize.shape(set.sampleShape))")
        }
        let dataName = files.images == "-" ? "<stdin>" : files.images
        let evaluation: Evaluation
        do {
            evaluation = try Classifier(model: m).evaluate(set.dataset, dataName: dataName, labelsName: files.labels, batchSize: batchSize)
        } catch .nonFiniteSampleOutput(let index, let value, _) {
            throw FormatError(modelPath, "the model's output for sample \(index) of \(dataName) is \(inWords(value)): "
                + "its weights overflow Float arithmetic; no report written")
        } catch {
            throw ToolError(error.description)
        }
        var outputs: [(path: String, bytes: [UInt8])] = []
        let text = format == .json
            ? EvaluationText.json(evaluation, model: modelPath, architecture: m.architecture, files: files)
            : EvaluationText.text(evaluation, model: modelPath, architecture: m.architecture, files: files)
        guard let c = evaluation.classificationReport else {
            return try writeFilesAtomically([(output, Array((text + "\n").utf8))])
        }
        let mistakes = evaluation.misclassified
        if let path = confusion, let format = confusionFormat {
            outputs.append((path, try confusionHeatmap(c, classNames: m.classNames, title: "nn-eval \(m.architecture.summary)", format: format)))
        }
        if let path = errors, let format = errorsFormat {
            let errorsPerClass = self.errorsPerClass ?? 100
            var perClass: [Int: Int] = [:]
            let shown = mistakes.sorted { ($0.truth, $0.index) < ($1.truth, $1.index) }.filter { e in
                perClass[e.truth, default: 0] += 1
                return perClass[e.truth]! <= errorsPerClass
            }
            let d = set.dataset.featureCount
            let fileName = files.images == "-" ? "<stdin>" : String(files.images.split(separator: "/").last ?? "")
            let title = "nn-eval \(m.architecture.summary): \(grouped(mistakes.count)) of \(grouped(c.sampleCount)) images of \(fileName) misclassified"
            let legend = "Rows: the true class. Under each image: the class the model predicted, and its probability"
                + (shown.count < mistakes.count ? " (at most \(errorsPerClass) per class, by index)." : ".")
            let grid = try misclassifiedGrid(image: { Array(set.dataset.features[($0 * d)..<(($0 + 1) * d)]) },
                                             width: set.sampleShape[1], height: set.sampleShape[0], entries: shown,
                                             classNames: m.classNames, title: title, legend: legend,
                                             totals: Dictionary(mistakes.map { ($0.truth, 1) }, uniquingKeysWith: +), format: format)
            outputs.append((path, grid))
        }
        outputs.append((output, Array((errorsList ? misclassifiedList(mistakes) : text + "\n").utf8)))
        try writeFilesAtomically(outputs)
    }
}
