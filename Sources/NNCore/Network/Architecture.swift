// Architecture.swift: what a network is made of, independent of its weights and float type: the shape of
// one input sample, the layers in order (each a LayerSpec from LayerKinds) and the output layer with its
// loss. The model file stores this; `Network(architecture:)` builds the running layers from it.

/// The output layer together with its loss: the three kinds of task the toolkit trains.
public enum OutputKind: String, CaseIterable, Sendable, Codable {
    /// Softmax over classes with cross-entropy (classification, label index or one-hot targets).
    case softmaxCrossEntropy = "softmax-ce"
    /// Independent sigmoids with binary cross-entropy (binary or multi-label classification).
    case sigmoidBinaryCrossEntropy = "sigmoid-bce"
    /// Identity output with E = 1/2 sum (y - t)^2 (regression).
    case identityMeanSquaredError = "mse"
}

/// Weight initialisers (the book's chapter 6).
public enum WeightInit: String, CaseIterable, Sendable, Codable {
    /// Normal with standard deviation 0.01.
    case std001 = "std-0.01"
    /// Normal with standard deviation sqrt(1 / fan-in): for sigmoid and tanh.
    case xavier
    /// Normal with standard deviation sqrt(2 / fan-in): for ReLU. A convolution's fan-in is its input
    /// channels times its kernel area.
    case he

    /// He for ReLU, Xavier for sigmoid and tanh.
    public static func `default`(for activation: Activation) -> WeightInit {
        activation == .relu ? .he : .xavier
    }

    public func standardDeviation(fanIn: Int) -> Double {
        switch self {
        case .std001: return 0.01
        case .xavier: return (1.0 / Double(fanIn)).squareRoot()
        case .he: return (2.0 / Double(fanIn)).squareRoot()
        }
    }
}

/// A whole network: the input shape, the hidden layers in order, then the output layer with its loss.
public struct Architecture: Equatable, Sendable {
    /// The shape of one input sample: [features], [height, width] (read row by row by a dense layer) or
    /// [channels, height, width].
    public var inputShape: [Int]
    public var layers: [any LayerSpec]
    public var output: OutputKind

    public init(inputShape: [Int], layers: [any LayerSpec], output: OutputKind) {
        self.inputShape = inputShape
        self.layers = layers
        self.output = output
    }

    /// A multi-layer perceptron from sizes like [784, 100, 10]: Affine, [BatchNorm], activation,
    /// [Dropout], ..., Affine. `batchNorm` and `dropout` are per hidden layer (index 0 = first hidden).
    public static func mlp(sizes: [Int], activation: Activation, output: OutputKind,
                           batchNorm: Set<Int> = [], dropout: [Int: Double] = [:]) -> Architecture {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 })
        var layers: [any LayerSpec] = []
        for i in 0..<(sizes.count - 1) {
            layers.append(AffineSpec(inputs: sizes[i], outputs: sizes[i + 1]))
            if i < sizes.count - 2 {
                if batchNorm.contains(i) { layers.append(BatchNormSpec(features: sizes[i + 1])) }
                layers.append(ActivationSpec(activation))
                if let r = dropout[i], r > 0 { layers.append(DropoutSpec(ratio: r)) }
            }
        }
        return Architecture(inputShape: [sizes[0]], layers: layers, output: output)
    }

    public static func == (a: Architecture, b: Architecture) -> Bool {
        a.inputShape == b.inputShape && a.output == b.output && a.layers.count == b.layers.count
            && zip(a.layers, b.layers).allSatisfy { $0.isSame(as: $1) }
    }

    /// One stored tensor of the network, with its full name ("W1", "gamma2", ...).
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var spec: TensorSpec
        /// The layer it belongs to.
        public var layer: Int
    }

    /// Each layer's input shape, then the output shape, when the layers fit together; else the first
    /// problem, naming the layer.
    public func shapes() throws(LayerSpecError) -> [[Int]] {
        guard !inputShape.isEmpty, let n = CheckedSize.productOrNil(inputShape), n > 0, n <= SizeLimits.maxSampleValues else {
            throw LayerSpecError("the input shape \(CheckedSize.shape(inputShape)) is empty or too large")
        }
        var shapes = [inputShape]
        for (i, layer) in layers.enumerated() {
            let next: [Int]
            do { next = try layer.outputShape(for: shapes[i]) } catch {
                throw LayerSpecError("layer \(i + 1) (\(layer)) \(error.message)")
            }
            guard let n = CheckedSize.productOrNil(next), n > 0, n <= SizeLimits.maxSampleValues else {
                throw LayerSpecError("layer \(i + 1) (\(layer)) gives an empty or too large output \(CheckedSize.shape(next))")
            }
            shapes.append(next)
        }
        return shapes
    }

    /// Every stored tensor in file order, named: for each layer its parameters then its buffers.
    /// (Call on a validated architecture.)
    public var tensors: [Tensor] {
        guard let shapes = try? shapes() else { return [] }
        var out: [Tensor] = []
        var index = 0
        for (i, layer) in layers.enumerated() {
            if layer.startsNewIndex { index += 1 }
            for t in layer.tensors(for: shapes[i]) { out.append(Tensor(name: "\(t.stem)\(index)", spec: t, layer: i)) }
        }
        return out
    }

    /// Values per input sample.
    public var inputSize: Int { CheckedSize.productOrNil(inputShape) ?? 0 }

    /// Values per output sample (classes, or regression targets).
    public var outputSize: Int { (try? shapes().last).flatMap { CheckedSize.productOrNil($0) } ?? 0 }

    /// Stored values of all tensors, nil when the count overflows.
    public var parameterCount: Int? {
        var total = 0
        for t in tensors {
            guard let n = CheckedSize.productOrNil([t.spec.rows, t.spec.cols]) else { return nil }
            let (s, overflow) = total.addingReportingOverflow(n)
            if overflow { return nil }
            total = s
        }
        return total
    }

    /// The layer tokens of the --layers grammar: "784-100-10", "1x28x28-conv32k5-maxpool2-128-10".
    public var layersText: String {
        let first = layers.first is AffineSpec ? String(inputSize) : CheckedSize.shape(inputShape)
        return ([first] + layers.compactMap(\.token)).joined(separator: "-")
    }

    /// "784-100-10 relu softmax-ce, batch-norm x2, dropout 0.3,0.3"
    public var summary: String {
        let acts = layers.compactMap { ($0 as? ActivationSpec)?.function.rawValue }
        let actText = Set(acts).count == 1 ? acts[0] : acts.joined(separator: ",")
        var extras: [String] = []
        let bn = layers.filter { $0 is BatchNormSpec }.count
        if bn > 0 { extras.append("batch-norm x\(bn)") }
        let drops = layers.compactMap { ($0 as? DropoutSpec).map { "\($0.ratio)" } }
        if !drops.isEmpty { extras.append("dropout " + drops.joined(separator: ",")) }
        return layersText + (actText.isEmpty ? "" : " " + actText) + " " + output.rawValue + extras.map { ", " + $0 }.joined()
    }

    /// Checks that the layers fit together, the sizes are within the ceilings (SizeLimits: all stored values
    /// together at most maxTensorElements, each layer's sample at most maxSampleValues; sizes come from
    /// files and flags, so an absurd one stops here before anything is allocated) and the output suits the
    /// loss. Returns a problem or nil.
    public func validate() -> String? {
        do { _ = try shapes() } catch { return error.message }
        if !layers.contains(where: { $0.startsNewIndex }) { return "the network has no affine or convolution layer" }
        guard let count = parameterCount, count <= SizeLimits.maxTensorElements else {
            return "the network would have more than \(SizeLimits.maxTensorElements) parameters (the ceiling)"
        }
        if let last = try? shapes().last, last.count != 1 { return "the output has shape \(CheckedSize.shape(last)); end with a dense layer" }
        if output == .softmaxCrossEntropy && outputSize < 2 { return "softmax needs at least 2 outputs" }
        return nil
    }
}
