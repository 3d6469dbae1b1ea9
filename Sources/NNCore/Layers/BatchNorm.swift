// BatchNorm.swift: batch normalisation (the book's chapter 6), forward and backward side by side.
// After a dense layer it normalises each feature over the batch; after a convolution, each channel over
// the batch and the channel's positions (so the shape [C, H, W] has C means, not C*H*W).

/// Batch normalisation of `features` features (dense input [features]) or channels (image input
/// [features, H, W]).
public struct BatchNormSpec: LayerSpec, Equatable {
    public var features: Int
    public init(features: Int) { self.features = features }

    public static let code: UInt8 = 3
    public static let sinceMinorVersion: UInt16 = 1
    public static let fieldKinds: [LayerField.Kind] = [.count]
    public var fields: [LayerField] { [.count(features)] }
    public init(fields: [LayerField]) throws(LayerSpecError) {
        guard case .count(let n) = fields[0], n > 0 else { throw LayerSpecError("batch norm needs a positive feature count") }
        self.init(features: n)
    }
    public var description: String { "batch-norm \(features)" }

    public func outputShape(for input: [Int]) throws(LayerSpecError) -> [Int] {
        guard let n = input.first, input.count == 1 || input.count == 3 else {
            throw LayerSpecError("normalises features [N] or channels [C, H, W], not a \(CheckedSize.shape(input)) input")
        }
        guard n == features else {
            throw LayerSpecError("normalises \(features) \(input.count == 1 ? "features" : "channels"), the layer before gives \(n)")
        }
        return input
    }

    public func tensors(for input: [Int]) -> [TensorSpec] {
        [TensorSpec("gamma", rows: 1, cols: features, role: .scale), TensorSpec("beta", rows: 1, cols: features, role: .shift),
         TensorSpec("mean", rows: 1, cols: features, role: .runningMean),
         TensorSpec("var", rows: 1, cols: features, role: .runningVariance)]
    }

    public func makeLayer<T: NNFloat>(input: [Int], tensors: [Matrix<T>], index: Int) -> any Layer<T> {
        BatchNorm(gamma: tensors[0], beta: tensors[1], runningMean: tensors[2], runningVar: tensors[3], index: index,
                  positions: input.count == 3 ? input[1] * input[2] : 1)
    }
}

/// y = gamma * (x - mean) / sqrt(var + 1e-7) + beta, per feature (or channel). Training uses the batch's
/// statistics and updates running averages (momentum 0.9); inference uses the running averages.
public final class BatchNorm<Scalar: NNFloat>: Layer {
    public let gamma: Parameter<Scalar>         // [1, N]
    public let beta: Parameter<Scalar>          // [1, N]
    public let runningMean: Parameter<Scalar>   // [1, N], saved, not trained
    public let runningVar: Parameter<Scalar>    // [1, N], saved, not trained
    public let momentum: Scalar = 0.9
    public let epsilon: Scalar = 1e-7
    /// Values per feature in one sample: 1 after a dense layer, H*W after a convolution.
    public let positions: Int
    private var xc = Matrix<Scalar>(rows: 0, cols: 0)
    private var xn = Matrix<Scalar>(rows: 0, cols: 0)
    private var std: [Scalar] = []

    public init(gamma: Matrix<Scalar>, beta: Matrix<Scalar>, runningMean: Matrix<Scalar>, runningVar: Matrix<Scalar>, index: Int,
                positions: Int = 1) {
        self.gamma = Parameter(name: "gamma\(index)", value: gamma, role: .scale)
        self.beta = Parameter(name: "beta\(index)", value: beta, role: .shift)
        self.runningMean = Parameter(name: "mean\(index)", value: runningMean, role: .runningMean)
        self.runningVar = Parameter(name: "var\(index)", value: runningVar, role: .runningVariance)
        self.positions = positions
    }

    public var spec: any LayerSpec { BatchNormSpec(features: gamma.value.cols) }
    public var parameters: [Parameter<Scalar>] { [gamma, beta] }
    public var buffers: [Parameter<Scalar>] { [runningMean, runningVar] }

    // forward: x [B, N*P] -> y [B, N*P], P = positions; the value of feature j at position s of sample r
    // is x[r, j*P + s]. Statistics per feature over the B*P values.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        let b = x.rows, n = gamma.value.cols, p = positions
        let count = Scalar(b * p)
        var mean = [Scalar](repeating: 0, count: n), variance = [Scalar](repeating: 0, count: n)
        if mode == .training {
            for r in 0..<b { for j in 0..<n { for s in 0..<p { mean[j] += x.storage[(r * n + j) * p + s] } } }
            for j in 0..<n { mean[j] /= count }
            for r in 0..<b { for j in 0..<n { for s in 0..<p { let c = x.storage[(r * n + j) * p + s] - mean[j]; variance[j] += c * c } } }
            for j in 0..<n {
                variance[j] /= count
                runningMean.value.storage[j] = momentum * runningMean.value.storage[j] + (1 - momentum) * mean[j]
                runningVar.value.storage[j] = momentum * runningVar.value.storage[j] + (1 - momentum) * variance[j]
            }
        } else {
            mean = runningMean.value.storage
            variance = runningVar.value.storage
        }
        std = variance.map { Scalar.sqrt($0 + epsilon) }
        xc = x
        xn = x
        var y = x
        for r in 0..<b {
            for j in 0..<n {
                for s in 0..<p {
                    let i = (r * n + j) * p + s
                    let c = x.storage[i] - mean[j]
                    xc.storage[i] = c
                    xn.storage[i] = c / std[j]
                    y.storage[i] = gamma.value.storage[j] * xn.storage[i] + beta.value.storage[j]
                }
            }
        }
        return y
    }

    // backward (training statistics), sums over the B*P values of each feature: dbeta = sum dout;
    // dgamma = sum xn*dout; dxn = gamma*dout; dxc = dxn/std + (2/BP) xc dvar with
    // dvar = -1/2 sum(dxn xc)/std^3; dx = dxc - mean(dxc).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        let b = dout.rows, n = gamma.value.cols, p = positions
        let count = Scalar(b * p)
        var dx = dout
        for j in 0..<n {
            var dbeta: Scalar = 0, dgamma: Scalar = 0, dstd: Scalar = 0
            for r in 0..<b {
                for s in 0..<p {
                    let i = (r * n + j) * p + s
                    dbeta += dout.storage[i]
                    dgamma += xn.storage[i] * dout.storage[i]
                    dstd -= gamma.value.storage[j] * dout.storage[i] * xc.storage[i] / (std[j] * std[j])
                }
            }
            beta.grad.storage[j] = dbeta
            gamma.grad.storage[j] = dgamma
            let dvar = dstd / (2 * std[j])
            var dmu: Scalar = 0
            for r in 0..<b {
                for s in 0..<p {
                    let i = (r * n + j) * p + s
                    let dxc = gamma.value.storage[j] * dout.storage[i] / std[j] + 2 / count * xc.storage[i] * dvar
                    dx.storage[i] = dxc
                    dmu += dxc
                }
            }
            for r in 0..<b { for s in 0..<p { dx.storage[(r * n + j) * p + s] -= dmu / count } }
        }
        return dx
    }
}
