// DataOptions.swift: how every tool is told where labelled data is.
import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNFormats

/// --data DIR (the four standard IDX names) or explicit --images/--labels.
public struct EvalDataOptions: ParsableArguments {
    @Option(name: .long, help: "Directory with the standard IDX files (t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]).")
    public var data: String?
    @Option(name: .long, help: "IDX images file (gzipped or raw; - for stdin).")
    public var images: String?
    @Option(name: .long, help: "IDX labels file (gzipped or raw).")
    public var labels: String?
    @Option(name: .long, help: "With --data: which split to use (test or train).")
    public var split: String = "test"

    public init() {}

    /// The files to read; the embedded default test set when nothing is given.
    public func files() throws -> DataFiles {
        if images != nil || labels != nil {
            guard let images, let labels else { throw ToolError("--images and --labels go together") }
            if data != nil { throw ToolError("give either --data or --images/--labels, not both") }
            try refusePNG(images, flag: "--images")
            return DataFiles(images: images, labels: labels)
        }
        guard split == "test" || split == "train" else { throw ToolError("--split must be test or train") }
        return try IDXDataset.standardFiles(in: data ?? Locations.defaultDataDirectory(), split: split)
    }
}

/// Refuses a PNG file given where IDX images are expected (`--images digit.png`), saying what reads
/// pictures. Only regular files are looked at (a pipe's first bytes belong to the reader).
public func refusePNG(_ path: String, flag: String) throws {
    var st = stat()
    guard path != "-", stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    var start = [UInt8](repeating: 0, count: 8)
    guard read(fd, &start, 8) == 8, start == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return }
    let hint = toolName == "nn-predict" ? "give pictures as arguments: nn-predict \(path)" : "to classify a picture: nn-predict \(path)"
    throw ToolError("\(flag) \(path): a PNG picture, but \(flag) takes IDX data (as in MNIST's files); \(hint)")
}
