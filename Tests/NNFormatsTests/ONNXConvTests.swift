// ONNXConvTests.swift: convolutional models through ONNX: the exported graph, the exact round trip, graphs
// written by other tools (onnx.helper shapes here, torch.onnx.export in Tests/Fixtures) and the refusals.
import Foundation
import Testing
@testable import NNCore
@testable import NNFormats
@testable import NNInterchange

/// A small graph on [N, 1, 6, 6]: Conv 2x3x3 pad 1 -> Relu -> MaxPool 2 -> Flatten -> Gemm 18x3 -> Softmax.
func convGraph() -> GraphBuilder {
    var g = GraphBuilder()
    g.input = ONNXValueInfo(name: "x", elementType: ONNXFormat.float, shape: [.param("N"), .value(1), .value(6), .value(6)])
    g.const("cw", [2, 1, 3, 3], (0..<18).map { Float($0) / 9 - 1 })
    g.const("cb", [2], [0.25, -0.5])
    g.const("W", [18, 3], (0..<54).map { Float($0 % 7) / 7 - 0.4 })
    g.const("b", [3], [0.1, 0.2, 0.3])
    g.node("Conv", ["x", "cw", "cb"], "c", [.ints("kernel_shape", [3, 3]), .ints("pads", [1, 1, 1, 1]), .ints("strides", [1, 1])])
    g.node("Relu", ["c"], "r")
    g.node("MaxPool", ["r"], "m", [.ints("kernel_shape", [2, 2]), .ints("strides", [2, 2])])
    g.node("Flatten", ["m"], "f", [.int("axis", 1)])
    g.node("Gemm", ["f", "W", "b"], "z")
    g.node("Softmax", ["z"], "p")
    return g
}

struct ONNXConvTests {
    /// Every kind the spatial part has: conv (odd and even kernels, stride, padding), batch norm per
    /// channel, max and average pooling (with padding), flatten, dense layers.
    static let architectures: [Architecture] = [
        try! LayersPlan(parsing: "1x12x12-conv4k3-maxpool2-conv6k4s2p1-avgpool2-8-3").architecture(
            activation: .relu, output: .softmaxCrossEntropy, batchNorm: [0, 1, 2], dropout: [:]),
        Architecture(inputShape: [2, 7, 9], layers: [
            Conv2DSpec(inputChannels: 2, filters: 3, kernelHeight: 3, kernelWidth: 2, strideY: 2, strideX: 1, padY: 1, padX: 0),
            BatchNormSpec(features: 3), ActivationSpec(.tanh),
            MaxPool2DSpec(PoolingGeometry(windowHeight: 3, windowWidth: 2, strideY: 1, strideX: 2, padY: 1, padX: 1)),
            AvgPool2DSpec(PoolingGeometry(windowHeight: 2, windowWidth: 2, strideY: 1, strideX: 1, padY: 1, padX: 0)),
            FlattenSpec(), AffineSpec(inputs: 3 * 5 * 4, outputs: 2),
        ], output: .sigmoidBinaryCrossEntropy),
    ]

    func sampleModel(_ arch: Architecture) -> Model {
        var rng = SeededGenerator(seed: 11)
        let net = Network<Float>(architecture: arch, initializer: .he, rng: &rng)
        for p in net.allTensors { for i in 0..<p.value.count { p.value.storage[i] += Float(rng.nextNormal()) * 0.1 } }
        for p in net.allTensors where p.name.hasPrefix("var") { for i in 0..<p.value.count { p.value.storage[i] = abs(p.value.storage[i]) + 0.5 } }
        return Model(network: net, scaling: InputScaling(scale: 1.0 / 255, offset: 0), positiveClass: nil, imageRecipe: nil,
                     classNames: [], metadata: [MetadataEntry("seed", "11")])
    }

    /// .nnm -> .onnx -> .nnm: the same model file, byte for byte (every weight bit included).
    @Test(arguments: architectures)
    func roundTripIsExact(_ arch: Architecture) throws {
        #expect(arch.validate() == nil)
        let m = sampleModel(arch)
        let bytes = try ONNXExport.encode(m, producerVersion: "9.9")
        let back = try ONNXImport.model(ONNXFile.decode(bytes, path: "m.onnx"), path: "m.onnx")
        #expect(back == m)
        #expect(zip(back.parameters, m.parameters).allSatisfy { $0.storage.map(\.bitPattern) == $1.storage.map(\.bitPattern) })
        #expect(ModelFileWriter.encode(back) == ModelFileWriter.encode(m))
    }

    @Test func exportedConvGraphIsTheDocumentedOne() throws {
        let m = sampleModel(ONNXConvTests.architectures[0])
        let p = try ONNXExport.proto(m, producerVersion: "0.1.0")
        #expect(p.graph.nodes.map(\.opType) == ["Mul", "Conv", "BatchNormalization", "Relu", "MaxPool", "Conv", "BatchNormalization", "Relu",
                                                "AveragePool", "Flatten", "Gemm", "BatchNormalization", "Relu", "Gemm", "Softmax"])
        #expect(p.graph.inputs == [ONNXValueInfo(name: "pixels", elementType: 1, shape: [.param("N"), .value(1), .value(12), .value(12)])])
        let conv2 = p.graph.nodes[5]
        #expect(conv2.attribute("kernel_shape")?.ints == [4, 4] && conv2.attribute("strides")?.ints == [2, 2])
        #expect(conv2.attribute("pads")?.ints == [1, 1, 1, 1] && conv2.attribute("group")?.i == 1 && conv2.attribute("dilations")?.ints == [1, 1])
        let w2 = p.graph.initializers.first { $0.name == "W2" }!
        #expect(w2.dims == [6, 4, 4, 4] && w2.data == .float(m.parameters[6].storage))   // [F, C, KH, KW], the stored order
        #expect(p.graph.nodes[4].attribute("kernel_shape")?.ints == [2, 2] && p.graph.nodes[4].attribute("ceil_mode")?.i == 0)
        #expect(p.graph.nodes[8].attribute("count_include_pad")?.i == 0 && p.graph.nodes[9].attribute("axis")?.i == 1)
        #expect(p.metadataValue("nn-toolkit.input-shape") == "1x12x12")
    }

    /// A dense layer straight on an image (no flatten layer) gets a Flatten node; it imports as the
    /// flatten layer the --layers grammar puts there.
    @Test func denseLayerOnAnImageIsFlattened() throws {
        var m = sampleModel(.mlp(sizes: [12, 4, 3], activation: .relu, output: .softmaxCrossEntropy))
        m.inputShape = [3, 2, 2]
        let p = try ONNXExport.proto(m, producerVersion: "1")
        #expect(p.graph.nodes.map(\.opType) == ["Mul", "Flatten", "Gemm", "Relu", "Gemm", "Softmax"])
        let back = try ONNXImport.model(p, path: "m")
        #expect(same(back.architecture.layers, [FlattenSpec()] + m.architecture.layers) && back.inputShape == [3, 2, 2])
        #expect(back.parameters == m.parameters)
    }

    /// Graphs as other tools write them: Conv without a bias, auto_pad, Reshape to [-1, n], ceil_mode
    /// that changes nothing, BatchNormalization per channel with its own epsilon.
    @Test func otherToolsConvGraphsImport() throws {
        var g = convGraph()
        var m = try g.model()
        #expect(m.architecture.layersText == "1x6x6-conv2k3-maxpool2-3" && m.inputShape == [1, 6, 6])
        #expect(same(m.architecture.layers, [Conv2DSpec(inputChannels: 1, filters: 2, kernel: 3), ActivationSpec(.relu),
                                             MaxPool2DSpec(PoolingGeometry(window: 2)), FlattenSpec(), AffineSpec(inputs: 18, outputs: 3)]))
        #expect(m.parameters[0] == Matrix(rows: 2, cols: 9, storage: (0..<18).map { Float($0) / 9 - 1 }))

        g.nodes[0].inputs = ["x", "cw"]                                               // no bias: zeros
        g.nodes[0].attributes = [.ints("kernel_shape", [3, 3]), ONNXAttribute.string("auto_pad", "SAME_UPPER")]
        g.nodes[2].attributes += [.int("ceil_mode", 1)]                               // 6 / 2: no partial window
        g.initializers.append(ONNXTensor(name: "shape", dims: [2], data: .int64([-1, 18])))
        g.nodes[3] = ONNXNode("Reshape", name: "flat", inputs: ["m", "shape"], outputs: ["f"])
        g.const("gamma", [2], [1, 2]); g.const("beta", [2], [0, 1]); g.const("mu", [2], [0.5, -0.5]); g.const("var", [2], [1, 4])
        g.nodes.insert(ONNXNode("BatchNormalization", name: "bn", inputs: ["c", "gamma", "beta", "mu", "var"], outputs: ["c2"],
                                attributes: [.float("epsilon", 1e-5)]), at: 1)
        g.nodes[2].inputs = ["c2"]
        m = try g.model()
        #expect(m.architecture.layersText == "1x6x6-conv2k3-maxpool2-3" && m.architecture.layers[1] is BatchNormSpec)
        #expect(m.parameters[1] == Matrix(rows: 1, cols: 2))
        #expect(m.parameters[5].storage == [Float(1 + 1e-5 - 1e-7), Float(4 + 1e-5 - 1e-7)])
    }

    /// What nn-model's layers cannot do: one error naming the node, its op type and why.
    @Test func unsupportedConvGraphsAreRefused() throws {
        func refused(_ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation, _ edit: (inout GraphBuilder) -> Void) {
            var g = convGraph()
            edit(&g)
            expectFormatError(["g.onnx"] + fragments, sourceLocation: sourceLocation) { _ = try g.model() }
        }
        let conv = "node 'c_node' (Conv)", pool = "node 'm_node' (MaxPool)"
        refused([conv, "group = 2"]) { $0.nodes[0].attributes.append(.int("group", 2)) }
        refused([conv, "dilations [2, 2]"]) { $0.nodes[0].attributes.append(.ints("dilations", [2, 2])) }
        refused([conv, "pads [1, 1, 0, 0] are asymmetric"]) { $0.nodes[0].attributes[1] = .ints("pads", [1, 1, 0, 0]) }
        refused([conv, "pads [-1, -1, -1, -1]"]) { $0.nodes[0].attributes[1] = .ints("pads", [-1, -1, -1, -1]) }
        refused([conv, "padding 3 is not smaller than the 3 kernel"]) { $0.nodes[0].attributes[1] = .ints("pads", [3, 3, 3, 3]) }
        refused([conv, "strides [0, 0]"]) { $0.nodes[0].attributes[2] = .ints("strides", [0, 0]) }
        refused([conv, "strides [1099511627776, 1]"]) { $0.nodes[0].attributes[2] = .ints("strides", [1 << 40, 1]) }
        refused([conv, "kernel_shape [5, 5] disagrees with weight 'cw' of shape [2, 1, 3, 3]"]) {
            $0.nodes[0].attributes[0] = .ints("kernel_shape", [5, 5])
        }
        refused([conv, "weight 'cw' has shape [2, 9]"]) { $0.initializers[0] = ONNXTensor(name: "cw", dims: [2, 9], data: .float([Float](repeating: 0, count: 18))) }
        refused([conv, "weight 'cw' takes 3 channels, the data has 1"]) {
            $0.initializers[0] = ONNXTensor(name: "cw", dims: [2, 3, 3, 1], data: .float([Float](repeating: 0, count: 18)))
        }
        refused([conv, "auto_pad SAME_UPPER pads one side more"]) { g in
            g.nodes[0].attributes = [.ints("strides", [2, 2]), ONNXAttribute.string("auto_pad", "SAME_UPPER")]
        }
        refused([conv, "needs 4-D data [N, C, H, W]", "[N, 36]"]) { $0.input.shape = [.param("N"), .value(36)] }
        refused([pool, "ceil_mode = 1 adds a partial window"]) { $0.nodes[2].attributes = [.ints("kernel_shape", [4, 4]), .ints("strides", [4, 4]), .int("ceil_mode", 1)] }
        refused([pool, "kernel_shape [] is not a window"]) { $0.nodes[2].attributes = [] }
        refused([pool, "kernel_shape [1099511627776, 2]"]) { $0.nodes[2].attributes[0] = .ints("kernel_shape", [1 << 40, 2]) }
        refused(["node 'm_node' (AveragePool)", "count_include_pad = 1 with padding"]) {
            $0.nodes[2].opType = "AveragePool"
            $0.nodes[2].attributes += [.ints("pads", [1, 1, 1, 1]), .int("count_include_pad", 1)]
        }
        refused(["node 'r_node' (Relu)", "comes before the first convolution or dense layer"]) { g in
            g.nodes[0].inputs[0] = "r"; g.nodes[1].inputs[0] = "x"
            g.nodes[2].inputs[0] = "c"
            g.nodes.swapAt(0, 1)
        }
        refused(["node 'f_node' (Flatten)", "axis 2"]) { $0.nodes[3].attributes = [.int("axis", 2)] }
    }

    /// torch.onnx.export's CNN (Tests/Fixtures/make.py) gives onnxruntime's logits.
    @Test func torchCNNMatchesOnnxRuntime() throws {
        let m = try ONNXImport.read(fixtures + "/torch-cnn.onnx", options: ONNXImportOptions(loss: .softmaxCrossEntropy))
        // batch norm comes folded into the first Conv by the exporter (eval mode)
        #expect(same(m.architecture.layers, [
            Conv2DSpec(inputChannels: 1, filters: 3, kernel: 3), ActivationSpec(.relu), MaxPool2DSpec(PoolingGeometry(window: 2)),
            Conv2DSpec(inputChannels: 3, filters: 4, kernel: 2, stride: 2, padding: 1), ActivationSpec(.relu),
            AvgPool2DSpec(PoolingGeometry(window: 2, stride: 1)), FlattenSpec(), AffineSpec(inputs: 16, outputs: 5), ActivationSpec(.relu),
            AffineSpec(inputs: 5, outputs: 2),
        ]))
        #expect(m.inputShape == [1, 8, 8] && m.scaling == InputScaling(scale: 1, offset: 0))
        try ONNXTests().expectOutputs(m, "torch-cnn", probabilities: false, inputs: "torch-cnn-inputs")
    }
}
