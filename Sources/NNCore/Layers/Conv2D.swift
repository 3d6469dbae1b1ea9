// Conv2D.swift: 2-D convolution (the book's chapter 7), lowered onto the GEMM kernels with im2col.
//
// Layout. A sample is [C, H, W] stored channel after channel, row after row. For a batch of B samples the
// layer builds col [C*KH*KW, B*P] (P = OH*OW output positions): column b*P + p holds the input patch under
// output position p of sample b, row (c, ky, kx) one tap of the kernel. Then
//     out [F, B*P] = W [F, C*KH*KW] x col + b,
// and y [B, F*P] is out with its two outer axes swapped. Rows of col are filled with runs of OW values
// (contiguous in the input when the stride is 1), and a sample's columns are its own, so im2col and its
// adjoint col2im run sample by sample on every thread with the same result on any thread count.

/// F filters of KH x KW over C input channels, with a stride and zero padding on each side.
public struct Conv2DSpec: LayerSpec, Equatable {
    public var inputChannels: Int
    public var filters: Int
    public var kernelHeight: Int, kernelWidth: Int
    public var strideY: Int, strideX: Int
    public var padY: Int, padX: Int

    /// A square kernel; padding (k - 1) / 2 ('same' for odd k at stride 1) unless given.
    public init(inputChannels: Int, filters: Int, kernel: Int, stride: Int = 1, padding: Int? = nil) {
        self.init(inputChannels: inputChannels, filters: filters, kernelHeight: kernel, kernelWidth: kernel,
                  strideY: stride, strideX: stride, padY: padding ?? (kernel - 1) / 2, padX: padding ?? (kernel - 1) / 2)
    }

    public init(inputChannels: Int, filters: Int, kernelHeight: Int, kernelWidth: Int, strideY: Int, strideX: Int, padY: Int, padX: Int) {
        self.inputChannels = inputChannels
        self.filters = filters
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideY = strideY
        self.strideX = strideX
        self.padY = padY
        self.padX = padX
    }

    public static let code: UInt8 = 5
    public static let sinceMinorVersion: UInt16 = 2
    public static let fieldKinds: [LayerField.Kind] = Array(repeating: .count, count: 8)
    public var fields: [LayerField] {
        [inputChannels, filters, kernelHeight, kernelWidth, strideY, strideX, padY, padX].map { .count($0) }
    }
    public init(fields: [LayerField]) throws(LayerSpecError) {
        let v = fields.compactMap { f -> Int? in if case .count(let n) = f { return n } else { return nil } }
        guard v.count == 8, v[0] > 0, v[1] > 0, v[2] > 0, v[3] > 0, v[4] > 0, v[5] > 0 else {
            throw LayerSpecError("a convolution needs positive channels, filters, kernel and stride")
        }
        guard v[6] < v[2], v[7] < v[3] else { throw LayerSpecError("a convolution's padding must be smaller than its kernel") }
        self.init(inputChannels: v[0], filters: v[1], kernelHeight: v[2], kernelWidth: v[3], strideY: v[4], strideX: v[5], padY: v[6], padX: v[7])
    }

    public var description: String {
        "conv \(filters) filters \(kernelHeight)x\(kernelWidth)" + (strideY == 1 && strideX == 1 ? "" : " stride \(strideY)x\(strideX)")
            + " padding \(padY)x\(padX)"
    }
    public var startsNewIndex: Bool { true }

    /// "conv32k5"; "s2", "p0" when stride and padding differ from the defaults; nil for a shape the
    /// grammar cannot write (a non-square kernel).
    public var token: String? {
        guard kernelHeight == kernelWidth, strideY == strideX, padY == padX else { return "conv\(filters)k\(kernelHeight)x\(kernelWidth)" }
        return "conv\(filters)k\(kernelHeight)" + (strideY == 1 ? "" : "s\(strideY)") + (padY == (kernelHeight - 1) / 2 ? "" : "p\(padY)")
    }

    public func outputShape(for input: [Int]) throws(LayerSpecError) -> [Int] {
        guard input.count == 3 else { throw LayerSpecError("needs an image input [C, H, W], not \(CheckedSize.shape(input))") }
        guard input[0] == inputChannels else {
            throw LayerSpecError("takes \(inputChannels) channels, the layer before gives \(input[0])")
        }
        let h = input[1] + 2 * padY, w = input[2] + 2 * padX
        guard h >= kernelHeight, w >= kernelWidth else {
            throw LayerSpecError("has a \(kernelHeight)x\(kernelWidth) kernel, larger than its padded \(h)x\(w) input")
        }
        return [filters, (h - kernelHeight) / strideY + 1, (w - kernelWidth) / strideX + 1]
    }

    public func tensors(for input: [Int]) -> [TensorSpec] {
        let taps = inputChannels * kernelHeight * kernelWidth
        return [TensorSpec("W", rows: filters, cols: taps, role: .weight(fanIn: taps)),
                TensorSpec("b", rows: 1, cols: filters, role: .bias)]
    }

    public func makeLayer<T: NNFloat>(input: [Int], tensors: [Matrix<T>], index: Int) -> any Layer<T> {
        Conv2D(spec: self, input: input, weight: tensors[0], bias: tensors[1], index: index)
    }
}

/// The geometry of one convolution or pooling window over a [C, H, W] input.
struct Window: Sendable {
    var channels, height, width: Int
    var kernelHeight, kernelWidth, strideY, strideX, padY, padX: Int
    var outHeight: Int { (height + 2 * padY - kernelHeight) / strideY + 1 }
    var outWidth: Int { (width + 2 * padX - kernelWidth) / strideX + 1 }
    var positions: Int { outHeight * outWidth }

    /// For output column ox and kernel column kx: the input column, or nil in the padding.
    @inline(__always) func inputColumn(_ ox: Int, _ kx: Int) -> Int? {
        let ix = ox * strideX - padX + kx
        return ix >= 0 && ix < width ? ix : nil
    }

    /// The output columns ox whose input column for kernel column kx lies inside the image: a range.
    @inline(__always) func validColumns(_ kx: Int) -> Range<Int> {
        // ox * strideX - padX + kx in [0, width)  <=>  ox in [ceil((padX - kx) / strideX), ceil((width + padX - kx) / strideX))
        func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
        let lo = max(0, ceilDiv(padX - kx, strideX)), hi = min(outWidth, ceilDiv(width + padX - kx, strideX))
        return lo..<max(lo, hi)
    }
}

/// y = W * x + b over every window position (cross-correlation, as in the book and PyTorch).
public final class Conv2D<Scalar: NNFloat>: Layer, SkippableInputGradient {
    public let weight: Parameter<Scalar>   // W [F, C*KH*KW]
    public let bias: Parameter<Scalar>     // b [1, F]
    let window: Window
    private var col = Matrix<Scalar>(rows: 0, cols: 0)   // [C*KH*KW, B*P], kept for backward
    private var batch = 0
    public var computesInputGradient = true

    public init(spec: Conv2DSpec, input: [Int], weight: Matrix<Scalar>, bias: Matrix<Scalar>, index: Int) {
        precondition(input.count == 3 && weight.rows == spec.filters && bias.cols == spec.filters)
        window = Window(channels: input[0], height: input[1], width: input[2], kernelHeight: spec.kernelHeight,
                        kernelWidth: spec.kernelWidth, strideY: spec.strideY, strideX: spec.strideX, padY: spec.padY, padX: spec.padX)
        self.weight = Parameter(name: "W\(index)", value: weight, role: .weight(fanIn: weight.cols))
        self.bias = Parameter(name: "b\(index)", value: bias, role: .bias)
    }

    public var spec: any LayerSpec {
        Conv2DSpec(inputChannels: window.channels, filters: weight.value.rows, kernelHeight: window.kernelHeight,
                   kernelWidth: window.kernelWidth, strideY: window.strideY, strideX: window.strideX, padY: window.padY, padX: window.padX)
    }
    public var parameters: [Parameter<Scalar>] { [weight, bias] }

    // forward: x [B, C*H*W] -> col [C*KH*KW, B*P] -> out [F, B*P] = W col + b -> y [B, F*P]
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        let g = window, b = x.rows, p = g.positions, f = weight.value.rows
        batch = b
        col = Matrix(rows: g.channels * g.kernelHeight * g.kernelWidth, cols: b * p)
        x.storage.withUnsafeBufferPointer { xs in
            col.storage.withUnsafeMutableBufferPointer { cs in
                let xs = xs.baseAddress!, cs = cs.baseAddress!
                Parallelism.run(b) { s in im2col(g, xs + s * g.channels * g.height * g.width, cs + s * p, rowStride: b * p) }
            }
        }
        var out = Matrix<Scalar>(rows: f, cols: b * p)
        bias.value.storage.withUnsafeBufferPointer { bv in
            out.storage.withUnsafeMutableBufferPointer { o in
                for j in 0..<f { for i in 0..<(b * p) { o[j * b * p + i] = bv[j] } }
            }
        }
        gemm(weight.value, col, into: &out, beta: 1)
        return swapOuterAxes(out, f, b, p)
    }

    // backward: dout [B, F*P] -> d [F, B*P]; dW = d col^T [F, C*KH*KW]; db = row sums of d [F];
    // dcol = W^T d [C*KH*KW, B*P]; dx = col2im(dcol) [B, C*H*W] (each input value gathers every tap it fed).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        let g = window, b = batch, p = g.positions, f = weight.value.rows
        let d = swapOuterAxes(dout, b, f, p)
        gemm(d, col, transposeB: true, into: &weight.grad)
        d.storage.withUnsafeBufferPointer { ds in
            bias.grad.storage.withUnsafeMutableBufferPointer { db in
                for j in 0..<f {
                    var s: Scalar = 0
                    for i in 0..<(b * p) { s += ds[j * b * p + i] }
                    db[j] = s
                }
            }
        }
        if !computesInputGradient { return Matrix(rows: 0, cols: 0) }
        let dcol = matmul(weight.value, transposeA: true, d)
        var dx = Matrix<Scalar>(rows: b, cols: g.channels * g.height * g.width)
        dcol.storage.withUnsafeBufferPointer { cs in
            dx.storage.withUnsafeMutableBufferPointer { xs in
                let cs = cs.baseAddress!, xs = xs.baseAddress!
                Parallelism.run(b) { s in col2im(g, cs + s * p, xs + s * g.channels * g.height * g.width, rowStride: b * p) }
            }
        }
        return dx
    }
}

/// Writes one sample's patches: x [C, H, W] -> col rows (c, ky, kx), columns 0..<P of this sample (each
/// row `rowStride` apart). Padding reads as 0.
@inline(__always)
func im2col<T: NNFloat>(_ g: Window, _ x: UnsafePointer<T>, _ col: UnsafeMutablePointer<T>, rowStride: Int) {
    let ow = g.outWidth
    var row = 0
    for c in 0..<g.channels {
        for ky in 0..<g.kernelHeight {
            for kx in 0..<g.kernelWidth {
                let dst = col + row * rowStride
                let valid = g.validColumns(kx)
                for oy in 0..<g.outHeight {
                    let out = dst + oy * ow
                    let iy = oy * g.strideY - g.padY + ky
                    guard iy >= 0 && iy < g.height else {
                        for ox in 0..<ow { out[ox] = 0 }
                        continue
                    }
                    let src = x + (c * g.height + iy) * g.width
                    for ox in 0..<valid.lowerBound { out[ox] = 0 }
                    if g.strideX == 1 {
                        let shift = kx - g.padX
                        for ox in valid { out[ox] = src[ox + shift] }
                    } else {
                        for ox in valid { out[ox] = src[ox * g.strideX - g.padX + kx] }
                    }
                    for ox in valid.upperBound..<ow { out[ox] = 0 }
                }
                row += 1
            }
        }
    }
}

/// The adjoint of im2col for one sample: dx [C, H, W] = sum of the dcol entries each input value was
/// copied to (dx starts at 0; padding entries are dropped).
@inline(__always)
func col2im<T: NNFloat>(_ g: Window, _ dcol: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, rowStride: Int) {
    let ow = g.outWidth
    var row = 0
    for c in 0..<g.channels {
        for ky in 0..<g.kernelHeight {
            for kx in 0..<g.kernelWidth {
                let src = dcol + row * rowStride
                let valid = g.validColumns(kx)
                for oy in 0..<g.outHeight {
                    let iy = oy * g.strideY - g.padY + ky
                    guard iy >= 0 && iy < g.height else { continue }
                    let dst = dx + (c * g.height + iy) * g.width
                    let from = src + oy * ow
                    for ox in valid { dst[ox * g.strideX - g.padX + kx] += from[ox] }
                }
                row += 1
            }
        }
    }
}

/// [A, B*P] <-> [B, A*P]: element (a, b, p) moves from a*B*P + b*P + p to b*A*P + a*P + p (runs of P).
func swapOuterAxes<T: NNFloat>(_ m: Matrix<T>, _ a: Int, _ b: Int, _ p: Int) -> Matrix<T> {
    var out = Matrix<T>(rows: b, cols: a * p)
    m.storage.withUnsafeBufferPointer { src in
        out.storage.withUnsafeMutableBufferPointer { dst in
            for i in 0..<a {
                for j in 0..<b {
                    let s = src.baseAddress! + (i * b + j) * p, d = dst.baseAddress! + (j * a + i) * p
                    for k in 0..<p { d[k] = s[k] }
                }
            }
        }
    }
    return out
}
