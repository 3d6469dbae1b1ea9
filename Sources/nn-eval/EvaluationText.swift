// EvaluationText.swift: nn-eval's report as text for people and as JSON for programs.
import Foundation
import NNCommandLine
import NNCore
import NNFormats

enum EvaluationText {
    static func name(_ c: Int, _ names: [String]) -> String { c < names.count ? names[c] : String(c) }

    static func text(_ r: EvaluationReport, model: String, architecture: Architecture, files: DataFiles, classNames: [String]) -> String {
        var lines = [
            "model     \(model == "-" ? "<stdin>" : model) (\(architecture.summary))",
            "data      \(files.images == "-" ? "<stdin>" : files.images)",
        ]
        switch r {
        case .regression(let g):
            lines += ["samples   \(g.sampleCount)", "loss      \(fixed(g.loss, 6))", "mse       \(fixed(g.mse, 6))", "mae       \(fixed(g.mae, 6))"]
        case .classification(let c):
            lines += [
                "samples   \(c.sampleCount)",
                "loss      \(fixed(c.loss, 6))",
                "accuracy  \(percent(c.accuracy)) (\(c.correct)/\(c.sampleCount))",
                "",
                "confusion matrix (rows: true class, columns: predicted class)",
            ]
            let labels = (0..<c.classCount).map { name($0, classNames) }
            let width = max(6, (labels.map(\.count) + c.confusion.flatMap { $0 }.map { String($0).count }).max()! + 1)
            func pad(_ s: String, _ w: Int = width) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
            lines.append(pad("") + labels.map { pad($0) }.joined())
            for t in 0..<c.classCount {
                lines.append(pad(labels[t]) + c.confusion[t].map { pad(String($0)) }.joined())
            }
            lines.append("")
            lines.append(pad("class") + pad("precision", 11) + pad("recall", 9) + pad("f1", 9) + pad("support", 9))
            for k in 0..<c.classCount {
                lines.append(pad(labels[k]) + pad(fixed(c.precision(k)), 11) + pad(fixed(c.recall(k)), 9) + pad(fixed(c.f1(k)), 9) + pad(String(c.support(k)), 9))
            }
            lines.append(pad("macro") + pad(fixed(c.macroPrecision), 11) + pad(fixed(c.macroRecall), 9) + pad(fixed(c.macroF1), 9) + pad(String(c.sampleCount), 9))
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ r: EvaluationReport, model: String, architecture: Architecture, files: DataFiles, classNames: [String]) -> String {
        var o: [(String, JSON)] = [
            ("model", .string(model)), ("architecture", .string(architecture.summary)), ("images", .string(files.images)),
            ("labels", .string(files.labels)),
        ]
        switch r {
        case .regression(let g):
            o += [("task", .string("regression")), ("samples", .int(g.sampleCount)), ("loss", .number(g.loss)),
                  ("mse", .number(g.mse)), ("mae", .number(g.mae))]
        case .classification(let c):
            o += [("task", .string("classification")), ("samples", .int(c.sampleCount)), ("loss", .number(c.loss)),
                  ("accuracy", .number(c.accuracy)), ("correct", .int(c.correct)),
                  ("classes", .array((0..<c.classCount).map { .string(name($0, classNames)) })),
                  ("confusion", .array(c.confusion.map { .array($0.map { .int($0) }) })),
                  ("per_class", .array((0..<c.classCount).map { k in
                      .object([("class", .string(name(k, classNames))), ("precision", .number(c.precision(k))),
                               ("recall", .number(c.recall(k))), ("f1", .number(c.f1(k))), ("support", .int(c.support(k)))])
                  })),
                  ("macro", .object([("precision", .number(c.macroPrecision)), ("recall", .number(c.macroRecall)),
                                     ("f1", .number(c.macroF1))]))]
        }
        return JSON.object(o).text
    }
}
