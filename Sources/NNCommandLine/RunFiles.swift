// RunFiles.swift: the files one run of a tool reads and writes, checked against each other before any
// work (README, "Robustness"):
// - an output may not be an input of the same run (same device and inode when the file exists, else the
//   same normalised path): `nn-train -o train-images.idx --train-images train-images.idx` is refused
//   instead of overwriting the training data;
// - two outputs may not be one file (`-o m.nnm --metrics m.nnm`), and standard output takes one output
//   (`-o - --metrics -`, or `-o /dev/stdout` beside a report on stdout); /dev/null takes any number;
// - standard input is read once (`nn-predict -m - -`, `nn-eval -m - --images -`);
// - every output can be written (checkWritable: the directory exists and is writable; a device or FIFO is
//   written in place).
// Terminals and other character devices may be both read and written (`nn-predict - < /dev/tty`).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNFormats

public struct RunFiles {
    public private(set) var inputs: [(flag: String, path: String)] = []
    public private(set) var outputs: [(flag: String, path: String)] = []
    /// Output flag -> the input flag it may be the same file as (a checkpoint updated in place).
    private var updates: [String: String] = [:]
    public init() {}

    /// A file the run reads ("-": standard input); nil is skipped.
    public mutating func input(_ flag: String, _ path: String?) {
        if let path { inputs.append((flag, path)) }
    }

    /// A file the run writes ("-": standard output); nil is skipped.
    public mutating func output(_ flag: String, _ path: String?, updating input: String? = nil) {
        if let path { outputs.append((flag, path)) }
        if let input { updates[flag] = input }
    }

    /// Refuses the combinations above with one line naming both flags; then checks each output.
    public func check() throws {
        if let empty = (inputs + outputs).first(where: { $0.path.isEmpty }) { throw ToolError("\(empty.flag): an empty path names no file") }
        let stdinReaders = inputs.filter { $0.path == "-" }
        if stdinReaders.count > 1 {
            throw ToolError("\(stdinReaders[0].flag) - and \(stdinReaders[1].flag) -: both read standard input, which can be read only once")
        }
        var inputIDs = inputs.map { FileIdentity(path: $0.path, standardFD: 0) }
        var readers = inputs
        // a pipe on standard input is never an output, read or not: writing into it would wait forever
        var st = stat()
        if fstat(0, &st) == 0, (st.st_mode & S_IFMT) == S_IFIFO, !inputs.contains(where: { $0.path == "-" }) {
            inputIDs.append(FileIdentity(path: "-", standardFD: 0))
            readers.append(("standard input", "-"))
        }
        let outputIDs = outputs.map { FileIdentity(path: $0.path, standardFD: 1) }
        for (i, out) in outputs.enumerated() {
            let id = outputIDs[i]
            if id.isCharacterDevice && out.path != "-" && !id.isStandardOutput { continue }  // /dev/null, /dev/tty
            if let k = inputIDs.firstIndex(where: { $0.key == id.key }), !id.isCharacterDevice, updates[out.flag] != readers[k].flag {
                throw ToolError("\(out.flag) \(out.path): is also the input \(readers[k].flag); an output may not replace an input of the same run")
            }
            for j in 0..<i where outputIDs[j].key == id.key {
                let what = id.isStandardOutput ? "both write to standard output" : "both name the same file"
                throw ToolError("\(outputs[j].flag) \(outputs[j].path) and \(out.flag) \(out.path): \(what); give each output its own path")
            }
        }
        for out in outputs { try checkWritable(out.path) }
    }
}

/// What a path names, for comparing paths: the device and inode of an existing file, else its normalised
/// absolute path. "-" is the standard input or output descriptor itself.
struct FileIdentity {
    enum Key: Equatable {
        case node(UInt64, UInt64)
        case path(String)
    }
    var key: Key
    var isCharacterDevice = false
    var isStandardOutput = false

    init(path: String, standardFD: Int32) {
        var st = stat()
        let found = path == "-" ? fstat(standardFD, &st) == 0 : stat(path, &st) == 0
        if found {
            key = .node(UInt64(st.st_dev), UInt64(st.st_ino))
            isCharacterDevice = (st.st_mode & S_IFMT) == S_IFCHR
            var out = stat()
            isStandardOutput = path == "-" || (fstat(1, &out) == 0 && out.st_dev == st.st_dev && out.st_ino == st.st_ino)
        } else {
            key = .path(path == "-" ? "<fd \(standardFD)>" : FileIdentity.normalise(path))
        }
    }

    /// An absolute path with ".", ".." and repeated slashes resolved; the directory part through realpath
    /// when it exists (so symlinked directories compare equal).
    static func normalise(_ path: String) -> String {
        var cwd = [CChar](repeating: 0, count: 4097)
        let base = path.hasPrefix("/") ? "" : (getcwd(&cwd, cwd.count) != nil ? String(cString: cwd) : ".")
        var parts: [Substring] = []
        for part in (base + "/" + path).split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        guard let last = parts.popLast() else { return "/" }
        let dir = "/" + parts.joined(separator: "/")
        if let real = realpath(dir, nil) {
            defer { free(real) }
            let r = String(cString: real)
            return (r == "/" ? "" : r) + "/" + last
        }
        return (dir == "/" ? "" : dir) + "/" + last
    }
}
