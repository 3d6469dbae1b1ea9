// NetworkOptions.swift: the network options nn-train and nn-gradcheck share.
import ArgumentParser
import NNCore

/// The network options nn-train and nn-gradcheck share: --layers, --activation, --loss, --init, ...
public struct NetworkOptions: ParsableArguments {
    public init() {}
    @Option(help: ArgumentHelp("Layers from input to output: 784-100-10 (dense), or 1x28x28-conv32k5-maxpool2-conv64k3-maxpool2-128-10 (convFkK[sS][pP], maxpoolK, avgpoolK, then dense sizes). Default: 784-300-10 (nn-train), 784-50-10 (nn-gradcheck).", valueName: "spec"))
    public var layers: String?
    @Option(help: "Hidden activation: relu, sigmoid, tanh.") public var activation: Activation = .relu
    @Option(help: "Output layer and loss: softmax-ce (classes), sigmoid-bce (binary / multi-label), mse (regression).")
    public var loss: OutputKind = .softmaxCrossEntropy
    @Option(help: "Binary tasks (sigmoid-bce with 1 output): the label that counts as 1; others are 0.")
    public var positiveClass: Int?
    @Option(name: .customLong("init"), help: "Weight initialisation: std-0.01, xavier, he (default: he for relu, xavier otherwise).")
    public var initializer: WeightInit?
    @Option(help: "Batch normalisation after these hidden layers (convolutions and dense layers but the last, numbered from 1), before the activation: all, none, or a list like 1,2.")
    public var batchNorm: String?
    @Option(help: "Dropout ratio after each hidden layer's activation (and the pooling right after it): one ratio for all (0.2), or one per hidden layer (0.2,0.5).")
    public var dropout: String?

    /// Every option of this group, by long name (nn-gradcheck refuses them beside a model).
    public static let longNames = ["--layers", "--activation", "--loss", "--positive-class", "--init", "--batch-norm", "--dropout"]

    /// The architecture these options describe; `defaultLayers` when --layers is not given. With
    /// `inputShape` (the data's sample shape), the first size must match it and the network takes that
    /// shape; with `labels`, a 1-output sigmoid-bce model checks they are 0/1.
    public func architecture(defaultLayers: String, inputShape: [Int]? = nil, labels: [Double] = []) throws -> Architecture {
        let layers = self.layers ?? defaultLayers
        let plan: LayersPlan
        do { plan = try LayersPlan(parsing: layers) } catch { throw ToolError("--layers \(layers): \(error.message)") }
        if let inputShape {
            let inputs = CheckedSize.productOrNil(inputShape) ?? 0
            guard CheckedSize.productOrNil(plan.inputShape) == inputs else {
                throw ToolError("--layers starts with \(CheckedSize.shape(plan.inputShape)) inputs, but the data has \(inputs) values per sample (\(CheckedSize.shape(inputShape)))")
            }
        }
        let hidden = plan.hiddenLayerCount
        var bn = Set<Int>()
        if let batchNorm {
            if batchNorm == "all" { bn = Set(0..<hidden) } else if batchNorm != "none" {
                for part in batchNorm.split(separator: ",", omittingEmptySubsequences: false) {
                    guard let k = Int(part), k >= 1, k <= hidden else {
                        throw ToolError("--batch-norm '\(batchNorm)': give all, none, or hidden layer numbers 1-\(hidden)")
                    }
                    bn.insert(k - 1)
                }
            }
        }
        var drop: [Int: Double] = [:]
        if let dropout {
            let ratios = dropout.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
            guard !ratios.isEmpty, ratios.allSatisfy({ $0 != nil && $0! >= 0 && $0! < 1 }), ratios.count == 1 || ratios.count == hidden else {
                throw ToolError("--dropout '\(dropout)': give one ratio in [0, 1) or one per hidden layer (\(hidden))")
            }
            for i in 0..<hidden { drop[i] = ratios.count == 1 ? ratios[0]! : ratios[i]! }
        }
        var arch: Architecture
        do { arch = try plan.architecture(activation: activation, output: loss, batchNorm: bn, dropout: drop) } catch {
            throw ToolError("--layers \(layers): \(error.message)")
        }
        // A dense network takes the data's own sample shape ([28, 28] images are read row by row); a
        // convolutional one keeps its CxHxW.
        if let inputShape, arch.layers.first is AffineSpec { arch.inputShape = inputShape }
        if let problem = arch.validate() { throw ToolError("--layers \(layers): \(problem)") }
        if let p = positiveClass {
            guard arch.output == .sigmoidBinaryCrossEntropy && arch.outputSize == 1 else {
                throw ToolError("--positive-class is for a yes/no model: --loss sigmoid-bce with 1 output (--layers ...-1)")
            }
            // the model file stores it as a 32-bit integer
            guard p >= 0 && p <= Int(Int32.max) else { throw ToolError("--positive-class must be a label from 0 to \(Int32.max), not \(p)") }
        }
        if loss == .sigmoidBinaryCrossEntropy && arch.outputSize == 1 && positiveClass == nil,
           labels.contains(where: { $0 != 0 && $0 != 1 }) {
            throw ToolError("a 1-output sigmoid-bce model needs 0/1 labels; these labels go beyond 1: pass --positive-class K")
        }
        return arch
    }
}
