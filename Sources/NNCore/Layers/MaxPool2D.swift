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

    /// Windows of x whose largest value occurs more than once: ties, where a step that breaks the tie the
    /// other way changes the winner (a kink the gradient check must skip, and reports).
    public func tiedWindows(_ x: Matrix<Scalar>) -> Int {
        let g = window
        var ties = 0
        for s in 0..<x.rows {
            for c in 0..<g.channels {
                for oy in 0..<g.outHeight {
                    for ox in 0..<g.outWidth {
                        var best = -Scalar.infinity, count = 0
                        for ky in 0..<g.kernelHeight {
                            let iy = oy * g.strideY - g.padY + ky
                            if iy < 0 || iy >= g.height { continue }
                            for kx in 0..<g.kernelWidth {
                                guard let ix = g.inputColumn(ox, kx) else { continue }
                                let v = x[s, (c * g.height + iy) * g.width + ix]
                                if v > best { best = v; count = 1 } else if v == best { count += 1 }
                            }
                        }
                        if count > 1 { ties += 1 }
                    }
                }
            }
        }
        return ties
    }

    // forward: x [B, C*H*W] -> y [B, C*OH*OW]; padding never wins. Samples are shared out over the threads.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        let g = window, b = x.rows, perSample = g.channels * g.positions, inSize = x.cols
        precondition(inSize == g.channels * g.height * g.width, "max-pool input has \(inSize) values per sample")
        inputSize = inSize
        let tasks = min(b, 4 * Parallelism.threadCount)
        var y = [Scalar]()
        winners = [Int32](unsafeUninitializedCapacity: b * perSample) { ws, n in
            y = [Scalar](unsafeUninitializedCapacity: b * perSample) { ys, m in
                x.storage.withUnsafeBufferPointer { xs in
                    let xs = xs.baseAddress!, ys = ys.baseAddress!, ws = ws.baseAddress!
                    Parallelism.run(tasks) { t in
                        for s in (b * t / tasks)..<(b * (t + 1) / tasks) {
                            maxPool(g, xs + s * inSize, ys + s * perSample, ws + s * perSample)
                        }
                    }
                }
                m = b * perSample
            }
            n = b * perSample
        }
        return Matrix(rows: b, cols: perSample, storage: y)
    }

    // backward: dx [B, C*H*W] is 0 except at each window's winner, which gets the window's dout (the sum of
    // them where windows overlap).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        let b = dout.rows, perSample = dout.cols, inSize = inputSize
        precondition(winners.count == b * perSample, "max-pool backward: dout does not match the last forward")
        let tasks = min(b, 4 * Parallelism.threadCount)
        let dx = [Scalar](unsafeUninitializedCapacity: b * inSize) { dxs, n in
            dout.storage.withUnsafeBufferPointer { d in
                winners.withUnsafeBufferPointer { ws in
                    let d = d.baseAddress!, ws = ws.baseAddress!, dxs = dxs.baseAddress!
                    Parallelism.run(tasks) { t in
                        for s in (b * t / tasks)..<(b * (t + 1) / tasks) {
                            let out = dxs + s * inSize, from = d + s * perSample, w = ws + s * perSample
                            out.initialize(repeating: 0, count: inSize)
                            for o in 0..<perSample { out[Int(w[o])] += from[o] }
                        }
                    }
                }
            }
            n = b * inSize
        }
        return Matrix(rows: b, cols: inSize, storage: dx)
    }
}

/// One sample: x [C, H, W] -> y [C, OH, OW] and the index in x of each window's winner (the first of equal
/// values, in row-major order within the window).
@inline(__always)
func maxPool<T: NNFloat>(_ g: Window, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ winner: UnsafeMutablePointer<Int32>) {
    let oh = g.outHeight, ow = g.outWidth, w = g.width
    var o = 0
    if g.padY == 0 && g.padX == 0 && g.kernelHeight == 2 && g.kernelWidth == 2 {
        // the usual 2x2 window: every tap inside the input, four compares
        for c in 0..<g.channels {
            for oy in 0..<oh {
                let top = (c * g.height + oy * g.strideY) * w
                for ox in 0..<ow {
                    let i = top + ox * g.strideX
                    // selects, not branches: which tap wins is data, and mispredicts as such
                    var best = x[i], at = i
                    let v1 = x[i + 1], v2 = x[i + w], v3 = x[i + w + 1]
                    let w1 = v1 > best
                    best = w1 ? v1 : best
                    at = w1 ? i + 1 : at
                    let w2 = v2 > best
                    best = w2 ? v2 : best
                    at = w2 ? i + w : at
                    let w3 = v3 > best
                    best = w3 ? v3 : best
                    at = w3 ? i + w + 1 : at
                    y[o] = best
                    winner[o] = Int32(truncatingIfNeeded: at)
                    o += 1
                }
            }
        }
        return
    }
    for c in 0..<g.channels {
        for oy in 0..<oh {
            for ox in 0..<ow {
                var best = -T.infinity, at = -1
                for ky in 0..<g.kernelHeight {
                    let iy = oy * g.strideY - g.padY + ky
                    if iy < 0 || iy >= g.height { continue }
                    for kx in 0..<g.kernelWidth {
                        let ix = ox * g.strideX - g.padX + kx
                        if ix < 0 || ix >= w { continue }
                        let i = (c * g.height + iy) * w + ix
                        if at < 0 || x[i] > best { best = x[i]; at = i }
                    }
                }
                y[o] = best
                winner[o] = Int32(truncatingIfNeeded: at)
                o += 1
            }
        }
    }
}

