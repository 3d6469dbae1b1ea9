// GivenOptions.swift: which options a command line gave, as opposed to their defaults.

/// The options present on a command line, by long name ("-o" is "--output"): what was given, as opposed
/// to a default. The parser has accepted the command line already, so every token that starts with "--"
/// is an option (a value that looks like one must be attached with "=") and "-o" is the only short one.
public struct GivenOptions {
    public var names: Set<String> = []

    public init<S: Sequence>(_ arguments: S) where S.Element == String {
        for a in arguments {
            if a == "--" { break }
            if a.hasPrefix("--") {
                names.insert(String(a.prefix { $0 != "=" }))
            } else if a == "-o" {
                names.insert("--output")
            }
        }
    }

    public func contains(_ name: String) -> Bool { names.contains(name) }
}
