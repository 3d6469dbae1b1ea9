// Matrix.swift: the one tensor type. Row-major [rows, cols]; a batch of samples is one row per sample.
import CKernels
import Synchronization

/// A dense row-major matrix of `Scalar`. Batches are `[batch, features]`.
public struct Matrix<Scalar: NNFloat>: Equatable, Sendable {
    public private(set) var rows: Int
    public private(set) var cols: Int
    /// Row-major storage, `rows * cols` elements.
    public var storage: [Scalar]

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init(rows: Int, cols: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && cols >= 0)
        self.rows = rows
        self.cols = cols
        self.storage = [Scalar](repeating: value, count: rows * cols)
    }

    public init(rows: Int, cols: Int, storage: [Scalar]) {
        precondition(storage.count == rows * cols, "storage has \(storage.count) elements, not \(rows)x\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A matrix from nested rows: `Matrix([[1, 2], [3, 4]])`.
    public init(_ nested: [[Scalar]]) {
        let cols = nested.first?.count ?? 0
        precondition(nested.allSatisfy { $0.count == cols }, "ragged rows")
        self.init(rows: nested.count, cols: cols, storage: nested.flatMap { $0 })
    }

    public var count: Int { storage.count }

    public subscript(row: Int, col: Int) -> Scalar {
        get { storage[row * cols + col] }
        set { storage[row * cols + col] = newValue }
    }

    public func row(_ r: Int) -> ArraySlice<Scalar> { storage[(r * cols)..<((r + 1) * cols)] }

    /// The same values in another float type (Float <-> Double).
    /// Same type: the storage is shared, not copied (an `as? [Other]` cast would visit every element).
    @_specialize(where Scalar == Float, Other == Float)
    @_specialize(where Scalar == Float, Other == Double)
    @_specialize(where Scalar == Double, Other == Float)
    @_specialize(where Scalar == Double, Other == Double)
    public func converted<Other: NNFloat>(to: Other.Type = Other.self) -> Matrix<Other> {
        if Other.self == Scalar.self { return unsafeBitCast(self, to: Matrix<Other>.self) }
        return Matrix<Other>(rows: rows, cols: cols, storage: storage.map { Other($0) })
    }

    /// Rows `range` as a new matrix.
    public func rows(_ range: Range<Int>) -> Matrix {
        Matrix(rows: range.count, cols: cols, storage: Array(storage[(range.lowerBound * cols)..<(range.upperBound * cols)]))
    }

    public var nested: [[Scalar]] { (0..<rows).map { Array(row($0)) } }
}

/// How many threads the kernels may use. Results do not depend on it (see nn_kernels.h).
public enum Parallelism {
    /// Atomic, so that setting it while other work runs (tests do) is not a data race; results do not
    /// depend on its value anyway.
    private static let count = Atomic<Int>(1)
    public static var threadCount: Int {
        get { count.load(ordering: .relaxed) }
        set { count.store(newValue, ordering: .relaxed) }
    }

    /// Runs `body(i)` for i in 0..<n, on up to `threads` threads (default `threadCount`): the calling
    /// thread and persistent workers that stay awake between the products of a training step
    /// (CKernels/pool.c).
    public static func run(_ n: Int, threads: Int = threadCount, _ body: (Int) -> Void) {
        if n <= 1 || threads <= 1 {
            for i in 0..<n { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            var task = body
            withUnsafeMutablePointer(to: &task) { context in
                nn_parallel_run(n, threads, { context, i in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(i)
                }, context)
            }
        }
    }
}

extension Parallelism {
    /// Runs `body(range)` over 0..<n cut into up to two contiguous ranges per thread (cuts on multiples of 16),
    /// none shorter than `grain` (one range when n < 2 * grain). Only for work whose result does not
    /// depend on the cut: element-wise loops.
    /// `align`: cuts fall on its multiples (16 values: whole vectors; 1 for rows of a batch).
    public static func forRanges(_ n: Int, grain: Int, align: Int = 16, _ body: (Range<Int>) -> Void) {
        // up to two ranges per thread: a thread that comes free takes the next (see nn_parallel_run)
        let pieces = max(1, min(2 * threadCount, n / max(grain, 1)))
        if pieces == 1 {
            body(0..<n)
            return
        }
        func cut(_ i: Int) -> Int { i == pieces ? n : n * i / pieces / align * align }
        run(pieces) { i in body(cut(i)..<cut(i + 1)) }
    }
}

/// Sum of x[i]^2 in Double, in an order that depends on the count only: fixed chunks of 65,536 values,
/// each summed by the kernel (`NNFloat.sumOfSquares`), the chunk sums added in order. The chunks are
/// shared out over the threads (the weight-decay term of every training step's loss).
public func sumOfSquares<T: NNFloat>(_ x: UnsafeBufferPointer<T>) -> Double {
    let chunk = 65_536, chunks = (x.count + chunk - 1) / chunk
    guard let base = x.baseAddress, chunks > 1 else { return x.baseAddress.map { T.sumOfSquares($0, x.count) } ?? 0 }
    var sums = [Double](repeating: 0, count: chunks)
    sums.withUnsafeMutableBufferPointer { sums in
        let out = sums.baseAddress!
        Parallelism.forRanges(chunks, grain: 1, align: 1) { r in
            for c in r { out[c] = T.sumOfSquares(base + c * chunk, min(chunk, x.count - c * chunk)) }
        }
    }
    return sums.reduce(0, +)
}

/// C = alpha * op(A) * op(B) + beta * C.
/// Shapes: op(A) is [M,K], op(B) is [K,N], C is [M,N]. Most of the running time is spent here.
/// Large products are split into blocks of C across `Parallelism.threadCount` threads (nn_sgemm_threads);
/// each element of C is reduced in the same order whatever the split, so the result is bit-identical for
/// any thread count.
@_specialize(where T == Float)
@_specialize(where T == Double)
public func gemm<T: NNFloat>(
    _ a: Matrix<T>, transposeA: Bool = false, _ b: Matrix<T>, transposeB: Bool = false,
    into c: inout Matrix<T>, alpha: T = 1, beta: T = 0
) {
    let m = transposeA ? a.cols : a.rows
    let k = transposeA ? a.rows : a.cols
    let n = transposeB ? b.rows : b.cols
    precondition((transposeB ? b.cols : b.rows) == k, "gemm: inner dimensions \(k) and \(transposeB ? b.cols : b.rows) differ")
    precondition(c.rows == m && c.cols == n, "gemm: output is \(c.rows)x\(c.cols), expected \(m)x\(n)")
    if m == 0 || n == 0 { return }
    let threads = Parallelism.threadCount
    a.storage.withUnsafeBufferPointer { pa in
        b.storage.withUnsafeBufferPointer { pb in
            c.storage.withUnsafeMutableBufferPointer { pc in
                T.gemmKernel(threads: threads, transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: alpha,
                             a: pa.baseAddress!, lda: a.cols, b: pb.baseAddress!, ldb: b.cols, beta: beta,
                             c: pc.baseAddress!, ldc: c.cols)
            }
        }
    }
}

/// op(A) * op(B) as a new matrix.
@_specialize(where T == Float)
@_specialize(where T == Double)
public func matmul<T: NNFloat>(_ a: Matrix<T>, transposeA: Bool = false, _ b: Matrix<T>, transposeB: Bool = false) -> Matrix<T> {
    var c = Matrix<T>(rows: transposeA ? a.cols : a.rows, cols: transposeB ? b.rows : b.cols)
    gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
    return c
}
