// ToolkitLibraryTests.swift: the NNToolkit library gives the answers the tools give (the tools are the
// reference users compare with): nn-predict's classes and probabilities, nn-eval's accuracy, nn-train's
// weights for the same settings.
import Foundation
import NNToolkit
import Testing

@Suite struct ToolkitLibraryTests {
    static let shipped = Tools.packageRoot + "/models/mnist-default.nnm"
    static let pngs = ["digit.png", "digit-1x1.png"].map { Tools.packageRoot + "/Tests/BadInputs/" + $0 }

    /// predict(png:) against `nn-predict --format jsonl --top-k 3` on the same files: same classes in the
    /// same order, probabilities within 1e-6.
    @Test func pngPredictionsMatchNNPredict() throws {
        let classifier = try Classifier(contentsOf: Self.shipped)
        // photo-like renders of t10k digits: every PNG colour type and bit depth, off-centre, noisy
        let dir = try Tools.temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        let render = try Tools.sh("nn-bench render-photos --out '\(dir)/photos' --count 8")
        #expect(render.status == 0, "\(render.stderr)")
        let photos = try FileManager.default.subpathsOfDirectory(atPath: dir + "/photos").filter { $0.hasSuffix(".png") }.sorted()
            .map { dir + "/photos/" + $0 }
        #expect(photos.count == 8)
        for path in [Self.pngs[0]] + photos {
            let r = try Tools.sh("nn-predict -m '\(Self.shipped)' --format jsonl --top-k 3 '\(path)'")
            #expect(r.status == 0, "\(r.stderr)")
            let line = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
            let top = try #require(line["top"] as? [[String: Any]])
            let mine = try classifier.predict(png: Array(try Data(contentsOf: URL(fileURLWithPath: path))), topK: 3)
            #expect(mine.kind == .classes)
            #expect(mine.top.map(\.name) == top.map { $0["label"] as! String }, "\(path)")
            for (a, b) in zip(mine.top, top) { #expect(abs(a.probability - (b["probability"] as! Double)) <= 1e-6) }
        }
        // a PNG nn-predict refuses is a typed error here
        #expect(throws: ToolkitError.self) { try classifier.predict(png: Array("not a png".utf8)) }
    }

    /// predict(values:) and predict(pixels:) on t10k samples agree with nn-predict --images; evaluate()
    /// measures the accuracy nn-eval reports for the shipped model.
    @Test func valuesAndEvaluationMatchTheTools() throws {
        let classifier = try Classifier(bytes: try Data(contentsOf: URL(fileURLWithPath: Self.shipped)), name: "shipped")
        let dir = try Tools.temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        let (images, labels) = try Tools.subset("test", stride: 500, into: dir)
        let r = try Tools.sh("nn-predict -m '\(Self.shipped)' --images '\(images)' --format jsonl")
        let lines = r.out.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let raw = Array(try Data(contentsOf: URL(fileURLWithPath: images)))[16...]
        for (k, line) in lines.enumerated() {
            let sample = Array(raw[(raw.startIndex + 784 * k)..<(raw.startIndex + 784 * (k + 1))])
            let a = try classifier.predict(values: sample.map(Float.init))
            let b = try classifier.predict(pixels: sample, width: 28, height: 28, normalize: false)
            #expect(a.best?.name == line["label"] as? String && b.best?.name == a.best?.name)
            #expect(abs(a.best!.probability - (line["probability"] as! Double)) <= 1e-6)
        }
        let t10k = Tools.packageRoot + "/datasets/default/t10k-"
        let e = try classifier.evaluate(images: t10k + "images-idx3-ubyte.gz", labels: t10k + "labels-idx1-ubyte.gz")
        #expect(e.sampleCount == 10_000 && e.accuracy == 0.9724)   // models/README.md, nn-eval
        #expect(throws: ToolkitError.self) { try classifier.predict(values: [1, 2, 3]) }
        #expect(throws: ToolkitError.self) { try Classifier(bytes: [0x89, 0x4E]) }
    }

    /// Training from Swift with a configuration equal to nn-train's flags gives nn-train's weights.
    @Test func trainingMatchesNNTrain() throws {
        let dir = try Tools.temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        let (images, labels) = try Tools.subset("train", stride: 10, into: dir)
        var c = TrainingConfiguration()
        c.layers = "784-32-10"
        c.epochs = 2
        c.batchNorm = [0]
        c.dropout = [0.2]
        let mine = try Classifier.train(c, trainImages: images, trainLabels: labels)
        try mine.write(to: dir + "/lib.nnm")
        let r = try Tools.sh("nn-train --train-images '\(images)' --train-labels '\(labels)' --layers 784-32-10 --epochs 2 --batch-norm 1 --dropout 0.2 -o '\(dir)/cli.nnm'")
        #expect(r.status == 0, "\(r.stderr)")
        // the weights: nn-model's info lists parameter counts; compare the tools' view of both files
        let a = try Tools.sh("nn-predict -m '\(dir)/lib.nnm' --images '\(images)' --format jsonl --top-k 10")
        let b = try Tools.sh("nn-predict -m '\(dir)/cli.nnm' --images '\(images)' --format jsonl --top-k 10")
        #expect(a.status == 0 && a.out == b.out && !a.out.isEmpty)
    }
}
