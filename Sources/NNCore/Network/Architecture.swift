// Architecture.swift: what a network is made of, independent of its weights and float type.
// The model file stores this; `Network(architecture:)` builds layers from it.

/// Hidden activation functions.
public enum Activation: String, CaseIterable, Sendable, Codable {
    case relu, sigmoid, tanh
}

/// The output layer together with its loss: the three kinds of task the toolkit trains.
public enum OutputKind: String, CaseIterable, Sendable, Codable {
    /// Softmax over classes with cross-entropy (classification, label index or one-hot targets).
    case softmaxCrossEntropy = "softmax-ce"
    /// Independent sigmoids with binary cross-entropy (binary or multi-label classification).
    case sigmoidBinaryCrossEntropy = "sigmoid-bce"
    /// Identity output with E = 1/2 sum (y - t)^2 (regression).
    case identityMeanSquaredError = "mse"
}

/// One layer of the ordered list that makes a network.
public enum LayerSpec: Equatable, Sendable {
    /// y = x W + b, W is [inputs, outputs], b is [outputs].
    case affine(inputs: Int, outputs: Int)
    case activation(Activation)
    /// Batch normalisation over `features` units (gamma, beta, running mean and variance).
    case batchNorm(features: Int)
    /// Inverted dropout with the given drop ratio (identity at inference).
    case dropout(ratio: Double)
}

/// Weight initialisers (the book's chapter 6).
public enum WeightInit: String, CaseIterable, Sendable, Codable {
    /// Normal with standard deviation 0.01.
    case std001 = "std-0.01"
    /// Normal with standard deviation sqrt(1 / fan-in): for sigmoid and tanh.
    case xavier
    /// Normal with standard deviation sqrt(2 / fan-in): for ReLU.
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

/// A whole network: the hidden layers in order, then the output layer with its loss.
public struct Architecture: Equatable, Sendable {
    public var layers: [LayerSpec]
    public var output: OutputKind

    public init(layers: [LayerSpec], output: OutputKind) {
        self.layers = layers
        self.output = output
    }

    /// A multi-layer perceptron from sizes like [784, 100, 10]: Affine, [BatchNorm], activation,
    /// [Dropout], ..., Affine. `batchNorm` and `dropout` are per hidden layer (index 0 = first hidden).
    public static func mlp(sizes: [Int], activation: Activation, output: OutputKind,
                           batchNorm: Set<Int> = [], dropout: [Int: Double] = [:]) -> Architecture {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 })
        var layers: [LayerSpec] = []
        for i in 0..<(sizes.count - 1) {
            layers.append(.affine(inputs: sizes[i], outputs: sizes[i + 1]))
            if i < sizes.count - 2 {
                if batchNorm.contains(i) { layers.append(.batchNorm(features: sizes[i + 1])) }
                layers.append(.activation(activation))
                if let r = dropout[i], r > 0 { layers.append(.dropout(ratio: r)) }
            }
        }
        return Architecture(layers: layers, output: output)
    }

    public var inputSize: Int? {
        for l in layers { if case .affine(let i, _) = l { return i } }
        return nil
    }

    public var outputSize: Int? {
        for l in layers.reversed() { if case .affine(_, let o) = l { return o } }
        return nil
    }

    /// Sizes along the affine layers, e.g. [784, 100, 10].
    public var sizes: [Int] {
        var s: [Int] = []
        for l in layers {
            if case .affine(let i, let o) = l {
                if s.isEmpty { s.append(i) }
                s.append(o)
            }
        }
        return s
    }

    /// "784-100-10 relu softmax-ce"
    public var summary: String {
        let acts = layers.compactMap { l -> String? in
            if case .activation(let a) = l { return a.rawValue } else { return nil }
        }
        let actText = Set(acts).count == 1 ? acts[0] : acts.joined(separator: ",")
        var extras: [String] = []
        let bn = layers.filter { if case .batchNorm = $0 { return true } else { return false } }.count
        if bn > 0 { extras.append("batch-norm x\(bn)") }
        let drops = layers.compactMap { l -> String? in if case .dropout(let r) = l { return "\(r)" } else { return nil } }
        if !drops.isEmpty { extras.append("dropout " + drops.joined(separator: ",")) }
        return sizes.map(String.init).joined(separator: "-") + (actText.isEmpty ? "" : " " + actText) + " " + output.rawValue
            + extras.map { ", " + $0 }.joined()
    }

    /// Checks that consecutive affine layers agree and the network is usable. Returns a problem or nil.
    public func validate() -> String? {
        var width: Int? = nil
        var hasAffine = false
        for (i, l) in layers.enumerated() {
            if case .affine(let inputs, let outputs) = l {
                if inputs <= 0 || outputs <= 0 { return "layer \(i) has size \(inputs)x\(outputs)" }
                if let w = width, w != inputs { return "layer \(i) takes \(inputs) inputs but the layer before gives \(w)" }
                width = outputs
                hasAffine = true
            }
            if case .batchNorm(let n) = l, n != width { return "layer \(i) normalises \(n) features but the layer before gives \(width ?? 0)" }
            if case .dropout(let r) = l, !(r >= 0 && r < 1) { return "layer \(i) has dropout ratio \(r), outside [0, 1)" }
        }
        if !hasAffine { return "the network has no affine layer" }
        if output == .softmaxCrossEntropy, let o = outputSize, o < 2 { return "softmax needs at least 2 outputs" }
        return nil
    }
}
