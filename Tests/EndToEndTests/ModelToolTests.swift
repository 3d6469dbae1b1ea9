// ModelToolTests.swift: nn-model info and convert as a user runs them (the interchange checks against
// onnxruntime are in InterchangeTests, bad inputs in BadInputCorpusTests).
import Foundation
import Testing

@Suite struct ModelToolTests {
    let shipped = Tools.packageRoot + "/models/mnist-default.nnm"
    let corpus = Tools.packageRoot + "/Tests/BadInputs"

    func json(_ command: String) throws -> [String: Any] {
        let r = try Tools.sh(command)
        #expect(r.status == 0, "\(command)\n\(r.stderr)")
        return (try? JSONSerialization.jsonObject(with: r.stdout) as? [String: Any]) ?? [:]
    }

    @Test func infoOnTheShippedModel() throws {
        let info = try json("nn-model info '\(shipped)' --format json")
        #expect(info["format"] as? String == "nnm" && info["format_version"] as? String == "1.1")
        #expect(info["architecture"] as? String == "784-300-10 relu softmax-ce")
        #expect(info["parameters"] as? Int == 784 * 300 + 300 + 300 * 10 + 10)
        #expect(info["input_shape"] as? [Int] == [28, 28])
        #expect((info["image_recipe"] as? [String: Any])?["name"] as? String == "mnist-com-v1")
        #expect((info["metadata"] as? [String: String])?["final-test-accuracy"] == "0.972400")
        #expect((info["sections"] as? [[String: Any]])?.map { $0["type"] as! String } == ["HEAD", "INPT", "WGHT", "norm", "meta", "IEND"])
        #expect((info["sections"] as? [[String: Any]])?[2]["bytes"] as? Int == 4 + 4 * 8 + 4 * 238_510)
        let text = try Tools.sh("nn-model info '\(shipped)'")
        #expect(text.status == 0 && text.out.contains("architecture    784-300-10 relu softmax-ce") && text.out.contains("input shape     28x28"), "\(text.out)")
    }

    @Test func infoOnONNXNpzAndCheckpoints() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Tools.sh("nn-model convert '\(shipped)' -o '\(dir)/m.onnx'").status == 0)
        let onnx = try json("nn-model info '\(dir)/m.onnx' --format json")
        #expect(onnx["ir_version"] as? Int == 7 && (onnx["opsets"] as? [String: Int]) == ["ai.onnx": 13])
        #expect(onnx["operators"] as? [String: Int] == ["Mul": 1, "Gemm": 2, "Relu": 1, "Softmax": 1])
        #expect((onnx["as_model"] as? [String: Any])?["architecture"] as? String == "784-300-10 relu softmax-ce")
        let npz = try json("nn-model info '\(corpus)/good.npz' --format json")
        #expect((npz["arrays"] as? [[String: Any]])?.map { $0["name"] as! String } == ["W1", "b1", "W2", "b2"])
        #expect(npz["values"] as? Int == 784 * 4 + 4 + 4 * 10 + 10)
        let train = "nn-train --train-images '\(corpus)/tiny-images.idx' --train-labels '\(corpus)/tiny-labels.idx' --layers 4-3-3 --epochs 2 --checkpoint-every 1 -o '\(dir)/t.nnm'"
        #expect(try Tools.sh(train).status == 0)
        let ckpt = try json("nn-model info '\(dir)/t.nnm.ckpt' --format json")
        #expect((ckpt["checkpoint"] as? [String: Int]) == ["epochs_finished": 1, "samples_into_next_epoch": 0, "epochs": 2, "optimizer_step": 1],
                "\(ckpt)")
        let run = ckpt["checkpoint_run"] as? [String: Any]
        #expect(run?["data"] as? String == "files" && run?["output"] as? String == "\(dir)/t.nnm" && run?["checkpoint"] as? String == "\(dir)/t.nnm.ckpt")
        #expect((run?["files"] as? [[String: Any]])?.map { $0["bytes"] as! Int } == [176, 48])
        #expect((ckpt["sections"] as? [[String: Any]])?.map { $0["type"] as! String } == ["HEAD", "INPT", "WGHT", "meta", "conf", "prog", "opts", "best", "hist", "IEND"])
        let old = try json("nn-model info '\(corpus)/ckpt-old-format.ckpt' --format json")
        #expect((old["checkpoint"] as? String)?.contains("cannot be resumed") == true, "\(old)")
    }

    /// convert's output follows every tool's rules (RunFiles): not the input through a link, a device
    /// written in place, a link to another file followed and kept.
    @Test func convertOutputRules() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Data(contentsOf: URL(fileURLWithPath: corpus + "/good.nnm"))
        try model.write(to: URL(fileURLWithPath: dir + "/m.nnm"))
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.nnm", withDestinationPath: "m.nnm")
        let same = try Tools.sh("cd '\(dir)' && nn-model convert m.nnm -o link.nnm")
        #expect(same.status == 2 && same.stderr == "nn-model: -o link.nnm: is also the input the argument; an output may not replace an input of the same run\n",
                "\(same.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/m.nnm")) == model)
        let device = try Tools.sh("nn-model convert '\(dir)/m.nnm' -o /dev/null --to onnx")
        #expect(device.status == 0, "\(device.stderr)")
        var st = stat()
        #expect(stat("/dev/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
        try FileManager.default.createSymbolicLink(atPath: dir + "/out.onnx", withDestinationPath: "real.onnx")
        #expect(try Tools.sh("cd '\(dir)' && nn-model convert m.nnm -o out.onnx").status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/out.onnx") == "real.onnx")
        #expect(FileManager.default.fileExists(atPath: dir + "/real.onnx"))
    }

    /// stdin/stdout give the same bytes as files; an existing output is replaced whole.
    @Test func convertThroughPipes() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: dir + "/a.onnx"))
        #expect(try Tools.sh("nn-model convert '\(shipped)' -o '\(dir)/a.onnx'").status == 0)
        let piped = try Tools.sh("nn-model convert - --from nnm -o - --to onnx < '\(shipped)'")
        let file = try Data(contentsOf: URL(fileURLWithPath: dir + "/a.onnx"))
        #expect(piped.status == 0 && piped.stdout == file)
        let back = try Tools.sh("nn-model convert - --from onnx -o - --to nnm < '\(dir)/a.onnx'")
        let original = try Data(contentsOf: URL(fileURLWithPath: shipped))
        #expect(back.stdout == original)   // bit for bit, metadata included
        let fromNpz = try Tools.sh("nn-model convert - --from npz --activation relu -o - --to nnm < '\(corpus)/good.npz' | nn-model info - --format json")
        #expect(fromNpz.status == 0 && fromNpz.out.contains("\"architecture\":\"784-4-10 relu softmax-ce\""), "\(fromNpz.out)\(fromNpz.stderr)")
    }
}
