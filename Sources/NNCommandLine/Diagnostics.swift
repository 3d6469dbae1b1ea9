// Diagnostics.swift: the one place where the tools print errors and choose exit codes.
import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNCore
import NNFormats

/// An error a tool reports as one line and an exit code (1 for failures, 2 for usage and input errors).
public struct ToolError: Error, CustomStringConvertible {
    public var message: String
    public var exitCode: Int32
    public init(_ message: String, exitCode: Int32 = 2) {
        self.message = message
        self.exitCode = exitCode
    }
    public var description: String { message }
}

/// Prints a line to standard error (a failing stderr is ignored: there is nowhere left to report it).
/// Control characters in it (a newline or tab in a file name, an escape sequence) are escaped, so a
/// message is always one line whatever a path holds.
public func printError(_ line: String) {
    _ = writeAllOrFail(2, Array((escapingControlCharacters(line) + "\n").utf8))
}

/// `s` with control characters as C escapes: newline "\n", tab "\t", carriage return "\r", the others
/// (and DEL) "\xHH". Everything else, backslashes included, is kept.
public func escapingControlCharacters(_ s: String) -> String {
    guard s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return s }
    var out = ""
    for u in s.unicodeScalars {
        switch u {
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if u.value < 0x20 || u.value == 0x7F { out += cFormat("\\x%02x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out
}

/// A number for a message, non-finite values in words: "NaN (not a number)", "infinite", "minus infinite"
/// (a printed `-nan` or `inf` reads like a value).
public func inWords(_ x: Double) -> String {
    if x.isNaN { return "NaN (not a number)" }
    if x.isInfinite { return x > 0 ? "infinite" : "minus infinite" }
    return "\(x)"
}

/// Ends the process (a free function, because inside a ParsableCommand extension `exit` names the
/// parser's own method).
public func terminate(_ code: Int32) -> Never {
    #if canImport(Glibc)
    Glibc.exit(code)
    #else
    Darwin.exit(code)
    #endif
}

/// The running tool's name, for messages printed outside a command (set by runAsTool).
nonisolated(unsafe) public var toolName = "nn-toolkit"

/// True when standard error is a terminal (progress bars only then).
public var standardErrorIsTerminal: Bool { isatty(2) == 1 }

private let usageCache = Locked([String: String]())

/// How a tool ends after an error: the exit code, what goes to stdout (--help) and the lines for stderr
/// (each escaped by printError: one line each whatever the message holds).
public struct ToolOutcome: Equatable {
    public var code: Int32
    public var standardOutput: String?
    public var errorLines: [String]
}

extension ParsableCommand {
    /// Parses the command line, runs the command and turns every error into one line on stderr:
    /// "tool: message" (a usage error adds a "Usage:" line). Exit codes: 0 success, 1 failure (set by the
    /// tool), 2 usage or input error.
    public static func runAsTool() -> Never {
        toolName = name
        var command: ParsableCommand
        do { command = try parseAsRoot(attachingNegativeValues(Array(CommandLine.arguments.dropFirst()))) } catch {
            end(outcome(of: error, parsing: true))
        }
        do {
            try command.run()
            terminate(0)
        } catch {
            end(outcome(of: error, parsing: false))
        }
    }

    /// What runAsTool does with an error thrown while parsing the command line (`parsing`) or running:
    /// the one place that turns errors into exit codes and lines (tests call it in process).
    public static func outcome(of error: Error, parsing: Bool) -> ToolOutcome {
        // a ToolError thrown by a validate() (an option rule) arrives wrapped in the parser's own error
        switch wrappedToolError(error) ?? error {
        case let e as ToolError: return ToolOutcome(code: e.exitCode, errorLines: ["\(name): \(e.message)"])
        case let e as FormatError: return ToolOutcome(code: 2, errorLines: ["\(name): \(e.description)"])
        case let e as SizeError: return ToolOutcome(code: 2, errorLines: ["\(name): \(e.description)"])
        // several problems of one file (nn-model's .npz shape checks): one line each
        case let e as FormatErrors: return ToolOutcome(code: 2, errorLines: e.errors.map { "\(name): \($0.description)" })
        case let e as ExitCode where !parsing: return ToolOutcome(code: e.rawValue, errorLines: [])
        default: break
        }
        let code = exitCode(for: error)
        // --help and --version arrive as errors (of the parser's help command when run)
        if code == .success { return ToolOutcome(code: 0, standardOutput: fullMessage(for: error), errorLines: []) }
        if !parsing || code == .failure { return ToolOutcome(code: 2, errorLines: ["\(name): \(message(for: error))"]) }
        // the parser's own message, whole (a value holding a newline is escaped by printError, not cut), in
        // the tools' style, with a suggestion for the common slips; then the short usage line when the
        // command line's shape is wrong (a bad value of a known option is the one line that names it)
        let line = "\(name): \(Slips.restyled(message(for: error), tool: name))"
        if line.hasPrefix("\(name): the value '") { return ToolOutcome(code: 2, errorLines: [line]) }
        return ToolOutcome(code: 2, errorLines: [line, "Usage: \(usageString()) (\(name) --help for every option)"])
    }

    /// The ToolError inside an error of the parser (it keeps what validate() threw as a field).
    private static func wrappedToolError(_ error: Error) -> ToolError? {
        var level: [Any] = [error]
        for _ in 0..<4 {
            if let e = level.lazy.compactMap({ $0 as? ToolError }).first { return e }
            level = level.flatMap { Mirror(reflecting: $0).children.map(\.value) }
        }
        return nil
    }

    private static func end(_ outcome: ToolOutcome) -> Never {
        if let text = outcome.standardOutput { print(text) }
        for line in outcome.errorLines { printError(line) }
        terminate(outcome.code)
    }

    /// The USAGE line of --help (rendered once per tool: rendering the help is slow).
    private static func usageString() -> String {
        usageCache.withLock { cache in
            if let u = cache[name] { return u }
            let u = helpMessage().split(separator: "\n").first { $0.hasPrefix("USAGE:") }
                .map { $0.dropFirst("USAGE:".count).drop { $0 == " " } }.map(String.init) ?? name
            cache[name] = u
            return u
        }
    }

    private static var name: String { configuration.commandName ?? "tool" }
}

/// `--epochs -1` as `--epochs=-1`: the parser takes a word that starts with a dash for an option, so a
/// negative number given as a separate word was "a missing value" (two lines, the value not named), and a
/// valid one (`--atol -0`, `--input-scale -1`) was refused. Joined to its option, every value reaches the
/// option's own rule: one line naming the flag, its range and the value. Only long options, only words
/// that read as numbers (-1, -.5, -0, -inf, -nan), and nothing after a bare `--` (the end of options).
public func attachingNegativeValues(_ arguments: [String]) -> [String] {
    var out: [String] = []
    var i = 0
    while i < arguments.count {
        let word = arguments[i]
        if word == "--" { return out + arguments[i...] }
        if word.hasPrefix("--"), !word.contains("="), i + 1 < arguments.count, readsAsNegativeNumber(arguments[i + 1]) {
            out.append(word + "=" + arguments[i + 1])
            i += 2
            continue
        }
        out.append(word)
        i += 1
    }
    return out
}

/// -1, -0.5, -.5, -1e3, -inf, -infinity, -nan (any case): a dash and then what starts a number.
func readsAsNegativeNumber(_ word: String) -> Bool {
    guard word.hasPrefix("-"), !word.hasPrefix("--") else { return false }
    let rest = word.dropFirst().lowercased()
    if let first = rest.first, first.isASCII, first.isNumber { return true }
    if rest.hasPrefix("."), rest.dropFirst().first.map({ $0.isASCII && $0.isNumber }) == true { return true }
    return rest == "inf" || rest == "infinity" || rest == "nan"
}

/// The parser's messages in the tools' style ("nn-eval: unexpected argument 'model.nnm': did you mean -m
/// model.nnm?"), with a suggestion where a slip is common.
enum Slips {
    static func restyled(_ message: String, tool: String) -> String {
        var m = message
        while m.hasSuffix(".") || m.hasSuffix(" ") { m.removeLast() }
        // "Unknown option '--learning-rat'. Did you mean '--learning-rate'?" -> "...: did you mean --learning-rate?"
        if m.hasSuffix("'?"), let r = m.firstRange(of: ". Did you mean '") {
            m = String(m[..<r.lowerBound]) + ": did you mean " + String(m[r.upperBound...].dropLast(2)) + "?"
        }
        if let first = m.first, first.isUppercase, !m.hasPrefix("PNG") { m = first.lowercased() + m.dropFirst() }
        let prefix = "unexpected argument '"
        if m.hasPrefix(prefix), let end = m.dropFirst(prefix.count).firstIndex(of: "'"),
           let hint = hint(forArgument: String(m[m.index(m.startIndex, offsetBy: prefix.count)..<end]), tool: tool) {
            m += ": " + hint
        }
        return m
    }

    /// What a stray file argument probably meant.
    static func hint(forArgument a: String, tool: String) -> String? {
        let lower = a.lowercased()
        var st = stat()
        let isDirectory = stat(a, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
        let isModel = lower.hasSuffix(".nnm") || lower.hasSuffix(".ckpt")
        let isPNG = lower.hasSuffix(".png")
        switch tool {
        case "nn-eval", "nn-gradcheck":
            if isModel { return "did you mean -m \(a)?" }
            if isDirectory { return "did you mean --data \(a)?" }
            if isPNG { return "\(tool) reads labelled IDX data; to classify a picture: nn-predict \(a)" }
        case "nn-train":
            if isModel { return "did you mean -o \(a) (the model to write) or --resume \(a)?" }
            if isDirectory { return "did you mean --data \(a)?" }
        default: break
        }
        return nil
    }
}
