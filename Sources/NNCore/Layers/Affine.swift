// Affine.swift: the fully connected layer, y = x W + b (the book's Affine).

/// A fully connected layer: every input feeds every output.
public struct AffineSpec: LayerSpec, Equatable {
    public var inputs: Int
    public var outputs: Int
    public init(inputs: Int, outputs: Int) {
        self.inputs = inputs
        self.outputs = outputs
    }

    public static let code: UInt8 = 1
    public static let sinceMinorVersion: UInt16 = 0
    public static let fieldKinds: [LayerField.Kind] = [.count, .count]
    public var fields: [LayerField] { [.count(inputs), .count(outputs)] }
    public init(fields: [LayerField]) throws(LayerSpecError) {
        guard case .count(let i) = fields[0], case .count(let o) = fields[1], i > 0, o > 0 else {
            throw LayerSpecError("an affine layer needs positive sizes")
        }
        self.init(inputs: i, outputs: o)
    }
    public var description: String { "affine \(inputs)x\(outputs)" }
    public var startsNewIndex: Bool { true }
    public var token: String? { String(outputs) }

    /// Any input shape whose values number `inputs` (a [28, 28] image is read row after row).
    public func outputShape(for input: [Int]) throws(LayerSpecError) -> [Int] {
        guard let n = CheckedSize.productOrNil(input), n == inputs else {
            throw LayerSpecError("takes \(inputs) inputs, the layer before gives \(CheckedSize.productOrNil(input).map(String.init) ?? "too many")")
        }
        return [outputs]
    }

    public func tensors(for input: [Int]) -> [TensorSpec] {
        [TensorSpec("W", rows: inputs, cols: outputs, role: .weight(fanIn: inputs)),
         TensorSpec("b", rows: 1, cols: outputs, role: .bias)]
    }

    public func makeLayer<T: NNFloat>(input: [Int], tensors: [Matrix<T>], index: Int) -> any Layer<T> {
        Affine(weight: tensors[0], bias: tensors[1], index: index)
    }
}

/// y = x W + b.
public final class Affine<Scalar: NNFloat>: Layer, SkippableInputGradient {
    public let weight: Parameter<Scalar>   // W [inputs, outputs]
    public let bias: Parameter<Scalar>     // b [1, outputs]
    private var x = Matrix<Scalar>(rows: 0, cols: 0)
    /// The first layer's dx is never used: the network turns it off to save a third of that layer's work.
    public var computesInputGradient = true

    public init(weight: Matrix<Scalar>, bias: Matrix<Scalar>, index: Int) {
        precondition(bias.rows == 1 && bias.cols == weight.cols)
        self.weight = Parameter(name: "W\(index)", value: weight, role: .weight(fanIn: weight.rows))
        self.bias = Parameter(name: "b\(index)", value: bias, role: .bias)
    }

    public var spec: any LayerSpec { AffineSpec(inputs: weight.value.rows, outputs: weight.value.cols) }
    public var parameters: [Parameter<Scalar>] { [weight, bias] }

    // forward: x is [B, I], W is [I, O], b is [O]; y is [B, O].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        self.x = x
        let out = weight.value.cols
        // every row starts as b, then y += x W (the product's beta = 1)
        let rows = x.rows
        let start = [Scalar](unsafeUninitializedCapacity: rows * out) { y, initialized in
            bias.value.storage.withUnsafeBufferPointer { b in
                for r in 0..<rows { _ = UnsafeMutableBufferPointer(rebasing: y[(r * out)..<((r + 1) * out)]).initialize(fromContentsOf: b) }
            }
            initialized = rows * out
        }
        var y = Matrix(rows: rows, cols: out, storage: start)
        gemm(x, weight.value, into: &y, beta: 1)
        return y
    }

    // backward: dout is [B, O]; dW = x^T dout [I, O]; db = sum over rows of dout [O]; dx = dout W^T [B, I].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    // dx first: the trainer updates W right after this returns, while dW is still in cache.
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        let dx = computesInputGradient ? matmul(dout, weight.value, transposeB: true) : Matrix(rows: 0, cols: 0)
        gemm(x, transposeA: true, dout, into: &weight.grad)
        dout.storage.withUnsafeBufferPointer { d in
            bias.grad.storage.withUnsafeMutableBufferPointer { db in
                guard let sums = db.baseAddress else { return }
                if let d = d.baseAddress { Scalar.columnSums(d, rows: dout.rows, cols: dout.cols, into: sums) }
                else { sums.update(repeating: 0, count: db.count) }  // an empty batch
            }
        }
        return dx
    }
}
