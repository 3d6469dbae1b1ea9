// FormatError.swift: the one error type of the file formats: which file, and what is wrong with it.

/// A file that cannot be read or written, with a one-line reason. `description` is "path: message".
public struct FormatError: Error, CustomStringConvertible, Equatable {
    /// The file ("-" for standard input/output, or a name given by the caller).
    public var path: String
    public var message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path == "-" ? "<stdin>" : path): \(message)" }
}

/// Several independent problems with one input (all of a file's shape mismatches), one line each.
public struct FormatErrors: Error, CustomStringConvertible {
    public var errors: [FormatError]
    public init(_ errors: [FormatError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Text read from a file, fit for a one-line message: control characters as escapes (\n, \t, \u{1B}),
/// and no more than 80 characters ("..." after them).
package func shown(_ s: String) -> String {
    var out = ""
    for (i, u) in s.unicodeScalars.enumerated() {
        if i == 80 { return out + "..." }
        switch u {
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if u.value < 0x20 || u.value == 0x7F { out += "\\u{\(String(u.value, radix: 16))}" } else { out.unicodeScalars.append(u) }
        }
    }
    return out
}
