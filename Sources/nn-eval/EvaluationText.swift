// EvaluationText.swift: nn-eval's report as text for people and as JSON for programs.
import Foundation
import NNCommandLine
import NNCore
import NNFormats
import NNToolkit

enum EvaluationText {
    static func text(_ e: Evaluation, model: String, architecture: Architecture, files: DataFiles) -> String {
        var lines = [
            "model     \(model == "-" ? "<stdin>" : model) (\(architecture.summary))",
            "data      \(files.images == "-" ? "<stdin>" : files.images)",
        ]
        guard let accuracy = e.accuracy, let correct = e.correct, let macroPrecision = e.macroPrecision,
              let macroRecall = e.macroRecall, let macroF1 = e.macroF1 else {
            lines += ["samples   \(e.sampleCount)", "loss      \(fixed(e.loss, 6))",
                      "mse       \(fixed(e.meanSquaredError ?? 0, 6))", "mae       \(fixed(e.meanAbsoluteError ?? 0, 6))"]
            return lines.joined(separator: "\n")
        }
        lines += [
            "samples   \(e.sampleCount)",
            "loss      \(fixed(e.loss, 6))",
            "accuracy  \(percent(accuracy)) (\(correct)/\(e.sampleCount))",
            "",
            "confusion matrix (rows: true class, columns: predicted class)",
        ]
        let labels = (0..<e.classCount).map(e.className)
        let width = max(6, (labels.map(\.count) + e.confusion.flatMap { $0 }.map { String($0).count }).max()! + 1)
        func pad(_ s: String, _ w: Int = width) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
        lines.append(pad("") + labels.map { pad($0) }.joined())
        for t in 0..<e.classCount {
            lines.append(pad(labels[t]) + e.confusion[t].map { pad(String($0)) }.joined())
        }
        lines.append("")
        lines.append(pad("class") + pad("precision", 11) + pad("recall", 9) + pad("f1", 9) + pad("support", 9))
        for k in 0..<e.classCount {
            lines.append(pad(labels[k]) + pad(fixed(e.precision[k]), 11) + pad(fixed(e.recall[k]), 9) + pad(fixed(e.f1[k]), 9) + pad(String(e.support[k]), 9))
        }
        lines.append(pad("macro") + pad(fixed(macroPrecision), 11) + pad(fixed(macroRecall), 9) + pad(fixed(macroF1), 9) + pad(String(e.sampleCount), 9))
        return lines.joined(separator: "\n")
    }

    static func json(_ e: Evaluation, model: String, architecture: Architecture, files: DataFiles) -> String {
        var o: [(String, JSON)] = [
            ("model", .string(model)), ("architecture", .string(architecture.summary)), ("images", .string(files.images)),
            ("labels", .string(files.labels)),
        ]
        if let accuracy = e.accuracy, let correct = e.correct, let macroPrecision = e.macroPrecision,
           let macroRecall = e.macroRecall, let macroF1 = e.macroF1 {
            o += [("task", .string("classification")), ("samples", .int(e.sampleCount)), ("loss", .number(e.loss)),
                  ("accuracy", .number(accuracy)), ("correct", .int(correct)),
                  ("classes", .array((0..<e.classCount).map { .string(e.className($0)) })),
                  ("confusion", .array(e.confusion.map { .array($0.map { .int($0) }) })),
                  ("per_class", .array((0..<e.classCount).map { k in
                      .object([("class", .string(e.className(k))), ("precision", .number(e.precision[k])),
                               ("recall", .number(e.recall[k])), ("f1", .number(e.f1[k])), ("support", .int(e.support[k]))])
                  })),
                  ("macro", .object([("precision", .number(macroPrecision)), ("recall", .number(macroRecall)),
                                     ("f1", .number(macroF1))]))]
        } else {
            o += [("task", .string("regression")), ("samples", .int(e.sampleCount)), ("loss", .number(e.loss)),
                  ("mse", .number(e.meanSquaredError ?? 0)), ("mae", .number(e.meanAbsoluteError ?? 0))]
        }
        return JSON.object(o).text
    }
}
