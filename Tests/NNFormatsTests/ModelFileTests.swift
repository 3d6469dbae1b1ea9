import Testing
@testable import NNCore
@testable import NNFormats

struct ModelFileTests {
    func sampleModel() -> Model {
        var rng = SeededGenerator(seed: 3)
        let net = Network<Float>(architecture: .mlp(sizes: [6, 4, 3], activation: .tanh, output: .softmaxCrossEntropy), initializer: .xavier, rng: &rng)
        var m = Model(network: net, scaling: InputScaling(), positiveClass: nil,
                      imageRecipe: ImageRecipe(name: "mnist-com-v1", parameters: ["box": 20, "canvas": 28]),
                      classNames: ["a", "b", "c"], metadata: [MetadataEntry("tool", "test"), MetadataEntry("seed", "3")])
        m.inputShape = [2, 3]
        return m
    }

    @Test func roundTripAndDeterminism() throws {
        let m = sampleModel()
        let bytes = ModelFileWriter.encode(m)
        #expect(try ModelFileReader.decode(bytes, path: "m") == m)
        #expect(ModelFileWriter.encode(m) == bytes)
        #expect(Array(bytes[0..<8]) == ModelFormat.magic)
        // minimal model: no optional sections; a yes/no model with its positive class
        var rng = SeededGenerator(seed: 5)
        let yesNo = Network<Float>(architecture: .mlp(sizes: [6, 4, 1], activation: .tanh, output: .sigmoidBinaryCrossEntropy), initializer: .xavier, rng: &rng)
        var plain = Model(network: yesNo, scaling: InputScaling(), positiveClass: 7)
        plain.inputShape = [2, 3]
        #expect(try ModelFileReader.decode(ModelFileWriter.encode(plain), path: "m") == plain)
    }

    /// Sound in structure but nonsense to run: each refused by the reader with its reason.
    @Test func meaninglessModelsAreRefused() throws {
        func refusal(_ model: Model) -> String {
            do {
                _ = try ModelFileReader.decode(ModelFileWriter.encode(model), path: "m.nnm")
                return "accepted"
            } catch { return "\(error)" }
        }
        var classOnSoftmax = sampleModel()
        classOnSoftmax.positiveClass = 3
        #expect(refusal(classOnSoftmax).contains("a positive class (3) belongs to a yes/no model"))
        var huge = sampleModel()
        huge.scaling = InputScaling(scale: 1e308, offset: 0)   // finite as a Double, infinite as a Float
        #expect(refusal(huge).contains("not finite in single precision"))
        huge.scaling = InputScaling(scale: 1e37, offset: 0)    // 255 * 1e37 overflows a Float
        #expect(refusal(huge).contains("not finite in single precision"))
        var rng = SeededGenerator(seed: 6)
        let arch = try LayersPlan(parsing: "6-4-3").architecture(activation: .relu, output: .softmaxCrossEntropy, batchNorm: [0])
        var bn = Model(network: Network<Float>(architecture: arch, initializer: .he, rng: &rng), scaling: InputScaling())
        let v = bn.architecture.tensors.firstIndex { $0.spec.role == .runningVariance }!
        bn.parameters[v].storage[2] = -1
        #expect(refusal(bn) == "m.nnm: tensor var1 (a running variance) is negative (-1.0) at index 2")
        bn.parameters[v].storage[2] = 0   // zero is a variance (epsilon keeps the division finite)
        #expect(refusal(bn) == "accepted")
    }

    /// The versions writers stamp (docs/model-format.md): dense networks 1.1, byte for byte as before;
    /// convolutional ones 1.2. And the README CNN's HEAD and WGHT as the document describes them.
    @Test func versionStampAndConvolutionalLayout() throws {
        var rng = SeededGenerator(seed: 4)
        let cnn = try LayersPlan(parsing: "1x28x28-conv32k5-maxpool2-conv64k3-maxpool2-128-10").architecture(activation: .relu, output: .softmaxCrossEntropy)
        let net = Network<Float>(architecture: cnn, initializer: .he, rng: &rng)
        let m = Model(network: net, scaling: InputScaling(), positiveClass: nil, imageRecipe: nil, metadata: [])
        let bytes = ModelFileWriter.encode(m)
        #expect(Array(bytes[8..<12]) == [1, 0, 2, 0])
        #expect(ModelFormat.minor == 2)
        let headLength = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
        #expect(String(decoding: bytes[16..<20], as: UTF8.self) == "HEAD" && headLength == 150)
        // first layer: kind 5 with in_channels 1, filters 32, kernel 5x5, stride 1x1, padding 2x2
        var conv: [UInt8] = [5]
        for v: UInt32 in [1, 32, 5, 5, 1, 1, 2, 2] { conv += [UInt8(v & 255), 0, 0, 0] }
        #expect(Array(bytes[24..<57]) == conv)
        let back = try ModelFileReader.decode(bytes, path: "cnn.nnm")
        #expect(back == m)
        #expect(back.architecture.tensors.map { "\($0.name) \($0.spec.rows)x\($0.spec.cols)" }
                == ["W1 32x25", "b1 1x32", "W2 64x288", "b2 1x64", "W3 3136x128", "b3 1x128", "W4 128x10", "b4 1x10"])
        #expect(back.architecture.parameterCount == 422_154)
        // dense networks, with or without the 1.1 kinds, stay 1.1
        for arch in [Architecture.mlp(sizes: [6, 4, 3], activation: .relu, output: .softmaxCrossEntropy),
                     .mlp(sizes: [6, 4, 3], activation: .relu, output: .softmaxCrossEntropy, batchNorm: [0], dropout: [0: 0.5])] {
            let dense = Model(network: Network<Float>(architecture: arch, initializer: .he, rng: &rng), scaling: InputScaling(),
                              positiveClass: nil, imageRecipe: nil, metadata: [])
            #expect(Array(ModelFileWriter.encode(dense)[8..<12]) == [1, 0, 1, 0])
        }
    }

    func expectError(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try ModelFileReader.decode(bytes, path: "bad.nnm")
            Issue.record("decoded a bad file (expected '\(fragment)')", sourceLocation: sourceLocation)
        } catch let e as FormatError {
            #expect(e.path == "bad.nnm", sourceLocation: sourceLocation)
            #expect(e.message.contains(fragment), "\(e.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    /// Rebuilds a file from (type, data) sections with correct CRCs.
    func file(major: UInt16 = 1, minor: UInt16 = 0, _ sections: [(String, [UInt8])]) -> [UInt8] {
        var out = ModelFormat.magic
        out.appendLE(major)
        out.appendLE(minor)
        for (t, d) in sections { ModelFileWriter.appendSection(&out, t, d) }
        return out
    }

    /// The sections of an encoded file.
    func sections(_ bytes: [UInt8]) -> [(String, [UInt8])] {
        var r = ByteReader(bytes, offset: 12)
        var out: [(String, [UInt8])] = []
        while r.remaining > 0 {
            let n: UInt32 = r.le()!
            let t = String(decoding: r.bytes(4)!, as: UTF8.self)
            out.append((t, r.bytes(Int(n))!))
            let _: UInt32? = r.le()
        }
        return out
    }

    @Test func badFiles() {
        let good = ModelFileWriter.encode(sampleModel())
        let parts = sections(good)
        expectError([], "empty file")
        expectError(Array("hello world, not a model".utf8), "wrong magic")
        expectError(Array(good[0..<10]), "truncated")
        expectError(Array(good[0..<(good.count - 20)]), "truncated")
        expectError(Array(good.dropLast(12)), "truncated")      // IEND missing
        var flipped = good
        flipped[good.count - 100] ^= 0x40   // inside the weights
        expectError(flipped, "CRC mismatch")
        expectError(file(major: 2, minor: 3, parts), "model format 2.3 is newer than this build reads (1.x)")
        // unknown optional section: skipped; unknown required one: refused
        var withOptional = parts
        withOptional.insert(("zzzz", [1, 2, 3]), at: 1)
        #expect((try? ModelFileReader.decode(file(withOptional), path: "x")) == sampleModel())
        var withRequired = parts
        withRequired.insert(("ZZZZ", [1, 2, 3]), at: 1)
        expectError(file(withRequired), "unknown required section 'ZZZZ'")
        expectError(file(parts.filter { $0.0 != "WGHT" }), "missing required section 'WGHT'")
        expectError(good + [0], "after the IEND")
    }

    @Test func nonFiniteWeightsAreRefused() {
        var m = sampleModel()
        m.parameters[2].storage[5] = .nan
        expectError(ModelFileWriter.encode(m), "tensor W2 has a non-finite value")
        m.parameters[2].storage[5] = .infinity
        expectError(ModelFileWriter.encode(m), "non-finite")
    }

    @Test func inconsistentSizesAreRefused() {
        var m = sampleModel()
        m.parameters[0] = Matrix(rows: 6, cols: 5)   // W1 should be 6x4
        expectError(ModelFileWriter.encode(m), "tensor W1 is 6x5, the architecture needs 6x4")
        var n = sampleModel()
        n.inputShape = [28, 28]
        expectError(ModelFileWriter.encode(n), "input 28x28: layer 1 (affine 6x4) takes 6 inputs, the layer before gives 784")
        var k = sampleModel()
        k.architecture.layers[2] = AffineSpec(inputs: 5, outputs: 3)
        expectError(ModelFileWriter.encode(k), "inconsistent sizes")
        var p = sampleModel()
        p.parameters.removeLast()
        expectError(ModelFileWriter.encode(p), "3 weight tensors, the architecture needs 4")
    }
}
