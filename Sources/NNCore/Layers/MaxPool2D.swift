// MaxPool2D.swift: max pooling (the book's chapter 7), forward and backward side by side.

/// The largest value of each window, channel by channel.
public struct MaxPool2DSpec: LayerSpec, Equatable {
    public var geometry: PoolingGeometry
    public init(_ geometry: PoolingGeometry) { self.geometry = geometry }

    public static let code: UInt8 = 6
    public static let sinceMinorVersion: UInt16 = 2
    public static let fieldKinds = PoolingGeometry.fieldKinds
    public var fields: [LayerField] { geometry.fields }
    public init(fields: [LayerField]) throws(LayerSpecError) { self.init(try PoolingGeometry(fields: fields, kind: "max pooling")) }
    public var description: String { "max-pool \(geometry.text)" }
    public var token: String? { geometry.token.map { "maxpool" + $0 } }

    public func outputShape(for input: [Int]) throws(LayerSpecError) -> [Int] { try geometry.outputShape(for: input, kind: "max pooling") }

    public func makeLayer<T: NNFloat>(input: [Int], tensors: [Matrix<T>], index: Int) -> any Layer<T> {
        MaxPool2D<T>(spec: self, input: input)
    }
}

/// y = max over each window. Caches, per output value, the index (in its sample) of the input that won.
public final class MaxPool2D<Scalar: NNFloat>: Layer {
    let pool: MaxPool2DSpec
    let window: Window
    private var winners: [Int32] = []   // [B, C*OH*OW]
    private var inputSize = 0

    public init(spec: MaxPool2DSpec, input: [Int]) {
        pool = spec
        window = spec.geometry.window(input)
    }

    public var spec: any LayerSpec { pool }
    public var parameters: [Parameter<Scalar>] { [] }
    /// The winner of every window: a step that changes one crossed a kink (ties included: the first of
    /// equal values wins, and a step that breaks the tie the other way changes the winner).
    public var kinkState: [Int32] { winners }

    // forward: x [B, C*H*W] -> y [B, C*OH*OW]; padding never wins.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        let g = window, b = x.rows, oh = g.outHeight, ow = g.outWidth, perSample = g.channels * oh * ow
        inputSize = x.cols
        var y = Matrix<Scalar>(rows: b, cols: perSample)
        winners = [Int32](repeating: 0, count: b * perSample)
        x.storage.withUnsafeBufferPointer { xs in
            y.storage.withUnsafeMutableBufferPointer { ys in
                winners.withUnsafeMutableBufferPointer { ws in
                    for s in 0..<b {
                        let xin = xs.baseAddress! + s * x.cols
                        for c in 0..<g.channels {
                            for oy in 0..<oh {
                                for ox in 0..<ow {
                                    var best = -Scalar.infinity, at = -1
                                    for ky in 0..<g.kernelHeight {
                                        let iy = oy * g.strideY - g.padY + ky
                                        if iy < 0 || iy >= g.height { continue }
                                        for kx in 0..<g.kernelWidth {
                                            guard let ix = g.inputColumn(ox, kx) else { continue }
                                            let i = (c * g.height + iy) * g.width + ix
                                            if at < 0 || xin[i] > best { best = xin[i]; at = i }
                                        }
                                    }
                                    let o = s * perSample + (c * oh + oy) * ow + ox
                                    ys[o] = best
                                    ws[o] = Int32(at)
                                }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    // backward: dx [B, C*H*W] is 0 except at each window's winner, which gets the window's dout.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        var dx = Matrix<Scalar>(rows: dout.rows, cols: inputSize)
        let perSample = dout.cols
        dout.storage.withUnsafeBufferPointer { d in
            dx.storage.withUnsafeMutableBufferPointer { dxs in
                for s in 0..<dout.rows {
                    for o in 0..<perSample { dxs[s * inputSize + Int(winners[s * perSample + o])] += d[s * perSample + o] }
                }
            }
        }
        return dx
    }
}
