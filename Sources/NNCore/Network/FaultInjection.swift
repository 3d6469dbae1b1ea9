// FaultInjection.swift: deliberately wrong backward passes, so that the gradient check can prove it fails.
// Used only by `nn-gradcheck --fault NAME` (a hidden option) and the test suite; never by training.

/// A known bug to plant in a network.
public enum Fault: String, CaseIterable, Sendable {
    /// Sigmoid backward forgets the (1 - y) factor: dx = dout * y.
    case sigmoidDropsFactor = "sigmoid-drops-factor"
    /// ReLU backward lets every gradient through: dx = dout.
    case reluPassesAll = "relu-passes-all"
    /// The last affine layer's bias gradient is halved.
    case lastBiasHalved = "last-bias-halved"
    /// The last convolution's input gradient misses one kernel tap (channel 0, the top-left weight), as a
    /// col2im whose loop stops one short would: the layers below it get wrong gradients.
    case convDropsInputGradientTap = "conv-drops-input-gradient-tap"
    /// Max pooling's backward sends each window's gradient to the window's first input instead of its
    /// largest: the layers below it get wrong gradients (except where the first input won).
    case maxPoolRoutesToFirst = "maxpool-routes-to-first"

    /// The same network with the fault planted (layers are replaced, parameters shared).
    public func plant(in network: Network<Double>) -> Network<Double> {
        var layers = network.layers
        switch self {
        case .sigmoidDropsFactor:
            layers = layers.map { $0 is Sigmoid<Double> ? FaultySigmoid() : $0 }
        case .reluPassesAll:
            layers = layers.map { $0 is ReLU<Double> ? FaultyReLU() : $0 }
        case .lastBiasHalved:
            if let i = layers.lastIndex(where: { $0 is Affine<Double> }) {
                layers[i] = HalvedBiasAffine(layers[i] as! Affine<Double>)
            }
        case .convDropsInputGradientTap:
            if let i = layers.lastIndex(where: { $0 is Conv2D<Double> }) {
                layers[i] = TapDroppingConv(layers[i] as! Conv2D<Double>)
            }
        case .maxPoolRoutesToFirst:
            layers = layers.map { ($0 as? MaxPool2D<Double>).map { FirstRoutingMaxPool($0) } ?? $0 }
        }
        let faulty = Network(inputShape: network.inputShape, layers: layers, output: network.output)
        faulty.weightDecay = network.weightDecay
        return faulty
    }
}

final class FaultySigmoid: Layer {
    private let inner = Sigmoid<Double>()
    private var y = Matrix<Double>(rows: 0, cols: 0)
    var spec: any LayerSpec { inner.spec }
    var parameters: [Parameter<Double>] { [] }
    func forward(_ x: Matrix<Double>, mode: Mode) -> Matrix<Double> {
        y = inner.forward(x, mode: mode)
        return y
    }
    func backward(_ dout: Matrix<Double>) -> Matrix<Double> {
        var dx = dout
        for i in 0..<dx.count { dx.storage[i] *= y.storage[i] }   // BUG on purpose: should be y * (1 - y)
        return dx
    }
}

final class FaultyReLU: Layer {
    private let inner = ReLU<Double>()
    var spec: any LayerSpec { inner.spec }
    var parameters: [Parameter<Double>] { [] }
    var kinkState: [Int32] { inner.kinkState }
    func forward(_ x: Matrix<Double>, mode: Mode) -> Matrix<Double> { inner.forward(x, mode: mode) }
    func backward(_ dout: Matrix<Double>) -> Matrix<Double> { dout }   // BUG on purpose: no mask
}

final class HalvedBiasAffine: Layer {
    private let inner: Affine<Double>
    init(_ inner: Affine<Double>) { self.inner = inner }
    var spec: any LayerSpec { inner.spec }
    var parameters: [Parameter<Double>] { inner.parameters }
    func forward(_ x: Matrix<Double>, mode: Mode) -> Matrix<Double> { inner.forward(x, mode: mode) }
    func backward(_ dout: Matrix<Double>) -> Matrix<Double> {
        let dx = inner.backward(dout)
        for i in 0..<inner.bias.grad.count { inner.bias.grad.storage[i] *= 0.5 }   // BUG on purpose
        return dx
    }
}

final class TapDroppingConv: Layer, SkippableInputGradient {
    private let inner: Conv2D<Double>
    private var dout = Matrix<Double>(rows: 0, cols: 0)
    init(_ inner: Conv2D<Double>) { self.inner = inner }
    var spec: any LayerSpec { inner.spec }
    var parameters: [Parameter<Double>] { inner.parameters }
    var computesInputGradient: Bool {
        get { inner.computesInputGradient }
        set { inner.computesInputGradient = newValue }
    }
    func forward(_ x: Matrix<Double>, mode: Mode) -> Matrix<Double> { inner.forward(x, mode: mode) }
    func backward(_ dout: Matrix<Double>) -> Matrix<Double> {
        var dx = inner.backward(dout)
        guard dx.count > 0 else { return dx }
        // BUG on purpose: take back what tap (c 0, ky 0, kx 0) gave each input value
        let g = inner.window, f = inner.weight.value.rows, taps = inner.weight.value.cols
        for s in 0..<dx.rows {
            for oy in 0..<g.outHeight {
                for ox in 0..<g.outWidth {
                    let iy = oy * g.strideY - g.padY, ix = ox * g.strideX - g.padX
                    guard iy >= 0, iy < g.height, ix >= 0, ix < g.width else { continue }
                    var sum = 0.0
                    for j in 0..<f { sum += inner.weight.value.storage[j * taps] * dout[s, (j * g.outHeight + oy) * g.outWidth + ox] }
                    dx[s, iy * g.width + ix] -= sum
                }
            }
        }
        return dx
    }
}

final class FirstRoutingMaxPool: Layer {
    private let inner: MaxPool2D<Double>
    private var inputSize = 0
    init(_ inner: MaxPool2D<Double>) { self.inner = inner }
    var spec: any LayerSpec { inner.spec }
    var parameters: [Parameter<Double>] { [] }
    var kinkState: [Int32] { inner.kinkState }
    func forward(_ x: Matrix<Double>, mode: Mode) -> Matrix<Double> {
        inputSize = x.cols
        return inner.forward(x, mode: mode)
    }
    func backward(_ dout: Matrix<Double>) -> Matrix<Double> {
        // BUG on purpose: the window's first input (in the padding: its first inside) gets the gradient
        let g = inner.window
        var dx = Matrix<Double>(rows: dout.rows, cols: inputSize)
        for s in 0..<dout.rows {
            for c in 0..<g.channels {
                for oy in 0..<g.outHeight {
                    for ox in 0..<g.outWidth {
                        let iy = max(0, oy * g.strideY - g.padY), ix = max(0, ox * g.strideX - g.padX)
                        dx[s, (c * g.height + iy) * g.width + ix] += dout[s, (c * g.outHeight + oy) * g.outWidth + ox]
                    }
                }
            }
        }
        return dx
    }
}
