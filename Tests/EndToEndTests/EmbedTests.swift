// nn-embed (the EmbedModel plugin's worker) run as the built executable: it never writes over the model it
// reads, whatever name the output is given; its errors are one line "nn-embed: ...", exit 2; --help is
// the usage on stdout, exit 0. (ConsumerTests covers bad models and the generated source.)
import Foundation
import Testing

@Suite struct EmbedTests {
    /// The output names the model itself: by its path, `..`, a symlink, a hard link, or the model is read on
    /// standard input from the output file. Refused, the model unchanged byte for byte, nothing created.
    @Test func refusesAnOutputThatIsTheModel() throws {
        let dir = try Tools.temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = "\(dir)/M.nnm"
        try FileManager.default.copyItem(atPath: Tools.packageRoot + "/Tests/BadInputs/good.nnm", toPath: model)
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/link.nnm", withDestinationPath: "M.nnm")
        try FileManager.default.linkItem(atPath: model, toPath: "\(dir)/hard.nnm")
        let original = try #require(FileManager.default.contents(atPath: model))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        for (input, output, stdin) in [(model, model, false), (model, "\(dir)/../\(URL(fileURLWithPath: dir).lastPathComponent)/M.nnm", false),
                                       (model, "\(dir)/link.nnm", false), (model, "\(dir)/hard.nnm", false),
                                       ("\(dir)/link.nnm", model, false), ("-", model, true)] {
            let r = try Tools.sh("nn-embed '\(input)' '\(output)' T" + (stdin ? " < '\(model)'" : ""))
            #expect(r.status == 2, "\(input) -> \(output)")
            #expect(r.out.isEmpty)
            #expect(r.stderr == "nn-embed: \(output): the output is the model file itself (\(stdin ? "standard input" : input)); give the Swift source its own path\n")
            #expect(FileManager.default.contents(atPath: model) == original, "the model is unchanged")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == names, "nothing created")
        }
        // the same model to another file is fine
        let r = try Tools.sh("nn-embed '\(model)' '\(dir)/M.swift' M")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: "\(dir)/M.swift", encoding: .utf8).contains("public struct M: Sendable"))
        #expect(FileManager.default.contents(atPath: model) == original)
    }

    @Test func usageAndHelp() throws {
        let help = try Tools.sh("nn-embed --help")
        #expect(help.status == 0)
        #expect(help.stderr.isEmpty)
        #expect(help.out.hasPrefix("Usage: nn-embed MODEL.nnm OUTPUT.swift TypeName\n"))
        for (arguments, first) in [("", "nn-embed: expected 3 arguments (model, output, type name), got 0"),
                                   ("a.nnm b.swift", "nn-embed: expected 3 arguments (model, output, type name), got 2"),
                                   ("--frob a.nnm b.swift T", "nn-embed: unknown option --frob")] {
            let r = try Tools.sh("nn-embed \(arguments)")
            #expect(r.status == 2, "\(arguments)")
            #expect(r.out.isEmpty)
            #expect(r.stderr == first + "\nUsage: nn-embed MODEL.nnm OUTPUT.swift TypeName (nn-embed --help for more)\n")
        }
        let dir = try Tools.temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        let missing = try Tools.sh("nn-embed '\(dir)/none.nnm' '\(dir)/out.swift' T")
        #expect(missing.status == 2)
        #expect(missing.stderr == "nn-embed: \(dir)/none.nnm: No such file or directory\n")
        let badName = try Tools.sh("nn-embed '\(Tools.packageRoot)/Tests/BadInputs/good.nnm' '\(dir)/out.swift' 9x")
        #expect(badName.status == 2)
        #expect(badName.stderr.hasPrefix("nn-embed: ") && badName.stderr.contains("'9x' is not a Swift type name"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }
}
