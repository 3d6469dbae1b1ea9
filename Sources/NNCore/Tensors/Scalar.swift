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
    /// C[M,N] = alpha * op(A) * op(B) + beta * C on raw row-major storage (see nn_kernels.h).
    static func gemmKernel(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// y = max(y, 0) over n values. (Concrete per type: generic loops called through a layer
    /// existential would run unspecialised, ten times slower.)
    static func reluInPlace(_ y: UnsafeMutablePointer<Self>, _ n: Int)
    /// d = y > 0 ? d : 0 over n values.
    static func reluMask(_ d: UnsafeMutablePointer<Self>, _ y: UnsafePointer<Self>, _ n: Int)
}

extension Float: NNFloat {
    // Both read every element unconditionally, then select: a conditional load kept these loops scalar
    // and branchy (half the branches mispredicted on ReLU outputs), 3% of a 784-100-10 training step.
    public static func reluInPlace(_ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { let v = y[i]; y[i] = v > 0 ? v : 0 }
    }
    public static func reluMask(_ d: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n { let v = d[i]; d[i] = y[i] > 0 ? v : 0 }
    }
    @inlinable public static func exp(_ x: Float) -> Float { expf(x) }
    @inlinable public static func log(_ x: Float) -> Float { logf(x) }
    @inlinable public static func log1p(_ x: Float) -> Float { log1pf(x) }
    @inlinable public static func tanh(_ x: Float) -> Float { tanhf(x) }
    @inlinable public static func sqrt(_ x: Float) -> Float { x.squareRoot() }
    public static func gemmKernel(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        nn_sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}

extension Double: NNFloat {
    // Both read every element unconditionally, then select: a conditional load kept these loops scalar
    // and branchy (half the branches mispredicted on ReLU outputs), 3% of a 784-100-10 training step.
    public static func reluInPlace(_ y: UnsafeMutablePointer<Double>, _ n: Int) {
        for i in 0..<n { let v = y[i]; y[i] = v > 0 ? v : 0 }
    }
    public static func reluMask(_ d: UnsafeMutablePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) {
        for i in 0..<n { let v = d[i]; d[i] = y[i] > 0 ? v : 0 }
    }
    @inlinable public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    @inlinable public static func log(_ x: Double) -> Double { Glibc.log(x) }
    @inlinable public static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
    @inlinable public static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
    @inlinable public static func sqrt(_ x: Double) -> Double { x.squareRoot() }
    public static func gemmKernel(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        nn_dgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}
