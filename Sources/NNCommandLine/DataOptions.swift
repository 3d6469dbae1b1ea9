// DataOptions.swift: how every tool is told where labelled data is.
import ArgumentParser
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
            return DataFiles(images: images, labels: labels)
        }
        guard split == "test" || split == "train" else { throw ToolError("--split must be test or train") }
        return try IDXDataset.standardFiles(in: data ?? Locations.defaultDataDirectory(), split: split)
    }
}
