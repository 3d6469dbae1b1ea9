// nn-predict: classifies PNG pictures of digits (any size, colour type, polarity) or IDX images.
// One line per input on stdout, flushed as soon as it is known; unreadable inputs get an error line on
// stderr and do not stop the run (exit 1 at the end).
import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNCommandLine
import NNCore
import NNFormats
import NNImage
import Synchronization

enum PredictFormat: String, ExpressibleByArgument, CaseIterable { case tsv, jsonl }

struct NNPredict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nn-predict",
        abstract: "Classify PNG images (or IDX images) with a model.",
        discussion: """
            Each PNG is normalised like MNIST (grayscale, polarity, background, crop, fit 20x20, centre of \
            mass at the centre of 28x28) with the recipe stored in the model. `-` reads file paths from \
            stdin, one per line: find scans -name '*.png' | nn-predict -
            """)

    @Option(name: [.short, .customLong("model")], help: "Model file (default: the shipped models/mnist-default.nnm).")
    var model: String?
    @Argument(help: "PNG files; - reads paths from stdin, one per line.") var files: [String] = []
    @Option(help: "IDX images file to classify (gzipped or raw) instead of PNGs.") var images: String?
    @Option(help: "Print the K most likely classes per input.") var topK: Int = 1
    @Option(help: "Output: tsv (path, label, probability) or jsonl.") var format: PredictFormat = .tsv
    @Flag(help: "Feed images as they are (they must already have the model's input size, bright ink on black).")
    var noNormalize = false
    @Option(help: "Write the normalised 28x28 PNG each input became into this directory.") var saveNormalized: String?
    @Option(help: "Refuse PNGs with more pixels than this (decompression bombs).") var maxPixels: Int = PNGLimits.defaultMaxPixels
    @Option(help: "Threads for decoding and normalising (default: all cores).") var threads: Int?

    func run() throws {
        guard topK >= 1 else { throw ToolError("--top-k must be at least 1") }
        guard maxPixels >= 1 else { throw ToolError("--max-pixels must be at least 1") }
        if images != nil && !files.isEmpty { throw ToolError("give either PNG files or --images, not both") }
        if images == nil && files.isEmpty { throw ToolError("no input: give PNG files, - for paths on stdin, or --images FILE") }
        if files.filter({ $0 == "-" }).count > 1 { throw ToolError("- may be given once") }
        if let dir = saveNormalized {
            var st = stat()
            guard stat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                throw ToolError("\(dir): --save-normalized needs an existing directory")
            }
        }
        let modelPath = try model ?? Locations.defaultModel()
        let m = try ModelFileReader.read(modelPath)
        let predictor = Predictor(model: m, topK: topK, format: format)
        let workers = threads ?? max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        Parallelism.threadCount = 1   // small batches: threads go to decoding instead

        if let images {
            let idx = try IDXReader.read(images)
            guard idx.elementType == .uint8, idx.itemSize == m.architecture.inputSize else {
                throw FormatError(images, "holds \(idx.dimensions.dropFirst().map(String.init).joined(separator: "x")) items of type \(idx.elementType), the model takes \(m.inputShape.map(String.init).joined(separator: "x")) unsigned bytes")
            }
            let size = idx.itemSize
            var start = 0
            while start < idx.count {
                let end = min(start + 256, idx.count)
                let samples = (start..<end).map { Array(idx.data[($0 * size)..<(($0 + 1) * size)]) }
                predictor.emit(names: (start..<end).map { "\(images)#\($0)" }, samples: samples)
                start = end
            }
            return
        }

        let normalizer = m.imageRecipe.map { DigitNormalizer(parameters: $0.parameters) } ?? .standard
        let reader = PNGInputs(normalizer: normalizer, normalize: !noNormalize, inputShape: m.inputShape, maxPixels: maxPixels,
                               saveDirectory: saveNormalized)
        var failures = 0
        var paths = PathSource(arguments: files)
        // Chunks: decoding runs on all cores; each chunk's lines are printed, in input order, when it is done.
        var chunkSize = 1
        while true {
            let chunk = paths.next(chunkSize)
            if chunk.isEmpty { break }
            var results = [Result<[UInt8], InputFailure>](repeating: .failure(InputFailure("")), count: chunk.count)
            results.withUnsafeMutableBufferPointer { out in
                let buffer = out
                // Each worker takes the next undone picture (sizes vary 10x, so fixed shares leave a core idle).
                let next = Atomic<Int>(0)
                Parallelism.runThreads(min(workers, chunk.count)) { _ in
                    while true {
                        let i = next.add(1, ordering: .relaxed).oldValue
                        if i >= chunk.count { break }
                        buffer[i] = reader.load(chunk[i])
                    }
                }
            }
            var names: [String] = [], samples: [[UInt8]] = []
            for (path, r) in zip(chunk, results) {
                switch r {
                case .success(let s):
                    names.append(path)
                    samples.append(s)
                case .failure(let e):
                    if !samples.isEmpty { predictor.emit(names: names, samples: samples); names = []; samples = [] }
                    printError("nn-predict: \(path): \(e.message)")
                    failures += 1
                }
            }
            if !samples.isEmpty { predictor.emit(names: names, samples: samples) }
            chunkSize = min(chunkSize * 2, 256)
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

struct InputFailure: Error {
    var message: String
    init(_ m: String) { message = m }
}

/// Paths from the command line, with "-" expanded lazily to the lines of stdin.
struct PathSource {
    var arguments: [String]
    var index = 0
    var readingStdin = false

    init(arguments: [String]) { self.arguments = arguments }

    mutating func next(_ n: Int) -> [String] {
        var out: [String] = []
        while out.count < n {
            if readingStdin {
                guard let line = readLine() else { readingStdin = false; continue }
                let path = String(line.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
                if !path.isEmpty { out.append(path) }
                continue
            }
            guard index < arguments.count else { break }
            let a = arguments[index]
            index += 1
            if a == "-" { readingStdin = true } else { out.append(a) }
        }
        return out
    }
}

/// Reads one PNG and turns it into the model's input bytes.
struct PNGInputs: Sendable {
    var normalizer: DigitNormalizer
    var normalize: Bool
    var inputShape: [Int]
    var maxPixels: Int
    var saveDirectory: String?

    func load(_ path: String) -> Result<[UInt8], InputFailure> {
        let bytes: [UInt8]
        do { bytes = try readWholeFile(path) } catch let e as FormatError { return .failure(InputFailure(e.message)) } catch {
            return .failure(InputFailure("\(error)"))
        }
        let image: GrayImage
        do { image = try decodePNG(bytes, maxPixels: maxPixels) } catch { return .failure(InputFailure("\(error)")) }
        let input: GrayImage
        if normalize {
            guard inputShape == [normalizer.canvas, normalizer.canvas] else {
                return .failure(InputFailure("the model takes \(inputShape.map(String.init).joined(separator: "x")) inputs, not \(normalizer.canvas)x\(normalizer.canvas) images"))
            }
            input = normalizer.normalize(image)
        } else {
            guard inputShape.count == 2, image.height == inputShape[0], image.width == inputShape[1] else {
                return .failure(InputFailure("is \(image.width)x\(image.height); with --no-normalize the model needs \(inputShape.reversed().map(String.init).joined(separator: "x"))"))
            }
            input = image
        }
        if let dir = saveDirectory {
            let base = path.split(separator: "/").last.map(String.init) ?? path
            let stem = base.lastIndex(of: ".").map { $0 == base.startIndex ? base : String(base[..<$0]) } ?? base
            let name = stem + ".normalized.png"
            do { try writeFileAtomically(try encodePNG(input), to: dir + "/" + name) } catch {
                return .failure(InputFailure("cannot save the normalised image: \(error)"))
            }
        }
        return .success(input.pixels)
    }
}

/// Runs the network on a batch and prints one line per sample.
struct Predictor {
    let network: Network<Float>
    let model: Model
    let topK: Int
    let format: PredictFormat

    init(model: Model, topK: Int, format: PredictFormat) {
        self.model = model
        self.network = model.network(Float.self)
        self.topK = topK
        self.format = format
    }

    func label(_ c: Int) -> String { c < model.classNames.count ? model.classNames[c] : String(c) }

    func emit(names: [String], samples: [[UInt8]]) {
        let data = Dataset(features: samples.flatMap { $0 }, featureCount: samples[0].count, labels: [Double](repeating: 0, count: samples.count))
        let y = network.predict(model.scaling.batch(data, Array(0..<samples.count)[...], as: Float.self))
        var out = ""
        for (r, name) in names.enumerated() {
            var ranked: [(Int, Double)]
            if model.encoding.isBinary {
                let p = Double(y[r, 0])
                ranked = [(1, p), (0, 1 - p)]
            } else if model.encoding.isRegression {
                ranked = [(0, Double(y[r, 0]))]
            } else {
                ranked = (0..<y.cols).map { ($0, Double(y[r, $0])) }
            }
            ranked.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
            let top = ranked.prefix(topK)
            switch format {
            case .tsv:
                if model.encoding.isRegression {
                    out += "\(name)\t\(cFormat("%.6g", top[0].1))\n"
                } else {
                    out += name + top.map { "\t\(label($0.0))\t\(cFormat("%.4f", $0.1))" }.joined() + "\n"
                }
            case .jsonl:
                if model.encoding.isRegression {
                    out += JSON.object([("path", .string(name)), ("value", .number(top[0].1))]).text + "\n"
                } else {
                    out += JSON.object([("path", .string(name)), ("label", .string(label(top[0].0))), ("probability", .number(top[0].1)),
                                        ("top", .array(top.map { .object([("label", .string(label($0.0))), ("probability", .number($0.1))]) }))]).text + "\n"
                }
            }
        }
        NNCommandLine.emit(out, terminator: "")
    }
}
