// Scalar.swift: the float types every layer is generic over.
//
// Training runs in Float; gradient checks run the same layer code in Double. The few transcendental
// functions and the GEMM kernel are the only things that differ between the two.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels

/// A float type the network can compute in: `Float` (training) or `Double` (gradient checks).
public protocol NNFloat: BinaryFloatingPoint, Sendable, CustomStringConvertible
where RawSignificand: FixedWidthInteger {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func sqrt(_ x: Self) -> Self
    /// C[M,N] = alpha * op(A) * op(B) + beta * C on raw row-major storage, split across up to `threads`
    /// threads when large (nn_sgemm_threads in nn_kernels.h).
    static func gemmKernel(
        threads: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// y = max(x, 0) over n values. (Concrete per type: generic loops called through a layer
    /// existential would run unspecialised, ten times slower.)
    static func relu(_ x: UnsafePointer<Self>, into y: UnsafeMutablePointer<Self>, _ n: Int)
    /// dx = y > 0 ? d : 0 over n values.
    static func reluMask(_ d: UnsafePointer<Self>, _ y: UnsafePointer<Self>, into dx: UnsafeMutablePointer<Self>, _ n: Int)

    // The element-wise kernels of a training step, in C (CKernels/nn_elementwise.h gives each one's exact
    // operation order). n elements; decay adds decay * w to each gradient first (0: nothing added).
    /// SGD: w -= lr g
    static func sgdStep(_ n: Int, _ w: UnsafeMutablePointer<Self>, _ g: UnsafePointer<Self>, lr: Self, decay: Self)
    /// Momentum: v = mu v - lr g; w += v
    static func momentumStep(_ n: Int, _ w: UnsafeMutablePointer<Self>, _ g: UnsafePointer<Self>, _ v: UnsafeMutablePointer<Self>,
                             lr: Self, mu: Self, decay: Self)
    /// AdaGrad: h += g^2; w -= lr g / (sqrt(h) + eps)
    static func adagradStep(_ n: Int, _ w: UnsafeMutablePointer<Self>, _ g: UnsafePointer<Self>, _ h: UnsafeMutablePointer<Self>,
                            lr: Self, eps: Self, decay: Self)
    /// Adam: m += c1 (g - m); v += c2 (g^2 - v); w -= lrT m / (sqrt(v) + eps)
    static func adamStep(_ n: Int, _ w: UnsafeMutablePointer<Self>, _ g: UnsafePointer<Self>, _ m: UnsafeMutablePointer<Self>,
                         _ v: UnsafeMutablePointer<Self>, lrT: Self, c1: Self, c2: Self, eps: Self, decay: Self)
    /// out[r, j] = Self(bytes[rows[r] * cols + j]) * scale + offset for r in 0..<count.
    static func gatherBytes(_ bytes: UnsafePointer<UInt8>, cols: Int, rows: UnsafePointer<Int>, count: Int,
                            scale: Self, offset: Self, into out: UnsafeMutablePointer<Self>)
    /// Sum of x^2 over n values, accumulated in Double (16 partial sums: the order depends on n only).
    static func sumOfSquares(_ x: UnsafePointer<Self>, _ n: Int) -> Double
    /// Batch norm's mean and variance per feature of the slice (BatchNormSlice gives the layout).
    static func batchNormStats(_ s: BatchNormSlice, _ x: UnsafePointer<Self>, mean: UnsafeMutablePointer<Self>,
                               variance: UnsafeMutablePointer<Self>)
    /// xn = (x - mean) / std; y = gamma xn + beta, per feature of the slice.
    static func batchNormNormalize(_ s: BatchNormSlice, _ x: UnsafePointer<Self>, mean: UnsafePointer<Self>, std: UnsafePointer<Self>,
                                   gamma: UnsafePointer<Self>, beta: UnsafePointer<Self>,
                                   xn: UnsafeMutablePointer<Self>, y: UnsafeMutablePointer<Self>)
    /// dbeta = sum dout; dgamma = sum dout xn; dx = gamma / std (dout - dbeta / count - xn dgamma / count).
    static func batchNormBackward(_ s: BatchNormSlice, _ dout: UnsafePointer<Self>, xn: UnsafePointer<Self>, gamma: UnsafePointer<Self>,
                                  std: UnsafePointer<Self>, dbeta: UnsafeMutablePointer<Self>, dgamma: UnsafeMutablePointer<Self>,
                                  dx: UnsafeMutablePointer<Self>)
    /// mask[i] = keep where the next xoshiro256** draw's top 53 bits are >= threshold, else 0; state[0..<4]
    /// advances n draws.
    /// sums[j] = x[0, j] + ... + x[rows - 1, j], rows in order, for x [rows, cols] (a bias gradient).
    static func columnSums(_ x: UnsafePointer<Self>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Self>)
    static func dropoutMask(_ n: Int, state: UnsafeMutablePointer<UInt64>, threshold: UInt64, keep: Self,
                            into mask: UnsafeMutablePointer<Self>)
}

extension Float: NNFloat {
    // Both read every element unconditionally, then select: a conditional load kept these loops scalar
    // and branchy (half the branches mispredicted on ReLU outputs), 3% of a 784-100-10 training step.
    public static func relu(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { let v = x[i]; y[i] = v > 0 ? v : 0 }
    }
    public static func reluMask(_ d: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { let v = d[i]; dx[i] = y[i] > 0 ? v : 0 }
    }
    public static func sgdStep(_ n: Int, _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, lr: Float, decay: Float) {
        nn_sgd_f(n, w, g, lr, decay)
    }
    public static func momentumStep(_ n: Int, _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                                    lr: Float, mu: Float, decay: Float) {
        nn_momentum_f(n, w, g, v, lr, mu, decay)
    }
    public static func adagradStep(_ n: Int, _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ h: UnsafeMutablePointer<Float>,
                                   lr: Float, eps: Float, decay: Float) {
        nn_adagrad_f(n, w, g, h, lr, eps, decay)
    }
    public static func adamStep(_ n: Int, _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                                _ v: UnsafeMutablePointer<Float>, lrT: Float, c1: Float, c2: Float, eps: Float, decay: Float) {
        nn_adam_f(n, w, g, m, v, lrT, c1, c2, eps, decay)
    }
    public static func gatherBytes(_ bytes: UnsafePointer<UInt8>, cols: Int, rows: UnsafePointer<Int>, count: Int,
                                   scale: Float, offset: Float, into out: UnsafeMutablePointer<Float>) {
        nn_gather_bytes_f(bytes, cols, rows, count, scale, offset, out)
    }
    public static func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Double { nn_sum_squares_f(n, x) }
    public static func batchNormStats(_ s: BatchNormSlice, _ x: UnsafePointer<Float>, mean: UnsafeMutablePointer<Float>,
                                      variance: UnsafeMutablePointer<Float>) {
        nn_batchnorm_stats_f(s.batch, s.features, s.positions, s.first, s.end, x, mean, variance)
    }
    public static func batchNormNormalize(_ s: BatchNormSlice, _ x: UnsafePointer<Float>, mean: UnsafePointer<Float>, std: UnsafePointer<Float>,
                                          gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                          xn: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) {
        nn_batchnorm_normalize_f(s.batch, s.features, s.positions, s.first, s.end, x, mean, std, gamma, beta, xn, y)
    }
    public static func batchNormBackward(_ s: BatchNormSlice, _ dout: UnsafePointer<Float>, xn: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                                         std: UnsafePointer<Float>, dbeta: UnsafeMutablePointer<Float>, dgamma: UnsafeMutablePointer<Float>,
                                         dx: UnsafeMutablePointer<Float>) {
        nn_batchnorm_backward_f(s.batch, s.features, s.positions, s.first, s.end, dout, xn, gamma, std, dbeta, dgamma, dx)
    }
    public static func columnSums(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Float>) {
        nn_column_sums_f(rows, cols, x, sums)
    }
    public static func dropoutMask(_ n: Int, state: UnsafeMutablePointer<UInt64>, threshold: UInt64, keep: Float,
                                   into mask: UnsafeMutablePointer<Float>) {
        nn_dropout_mask_f(n, state, threshold, keep, mask)
    }
    @inlinable public static func exp(_ x: Float) -> Float { expf(x) }
    @inlinable public static func log(_ x: Float) -> Float { logf(x) }
    @inlinable public static func log1p(_ x: Float) -> Float { log1pf(x) }
    @inlinable public static func tanh(_ x: Float) -> Float { tanhf(x) }
    @inlinable public static func sqrt(_ x: Float) -> Float { x.squareRoot() }
    public static func gemmKernel(
        threads: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        nn_sgemm_threads(threads, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}

extension Double: NNFloat {
    // Both read every element unconditionally, then select: a conditional load kept these loops scalar
    // and branchy (half the branches mispredicted on ReLU outputs), 3% of a 784-100-10 training step.
    public static func relu(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, _ n: Int) {
        for i in 0..<n { let v = x[i]; y[i] = v > 0 ? v : 0 }
    }
    public static func reluMask(_ d: UnsafePointer<Double>, _ y: UnsafePointer<Double>, into dx: UnsafeMutablePointer<Double>, _ n: Int) {
        for i in 0..<n { let v = d[i]; dx[i] = y[i] > 0 ? v : 0 }
    }
    public static func sgdStep(_ n: Int, _ w: UnsafeMutablePointer<Double>, _ g: UnsafePointer<Double>, lr: Double, decay: Double) {
        nn_sgd_d(n, w, g, lr, decay)
    }
    public static func momentumStep(_ n: Int, _ w: UnsafeMutablePointer<Double>, _ g: UnsafePointer<Double>, _ v: UnsafeMutablePointer<Double>,
                                    lr: Double, mu: Double, decay: Double) {
        nn_momentum_d(n, w, g, v, lr, mu, decay)
    }
    public static func adagradStep(_ n: Int, _ w: UnsafeMutablePointer<Double>, _ g: UnsafePointer<Double>, _ h: UnsafeMutablePointer<Double>,
                                   lr: Double, eps: Double, decay: Double) {
        nn_adagrad_d(n, w, g, h, lr, eps, decay)
    }
    public static func adamStep(_ n: Int, _ w: UnsafeMutablePointer<Double>, _ g: UnsafePointer<Double>, _ m: UnsafeMutablePointer<Double>,
                                _ v: UnsafeMutablePointer<Double>, lrT: Double, c1: Double, c2: Double, eps: Double, decay: Double) {
        nn_adam_d(n, w, g, m, v, lrT, c1, c2, eps, decay)
    }
    public static func gatherBytes(_ bytes: UnsafePointer<UInt8>, cols: Int, rows: UnsafePointer<Int>, count: Int,
                                   scale: Double, offset: Double, into out: UnsafeMutablePointer<Double>) {
        nn_gather_bytes_d(bytes, cols, rows, count, scale, offset, out)
    }
    public static func sumOfSquares(_ x: UnsafePointer<Double>, _ n: Int) -> Double { nn_sum_squares_d(n, x) }
    public static func batchNormStats(_ s: BatchNormSlice, _ x: UnsafePointer<Double>, mean: UnsafeMutablePointer<Double>,
                                      variance: UnsafeMutablePointer<Double>) {
        nn_batchnorm_stats_d(s.batch, s.features, s.positions, s.first, s.end, x, mean, variance)
    }
    public static func batchNormNormalize(_ s: BatchNormSlice, _ x: UnsafePointer<Double>, mean: UnsafePointer<Double>, std: UnsafePointer<Double>,
                                          gamma: UnsafePointer<Double>, beta: UnsafePointer<Double>,
                                          xn: UnsafeMutablePointer<Double>, y: UnsafeMutablePointer<Double>) {
        nn_batchnorm_normalize_d(s.batch, s.features, s.positions, s.first, s.end, x, mean, std, gamma, beta, xn, y)
    }
    public static func batchNormBackward(_ s: BatchNormSlice, _ dout: UnsafePointer<Double>, xn: UnsafePointer<Double>, gamma: UnsafePointer<Double>,
                                         std: UnsafePointer<Double>, dbeta: UnsafeMutablePointer<Double>, dgamma: UnsafeMutablePointer<Double>,
                                         dx: UnsafeMutablePointer<Double>) {
        nn_batchnorm_backward_d(s.batch, s.features, s.positions, s.first, s.end, dout, xn, gamma, std, dbeta, dgamma, dx)
    }
    public static func columnSums(_ x: UnsafePointer<Double>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Double>) {
        nn_column_sums_d(rows, cols, x, sums)
    }
    public static func dropoutMask(_ n: Int, state: UnsafeMutablePointer<UInt64>, threshold: UInt64, keep: Double,
                                   into mask: UnsafeMutablePointer<Double>) {
        nn_dropout_mask_d(n, state, threshold, keep, mask)
    }
    @inlinable public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    @inlinable public static func log(_ x: Double) -> Double { Glibc.log(x) }
    @inlinable public static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
    @inlinable public static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
    @inlinable public static func sqrt(_ x: Double) -> Double { x.squareRoot() }
    public static func gemmKernel(
        threads: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        nn_dgemm_threads(threads, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}
