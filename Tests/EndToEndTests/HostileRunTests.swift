// HostileRunTests.swift: the built tools against hostile command lines (issue 14): a random sample of bad
// flag values, bad files and clashing outputs, each run as a process and held to the contract (exit 1
// or 2, never >= 128; one error line; no file created or changed); and the write rules for devices,
// symlinks and temporary files left by a killed writer. The in-process properties of the parsers and
// readers are in Tests/HostileInputTests.
import Foundation
import PropertyBased
import Testing
@testable import NNFormats

private let corpus = Tools.packageRoot + "/Tests/BadInputs"

/// Names and bytes of the entries of a directory (symlinks as their target's name).
private func listing(_ dir: String) -> [String: Data] {
    var out: [String: Data] = [:]
    for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
        let path = dir + "/" + name
        if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: path) { out[name] = Data(("-> " + link).utf8); continue }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
            out[name] = FileManager.default.contents(atPath: path) ?? Data()
        }
    }
    return out
}

@Suite(.serialized) struct HostileRunTests {
    /// Parts of command lines that are each wrong in their own way, by tool.
    static let train = "nn-train --epochs 1 --threads 1 --train-images $IN/tiny-images.idx --train-labels $IN/tiny-labels.idx --layers 4-3-3"
    static let evalData = "nn-eval -m $IN/good.nnm --images $IN/good-images.idx --labels $IN/good-labels.idx"
    static let predict = "nn-predict -m $IN/good.nnm"
    static let bases = [train + " -o m.nnm", evalData, predict + " $IN/digit.png", "nn-gradcheck --layers 4-3-2 --samples 2"]
    static let flags = [
        ["--epochs", "--batch-size", "--learning-rate", "--weight-decay", "--threads", "--warmup", "--patience", "--augment-rotation",
         "--augment-shift", "--augment-elastic", "--validation-split", "--checkpoint-every"],
        ["--batch-size", "--threads", "--errors-per-class"],
        ["--top-k", "--max-pixels", "--threads"],
        ["--samples", "--coordinates", "--step", "--rtol", "--atol", "--floor", "--weight-decay", "--threads"],
    ]
    /// Outside every numeric option's range (0 is not: --atol and --warmup take it).
    static let badValues = ["-1", "9223372036854775807", "9223372036854775808", "nan", "inf", "-inf", "1e300", "", "x", "2000000000", "-0.5"]
    /// Whole bad additions per tool: files of the corpus, outputs that clash with inputs or each other.
    static let badParts = [
        ["-o $IN/tiny-labels.idx", "--metrics m.nnm", "-o - --metrics -", "--train-images /dev/zero", "--test-images $IN/images-empty.idx --test-labels $IN/tiny-labels.idx",
         "--plot $IN/tiny-images.idx", "--resume $IN/model-truncated.nnm", "--resume $IN/ckpt-position-past-data.ckpt", "--resume $IN/ckpt-rng-zero.ckpt", "--checkpoint $IN/tiny-images.idx --checkpoint-every 1"],
        ["-m $IN/model-huge-weights.nnm", "-m /dev/zero", "--confusion /dev/stdout", "-o $IN/good-images.idx", "--errors nodir/e.png",
         "--confusion m.nnm --errors m.nnm", "-m $IN/model-truncated.nnm", "--labels $IN/labels-1e30.idx"],
        ["-m $IN/model-huge-weights.nnm", "-m $IN/model-v2.nnm", "-m -", "--save-normalized $IN/not-a-directory.txt", "--images $IN/images-none.idx",
         "--images $IN/images-item-overflow.idx", "-m /dev/zero"],
        ["-m $IN/model-nan.nnm", "--images $IN/images-item-overflow.idx --labels $IN/labels-none.idx", "-m - --images - --labels $IN/good-labels.idx",
         "--images $IN/good-images.idx --labels $IN/labels-1e30.idx", "-m /dev/zero"],
    ]

    /// A random bad flag value or bad part on a good command line of a random tool, run for real.
    @Test func randomBadCommandLinesKeepTheContract() async throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpusBefore = listing(corpus)
        await propertyCheck(count: 80, input: Gen.int(in: 0..<4), Gen.int(in: 0..<100), Gen.int(in: 0..<100), Gen.bool) { tool, a, b, flag in
            let extra: String
            var flagName: String? = nil, flagValue = ""
            if flag {
                let f = Self.flags[tool][a % Self.flags[tool].count], v = Self.badValues[b % Self.badValues.count]
                // --flag=value, or the value as the next word (a negative number too: "--epochs -1")
                extra = (a / 16) % 2 == 0 ? "'\(f)=\(v)'" : "'\(f)' '\(v)'"
                flagName = f
                flagValue = v
            } else {
                extra = Self.badParts[tool][a % Self.badParts[tool].count]
            }
            let command = Self.bases[tool] + " " + extra
            let work = dir + "/run"
            try? FileManager.default.removeItem(atPath: work)
            try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: work + "/m.nnm", contents: Data("existing output\n".utf8))
            let before = listing(work)
            guard let r = try? Tools.sh("cd '\(work)' && " + command.replacingOccurrences(of: "$IN", with: "'\(corpus)'") + " < /dev/null") else {
                Issue.record("\(command): could not run")
                return
            }
            let errors = r.stderr.split(separator: "\n").filter {
                !$0.hasPrefix("Usage: ") && !$0.hasPrefix("epoch ") && !$0.contains(" training samples,") && !$0.contains(" will read PNGs with the ")
            }
            #expect(r.status == 1 || r.status == 2, "\(command): exit \(r.status)\n\(r.stderr.prefix(300))")
            #expect(errors.count == 1, "\(command): \(errors)")
            // the one line names the flag (not "missing value": the value reached the option's rule)
            if let f = flagName {
                #expect(errors.first?.contains(f) == true && (flagValue.isEmpty || !r.stderr.contains("missing value")), "\(command): \(errors)")
            }
            #expect(listing(work) == before, "\(command): the working directory changed: \(listing(work).keys.sorted())")
        }
        #expect(listing(corpus) == corpusBefore, "the corpus changed")
    }

    /// An output that is a device is written in place; a symlink is followed, its target replaced and the
    /// link kept (to /dev/null or to a regular file).
    @Test func devicesAndSymlinksAsOutputs() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = Self.train.replacingOccurrences(of: "$IN", with: "'\(corpus)'")
        try FileManager.default.createSymbolicLink(atPath: dir + "/null", withDestinationPath: "/dev/null")
        try FileManager.default.createSymbolicLink(atPath: dir + "/model.svg", withDestinationPath: "real.nnm")
        FileManager.default.createFile(atPath: dir + "/real.nnm", contents: Data("old".utf8))
        let r = try Tools.sh("cd '\(dir)' && \(train) -o null --metrics /dev/null --plot model.svg")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/null") == "/dev/null")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/model.svg") == "real.nnm")
        #expect(String(decoding: FileManager.default.contents(atPath: dir + "/real.nnm")!, as: UTF8.self).hasPrefix("<?xml"))
        var st = stat()
        #expect(stat("/dev/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
        // -o through a link to /dev/stdout: the bytes go to standard output, the link stays
        try FileManager.default.createSymbolicLink(atPath: dir + "/out", withDestinationPath: "/dev/stdout")
        let s = try Tools.sh("cd '\(dir)' && \(train) -o out")
        #expect(s.status == 0, "\(s.stderr)")
        #expect(s.stdout.starts(with: [0x89, 0x4E, 0x4E, 0x4D]), "the model arrives on stdout")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir)) == ["null", "model.svg", "real.nnm", "out"])
    }

    /// What a SIGKILL mid-write leaves (a temporary file whose writer is gone) is removed by the next write
    /// of that file; a temporary file of a live writer is not.
    @Test func aKilledWritersTemporaryFileIsRemovedByTheNextWrite() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // a PID that has just ended
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let stale = ".m.nnm.\(gone.processIdentifier)-Ab12Cd.tmp", live = ".m.nnm.1-Ab12Cd.tmp"   // PID 1 is always there
        for name in [stale, live] { FileManager.default.createFile(atPath: dir + "/" + name, contents: Data("torn".utf8)) }
        let r = try Tools.sh("cd '\(dir)' && " + Self.train.replacingOccurrences(of: "$IN", with: "'\(corpus)'") + " -o m.nnm")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir)) == ["m.nnm", live])
    }

    /// nn-predict's TSV cannot be broken by a path or a class name: tab, newline and backslash are escaped,
    /// so each line has the columns the header names and unescapes to the original text.
    @Test func tsvFieldsAreEscaped() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let png = FileManager.default.contents(atPath: corpus + "/digit.png")!
        let names = ["tab\there.png", "new\nline.png", "back\\slash.png", "plain.png"]
        for n in names { FileManager.default.createFile(atPath: dir + "/" + n, contents: png) }
        // run without a shell: the names go to nn-predict exactly as they are
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Tools.buildDirectory + "/nn-predict")
        p.arguments = ["-m", corpus + "/model-odd-class-names.nnm", "--header", "--top-k", "10"] + names.map { dir + "/" + $0 }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let stdout = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let r = (status: p.terminationStatus, out: String(decoding: stdout, as: UTF8.self), stderr: "")
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 1 + names.count, "\(r.out)")
        let header = lines[0].split(separator: "\t")
        #expect(header.count == 21 && header[0] == "path" && header[1] == "label1" && header[20] == "probability10")
        func unescape(_ s: Substring) -> String {
            var out = "", escaped = false
            for c in s {
                if escaped { out.append(c == "t" ? "\t" : c == "n" ? "\n" : c == "r" ? "\r" : c); escaped = false } else if c == "\\" { escaped = true } else { out.append(c) }
            }
            return out
        }
        for (line, name) in zip(lines.dropFirst(), names) {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            #expect(fields.count == 21, "\(line)")
            #expect(unescape(fields[0]) == dir + "/" + name)
            #expect(Set(stride(from: 1, to: 21, by: 2).map { unescape(fields[$0]) }) == ["zero\tnull", "one\nline", "two\\2", "3", "4", "5", "6", "7", "8", "9"])
        }
    }

    /// A regression model prints its value(s) under its header; a multi-label model its labels'
    /// independent probabilities; both in TSV and JSONL.
    @Test func regressionAndMultiLabelOutputs() throws {
        let png = corpus + "/digit.png"
        let one = try Tools.sh("nn-predict -m '\(corpus)/model-mse.nnm' --header '\(png)'")
        #expect(one.status == 0 && one.out.hasPrefix("path\tvalue\n"), "\(one.out)\(one.stderr)")
        #expect(Double(one.out.split(separator: "\n")[1].split(separator: "\t")[1]) != nil)
        let three = try Tools.sh("nn-predict -m '\(corpus)/model-mse-3.nnm' --format jsonl '\(png)'")
        let obj = try JSONSerialization.jsonObject(with: Data(three.out.utf8)) as! [String: Any]
        #expect((obj["values"] as? [Double])?.count == 3, "\(three.out)")
        let multi = try Tools.sh("nn-predict -m '\(corpus)/model-multilabel.nnm' --header --top-k 10 '\(png)'")
        let probabilities = multi.out.split(separator: "\n")[1].split(separator: "\t").enumerated().filter { $0.offset % 2 == 0 && $0.offset > 0 }
            .map { Double($0.element)! }
        #expect(probabilities.count == 10 && probabilities.allSatisfy { (0...1).contains($0) } && probabilities.reduce(0, +) > 1.5,
                "independent sigmoids do not sum to 1: \(probabilities)")
    }
}
