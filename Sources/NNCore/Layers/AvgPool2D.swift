// AvgPool2D.swift: average pooling, forward and backward side by side.

/// The mean of each window, channel by channel; padding counts as absent (the divisor is the number of
/// input values in the window, ONNX AveragePool's count_include_pad = 0).
public struct AvgPool2DSpec: LayerSpec, Equatable {
    public var geometry: PoolingGeometry
    public init(_ geometry: PoolingGeometry) { self.geometry = geometry }

    public static let code: UInt8 = 7
    public static let sinceMinorVersion: UInt16 = 2
    public static let fieldKinds = PoolingGeometry.fieldKinds
    public var fields: [LayerField] { geometry.fields }
    public init(fields: [LayerField]) throws(LayerSpecError) { self.init(try PoolingGeometry(fields: fields, kind: "average pooling")) }
    public var description: String { "avg-pool \(geometry.text)" }
    public var token: String? { geometry.token.map { "avgpool" + $0 } }

    public func outputShape(for input: [Int]) throws(LayerSpecError) -> [Int] { try geometry.outputShape(for: input, kind: "average pooling") }

    public func makeLayer<T: NNFloat>(input: [Int], tensors: [Matrix<T>], index: Int) -> any Layer<T> {
        AvgPool2D<T>(spec: self, input: input)
    }
}

/// y = mean over each window. Smooth: nothing to cache but the input size.
public final class AvgPool2D<Scalar: NNFloat>: Layer {
    let pool: AvgPool2DSpec
    let window: Window
    private var inputSize = 0

    public init(spec: AvgPool2DSpec, input: [Int]) {
        pool = spec
        window = spec.geometry.window(input)
    }

    public var spec: any LayerSpec { pool }
    public var parameters: [Parameter<Scalar>] { [] }

    /// Calls body(o, i, weight) for every input value i of output value o's window, in a fixed order:
    /// weight = 1 / (the number of the window's inputs inside the image).
    @inline(__always)
    private func forEachTap(_ body: (Int, Int, Scalar) -> Void) {
        let g = window, oh = g.outHeight, ow = g.outWidth
        for c in 0..<g.channels {
            for oy in 0..<oh {
                let y0 = max(0, oy * g.strideY - g.padY), y1 = min(g.height, oy * g.strideY - g.padY + g.kernelHeight)
                for ox in 0..<ow {
                    let x0 = max(0, ox * g.strideX - g.padX), x1 = min(g.width, ox * g.strideX - g.padX + g.kernelWidth)
                    let weight = 1 / Scalar((y1 - y0) * (x1 - x0))
                    let o = (c * oh + oy) * ow + ox
                    for iy in y0..<y1 { for ix in x0..<x1 { body(o, (c * g.height + iy) * g.width + ix, weight) } }
                }
            }
        }
    }

    // forward: x [B, C*H*W] -> y [B, C*OH*OW], y = sum of the window's inputs / their count.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        let perSample = window.channels * window.outHeight * window.outWidth
        inputSize = x.cols
        var y = Matrix<Scalar>(rows: x.rows, cols: perSample)
        x.storage.withUnsafeBufferPointer { xs in
            y.storage.withUnsafeMutableBufferPointer { ys in
                for s in 0..<x.rows {
                    let xi = xs.baseAddress! + s * x.cols, yo = ys.baseAddress! + s * perSample
                    forEachTap { o, i, w in yo[o] += w * xi[i] }
                }
            }
        }
        return y
    }

    // backward: each input value gets dout / count from every window it is in.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        var dx = Matrix<Scalar>(rows: dout.rows, cols: inputSize)
        dout.storage.withUnsafeBufferPointer { ds in
            dx.storage.withUnsafeMutableBufferPointer { dxs in
                for s in 0..<dout.rows {
                    let xi = dxs.baseAddress! + s * inputSize, yo = ds.baseAddress! + s * dout.cols
                    forEachTap { o, i, w in xi[i] += w * yo[o] }
                }
            }
        }
        return dx
    }
}
