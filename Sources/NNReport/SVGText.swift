// SVGText.swift: the few pieces every chart shares: XML escaping, fixed-decimal numbers, "nice" axis ticks.
//
// Output must be byte-for-byte reproducible (tests compare it, users diff it), so numbers are formatted
// here by integer rounding rather than through a locale-dependent formatter.

import Foundation

/// Text safe inside an XML element or a double-quoted attribute. Characters XML 1.0 forbids (C0 controls
/// other than tab, newline and carriage return, and U+FFFE / U+FFFF) become U+FFFD.
public func xmlEscaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
        default:
            if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                out += "\u{FFFD}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}

/// `x` with exactly `decimals` digits after the point, rounded half away from zero; never "-0".
/// Magnitudes too large for that (over 2^53 after scaling) fall back to Swift's shortest round-trip form.
func fixed(_ x: Double, _ decimals: Int) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf") }
    var scale = 1.0
    for _ in 0..<max(0, decimals) { scale *= 10 }
    let scaled = (abs(x) * scale).rounded()
    if scaled >= 0x1p53 { return "\(x)" }
    var digits = String(Int64(scaled))
    if decimals > 0 {
        if digits.count <= decimals { digits = String(repeating: "0", count: decimals + 1 - digits.count) + digits }
        digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
    }
    return (x < 0 && scaled != 0 ? "-" : "") + digits
}

/// A pixel coordinate: one decimal is finer than any screen needs.
func px(_ x: Double) -> String { fixed(x, 1) }

/// Tick marks for one axis: the axis runs from `lo` to `hi`, which are the first and last tick.
struct AxisTicks: Equatable {
    var lo: Double
    var hi: Double
    var values: [Double]
    /// Decimals that show every tick value exactly (0 for steps of 1 and above).
    var decimals: Int

    func label(_ value: Double) -> String {
        abs(value) >= 1e9 ? "\(value)" : fixed(value, decimals)
    }
}

/// Ticks covering [lo, hi] with about `target` intervals of 1, 2 or 5 times a power of ten.
/// An empty or degenerate range (a single value, a constant series) is widened so the axis never has
/// zero length; `minStep` keeps integer axes (epochs) from getting fractional ticks.
func niceTicks(lo inLo: Double, hi inHi: Double, target: Int = 5, minStep: Double = 0) -> AxisTicks {
    var lo = min(inLo, inHi), hi = max(inLo, inHi)
    if !lo.isFinite || !hi.isFinite || !(hi - lo).isFinite { lo = 0; hi = 1 }
    if hi == lo {
        let pad = lo == 0 ? 1 : abs(lo) * 0.1
        lo -= pad
        hi += pad
    }
    let raw = (hi - lo) / Double(max(1, target))
    let magnitude = pow(10, log10(raw).rounded(.down))
    let residual = raw / magnitude
    let nice: Double = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10
    let step = max(nice * magnitude, minStep)
    let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
    let count = Int(last - first)
    let values = (0...max(1, count)).map { (first + Double($0)) * step }
    let exponent = Int((log10(step) + 1e-9).rounded(.down))
    return AxisTicks(lo: values.first!, hi: values.last!, values: values, decimals: max(0, min(12, -exponent)))
}
