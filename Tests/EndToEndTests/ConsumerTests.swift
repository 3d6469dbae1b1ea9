// ConsumerTests.swift: nn-toolkit as another package sees it. A clone of this repository is tagged with
// the toolkit's version; Examples/DigitReader depends on it by that git URL and version (no path, no
// unsafe flags), builds (the EmbedModel plugin embeds the shipped model as `Digits`), and both of its
// programs classify PNGs exactly as nn-predict does: the same classes, probabilities within 1e-6.
// The clone is of HEAD: commit before running this test locally.
import Foundation
import Testing

@Suite(.serialized) struct ConsumerTests {
    @Test func exampleBuildsAgainstAVersionTagAndAgreesWithNNPredict() throws {
        let dir = try Tools.temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        // the clone's directory name is the package's identity: nn-toolkit
        let clone = "\(dir)/nn-toolkit"
        let version = try #require(try String(contentsOfFile: Tools.packageRoot + "/Sources/NNCommandLine/Version.swift", encoding: .utf8)
            .split(separator: "\"").dropFirst().first.map(String.init))
        // git and SwiftPM run without any GIT_* variables a CI runner or hook may have set (they would point
        // git at another repository); the example is copied out of the checkout, so its Package.resolved
        // and build state never land in (or come from) the source tree.
        let clean = "env -u GIT_DIR -u GIT_WORK_TREE -u GIT_INDEX_FILE -u GIT_OBJECT_DIRECTORY -u GIT_COMMON_DIR"
        var r = try Tools.sh("\(clean) git clone -q --no-hardlinks '\(Tools.packageRoot)' '\(clone)' && \(clean) git -C '\(clone)' tag '\(version)'")
        try #require(r.status == 0, "git clone of the checkout failed: \(r.stderr)")
        r = try Tools.sh("\(clean) git -C '\(clone)' rev-parse --verify 'refs/tags/\(version)^{commit}'")
        try #require(r.status == 0, "the tagged clone is not a repository SwiftPM can read: \(r.stderr)")
        let example = "\(dir)/DigitReader"
        r = try Tools.sh("mkdir -p '\(example)' && cp -RL '\(Tools.packageRoot)/Examples/DigitReader/Package.swift' '\(Tools.packageRoot)/Examples/DigitReader/Sources' '\(example)/'")
        try #require(r.status == 0, "\(r.stderr)")
        r = try Tools.sh("cd '\(example)' && \(clean) NN_TOOLKIT_GIT='file://\(clone)' swift build --scratch-path '\(dir)/build' 2>&1")
        if r.status != 0 {
            let state = try Tools.sh("ls -la '\(clone)' '\(clone)/.git' 2>&1 | head -20; env | grep '^GIT' ; git --version")
            Issue.record("swift build of Examples/DigitReader failed:\n\(r.out.suffix(3000))\nclone state:\n\(state.out)")
            return
        }
        let bin = "\(dir)/build/debug"

        // PNGs: the corpus digit and photo-like renders of t10k digits (every PNG kind)
        r = try Tools.sh("nn-bench render-photos --out '\(dir)/photos' --count 12")
        #expect(r.status == 0, "\(r.stderr)")
        let photos = try FileManager.default.subpathsOfDirectory(atPath: "\(dir)/photos").filter { $0.hasSuffix(".png") }.sorted()
            .map { "\(dir)/photos/\($0)" }
        let pngs = [Tools.packageRoot + "/Tests/BadInputs/digit.png"] + photos
        let quoted = pngs.map { "'\($0)'" }.joined(separator: " ")

        // nn-predict, the reference
        let reference = try Tools.sh("nn-predict -m '\(Tools.packageRoot)/models/mnist-default.nnm' --format jsonl --top-k 3 \(quoted)")
        #expect(reference.status == 0, "\(reference.stderr)")
        let expected = reference.out.split(separator: "\n").map { line -> [(String, Double)] in
            let o = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return (o["top"] as! [[String: Any]]).map { ($0["label"] as! String, $0["probability"] as! Double) }
        }
        #expect(expected.count == pngs.count)

        // the embedded model (the shipped model, through the plugin)
        let embedded = try Tools.sh("'\(bin)/DigitReader' \(quoted)")
        #expect(embedded.status == 0, "\(embedded.stderr)")
        let embeddedLines = embedded.out.split(separator: "\n").map { $0.split(separator: "\t") }
        #expect(embeddedLines.count == pngs.count)
        for (line, want) in zip(embeddedLines, expected) {
            #expect(String(line[1]) == want[0].0)
            #expect(abs(Double(line[2])! - want[0].1) <= 1e-6)
        }

        // the library loading the model file
        let library = try Tools.sh("'\(bin)/Classify' '\(Tools.packageRoot)/models/mnist-default.nnm' \(quoted)")
        #expect(library.status == 0, "\(library.stderr)")
        for (line, want) in zip(library.out.split(separator: "\n").map { $0.split(separator: "\t") }, expected) {
            for (k, (label, p)) in want.enumerated() {
                #expect(String(line[1 + 2 * k]) == label)
                #expect(abs(Double(line[2 + 2 * k])! - p) <= 1e-6)
            }
        }
    }

    /// The plugin's worker refuses a model it cannot read with one line naming the file (the build fails on
    /// it), writes nothing, and names the classes of a model that has names as a CaseIterable enum.
    @Test func embedderChecksTheModelAndNamesItsClasses() throws {
        let dir = try Tools.temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        for bad in ["model-bad-crc.nnm", "model-v2.nnm", "model-truncated.nnm"] {
            let r = try Tools.sh("nn-embed '\(Tools.packageRoot)/Tests/BadInputs/\(bad)' '\(dir)/out.swift' Model")
            #expect(r.status == 2)
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.hasPrefix("nn-embed: ") && r.stderr.contains(bad), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/out.swift"))
        }
        let r = try Tools.sh("nn-embed '\(Tools.packageRoot)/Tests/BadInputs/model-odd-class-names.nnm' '\(dir)/Odd.swift' Odd")
        #expect(r.status == 0, "\(r.stderr)")
        let source = try String(contentsOfFile: "\(dir)/Odd.swift", encoding: .utf8)
        #expect(source.contains("public struct Odd: Sendable") && source.contains("public enum Label: String, CaseIterable, Sendable"))
        #expect(source.contains("static let encoded: StaticString = \""))
    }
}
