import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import NNFormats

/// nn-gradcheck as CI runs it: passes on correct networks, fails (exit 1, naming the tensor) on wrong ones.
@Suite(.serialized) struct GradcheckTests {
    @Test(arguments: ["relu", "sigmoid", "tanh"], ["softmax-ce", "sigmoid-bce", "mse"])
    func correctNetworksPass(activation: String, loss: String) throws {
        let r = try Tools.sh("nn-gradcheck --layers 30-12-8-4 --activation \(activation) --loss \(loss) --all --samples 4 --format json")
        #expect(r.status == 0, "\(r.out)\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: r.stdout) as! [String: Any]
        #expect(json["passed"] as? Bool == true)
        let tensors = json["tensors"] as! [[String: Any]]
        #expect(tensors.map { $0["name"] as! String } == ["W1", "b1", "W2", "b2", "W3", "b3"])
        for t in tensors {
            #expect((t["max_relative_error"] as! Double) <= 1e-6 || (t["max_abs_difference"] as! Double) <= 1e-10)
            #expect((t["checked"] as! Int) + (t["skipped_at_kinks"] as! Int) > 0)
        }
    }

    /// Batch norm (batch statistics) and dropout (a fixed mask) join the check.
    @Test(arguments: ["--batch-norm all", "--dropout 0.3", "--batch-norm 1 --dropout 0.2,0.5 --activation tanh --loss mse"])
    func batchNormAndDropoutPass(options: String) throws {
        let r = try Tools.sh("nn-gradcheck --layers 30-12-8-4 \(options) --all --samples 5")
        #expect(r.status == 0, "\(r.out)\(r.stderr)")
        if options.contains("batch-norm") {
            #expect(r.out.contains("gamma1") && r.out.contains("beta1"))
            #expect(r.out.contains("ok (zero: batch norm)"))   // b1, cancelled by the mean subtraction
        }
    }

    @Test func droppedFactorIsCaughtAndNamed() throws {
        let r = try Tools.sh("nn-gradcheck --layers 40-10-3 --activation sigmoid --fault sigmoid-drops-factor")
        #expect(r.status == 1)
        let failing = r.out.split(separator: "\n").filter { $0.hasSuffix("FAIL") }.map { String($0.split(separator: " ")[0]) }
        #expect(failing == ["W1", "b1"], "\(r.out)")   // the tensors below the broken layer, and only those
        #expect(r.out.contains("W1: FAIL:"))
        #expect(r.out.split(separator: "\n").last!.hasPrefix("FAIL:"))
    }

    /// The small convolutional network, every coordinate in float64: within 1e-6, with the kinks
    /// (ReLU units, max-pool winners) skipped and counted and the max-pool ties at the point reported.
    @Test func convolutionalNetworkPassesWithKinksCounted() throws {
        let r = try Tools.sh("nn-gradcheck --layers 1x12x12-conv4k3-maxpool2-conv4k3-10 --all --format json")
        #expect(r.status == 0, "\(r.out)\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: r.stdout) as! [String: Any]
        #expect(json["passed"] as? Bool == true)
        #expect((json["tied_pool_windows"] as? Int ?? 0) > 0, "\(r.out)")
        let tensors = json["tensors"] as! [[String: Any]]
        #expect(tensors.map { $0["name"] as! String } == ["W1", "b1", "W2", "b2", "W3", "b3"])
        #expect(tensors.map { ($0["checked"] as! Int) + ($0["skipped_at_kinks"] as! Int) } == [36, 4, 144, 4, 1440, 10])
        #expect(tensors.reduce(0) { $0 + ($1["skipped_at_kinks"] as! Int) } > 0)
        for t in tensors { #expect((t["max_relative_error"] as! Double) <= 1e-6, "\(t)") }
    }

    /// Planted faults in the convolution's and the max pooling's backward: the tensors below the broken
    /// layer fail, by name, and only those.
    @Test(arguments: ["conv-drops-input-gradient-tap", "maxpool-routes-to-first"])
    func convolutionalFaultsAreCaughtAndNamed(fault: String) throws {
        let r = try Tools.sh("nn-gradcheck --layers 1x12x12-conv4k3-maxpool2-conv4k3-10 --all --fault \(fault)")
        #expect(r.status == 1, "\(r.out)\(r.stderr)")
        let failing = r.out.split(separator: "\n").filter { $0.hasSuffix("FAIL") }.map { String($0.split(separator: " ")[0]) }
        #expect(failing == ["W1", "b1"], "\(r.out)")
        #expect(r.out.contains("W1: FAIL:") && r.out.split(separator: "\n").last!.hasPrefix("FAIL:"))
    }

    /// A trained convolutional model file, checked at its weights on real images.
    @Test func checksAStoredConvolutionalModel() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 50, into: dir)
        let r = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --layers 1x28x28-conv4k3-maxpool2-conv6k3s2-10 --batch-norm 1"
            + " --epochs 1 -o \(dir)/m.nnm 2>/dev/null && nn-gradcheck -m \(dir)/m.nnm --images \(trI) --labels \(trL) --coordinates 40")
        #expect(r.status == 0, "\(r.out)\(r.stderr)")
        #expect(r.out.contains("1x28x28-conv4k3-maxpool2-conv6k3s2-10 relu softmax-ce, batch-norm x1, 3 samples of"), "\(r.out)")
        #expect(r.out.contains("gamma1") && r.out.contains("PASS: 8 tensors"), "\(r.out)")
    }

    @Test func halvedBiasGradientInJUnit() throws {
        let r = try Tools.sh("nn-gradcheck --layers 20-6-5 --fault last-bias-halved --format junit")
        #expect(r.status == 1)
        let doc = try XMLDocument(data: r.stdout)
        let cases = try doc.nodes(forXPath: "//testcase")
        #expect(cases.count == 4)
        let failed = try doc.nodes(forXPath: "//testcase[failure]/@name").map { $0.stringValue! }
        #expect(failed == ["b2 [1x5]"])
        #expect(try doc.nodes(forXPath: "/testsuites/@failures").first?.stringValue == "1")
    }

    @Test func zeroGradientsAreVacuousNotPassed() throws {
        // Blank images: W1's gradient x^T delta is exactly zero everywhere, so its check tests nothing.
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images: [UInt8] = [0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 16] + [UInt8](repeating: 0, count: 48)
        let labels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 3, 1, 0, 2]
        try writeFileAtomically(images, to: "\(dir)/i.idx")
        try writeFileAtomically(labels, to: "\(dir)/l.idx")
        let r = try Tools.sh("nn-gradcheck --layers 16-4-3 --images \(dir)/i.idx --labels \(dir)/l.idx --all")
        #expect(r.status == 1, "\(r.out)")
        #expect(r.out.contains("W1: VACUOUS: backprop and numerical gradients are both (near) zero"), "\(r.out)")
    }

    @Test func checksAStoredModelOnIDXSamples() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 50, into: dir)
        let r = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --layers 784-16-10 --epochs 2 -o \(dir)/m.nnm 2>/dev/null"
            + " && nn-gradcheck -m \(dir)/m.nnm --images \(trI) --labels \(trL) --coordinates 50")
        #expect(r.status == 0, "\(r.out)\(r.stderr)")
        #expect(r.out.contains("784-16-10 relu softmax-ce, 3 samples of"))
        #expect(r.out.contains("PASS: 4 tensors"))
    }

    @Test func usageErrorsExitTwo() throws {
        for cmd in ["nn-gradcheck --layers 10-x-3", "nn-gradcheck --no-such-flag", "nn-gradcheck -m /nonexistent.nnm",
                    "nn-gradcheck --fault nope", "nn-gradcheck --samples 0"] {
            let r = try Tools.sh(cmd)
            #expect(r.status == 2, "\(cmd): \(r.status) \(r.stderr)")
            #expect(r.stderr.hasPrefix("nn-gradcheck: "), "\(cmd): \(r.stderr)")
        }
    }
}
