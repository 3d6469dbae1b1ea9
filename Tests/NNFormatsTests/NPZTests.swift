import Foundation
import Testing
@testable import NNCore
@testable import NNFormats
@testable import NNInterchange

/// python3 with numpy, for the tests that have numpy write their files.
enum PythonNumPy {
    static let available: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import numpy"]
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    static func run(_ script: String) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return data
    }
}

/// An .npy file (version 1.0) with the given header dict text.
func npy(_ header: String, _ data: [UInt8] = [], major: UInt8 = 1) -> [UInt8] {
    var h = Array(header.utf8)
    let prefix = major == 1 ? 10 : 12
    while (prefix + h.count + 1) % 64 != 0 { h.append(0x20) }
    h.append(0x0A)
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
    if major == 1 { out += [UInt8(h.count & 255), UInt8(h.count >> 8)] } else { out += [UInt8(h.count & 255), UInt8(h.count >> 8), 0, 0] }
    return out + h + data
}

struct NPZTests {
    func read(_ name: String) throws -> [(name: String, array: NPYArray)] { try NPZFile.read(fixtures + "/" + name) }

    /// np.savez's float64 TwoLayerNet params (stored members, ZIP64 local headers).
    @Test func savezFixtureReads() throws {
        let arrays = try read("twolayer-f8.npz")
        #expect(arrays.map(\.name) == ["W1", "b1", "W2", "b2"])
        #expect(arrays[0].array == NPYArray(shape: [4, 3], values: .double((0..<12).map { Double($0) / 8 - 1 })))
        #expect(arrays[1].array == NPYArray(shape: [3], values: .double([0, 0.25, 0.5])))
        #expect(arrays[2].array.shape == [3, 2] && arrays[3].array == NPYArray(shape: [2], values: .double([0.5, -0.5])))
    }

    /// np.savez_compressed's float32 arrays (deflated members), a 0-d scalar and an empty array.
    @Test func savezCompressedFixtureReads() throws {
        let arrays = try read("compressed-f4.npz")
        #expect(arrays.map(\.name) == ["a", "b", "c"])
        #expect(arrays[0].array == NPYArray(shape: [2, 3], values: .float([-2, -0.5, 1, 2.5, 4, 5.5])))
        #expect(arrays[1].array == NPYArray(shape: [], values: .float([3.25])))
        #expect(arrays[2].array == NPYArray(shape: [0], values: .float([])))
    }

    @Test func version2HeaderReads() throws {
        let a = try NPYFile.decode(Array(try Data(contentsOf: URL(fileURLWithPath: fixtures + "/v2-header.npy"))), path: "v2.npy")
        #expect(a == NPYArray(shape: [2, 2], values: .double([1, 2, 3, 4])))
    }

    /// Headers are parsed strictly: each fault its own message.
    @Test func badHeadersAreRefused() {
        let eight = [UInt8](repeating: 0, count: 8)
        let cases: [([UInt8], String)] = [
            (npy("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", eight), "dtype '>f8' is not supported"),
            (npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", eight), "dtype '<i8'"),
            (npy("{'descr': '<f8', 'fortran_order': True, 'shape': (1,), }", eight), "fortran_order is True"),
            (npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1), }", eight), "shape (1) is not a tuple"),
            (npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}", eight), "unexpected key 'x'"),
            (npy("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", eight), "'descr' appears twice"),
            (npy("{'descr': '<f8', 'shape': (1,), }", eight), "lacks one of"),
            (npy("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1,), }", eight), "neither True nor False"),
            (npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }", eight), "not a size"),
            (npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), } extra", eight), "text after the dict"),
            (npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1048576), }"), "more than the 268435456 elements"),
            (npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", eight), "needs 16 data bytes, the array has 8"),
            (npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", eight + [0]), "needs 8 data bytes, the array has 9"),
            (Array(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", eight).dropFirst()), "not a .npy array"),
            ([0x93] + Array("NUMPY".utf8) + [4, 0, 10, 0], ".npy version 4.0"),
            (npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", eight, major: 2).prefix(20).map { $0 }, "truncated .npy header"),
        ]
        for (bytes, fragment) in cases {
            expectFormatError(["a.npy", fragment]) { _ = try NPYFile.decode(bytes, path: "a.npy") }
        }
    }

    /// The corpus' hostile archives (Tests/BadInputs/make.py): refused before anything large is allocated.
    @Test func zipBombsAreRefused() throws {
        func decode(_ name: String) throws { _ = try NPZFile.read(badInputs + "/" + name) }
        expectFormatError(["member 'W1.npy'", "shape (3, 2) of <f8 needs 176 bytes, the zip directory declares 20000176"]) { try decode("npz-zip-bomb.npz") }
        expectFormatError(["member 'W1.npy'", "inflates to more than its declared 176 bytes"]) { try decode("npz-inflates-past-size.npz") }
        expectFormatError(["member 'W1.npy'", "declares 2147483648 bytes, more than the 1073741824"]) { try decode("npz-size-lie.npz") }
        expectFormatError(["no zip end-of-directory record"]) { try decode("npz-truncated.npz") }
        var good = Array(try Data(contentsOf: URL(fileURLWithPath: fixtures + "/twolayer-f8.npz")))
        good[200] ^= 0xFF   // inside W1's data (local header 56 bytes, .npy header 128)
        expectFormatError(["member 'W1.npy'", "CRC mismatch"]) { _ = try NPZFile.decode(good, path: "x.npz") }
        expectFormatError(["empty file"]) { _ = try NPZFile.decode([], path: "x.npz") }
        expectFormatError(["no zip signature"]) { _ = try NPZFile.decode(Array("not a zip at all, really not".utf8), path: "x.npz") }
    }

    /// Arrays numpy writes now, in every layout it has: the values read back exactly.
    @Test(.enabled(if: PythonNumPy.available, "needs python3 with numpy (.ci/run installs it)")) func numpyWrittenArchivesReadExactly() throws {
        let dir = NSTemporaryDirectory() + "npz-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let json = try PythonNumPy.run("""
            import json, numpy as np
            rng = np.random.RandomState(11)
            arrays = {"m64": rng.randn(7, 5), "m32": rng.randn(3, 9).astype(np.float32), "v": rng.randn(13),
                      "s": np.float64(2.5), "t3": rng.randn(2, 3, 4).astype(np.float32), "e": np.zeros((0, 3))}
            np.savez("\(dir)/a.npz", **arrays)
            np.savez_compressed("\(dir)/b.npz", **arrays)
            print(json.dumps({k: {"shape": list(np.shape(v)), "dtype": np.asarray(v).dtype.str, "bits": ["%016x" % b for b in np.asarray(v, dtype=np.float64).ravel().view(np.uint64).tolist()]}
                              for k, v in arrays.items()}))
            """)
        let expected = try JSONSerialization.jsonObject(with: json) as! [String: [String: Any]]
        for file in ["a.npz", "b.npz"] {
            let arrays = try NPZFile.read("\(dir)/\(file)")
            #expect(Set(arrays.map(\.name)) == Set(expected.keys))
            for (name, a) in arrays {
                let e = expected[name]!
                #expect(a.shape == e["shape"] as! [Int], "\(file) \(name)")
                #expect(a.descr == e["dtype"] as! String, "\(file) \(name)")
                let values: [Double]
                switch a.values {
                case .float(let v): values = v.map(Double.init)
                case .double(let v): values = v
                }
                // as bit patterns: JSON number parsing need not be exact
                #expect(values.map(\.bitPattern) == (e["bits"] as! [String]).map { UInt64($0, radix: 16)! }, "\(file) \(name)")
            }
        }
    }

    // MARK: the book's params

    func params(_ shapes: [(String, [Int])]) -> [(name: String, array: NPYArray)] {
        shapes.enumerated().map { t, s in
            (s.0, NPYArray(shape: s.1, values: .double((0..<s.1.reduce(1, *)).map { Double(($0 * 37 + t * 11) % 19) / 19 - 0.5 })))
        }
    }

    @Test func twoLayerNetImports() throws {
        let (m, notes) = try NPZImport.model(try read("twolayer-f8.npz"), path: "p.npz", options: NPZImportOptions(activation: .sigmoid))
        #expect(notes.isEmpty)
        #expect(m.architecture == .mlp(sizes: [4, 3, 2], activation: .sigmoid, output: .softmaxCrossEntropy))
        #expect(m.parameters[0] == Matrix(rows: 4, cols: 3, storage: (0..<12).map { Float($0) / 8 - 1 }))
        #expect(m.parameters[3] == Matrix([[0.5, -0.5]]))
        #expect(m.inputShape == [4] && m.scaling == InputScaling())
    }

    @Test func batchNormParamsImport() throws {
        let arrays = params([("W1", [5, 4]), ("b1", [4]), ("gamma1", [4]), ("beta1", [1, 4]), ("running_mean1", [4]), ("running_var1", [4]),
                             ("W2", [4, 3]), ("b2", [3]), ("W3", [3, 2]), ("b3", [2]), ("gamma2", [3]), ("beta2", [3])])
        let (m, notes) = try NPZImport.model(arrays, path: "p.npz", options: NPZImportOptions(activation: .relu, loss: .sigmoidBinaryCrossEntropy))
        #expect(m.architecture == .mlp(sizes: [5, 4, 3, 2], activation: .relu, output: .sigmoidBinaryCrossEntropy, batchNorm: [0, 1]))
        #expect(m.parameters[4] == Matrix(rows: 1, cols: 4, storage: arrays[4].array.floats))   // running mean 1
        #expect(m.parameters[10] == Matrix(rows: 1, cols: 3) && m.parameters[11] == Matrix(rows: 1, cols: 3, repeating: 1))
        #expect(notes.count == 1 && notes[0].contains("batch norm 2 has no running_mean2/running_var2"))
        _ = m.network(Double.self)   // the shapes fit the layers
    }

    /// Every mismatch, one line each.
    @Test func mismatchesAreAllListed() throws {
        let arrays = params([("W1", [5, 4]), ("b1", [3]), ("W2", [6, 3]), ("gamma2", [3]), ("W3", [3, 2]), ("b3", [2]), ("extra", [1])])
        do {
            _ = try NPZImport.model(arrays, path: "p.npz", options: NPZImportOptions(activation: .relu))
            Issue.record("imported")
        } catch let e as FormatErrors {
            let lines = e.errors.map(\.message)
            #expect(lines.count == 5, "\(lines)")
            #expect(e.errors.allSatisfy { $0.path == "p.npz" })
            #expect(lines.contains("array 'extra' is not a parameter of the book's networks (W1, b1, ..., gamma1, beta1, running_mean1, running_var1)"))
            #expect(lines.contains("b1 has shape (3,), W1 (5, 4) needs (4,)"))
            #expect(lines.contains("W2 has shape (6, 3): 6 inputs, but W1 gives 4 outputs"))
            #expect(lines.contains("b2 is missing (W2 has shape (6, 3))"))
            #expect(lines.contains("batch norm 2 needs both gamma2 and beta2"))
        }
        expectFormatError(["no W1"]) { _ = try NPZImport.model(params([("w1", [2, 2])]), path: "p.npz", options: NPZImportOptions(activation: .relu)) }
        expectFormatError(["gamma2 belongs to the output layer W2"]) {
            _ = try NPZImport.model(params([("W1", [2, 2]), ("b1", [2]), ("W2", [2, 2]), ("b2", [2]), ("gamma2", [2])]), path: "p.npz",
                                    options: NPZImportOptions(activation: .relu))
        }
        var huge = params([("W1", [2, 2]), ("b1", [2]), ("W2", [2, 2]), ("b2", [2])])
        huge[1].array.values = .double([1e300, 0])
        expectFormatError(["b1 has a value float32 cannot hold (1e+300) at index 0"]) {
            _ = try NPZImport.model(huge, path: "p.npz", options: NPZImportOptions(activation: .relu))
        }
    }
}
