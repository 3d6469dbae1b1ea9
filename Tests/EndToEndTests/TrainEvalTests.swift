import Foundation
import Testing
@testable import NNFormats
import NNImage

/// The built nn-train and nn-eval, run as a user runs them.
@Suite(.serialized) struct TrainEvalTests {
    @Test func trainPipesIntoEval() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 10, into: dir)       // 500 samples, all classes
        let (teI, teL) = try Tools.subset("test", stride: 20, into: dir)        // 500 samples
        let r = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --layers 784-32-10 --epochs 5 --seed 3 "
            + "--test-images \(teI) --test-labels \(teL) -o - | nn-eval -m - --images \(teI) --labels \(teL) --format json")
        #expect(r.status == 0, "\(r.stderr)")
        // one line per epoch on stderr with loss, accuracies, timing
        let epochLines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("epoch ") }
        #expect(epochLines.count == 5, "\(r.stderr)")
        #expect(epochLines.last?.contains("test ") == true && epochLines.last?.contains("samples/s") == true)
        let json = try JSONSerialization.jsonObject(with: r.stdout) as! [String: Any]
        #expect(json["samples"] as? Int == 500)
        let accuracy = json["accuracy"] as! Double
        #expect(accuracy > 0.75, "accuracy \(accuracy)")
        let confusion = json["confusion"] as! [[Int]]
        #expect(confusion.count == 10 && confusion.flatMap { $0 }.reduce(0, +) == 500)
        #expect((json["per_class"] as! [[String: Any]]).count == 10)
        // the accuracy nn-train printed for its last epoch is the one nn-eval measures
        #expect(epochLines.last!.contains(String(format: "test %.2f%%", 100 * accuracy)), "\(epochLines.last!) vs \(accuracy)")
    }

    @Test func sameSeedSameBytesOnOneAndTwoThreads() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 25, into: dir)
        let common = "nn-train --train-images \(trI) --train-labels \(trL) --layers 784-64-10 --epochs 2 --seed 9 --validation-split 0.2"
        let a = try Tools.sh("\(common) --threads 1 -o \(dir)/a.nnm")
        let b = try Tools.sh("\(common) --threads 2 -o \(dir)/b.nnm")
        let c = try Tools.sh("\(common) --threads 2 --seed 10 -o \(dir)/c.nnm")
        #expect(a.status == 0 && b.status == 0 && c.status == 0, "\(a.stderr)\(b.stderr)")
        let ma = FileManager.default.contents(atPath: "\(dir)/a.nnm")!, mb = FileManager.default.contents(atPath: "\(dir)/b.nnm")!
        #expect(ma == mb)
        #expect(ma != FileManager.default.contents(atPath: "\(dir)/c.nnm")!)
        #expect(a.stderr.contains("val "))
    }

    @Test func textReportAndMetricsFile() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 25, into: dir)
        let r = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --layers 784-16-10 --epochs 3 --optimizer sgd "
            + "--metrics \(dir)/m.jsonl -o \(dir)/m.nnm && nn-eval -m \(dir)/m.nnm --images \(trI) --labels \(trL)")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.out.contains("confusion matrix (rows: true class, columns: predicted class)"))
        #expect(r.out.contains("macro"))
        #expect(r.out.contains("accuracy  "))
        let lines = String(decoding: FileManager.default.contents(atPath: "\(dir)/m.jsonl")!, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 3)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        #expect(first["epoch"] as? Int == 1 && first["train_loss"] is Double && first["samples_per_second"] is Double)
        // the model records how it was made
        let model = try ModelFileReader.read("\(dir)/m.nnm")
        #expect(model.metadataValue("optimizer") == "sgd" && model.metadataValue("epochs") == "3")
        #expect(model.inputShape == [28, 28])
    }

    @Test func binaryAndRegressionModels() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 10, into: dir)
        let bin = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --layers 784-16-1 --loss sigmoid-bce --positive-class 0 "
            + "--epochs 5 -o - | nn-eval -m - --images \(trI) --labels \(trL) --format json")
        #expect(bin.status == 0, "\(bin.stderr)")
        let b = try JSONSerialization.jsonObject(with: bin.stdout) as! [String: Any]
        #expect((b["confusion"] as! [[Int]]).count == 2)
        #expect((b["accuracy"] as! Double) > 0.95)
        let reg = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --layers 784-32-1 --loss mse "
            + "--epochs 20 --learning-rate 0.003 -o - | nn-eval -m - --images \(trI) --labels \(trL)")
        #expect(reg.status == 0, "\(reg.stderr)")
        #expect(reg.out.contains("mse ") && reg.out.contains("mae "), "\(reg.out)")
        #expect(!reg.out.contains("accuracy"))
        let mae = Double(reg.out.split(separator: "\n").first { $0.hasPrefix("mae") }!.split(separator: " ").last!)!
        #expect(mae < 1.2, "mae \(mae) (labels 0-9; predicting the mean gives about 2.5)")
    }

    @Test func badInputsGiveOneLineAndNoOutput() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 50, into: dir)
        let (teI, _) = try Tools.subset("test", stride: 50, into: dir)
        let cases: [(String, String)] = [
            ("nn-train --train-images \(dir)/missing.gz --train-labels \(trL) -o \(dir)/out.nnm", "missing.gz: No such file"),
            ("nn-train --train-images \(trI) --train-labels \(teI) -o \(dir)/out.nnm", "labels must be 1-dimensional"),
            ("nn-train --train-images \(trI) --train-labels \(trL) --layers 100-10 -o \(dir)/out.nnm", "784 values per sample"),
            ("nn-train --train-images \(trI) --train-labels \(trL) --layers 784-10-5 -o \(dir)/out.nnm", "the model has 5 classes"),
            ("nn-train --bogus-flag -o \(dir)/out.nnm", "bogus"),
            ("nn-eval -m \(trI) --images \(trI) --labels \(trL)", "not a model file"),
            ("nn-eval -m - --images \(trI) --labels \(trL) < /dev/null", "<stdin>: empty file"),
        ]
        for (cmd, fragment) in cases {
            let r = try Tools.sh(cmd)
            #expect(r.status == 2, "\(cmd): status \(r.status)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.first?.contains(fragment) == true, "\(cmd): \(r.stderr)")
            #expect(lines.count <= 2, "\(cmd): \(r.stderr)")   // the error, and for usage errors the usage line
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/out.nnm"))
            #expect(r.stdout.isEmpty)
        }
        // an existing model is not touched by a failing run
        FileManager.default.createFile(atPath: "\(dir)/keep.nnm", contents: Data("old".utf8))
        let r = try Tools.sh("nn-train --train-images \(trI) --train-labels \(dir)/nope -o \(dir)/keep.nnm")
        #expect(r.status == 2)
        #expect(FileManager.default.contents(atPath: "\(dir)/keep.nnm") == Data("old".utf8))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }
}

/// The pictures nn-eval and nn-train draw, opened and checked.
@Suite struct PictureTests {
    @Test func confusionErrorsAndCurves() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 25, into: dir)
        let (teI, teL) = try Tools.subset("test", stride: 50, into: dir)
        let r = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --test-images \(teI) --test-labels \(teL) "
            + "--layers 784-16-10 --epochs 3 --plot \(dir)/curves.svg -o \(dir)/m.nnm 2>/dev/null && "
            + "nn-eval -m \(dir)/m.nnm --images \(teI) --labels \(teL) --confusion \(dir)/c.svg --errors \(dir)/e.png --format json")
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: r.stdout) as! [String: Any]
        let wrong = (json["samples"] as! Int) - (json["correct"] as! Int)
        #expect(wrong > 0)
        // curves: an SVG whose text mentions the axes
        let curves = String(decoding: FileManager.default.contents(atPath: "\(dir)/curves.svg")!, as: UTF8.self)
        #expect(curves.hasPrefix("<svg") || curves.hasPrefix("<?xml"))
        #expect(curves.contains(">epoch<") && curves.contains("accuracy"))
        // heat map: 100 cells with the confusion counts
        let heat = String(decoding: FileManager.default.contents(atPath: "\(dir)/c.svg")!, as: UTF8.self)
        #expect(heat.components(separatedBy: "class=\"cell\"").count - 1 == 100)
        // error grid: a PNG, and the list has one line per mistake
        let png = try decodePNG(try readWholeFile("\(dir)/e.png", limit: 1 << 24))
        #expect(png.width > 28 && png.height > 28)
        let list = try Tools.sh("nn-eval -m \(dir)/m.nnm --images \(teI) --labels \(teL) --errors-list")
        #expect(list.out.split(separator: "\n").count == wrong)
    }
}
