// Flatten.swift: the step from the spatial part of a network to its dense layers. A sample is already
// stored as one row, so the values do not move: only the shape changes, [C, H, W] -> [C*H*W].

/// Any input shape -> [its number of values].
public struct FlattenSpec: LayerSpec, Equatable {
    public init() {}

    public static let code: UInt8 = 8
    public static let sinceMinorVersion: UInt16 = 2
    public static let fieldKinds: [LayerField.Kind] = []
    public var fields: [LayerField] { [] }
    public init(fields: [LayerField]) throws(LayerSpecError) { self.init() }
    public var description: String { "flatten" }

    public func outputShape(for input: [Int]) throws(LayerSpecError) -> [Int] {
        guard let n = CheckedSize.productOrNil(input) else { throw LayerSpecError("has too many inputs") }
        return [n]
    }

    public func makeLayer<T: NNFloat>(input: [Int], tensors: [Matrix<T>], index: Int) -> any Layer<T> { Flatten<T>() }
}

/// y = x; dx = dout.
public final class Flatten<Scalar: NNFloat>: Layer {
    public init() {}
    public var spec: any LayerSpec { FlattenSpec() }
    public var parameters: [Parameter<Scalar>] { [] }
    // forward: x [B, N] -> y [B, N] (N = C*H*W either way)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> { x }
    // backward: dx = dout
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> { dout }
}
