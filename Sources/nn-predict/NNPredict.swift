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

enum PredictFormat: String, ExpressibleByArgument, CaseIterable { case tsv, jsonl }

struct NNPredict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nn-predict",
        abstract: "Classify PNG images (or IDX images) with a model.",
        discussion: """
            Each PNG is normalised like MNIST (grayscale, polarity, background, crop, fit 20x20, centre of \
            mass at the centre of 28x28) with the recipe stored in the model. `-` reads file paths from \
            stdin, one per line: find scans -name '*.png' | nn-predict -
            """,
        version: versionText)

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
        let reader = PNGInputs(normalizer: normalizer, normalize: !noNormalize, inputShape: m.inputShape, imageSize: m.imageSize, maxPixels: maxPixels,
                               saveDirectory: saveNormalized)
        // One parallel region for the whole run: each worker takes the next few paths, reads and
        // normalises them, classifies them as one batch with its own copy of the network (layers cache
        // their inputs), and hands the lines to the output, which prints them in input order. No barrier
        // between batches, so neither core waits for the other until the very end. A worker's batches
        // grow 1, 2, 4 ... 16: the first answer comes at once, later ones share the matrix products (one
        // row at a time runs at ~40 % of the kernel's speed, bench/gemm/RESULTS.md). Paths and output
        // have separate locks: a worker waiting for the next line of stdin must not hold up an answer.
        let paths = Locked(PathSource(arguments: files))
        let output = Locked(OrderedOutput())
        Parallelism.runThreads(workers) { w in
            // Worker 0 uses the predictor's network; the others copy it when they first get work (a copy
            // allocates gradient buffers: ~1 ms that a single picture should not pay).
            var network: Network<Float>? = w == 0 ? predictor.network : nil
            var size = 1
            while true {
                let (first, batch) = paths.withLock { p in (p.taken, p.next(size)) }
                if batch.isEmpty { break }
                size = min(size * 2, 16)
                let loaded = batch.map { reader.load($0) }
                let net = network ?? m.network(Float.self)
                network = net
                var names: [String] = [], samples: [[UInt8]] = []
                for (path, r) in zip(batch, loaded) { if case .success(let s) = r { names.append(path); samples.append(s) } }
                var lines = samples.isEmpty ? [] : predictor.lines(names: names, samples: samples, network: net)[...]
                let answers = loaded.map { r in r.map { _ in lines.removeFirst() } }
                output.withLock { o in for (k, a) in answers.enumerated() { o.finish(first + k, a, path: batch[k]) } }
            }
        }
        let failures = output.withLock { $0.failures }
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
    var stdin = StandardInputLines()
    /// Paths handed out so far.
    var taken = 0

    init(arguments: [String]) { self.arguments = arguments }

    /// Up to n paths. Waits for the first one only: lines of stdin that have not arrived yet are left for
    /// the next call, so a path typed (or piped) in is answered before the one after it comes.
    mutating func next(_ n: Int) -> [String] {
        var out: [String] = []
        while out.count < n {
            if readingStdin {
                switch stdin.next(wait: out.isEmpty) {
                case .line(let line):
                    let path = String(line.drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed()
                        .drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
                    if !path.isEmpty { out.append(path) }
                case .notYet: taken += out.count; return out
                case .end: readingStdin = false
                }
                continue
            }
            guard index < arguments.count else { break }
            let a = arguments[index]
            index += 1
            if a == "-" { readingStdin = true } else { out.append(a) }
        }
        taken += out.count
        return out
    }
}

/// The lines of standard input, read with read(2) into a buffer of our own so that we can tell whether
/// another line is there without waiting for it (stdio's buffer cannot be asked).
struct StandardInputLines {
    enum Next { case line(String), notYet, end }
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false

    mutating func next(wait: Bool) -> Next {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                defer { start = newline + 1 }
                return .line(String(decoding: buffer[start..<newline], as: UTF8.self))
            }
            if ended {
                guard start < buffer.count else { return .end }
                defer { start = buffer.count }
                return .line(String(decoding: buffer[start...], as: UTF8.self))
            }
            if !wait {
                var p = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
                if poll(&p, 1, 0) <= 0 { return .notYet }
            }
            buffer.removeFirst(start)
            start = 0
            let count = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: 65536))
            let n = buffer.withUnsafeMutableBufferPointer { read(0, $0.baseAddress! + count, 65536) }
            buffer.removeLast(65536 - max(n, 0))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { ended = true }   // end of input, or an error reading it: no more paths either way
        }
    }
}

/// A value behind a pthread mutex. (Not Synchronization.Mutex: on Linux it locks with bare futexes, which
/// ThreadSanitizer cannot see, so every access it guards is reported as a race.)
final class Locked<Value> {
    private var value: Value
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<R>(_ body: (inout Value) -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body(&value)
    }
}

/// Answers arrive in any order; lines leave in input order, each as soon as every earlier one has left.
struct OrderedOutput {
    private var pending: [Int: (Result<String, InputFailure>, String)] = [:]
    private var next = 0
    private(set) var failures = 0

    mutating func finish(_ index: Int, _ answer: Result<String, InputFailure>, path: String) {
        pending[index] = (answer, path)
        var text = ""
        while let (answer, path) = pending.removeValue(forKey: next) {
            next += 1
            switch answer {
            case .success(let line): text += line
            case .failure(let e):
                // Earlier answers go out first, so stdout and stderr stay in input order.
                if !text.isEmpty { NNCommandLine.emit(text, terminator: ""); text = "" }
                printError("nn-predict: \(path): \(e.message)")
                failures += 1
            }
        }
        if !text.isEmpty { NNCommandLine.emit(text, terminator: "") }
    }
}

/// Reads one PNG and turns it into the model's input bytes.
struct PNGInputs: Sendable {
    var normalizer: DigitNormalizer
    var normalize: Bool
    var inputShape: [Int]
    /// The one-channel image size the model takes, if it takes one.
    var imageSize: (height: Int, width: Int)?
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
            guard let size = imageSize, size == (normalizer.canvas, normalizer.canvas) else {
                return .failure(InputFailure("the model takes \(inputShape.map(String.init).joined(separator: "x")) inputs, not \(normalizer.canvas)x\(normalizer.canvas) images"))
            }
            input = normalizer.normalize(image)
        } else {
            guard let size = imageSize, image.height == size.height, image.width == size.width else {
                return .failure(InputFailure("is \(image.width)x\(image.height); with --no-normalize the model needs \(imageSize.map { "\($0.width)x\($0.height)" } ?? Shape.text(inputShape)) images"))
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
        NNCommandLine.emit(lines(names: names, samples: samples, network: network).joined(), terminator: "")
    }

    /// One output line (newline included) per sample, run as one batch through `network` (one network per
    /// thread: layers cache their inputs).
    func lines(names: [String], samples: [[UInt8]], network: Network<Float>) -> [String] {
        let data = Dataset(features: samples.flatMap { $0 }, featureCount: samples[0].count, labels: [Double](repeating: 0, count: samples.count))
        let y = network.predict(model.scaling.batch(data, Array(0..<samples.count)[...], as: Float.self))
        var out: [String] = []
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
                    out.append("\(name)\t\(cFormat("%.6g", top[0].1))\n")
                } else {
                    out.append(name + top.map { "\t\(label($0.0))\t\(cFormat("%.4f", $0.1))" }.joined() + "\n")
                }
            case .jsonl:
                if model.encoding.isRegression {
                    out.append(JSON.object([("path", .string(name)), ("value", .number(top[0].1))]).text + "\n")
                } else {
                    out.append(JSON.object([("path", .string(name)), ("label", .string(label(top[0].0))), ("probability", .number(top[0].1)),
                                        ("top", .array(top.map { .object([("label", .string(label($0.0))), ("probability", .number($0.1))]) }))]).text + "\n")
                }
            }
        }
        return out
    }
}
