import Testing
@testable import NNCore

/// Every layer kind in LayerKinds, each in a small network: shape inference, fields round trip, gradient
/// check in float64 with every coordinate. A kind added to the table without a row here fails `coverage`.
struct LayerKindTests {
    /// A network exercising each kind (by model-file code), small enough to check every coordinate.
    static let examples: [UInt8: Architecture] = [
        AffineSpec.code: .mlp(sizes: [6, 5, 3], activation: .tanh, output: .softmaxCrossEntropy),
        ActivationSpec.code: .mlp(sizes: [6, 4, 3], activation: .sigmoid, output: .softmaxCrossEntropy),
        BatchNormSpec.code: convNet(batchNorm: true),
        DropoutSpec.code: .mlp(sizes: [6, 5, 3], activation: .relu, output: .softmaxCrossEntropy, dropout: [0: 0.3]),
        Conv2DSpec.code: convNet(),
        MaxPool2DSpec.code: convNet(),
        AvgPool2DSpec.code: Architecture(inputShape: [2, 6, 6], layers: [
            Conv2DSpec(inputChannels: 2, filters: 3, kernel: 3, stride: 1), ActivationSpec(.tanh),
            AvgPool2DSpec(PoolingGeometry(window: 3, stride: 2, padding: 1)), FlattenSpec(), AffineSpec(inputs: 27, outputs: 4),
        ], output: .softmaxCrossEntropy),
        FlattenSpec.code: convNet(),
    ]

    /// 1x8x8 -> conv 3 filters 3x3 -> [bn] -> relu -> maxpool2 -> conv 2 filters 3x3 stride 2 pad 0 ->
    /// relu -> flatten -> 4 outputs
    static func convNet(batchNorm: Bool = false) -> Architecture {
        var layers: [any LayerSpec] = [Conv2DSpec(inputChannels: 1, filters: 3, kernel: 3)]
        if batchNorm { layers.append(BatchNormSpec(features: 3)) }
        layers += [ActivationSpec(.relu), MaxPool2DSpec(PoolingGeometry(window: 2)),
                   Conv2DSpec(inputChannels: 3, filters: 2, kernel: 3, stride: 2, padding: 0), ActivationSpec(.relu),
                   FlattenSpec(), AffineSpec(inputs: 2, outputs: 4)]
        return Architecture(inputShape: [1, 8, 8], layers: layers, output: .softmaxCrossEntropy)
    }

    @Test func coverage() {
        for kind in LayerKinds.all { #expect(Self.examples[kind.code] != nil, "no example network for layer kind \(kind)") }
        #expect(Set(LayerKinds.all.map { $0.code }).count == LayerKinds.all.count, "two kinds share a code")
    }

    @Test func shapesAndFields() throws {
        let net = Self.convNet()
        #expect(net.validate() == nil)
        #expect(try net.shapes() == [[1, 8, 8], [3, 8, 8], [3, 8, 8], [3, 4, 4], [2, 1, 1], [2, 1, 1], [2], [4]])
        #expect(net.tensors.map(\.name) == ["W1", "b1", "W2", "b2", "W3", "b3"])
        #expect(net.tensors[0].spec == TensorSpec("W", rows: 3, cols: 9, role: .weight(fanIn: 9)))
        #expect(net.layersText == "1x8x8-conv3k3-maxpool2-conv2k3s2p0-4")
        for (_, arch) in Self.examples {
            for layer in arch.layers {
                let kind = type(of: layer)
                let back = try kind.init(fields: layer.fields)
                #expect(back.isSame(as: layer), "\(layer) does not survive its fields")
                #expect(layer.fields.count == kind.fieldKinds.count)
            }
        }
        var bad = net
        bad.layers[0] = Conv2DSpec(inputChannels: 2, filters: 3, kernel: 3)
        #expect(bad.validate() == "layer 1 (conv 3 filters 3x3 padding 1x1) takes 2 channels, the layer before gives 1")
        bad = net
        bad.inputShape = [1, 2, 2]
        #expect(bad.validate()?.contains("larger than") == true)
    }

    /// Every coordinate of every tensor, in float64, on a batch of 4 (batch statistics for batch norm).
    @Test(arguments: LayerKinds.all.map { $0.code })
    func gradientCheckPasses(code: UInt8) throws {
        let arch = try #require(Self.examples[code])
        var rng = SeededGenerator(seed: 7)
        let net = Network<Double>(architecture: arch, initializer: .he, rng: &rng)
        net.seedRandomLayers(3)
        var x = Matrix<Double>(rows: 4, cols: arch.inputSize)
        for i in 0..<x.count { x.storage[i] = rng.nextUnit() }
        var config = GradientCheckConfig()
        config.coordinates = nil
        let results = checkGradients(net, x: x, targets: .labels([0, 1, 2, 1].map { $0 % arch.outputSize }), config: config)
        for r in results {
            #expect(r.verdict == .pass, "\(r.name): \(r.verdict) max rel \(r.maxRelativeError)")
            #expect(r.maxRelativeError <= 1e-6, "\(r.name) \(r.maxRelativeError)")
        }
    }

    /// im2col against the definition: each output of a convolution computed by direct summation.
    @Test func convolutionMatchesDirectSum() {
        let spec = Conv2DSpec(inputChannels: 2, filters: 3, kernelHeight: 3, kernelWidth: 2, strideY: 2, strideX: 1, padY: 1, padX: 1)
        let input = [2, 5, 4]
        let out = try! spec.outputShape(for: input)
        #expect(out == [3, 3, 5])
        var rng = SeededGenerator(seed: 1)
        var w = Matrix<Double>(rows: 3, cols: 12), b = Matrix<Double>(rows: 1, cols: 3), x = Matrix<Double>(rows: 2, cols: 40)
        for i in 0..<w.count { w.storage[i] = rng.nextNormal() }
        for i in 0..<b.count { b.storage[i] = rng.nextNormal() }
        for i in 0..<x.count { x.storage[i] = rng.nextNormal() }
        let y = Conv2D(spec: spec, input: input, weight: w, bias: b, index: 1).forward(x, mode: .inference)
        for s in 0..<2 {
            for f in 0..<3 {
                for oy in 0..<3 {
                    for ox in 0..<5 {
                        var sum = b.storage[f]
                        for c in 0..<2 {
                            for ky in 0..<3 {
                                for kx in 0..<2 {
                                    let iy = oy * 2 - 1 + ky, ix = ox - 1 + kx
                                    if iy < 0 || iy >= 5 || ix < 0 || ix >= 4 { continue }
                                    sum += w.storage[f * 12 + (c * 3 + ky) * 2 + kx] * x.storage[s * 40 + (c * 5 + iy) * 4 + ix]
                                }
                            }
                        }
                        #expect(abs(y[s, (f * 3 + oy) * 5 + ox] - sum) < 1e-12)
                    }
                }
            }
        }
    }
}
