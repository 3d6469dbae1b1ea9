// Conv2D.swift: 2-D convolution (the book's chapter 7), lowered onto the GEMM kernels with im2col.
//
// Layout. A sample is [C, H, W] stored channel after channel, row after row. The layer works sample by
// sample: im2col turns sample s into col [K, P] (K = C*KH*KW taps, P = OH*OW output positions; column p
// holds the input patch under output position p, row (c, ky, kx) one tap of the kernel), then
//     y_s [F, P] = W [F, K] x col + b
// lands directly in the sample's output row (F channels of P values each: the [F, OH, OW] layout the next
// layer reads). The col matrix of one sample fits in L2 (225 KB for the README CNN's second layer), one per
// task, reused from batch to batch. Samples are shared out over the threads; the only sum across samples,
// the weight gradient, is summed in a fixed order (see groupSize), so every thread count gives the same bits.

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
    var paddedHeight: Int { height + 2 * padY }
    var paddedWidth: Int { width + 2 * padX }
    /// Values of one padded input sample.
    var paddedSize: Int { channels * paddedHeight * paddedWidth }

    /// For output column ox and kernel column kx: the input column, or nil in the padding.
    @inline(__always) func inputColumn(_ ox: Int, _ kx: Int) -> Int? {
        let ix = ox * strideX - padX + kx
        return ix >= 0 && ix < width ? ix : nil
    }
}

/// y = W * x + b over every window position (cross-correlation, as in the book and PyTorch).
public final class Conv2D<Scalar: NNFloat>: Layer, SkippableInputGradient {
    public let weight: Parameter<Scalar>   // W [F, C*KH*KW]
    public let bias: Parameter<Scalar>     // b [1, F]
    let window: Window
    /// The last input [B, C*H*W]: backward builds each sample's patches again from it (cheaper than keeping
    /// a [B, K, P] patch matrix, which would be 11 MB for a batch of 50 in the second layer of the README CNN).
    private var x = Matrix<Scalar>(rows: 0, cols: 0)
    /// Per task: col [K+1, P] and dcol [K, P] (K = C*KH*KW taps, P = OH*OW positions), a padded sample and
    /// its gradient.
    private let patches = ScratchBuffer<Scalar>()
    /// Per group of samples: [dW^T; db] [K+1, F], summed over the group's samples.
    private let partials = ScratchBuffer<Scalar>()
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

    /// Samples are shared out in more tasks than threads, so that a thread slowed by other processes on the
    /// machine does not hold up the batch (tasks are claimed as threads come free). Every sample's result is
    /// computed the same way in any task, so the split never shows in the numbers.
    private static func taskCount(_ items: Int) -> Int { min(items, 4 * max(1, Parallelism.threadCount)) }

    /// The weight gradient is a sum over samples. Each group of consecutive samples sums into its own
    /// partial, the partials are added in group order: the grouping depends on the batch size only, so the
    /// sum is the same on any number of threads. 16 groups are enough tasks for the threads and few
    /// partials to add (and bound their memory).
    private static func groupSize(_ batch: Int) -> Int { max(1, (batch + 15) / 16) }

    // forward, per sample s: x_s [C*H*W] -> col [K, P] (im2col) -> y_s [F, P] = W [F, K] col + b, written in
    // place in y [B, F*P] (a sample's F*P outputs are one row, channel after channel).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, mode: Mode) -> Matrix<Scalar> {
        let g = window, b = x.rows, p = g.positions, f = weight.value.rows, k = weight.value.cols
        let inSize = g.channels * g.height * g.width, outSize = f * p
        precondition(x.cols == inSize, "conv input has \(x.cols) values per sample, not \(inSize)")
        self.x = x
        let tasks = Conv2D.taskCount(b), perTask = k * p + g.paddedSize + 2 * runSlack
        let scratch = patches.pointer(count: max(tasks, 1) * perTask)
        let storage = [Scalar](unsafeUninitializedCapacity: b * outSize) { y, initialized in
            x.storage.withUnsafeBufferPointer { xs in
                weight.value.storage.withUnsafeBufferPointer { w in
                    bias.value.storage.withUnsafeBufferPointer { bv in
                        let xs = xs.baseAddress!, ys = y.baseAddress!, w = w.baseAddress!, bv = bv.baseAddress!
                        Parallelism.run(tasks) { t in
                            let col = scratch + t * perTask, xp = col + k * p + runSlack
                            for s in (b * t / tasks)..<(b * (t + 1) / tasks) {
                                pad(g, xs + s * inSize, xp)
                                im2col(g, xp, col)
                                let out = ys + s * outSize
                                for j in 0..<f { (out + j * p).initialize(repeating: bv[j], count: p) }
                                Scalar.gemmKernel(threads: 1, transA: false, transB: false, m: f, n: p, k: k, alpha: 1, a: w, lda: k,
                                                  b: col, ldb: p, beta: 1, c: out, ldc: p)
                            }
                        }
                    }
                }
            }
            initialized = b * outSize
        }
        return Matrix(rows: b, cols: outSize, storage: storage)
    }

    // backward, per sample s with d_s = dout_s [F, P]: col [K+1, P] = im2col(x_s) with a row of ones;
    // [dW^T; db] [K+1, F] += col d_s^T (summed per group, then over groups); dcol [K, P] = W^T [K, F] d_s;
    // dx_s [C*H*W] = col2im(dcol) (each input value gathers every tap it fed).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dout: Matrix<Scalar>) -> Matrix<Scalar> {
        let g = window, b = x.rows, p = g.positions, f = weight.value.rows, k = weight.value.cols
        let inSize = g.channels * g.height * g.width, outSize = f * p
        precondition(dout.rows == b && dout.cols == outSize, "conv backward: dout does not match the last forward")
        let groupSize = Conv2D.groupSize(b), groups = (b + groupSize - 1) / groupSize
        let partSize = (k + 1) * f
        let parts = partials.pointer(count: max(groups, 1) * partSize)
        let tasks = Conv2D.taskCount(groups)
        let perTask = (2 * k + 1) * p + 2 * g.paddedSize + 2 * runSlack
        let scratch = patches.pointer(count: max(tasks, 1) * perTask)

        // Everything per sample, on the tasks; dx (when wanted) is written sample by sample.
        func perSample(_ dx: UnsafeMutablePointer<Scalar>?) {
            x.storage.withUnsafeBufferPointer { xs in
                dout.storage.withUnsafeBufferPointer { ds in
                    weight.value.storage.withUnsafeBufferPointer { w in
                        let xs = xs.baseAddress!, ds = ds.baseAddress!, w = w.baseAddress!
                        Parallelism.run(tasks) { t in
                            // col's row of ones (row k) follows its taps: im2col may write past row k-1, so
                            // the row is filled after each im2col
                            let col = scratch + t * perTask, dcol = col + (k + 1) * p
                            let xp = dcol + k * p + runSlack, dxp = xp + g.paddedSize + runSlack
                            for group in (groups * t / tasks)..<(groups * (t + 1) / tasks) {
                                let part = parts + group * partSize
                                let first = group * groupSize
                                for s in first..<min(b, first + groupSize) {
                                    let d = ds + s * outSize
                                    pad(g, xs + s * inSize, xp)
                                    im2col(g, xp, col)
                                    (col + k * p).update(repeating: 1, count: p)
                                    Scalar.gemmKernel(threads: 1, transA: false, transB: true, m: k + 1, n: f, k: p, alpha: 1, a: col, lda: p,
                                                      b: d, ldb: p, beta: s == first ? 0 : 1, c: part, ldc: f)
                                    guard let dx else { continue }
                                    Scalar.gemmKernel(threads: 1, transA: true, transB: false, m: k, n: p, k: f, alpha: 1, a: w, lda: k,
                                                      b: d, ldb: p, beta: 0, c: dcol, ldc: p)
                                    dxp.initialize(repeating: 0, count: g.paddedSize)
                                    col2im(g, dcol, dxp)
                                    unpad(g, dxp, dx + s * inSize)
                                }
                            }
                        }
                    }
                }
            }
        }
        var dx = Matrix<Scalar>(rows: 0, cols: 0)
        if computesInputGradient {
            let storage = [Scalar](unsafeUninitializedCapacity: b * inSize) { buffer, initialized in
                if b > 0 { perSample(buffer.baseAddress!) }
                initialized = b * inSize
            }
            dx = Matrix(rows: b, cols: inSize, storage: storage)
        } else if b > 0 {
            perSample(nil)
        }

        // The partials summed in group order, element by element (split over threads by element), into
        // group 0's; then transposed into dW [F, K] and db [F].
        if groups > 1 {
            let chunks = min(Parallelism.threadCount, max(1, partSize / 4096))
            Parallelism.run(chunks) { c in
                let lo = partSize * c / chunks, hi = partSize * (c + 1) / chunks
                for group in 1..<groups {
                    let part = parts + group * partSize
                    for e in lo..<hi { parts[e] += part[e] }
                }
            }
        }
        weight.grad.storage.withUnsafeMutableBufferPointer { dw in
            for j in 0..<f { for i in 0..<k { dw[j * k + i] = b > 0 ? parts[i * f + j] : 0 } }
        }
        bias.grad.storage.withUnsafeMutableBufferPointer { db in
            for j in 0..<f { db[j] = b > 0 ? parts[k * f + j] : 0 }
        }
        return dx
    }
}

/// x [C, H, W] -> xp [C, H + 2 padY, W + 2 padX], zeros around: im2col then copies runs without bounds checks.
@inline(__always)
func pad<T: NNFloat>(_ g: Window, _ x: UnsafePointer<T>, _ xp: UnsafeMutablePointer<T>) {
    let hp = g.paddedHeight, wp = g.paddedWidth
    xp.initialize(repeating: 0, count: g.channels * hp * wp)
    for c in 0..<g.channels {
        for y in 0..<g.height {
            let src = x + (c * g.height + y) * g.width, dst = xp + (c * hp + y + g.padY) * wp + g.padX
            for i in 0..<g.width { dst[i] = src[i] }
        }
    }
}

/// Values im2col may write past the end of col, and read past the end of the padded input (its runs are
/// copied in whole blocks of 8): the scratch leaves this much room after each.
let runSlack = 8

/// dst[0..<n] = src[0..<n], in blocks of 8 values: writes and reads up to 7 values past n (what it writes
/// there is overwritten by the next run or lands in the slack).
@inline(__always)
func copyRun<T: NNFloat>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, _ n: Int) {
    var i = 0
    if T.self == Float.self {
        let d = UnsafeMutableRawPointer(dst), s = UnsafeRawPointer(src)
        while i < n {
            d.storeBytes(of: s.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self), toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
    } else {
        while i < n {
            for j in 0..<8 { dst[i + j] = src[i + j] }
            i += 8
        }
    }
}

/// dst[0..<n] += src[0..<n] (exactly n values: the neighbours are other inputs' sums).
@inline(__always)
func addRun<T: NNFloat>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, _ n: Int) {
    var i = 0
    if T.self == Float.self {
        let d = UnsafeMutableRawPointer(dst), s = UnsafeRawPointer(src)
        while i + 8 <= n {
            let sum = d.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) + s.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            d.storeBytes(of: sum, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        if i + 4 <= n {
            let sum = d.loadUnaligned(fromByteOffset: i * 4, as: SIMD4<Float>.self) + s.loadUnaligned(fromByteOffset: i * 4, as: SIMD4<Float>.self)
            d.storeBytes(of: sum, toByteOffset: i * 4, as: SIMD4<Float>.self)
            i += 4
        }
    }
    while i < n {
        dst[i] += src[i]
        i += 1
    }
}

/// One sample's patches: xp [C, H + 2 padY, W + 2 padX] (padded) -> col [K, P], row (c, ky, kx), column
/// (oy, ox) = xp[c, oy*strideY + ky, ox*strideX + kx]: OH runs of OW values per row. With stride 1 each run
/// is a block copy that may write up to 7 values past col's end and read up to 7 past xp's (runSlack).
@inline(__always)
func im2col<T: NNFloat>(_ g: Window, _ xp: UnsafePointer<T>, _ col: UnsafeMutablePointer<T>) {
    let hp = g.paddedHeight, wp = g.paddedWidth, oh = g.outHeight, ow = g.outWidth, sx = g.strideX, rowStep = g.strideY * wp
    var dst = col
    for c in 0..<g.channels {
        for ky in 0..<g.kernelHeight {
            for kx in 0..<g.kernelWidth {
                var src = xp + (c * hp + ky) * wp + kx
                if sx == 1 {
                    for _ in 0..<oh {
                        copyRun(dst, src, ow)
                        dst += ow
                        src += rowStep
                    }
                } else {
                    for _ in 0..<oh {
                        for i in 0..<ow { dst[i] = src[i &* sx] }
                        dst += ow
                        src += rowStep
                    }
                }
            }
        }
    }
}

/// The adjoint of im2col for one sample: dxp [C, H + 2 padY, W + 2 padX] (starting at 0) gathers every
/// dcol entry its value was copied to.
@inline(__always)
func col2im<T: NNFloat>(_ g: Window, _ dcol: UnsafePointer<T>, _ dxp: UnsafeMutablePointer<T>) {
    let hp = g.paddedHeight, wp = g.paddedWidth, oh = g.outHeight, ow = g.outWidth, sx = g.strideX, rowStep = g.strideY * wp
    var src = dcol
    for c in 0..<g.channels {
        for ky in 0..<g.kernelHeight {
            for kx in 0..<g.kernelWidth {
                var dst = dxp + (c * hp + ky) * wp + kx
                for _ in 0..<oh {
                    if sx == 1 {
                        addRun(dst, src, ow)
                    } else {
                        for i in 0..<ow { dst[i &* sx] += src[i] }
                    }
                    src += ow
                    dst += rowStep
                }
            }
        }
    }
}

/// dxp [C, H + 2 padY, W + 2 padX] -> dx [C, H, W]: the padding's gradients are dropped.
@inline(__always)
func unpad<T: NNFloat>(_ g: Window, _ dxp: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>) {
    let hp = g.paddedHeight, wp = g.paddedWidth
    for c in 0..<g.channels {
        for y in 0..<g.height {
            let src = dxp + (c * hp + y + g.padY) * wp + g.padX, dst = dx + (c * g.height + y) * g.width
            for i in 0..<g.width { dst[i] = src[i] }
        }
    }
}
