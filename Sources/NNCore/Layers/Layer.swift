// Layer.swift: what a layer is. Two halves, as in kann:
//  - a `LayerSpec` is a layer kind's description (its code in the model file, its fields, the tensors it
//    stores and their shapes for a given input shape, its output shape): plain values, no float type;
//  - a `Layer` is the running layer, generic over the float type, with forward and backward side by side
//    and the cache its backward needs (the book's common/layers.py).
// Every kind is one file in this folder holding both halves, plus one row in LayerKinds.swift.

/// A trainable tensor (or a saved buffer) and its gradient, shared by the layer that owns it and the optimizer.
public final class Parameter<Scalar: NNFloat> {
    /// "W1", "b1", "gamma1", ...: the name gradient checks, diagnostics and exports use.
    public var name: String
    public var value: Matrix<Scalar>
    public var grad: Matrix<Scalar>
    public let role: TensorRole

    public init(name: String, value: Matrix<Scalar>, role: TensorRole) {
        self.name = name
        self.value = value
        self.grad = Matrix(rows: value.rows, cols: value.cols)
        self.role = role
    }

    /// Whether L2 weight decay applies (weights yes; biases, batch-norm scales and shifts no).
    public var decays: Bool { role.isWeight }
}

/// What a stored tensor is for: decides its initial value, whether it is trained and whether it decays.
public enum TensorRole: Sendable, Equatable {
    /// Multiplies the input; drawn from the initialiser with this fan-in; decays.
    case weight(fanIn: Int)
    /// Added to the output; starts at 0.
    case bias
    /// Batch norm's gamma (starts at 1) and beta (starts at 0).
    case scale, shift
    /// Batch norm's running averages: saved with the model, not trained (start at 0 and 1).
    case runningMean, runningVariance

    public var isWeight: Bool {
        if case .weight = self { return true }
        return false
    }

    /// Trained by the optimizer (the running averages are not).
    public var isTrainable: Bool {
        switch self {
        case .runningMean, .runningVariance: return false
        default: return true
        }
    }
}

/// One tensor a layer kind stores, for a given input shape: "W" [inputs, outputs], "b" [1, outputs], ...
public struct TensorSpec: Sendable, Equatable {
    /// The name without the layer's index ("W", "b", "gamma", "beta", "mean", "var").
    public var stem: String
    public var rows: Int
    public var cols: Int
    public var role: TensorRole

    public init(_ stem: String, rows: Int, cols: Int, role: TensorRole) {
        self.stem = stem
        self.rows = rows
        self.cols = cols
        self.role = role
    }

    /// The tensor's starting value: weights normal with the initialiser's deviation (drawn in storage
    /// order), the rest constant.
    public func initialValue<T: NNFloat>(_ initializer: WeightInit, rng: inout SeededGenerator) -> Matrix<T> {
        switch role {
        case .weight(let fanIn):
            let std = initializer.standardDeviation(fanIn: fanIn)
            var w = Matrix<T>(rows: rows, cols: cols)
            for k in 0..<w.count { w.storage[k] = T(std * rng.nextNormal()) }
            return w
        case .scale, .runningVariance: return Matrix(rows: rows, cols: cols, repeating: 1)
        case .bias, .shift, .runningMean: return Matrix(rows: rows, cols: cols)
        }
    }
}

/// A number describing a layer, as the model file stores it (u8, u32 or f64; docs/model-format.md).
public enum LayerField: Sendable, Equatable {
    case byte(UInt8)
    case count(Int)
    case real(Double)

    /// What a reader must read next.
    public enum Kind: Sendable { case byte, count, real }

    public static func == (a: LayerField, b: LayerField) -> Bool {
        switch (a, b) {
        case (.byte(let x), .byte(let y)): return x == y
        case (.count(let x), .count(let y)): return x == y
        case (.real(let x), .real(let y)): return x.bitPattern == y.bitPattern
        default: return false
        }
    }
}

/// A layer kind's description: what the model file stores for it and what it needs and gives.
/// Shapes are those of one sample: [features] for dense data, [channels, height, width] for images.
public protocol LayerSpec: Sendable, CustomStringConvertible {
    /// The kind's code in the model file's HEAD section; never reused.
    static var code: UInt8 { get }
    /// The lowest model-format minor version that knows this kind (writers stamp the file with the
    /// highest their layers need, so a file of old kinds stays readable by old readers, byte for byte).
    static var sinceMinorVersion: UInt16 { get }
    /// What the model file stores after the code, in this order.
    static var fieldKinds: [LayerField.Kind] { get }
    /// The stored fields of this layer.
    var fields: [LayerField] { get }
    /// Rebuilds a layer from stored fields (as many, of the kinds `fieldKinds` says); throws a short
    /// message when they make no sense (a zero size, a ratio outside [0, 1), ...).
    init(fields: [LayerField]) throws(LayerSpecError)
    /// The shape of one output sample for one input sample, or why this input does not fit.
    func outputShape(for input: [Int]) throws(LayerSpecError) -> [Int]
    /// The tensors the layer stores for this input shape, in file order.
    func tensors(for input: [Int]) -> [TensorSpec]
    /// Whether the layer numbers its tensors with a new index (affine and conv: W1 b1, W2 b2, ...); the
    /// layers after it (batch norm) use the same index.
    var startsNewIndex: Bool { get }
    /// The layer's token in the --layers grammar ("300" for a dense layer, "conv32k5", "maxpool2"), or nil
    /// for the layers the grammar adds by itself (activations, batch norm, dropout, flatten).
    var token: String? { get }
    /// The running layer with these tensor values (shapes already checked against `tensors(for:)`).
    func makeLayer<T: NNFloat>(input: [Int], tensors: [Matrix<T>], index: Int) -> any Layer<T>
}

extension LayerSpec {
    public var startsNewIndex: Bool { false }
    public var token: String? { nil }
    public func tensors(for input: [Int]) -> [TensorSpec] { [] }
    /// Equal kinds with equal fields.
    public func isSame(as other: any LayerSpec) -> Bool { Self.code == type(of: other).code && fields == other.fields }
}

/// Why a layer's fields or input do not fit, in a few words ("takes 784 inputs, the layer before gives 300").
public struct LayerSpecError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Training or inference: layers such as dropout and batch norm behave differently.
public enum Mode: Sendable { case training, inference }

/// A running layer: x [batch, inputs] -> y [batch, outputs] and back. A sample's values are one row, in
/// the order of its shape ([C, H, W] rows are channel after channel, row after row).
public protocol Layer<Scalar>: AnyObject {
    associatedtype Scalar: NNFloat
    var spec: any LayerSpec { get }
    var parameters: [Parameter<Scalar>] { get }
    /// State saved with the model but not trained (batch norm's running averages).
    var buffers: [Parameter<Scalar>] { get }
    func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar>
    /// Takes dL/dy, stores parameter gradients (overwriting), returns dL/dx.
    func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar>
    /// Which side of each kink the last forward pass was on (ReLU: the active units; max pooling: the
    /// winner of each window). A gradient check compares it before and after a step: a change means the
    /// step crossed a kink and the central difference is meaningless there. Empty for smooth layers.
    var kinkState: [Int32] { get }
}

extension Layer {
    public var buffers: [Parameter<Scalar>] { [] }
    public var kinkState: [Int32] { [] }
    /// Parameters, then buffers: every tensor the model file stores for this layer, in file order.
    public var storedTensors: [Parameter<Scalar>] { parameters + buffers }
}

/// A layer that can skip computing dL/dx: the network's first layer, whose dx nobody uses (a third of its
/// work in a dense layer, the whole col2im in a convolution).
public protocol SkippableInputGradient: AnyObject {
    var computesInputGradient: Bool { get set }
}
