// HostileInputTests.swift: property-based tests of the contract "bad input never crashes": every tool's
// command-line parser and every file reader, driven in process with random and boundary values (0, -1,
// 2^63-1, NaN, inf, huge dimensions, odd strings). A trap ends the test process, so merely finishing is
// part of each property; on top, every refusal must be exit 2 with exactly one error line that names
// the flag or the file. The runs of the built tools on a random sample are in EndToEndTests
// (HostileRunTests). PropertyBased prints the seed of a failing case for replay.
import Foundation
import PropertyBased
import Testing
import NNCommandLine
@testable import NNCore
@testable import NNFormats
import NNImage
@testable import nn_eval
@testable import nn_gradcheck
@testable import nn_predict
@testable import nn_train

/// The four tools' parsers, each with the arguments that make an otherwise valid command line.
enum ToolParser: CaseIterable {
    case train, eval, predict, gradcheck

    var base: [String] {
        switch self {
        case .predict: return ["x.png"]
        case .eval: return ["--errors", "e.png"]   // --errors-per-class goes with --errors
        default: return []
        }
    }

    /// nil when the arguments parse (and pass every option rule); else what the tool would print and exit with.
    func parse(_ arguments: [String]) -> ToolOutcome? {
        do {
            switch self {
            case .train: _ = try NNTrain.parseAsRoot(arguments)
            case .eval: _ = try NNEval.parseAsRoot(arguments)
            case .predict: _ = try NNPredict.parseAsRoot(arguments)
            case .gradcheck: _ = try NNGradcheck.parseAsRoot(arguments)
            }
            return nil
        } catch {
            switch self {
            case .train: return NNTrain.outcome(of: error, parsing: true)
            case .eval: return NNEval.outcome(of: error, parsing: true)
            case .predict: return NNPredict.outcome(of: error, parsing: true)
            case .gradcheck: return NNGradcheck.outcome(of: error, parsing: true)
            }
        }
    }
}

/// A numeric option and what it must accept: its rule, applied to the text as the parser reads numbers.
struct NumericOption {
    var tool: ToolParser
    var flag: String
    var accepts: (String) -> Bool
    /// The values on and just beyond each end of the range.
    var edges: [String]

    init(_ tool: ToolParser, _ rule: IntRule) {
        self.tool = tool
        flag = rule.flag
        accepts = { Int($0).map(rule.range.contains) ?? false }
        let (lo, hi) = (rule.range.lowerBound, rule.range.upperBound)
        edges = [lo - 1, lo, hi, hi + 1].map(String.init)
    }

    init(_ tool: ToolParser, _ rule: RealRule) {
        self.tool = tool
        flag = rule.flag
        accepts = { Double($0).map(rule.contains) ?? false }
        edges = [rule.lower.nextDown, rule.lower, rule.lower.nextUp, rule.upper.nextDown, rule.upper, rule.upper.nextUp].map { "\($0)" }
    }

    /// Every numeric option of the four tools.
    static let all: [NumericOption] = [
        .init(.train, OptionRules.epochs), .init(.train, OptionRules.batchSize), .init(.train, OptionRules.learningRate),
        .init(.train, OptionRules.weightDecay), .init(.train, OptionRules.threads), .init(.train, OptionRules.warmup),
        .init(.train, OptionRules.patience), .init(.train, OptionRules.augmentShift), .init(.train, OptionRules.augmentRotation),
        .init(.train, OptionRules.augmentElastic), .init(.train, OptionRules.validationSplit), .init(.train, OptionRules.checkpointEvery),
        .init(.eval, OptionRules.batchSize), .init(.eval, OptionRules.threads), .init(.eval, OptionRules.errorsPerClass),
        .init(.predict, OptionRules.topK), .init(.predict, OptionRules.maxPixels), .init(.predict, OptionRules.threads),
        .init(.gradcheck, OptionRules.samples), .init(.gradcheck, OptionRules.coordinates), .init(.gradcheck, OptionRules.step),
        .init(.gradcheck, OptionRules.rtol), .init(.gradcheck, OptionRules.atol), .init(.gradcheck, OptionRules.floor),
        .init(.gradcheck, OptionRules.weightDecay), .init(.gradcheck, OptionRules.threads),
    ]
}

/// Values at and around every edge a parser or a size meets.
let boundaryValues = [
    "0", "-0", "1", "-1", "2", "255", "256", "1000", "65536", "65537", "4096", "180", "181", "0.5", "1.0", "0.999999",
    "2147483647", "2147483648", "4294967295", "4294967296", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "-9223372036854775809", "18446744073709551616", "1e300", "-1e300", "1e-300", "5e-324",
    "nan", "NaN", "-nan", "inf", "-inf", "infinity", "0x10", "1e3", "+5", " 1", "1 ", "", "abc", "1,5", "١",
    "\u{0}", "1\n2", "\t", "--", "-", "1073741824", "1073741825", "268435456", "268435457", "100000", "100001", "10000", "10001",
]

/// One line each, whatever the message held: the property every refusal must have.
func expectOneErrorLine(_ outcome: ToolOutcome, naming: String, _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(outcome.code == 2, "\(context): exit \(outcome.code)", sourceLocation: sourceLocation)
    let errors = outcome.errorLines.filter { !$0.hasPrefix("Usage: ") }
    #expect(errors.count == 1, "\(context): \(outcome.errorLines)", sourceLocation: sourceLocation)
    #expect(outcome.errorLines.count <= 2, "\(context): \(outcome.errorLines)", sourceLocation: sourceLocation)
    for line in outcome.errorLines {
        #expect(!escapingControlCharacters(line).contains(where: { $0.isNewline }), "\(context): \(line)", sourceLocation: sourceLocation)
    }
    if let line = errors.first { #expect(line.contains(naming), "\(context): \(line) does not name \(naming)", sourceLocation: sourceLocation) }
}

/// Checks one option with one value against its rule.
func checkOption(_ option: NumericOption, _ value: String) {
    let arguments = option.tool.base + ["\(option.flag)=\(value)"]
    let context = "\(option.tool) \(arguments)"
    let outcome = option.tool.parse(arguments)
    if option.accepts(value) {
        #expect(outcome == nil, "\(context): refused \(outcome?.errorLines ?? [])")
    } else if let outcome {
        expectOneErrorLine(outcome, naming: option.flag, context)
    } else {
        Issue.record("\(context): accepted a value outside the rule")
    }
}

@Suite struct HostileInputTests {
    /// Every numeric option of the four tools at the ends of its range and at the values that break
    /// parsers: 0, -1, 2^63 - 1, 2^63, NaN, infinities, 1e300, empty, text, a newline.
    @Test func everyOptionAtItsEdges() {
        let breakers = ["0", "-0", "-1", "9223372036854775807", "9223372036854775808", "nan", "inf", "-inf", "1e300", "5e-324",
                        "", "abc", "1\n2", "0x10"]
        for option in NumericOption.all {
            for value in option.edges + breakers { checkOption(option, value) }
        }
    }

    /// A negative number given as the next word reaches its option ("--epochs -1" is "--epochs=-1"); other
    /// words that start with a dash, short options and everything after "--" are left alone.
    @Test func negativeValuesAreAttachedToTheirOption() {
        #expect(attachingNegativeValues(["--epochs", "-1", "--atol", "-0", "--lr", "-.5", "--x", "-inf", "--y", "-NaN", "--z", "-1e3"])
                == ["--epochs=-1", "--atol=-0", "--lr=-.5", "--x=-inf", "--y=-NaN", "--z=-1e3"])
        #expect(attachingNegativeValues(["--output", "--metrics", "m", "-o", "-1", "--images", "-", "--top-k", "-k"])
                == ["--output", "--metrics", "m", "-o", "-1", "--images", "-", "--top-k", "-k"])
        #expect(attachingNegativeValues(["--epochs=-2", "--seed", "-1", "--", "--top-k", "-1"]) == ["--epochs=-2", "--seed=-1", "--", "--top-k", "-1"])
        #expect(attachingNegativeValues(["--epochs"]) == ["--epochs"])
        #expect(attachingNegativeValues(["--epochs", "-1x"]) == ["--epochs=-1x"])
    }

    /// Each numeric option, given a boundary value, a random integer or a random real: accepted exactly
    /// when its rule says so, refused otherwise with exit 2 and one line naming the flag.
    @Test func everyNumericOptionObeysItsRule() async {
        let options = NumericOption.all
        await propertyCheck(count: 200, input: Gen.int(in: 0..<options.count), Gen.int(in: 0..<(boundaryValues.count + 3)),
                            Gen.int(in: Int.min...Int.max), Gen.double(in: -1e6...1e6)) { o, pick, n, x in
            let option = options[o]
            let value = pick < boundaryValues.count ? boundaryValues[pick]
                : pick == boundaryValues.count ? String(n) : pick == boundaryValues.count + 1 ? String(x) : String(n % 300)
            checkOption(option, value)
        }
    }

    /// Random argument lists of flags, values and odd tokens: every tool parses them or refuses them with
    /// exit 2 and one error line (plus the usage line for syntax errors); none traps or prints two errors.
    @Test func randomArgumentListsNeverTrap() async {
        let flags = ["--threads", "--batch-size", "--epochs", "--top-k", "--max-pixels", "--samples", "--layers", "--format",
                     "-m", "-o", "--images", "--labels", "--data", "--metrics", "--confusion", "--errors", "--split",
                     "--learning-rate", "--lr-schedule", "--augment", "--no-normalize", "--all", "--loss", "--activation",
                     "--dropout", "--batch-norm", "--header", "--errors-list", "--resume", "--bogus", "-", "--", "-x"]
        let odd = ["step:0:0.5", "step:9223372036854775807:1", "step:1:nan", "cosine:1", "784-x-10", "a\tb.png", "a\nb", "/dev/null",
                   "/dev/zero", "-", "json", "xml", "all", "0,1", "relu", "mse", "train", "test", "nodir/x", ""]
        let tools = ToolParser.allCases
        await propertyCheck(count: 200, input: Gen.int(in: 0..<tools.count), Gen.int(in: 0...6),
                            Gen.int(in: 0..<Int(Int32.max))) { t, length, seed in
            var rng = SeededGenerator(seed: UInt64(seed))
            var arguments: [String] = []
            for _ in 0..<length {
                switch rng.nextInt(below: 3) {
                case 0: arguments.append(flags[rng.nextInt(below: flags.count)])
                case 1: arguments.append(boundaryValues[rng.nextInt(below: boundaryValues.count)])
                default: arguments.append(odd[rng.nextInt(below: odd.count)])
                }
            }
            let tool = tools[t]
            guard let outcome = tool.parse(arguments) else { return }
            let context = "\(tool) \(arguments)"
            #expect(outcome.code == 2, "\(context): exit \(outcome.code)")
            #expect(outcome.errorLines.filter { !$0.hasPrefix("Usage: ") }.count == 1, "\(context): \(outcome.errorLines)")
            for line in outcome.errorLines { #expect(!escapingControlCharacters(line).contains(where: { $0.isNewline }), "\(context)") }
        }
    }

    /// IDX headers with boundary dimensions and element types, raw data short, exact or long: decoded
    /// to exactly the claimed bytes, or refused with the file named (never a trap from a size product).
    @Test func idxHeadersWithBoundaryDimensions() async {
        let dims: [UInt32] = [0, 1, 2, 3, 28, 255, 65535, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 60000]
        let types: [UInt8] = [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0x0A, 0xFF]
        await propertyCheck(count: 3000, input: Gen.int(in: 0..<types.count), Gen.int(in: 0...5),
                            Gen.int(in: 0..<Int(Int32.max)), Gen.int(in: -2...64)) { t, ndim, seed, extra in
            var rng = SeededGenerator(seed: UInt64(seed))
            let d = (0..<ndim).map { _ in rng.nextInt(below: 4) == 0 ? UInt32(truncatingIfNeeded: rng.next()) : dims[rng.nextInt(below: dims.count)] }
            var bytes: [UInt8] = [0, 0, types[t], UInt8(ndim)]
            for v in d { bytes += [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
            let claimed = CheckedSize.productOrNil(d.map(Int.init) + [IDXElementType(rawValue: types[t])?.size ?? 1]) ?? Int.max
            let dataCount = claimed <= 4096 ? max(0, claimed + extra) : max(0, extra)
            bytes += [UInt8](repeating: 1, count: dataCount)
            do {
                let a = try IDXReader.decode(bytes, path: "p.idx")
                #expect(a.data.count == claimed && a.data.count == dataCount, "\(d)")
                #expect(a.itemSize <= SizeLimits.maxSampleValues)
            } catch let e as FormatError {
                #expect(e.path == "p.idx" && !e.message.contains("\n"), "\(e)")
            } catch {
                Issue.record("\(d): \(error)")
            }
        }
    }

    /// A valid model with one 4-byte field of a section overwritten by a boundary value (CRC fixed, so
    /// the parser sees it): decoded to a model whose network builds and runs, or refused naming the file.
    @Test func modelFieldsWithBoundaryValues() async throws {
        let good = try readWholeFile(corpus + "/good.nnm", limit: 1 << 20)
        let sections = modelSections(good)
        let patterns: [UInt32] = [0, 1, 2, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 784, 785, 10, 11,
                                  Float(3e38).bitPattern, Float.nan.bitPattern, Float.infinity.bitPattern, Float(1e30).bitPattern]
        await propertyCheck(count: 1500, input: Gen.int(in: 0..<sections.count), Gen.int(in: 0..<Int(Int32.max)),
                            Gen.int(in: 0..<patterns.count)) { s, offset, p in
            let (start, length) = sections[s]
            guard length >= 4 else { return }
            var bytes = good
            let o = start + 8 + (offset % (length - 3))   // inside the section's data
            for k in 0..<4 { bytes[o + k] = UInt8(patterns[p] >> (8 * k) & 255) }
            let type = Array(bytes[(start + 4)..<(start + 8)]), data = Array(bytes[(start + 8)..<(start + 8 + length)])
            let crc = crc32Of(type, data)
            for k in 0..<4 { bytes[start + 8 + length + k] = UInt8(crc >> (8 * k) & 255) }
            do {
                let m = try ModelFileReader.decode(bytes, path: "p.nnm")
                let net = m.network(Float.self)
                _ = net.predict(Matrix(rows: 1, cols: m.architecture.inputSize ?? 0))
                if let recipe = m.imageRecipe {
                    _ = DigitNormalizer(parameters: recipe.parameters)
                    // any stored sizes give a usable resize recipe (clamped to 1-4096)
                    if case .resize(let r)? = PictureRecipe(name: "resize-v1", parameters: recipe.parameters, inputSize: (28, 28)) {
                        #expect((1...4096).contains(r.width) && (1...4096).contains(r.height))
                    }
                }
            } catch let e as FormatError {
                #expect(e.path == "p.nnm" && !e.message.contains("\n"), "\(e)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    /// The corpus's good checkpoint with an 8-byte window of one section overwritten by a boundary value
    /// (CRC fixed, so the parsers see it), resumed as nn-train resumes: refused with one line naming the
    /// checkpoint (a FormatError on it), or resumed and trained to the end with finite weights (or to a
    /// divergence the trainer reports, from weights that overflow). Outputs
    /// and data are given beside --resume, so a mangled path in the checkpoint writes nothing anywhere.
    @Test func checkpointFieldsWithBoundaryValues() async throws {
        let dir = NSTemporaryDirectory() + "nn-hostile-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try readWholeFile(corpus + "/ckpt-good.ckpt", limit: 1 << 20)
        let sections = modelSections(good)
        let patterns: [UInt64] = [0, 1, 2, 10, 20, 40, 1000, 0xFFFF_FFFF, UInt64(Int64.max), UInt64(bitPattern: Int64.min), UInt64.max,
                                  UInt64(bitPattern: -1), UInt64(bitPattern: -10), Double.nan.bitPattern, Double.infinity.bitPattern,
                                  (-1.0).bitPattern, (1e300).bitPattern, (0.5).bitPattern, (1e-300).bitPattern]
        let path = dir + "/c.ckpt"
        let arguments = ["--threads", "1", "--resume", path, "--train-images", corpus + "/tiny-images.idx", "--train-labels", corpus + "/tiny-labels.idx",
                         "-o", dir + "/m.nnm", "--checkpoint", dir + "/out.ckpt"]
        var refused = 0, resumed = 0
        await propertyCheck(count: 300, input: Gen.int(in: 0..<sections.count), Gen.int(in: 0..<Int(Int32.max)), Gen.int(in: 0..<patterns.count)) { s, offset, p in
            let (start, length) = sections[s]
            guard length >= 8 else { return }
            var bytes = good
            let o = start + 8 + (offset % (length - 7))
            for k in 0..<8 { bytes[o + k] = UInt8(patterns[p] >> (8 * UInt64(k)) & 255) }
            let type = Array(bytes[(start + 4)..<(start + 8)]), data = Array(bytes[(start + 8)..<(start + 8 + length)])
            let crc = crc32Of(type, data)
            for k in 0..<4 { bytes[start + 8 + length + k] = UInt8(crc >> (8 * UInt32(k)) & 255) }
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            do {
                let command = try NNTrain.parseAsRoot(arguments) as! NNTrain
                let r = try ResumedRun(path: path, commandLine: command, given: GivenOptions(arguments))
                let sets = try r.load(r.settings.data)
                let (train, _) = try r.splitValidation(sets.train)
                let c = r.checkpoint
                try c.validate(trainingSamples: train.dataset.count, path: path)
                let network = c.model.network(Float.self)
                let trainer = Trainer(network: network, config: try r.settings.training.config(), scaling: InputScaling(), encoding: c.model.encoding)
                trainer.progress = c.progress
                trainer.rng = c.rng
                trainer.optimizer.restore(c.optimizer, for: network.parameters)
                // weights that overflow (a float of 6e37 in W1) diverge: nn-train's exit 1, no model written
                switch trainer.run(train.dataset) {
                case .finished: #expect(network.allTensors.allSatisfy { $0.value.storage.allSatisfy(\.isFinite) })
                case .diverged: break
                case let other: Issue.record("\(other)")
                }
                resumed += 1
            } catch let e as FormatError {
                #expect(e.path == path && !e.message.contains("\n"), "\(e)")
                refused += 1
            } catch {
                Issue.record("\(error)")
            }
        }
        // most boundary values are refused; a few percent of the draws resume (7 of 142 in one run)
        #expect(refused > 50 && resumed >= 3, "refused \(refused), resumed \(resumed): the property tests both sides")
    }

    /// The continue command's words: whatever a path holds, bash reads the quoted word back as the path.
    @Test func shellQuotingRoundTrips() throws {
        let words = ["plain/path.ckpt", "with space", "it's", "a\"b", "$HOME", "`id`", "a\\b", "new\nline", "tab\tx", "\u{1}x\u{7F}",
                     "é ü", "", "-", "*", "~", "a;b|c&d", "'"]
        for w in words {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c", "printf %s " + shellQuoted(w)]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            #expect(String(decoding: data, as: UTF8.self) == w, "\(shellQuoted(w))")
            #expect(!shellQuoted(w).unicodeScalars.contains { $0.value < 0x20 }, "one line")
        }
        #expect(shellQuoted("m.nnm.ckpt") == "m.nnm.ckpt" && shellQuoted("it's a run") == "'it'\\''s a run'")
    }

    /// Which options a command line gives: long names, "=" values, -o; nothing after "--".
    @Test func givenOptionsAreTheOnesTyped() {
        let g = GivenOptions(["--epochs", "5", "--metrics=m.jsonl", "-o", "-", "--augment", "--resume", "x", "--", "--seed"])
        #expect(g.names == ["--epochs", "--metrics", "--output", "--augment", "--resume"])
    }

    /// PNG headers of boundary sizes (the CRC right): decoded within the pixel limit, or refused.
    @Test func pngHeadersWithBoundarySizes() async {
        let sizes: [UInt32] = [0, 1, 2, 28, 1000, 1001, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 65535]
        let kinds: [(UInt8, UInt8)] = [(8, 0), (1, 0), (16, 0), (8, 2), (16, 6), (8, 3), (4, 3), (8, 4), (7, 0), (8, 9)]
        await propertyCheck(count: 800, input: Gen.int(in: 0..<sizes.count), Gen.int(in: 0..<sizes.count),
                            Gen.int(in: 0..<kinds.count), Gen.int(in: 0...1)) { w, h, k, interlace in
            var ihdr: [UInt8] = []
            for v in [sizes[w], sizes[h]] { ihdr += [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
            ihdr += [kinds[k].0, kinds[k].1, 0, 0, UInt8(interlace)]
            let png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr)
                + chunk("IDAT", [0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]) + chunk("IEND", [])
            do {
                let image = try decodePNG(png, maxPixels: 1_000_000)
                #expect(image.width * image.height <= 1_000_000 && image.pixels.count == image.width * image.height)
            } catch let e as ImageError {
                #expect(!e.message.contains("\n"))
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    /// Label values of every kind against every output: a label is refused with a message or has a class
    /// in range; classOf never traps.
    @Test func labelsOfEveryMagnitude() async {
        let values: [Double] = [0, 1, 9, 10, -1, 0.5, 1e30, -1e30, 9.3e18, 9.2e18, Double(Int.max), .nan, .infinity, -.infinity, 3, 2]
        await propertyCheck(count: 1000, input: Gen.int(in: 0..<values.count), Gen.int(in: 0..<values.count), Gen.int(in: 0...3)) { a, b, kind in
            let labels = [values[a], values[b]]
            let encoding = [TargetEncoding(output: .softmaxCrossEntropy, outputCount: 10),
                            TargetEncoding(output: .sigmoidBinaryCrossEntropy, outputCount: 1, positiveClass: 3),
                            TargetEncoding(output: .sigmoidBinaryCrossEntropy, outputCount: 1),
                            TargetEncoding(output: .identityMeanSquaredError, outputCount: 1)][kind]
            if encoding.problem(with: labels) == nil, !encoding.isRegression {
                for l in labels { #expect((0..<encoding.classCount).contains(encoding.classOf(l)), "\(l) \(encoding)") }
            }
            for l in labels { _ = encoding.classOf(l) }
        }
    }

    /// Any file against any ceiling: read whole when it fits, refused (naming the file and the limit) when not.
    @Test func wholeFileReadsHonourTheirCeiling() async throws {
        let dir = NSTemporaryDirectory() + "nn-hostile-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        await propertyCheck(count: 200, input: Gen.int(in: 0...70_000), Gen.int(in: 0...70_000)) { size, limit in
            let path = dir + "/f"
            FileManager.default.createFile(atPath: path, contents: Data(repeating: 0, count: size))
            do {
                let bytes = try readWholeFile(path, limit: limit)
                #expect(size <= limit && bytes.count == size)
            } catch let e as FormatError {
                #expect(size > limit && e.path == path && e.message.contains("over the limit of"), "\(e)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}

let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/BadInputs"

/// (offset of the section's length field, data length) of every section of a model file.
func modelSections(_ bytes: [UInt8]) -> [(Int, Int)] {
    var out: [(Int, Int)] = []
    var o = 12
    while o + 12 <= bytes.count {
        let length = Int(bytes[o]) | Int(bytes[o + 1]) << 8 | Int(bytes[o + 2]) << 16 | Int(bytes[o + 3]) << 24
        out.append((o, length))
        o += 12 + length
    }
    return out
}

/// A PNG chunk: length, type, data, CRC-32 of type and data.
func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let t = Array(type.utf8)
    let n = UInt32(data.count), crc = crc32Of(t, data).byteSwapped
    return [UInt8(n >> 24), UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)] + t + data
        + withUnsafeBytes(of: crc) { Array($0) }
}
