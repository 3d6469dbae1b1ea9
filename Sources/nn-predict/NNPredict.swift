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
import NNToolkit

enum PredictFormat: String, ExpressibleByArgument, CaseIterable { case tsv, jsonl }

struct NNPredict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nn-predict",
        abstract: "Classify PNG images (or IDX images) with a model.",
        usage: "nn-predict [-m MODEL] [options] (FILE.png... | - | --images FILE)",
        discussion: """
            Each PNG is normalised with the recipe stored in the model (nn-train --png-recipe): digit, like \
            MNIST (grayscale, polarity, background, crop, fit 20x20, centre of mass at the centre of 28x28), \
            or resize (the whole picture scaled to the input size, a light background inverted). Class names \
            stored in the model (nn-train --class-names) are printed instead of numbers. `-` reads file paths from \
            stdin, one per line (at most 4096 bytes each): find scans -name '*.png' | nn-predict -
            When stdin starts with the PNG signature instead, `-` is that one picture, named <stdin>: \
            nn-predict - < digit.png

            Output, one line per input (--header prints the TSV column names first):
              classifier (softmax-ce; sigmoid-bce with 1 output: classes 0 and 1):
                path, then K pairs of label and probability, most likely first (K = --top-k)
              multi-label (sigmoid-bce with several outputs): the same columns; each probability is \
            that label's own (independent sigmoids: they need not sum to 1)
              regression (mse): path, then the model's output value(s): value (1 output) or value1 ... valueN
            TSV fields escape backslash, tab, newline and carriage return as \\\\, \\t, \\n, \\r, so a \
            path or class name cannot add a column or a line. JSONL: {"path", "label", "probability", \
            "top": [...]} for classifiers, {"path", "value"} or {"path", "values": [...]} for regression.
            An output that is not a finite number (a model whose weights overflow) is an error naming \
            the model (exit 2).
            """,
        version: versionText)

    @Option(name: [.short, .customLong("model")], help: "Model file (- for stdin; default: the shipped models/mnist-cnn.nnm, a CNN).")
    var model: String?
    @Argument(help: "PNG files; - reads paths from stdin, one per line (or one PNG, when stdin is a PNG).") var files: [String] = []
    @Option(help: "IDX images file to classify (gzipped or raw; - for stdin) instead of PNGs.") var images: String?
    @Option(help: OptionRules.topK.help("Print the K most likely classes per input (classifiers; default 1).")) var topK: Int?
    @Option(help: "Output: tsv or jsonl (columns above).") var format: PredictFormat = .tsv
    @Flag(help: "With tsv: print a first line naming the columns.") var header = false
    @Flag(help: "Feed images as they are (they must already have the model's input size, bright ink on black).")
    var noNormalize = false
    @Option(help: "Write the normalised PNG each input became (the image the network saw) into this directory.") var saveNormalized: String?
    @Option(help: OptionRules.maxPixels.help("Refuse PNGs with more pixels than this (decompression bombs).")) var maxPixels: Int = PNGLimits.defaultMaxPixels
    @Option(help: OptionRules.threads.help("Threads for decoding and normalising (default: all cores).")) var threads: Int?

    func validate() throws {
        try OptionRules.topK.check(topK)
        try OptionRules.maxPixels.check(maxPixels)
        try OptionRules.threads.check(threads)
        if header && format != .tsv { throw ToolError("--header is for --format tsv (JSONL lines name their fields)") }
        if images != nil && !files.isEmpty { throw ToolError("give either PNG files or --images, not both") }
        if images == nil && files.isEmpty { throw ToolError("no input: give PNG files, - for paths on stdin, or --images FILE") }
        if files.filter({ $0 == "-" }).count > 1 { throw ToolError("- may be given once") }
        if model == nil, let m = files.first(where: { $0.lowercased().hasSuffix(".nnm") || $0.lowercased().hasSuffix(".ckpt") }) {
            throw ToolError("\(m): a model file among the pictures; did you mean -m \(m)?")
        }
    }

    func run() throws {
        if let dir = saveNormalized {
            var st = stat()
            guard stat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                throw ToolError("\(dir): --save-normalized needs an existing directory")
            }
        }
        let modelPath = try model ?? Locations.defaultModel()
        var runFiles = RunFiles()
        runFiles.input("-m", modelPath)
        runFiles.input("--images", images)
        for f in files { runFiles.input("the argument", f) }
        try runFiles.check()
        let m = try ModelFileReader.read(modelPath)
        let predictor = Predictor(model: m, modelPath: modelPath, topK: topK ?? 1, format: format)
        if topK != nil && predictor.layout == .regression {
            throw ToolError("--top-k is for classifiers; \(modelPath == "-" ? "<stdin>" : modelPath) is a regression (mse) model")
        }
        let workers = threads ?? min(max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))), SizeLimits.maxThreads)
        Parallelism.threadCount = 1   // small batches: threads go to decoding instead

        if let images {
            try refusePNG(images, flag: "--images")
            let idx = try IDXReader.read(images)
            guard idx.elementType == .uint8, idx.dimensions.count >= 2, idx.itemSize == m.architecture.inputSize else {
                throw FormatError(images, "holds \(CheckedSize.shape(Array(idx.dimensions.dropFirst()))) items of type \(idx.elementType), the model takes \(CheckedSize.shape(m.inputShape)) unsigned bytes")
            }
            if idx.count == 0 { throw FormatError(images, "holds no images") }
            if header { NNCommandLine.emit(predictor.headerLine, terminator: "") }
            let size = idx.itemSize
            var start = 0
            while start < idx.count {
                let end = min(start + 256, idx.count)
                let samples = (start..<end).map { Array(idx.data[($0 * size)..<(($0 + 1) * size)]) }
                let names = (start..<end).map { "\(images == "-" ? "<stdin>" : images)#\($0)" }
                NNCommandLine.emit(try predictor.lines(names: names, samples: samples, classifier: predictor.classifier).joined(), terminator: "")
                start = end
            }
            return
        }

        // PNGs become the model's input as the library makes them (NNToolkit's ModelInput): the recipe stored by
        // nn-train (--png-recipe), MNIST's digit recipe for a model without one (older files, imports). An
        // unknown recipe matters only when pictures are normalised.
        let input = ModelInput(model: m)
        // A model that can take no picture at all is the problem, not each picture: said once, naming it.
        if let problem = input.pictureProblem(normalize: !noNormalize) {
            throw FormatError(modelPath, problem.description + (input.recipe == nil && !noNormalize ? " (--no-normalize)" : ""))
        }
        try predictPNGs(m, predictor: predictor, input: input, workers: workers)
    }

    /// Reads, normalises and classifies the PNG inputs (paths on the command line and stdin).
    func predictPNGs(_ m: Model, predictor: Predictor, input: ModelInput, workers: Int) throws {
        let reader = PNGInputs(input: input, normalize: !noNormalize,
                               maxPixels: maxPixels, saveDirectory: saveNormalized, saved: Locked([:]))
        if header { NNCommandLine.emit(predictor.headerLine, terminator: "") }
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
            // Worker 0 uses the predictor's classifier; the others make their own (its network) when they
            // first get work (a network allocates gradient buffers: ~1 ms that a single picture should not pay).
            var classifier: Classifier? = w == 0 ? predictor.classifier : nil
            var size = 1
            while true {
                let (first, batch) = paths.withLock { p in (p.taken, p.next(size)) }
                if batch.isEmpty { break }
                size = min(size * 2, 16)
                let loaded = batch.map { reader.load($0) }
                let own = classifier ?? Classifier(model: m)
                classifier = own
                var names: [String] = [], samples: [[UInt8]] = []
                for (item, r) in zip(batch, loaded) { if case .success(let s) = r { names.append(item.name); samples.append(s) } }
                let answers: [Result<String, InputFailure>]
                do {
                    var lines = samples.isEmpty ? [] : try predictor.lines(names: names, samples: samples, classifier: own)[...]
                    answers = loaded.map { r in r.map { _ in lines.removeFirst() } }
                } catch let e as ToolError {
                    // the model, not an input, is at fault: the run stops at this batch's first input
                    answers = loaded.map { _ in .failure(InputFailure(e.message, fatal: true)) }
                } catch {
                    answers = loaded.map { _ in .failure(InputFailure("\(error)", fatal: true)) }
                }
                output.withLock { o in for (k, a) in answers.enumerated() { o.finish(first + k, a, path: batch[k].name) } }
            }
        }
        if let problem = paths.withLock({ $0.problem }) { throw ToolError(problem) }
        let failures = output.withLock { $0.failures }
        if failures > 0 { throw ExitCode(1) }
    }
}

struct InputFailure: Error {
    var message: String
    /// The model is at fault (its output is not finite): nothing after this input can be trusted.
    var fatal = false
    init(_ m: String, fatal: Bool = false) {
        message = m
        self.fatal = fatal
    }
}

/// One PNG input: a path, or what stands in for one.
enum PNGInput {
    case path(String)
    /// `-` when stdin starts with the PNG signature: the whole of stdin is one picture.
    case standardInput([UInt8])
    /// A line of stdin that cannot name a file (its bytes are not UTF-8 text), shown escaped.
    case refused(name: String, reason: String)

    /// The input's name in output lines and messages.
    var name: String {
        switch self {
        case .path(let path): return path
        case .standardInput: return "<stdin>"
        case .refused(let name, _): return name
        }
    }
}

/// Paths from the command line, with "-" expanded lazily to the lines of stdin (or to stdin itself when
/// it is a PNG).
struct PathSource {
    var arguments: [String]
    var index = 0
    var readingStdin = false
    var stdin = StandardInputLines()
    /// Paths handed out so far.
    var taken = 0
    /// Why reading paths stopped early (a line too long to be a path: /dev/zero on stdin).
    var problem: String?

    init(arguments: [String]) { self.arguments = arguments }

    /// Up to n inputs. Waits for the first one only: lines of stdin that have not arrived yet are left for
    /// the next call, so a path typed (or piped) in is answered before the one after it comes.
    mutating func next(_ n: Int) -> [PNGInput] {
        var out: [PNGInput] = []
        while out.count < n {
            if readingStdin {
                switch stdin.next(wait: out.isEmpty) {
                case .line(let line):
                    let path = String(line.drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed()
                        .drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
                    if !path.isEmpty { out.append(.path(path)) }
                case .notUTF8(let shown):
                    out.append(.refused(name: shown, reason: "not UTF-8 text, so not a path this tool can open"))
                case .notYet: taken += out.count; return out
                case .end: readingStdin = false
                case .tooLong(let number):
                    problem = "<stdin>: line \(number) is longer than \(SizeLimits.maxPathBytes) bytes: not a path (give one path per line)"
                    readingStdin = false
                    index = arguments.count
                }
                continue
            }
            guard index < arguments.count else { break }
            let a = arguments[index]
            index += 1
            if a != "-" {
                out.append(.path(a))
            } else if stdin.startsWithPNGSignature() {
                let limit = SizeLimits.maxImageFileBytes
                out.append(stdin.remainingBytes(limit: limit).map { .standardInput($0) }
                           ?? .refused(name: "<stdin>", reason: "holds more than \(byteCount(limit)), the limit for a PNG file"))
            } else {
                readingStdin = true
            }
        }
        taken += out.count
        return out
    }
}

/// The lines of standard input, read with read(2) into a buffer of our own so that we can tell whether
/// another line is there without waiting for it (stdio's buffer cannot be asked).
struct StandardInputLines {
    /// A line that is not UTF-8 comes with its bytes shown (valid characters as they are, others as \xHH).
    enum Next { case line(String), notUTF8(shown: String), notYet, end, tooLong(line: Int) }
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false
    private var lineNumber = 0

    mutating func next(wait: Bool) -> Next {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                lineNumber += 1
                if newline - start > SizeLimits.maxPathBytes { return .tooLong(line: lineNumber) }
                defer { start = newline + 1 }
                return Self.text(buffer[start..<newline])
            }
            // no newline within a path's length: an endless line (/dev/zero) ends here, not in memory
            if buffer.count - start > SizeLimits.maxPathBytes { return .tooLong(line: lineNumber + 1) }
            if ended {
                guard start < buffer.count else { return .end }
                defer { start = buffer.count }
                return Self.text(buffer[start...])
            }
            if !wait {
                var p = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
                if poll(&p, 1, 0) <= 0 { return .notYet }
            }
            fill()
        }
    }

    /// Whether stdin starts with the PNG signature. Reads only until the bytes so far differ from it: a
    /// path typed in (its first byte is never 0x89) is not held up waiting for 8 bytes.
    mutating func startsWithPNGSignature() -> Bool {
        while true {
            let head = buffer[start...].prefix(pngSignature.count)
            if !pngSignature.starts(with: head) { return false }
            if head.count == pngSignature.count { return true }
            if ended { return false }
            fill()
        }
    }

    /// The rest of stdin, nil when it holds more than `limit` bytes.
    mutating func remainingBytes(limit: Int) -> [UInt8]? {
        while !ended && buffer.count - start <= limit { fill() }
        guard buffer.count - start <= limit else { return nil }
        defer { start = buffer.count }
        return Array(buffer[start...])
    }

    /// One read(2) of up to 64 KB appended to the buffer (the lines already taken dropped first).
    private mutating func fill() {
        buffer.removeFirst(start)
        start = 0
        let count = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: 65536))
        let n = buffer.withUnsafeMutableBufferPointer { read(0, $0.baseAddress! + count, 65536) }
        buffer.removeLast(65536 - max(n, 0))
        if n < 0 && errno == EINTR { return }
        if n <= 0 { ended = true }   // end of input, or an error reading it: nothing more either way
    }

    /// A line as a path, or, when it is not UTF-8, its bytes shown: valid characters as they are, the
    /// other bytes as \xHH (the escapes printError uses for control characters).
    private static func text(_ bytes: ArraySlice<UInt8>) -> Next {
        if let line = String(validating: bytes, as: UTF8.self) { return .line(line) }
        var shown = "", i = bytes.startIndex
        outer: while i < bytes.endIndex {
            for n in 1...4 where n <= bytes.endIndex - i {
                if let s = String(validating: bytes[i..<(i + n)], as: UTF8.self) {
                    shown += s
                    i += n
                    continue outer
                }
            }
            shown += "\\x" + (bytes[i] < 16 ? "0" : "") + String(bytes[i], radix: 16)
            i += 1
        }
        return .notUTF8(shown: shown)
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
                if e.fatal {
                    printError("nn-predict: \(e.message)")
                    terminate(2)
                }
                printError("nn-predict: \(path): \(e.message)")
                failures += 1
            }
        }
        if !text.isEmpty { NNCommandLine.emit(text, terminator: "") }
    }
}

/// Reads one PNG and turns it into the model's input bytes.
struct PNGInputs {
    /// How the model takes pictures (the library's one place for it).
    var input: ModelInput
    var normalize: Bool
    var maxPixels: Int
    var saveDirectory: String?
    /// --save-normalized: each file saved so far and the input it came from (two inputs named x.png in
    /// different directories would otherwise overwrite each other's x.normalized.png).
    var saved: Locked<[String: String]>

    func load(_ item: PNGInput) -> Result<[UInt8], InputFailure> {
        let bytes: [UInt8]
        switch item {
        case .refused(_, let reason): return .failure(InputFailure(reason))
        case .standardInput(let whole): bytes = whole
        case .path(let path):
            if path.utf8.contains(0) { return .failure(InputFailure("a path cannot hold a NUL byte")) }
            do {
                // /dev/zero or a text file is refused after its first bytes, not read to the limit
                bytes = try readWholeFile(path, limit: SizeLimits.maxImageFileBytes, kind: "a PNG file", checkStart: checkPNGStart)
            } catch let e as FormatError { return .failure(InputFailure(e.message)) } catch {
                return .failure(InputFailure("\(error)"))
            }
        }
        let image: GrayImage
        do { image = try decodePNG(bytes, maxPixels: maxPixels) } catch { return .failure(InputFailure("\(error)")) }
        let prepared: GrayImage
        do { prepared = try input.bytes(for: image, normalize: normalize) } catch {
            return .failure(InputFailure(error.description + (normalize ? "" : " (--no-normalize)")))
        }
        if let dir = saveDirectory {
            let path = item.name
            let base = { if case .standardInput = item { return "stdin" } else { return path.split(separator: "/").last.map(String.init) ?? path } }()
            let stem = base.lastIndex(of: ".").map { $0 == base.startIndex ? base : String(base[..<$0]) } ?? base
            let target = dir + "/" + stem + ".normalized.png"
            // the rules of RunFiles, per input: the saved file may not be this input, nor another's output
            var st = stat(), inputStat = stat()
            let inputFound = { if case .standardInput = item { return fstat(0, &inputStat) == 0 } else { return stat(path, &inputStat) == 0 } }()
            if stat(target, &st) == 0, inputFound, st.st_dev == inputStat.st_dev, st.st_ino == inputStat.st_ino {
                return .failure(InputFailure("its normalised image would replace the input itself (\(target)); an output may not replace an input"))
            }
            if let earlier = saved.withLock({ s -> String? in
                if let e = s[target] { return e }
                s[target] = path
                return nil
            }) {
                return .failure(InputFailure("its normalised image would overwrite \(target), saved for \(earlier)"))
            }
            do { try writeFileAtomically(try encodePNG(prepared), to: target) } catch {
                return .failure(InputFailure("cannot save the normalised image: \(error)"))
            }
        }
        return .success(prepared.pixels)
    }
}

/// What a model's outputs mean, and so what a line of output holds.
enum OutputLayout: Equatable {
    /// softmax-ce: classes with probabilities summing to 1; sigmoid-bce with 1 output: classes 1 and 0.
    case classes
    /// sigmoid-bce with several outputs: an independent probability per label.
    case labels
    /// mse: the output values themselves.
    case regression
}

/// Runs the network on a batch and prints one line per sample.
struct Predictor {
    let classifier: Classifier
    let model: Model
    let modelPath: String
    let topK: Int
    let format: PredictFormat

    init(model: Model, modelPath: String, topK: Int, format: PredictFormat) {
        self.model = model
        self.modelPath = modelPath
        self.classifier = Classifier(model: model)
        self.topK = topK
        self.format = format
    }

    var layout: OutputLayout {
        switch model.architecture.output {
        case .softmaxCrossEntropy: return .classes
        case .sigmoidBinaryCrossEntropy: return model.encoding.isBinary ? .classes : .labels
        case .identityMeanSquaredError: return .regression
        }
    }

    var outputCount: Int { model.architecture.outputSize }
    /// Label-probability pairs per line.
    var pairs: Int { min(topK, model.encoding.classCount) }

    /// The TSV column names, newline included.
    var headerLine: String {
        var columns = ["path"]
        if layout == .regression {
            columns += outputCount == 1 ? ["value"] : (1...outputCount).map { "value\($0)" }
        } else if pairs == 1 {
            columns += ["label", "probability"]
        } else {
            for k in 1...pairs { columns += ["label\(k)", "probability\(k)"] }
        }
        return columns.joined(separator: "\t") + "\n"
    }

    /// One output line (newline included) per sample, run as one batch through `classifier` (one per
    /// thread: layers cache their inputs) and ranked by it. Throws when an output is not a finite number:
    /// finite weights can still overflow Float, and a printed `nan` would read as an answer.
    func lines(names: [String], samples: [[UInt8]], classifier: Classifier) throws -> [String] {
        let outputs = classifier.outputs(bytes: samples)
        var out: [String] = []
        for (name, values) in zip(names, outputs) {
            if let bad = values.first(where: { !$0.isFinite }) {
                throw ToolError("\(modelPath == "-" ? "<stdin>" : modelPath): the model's output for \(name) is \(inWords(bad)): "
                    + "its weights overflow Float arithmetic (retrain it, e.g. with a lower --learning-rate)")
            }
            if layout == .regression {
                switch format {
                case .tsv: out.append(([tsvField(name)] + values.map { cFormat("%.6g", $0) }).joined(separator: "\t") + "\n")
                case .jsonl:
                    let v: (String, JSON) = values.count == 1 ? ("value", .number(values[0])) : ("values", .array(values.map { .number($0) }))
                    out.append(JSON.object([("path", .string(name)), v]).text + "\n")
                }
                continue
            }
            let top = try classifier.rank(values, topK: pairs).top
            switch format {
            case .tsv:
                out.append(tsvField(name) + top.map { "\t\(tsvField($0.name))\t\(cFormat("%.4f", $0.probability))" }.joined() + "\n")
            case .jsonl:
                out.append(JSON.object([("path", .string(name)), ("label", .string(top[0].name)), ("probability", .number(top[0].probability)),
                                        ("top", .array(top.map { .object([("label", .string($0.name)), ("probability", .number($0.probability))]) }))]).text + "\n")
            }
        }
        return out
    }
}
