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
    // were written to be read: their predictions stay the same to the bit). The loops are C kernels
    // (nn_elementwise.h), run on each thread's slice of the features.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        let b = x.rows, n = gamma.value.cols, p = positions, total = x.count
        precondition(x.cols == n * p, "batch norm input has \(x.cols) values per sample, not \(n * p)")
        let training = mode == .training
        var mean = training ? [Scalar](repeating: 0, count: n) : runningMean.value.storage
        var variance = training ? [Scalar](repeating: 0, count: n) : runningVar.value.storage
        var std = [Scalar](repeating: 0, count: n)
        var y = [Scalar]()
        let slices = BatchNorm.slices(features: n, values: total)
        let xn = [Scalar](unsafeUninitializedCapacity: total) { xnOut, xnCount in
            y = [Scalar](unsafeUninitializedCapacity: total) { yOut, yCount in
                x.storage.withUnsafeBufferPointer { xs in
                    gamma.value.storage.withUnsafeBufferPointer { g in
                        beta.value.storage.withUnsafeBufferPointer { be in
                            mean.withUnsafeMutableBufferPointer { m in
                                variance.withUnsafeMutableBufferPointer { v in
                                    std.withUnsafeMutableBufferPointer { sd in
                                        let xs = xs.baseAddress!, m = m.baseAddress!, v = v.baseAddress!, sd = sd.baseAddress!
                                        Parallelism.run(slices) { slice in
                                            let part = BatchNormSlice(batch: b, features: n, positions: p, slice: slice, of: slices)
                                            if training { Scalar.batchNormStats(part, xs, mean: m, variance: v) }
                                            for j in part.first..<part.end { sd[j] = Scalar.sqrt(v[j] + epsilon) }
                                            Scalar.batchNormNormalize(part, xs, mean: m, std: sd, gamma: g.baseAddress!, beta: be.baseAddress!,
                                                                      xn: xnOut.baseAddress!, y: yOut.baseAddress!)
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
        var dbeta = [Scalar](repeating: 0, count: n), dgamma = [Scalar](repeating: 0, count: n)
        let slices = BatchNorm.slices(features: n, values: total)
        let dx = [Scalar](unsafeUninitializedCapacity: total) { dxOut, dxCount in
            dout.storage.withUnsafeBufferPointer { ds in
                xn.storage.withUnsafeBufferPointer { xns in
                    gamma.value.storage.withUnsafeBufferPointer { g in
                        std.withUnsafeBufferPointer { sd in
                            dbeta.withUnsafeMutableBufferPointer { db in
                                dgamma.withUnsafeMutableBufferPointer { dg in
                                    let db = db.baseAddress!, dg = dg.baseAddress!
                                    Parallelism.run(slices) { slice in
                                        let part = BatchNormSlice(batch: b, features: n, positions: p, slice: slice, of: slices)
                                        Scalar.batchNormBackward(part, ds.baseAddress!, xn: xns.baseAddress!, gamma: g.baseAddress!,
                                                                 std: sd.baseAddress!, dbeta: db, dgamma: dg, dx: dxOut.baseAddress!)
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

/// One thread's share of a batch norm: `batch` samples of `features` features with `positions` values
/// each, features first..<end.
public struct BatchNormSlice {
    /// Samples in the batch (B).
    public var batch: Int
    /// Features (or channels) per sample (N).
    public var features: Int
    /// Values per feature in one sample (P: 1 after a dense layer, H*W after a convolution).
    public var positions: Int
    /// This slice's features: first..<end.
    public var first: Int, end: Int
    init(batch: Int, features: Int, positions: Int, slice: Int, of slices: Int) {
        self.batch = batch
        self.features = features
        self.positions = positions
        first = features * slice / slices
        end = features * (slice + 1) / slices
    }
}
