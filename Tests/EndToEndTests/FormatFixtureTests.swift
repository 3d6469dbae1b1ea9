import Foundation
import Testing

/// Model files written by earlier format versions (Tests/Fixtures/models, README there) still load, and
/// today's nn-predict and nn-eval give exactly what the tools of that version gave.
struct FormatFixtureTests {
    static let folder = Tools.packageRoot + "/Tests/Fixtures/models"

    /// (file stem, format version in the header, nn-eval's loss and accuracy on the embedded t10k then)
    static let fixtures: [(String, UInt16, Double, Double)] = [
        ("v1.0-784-16-10-tanh", 0, 0.6841649726033211, 0.8694),
        ("v1.1-784-16-12-10-bn-dropout", 1, 1.0788197427988053, 0.7916),
    ]

    @Test(arguments: fixtures.indices)
    func earlierVersionPredictsAsItDid(_ i: Int) throws {
        let (stem, minor, loss, accuracy) = Self.fixtures[i]
        let model = "\(Self.folder)/\(stem).nnm"
        let bytes = try #require(FileManager.default.contents(atPath: model))
        #expect(Array(bytes[8..<12]) == [1, 0, UInt8(minor), 0], "\(stem) is not a format 1.\(minor) file")
        // the same probabilities, printed as the old nn-predict printed them (run from the fixture folder,
        // so that the paths match too)
        let predicted = try Tools.sh("cd \(Self.folder) && nn-predict -m \(stem).nnm --images t16-images.idx --format jsonl --top-k 10")
        #expect(predicted.status == 0, "\(predicted.stderr)")
        let expected = try String(contentsOfFile: "\(Self.folder)/\(stem).predict.jsonl", encoding: .utf8)
        #expect(predicted.out == expected)
        #expect(expected.split(separator: "\n").count == 16)
        // and the same evaluation of the 10,000 t10k images
        let t10k = Tools.packageRoot + "/datasets/default/t10k"
        let eval = try Tools.sh("nn-eval -m \(model) --images \(t10k)-images-idx3-ubyte.gz --labels \(t10k)-labels-idx1-ubyte.gz --format json")
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: eval.stdout) as? [String: Any])
        #expect(report["loss"] as? Double == loss)
        #expect(report["accuracy"] as? Double == accuracy)
    }
}
