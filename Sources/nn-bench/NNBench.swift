// nn-bench: benchmarks and benchmark inputs. Figures print side by side with their reference where
// one is measured in the same run (see bench/).
import ArgumentParser
import Foundation
import NNCommandLine
import NNCore
import NNFormats
import NNImage

struct NNBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nn-bench", abstract: "Benchmarks for nn-toolkit.",
        subcommands: [Train.self, RenderPhotos.self])
}

/// Writes t10k digits rendered like user photos (PhotoLikeRenderer) as PNG files, plus labels.tsv.
struct RenderPhotos: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "render-photos",
        abstract: "Render t10k digits as photo-like PNGs (dark ink on grey paper, any PNG kind) into a directory.")
    @Option(help: "Output directory (created).") var out: String
    @Option(help: "How many digits (every n-th of t10k so all classes appear).") var count: Int = 1000
    @Option(help: "Directory with t10k-images/labels (default: the embedded set).") var data: String?
    @Option(help: "Largest canvas side in pixels.") var maxCanvas: Int = 400

    func run() throws {
        let set = try IDXDataset.load(IDXDataset.standardFiles(in: data ?? Locations.defaultDataDirectory(), split: "test"))
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var renderer = PhotoLikeRenderer()
        renderer.maxCanvas = maxCanvas
        let n = min(count, set.dataset.count)
        let stride = set.dataset.count / n
        var tsv = ""
        for k in 0..<n {
            let i = k * stride
            let png = renderer.render(digit: Array(set.dataset.features[(i * 784)..<((i + 1) * 784)]), seed: UInt64(i))
            let name = String(format: "%05d.png", i)
            try writeFileAtomically(png, to: out + "/" + name)
            tsv += "\(out)/\(name)\t\(Int(set.dataset.labels[i]))\t\(i)\n"
        }
        try writeFileAtomically(Array(tsv.utf8), to: out + "/labels.tsv")
        printError("nn-bench: wrote \(n) PNGs and labels.tsv to \(out)")
    }
}
