// Dropout.swift: inverted dropout (the book's chapter 6), forward and backward side by side.

/// Inverted dropout with a drop ratio in [0, 1): identity at inference, any input shape.
public struct DropoutSpec: LayerSpec, Equatable {
    public var ratio: Double
    public init(ratio: Double) { self.ratio = ratio }

    public static let code: UInt8 = 4
    public static let sinceMinorVersion: UInt16 = 1
    public static let fieldKinds: [LayerField.Kind] = [.real]
    public var fields: [LayerField] { [.real(ratio)] }
    public init(fields: [LayerField]) throws(LayerSpecError) {
        guard case .real(let r) = fields[0], r >= 0, r < 1 else { throw LayerSpecError("a dropout ratio must be in [0, 1)") }
        self.init(ratio: r)
    }
    public var description: String { "dropout \(ratio)" }

    public func outputShape(for input: [Int]) throws(LayerSpecError) -> [Int] { input }

    public func makeLayer<T: NNFloat>(input: [Int], tensors: [Matrix<T>], index: Int) -> any Layer<T> {
        Dropout<T>(ratio: ratio)
    }
}

/// Inverted dropout: in training each unit is kept with probability 1 - ratio and scaled by 1/(1 - ratio),
/// so inference is the identity. The mask comes from the layer's own seeded generator.
public final class Dropout<Scalar: NNFloat>: Layer {
    public let ratio: Double
    public var rng: SeededGenerator
    /// Reuse the last mask instead of drawing a new one (gradient checks need a fixed mask).
    public var freezeMask = false
    private var mask: [Scalar] = []

    public init(ratio: Double, seed: UInt64 = 0) {
        precondition(ratio >= 0 && ratio < 1)
        self.ratio = ratio
        self.rng = SeededGenerator(seed: seed)
    }

    public var spec: any LayerSpec { DropoutSpec(ratio: ratio) }
    public var parameters: [Parameter<Scalar>] { [] }

    // forward: x [B, N] -> y [B, N]; y = x * mask / (1 - ratio) in training. The mask is drawn value by
    // value in storage order (the generator's stream is part of a checkpoint); the product runs in slices
    // over the threads for large batches.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        guard mode == .training, ratio > 0 else { return x }
        let n = x.count
        if !(freezeMask && mask.count == n) {
            // u * 2^-53 >= ratio for a 53-bit draw u exactly when u >= ceil(ratio * 2^53) (both sides exact)
            let keep = Scalar(1 / (1 - ratio)), threshold = UInt64((ratio * 0x1p53).rounded(.up))
            mask = [Scalar](unsafeUninitializedCapacity: n) { m, initialized in
                if let m = m.baseAddress { rng.withStateWords { Scalar.dropoutMask(n, state: $0, threshold: threshold, keep: keep, into: m) } }
                initialized = n
            }
        }
        return multiplied(x, by: mask)
    }

    // backward: dx = dout * mask / (1 - ratio)
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        guard ratio > 0, mask.count == dout.count else { return dout }
        return multiplied(dout, by: mask)
    }

    /// a * mask, value by value.
    @inline(__always)
    private func multiplied(_ a: Matrix<Scalar>, by mask: [Scalar]) -> Matrix<Scalar> {
        let n = a.count
        let out = [Scalar](unsafeUninitializedCapacity: n) { o, initialized in
            a.storage.withUnsafeBufferPointer { a in
                mask.withUnsafeBufferPointer { m in
                    let a = a.baseAddress!, m = m.baseAddress!, o = o.baseAddress!
                    elementSlices(n) { lo, hi in for i in lo..<hi { o[i] = a[i] * m[i] } }
                }
            }
            initialized = n
        }
        return Matrix(rows: a.rows, cols: a.cols, storage: out)
    }
}
