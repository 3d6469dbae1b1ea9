import Foundation
import Testing
@testable import NNCore
@testable import NNFormats
@testable import NNInterchange

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/Fixtures"
let badInputs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/BadInputs"

/// Builds small graphs for the importer.
struct GraphBuilder {
    var nodes: [ONNXNode] = []
    var initializers: [ONNXTensor] = []
    var input = ONNXValueInfo(name: "x", elementType: ONNXFormat.float, shape: [.param("N"), .value(4)])
    var extraInputs: [ONNXValueInfo] = []
    var outputs: [String] = []
    var opset: Int64 = 13

    mutating func const(_ name: String, _ dims: [Int], _ values: [Float]) {
        initializers.append(ONNXTensor(name: name, dims: dims, data: .float(values)))
    }
    mutating func node(_ op: String, _ inputs: [String], _ output: String, _ attributes: [ONNXAttribute] = []) {
        nodes.append(ONNXNode(op, name: output + "_node", inputs: inputs, outputs: [output], attributes: attributes))
    }
    var proto: ONNXModelProto {
        var m = ONNXModelProto()
        m.irVersion = 7
        m.opsetImport = [ONNXOperatorSetID(version: opset)]
        m.graph.nodes = nodes
        m.graph.initializers = initializers
        m.graph.inputs = [input] + extraInputs
        m.graph.outputs = (outputs.isEmpty ? [nodes.last!.outputs[0]] : outputs).map { ONNXValueInfo(name: $0, elementType: 1, shape: nil) }
        return m
    }
    /// Through bytes and back: the importer sees what a file would hold.
    func model(_ options: ONNXImportOptions = ONNXImportOptions()) throws -> Model {
        try ONNXImport.model(ONNXFile.decode(ONNXFile.encode(proto), path: "g.onnx"), path: "g.onnx", options: options)
    }
    /// A 4-3-2 network: Gemm -> Relu -> Gemm, then `tail`.
    static func mlp(tail: String? = "Softmax") -> GraphBuilder {
        var g = GraphBuilder()
        g.const("W1", [4, 3], (0..<12).map { Float($0) / 8 - 0.5 })
        g.const("b1", [3], [0.1, 0.2, 0.3])
        g.const("W2", [3, 2], [1, -1, 0.5, 0.25, -2, 3])
        g.const("b2", [2], [0.5, -0.5])
        g.node("Gemm", ["x", "W1", "b1"], "h")
        g.node("Relu", ["h"], "a")
        g.node("Gemm", ["a", "W2", "b2"], "z")
        if let tail { g.node(tail, ["z"], "p") }
        return g
    }
}

func expectFormatError(_ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("no error (expected \(fragments))", sourceLocation: sourceLocation)
    } catch let e as FormatError {
        for f in fragments { #expect(e.description.contains(f), "\(e.description)", sourceLocation: sourceLocation) }
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

struct ONNXTests {
    func sampleModel(_ arch: Architecture, seed: UInt64 = 3) -> Model {
        var rng = SeededGenerator(seed: seed)
        let net = Network<Float>(architecture: arch, initializer: .xavier, rng: &rng)
        // batch-norm statistics and biases that are not 0 and 1, so every tensor's bits are checked
        for p in net.allTensors { for i in 0..<p.value.count { p.value.storage[i] += Float(rng.nextNormal()) * 0.1 } }
        for p in net.allTensors where p.name.hasPrefix("var") { for i in 0..<p.value.count { p.value.storage[i] = abs(p.value.storage[i]) + 0.5 } }
        var m = Model(network: net, scaling: InputScaling(scale: 1.0 / 255, offset: -0.25), positiveClass: nil,
                     imageRecipe: ImageRecipe(name: "mnist-com-v1", parameters: ["box": 20, "canvas": 28, "cropThreshold": 0.2]),
                     classNames: ["zero", "un \"deux\"", "ß\n\\three"].prefix(arch.outputSize).map { $0 },
                     metadata: [MetadataEntry("tool", "test"), MetadataEntry("seed", "3")])
        m.inputShape = [2, 3]
        return m
    }

    /// .nnm -> .onnx -> .nnm gives the model back, every weight bit included (dropout aside: it is not exported).
    @Test(arguments: [
        Architecture.mlp(sizes: [6, 5, 3], activation: .relu, output: .softmaxCrossEntropy, batchNorm: [0]),
        Architecture.mlp(sizes: [6, 5, 4, 2], activation: .tanh, output: .sigmoidBinaryCrossEntropy, batchNorm: [1]),
        Architecture.mlp(sizes: [6, 4, 3], activation: .sigmoid, output: .identityMeanSquaredError),
        Architecture.mlp(sizes: [6, 1], activation: .relu, output: .sigmoidBinaryCrossEntropy),
    ])
    func roundTripIsExact(_ arch: Architecture) throws {
        var m = sampleModel(arch)
        if arch.outputSize == 1 { m.positiveClass = 7 }
        let bytes = try ONNXExport.encode(m, producerVersion: "9.9")
        #expect(try ONNXExport.encode(m, producerVersion: "9.9") == bytes)   // deterministic
        let back = try ONNXImport.model(ONNXFile.decode(bytes, path: "m.onnx"), path: "m.onnx")
        #expect(back == m)
        #expect(zip(back.parameters, m.parameters).allSatisfy { $0.storage.map(\.bitPattern) == $1.storage.map(\.bitPattern) })
        #expect(ModelFileWriter.encode(back) == ModelFileWriter.encode(m))
    }

    @Test func dropoutIsDroppedOnExport() throws {
        let m = sampleModel(.mlp(sizes: [6, 5, 4, 3], activation: .relu, output: .softmaxCrossEntropy, dropout: [0: 0.3, 1: 0.5]))
        let back = try ONNXImport.model(ONNXFile.decode(ONNXExport.encode(m, producerVersion: "1"), path: "m"), path: "m")
        var expected = Architecture.mlp(sizes: [6, 5, 4, 3], activation: .relu, output: .softmaxCrossEntropy)
        expected.inputShape = [2, 3]
        #expect(back.architecture == expected)
        #expect(back.parameters == m.parameters)
    }

    @Test func exportedGraphIsTheDocumentedOne() throws {
        let m = sampleModel(.mlp(sizes: [6, 5, 3], activation: .relu, output: .softmaxCrossEntropy, batchNorm: [0]))
        let p = try ONNXExport.proto(m, producerVersion: "0.1.0")
        #expect(p.irVersion == 7 && p.opsetImport == [ONNXOperatorSetID(version: 13)])
        #expect(p.graph.nodes.map(\.opType) == ["Mul", "Add", "Gemm", "BatchNormalization", "Relu", "Gemm", "Softmax"])
        #expect(p.graph.inputs == [ONNXValueInfo(name: "pixels", elementType: 1, shape: [.param("N"), .value(6)])])
        #expect(p.graph.outputs.map(\.name) == ["probabilities", "scores"])
        #expect(p.graph.nodes.last!.inputs == ["scores"] && p.graph.nodes.last!.outputs == ["probabilities"])
        let w1 = p.graph.initializers.first { $0.name == "W1" }!
        #expect(w1.dims == [6, 5] && w1.data == .float(m.parameters[0].storage))   // [inputs, outputs], no transB
        #expect(p.graph.initializers.first { $0.name == "input_scale" }!.data == .float([Float(1.0 / 255)]))
        #expect(p.graph.nodes[3].attribute("epsilon")?.f == 1e-7)
        #expect(p.metadataValue("nn-toolkit.class-names") == #"["zero","un \"deux\"","ß\n\\three"]"#)
        #expect(p.metadataValue("nn-toolkit.input-scaling") == "0.00392156862745098 -0.25")
        #expect(p.metadataValue("nn-toolkit.meta.seed") == "3")
        let regression = try ONNXExport.proto(sampleModel(.mlp(sizes: [6, 2], activation: .relu, output: .identityMeanSquaredError)), producerVersion: "1")
        #expect(regression.graph.outputs.map(\.name) == ["values"])
    }

    @Test func jsonStringArraysRoundTrip() {
        let names = ["a", "", "quote \" backslash \\ tab \t", "\u{1}", "ü 🙂"]
        #expect(parseJSONStringArray(jsonStringArray(names)) == names)
        #expect(parseJSONStringArray(#" [ "x" , "\u00e9\ud83d\ude42" ] "#) == ["x", "é🙂"])
        for bad in ["", "[", "[\"a\"", "[\"a\",]", "[1]", "{}", "[\"a\"] x", "[\"\\q\"]"] { #expect(parseJSONStringArray(bad) == nil, "\(bad)") }
    }

    // MARK: import rules

    @Test func gemmFoldsTransposeAlphaAndBeta() throws {
        var g = GraphBuilder()
        g.const("B", [3, 4], (0..<12).map(Float.init))   // [outputs, inputs]
        g.const("C", [1, 3], [1, 2, 3])
        g.node("Gemm", ["x", "B", "C"], "z", [.int("transB", 1), .float("alpha", 0.5), .float("beta", 2)])
        g.node("Softmax", ["z"], "p")
        let m = try g.model()
        #expect(m.architecture == Architecture(inputShape: [4], layers: [AffineSpec(inputs: 4, outputs: 3)], output: .softmaxCrossEntropy))
        #expect(m.parameters[0] == Matrix([[0, 2, 4], [0.5, 2.5, 4.5], [1, 3, 5], [1.5, 3.5, 5.5]]))
        #expect(m.parameters[1] == Matrix([[2, 4, 6]]))
        #expect(m.scaling == InputScaling(scale: 1, offset: 0) && m.inputShape == [4])
    }

    @Test func matMulAndAddMakeOneAffineLayer() throws {
        var g = GraphBuilder()
        g.const("W", [4, 2], [1, 2, 3, 4, 5, 6, 7, 8])
        g.const("b", [2], [0.5, -0.5])
        g.const("W2", [2, 2], [1, 0, 0, 1])
        g.node("MatMul", ["x", "W"], "m")
        g.node("Add", ["b", "m"], "z")   // the constant first
        g.node("Tanh", ["z"], "t")
        g.node("MatMul", ["t", "W2"], "y")   // no bias: zeros
        g.node("Identity", ["y"], "p")
        let m = try g.model(ONNXImportOptions(loss: .identityMeanSquaredError))
        #expect(same(m.architecture.layers, [AffineSpec(inputs: 4, outputs: 2), ActivationSpec(.tanh), AffineSpec(inputs: 2, outputs: 2)]))
        #expect(m.parameters[1] == Matrix([[0.5, -0.5]]) && m.parameters[3] == Matrix([[0, 0]]))
    }

    @Test func leadingArithmeticIsTheInputScaling() throws {
        var g = GraphBuilder.mlp()
        g.nodes[0].inputs[0] = "s3"
        g.const("k", [], [1.0 / 255])
        g.const("mean", [1], [0.5])
        g.const("std", [1, 1], [0.25])
        g.nodes.insert(contentsOf: [ONNXNode("Mul", name: "a", inputs: ["k", "x"], outputs: ["s1"]),
                                    ONNXNode("Sub", name: "b", inputs: ["s1", "mean"], outputs: ["s2"]),
                                    ONNXNode("Div", name: "c", inputs: ["s2", "std"], outputs: ["s3"])], at: 0)
        let m = try g.model()
        #expect(m.scaling == InputScaling(scale: Double(Float(1.0 / 255)) / 0.25, offset: -2))
        expectFormatError(["g.onnx", "scales its input already", "node 'a' (Mul)", "--input-scale"]) {
            _ = try g.model(ONNXImportOptions(inputScaling: InputScaling()))
        }
        // without scaling nodes, the option sets it
        #expect(try GraphBuilder.mlp().model(ONNXImportOptions(inputScaling: InputScaling(scale: 0.5))).scaling == InputScaling(scale: 0.5))
    }

    @Test func batchNormEpsilonIsFoldedIntoTheVariance() throws {
        var g = GraphBuilder.mlp()
        g.const("g", [3], [1, 2, 3]); g.const("be", [3], [0, 1, 0]); g.const("mu", [3], [0.5, 0, -1]); g.const("v", [3], [1, 0, 4])
        g.nodes[1].inputs[0] = "n"
        g.nodes.insert(ONNXNode("BatchNormalization", name: "bn", inputs: ["h", "g", "be", "mu", "v"], outputs: ["n"],
                                attributes: [.float("epsilon", 1e-5)]), at: 1)
        let m = try g.model()
        #expect(same(m.architecture.layers, [AffineSpec(inputs: 4, outputs: 3), BatchNormSpec(features: 3), ActivationSpec(.relu), AffineSpec(inputs: 3, outputs: 2)]))
        let v = m.parameters[5].storage, e = Double(Float(1e-5))   // the attribute is a float
        #expect(v == [Float(1 + e - 1e-7), Float(e - 1e-7), Float(4 + e - 1e-7)])
        g.nodes[1].attributes = [.int("training_mode", 1)]
        expectFormatError(["node 'bn' (BatchNormalization)", "training_mode"]) { _ = try g.model() }
    }

    @Test func outputKindComesFromTheLastNodeOrTheLossOption() throws {
        #expect(try GraphBuilder.mlp(tail: "Softmax").model().architecture.output == .softmaxCrossEntropy)
        #expect(try GraphBuilder.mlp(tail: "LogSoftmax").model().architecture.output == .softmaxCrossEntropy)
        let sigmoid = try GraphBuilder.mlp(tail: "Sigmoid").model()
        #expect(sigmoid.architecture.output == .sigmoidBinaryCrossEntropy && sigmoid.architecture.layers.count == 3)
        let kept = try GraphBuilder.mlp(tail: "Sigmoid").model(ONNXImportOptions(loss: .identityMeanSquaredError))
        #expect((kept.architecture.layers.last as? ActivationSpec)?.function == .sigmoid && kept.architecture.output == .identityMeanSquaredError)
        #expect(try GraphBuilder.mlp(tail: nil).model(ONNXImportOptions(loss: .softmaxCrossEntropy)).architecture.output == .softmaxCrossEntropy)
        expectFormatError(["ends without Softmax or Sigmoid", "--loss"]) { _ = try GraphBuilder.mlp(tail: nil).model() }
        expectFormatError(["node 'p_node' (Softmax)", "softmax-ce, not the mse --loss asks for"]) {
            _ = try GraphBuilder.mlp(tail: "Softmax").model(ONNXImportOptions(loss: .identityMeanSquaredError))
        }
    }

    @Test func flattenAndReshapeGiveTheInputShape() throws {
        var g = GraphBuilder.mlp()
        g.input.shape = [.param("N"), .value(1), .value(2), .value(2)]
        g.nodes[0].inputs[0] = "f"
        g.nodes.insert(ONNXNode("Flatten", name: "flat", inputs: ["x"], outputs: ["f"]), at: 0)
        #expect(try g.model().inputShape == [2, 2])
        #expect(try g.model(ONNXImportOptions(inputShape: [4])).inputShape == [4])
        expectFormatError(["--input-shape 3x2 has 6 values", "takes 4"]) { _ = try g.model(ONNXImportOptions(inputShape: [3, 2])) }
        g.nodes[0] = ONNXNode("Reshape", name: "flat", inputs: ["x", "shape"], outputs: ["f"])
        g.initializers.append(ONNXTensor(name: "shape", dims: [2], data: .int64([-1, 4])))
        #expect(try g.model().inputShape == [2, 2])
        g.initializers[g.initializers.count - 1].data = .int64([2, -1])
        expectFormatError(["node 'flat' (Reshape)", "reshape to [-1 or 0, features]"]) { _ = try g.model() }
        // without Flatten, 4-D data cannot reach a dense layer
        var raw = GraphBuilder.mlp()
        raw.input.shape = [.param("N"), .value(1), .value(2), .value(2)]
        expectFormatError(["node 'h_node' (Gemm)", "4-D data", "flatten it first"]) { _ = try raw.model() }
        // a flat 784 is MNIST's 28x28
        #expect(ONNXImport.defaultShape([784]) == [28, 28] && ONNXImport.defaultShape([1, 28, 28]) == [28, 28])
    }

    /// Everything outside the subset: one error naming the node, its op type and why.
    @Test func unsupportedGraphsAreRefusedNamingTheNode() throws {
        func refused(_ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation, _ edit: (inout GraphBuilder) -> Void) {
            var g = GraphBuilder.mlp()
            edit(&g)
            expectFormatError(["g.onnx"] + fragments, sourceLocation: sourceLocation) { _ = try g.model() }
        }
        refused(["node 'a_node' (LeakyRelu): operator not supported", "Gemm"]) { $0.nodes[1].opType = "LeakyRelu" }
        refused(["node 'h_node' (Gemm)", "transA"]) { $0.nodes[0].attributes = [.int("transA", 1)] }
        refused(["node 'h_node' (Gemm)", "input 'W9' is computed in the graph"]) { $0.nodes[0].inputs[1] = "W9" }
        refused(["node 'p_node' (Softmax)", "axis 0"]) { $0.nodes[3].attributes = [.int("axis", 0)] }
        refused(["the graph branches", "value 'a' feeds"]) { $0.node("Relu", ["a"], "extra") }
        refused(["node 'h_node' (Gemm)", "custom domain 'com.example'"]) { $0.nodes[0].domain = "com.example" }
        refused(["opset 6 is older"]) { $0.opset = 6 }
        refused(["2 data inputs ('x', 'y')"]) { $0.extraInputs = [ONNXValueInfo(name: "y", elementType: 1, shape: nil)] }
        refused(["node 'w_node' (Relu)", "is not on the path"]) { $0.node("Relu", ["W1"], "w"); $0.outputs = ["p"] }
        refused(["node 'e_node' (Add)", "not the bias of a MatMul"]) { g in
            g.const("e", [2], [1, 1])
            g.nodes[3].inputs = ["e2"]
            g.nodes.insert(ONNXNode("Add", name: "e_node", inputs: ["z", "e"], outputs: ["e2"]), at: 3)
        }
        refused(["node 'm_node' (Mul)", "only a leading Mul"]) { g in
            g.const("two", [], [2])
            g.nodes[1].inputs = ["m"]
            g.nodes.insert(ONNXNode("Mul", name: "m_node", inputs: ["h", "two"], outputs: ["m"]), at: 1)
        }
        refused(["tensor 'W1' holds integers"]) { $0.initializers[0].data = .int64((0..<12).map { Int64($0) }) }
        refused(["tensor 'b1' has a non-finite value (nan) at index 1"]) { $0.initializers[1].data = .float([0, .nan, 0]) }
        refused(["tensor 'b1' has shape [2]", "3 values"]) { $0.initializers[1] = ONNXTensor(name: "b1", dims: [2], data: .float([1, 2])) }
        refused(["node 'z_node' (Gemm): takes 4 inputs but the value before it has 3 features"]) {
            $0.initializers[2] = ONNXTensor(name: "W2", dims: [4, 2], data: .float([Float](repeating: 0, count: 8)))
        }
        refused(["graph input 'x' is INT64"]) { $0.input.elementType = ONNXFormat.int64 }
        refused(["not on the path from input 'x'"]) { $0.outputs = ["p", "b1"] }
    }

    /// TensorProto checks, through encoded bytes: each error names the tensor.
    @Test func badTensorsAreRefusedNamingTheTensor() throws {
        func refused(_ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation, _ tensor: (inout ProtoWriter) -> Void) {
            var t = ProtoWriter()
            tensor(&t)
            var g = ProtoWriter()
            g.message(5, t)
            var m = ProtoWriter()
            m.int64(1, 7)
            m.message(7, g)
            expectFormatError(["t.onnx"] + fragments, sourceLocation: sourceLocation) { _ = try ONNXFile.decode(m.bytes, path: "t.onnx") }
        }
        refused(["tensor 'w' has data type FLOAT16 (10)"]) { $0.int64(1, 2); $0.int64(2, 10); $0.string(8, "w"); $0.data(9, [0, 0, 0, 0]) }
        refused(["tensor 'w' declares dims 1099511627776x1099511627776", "more than"]) {
            $0.int64(1, 1 << 40); $0.int64(1, 1 << 40); $0.int64(2, 1); $0.string(8, "w")
        }
        refused(["tensor 'w' has a negative dimension -3"]) { $0.int64(1, -3); $0.int64(2, 1); $0.string(8, "w") }
        refused(["tensor 'w' declares dims 2x3 (6 elements, 24 bytes of FLOAT) but its raw_data holds 20 bytes"]) {
            $0.int64(1, 2); $0.int64(1, 3); $0.int64(2, 1); $0.string(8, "w"); $0.data(9, [UInt8](repeating: 0, count: 20))
        }
        refused(["tensor 'w' declares dims 2 (2 elements) but holds 3 values"]) { $0.int64(1, 2); $0.int64(2, 1); $0.string(8, "w"); $0.packedFloats(4, [1, 2, 3]) }
        refused(["tensor 'w' holds both raw_data and typed data"]) { $0.int64(1, 1); $0.int64(2, 1); $0.string(8, "w"); $0.packedFloats(4, [1]); $0.data(9, [0, 0, 0, 0]) }
        refused(["tensor 'w' is a segment"]) { $0.int64(1, 1); $0.int64(2, 1); $0.string(8, "w"); $0.data(3, [0x08, 0x00]); $0.packedFloats(4, [1]) }
        refused(["tensor 'w' keeps its data in an external file ('w.bin')"]) {
            var e = ProtoWriter(); e.string(1, "location"); e.string(2, "w.bin")
            $0.int64(1, 1); $0.int64(2, 1); $0.string(8, "w"); $0.message(13, e)
        }
        refused(["tensor 'w' keeps its data in an external file"]) { $0.int64(1, 1); $0.int64(2, 1); $0.string(8, "w"); $0.int64(14, 1) }
    }

    /// Typed data fields, packed or not, and DOUBLE / INT64 tensors decode to their values.
    @Test func typedTensorDataDecodes() throws {
        var t = ProtoWriter()
        t.int64(1, 3); t.int64(2, 11); t.string(8, "d")
        t.tag(10, .fixed64); t.fixed64((1.5).bitPattern)
        t.tag(10, .lengthDelimited); t.varint(16); t.fixed64((-2.0).bitPattern); t.fixed64(Double.pi.bitPattern)
        var r = ProtoReader(t.bytes)
        #expect(try ONNXTensor(&r) == ONNXTensor(name: "d", dims: [3], data: .double([1.5, -2, .pi])))
        var i = ProtoWriter()
        i.int64(1, 2); i.int64(2, 7); i.string(8, "shape"); i.int64(7, -1); i.int64(7, 784)
        var ri = ProtoReader(i.bytes)
        #expect(try ONNXTensor(&ri) == ONNXTensor(name: "shape", dims: [2], data: .int64([-1, 784])))
    }

    /// Fields the subset does not know, of every wire type, are skipped.
    @Test func unknownFieldsAreSkipped() throws {
        let m = sampleModel(.mlp(sizes: [6, 3], activation: .relu, output: .softmaxCrossEntropy))
        let bytes = try ONNXExport.encode(m, producerVersion: "1")
        var junk = ProtoWriter()
        junk.int64(99, 5); junk.float(98, 1); junk.tag(97, .fixed64); junk.fixed64(7); junk.string(96, "x")
        let decoded = try ONNXFile.decode(junk.bytes + bytes + junk.bytes, path: "m")
        #expect(decoded == (try ONNXFile.decode(bytes, path: "m")))
    }

    @Test func notONNXIsRefused() throws {
        expectFormatError(["empty file, not an ONNX model"]) { _ = try ONNXFile.decode([], path: "e.onnx") }
        expectFormatError(["not a valid ONNX file"]) { _ = try ONNXFile.decode(Array("this is a README, not a model\n".utf8), path: "t.onnx") }
        expectFormatError(["no graph"]) { _ = try ONNXFile.decode([0x08, 0x07], path: "t.onnx") }
        let bytes = try ONNXExport.encode(sampleModel(.mlp(sizes: [6, 3], activation: .relu, output: .softmaxCrossEntropy)), producerVersion: "1")
        for cut in [1, 5, bytes.count / 3, bytes.count - 1] {
            expectFormatError(["truncated or corrupt protobuf"]) { _ = try ONNXFile.decode(Array(bytes.prefix(cut)), path: "t.onnx") }
        }
    }

    // MARK: files made by other tools (Tests/Fixtures/make.py)

    func expected() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixtures + "/expected.json"))) as! [String: Any]
    }

    /// onnx.helper's graph (Div, Gemm with transB/alpha/beta, MatMul + Add, Softmax) gives onnxruntime's outputs.
    @Test func helperModelMatchesOnnxRuntime() throws {
        let m = try ONNXImport.read(fixtures + "/helper-mlp.onnx")
        #expect(m.architecture.summary == "4-3-2 relu softmax-ce" && m.scaling == InputScaling(scale: 0.5, offset: 0))
        try expectOutputs(m, "helper-mlp", probabilities: true)
    }

    /// torch.onnx.export's graph (Flatten, Gemm with transB, BatchNormalization with epsilon 1e-5) gives its logits.
    @Test func torchModelMatchesOnnxRuntime() throws {
        let m = try ONNXImport.read(fixtures + "/torch-mlp.onnx", options: ONNXImportOptions(loss: .softmaxCrossEntropy))
        #expect(m.architecture.summary == "4-3-2 relu softmax-ce, batch-norm x1" && m.inputShape == [2, 2])
        #expect(m.metadataValue("source-format")?.hasPrefix("onnx (IR 7, opset 13, from pytorch") == true)
        try expectOutputs(m, "torch-mlp", probabilities: false)
    }

    func expectOutputs(_ m: Model, _ key: String, probabilities: Bool, inputs inputsKey: String = "inputs") throws {
        let e = try expected()
        let inputs = (e[inputsKey] as! [[Double]]).map { $0.map { Float($0 * m.scaling.scale + m.scaling.offset) } }
        let reference = (e[key] as! [[Double]])
        let net = m.network(Float.self)
        let x = Matrix(inputs)
        let y = probabilities ? net.predict(x) : net.scores(x)
        for r in 0..<reference.count {
            for c in 0..<reference[r].count { #expect(abs(Double(y[r, c]) - reference[r][c]) < 2e-6, "\(key) [\(r), \(c)]: \(y[r, c]) vs \(reference[r][c])") }
        }
    }
}

/// Equal layer lists (kinds and fields).
func same(_ a: [any LayerSpec], _ b: [any LayerSpec]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.isSame(as: $1) }
}
