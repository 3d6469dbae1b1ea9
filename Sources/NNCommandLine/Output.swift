// Output.swift: small output helpers shared by the tools (JSON lines, number formatting, progress).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNFormats

/// printf-style formatting through the C library (the tools do not load Foundation: it costs a few
/// milliseconds of start-up, which nn-predict cannot afford).
public func cFormat(_ format: String, _ arguments: CVarArg...) -> String {
    var buffer = [CChar](repeating: 0, count: 128)
    let needed = withVaList(arguments) { vsnprintf(&buffer, buffer.count, format, $0) }
    if needed < 0 { return "" }
    if Int(needed) >= buffer.count {
        buffer = [CChar](repeating: 0, count: Int(needed) + 1)
        _ = withVaList(arguments) { vsnprintf(&buffer, buffer.count, format, $0) }
    }
    return String(decoding: buffer[0..<Int(needed)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Formats a fraction as a percentage with two decimals: 0.9423 -> "94.23%".
public func percent(_ x: Double) -> String { cFormat("%.2f%%", 100 * x) }

/// A number with a fixed count of decimals.
public func fixed(_ x: Double, _ digits: Int = 4) -> String { cFormat("%.\(digits)f", x) }

/// Thousands separators: 40650 -> "40,650".
public func grouped(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, c) in s.reversed().enumerated() {
        if i > 0 && i % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return String(out.reversed())
}

/// A JSON value written with keys in the order given (stable output for diffs and tests).
public indirect enum JSON {
    case number(Double)
    case int(Int)
    case string(String)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    public var text: String {
        switch self {
        case .number(let d): return d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? cFormat("%.1f", d) : "\(d)") : "null"
        case .int(let i): return String(i)
        case .string(let s): return JSON.quote(s)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let a): return "[" + a.map(\.text).joined(separator: ",") + "]"
        case .object(let o): return "{" + o.map { JSON.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += cFormat("\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

/// Writes to standard output at once (no buffering, so pipelines see each line as it is known). A failing
/// standard output (a full disk) ends the tool with one line on stderr and exit code 2.
public func emit(_ line: String, terminator: String = "\n") {
    if !writeAllOrFail(1, Array((line + terminator).utf8)) {
        printError("\(toolName): <stdout>: write failed: \(String(cString: strerror(errno)))")
        exit(2)
    }
}

/// A one-line progress bar on a terminal's stderr, with the speed and the time left; silent when stderr is
/// not a terminal (then only the callers' own lines, e.g. one per epoch, reach a log). The line never
/// wraps: it is cut to the terminal's width (TIOCGWINSZ, else $COLUMNS, else 80), the bar going first.
public struct ProgressBar {
    private let enabled: Bool
    private let fixedColumns: Int?
    private var lastDraw = 0.0
    /// Where the speed is measured from: the first update of the current pass.
    private var passStart: (time: Double, done: Int)? = nil
    private var lastDone = Int.max
    public init(enabled: Bool = standardErrorIsTerminal, columns: Int? = nil) {
        self.enabled = enabled
        fixedColumns = columns
    }

    /// `done` of `total` units (samples) of this pass; `later` units follow it (the remaining epochs), for
    /// the time left. Redraws at most ten times a second, and always at the end of a pass.
    public mutating func update(_ label: String, done: Int, total: Int, suffix: String = "", later: Int = 0) {
        guard enabled else { return }
        let now = monotonicSeconds()
        if done < lastDone { passStart = (now, done) }   // a new pass (epoch) began
        lastDone = done
        if done < total && now - lastDraw < 0.1 { return }
        lastDraw = now
        var speed: Double? = nil
        if let start = passStart, now - start.time > 0.05, done > start.done { speed = Double(done - start.done) / (now - start.time) }
        let line = ProgressBar.line(label, done: done, total: total, suffix: suffix, speed: speed, left: max(0, total - done) + later,
                                    columns: fixedColumns ?? terminalColumns())
        _ = writeAllOrFail(2, Array("\r\(line)\u{1B}[K".utf8))
    }

    /// The text of one update, at most `columns - 1` characters (a line as wide as the terminal wraps on
    /// some terminals): "epoch 3/20 [=====     ] 45%  loss 0.1234  6,369 samples/s  1m 05s left".
    static func line(_ label: String, done: Int, total: Int, suffix: String, speed: Double?, left: Int, columns: Int) -> String {
        let percent = "\(100 * done / max(total, 1))%"
        var tail = [percent]
        if !suffix.isEmpty { tail.append(suffix) }
        if let speed, speed > 0 {
            tail.append("\(grouped(Int(speed))) samples/s")
            tail.append(duration(Double(left) / speed) + " left")
        }
        let text = tail.joined(separator: "  ")
        let width = max(columns - 1, 0)
        // The bar takes what the words leave, 10 to 30 cells, or nothing.
        let room = width - label.count - text.count - 4
        if room >= 10 {
            let cells = min(30, room)
            let filled = total == 0 ? cells : cells * min(done, total) / total
            return "\(label) [" + String(repeating: "=", count: filled) + String(repeating: " ", count: cells - filled) + "] " + text
        }
        return String("\(label) \(text)".prefix(width))
    }

    /// 42 s, 3m 05s, 2h 07m.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded(.up))
        if s < 60 { return "\(s) s" }
        if s < 3600 { return cFormat("%dm %02ds", s / 60, s % 60) }
        return cFormat("%dh %02dm", s / 3600, s / 60 % 60)
    }

    public func clear() {
        guard enabled else { return }
        _ = writeAllOrFail(2, Array("\r\u{1B}[K".utf8))
    }
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// The width of the terminal on stderr: TIOCGWINSZ, else $COLUMNS, else 80.
func terminalColumns() -> Int {
    var size = winsize()
    if ioctl(2, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 { return Int(size.ws_col) }
    if let c = getenv("COLUMNS"), let n = Int(String(cString: c)), n > 0 { return n }
    return 80
}

/// A TSV field: backslash, tab, newline and carriage return written as \\, \t, \n and \r (the escapes of
/// PostgreSQL's text COPY format), so a path or a class name can never add a column or a line.
public func tsvField(_ s: String) -> String {
    guard s.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else { return s }
    var out = ""
    for c in s.unicodeScalars {
        switch c {
        case "\\": out += "\\\\"
        case "\t": out += "\\t"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}
