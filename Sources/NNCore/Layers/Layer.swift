// Layers.swift: the hidden layers. Each is a small type holding exactly what its backward needs,
// with forward and backward side by side (the book's common/layers.py, llm.c's layout).

/// A trainable tensor and its gradient, shared by the layer that owns it and the optimizer.
public final class Parameter<Scalar: NNFloat> {
    /// "W1", "b1", ...: the name gradient checks and diagnostics use.
    public var name: String
    public var value: Matrix<Scalar>
    public var grad: Matrix<Scalar>
    /// Whether L2 weight decay applies (weights yes, biases no).
    public let decays: Bool

    public init(name: String, value: Matrix<Scalar>, decays: Bool) {
        self.name = name
        self.value = value
        self.grad = Matrix(rows: value.rows, cols: value.cols)
        self.decays = decays
    }
}

/// Training or inference: layers such as dropout and batch norm behave differently.
public enum Mode: Sendable { case training, inference }

/// A hidden layer: x [batch, inputs] -> y [batch, outputs], and back.
public protocol Layer<Scalar>: AnyObject {
    associatedtype Scalar: NNFloat
    var spec: LayerSpec { get }
    var parameters: [Parameter<Scalar>] { get }
    /// State saved with the model but not trained (batch norm's running averages).
    var buffers: [Parameter<Scalar>] { get }
    func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar>
    /// Takes dL/dy, stores parameter gradients (overwriting), returns dL/dx.
    func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar>
}

extension Layer {
    public var buffers: [Parameter<Scalar>] { [] }
}

// MARK: - Affine

/// y = x W + b.
public final class Affine<Scalar: NNFloat>: Layer {
    public let weight: Parameter<Scalar>   // W [inputs, outputs]
    public let bias: Parameter<Scalar>     // b [1, outputs]
    private var x = Matrix<Scalar>(rows: 0, cols: 0)
    /// The first layer's dx is never used: the network turns it off to save a third of that layer's work.
    public var computesInputGradient = true

    public init(weight: Matrix<Scalar>, bias: Matrix<Scalar>, index: Int) {
        precondition(bias.rows == 1 && bias.cols == weight.cols)
        self.weight = Parameter(name: "W\(index)", value: weight, decays: true)
        self.bias = Parameter(name: "b\(index)", value: bias, decays: false)
    }

    public var spec: LayerSpec { .affine(inputs: weight.value.rows, outputs: weight.value.cols) }
    public var parameters: [Parameter<Scalar>] { [weight, bias] }

    // forward: x is [B, I], W is [I, O], b is [O]; y is [B, O].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        self.x = x
        let out = weight.value.cols
        var y = Matrix<Scalar>(rows: x.rows, cols: out)
        bias.value.storage.withUnsafeBufferPointer { b in
            y.storage.withUnsafeMutableBufferPointer { y in
                for r in 0..<x.rows { for j in 0..<out { y[r * out + j] = b[j] } }
            }
        }
        gemm(x, weight.value, into: &y, beta: 1)
        return y
    }

    // backward: dout is [B, O]; dW = x^T dout [I, O]; db = sum over rows of dout [O]; dx = dout W^T [B, I].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        gemm(x, transposeA: true, dout, into: &weight.grad)
        let out = dout.cols
        dout.storage.withUnsafeBufferPointer { d in
            bias.grad.storage.withUnsafeMutableBufferPointer { db in
                for j in 0..<out { db[j] = 0 }
                for r in 0..<dout.rows { for j in 0..<out { db[j] += d[r * out + j] } }
            }
        }
        if !computesInputGradient { return Matrix(rows: 0, cols: 0) }
        return matmul(dout, weight.value, transposeB: true)
    }
}

// MARK: - Activations

/// y = max(0, x). Caches y: the units with y > 0 are the ones backward lets through.
public final class ReLU<Scalar: NNFloat>: Layer {
    private var y = Matrix<Scalar>(rows: 0, cols: 0)
    public init() {}
    public var spec: LayerSpec { .activation(.relu) }
    public var parameters: [Parameter<Scalar>] { [] }
    /// The units that were positive in the last forward pass (gradient checks detect kinks with it).
    public var lastMask: [Bool] { y.storage.map { $0 > 0 } }

    // forward: x [B, N] -> y [B, N]. Branch-free so the loop vectorises.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        var y = x
        y.storage.withUnsafeMutableBufferPointer { Scalar.reluInPlace($0.baseAddress!, $0.count) }
        self.y = y
        return y
    }

    // backward: dx = dout where y > 0, else 0. (At x = 0 the subgradient 0 is used.)
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        var dx = dout
        dx.storage.withUnsafeMutableBufferPointer { d in
            y.storage.withUnsafeBufferPointer { y in Scalar.reluMask(d.baseAddress!, y.baseAddress!, d.count) }
        }
        return dx
    }
}

/// y = 1 / (1 + exp(-x)). Caches y.
public final class Sigmoid<Scalar: NNFloat>: Layer {
    private var y = Matrix<Scalar>(rows: 0, cols: 0)
    public init() {}
    public var spec: LayerSpec { .activation(.sigmoid) }
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
    public var spec: LayerSpec { .activation(.tanh) }
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
