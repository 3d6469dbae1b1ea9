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
