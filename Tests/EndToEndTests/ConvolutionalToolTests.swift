import Foundation
import Testing
@testable import NNFormats
@testable import NNCore
import NNImage

/// Every tool with a convolutional model, as with a dense one: nn-train (threads, --plot, batch norm and
/// dropout on conv layers), nn-eval (report, --confusion, --errors), nn-predict (IDX and PNG), bad --layers.
@Suite(.serialized) struct ConvolutionalToolTests {
    static let layers = "1x28x28-conv6k3-maxpool2-conv8k3-maxpool2-24-10"

    @Test func trainEvalAndPredict() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 10, into: dir)      // 500 samples
        let (teI, teL) = try Tools.subset("test", stride: 50, into: dir)       // 200 samples
        let r = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --test-images \(teI) --test-labels \(teL) "
            + "--layers \(Self.layers) --batch-norm all --dropout 0.1,0.1,0.2 --epochs 3 --batch-size 20 --learning-rate 0.01 --seed 4 --plot \(dir)/curves.svg -o \(dir)/m.nnm"
            + " && nn-eval -m \(dir)/m.nnm --images \(teI) --labels \(teL) --confusion \(dir)/c.svg --errors \(dir)/e.png --format json")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("nn-train: \(Self.layers) relu softmax-ce, batch-norm x3, dropout 0.1,0.1,0.2"), "\(r.stderr)")
        let epochLines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("epoch ") }
        #expect(epochLines.count == 3)
        let json = try JSONSerialization.jsonObject(with: r.stdout) as! [String: Any]
        let accuracy = json["accuracy"] as! Double
        #expect(json["samples"] as? Int == 200 && accuracy > 0.6, "accuracy \(accuracy)")
        #expect(epochLines.last!.contains(String(format: "test %.2f%%", 100 * accuracy)), "\(epochLines.last!) vs \(accuracy)")
        #expect((json["architecture"] as? String)?.hasPrefix(Self.layers) == true)
        // the model: format 1.2, the layers the flags asked for, the image recipe nn-predict needs
        let model = try ModelFileReader.read("\(dir)/m.nnm")
        let bytes = try readWholeFile("\(dir)/m.nnm", limit: 1 << 30)
        #expect(bytes[10] == 2)
        #expect(model.architecture.layers.map { "\($0)" } == [
            "conv 6 filters 3x3 padding 1x1", "batch-norm 6", "relu", "max-pool 2x2", "dropout 0.1",
            "conv 8 filters 3x3 padding 1x1", "batch-norm 8", "relu", "max-pool 2x2", "dropout 0.1",
            "flatten", "affine 392x24", "batch-norm 24", "relu", "dropout 0.2", "affine 24x10"])
        #expect(model.imageRecipe?.name == DigitNormalizer.recipeName)
        // the pictures
        let curves = String(decoding: try readWholeFile("\(dir)/curves.svg", limit: 1 << 30), as: UTF8.self)
        #expect(curves.contains(">epoch<") && curves.contains("accuracy"))
        let heat = String(decoding: try readWholeFile("\(dir)/c.svg", limit: 1 << 30), as: UTF8.self)
        #expect(heat.components(separatedBy: "class=\"cell\"").count - 1 == 100)
        let grid = try decodePNG(try readWholeFile("\(dir)/e.png", limit: 1 << 30))
        #expect(grid.width > 28 && grid.height > 28)
        let wrong = (json["samples"] as! Int) - (json["correct"] as! Int)
        let list = try Tools.sh("nn-eval -m \(dir)/m.nnm --images \(teI) --labels \(teL) --errors-list")
        #expect(list.status == 0 && list.out.split(separator: "\n").count == wrong)
        let text = try Tools.sh("nn-eval -m \(dir)/m.nnm --images \(teI) --labels \(teL)")
        #expect(text.out.contains("confusion matrix (rows: true class, columns: predicted class)"))

        // nn-predict on the IDX file agrees with nn-eval's count, and on PNGs of the same digits fed as they
        // are (--no-normalize) gives the same probabilities as from the IDX file
        let idx = try Tools.sh("nn-predict -m \(dir)/m.nnm --images \(teI) --format jsonl")
        #expect(idx.status == 0, "\(idx.stderr)")
        let predictions = idx.out.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(predictions.count == 200)
        let labels = try IDXDataset.load(DataFiles(images: teI, labels: teL)).dataset
        let right = zip(predictions, labels.labels).filter { Int($0.0["label"] as! String) == Int($0.1) }.count
        #expect(right == json["correct"] as! Int)
        var paths: [String] = []
        for i in 0..<5 {
            let png = try encodePNG(GrayImage(width: 28, height: 28, pixels: Array(labels.features[(i * 784)..<((i + 1) * 784)])))
            paths.append("\(dir)/\(i).png")
            try writeFileAtomically(png, to: paths.last!)
        }
        let fromPNG = try Tools.sh("nn-predict -m \(dir)/m.nnm --no-normalize --format jsonl " + paths.joined(separator: " "))
        #expect(fromPNG.status == 0, "\(fromPNG.stderr)")
        for (i, line) in fromPNG.out.split(separator: "\n").enumerated() {
            let p = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            #expect(p["label"] as? String == predictions[i]["label"] as? String)
            #expect(p["probability"] as? Double == predictions[i]["probability"] as? Double)
        }
        // and normalised PNGs (the photo path) give a prediction per file
        let normalised = try Tools.sh("nn-predict -m \(dir)/m.nnm " + paths.joined(separator: " "))
        #expect(normalised.status == 0 && normalised.out.split(separator: "\n").count == 5, "\(normalised.stderr)")
    }

    @Test func sameBytesOnOneAndTwoThreads() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 20, into: dir)
        let common = "nn-train --train-images \(trI) --train-labels \(trL) --layers 1x28x28-conv4k5-maxpool2-conv6k3s2-avgpool2-10 "
            + "--batch-norm 2 --dropout 0.2 --augment --epochs 2 --batch-size 30 --seed 9"
        let a = try Tools.sh("\(common) --threads 1 -o \(dir)/a.nnm")
        let b = try Tools.sh("\(common) --threads 2 -o \(dir)/b.nnm")
        let c = try Tools.sh("\(common) --threads 3 -o \(dir)/c.nnm")
        #expect(a.status == 0 && b.status == 0 && c.status == 0, "\(a.stderr)\(b.stderr)\(c.stderr)")
        let ma = try readWholeFile("\(dir)/a.nnm", limit: 1 << 30)
        #expect(ma == (try readWholeFile("\(dir)/b.nnm", limit: 1 << 30)))
        #expect(ma == (try readWholeFile("\(dir)/c.nnm", limit: 1 << 30)))
    }

    /// A bad --layers (or a --batch-norm / --dropout that does not fit it): exit 2, one line naming the token.
    @Test(arguments: [
        ("1x28x28-conv32-10", "'conv32'"),
        ("1x28x28-conv32k0-10", "'conv32k0'"),
        ("1x28x28-conv8k3p3-10", "'conv8k3p3'"),
        ("1x28x28-conv8k3s-10", "'conv8k3s'"),
        ("1x28x28-conv8k3q1-10", "'conv8k3q1'"),
        ("1x28x28-maxpool-10", "'maxpool'"),
        ("1x28x28-pool2-10", "'pool2'"),
        ("784-conv8k3-10", "'conv8k3'"),
        ("1x28x28-32-maxpool2-10", "'maxpool2'"),
        ("1x28x28-conv8k3-10-maxpool2", "'maxpool2'"),
        ("1x28-conv8k3-10", "'1x28'"),
        ("0x28x28-conv8k3-10", "'0x28x28'"),
        ("1x28x28-conv8k3--10", "''"),
        ("1x28x28-conv8k29p0-10", "conv 8 filters 29x29"),
        ("1x28x28-maxpool8-maxpool8-10", "max-pool 8x8"),
        ("3x28x28-conv8k3-10", "3x28x28"),
    ])
    func badLayersAreOneLineNamingTheToken(spec: String, token: String) throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try Tools.sh("nn-train --layers \(spec) --epochs 1 -o \(dir)/m.nnm")
        #expect(r.status == 2, "\(spec): \(r.status) \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("nn-train: ") && lines[0].contains(token), "\(spec): \(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test(arguments: [("--batch-norm 4", "1-3"), ("--batch-norm 0", "1-3"), ("--dropout 0.1,0.2", "(3)"), ("--dropout 1", "[0, 1)")])
    func badBatchNormOrDropoutForConvLayers(option: String, hint: String) throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try Tools.sh("nn-train --layers 1x28x28-conv4k3-maxpool2-conv4k3-16-10 \(option) --epochs 1 -o \(dir)/m.nnm")
        #expect(r.status == 2, "\(option): \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains(hint), "\(option): \(r.stderr)")
    }
}

extension CheckpointTests {
    /// A convolutional run with batch norm, dropout and augmentation, interrupted mid-epoch and resumed,
    /// gives the bytes of the uninterrupted run.
    @Test func interruptedConvolutionalRunResumesByteIdentical() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 4, into: dir)     // 1,250 samples
        let common = "--train-images \(trI) --train-labels \(trL) --layers 1x28x28-conv4k3-maxpool2-conv6k3-maxpool2-16-10 --epochs 3 "
            + "--batch-size 25 --batch-norm all --dropout 0.1,0.1,0.3 --augment --lr-schedule cosine --seed 6"
        let reference = try Tools.sh("nn-train \(common) -o \(dir)/ref.nnm")
        #expect(reference.status == 0, "\(reference.stderr)")
        let interrupted = try runAndInterrupt("\(common) -o \(dir)/run.nnm", signal: SIGINT)
        #expect(interrupted.status == 130, "\(interrupted.stderr)")
        let checkpoint = try CheckpointCodec.read("\(dir)/run.nnm.ckpt")
        #expect(checkpoint.progress.epoch < 3 || checkpoint.progress.position > 0)
        let resumed = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --resume \(dir)/run.nnm.ckpt -o \(dir)/run.nnm")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try readWholeFile("\(dir)/ref.nnm", limit: 1 << 30) == (try readWholeFile("\(dir)/run.nnm", limit: 1 << 30)))
        // the checkpoint of a conv model is a model file the other tools read
        let eval = try Tools.sh("nn-eval -m \(dir)/run.nnm.ckpt --images \(trI) --labels \(trL)")
        #expect(eval.status == 0, "\(eval.stderr)")
    }
}
