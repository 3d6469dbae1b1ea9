// Activation.swift: the hidden activation functions (ReLU, sigmoid, tanh), one layer kind with the
// function as its field. Each caches its output y: the three backward passes need only y.

/// Hidden activation functions.
public enum Activation: String, CaseIterable, Sendable, Codable {
    case relu, sigmoid, tanh

    /// The function's code in the model file.
    var code: UInt8 {
        switch self {
        case .relu: return 1
        case .sigmoid: return 2
        case .tanh: return 3
        }
    }
}

/// An element-wise activation: the output has the input's shape.
public struct ActivationSpec: LayerSpec, Equatable {
    public var function: Activation
    public init(_ function: Activation) { self.function = function }

    public static let code: UInt8 = 2
    public static let sinceMinorVersion: UInt16 = 0
    public static let fieldKinds: [LayerField.Kind] = [.byte]
    public var fields: [LayerField] { [.byte(function.code)] }
    public init(fields: [LayerField]) throws(LayerSpecError) {
        guard case .byte(let c) = fields[0], let f = Activation.allCases.first(where: { $0.code == c }) else {
            throw LayerSpecError("unknown activation function")
        }
        self.init(f)
    }
    public var description: String { function.rawValue }

    public func outputShape(for input: [Int]) throws(LayerSpecError) -> [Int] { input }

    public func makeLayer<T: NNFloat>(input: [Int], tensors: [Matrix<T>], index: Int) -> any Layer<T> {
        switch function {
        case .relu: return ReLU<T>()
        case .sigmoid: return Sigmoid<T>()
        case .tanh: return Tanh<T>()
        }
    }
}

/// y = max(0, x). Caches y: the units with y > 0 are the ones backward lets through.
public final class ReLU<Scalar: NNFloat>: Layer {
    private var y = Matrix<Scalar>(rows: 0, cols: 0)
    public init() {}
    public var spec: any LayerSpec { ActivationSpec(.relu) }
    public var parameters: [Parameter<Scalar>] { [] }
    /// The units that were positive in the last forward pass: the side of each kink.
    public var kinkState: [Int32] { y.storage.map { $0 > 0 ? 1 : 0 } }

    // forward: x [B, N] -> y [B, N]. Branch-free so the loop vectorises; large batches (a convolution's
    // outputs) in slices over the threads.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        let n = x.count
        let values = [Scalar](unsafeUninitializedCapacity: n) { out, initialized in
            x.storage.withUnsafeBufferPointer { x in
                guard let x = x.baseAddress, let y = out.baseAddress else { return }
                elementSlices(n) { lo, hi in Scalar.relu(x + lo, into: y + lo, hi - lo) }
            }
            initialized = n
        }
        y = Matrix(rows: x.rows, cols: x.cols, storage: values)
        return y
    }

    // backward: dx = dout where y > 0, else 0. (At x = 0 the subgradient 0 is used.)
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        let n = dout.count
        precondition(n == y.count, "ReLU backward: dout does not match the last forward")
        let values = [Scalar](unsafeUninitializedCapacity: n) { out, initialized in
            dout.storage.withUnsafeBufferPointer { d in
                y.storage.withUnsafeBufferPointer { y in
                    guard let d = d.baseAddress, let y = y.baseAddress, let dx = out.baseAddress else { return }
                    elementSlices(n) { lo, hi in Scalar.reluMask(d + lo, y + lo, into: dx + lo, hi - lo) }
                }
            }
            initialized = n
        }
        return Matrix(rows: dout.rows, cols: dout.cols, storage: values)
    }
}

/// y = 1 / (1 + exp(-x)). Caches y.
public final class Sigmoid<Scalar: NNFloat>: Layer {
    private var y = Matrix<Scalar>(rows: 0, cols: 0)
    public init() {}
    public var spec: any LayerSpec { ActivationSpec(.sigmoid) }
    public var parameters: [Parameter<Scalar>] { [] }

    // forward: x [B, N] -> y [B, N]
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        var y = x
        y.storage.withUnsafeMutableBufferPointer { y in
            for i in 0..<y.count { y[i] = sigmoid(y[i]) }
        }
        self.y = y
        return y
    }

    // backward: dx = dout * y * (1 - y)
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        var dx = dout
        dx.storage.withUnsafeMutableBufferPointer { d in
            y.storage.withUnsafeBufferPointer { y in
                for i in 0..<d.count { d[i] *= y[i] * (1 - y[i]) }
            }
        }
        return dx
    }
}

/// y = tanh(x). Caches y.
public final class Tanh<Scalar: NNFloat>: Layer {
    private var y = Matrix<Scalar>(rows: 0, cols: 0)
    public init() {}
    public var spec: any LayerSpec { ActivationSpec(.tanh) }
    public var parameters: [Parameter<Scalar>] { [] }

    // forward: x [B, N] -> y [B, N]
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        var y = x
        y.storage.withUnsafeMutableBufferPointer { y in
            for i in 0..<y.count { y[i] = Scalar.tanh(y[i]) }
        }
        self.y = y
        return y
    }

    // backward: dx = dout * (1 - y^2)
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        var dx = dout
        dx.storage.withUnsafeMutableBufferPointer { d in
            y.storage.withUnsafeBufferPointer { y in
                for i in 0..<d.count { d[i] *= 1 - y[i] * y[i] }
            }
        }
        return dx
    }
}

/// The logistic function, written so that neither branch overflows.
@inline(__always)
public func sigmoid<T: NNFloat>(_ x: T) -> T {
    if x >= 0 { return 1 / (1 + T.exp(-x)) }
    let e = T.exp(x)
    return e / (1 + e)
}

/// Runs body(lo, hi) over 0..<n: in one piece below 2^16 values (a dense layer's batch, where waking a
/// thread costs more than it saves), else in slices over the threads. For element-wise work only: each
/// value's result is the same in any slice.
@inline(__always)
func elementSlices(_ n: Int, _ body: (Int, Int) -> Void) {
    let slices = n < 1 << 16 ? 1 : min(Parallelism.threadCount, n >> 15)
    if slices <= 1 { body(0, n); return }
    Parallelism.run(slices) { i in body(n * i / slices, n * (i + 1) / slices) }
}
