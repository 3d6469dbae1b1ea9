// NetworkOptions.swift: the network options nn-train and nn-gradcheck share.
import ArgumentParser
import NNCore

/// The network options nn-train and nn-gradcheck share: --layers, --activation, --loss, --init, ...
public struct NetworkOptions: ParsableArguments {
    public init() {}
    @Option(help: "Layer sizes from input to output, e.g. 784-100-10 (any depth).")
    public var layers: String?
    @Option(help: "Hidden activation: relu, sigmoid, tanh.") public var activation: Activation = .relu
    @Option(help: "Output layer and loss: softmax-ce (classes), sigmoid-bce (binary / multi-label), mse (regression).")
    public var loss: OutputKind = .softmaxCrossEntropy
    @Option(help: "Binary tasks (sigmoid-bce with 1 output): the label that counts as 1; others are 0.")
    public var positiveClass: Int?
    @Option(name: .customLong("init"), help: "Weight initialisation: std-0.01, xavier, he (default: he for relu, xavier otherwise).")
    public var initializer: WeightInit?
    @Option(help: "Batch normalisation after these hidden layers' affine step: all, or a list like 1,2 (1 = first hidden layer).")
    public var batchNorm: String?
    @Option(help: "Dropout ratio after each hidden layer's activation: one ratio for all (0.2), or one per hidden layer (0.2,0.5).")
    public var dropout: String?

    /// The architecture these options describe; `defaultLayers` when --layers is not given. With
    /// `inputShape` (the data's sample shape), the first size must match it and the network takes that
    /// shape; with `labels`, a 1-output sigmoid-bce model checks they are 0/1.
    public func architecture(defaultLayers: String, inputShape: [Int]? = nil, labels: [Double] = []) throws -> Architecture {
        let inputSize = inputShape.flatMap { Shape.product($0) }
        let layers = self.layers ?? defaultLayers
        let parts = layers.split(separator: "-", omittingEmptySubsequences: false)
        let sizes = parts.compactMap { Int($0) }
        if sizes.count != parts.count || sizes.count < 2 || sizes.contains(where: { $0 <= 0 }) {
            throw ToolError("--layers '\(layers)' is not a list of positive sizes like 784-100-10")
        }
        if let inputSize, sizes[0] != inputSize {
            throw ToolError("--layers starts with \(sizes[0]) inputs, but the data has \(inputSize) values per sample")
        }
        let hidden = sizes.count - 2
        var bn = Set<Int>()
        if let batchNorm {
            if batchNorm == "all" { bn = Set(0..<hidden) } else if batchNorm != "none" {
                for part in batchNorm.split(separator: ",") {
                    guard let k = Int(part), k >= 1, k <= hidden else {
                        throw ToolError("--batch-norm '\(batchNorm)': give all, none, or hidden layer numbers 1-\(hidden)")
                    }
                    bn.insert(k - 1)
                }
            }
        }
        var drop: [Int: Double] = [:]
        if let dropout {
            let ratios = dropout.split(separator: ",").map { Double($0) }
            guard !ratios.isEmpty, ratios.allSatisfy({ $0 != nil && $0! >= 0 && $0! < 1 }), ratios.count == 1 || ratios.count == hidden else {
                throw ToolError("--dropout '\(dropout)': give one ratio in [0, 1) or one per hidden layer (\(hidden))")
            }
            for i in 0..<hidden { drop[i] = ratios.count == 1 ? ratios[0]! : ratios[i]! }
        }
        var arch = Architecture.mlp(sizes: sizes, activation: activation, output: loss, batchNorm: bn, dropout: drop)
        if let inputShape { arch.inputShape = inputShape }
        if let problem = arch.validate() { throw ToolError("--layers: \(problem)") }
        if loss == .sigmoidBinaryCrossEntropy && sizes.last == 1 && positiveClass == nil,
           labels.contains(where: { $0 != 0 && $0 != 1 }) {
            throw ToolError("a 1-output sigmoid-bce model needs 0/1 labels; these labels go beyond 1: pass --positive-class K")
        }
        return arch
    }
}

