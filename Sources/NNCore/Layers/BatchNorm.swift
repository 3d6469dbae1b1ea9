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
    /// The last forward's normalised input xn = (x - mean) / std [B, N*P] and std [N], for backward.
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

    /// Features are shared out over the threads in slices (each feature's sums stay in one thread, in one
    /// order) when the batch is large enough to pay for waking them.
    private static func slices(features: Int, values: Int) -> Int {
        values < 1 << 15 ? 1 : min(Parallelism.threadCount, features)
    }

    // forward: x [B, N*P] -> y [B, N*P], P = positions; the value of feature j at position s of sample r
    // is x[r, j*P + s]. Statistics per feature over the B*P values (two passes: mean, then the mean of
    // squared deviations); xn = (x - mean) / std; y = gamma * xn + beta (a division, as format 1.1 files
    // were written to be read: their predictions stay the same to the bit).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        let b = x.rows, n = gamma.value.cols, p = positions, total = x.count
        precondition(x.cols == n * p, "batch norm input has \(x.cols) values per sample, not \(n * p)")
        let count = Scalar(b * p), training = mode == .training
        var mean = training ? [Scalar](repeating: 0, count: n) : runningMean.value.storage
        var variance = training ? [Scalar](repeating: 0, count: n) : runningVar.value.storage
        var std = [Scalar](repeating: 0, count: n)
        var y = [Scalar](), xn = [Scalar]()
        let slices = BatchNorm.slices(features: n, values: total)
        xn = [Scalar](unsafeUninitializedCapacity: total) { xnOut, xnCount in
            y = [Scalar](unsafeUninitializedCapacity: total) { yOut, yCount in
                x.storage.withUnsafeBufferPointer { xs in
                    gamma.value.storage.withUnsafeBufferPointer { g in
                        beta.value.storage.withUnsafeBufferPointer { be in
                            mean.withUnsafeMutableBufferPointer { m in
                                variance.withUnsafeMutableBufferPointer { v in
                                    std.withUnsafeMutableBufferPointer { sd in
                                        let xs = xs.baseAddress!, g = g.baseAddress!, be = be.baseAddress!
                                        let m = m.baseAddress!, v = v.baseAddress!, sd = sd.baseAddress!
                                        let xo = xnOut.baseAddress!, yo = yOut.baseAddress!
                                        Parallelism.run(slices) { slice in
                                            let j0 = n * slice / slices, j1 = n * (slice + 1) / slices
                                            if training {
                                                for r in 0..<b {
                                                    for j in j0..<j1 { let run = xs + (r * n + j) * p; m[j] += laneSum(p) { run[$0] } }
                                                }
                                                for j in j0..<j1 { m[j] /= count }
                                                for r in 0..<b {
                                                    for j in j0..<j1 {
                                                        let run = xs + (r * n + j) * p, mj = m[j]
                                                        v[j] += laneSum(p) { let c = run[$0] - mj; return c * c }
                                                    }
                                                }
                                                for j in j0..<j1 { v[j] /= count }
                                            }
                                            for j in j0..<j1 { sd[j] = Scalar.sqrt(v[j] + epsilon) }
                                            for r in 0..<b {
                                                for j in j0..<j1 {
                                                    let at = (r * n + j) * p, mj = m[j], sj = sd[j], gj = g[j], bj = be[j]
                                                    for s in 0..<p {
                                                        let normalised = (xs[at + s] - mj) / sj
                                                        xo[at + s] = normalised
                                                        yo[at + s] = gj * normalised + bj
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                yCount = total
            }
            xnCount = total
        }
        if training {
            for j in 0..<n {
                runningMean.value.storage[j] = momentum * runningMean.value.storage[j] + (1 - momentum) * mean[j]
                runningVar.value.storage[j] = momentum * runningVar.value.storage[j] + (1 - momentum) * variance[j]
            }
        }
        self.std = std
        self.xn = Matrix(rows: b, cols: n * p, storage: xn)
        return Matrix(rows: b, cols: n * p, storage: y)
    }

    // backward (training statistics), sums over the B*P values of each feature: dbeta = sum dout;
    // dgamma = sum xn*dout; dx = gamma/std * (dout - dbeta/BP - xn * dgamma/BP).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        let b = dout.rows, n = gamma.value.cols, p = positions, total = dout.count
        precondition(total == xn.count, "batch norm backward: dout does not match the last forward")
        let count = Scalar(b * p)
        var dbeta = [Scalar](repeating: 0, count: n), dgamma = [Scalar](repeating: 0, count: n)
        let slices = BatchNorm.slices(features: n, values: total)
        let dx = [Scalar](unsafeUninitializedCapacity: total) { dxOut, dxCount in
            dout.storage.withUnsafeBufferPointer { ds in
                xn.storage.withUnsafeBufferPointer { xns in
                    gamma.value.storage.withUnsafeBufferPointer { g in
                        std.withUnsafeBufferPointer { sd in
                            dbeta.withUnsafeMutableBufferPointer { db in
                                dgamma.withUnsafeMutableBufferPointer { dg in
                                    let ds = ds.baseAddress!, xns = xns.baseAddress!, g = g.baseAddress!, sd = sd.baseAddress!
                                    let db = db.baseAddress!, dg = dg.baseAddress!, dxo = dxOut.baseAddress!
                                    Parallelism.run(slices) { slice in
                                        let j0 = n * slice / slices, j1 = n * (slice + 1) / slices
                                        for r in 0..<b {
                                            for j in j0..<j1 {
                                                let d = ds + (r * n + j) * p, xr = xns + (r * n + j) * p
                                                db[j] += laneSum(p) { d[$0] }
                                                dg[j] += laneSum(p) { d[$0] * xr[$0] }
                                            }
                                        }
                                        for r in 0..<b {
                                            for j in j0..<j1 {
                                                let at = (r * n + j) * p, scale = g[j] / sd[j]
                                                let meanD = db[j] / count, meanDX = dg[j] / count
                                                for s in 0..<p { dxo[at + s] = scale * (ds[at + s] - meanD - xns[at + s] * meanDX) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            dxCount = total
        }
        beta.grad.storage = dbeta
        gamma.grad.storage = dgamma
        return Matrix(rows: b, cols: n * p, storage: dx)
    }
}

/// The sum of f(0), ..., f(n-1) in eight lanes (lane i % 8, combined pairwise) and then the last n % 8 in
/// order: a fixed order, the same on any thread, and one the compiler can vectorise. n = 1 gives f(0).
@inline(__always)
func laneSum<T: NNFloat>(_ n: Int, _ f: (Int) -> T) -> T {
    var a0: T = 0, a1: T = 0, a2: T = 0, a3: T = 0, a4: T = 0, a5: T = 0, a6: T = 0, a7: T = 0
    var i = 0
    while i + 8 <= n {
        a0 += f(i); a1 += f(i + 1); a2 += f(i + 2); a3 += f(i + 3)
        a4 += f(i + 4); a5 += f(i + 5); a6 += f(i + 6); a7 += f(i + 7)
        i += 8
    }
    var sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
    while i < n {
        sum += f(i)
        i += 1
    }
    return sum
}
