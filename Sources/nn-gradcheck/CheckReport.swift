// CheckReport.swift: nn-gradcheck's output as a table, JSON or JUnit XML.
import Foundation
import NNCommandLine
import NNCore
import NNReport
import NNToolkit

struct CheckReport {
    var settings: GradientCheck
    var result: GradientCheckResult

    var results: [GradientCheckResult.Tensor] { result.tensors }

    static func sci(_ x: Double) -> String { cFormat("%.2e", x) }

    func verdictText(_ r: GradientCheckResult.Tensor) -> String {
        switch r.verdict {
        case .pass: return r.expectedZero ? "ok (zero: batch norm)" : "ok"
        case .mismatch: return "FAIL"
        case .vacuous: return "VACUOUS"
        }
    }

    /// Why a tensor failed, in one line.
    func reason(_ r: GradientCheckResult.Tensor) -> String {
        switch r.verdict {
        case .pass: return ""
        case .mismatch:
            return "\(r.failures) of \(r.checked) coordinates beyond rtol \(CheckReport.sci(settings.relativeTolerance)) and atol \(CheckReport.sci(settings.absoluteTolerance)); "
                + "worst at index \(r.worstIndex): backprop \(CheckReport.sci(r.worstBackprop)), numerical \(CheckReport.sci(r.worstNumeric))"
        case .vacuous:
            return r.checked == 0
                ? "no coordinate could be checked (\(r.skippedAtKinks) at kinks: ReLU or max-pool ties)"
                : "backprop and numerical gradients are both (near) zero on all \(r.checked) coordinates: nothing was tested"
        }
    }

    func table() -> String {
        var lines = [
            "nn-gradcheck: \(result.title), \(result.dataName), float64, step \(settings.step), "
                + (settings.coordinatesPerTensor.map { "\($0) sampled coordinates per tensor" } ?? "all coordinates"),
        ]
        let header = ["tensor", "shape", "checked", "kinks", "max |a-n|", "max rel", "rel |g|>1e-6", "|backprop|", "|numeric|", "verdict"]
        var rows = [header]
        for r in results {
            rows.append([r.name, "\(r.rows)x\(r.cols)", String(r.checked), String(r.skippedAtKinks), CheckReport.sci(r.maxAbsDifference),
                         CheckReport.sci(r.maxRelativeError), CheckReport.sci(r.maxRelativeErrorSignificant),
                         CheckReport.sci(r.backpropNorm), CheckReport.sci(r.numericNorm), verdictText(r)])
        }
        let widths = (0..<header.count).map { c in rows.map { $0[c].count }.max()! }
        for row in rows {
            lines.append(row.enumerated().map { c, s in c == 0 ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                                                             : String(repeating: " ", count: widths[c] - s.count) + s }
                .joined(separator: "  "))
        }
        for r in results where r.verdict != .pass { lines.append("\(r.name): \(verdictText(r)): \(reason(r))") }
        if let ties = result.tiedPoolWindows {
            lines.append("max-pool windows tied at the checked point: \(ties) (steps that break a tie cross a kink: counted under kinks)")
        }
        lines.append((result.passed ? "PASS" : "FAIL") + ": \(results.count) tensors, \(grouped(result.checkedCoordinates)) coordinates, "
            + "max relative error \(CheckReport.sci(result.maxRelativeError)) (rtol \(CheckReport.sci(settings.relativeTolerance))), " + cFormat("%.2f s", result.seconds))
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        JSON.object([
            ("network", .string(result.title)), ("data", .string(result.dataName)), ("step", .number(settings.step)),
            ("rtol", .number(settings.relativeTolerance)), ("atol", .number(settings.absoluteTolerance)), ("floor", .number(settings.relativeErrorFloor)),
            ("coordinates_per_tensor", settings.coordinatesPerTensor.map { .int($0) } ?? .string("all")),
            ("passed", .bool(result.passed)), ("seconds", .number(result.seconds)),
            ("tied_pool_windows", result.tiedPoolWindows.map { .int($0) } ?? .null),
            ("tensors", .array(results.map { r in
                .object([("name", .string(r.name)), ("shape", .array([.int(r.rows), .int(r.cols)])), ("checked", .int(r.checked)),
                         ("skipped_at_kinks", .int(r.skippedAtKinks)), ("max_abs_difference", .number(r.maxAbsDifference)),
                         ("max_relative_error", .number(r.maxRelativeError)),
                         ("max_relative_error_gradient_over_1e-6", .number(r.maxRelativeErrorSignificant)),
                         ("backprop_norm", .number(r.backpropNorm)), ("numerical_norm", .number(r.numericNorm)),
                         ("failures", .int(r.failures)), ("verdict", .string(r.verdict.rawValue)),
                         ("reason", r.verdict == .pass ? .null : .string(reason(r)))])
            })),
        ]).text
    }

    func junit() -> String {
        let esc = xmlEscaped
        let failures = results.filter { $0.verdict != .pass }.count
        var out = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                   "<testsuites name=\"nn-gradcheck\" tests=\"\(results.count)\" failures=\"\(failures)\" time=\"\(cFormat("%.3f", result.seconds))\">",
                   "  <testsuite name=\"\(esc("gradcheck " + result.title))\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\">"]
        for r in results {
            let name = "\(esc(r.name)) [\(r.rows)x\(r.cols)]"
            let props = "max_rel=\(CheckReport.sci(r.maxRelativeError)) max_abs=\(CheckReport.sci(r.maxAbsDifference)) checked=\(r.checked) kinks=\(r.skippedAtKinks)"
            if r.verdict == .pass {
                out.append("    <testcase classname=\"gradcheck\" name=\"\(name)\"><system-out>\(props)</system-out></testcase>")
            } else {
                out.append("    <testcase classname=\"gradcheck\" name=\"\(name)\">")
                out.append("      <failure type=\"\(r.verdict.rawValue)\" message=\"\(esc(reason(r)))\">\(props)</failure>")
                out.append("    </testcase>")
            }
        }
        out.append("  </testsuite>")
        out.append("</testsuites>")
        return out.joined(separator: "\n")
    }
}
