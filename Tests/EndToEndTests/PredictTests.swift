import Foundation
import Testing
@testable import NNFormats
import NNImage

/// nn-predict on PNG files as people hand them over, and the shipped model.
@Suite(.serialized) struct PredictTests {
    /// The shipped MLP, and the CNN that nn-predict and nn-eval use by default (models/README.md).
    static let shippedModel = Tools.packageRoot + "/models/mnist-default.nnm"
    static let shippedCNN = Tools.packageRoot + "/models/mnist-cnn.nnm"

    /// t10k digits rendered like user photos: accuracy within 1 point of the same digits as plain IDX.
    @Test(arguments: [shippedModel, shippedCNN])
    func photoLikeRendersReadAsWellAsPlainDigits(model: String) throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let test = try IDXDataset.load(IDXDataset.standardFiles(in: Tools.packageRoot + "/datasets/default", split: "test"))
        // 400 digits of every class; canvases up to 200 px keep the debug build quick (the README's figure
        // uses 2,000 renders up to 400 px in a release build)
        let picks = Array(stride(from: 3, to: 10_000, by: 25))
        var renderer = PhotoLikeRenderer()
        renderer.maxCanvas = 200
        var paths: [String] = []
        var kinds = Set<String>()
        for i in picks {
            let digit = Array(test.dataset.features[(i * 784)..<((i + 1) * 784)])
            let (png, choices) = renderer.renderWithChoices(digit: digit, seed: UInt64(i))
            kinds.insert("\(choices.colorType)-\(choices.bitDepth)-\(choices.interlaced)-\(choices.transparent)")
            let path = "\(dir)/\(i).png"
            try writeFileAtomically(png, to: path)
            paths.append(path)
        }
        #expect(kinds.count >= 15, "renders should cover many PNG kinds: \(kinds.sorted())")
        let photos = try Tools.sh("nn-predict -m \(model) -", stdin: Data(paths.joined(separator: "\n").utf8))
        #expect(photos.status == 0, "\(photos.stderr)")
        let lines = photos.out.split(separator: "\n")
        #expect(lines.count == picks.count)
        var photoCorrect = 0
        for (line, i) in zip(lines, picks) {
            let cols = line.split(separator: "\t")
            #expect(cols[0] == "\(dir)/\(i).png")
            if Int(cols[1]) == Int(test.dataset.labels[i]) { photoCorrect += 1 }
        }
        let (images, _) = try Tools.subset("test", stride: 25, offset: 3, into: dir)
        let plain = try Tools.sh("nn-predict -m \(model) --images \(images)")
        #expect(plain.status == 0, "\(plain.stderr)")
        let plainCorrect = zip(plain.out.split(separator: "\n"), picks).filter { line, i in
            Int(line.split(separator: "\t")[1]) == Int(test.dataset.labels[i])
        }.count
        let photoAccuracy = Double(photoCorrect) / Double(picks.count), plainAccuracy = Double(plainCorrect) / Double(picks.count)
        #expect(photoAccuracy >= plainAccuracy - 0.01, "photos \(photoAccuracy) vs plain \(plainAccuracy)")
        #expect(plainAccuracy >= 0.95)
    }

    /// `nn-predict -` in a conversation: each path gets its answer before the next path is written.
    @Test func answersEachPathBeforeTheNextArrives() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let test = try IDXDataset.load(IDXDataset.standardFiles(in: Tools.packageRoot + "/datasets/default", split: "test"))
        let picks = [0, 1, 2, 3, 4]   // t10k labels 7, 2, 1, 0, 4
        for i in picks {
            let digit = Array(test.dataset.features[(i * 784)..<((i + 1) * 784)])
            try writeFileAtomically(PhotoLikeRenderer().render(digit: digit, seed: UInt64(i)), to: "\(dir)/\(i).png")
        }
        // bash's coprocess: write one path, wait up to 10 s for its line, then write the next.
        let script = """
            coproc NP { nn-predict -m '\(Self.shippedModel)' - ; }
            for i in \(picks.map(String.init).joined(separator: " ")); do
              echo '\(dir)/'$i.png >&${NP[1]}
              if read -t 10 line <&${NP[0]}; then echo "$line"; else echo "no answer for $i"; fi
            done
            exec {NP[1]}>&-
            wait
            """
        try writeFileAtomically(Array(script.utf8), to: "\(dir)/talk.sh")
        let r = try Tools.sh("bash \(dir)/talk.sh")
        let lines = r.out.split(separator: "\n")
        try #require(lines.count == picks.count, "\(r.out)\(r.stderr)")
        for (line, i) in zip(lines, picks) {
            #expect(line.hasPrefix("\(dir)/\(i).png\t\(Int(test.dataset.labels[i]))\t"), "\(line)")
        }
    }

    @Test func shippedModelsReachTheirStatedAccuracy() throws {
        // the MLP on all of t10k
        let mlp = try ModelFileReader.read(Self.shippedModel)
        let stated = Double(mlp.metadataValue("final-test-accuracy") ?? "0")!
        #expect(stated >= 0.96)
        #expect(mlp.imageRecipe?.name == DigitNormalizer.recipeName)
        let r = try Tools.sh("nn-eval -m \(Self.shippedModel) --format json")    // default t10k
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: r.stdout) as! [String: Any]
        #expect(json["samples"] as? Int == 10_000)
        #expect(abs((json["accuracy"] as! Double) - stated) < 1e-6, "measured \(json["accuracy"]!) vs stated \(stated)")
        // the CNN, the default model: its stated figure, and exactly what it scores on every 10th t10k image
        // (all 10,000 take a minute in a debug build; the release figure is in models/README.md)
        let cnn = try ModelFileReader.read(Self.shippedCNN)
        #expect(Double(cnn.metadataValue("final-test-accuracy") ?? "0")! >= 0.988)
        #expect(cnn.imageRecipe?.name == DigitNormalizer.recipeName)
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (images, labels) = try Tools.subset("test", stride: 10, into: dir)
        let d = try Tools.sh("nn-eval --images \(images) --labels \(labels) --format json")    // default model
        #expect(d.status == 0, "\(d.stderr)")
        let sub = try JSONSerialization.jsonObject(with: d.stdout) as! [String: Any]
        #expect((sub["model"] as? String)?.hasSuffix("models/mnist-cnn.nnm") == true)
        #expect(sub["samples"] as? Int == 1_000)
        #expect(sub["correct"] as? Int == 988, "\(sub["correct"]!)")
        #expect(abs((sub["loss"] as? Double ?? 0) - 0.028285383142065256) < 1e-9, "\(sub["loss"]!)")
    }

    @Test func badInputsDoNotStopTheRun() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let test = try IDXDataset.load(IDXDataset.standardFiles(in: Tools.packageRoot + "/datasets/default", split: "test"))
        let seven = Array(test.dataset.features[0..<784])    // t10k[0] is a 7
        try writeFileAtomically(PhotoLikeRenderer().render(digit: seven, seed: 1), to: "\(dir)/seven.png")
        try writeFileAtomically(Array("not a png".utf8), to: "\(dir)/text.png")
        let good = try FileManager.default.contents(atPath: "\(dir)/seven.png")!
        try writeFileAtomically(Array(good.prefix(good.count / 2)), to: "\(dir)/truncated.png")
        try writeFileAtomically(try PNGEncoder(colorType: .gray, bitDepth: 8).encode(GrayImage(width: 1, height: 1, fill: 255)), to: "\(dir)/one.png")
        let r = try Tools.sh("nn-predict \(dir)/text.png \(dir)/seven.png \(dir)/missing.png \(dir)/truncated.png \(dir)/one.png --top-k 2")
        #expect(r.status == 1)
        let out = r.out.split(separator: "\n")
        try #require(out.count == 2, "\(r.out)")     // seven.png and the blank 1x1 (a valid, empty picture)
        #expect(out[0].hasPrefix("\(dir)/seven.png\t7\t"), "\(r.out)")
        #expect(out[0].split(separator: "\t").count == 5)     // path, then 2 x (label, probability)
        let errors = r.stderr.split(separator: "\n")
        try #require(errors.count == 3, "\(r.stderr)")  // (require: indexing a shorter list would crash the run)
        #expect(errors[0].hasPrefix("nn-predict: \(dir)/text.png: ") && errors[0].contains("PNG"))
        #expect(errors[1].contains("missing.png: No such file"))
        #expect(errors[2].contains("truncated.png"))
        // over the pixel limit
        let limited = try Tools.sh("nn-predict --max-pixels 100 \(dir)/seven.png")
        #expect(limited.status == 1 && limited.stderr.contains("over the limit"), "\(limited.stderr)")
        // jsonl and the normalised image
        try FileManager.default.createDirectory(atPath: "\(dir)/seen", withIntermediateDirectories: true)
        let j = try Tools.sh("nn-predict --format jsonl --save-normalized \(dir)/seen \(dir)/seven.png")
        #expect(j.status == 0)
        let obj = try JSONSerialization.jsonObject(with: j.stdout) as! [String: Any]
        #expect(obj["label"] as? String == "7" && (obj["probability"] as! Double) > 0.5)
        let seen = try decodePNG(try readWholeFile("\(dir)/seen/seven.normalized.png", limit: 1 << 20))
        #expect(seen.width == 28 && seen.height == 28)
        // --no-normalize needs the model's size
        let raw = try Tools.sh("nn-predict --no-normalize \(dir)/seven.png")
        #expect(raw.status == 1 && raw.stderr.contains("--no-normalize"), "\(raw.stderr)")
        let ok = try Tools.sh("nn-predict --no-normalize \(dir)/seen/seven.normalized.png")
        #expect(ok.status == 0 && ok.out.contains("\t7\t"), "\(ok.out)\(ok.stderr)")
        // usage errors
        #expect(try Tools.sh("nn-predict").status == 2)
        #expect(try Tools.sh("nn-predict --top-k 0 x.png").status == 2)
    }
}
