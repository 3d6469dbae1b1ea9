// InterchangeTests.swift: nn-model against independent clients (the onnx checker, onnxruntime, numpy,
// torch when installed), through Tests/Interchange/interchange.py. The script prints one JSON line of
// figures per model; these tests run it and check the figures too. Without onnx, onnxruntime and numpy
// in python3, the tests fail and say what to install (.ci/run installs them).
import Foundation
import Testing

@Suite struct InterchangeTests {
    static let script = Tools.packageRoot + "/Tests/Interchange/interchange.py"

    /// Runs one scenario; returns its figures (one object per line).
    func run(_ scenario: String) throws -> [[String: Any]] {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try Tools.sh("python3 '\(InterchangeTests.script)' \(scenario) '\(dir)'")
        if r.status == 3 || r.status == 127 {
            Issue.record("python3 lacks onnx, onnxruntime or numpy: pip install onnx onnxruntime numpy\n\(r.stderr)")
            return []
        }
        #expect(r.status == 0, "interchange.py \(scenario) exited \(r.status)\n\(r.out)\n\(r.stderr)")
        let figures = r.out.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(!figures.isEmpty, "no figures from \(scenario)\n\(r.out)\n\(r.stderr)")
        return figures
    }

    /// Every t10k image: the same class (ties at float32 precision aside), outputs within 1e-5.
    func expectAgreement(_ f: [String: Any]) {
        let images = f["images"] as? Int ?? 0
        #expect(images == 10_000, "\(f)")
        #expect((f["class_agreement"] as? Int ?? 0) + (f["disagreements_that_are_ties"] as? Int ?? 0) == images, "\(f)")
        #expect((f["disagreements_that_are_ties"] as? Int ?? 99) <= 2, "\(f)")
        #expect((f["max_abs_difference"] as? Double ?? 1) <= 1e-5, "\(f)")
    }

    @Test func shippedModelExportsToONNX() throws {
        let figures = try run("export-shipped")
        for f in figures { expectAgreement(f) }
        #expect(figures.first?["onnxruntime_accuracy"] as? Double == 0.9724)   // models/README.md
    }

    @Test func trainedModelsExportToONNX() throws {
        let figures = try run("export-trained")
        #expect(figures.count == 3)
        for f in figures { expectAgreement(f) }
    }

    /// A CNN with batch norm (Tests/Fixtures/conv-bn.nnm): [N, 1, 28, 28] raw pixels, every t10k class and
    /// probability as nn-predict's, and back to the same file bytes.
    @Test func convModelExportsToONNX() throws {
        let figures = try run("export-conv")
        #expect(figures.count == 2)
        expectAgreement(figures[0])
        #expect(figures[0]["onnxruntime_accuracy"] as? Double == 0.9049, "\(figures)")   // the fixture's final-test-accuracy
        #expect(figures.last?["ops"] as? [String] == ["Mul", "Conv", "BatchNormalization", "Relu", "MaxPool", "Conv", "BatchNormalization", "Relu",
                                                       "AveragePool", "Flatten", "Gemm", "BatchNormalization", "Relu", "Gemm", "Softmax"])
        #expect((figures.last?["input"] as? [Any])?.count == 4, "\(figures)")
    }

    @Test func torchCNNImports() throws {
        let figures = try run("import-torch-cnn")
        for f in figures where f["skipped"] == nil && f["images"] != nil {
            expectAgreement(f)
            #expect(f["nn_eval_accuracy"] as? Double == f["onnxruntime_accuracy"] as? Double, "\(f)")
            #expect((f["nn_eval_accuracy"] as? Double ?? 0) > 0.8, "\(f)")   // trained weights, not noise
        }
    }

    @Test func onnxHelperModelsImport() throws {
        let figures = try run("import-helper")
        #expect(figures.count == 2)
        for f in figures {
            expectAgreement(f)
            #expect(f["nn_eval_accuracy"] as? Double == f["onnxruntime_accuracy"] as? Double, "\(f)")
            #expect((f["nn_eval_accuracy"] as? Double ?? 0) > 0.8, "\(f)")   // trained weights, not noise
        }
    }

    @Test func torchModelImports() throws {
        let figures = try run("import-torch")
        for f in figures where f["skipped"] == nil {
            expectAgreement(f)
            #expect(f["nn_eval_accuracy"] as? Double == f["onnxruntime_accuracy"] as? Double, "\(f)")
        }
    }

    @Test func booksNumPyParamsImportAndPassGradcheck() throws {
        let figures = try run("npz")
        #expect(figures.count == 2)
        for f in figures { #expect((f["gradcheck"] as? String ?? "").hasPrefix("PASS"), "\(f)") }
        #expect((figures.first?["class_agreement_with_numpy"] as? Int ?? 0) >= 9_995, "\(figures)")
    }
}
