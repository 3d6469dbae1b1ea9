// ToolkitClientTests.swift: what nn-eval and nn-gradcheck report comes from the NNToolkit library: its
// Evaluation (misclassified samples, counts, per-class scores) and its GradientCheck give the tools'
// figures, and the check passes on a correct network and fails on a planted fault.
import Foundation
import NNToolkit
import Testing

@Suite struct ToolkitClientTests {
    static let shipped = Tools.packageRoot + "/models/mnist-default.nnm"
    static let train = Tools.packageRoot + "/datasets/default/train-"

    /// The shipped model on the first 1,000 t10k images: the misclassified samples and counts nn-eval
    /// prints (measured with `nn-eval -m models/mnist-default.nnm --errors-list` and `--format json`).
    @Test func evaluationGivesNNEvalsErrorsList() throws {
        let dir = try Tools.temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        let (images, labels) = try Tools.subset("test", stride: 1, count: 1000, into: dir)
        let classifier = try Classifier(contentsOf: Self.shipped)
        let e = try classifier.evaluate(images: images, labels: labels)
        #expect(e.sampleCount == 1000 && e.correct == 969 && e.accuracy == 0.969)
        #expect(e.misclassified.map(\.index) == [18, 62, 104, 151, 233, 241, 247, 318, 321, 341, 359, 381, 386, 445, 449, 571,
                                                  582, 583, 613, 646, 684, 691, 720, 726, 740, 844, 866, 938, 956, 959, 965])
        #expect(e.support == [85, 126, 116, 107, 110, 87, 87, 99, 89, 94])
        #expect(e.classCount == 10 && e.classNames.isEmpty && e.className(7) == "7")
        #expect(abs(e.macroF1! - 0.9681634280414956) < 1e-15 && abs(e.loss - 0.09613635018467903) < 1e-12)
        #expect(e.confusion[2] == [0, 0, 111, 1, 0, 0, 1, 2, 1, 0])
        #expect(e.meanSquaredError == nil)

        // the same list, line for line, from nn-eval
        let r = try Tools.sh("nn-eval -m '\(Self.shipped)' --images '\(images)' --labels '\(labels)' --errors-list")
        #expect(r.status == 0, "\(r.stderr)")
        let mine = e.misclassified.sorted { ($0.truth, $0.index) < ($1.truth, $1.index) }.map { "\($0.index)\t\($0.truth)\t\($0.predicted)\n" }
        #expect(r.out == mine.joined())
        #expect(mine.first == "956\t1\t2\n")

        // the probability is the model's for the class it predicted
        let raw = Array(try Data(contentsOf: URL(fileURLWithPath: images)))[16...]
        for m in e.misclassified {
            let sample = raw[(raw.startIndex + 784 * m.index)..<(raw.startIndex + 784 * (m.index + 1))].map(Float.init)
            let p = try classifier.predict(values: sample)
            #expect(p.best?.index == m.predicted && abs(p.best!.probability - m.probability) <= 1e-6)
        }
        // the batch size changes nothing but the loss's rounding
        let small = try classifier.evaluate(images: images, labels: labels, batchSize: 7)
        #expect(small.misclassified == e.misclassified && small.confusion == e.confusion && abs(small.loss - e.loss) < 1e-6)   // per-batch Float losses
    }

    /// A 1-output sigmoid model: two classes, and the probability of the predicted class is p for class 1,
    /// 1 - p for class 0 (as nn-eval captions its pictures).
    @Test func binaryModelsMisclassifiedProbabilities() throws {
        let dir = try Tools.temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        let (images, labels) = try Tools.subset("train", stride: 10, into: dir)
        // digit 0 against the rest: labels 1 and 0
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: labels)))
        for i in 8..<bytes.count { bytes[i] = bytes[i] == 0 ? 1 : 0 }
        let binary = dir + "/binary-labels.idx"
        try Data(bytes).write(to: URL(fileURLWithPath: binary))
        var c = TrainingConfiguration()
        c.layers = "784-8-1"
        c.loss = .sigmoidBinaryCrossEntropy
        c.epochs = 1
        c.learningRate = 0.0001
        let model = try Classifier.train(c, trainImages: images, trainLabels: binary)
        let e = try model.evaluate(images: images, labels: binary)
        #expect(e.classCount == 2 && e.sampleCount == 500)
        #expect(e.correct == e.confusion[0][0] + e.confusion[1][1] && e.misclassified.count == 500 - e.correct!)
        #expect(!e.misclassified.isEmpty, "a model this weak gets some wrong: the test would check nothing")
        let raw = Array(try Data(contentsOf: URL(fileURLWithPath: images)))[16...]
        for m in e.misclassified {
            let sample = raw[(raw.startIndex + 784 * m.index)..<(raw.startIndex + 784 * (m.index + 1))].map(Float.init)
            let p1 = try model.predict(values: sample).values[0]
            #expect(m.predicted == (p1 >= 0.5 ? 1 : 0) && m.truth == 1 - m.predicted)
            #expect(abs(m.probability - (m.predicted == 1 ? p1 : 1 - p1)) <= 1e-6)
        }
        try model.write(to: dir + "/binary.nnm")
        let r = try Tools.sh("nn-eval -m '\(dir)/binary.nnm' --images '\(images)' --labels '\(binary)' --errors-list")
        #expect(r.status == 0 && r.out.split(separator: "\n").map { Int($0.split(separator: "\t")[0])! }.sorted() == e.misclassified.map(\.index))
    }

    /// Weights that overflow Float arithmetic: the error names the sample, as nn-eval's message does.
    @Test func nonFiniteOutputNamesTheSample() throws {
        let bad = Tools.packageRoot + "/Tests/BadInputs/"
        let classifier = try Classifier(contentsOf: bad + "model-huge-weights.nnm")
        do {
            _ = try classifier.evaluate(images: bad + "good-images.idx", labels: bad + "good-labels.idx")
            Issue.record("no error")
        } catch .nonFiniteSampleOutput(let sample, let value, let data) {
            #expect(sample == 0 && value.isNaN && data == bad + "good-images.idx")
        } catch {
            Issue.record("\(error)")
        }
    }

    /// The shipped model's gradients at its weights, on training samples: passes at the default tolerances
    /// (measured max relative error 2.50e-10), with the figures nn-gradcheck prints for the same settings.
    @Test func gradientCheckPassesAndMatchesNNGradcheck() throws {
        var check = GradientCheck()
        check.coordinatesPerTensor = 50
        let result = try check.check(try Classifier(contentsOf: Self.shipped),
                                     on: .files(images: Self.train + "images-idx3-ubyte.gz", labels: Self.train + "labels-idx1-ubyte.gz"))
        #expect(result.passed)
        #expect(result.tensors.map(\.name) == ["W1", "b1", "W2", "b2"] && result.tensors.map(\.rows) == [784, 1, 300, 1])
        #expect(result.checkedCoordinates == 159 && result.tensors[1].skippedAtKinks == 1)
        #expect(result.maxRelativeError < 1e-9 && result.maxRelativeError > 0)
        #expect(result.tiedPoolWindows == nil)
        #expect(result.dataName == "3 samples of \(Self.train)images-idx3-ubyte.gz")

        let r = try Tools.sh("nn-gradcheck -m '\(Self.shipped)' --data '\(Tools.packageRoot)/datasets/default' --coordinates 50 --format json")
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        let tensors = try #require(json["tensors"] as? [[String: Any]])
        for (mine, tool) in zip(result.tensors, tensors) {
            #expect(mine.checked == tool["checked"] as? Int)
            #expect(abs(mine.maxRelativeError - (tool["max_relative_error"] as! Double)) <= 1e-12 * mine.maxRelativeError)
        }
    }

    /// A planted fault fails the check, in the tensors it breaks: a halved last bias gradient is off by
    /// exactly half on every coordinate of b2; max pooling routed to the first input breaks the layers below.
    @Test func plantedFaultsFail() throws {
        var check = GradientCheck()
        check.coordinatesPerTensor = 50
        check.plantedFault = .lastBiasHalved
        let halved = try check.check(try Classifier(contentsOf: Self.shipped))
        #expect(!halved.passed)
        #expect(halved.tensors.filter { $0.verdict != .pass }.map(\.name) == ["b2"])
        let b2 = halved.tensors[3]
        #expect(b2.verdict == .mismatch && b2.failures == 10 && abs(b2.maxRelativeError - 0.5) < 1e-6)
        #expect(abs(b2.worstBackprop * 2 - b2.worstNumeric) < 1e-9)

        var configuration = TrainingConfiguration()
        configuration.layers = "1x12x12-conv4k3-maxpool2-conv4k3-10"
        check.coordinatesPerTensor = nil
        check.plantedFault = nil
        let clean = try check.check(configuration)
        #expect(clean.passed && clean.checkedCoordinates == 1607 && clean.tiedPoolWindows == 174 && clean.maxRelativeError < 1e-9)
        check.plantedFault = .maxPoolRoutesToFirst
        let routed = try check.check(configuration)
        #expect(!routed.passed && routed.tensors.filter { $0.verdict == .mismatch }.map(\.name) == ["W1", "b1"])
    }

    /// Settings and samples the check cannot use are typed errors.
    @Test func gradientCheckRefusesBadSettings() throws {
        var check = GradientCheck()
        check.sampleCount = 0
        #expect(throws: ToolkitError.self) { try check.check(TrainingConfiguration()) }
        check = GradientCheck()
        #expect(throws: ToolkitError.inputMismatch("sample 1 has 3 values, the network takes 784")) {
            try check.check(TrainingConfiguration(), on: .values([[UInt8](repeating: 0, count: 784), [1, 2, 3]], labels: [0, 1]))
        }
        var wrong = TrainingConfiguration()
        wrong.layers = "784-x-10"
        #expect(throws: ToolkitError.self) { try check.check(wrong) }
    }
}
