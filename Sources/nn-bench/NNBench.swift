// nn-bench: benchmarks and benchmark inputs. Figures print side by side with their reference where
// one is measured in the same run (see bench/).
import ArgumentParser
import Dispatch
import Foundation
import NNCommandLine
import NNCore
import NNFormats
import NNImage

struct NNBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nn-bench", abstract: "Benchmarks for nn-toolkit.",
        subcommands: [Train.self, RenderPhotos.self, PNGStages.self])
}

/// Writes t10k digits rendered like user photos (PhotoLikeRenderer) as PNG files, plus labels.tsv.
struct RenderPhotos: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "render-photos",
        abstract: "Render t10k digits as photo-like PNGs (dark ink on grey paper, any PNG kind) into a directory.")
    @Option(help: "Output directory (created).") var out: String
    @Option(help: "How many digits (every n-th of t10k so all classes appear).") var count: Int = 1000
    @Option(help: "Directory with t10k-images/labels (default: the embedded set).") var data: String?
    @Option(help: "Largest canvas side in pixels.") var maxCanvas: Int = 400
    @Option(help: "Deepest bit depth: 16 (every PNG kind) or 8 (no 16-bit files).") var maxBitDepth: Int = 16

    func run() throws {
        let set = try IDXDataset.load(IDXDataset.standardFiles(in: data ?? Locations.defaultDataDirectory(), split: "test"))
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var renderer = PhotoLikeRenderer()
        renderer.maxCanvas = maxCanvas
        renderer.maxBitDepth = maxBitDepth
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

/// Where nn-predict's time per picture goes: each stage timed alone over the same files, one thread.
/// Prints one JSON line: milliseconds per image for reading, libpng decoding (to gray) and normalising.
struct PNGStages: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "png-stages",
        abstract: "Time reading, decoding and normalising PNG files, each stage alone, on one thread.")
    @Option(help: "File with one PNG path per line.") var paths: String
    @Option(help: "Passes over the files (the median pass is reported).") var repeats: Int = 3

    func run() throws {
        let files = String(decoding: try readWholeFile(paths, limit: 1 << 30, kind: "a list of paths"), as: UTF8.self).split(separator: "\n").map(String.init)
        guard !files.isEmpty else { throw ToolError("\(paths): no paths") }
        func median(_ f: () throws -> Void) rethrows -> Double {
            var times: [Double] = []
            for _ in 0..<max(1, repeats) {
                let start = DispatchTime.now().uptimeNanoseconds
                try f()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(files.count))
            }
            return times.sorted()[times.count / 2]
        }
        var bytes: [[UInt8]] = []
        let read = try median { bytes = try files.map { try readWholeFile($0, limit: SizeLimits.maxImageFileBytes, kind: "a PNG file") } }
        var images: [GrayImage] = []
        let decode = try median { images = try bytes.map { try decodePNG($0) } }
        var inked = 0
        let normalize = median { inked = images.reduce(0) { $0 + (DigitNormalizer.standard.normalize($1).pixels.contains { $0 > 0 } ? 1 : 0) } }
        let pixels = images.reduce(0) { $0 + $1.width * $1.height }
        emit(JSON.object([("files", .int(files.count)), ("mean_pixels", .int(pixels / files.count)), ("with_ink", .int(inked)),
                          ("read_ms_per_image", .number(read)), ("decode_ms_per_image", .number(decode)),
                          ("normalize_ms_per_image", .number(normalize))]).text)
    }
}
