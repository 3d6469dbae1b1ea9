// nn-embed: the EmbedModel build-tool plugin's worker. Reads one model file, checks that this build of the
// toolkit reads it (a corrupt or unsupported model fails the build with one line naming the file), and
// writes a Swift file declaring a type named after it that carries the model's bytes:
//
//   nn-embed MODEL.nnm OUTPUT.swift TypeName
//
// The bytes go in as one base64 string literal: the compiler takes a 1.3 MB string literal in well under a
// second, where an array literal of a million numbers takes minutes to type-check.
import NNFormats
#if canImport(Glibc)
import Glibc
#endif

let usage = """
    Usage: nn-embed MODEL.nnm OUTPUT.swift TypeName
    Checks MODEL.nnm and writes OUTPUT.swift, a Swift file declaring the public type TypeName that carries
    the model's bytes (the EmbedModel build-tool plugin runs this for each .nnm file of a target).
    OUTPUT.swift may not be MODEL.nnm; - writes to standard output.
    """

/// One line on stderr, then exit 2: every error of nn-embed is a usage or input error (README, "The
/// tools"); the build that ran the plugin fails on it and shows the line.
func fail(_ message: String, usageLine: Bool = false) -> Never {
    fputs("nn-embed: \(message)\n", stderr)
    if usageLine { fputs("Usage: nn-embed MODEL.nnm OUTPUT.swift TypeName (nn-embed --help for more)\n", stderr) }
    exit(2)
}

let args = Array(CommandLine.arguments.dropFirst())
if args.contains("--help") || args.contains("-h") {
    print(usage)
    exit(0)
}
if let option = args.first(where: { $0.hasPrefix("-") && $0 != "-" }) { fail("unknown option \(option)", usageLine: true) }
guard args.count == 3 else { fail("expected 3 arguments (model, output, type name), got \(args.count)", usageLine: true) }
let (input, output, typeName) = (args[0], args[1], args[2])

// The output may not be the model itself (through any name: a symlink, a hard link, `..`, or standard
// input redirected from it): the Swift source would replace the model. An existing output is compared by
// device and inode; one that does not exist yet cannot be the model, which must exist to be read.
var inputStat = stat(), outputStat = stat()
if output != "-", stat(output, &outputStat) == 0, (input == "-" ? fstat(0, &inputStat) : stat(input, &inputStat)) == 0,
   inputStat.st_dev == outputStat.st_dev, inputStat.st_ino == outputStat.st_ino {
    fail("\(output): the output is the model file itself (\(input == "-" ? "standard input" : input)); give the Swift source its own path")
}

let bytes: [UInt8]
let model: Model
do {
    bytes = try readWholeFile(input, limit: 1 << 28, kind: "a model file")
    model = try ModelFileReader.decode(bytes, path: input)
} catch {
    fail("\(error)")
}
guard typeName.first.map({ $0.isLetter || $0 == "_" }) == true, typeName.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
    fail("\(input): '\(typeName)' is not a Swift type name: rename the file (letters, digits and _ only)")
}

/// RFC 4648 base64 with padding.
func base64(_ data: [UInt8]) -> String {
    let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out = [UInt8]()
    out.reserveCapacity((data.count + 2) / 3 * 4)
    var i = 0
    while i < data.count {
        let b0 = UInt32(data[i]), b1 = i + 1 < data.count ? UInt32(data[i + 1]) : 0, b2 = i + 2 < data.count ? UInt32(data[i + 2]) : 0
        let n = b0 << 16 | b1 << 8 | b2
        out.append(table[Int(n >> 18 & 63)])
        out.append(table[Int(n >> 12 & 63)])
        out.append(i + 1 < data.count ? table[Int(n >> 6 & 63)] : UInt8(ascii: "="))
        out.append(i + 2 < data.count ? table[Int(n & 63)] : UInt8(ascii: "="))
        i += 3
    }
    return String(decoding: out, as: UTF8.self)
}

/// A class name as a Swift case name: "T-shirt/top" -> tShirtTop, "7" -> _7; unique within the enum.
func caseName(_ name: String, taken: inout Set<String>) -> String {
    var words: [String] = []
    var word = ""
    for ch in name {
        if ch.isLetter || ch.isNumber, ch.isASCII { word.append(ch) } else if !word.isEmpty { words.append(word); word = "" }
    }
    if !word.isEmpty { words.append(word) }
    var s = words.enumerated().map { i, w in i == 0 ? w.prefix(1).lowercased() + w.dropFirst() : w.prefix(1).uppercased() + w.dropFirst() }.joined()
    if s.isEmpty || s.first!.isNumber { s = "_" + s }
    let keywords: Set = ["class", "struct", "enum", "case", "default", "func", "let", "var", "in", "is", "as", "if", "else", "for",
                         "while", "return", "switch", "import", "init", "self", "Self", "true", "false", "nil", "try", "throw", "where"]
    if keywords.contains(s) { s = "`\(s)`" }
    var unique = s, k = 2
    while taken.contains(unique) { unique = s + "\(k)"; k += 1 }
    taken.insert(unique)
    return unique
}

func literal(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default: if u.value < 0x20 { out += "\\u{\(String(u.value, radix: 16))}" } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

let fileName = input.split(separator: "/").last.map(String.init) ?? input
var source = """
    // Generated by nn-toolkit's EmbedModel plugin from \(fileName). Do not edit: change the model file.
    import NNToolkit

    /// The model \(fileName) (\(model.architecture.summary)), carried in the binary: no file is read at
    /// run time.
    public struct \(typeName): Sendable {
        /// The model file's \(bytes.count) bytes, base64.
        static let encoded: StaticString = "\(base64(bytes))"

        /// Decoded once, on first use.
        private static let loaded = Result { () throws(ToolkitError) -> Classifier in try Classifier(embedded: encoded, name: \(literal(fileName))) }

        /// The classifier (shared: it may be used from several threads).
        public let classifier: Classifier

        /// Loads the embedded model (checked when the package was built, so this fails only if the bytes
        /// were damaged).
        public init() throws(ToolkitError) { classifier = try Self.loaded.get() }

        /// Classifies a PNG (any colour type, bit depth and size), normalised with the model's recipe.
        public func predict(png: some Collection<UInt8>, topK: Int = 1) throws(ToolkitError) -> Prediction {
            try classifier.predict(png: png, topK: topK)
        }

        /// Classifies an 8-bit grayscale picture of `width` x `height` bytes, row by row.
        public func predict(pixels: [UInt8], width: Int, height: Int, topK: Int = 1) throws(ToolkitError) -> Prediction {
            try classifier.predict(pixels: pixels, width: width, height: height, topK: topK)
        }

    """
if !model.classNames.isEmpty {
    var taken = Set<String>()
    let cases = model.classNames.map { (caseName($0, taken: &taken), $0) }
    source += """

        /// The model's classes, in output order.
        public enum Label: String, CaseIterable, Sendable {
    \(cases.map { "        case \($0.0) = \(literal($0.1))" }.joined(separator: "\n"))

            /// The class of a prediction's best (or any) class score.
            public init?(_ score: ClassScore) {
                guard Self.allCases.indices.contains(score.index) else { return nil }
                self = Self.allCases[score.index]
            }
        }

    """
}
source += "}\n"
do { try writeFileAtomically(Array(source.utf8), to: output) } catch { fail("\(error)") }
