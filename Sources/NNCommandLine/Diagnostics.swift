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

extension ParsableCommand {
    /// Parses the command line, runs the command and turns every error into one line on stderr:
    /// "tool: message". Exit codes: 0 success, 1 failure (set by the tool), 2 usage or input error.
    public static func runAsTool() -> Never {
        let name = configuration.commandName ?? "tool"
        toolName = name
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            if code == .success {  // --help, --version
                print(fullMessage(for: error))
                terminate(0)
            }
            if code == .failure {
                // a ToolError from a validate() (an option rule): its one line, which names the flag
                printError("\(name): \(message(for: error))")
                terminate(2)
            }
            printError(fullMessage(for: error).split(separator: "\n").first.map { "\(name): \($0)" } ?? "\(name): bad arguments")
            printError("Usage: \(usageString()) (see \(name) --help)")
            terminate(2)
        }
        do {
            try command.run()
            terminate(0)
        } catch let e as ToolError {
            printError("\(name): \(e.message)")
            terminate(e.exitCode)
        } catch let e as FormatError {
            printError("\(name): \(e.description)")
            terminate(2)
        } catch let e as SizeError {
            printError("\(name): \(e.description)")
            terminate(2)
        } catch let e as ExitCode {
            terminate(e.rawValue)
        } catch {
            // --help and --version arrive here as errors of the parser's help command
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                terminate(0)
            }
            printError("\(name): \(message(for: error))")
            terminate(2)
        }
    }

    private static func usageString() -> String {
        helpMessage().split(separator: "\n").first { $0.hasPrefix("USAGE:") }
            .map { $0.dropFirst("USAGE:".count).drop { $0 == " " } }.map(String.init) ?? name
    }

    private static var name: String { configuration.commandName ?? "tool" }
}
