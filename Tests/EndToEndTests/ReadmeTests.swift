// ReadmeTests.swift: the README's shell examples, run as written against the tools this `swift test`
// built, so the quick start and the examples cannot rot.
//
// Every line of every ```sh block runs (continuation lines joined) in a scratch directory that holds the
// files the examples name, through /bin/sh, and must exit 0. The few edits and the lines not run are
// listed below with their reasons; a new example runs with the same edits, so it is checked as soon as
// it is written, and fails the test only if it fails. The files the examples write must be ones
// .gitignore ignores (they would otherwise show up as untracked files in a checkout).
import Foundation
import Testing
@testable import NNFormats
import NNImage

@Suite(.serialized) struct ReadmeTests {
    /// Lines not run, and why.
    static let notRun: [(matches: (String) -> Bool, reason: String)] = [
        ({ $0.hasPrefix("swift test") }, "the test suite itself: this test runs inside it"),
        ({ $0.hasPrefix("swift build") && !$0.contains("&&") }, "the build itself: the tests use the tools `swift test` built"),
        ({ $0.hasPrefix("swift package") }, "downloads from the network; PluginTests run the plugin against a local mirror"),
        ({ $0.hasPrefix("apt-get ") }, "installs a Debian package (root, network); .ci/run installs what the tests need"),
        ({ $0.hasPrefix("bash install.sh") }, "builds the release tools; .ci/run runs it into a temporary prefix and runs the installed tools"),
    ]

    /// Edits to a line before it runs, and why: (what is replaced, by what, why).
    static let edits: [(from: String, to: String, reason: String)] = [
        ("swift build -c release && ", "", "the build itself: the tests use the tools `swift test` built"),
        (".build/release/", "", "the debug tools this `swift test` built, on PATH"),
        ("/usr/share/datasets/fashion-mnist", "data/mnist", "Fashion-MNIST may not be installed, and 60,000 images are slow in a debug build"),
        ("/tmp/seen", "seen", "the scratch directory, not /tmp"),
        ("| jq .accuracy", "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"accuracy\"])'", "jq may not be installed"),
        (" --all", " --coordinates 40", "every coordinate takes minutes in a debug build; .ci/run checks them all in a release build"),
    ]

    /// A line as run: the edits above; every nn-train trains one epoch (two with a checkpoint after the
    /// first where the README interrupts a run with Ctrl-C, so that its --resume line has a checkpoint).
    static func edited(_ line: String) -> String {
        var s = line
        for e in edits { s = s.replacingOccurrences(of: e.from, with: e.to) }
        let interrupted = s.contains("Ctrl-C")
        if let r = s.range(of: #"--epochs [0-9]+"#, options: .regularExpression) {
            // beside --resume, --epochs may only add to the interrupted run's (two, below)
            s.replaceSubrange(r, with: s.contains("--resume") ? "--epochs 3" : "--epochs 1")
        } else if !s.contains("--resume") {
            s = s.replacingOccurrences(of: #"(^|[|&;] *)nn-train( |$)"#, with: "$1nn-train --epochs 1$2", options: .regularExpression)
        }
        if interrupted {
            s = s.replacingOccurrences(of: "--epochs 1", with: "--epochs 2 --checkpoint-every 1")
        }
        return s
    }

    /// The shell lines of the README's ```sh blocks, continuation lines joined, comments and blanks dropped.
    static func readmeLines() throws -> [String] {
        let text = try String(contentsOfFile: Tools.packageRoot + "/README.md", encoding: .utf8)
        var lines: [String] = [], inBlock = false, pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if raw.hasPrefix("```") {
                inBlock = !inBlock && raw.dropFirst(3).trimmingCharacters(in: .whitespaces) == "sh"
                continue
            }
            guard inBlock else { continue }
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if pending.isEmpty && (trimmed.isEmpty || trimmed.hasPrefix("#")) { continue }
            if trimmed.hasSuffix("\\") { pending += String(trimmed.dropLast()) + " "; continue }
            lines.append(pending + trimmed)
            pending = ""
        }
        return lines
    }

    /// The files the examples name, made from the embedded data set (a small part of it, so that a debug
    /// build trains in seconds) and the repository's fixtures. NN_TOOLKIT_HOME points the tools' defaults
    /// (the embedded data, the shipped model) here too.
    static func scratchDirectory() throws -> String {
        let dir = try Tools.temporaryDirectory()
        let fm = FileManager.default
        let root = Tools.packageRoot
        let train = try IDXDataset.load(IDXDataset.standardFiles(in: root + "/datasets/default", split: "train"))
        let test = try IDXDataset.load(IDXDataset.standardFiles(in: root + "/datasets/default", split: "test"))
        func idx(_ set: LoadedDataset, every: Int) -> (images: [UInt8], labels: [UInt8]) {
            let sub = set.dataset.subset(Array(stride(from: 0, to: set.dataset.count, by: every)))
            let n = [UInt8(sub.count >> 24 & 255), UInt8(sub.count >> 16 & 255), UInt8(sub.count >> 8 & 255), UInt8(sub.count & 255)]
            return ([0, 0, 8, 3] + n + [0, 0, 0, 28, 0, 0, 0, 28] + sub.features, [0, 0, 8, 1] + n + sub.labels.map { UInt8($0) })
        }
        // raw IDX under the .gz names: the readers go by content
        let (trI, trL) = idx(train, every: 10), (teI, teL) = idx(test, every: 10)
        for d in ["datasets/default", "data/mnist"] {
            try fm.createDirectory(atPath: "\(dir)/\(d)", withIntermediateDirectories: true)
            try writeFileAtomically(trI, to: "\(dir)/\(d)/train-images-idx3-ubyte.gz")
            try writeFileAtomically(trL, to: "\(dir)/\(d)/train-labels-idx1-ubyte.gz")
            try writeFileAtomically(teI, to: "\(dir)/\(d)/t10k-images-idx3-ubyte.gz")
            try writeFileAtomically(teL, to: "\(dir)/\(d)/t10k-labels-idx1-ubyte.gz")
        }
        for (name, bytes) in [("X.gz", trI), ("Y.gz", trL), ("T.gz", teI), ("U.gz", teL), ("t10k-images-idx3-ubyte.gz", teI)] {
            try writeFileAtomically(bytes, to: "\(dir)/\(name)")
        }
        try fm.createDirectory(atPath: "\(dir)/models", withIntermediateDirectories: true)
        let shipped = root + "/models/mnist-default.nnm"
        for target in ["models/mnist-default.nnm", "model.nnm", "mine.nnm"] { try fm.copyItem(atPath: shipped, toPath: "\(dir)/\(target)") }
        try fm.copyItem(atPath: root + "/models/mnist-cnn.nnm", toPath: "\(dir)/models/mnist-cnn.nnm")   // the tools' default model
        for (fixture, target) in [("Tests/BadInputs/good.onnx", "model.onnx"), ("Tests/Fixtures/helper-mlp.onnx", "net.onnx"),
                                  ("Tests/Fixtures/torch-mlp.onnx", "logits.onnx"), ("Tests/Fixtures/twolayer-f8.npz", "params.npz"),
                                  ("Tests/Fixtures/conv-bn.nnm", "cnn.nnm"), ("Tests/Fixtures/torch-cnn.onnx", "torch-cnn.onnx")] {
            try fm.copyItem(atPath: "\(root)/\(fixture)", toPath: "\(dir)/\(target)")
        }
        // pictures: t10k digits as a user would hand them over
        try fm.createDirectory(atPath: "\(dir)/scans/more", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: "\(dir)/seen", withIntermediateDirectories: true)
        func digit(_ i: Int) -> [UInt8] { Array(test.dataset.features[(i * 784)..<((i + 1) * 784)]) }
        for (i, name) in ["digit.png", "scan1.png", "scan2.png", "photo.png", "garment.png", "scans/a.png", "scans/more/b.png"].enumerated() {
            try writeFileAtomically(PhotoLikeRenderer().render(digit: digit(i), seed: UInt64(i)), to: "\(dir)/\(name)")
        }
        try writeFileAtomically(try encodePNG(GrayImage(width: 28, height: 28, pixels: digit(7))), to: "\(dir)/already28x28.png")
        return dir
    }

    @Test func examplesRunAsWritten() throws {
        let lines = try Self.readmeLines()
        #expect(lines.count >= 20, "the README's examples were not found")
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let before = Set(try FileManager.default.subpathsOfDirectory(atPath: dir))
        var ran = 0
        for line in lines {
            if let skip = Self.notRun.first(where: { $0.matches(line) }) {
                print("README: not run (\(skip.reason)): \(line)")
                continue
            }
            let command = Self.edited(line)
            let start = Date()
            let r = try Tools.sh("cd '\(dir)' && NN_TOOLKIT_HOME='\(dir)' && export NN_TOOLKIT_HOME && \(command)")
            print(String(format: "README: %.1f s: %@", Date().timeIntervalSince(start), command))
            #expect(r.status == 0, "README line failed (exit \(r.status)): \(line)\nran: \(command)\n\(r.stderr.suffix(600))")
            ran += 1
        }
        #expect(ran >= 20)
        // The files the examples wrote (model.nnm, mnist.onnx, gradcheck.xml, fashion.svg, ...): each is
        // ignored by .gitignore when written at the top of a checkout.
        let written = Set(try FileManager.default.contentsOfDirectory(atPath: dir)).subtracting(before).sorted()
        #expect(written.contains("mnist.nnm") && written.contains("gradcheck.xml"), "\(written)")
        let git = try Tools.sh("cd '\(Tools.packageRoot)' && git rev-parse --is-inside-work-tree")
        if git.status == 0 {
            for name in written where !name.hasPrefix(".") {
                let ignored = try Tools.sh("cd '\(Tools.packageRoot)' && git check-ignore -q --no-index '\(name)'")
                #expect(ignored.status == 0, "\(name), written by a README example, is not in .gitignore")
            }
        } else {
            print("README: .gitignore not checked: \(Tools.packageRoot) is not a git checkout")
        }
    }

    /// The edits do what they say.
    @Test func editsOfLines() {
        #expect(Self.edited("swift build -c release && .build/release/nn-train   # builds") == "nn-train --epochs 1   # builds")
        #expect(Self.edited("nn-train -o - | nn-eval -m -") == "nn-train --epochs 1 -o - | nn-eval -m -")
        #expect(Self.edited("nn-train --data x --epochs 25 --plot f.svg") == "nn-train --data x --epochs 1 --plot f.svg")
        #expect(Self.edited("nn-train --resume m.nnm.ckpt --epochs 30") == "nn-train --resume m.nnm.ckpt --epochs 3")
        #expect(Self.edited("nn-train --data data/mnist -o m.nnm # Ctrl-C during epoch 7:")
                == "nn-train --epochs 2 --checkpoint-every 1 --data data/mnist -o m.nnm # Ctrl-C during epoch 7:")
        #expect(Self.edited("nn-train --data data/mnist --resume m.nnm.ckpt -o m.nnm") == "nn-train --data data/mnist --resume m.nnm.ckpt -o m.nnm")
        #expect(Self.notRun.contains { $0.matches("swift test --disable-xctest") })
    }
}
