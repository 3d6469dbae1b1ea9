// Regularization.swift: batch normalisation and dropout (the book's chapter 6), forward and backward
// side by side. Both behave differently in training and inference.

/// y = gamma * (x - mean) / sqrt(var + 1e-7) + beta, per feature. Training uses the batch's statistics
/// and updates running averages (momentum 0.9); inference uses the running averages.
public final class BatchNorm<Scalar: NNFloat>: Layer {
    public let gamma: Parameter<Scalar>         // [1, N]
    public let beta: Parameter<Scalar>          // [1, N]
    public let runningMean: Parameter<Scalar>   // [1, N], saved, not trained
    public let runningVar: Parameter<Scalar>    // [1, N], saved, not trained
    public let momentum: Scalar = 0.9
    public let epsilon: Scalar = 1e-7
    private var xc = Matrix<Scalar>(rows: 0, cols: 0)
    private var xn = Matrix<Scalar>(rows: 0, cols: 0)
    private var std: [Scalar] = []

    public init(gamma: Matrix<Scalar>, beta: Matrix<Scalar>, runningMean: Matrix<Scalar>, runningVar: Matrix<Scalar>, index: Int) {
        self.gamma = Parameter(name: "gamma\(index)", value: gamma, decays: false)
        self.beta = Parameter(name: "beta\(index)", value: beta, decays: false)
        self.runningMean = Parameter(name: "mean\(index)", value: runningMean, decays: false)
        self.runningVar = Parameter(name: "var\(index)", value: runningVar, decays: false)
    }

    /// A fresh layer: gamma 1, beta 0, running mean 0, running variance 1.
    public convenience init(features n: Int, index: Int) {
        self.init(gamma: Matrix(rows: 1, cols: n, repeating: 1), beta: Matrix(rows: 1, cols: n),
                  runningMean: Matrix(rows: 1, cols: n), runningVar: Matrix(rows: 1, cols: n, repeating: 1), index: index)
    }

    public var spec: LayerSpec { .batchNorm(features: gamma.value.cols) }
    public var parameters: [Parameter<Scalar>] { [gamma, beta] }
    public var buffers: [Parameter<Scalar>] { [runningMean, runningVar] }

    // forward: x [B, N] -> y [B, N]
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        let b = x.rows, n = x.cols
        var mean = [Scalar](repeating: 0, count: n), variance = [Scalar](repeating: 0, count: n)
        if mode == .training {
            for r in 0..<b { for j in 0..<n { mean[j] += x[r, j] } }
            for j in 0..<n { mean[j] /= Scalar(b) }
            for r in 0..<b { for j in 0..<n { let c = x[r, j] - mean[j]; variance[j] += c * c } }
            for j in 0..<n {
                variance[j] /= Scalar(b)
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
                let c = x[r, j] - mean[j]
                xc[r, j] = c
                xn[r, j] = c / std[j]
                y[r, j] = gamma.value.storage[j] * xn[r, j] + beta.value.storage[j]
            }
        }
        return y
    }

    // backward (training statistics): dbeta = sum dout; dgamma = sum xn*dout; dxn = gamma*dout;
    // dxc = dxn/std + (2/B) xc dvar with dvar = -1/2 sum(dxn xc)/std^3; dx = dxc - mean(dxc).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        let b = dout.rows, n = dout.cols
        var dx = dout
        for j in 0..<n {
            var dbeta: Scalar = 0, dgamma: Scalar = 0, dstd: Scalar = 0
            for r in 0..<b {
                dbeta += dout[r, j]
                dgamma += xn[r, j] * dout[r, j]
                dstd -= gamma.value.storage[j] * dout[r, j] * xc[r, j] / (std[j] * std[j])
            }
            beta.grad.storage[j] = dbeta
            gamma.grad.storage[j] = dgamma
            let dvar = dstd / (2 * std[j])
            var dmu: Scalar = 0
            for r in 0..<b {
                let dxc = gamma.value.storage[j] * dout[r, j] / std[j] + 2 / Scalar(b) * xc[r, j] * dvar
                dx[r, j] = dxc
                dmu += dxc
            }
            for r in 0..<b { dx[r, j] -= dmu / Scalar(b) }
        }
        return dx
    }
}

/// Inverted dropout: in training each unit is kept with probability 1 - ratio and scaled by 1/(1 - ratio),
/// so inference is the identity. The mask comes from the layer's own seeded generator.
public final class Dropout<Scalar: NNFloat>: Layer {
    public let ratio: Double
    public var rng: SeededGenerator
    /// Reuse the last mask instead of drawing a new one (gradient checks need a fixed mask).
    public var freezeMask = false
    private var mask: [Scalar] = []

    public init(ratio: Double, seed: UInt64 = 0) {
        precondition(ratio >= 0 && ratio < 1)
        self.ratio = ratio
        self.rng = SeededGenerator(seed: seed)
    }

    public var spec: LayerSpec { .dropout(ratio: ratio) }
    public var parameters: [Parameter<Scalar>] { [] }

    // forward: x [B, N] -> y [B, N]; y = x * mask / (1 - ratio) in training
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        guard mode == .training, ratio > 0 else { return x }
        if !(freezeMask && mask.count == x.count) {
            let keep = Scalar(1 / (1 - ratio))
            mask = (0..<x.count).map { _ in rng.nextUnit() >= ratio ? keep : 0 }
        }
        var y = x
        for i in 0..<y.count { y.storage[i] *= mask[i] }
        return y
    }

    // backward: dx = dout * mask / (1 - ratio)
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        guard ratio > 0, mask.count == dout.count else { return dout }
        var dx = dout
        for i in 0..<dx.count { dx.storage[i] *= mask[i] }
        return dx
    }
}
