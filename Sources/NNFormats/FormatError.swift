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
