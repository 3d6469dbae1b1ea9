// Optimizers.swift: update rules from the book's chapter 6. Each keeps its own per-parameter state.

/// The optimizer names the command line accepts.
public enum OptimizerKind: String, CaseIterable, Sendable {
    case sgd, momentum, adagrad, adam
}

/// Updates parameters from their gradients.
public protocol Optimizer<Scalar>: AnyObject {
    associatedtype Scalar: NNFloat
    var learningRate: Scalar { get set }
    func update(_ parameters: [Parameter<Scalar>])
    /// The optimizer's memory (velocity, squared-gradient sums, moments) for `parameters`, in their order,
    /// one array per slot per parameter, plus its step count: what a checkpoint must keep.
    func state(for parameters: [Parameter<Scalar>]) -> OptimizerState<Scalar>
    func restore(_ state: OptimizerState<Scalar>, for parameters: [Parameter<Scalar>])
}

/// Saved optimizer memory: `slots[s][p]` is slot s (e.g. Adam's m, then v) of parameter p.
public struct OptimizerState<Scalar: NNFloat>: Equatable {
    public var step: Int
    public var slots: [[[Scalar]]]
    public init(step: Int, slots: [[[Scalar]]]) {
        self.step = step
        self.slots = slots
    }
}

/// Slot tables keyed by parameter identity, exported in parameter order (zeros where nothing was stored).
private func export<T: NNFloat>(_ table: [ObjectIdentifier: [T]], _ parameters: [Parameter<T>]) -> [[T]] {
    parameters.map { table[ObjectIdentifier($0)] ?? [T](repeating: 0, count: $0.value.count) }
}
private func restoreTable<T: NNFloat>(_ slot: [[T]], _ parameters: [Parameter<T>]) -> [ObjectIdentifier: [T]] {
    var table: [ObjectIdentifier: [T]] = [:]
    for (p, v) in zip(parameters, slot) where v.count == p.value.count { table[ObjectIdentifier(p)] = v }
    return table
}

/// Builds the optimizer of `kind` with the book's default hyper-parameters.
public func makeOptimizer<T: NNFloat>(_ kind: OptimizerKind, learningRate: T) -> any Optimizer<T> {
    switch kind {
    case .sgd: return SGD(learningRate: learningRate)
    case .momentum: return Momentum(learningRate: learningRate)
    case .adagrad: return AdaGrad(learningRate: learningRate)
    case .adam: return Adam(learningRate: learningRate)
    }
}

/// w -= lr * g
public final class SGD<Scalar: NNFloat>: Optimizer {
    public var learningRate: Scalar
    public init(learningRate: Scalar) { self.learningRate = learningRate }
    public func state(for parameters: [Parameter<Scalar>]) -> OptimizerState<Scalar> { OptimizerState(step: 0, slots: []) }
    public func restore(_ state: OptimizerState<Scalar>, for parameters: [Parameter<Scalar>]) {}
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update(_ parameters: [Parameter<Scalar>]) {
        for p in parameters {
            let lr = learningRate
            p.value.storage.withUnsafeMutableBufferPointer { w in
                p.grad.storage.withUnsafeBufferPointer { g in
                    for i in 0..<w.count { w[i] -= lr * g[i] }
                }
            }
        }
    }
}

/// v = momentum * v - lr * g; w += v
public final class Momentum<Scalar: NNFloat>: Optimizer {
    public var learningRate: Scalar
    public let momentum: Scalar
    private var velocity: [ObjectIdentifier: [Scalar]] = [:]
    public init(learningRate: Scalar, momentum: Scalar = 0.9) {
        self.learningRate = learningRate
        self.momentum = momentum
    }
    public func state(for parameters: [Parameter<Scalar>]) -> OptimizerState<Scalar> {
        OptimizerState(step: 0, slots: [export(velocity, parameters)])
    }
    public func restore(_ state: OptimizerState<Scalar>, for parameters: [Parameter<Scalar>]) {
        if let v = state.slots.first { velocity = restoreTable(v, parameters) }
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update(_ parameters: [Parameter<Scalar>]) {
        for p in parameters {
            var v = velocity.removeValue(forKey: ObjectIdentifier(p)) ?? [Scalar](repeating: 0, count: p.value.count)
            let mu = momentum, lr = learningRate
            p.value.storage.withUnsafeMutableBufferPointer { w in
                p.grad.storage.withUnsafeBufferPointer { g in
                    for i in 0..<w.count {
                        v[i] = mu * v[i] - lr * g[i]
                        w[i] += v[i]
                    }
                }
            }
            velocity[ObjectIdentifier(p)] = v
        }
    }
}

/// h += g^2; w -= lr * g / (sqrt(h) + 1e-7)
public final class AdaGrad<Scalar: NNFloat>: Optimizer {
    public var learningRate: Scalar
    private var h: [ObjectIdentifier: [Scalar]] = [:]
    public init(learningRate: Scalar) { self.learningRate = learningRate }
    public func state(for parameters: [Parameter<Scalar>]) -> OptimizerState<Scalar> {
        OptimizerState(step: 0, slots: [export(h, parameters)])
    }
    public func restore(_ state: OptimizerState<Scalar>, for parameters: [Parameter<Scalar>]) {
        if let v = state.slots.first { h = restoreTable(v, parameters) }
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update(_ parameters: [Parameter<Scalar>]) {
        for p in parameters {
            var hp = h.removeValue(forKey: ObjectIdentifier(p)) ?? [Scalar](repeating: 0, count: p.value.count)
            let lr = learningRate
            p.value.storage.withUnsafeMutableBufferPointer { w in
                p.grad.storage.withUnsafeBufferPointer { g in
                    for i in 0..<w.count {
                        hp[i] += g[i] * g[i]
                        w[i] -= lr * g[i] / (Scalar.sqrt(hp[i]) + 1e-7)
                    }
                }
            }
            h[ObjectIdentifier(p)] = hp
        }
    }
}

/// Adam as in the book: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t); m += (1 - b1)(g - m);
/// v += (1 - b2)(g^2 - v); w -= lr_t m / (sqrt(v) + 1e-7)
public final class Adam<Scalar: NNFloat>: Optimizer {
    public var learningRate: Scalar
    public let beta1: Scalar, beta2: Scalar
    public private(set) var step = 0
    private var m: [ObjectIdentifier: [Scalar]] = [:]
    private var v: [ObjectIdentifier: [Scalar]] = [:]
    public init(learningRate: Scalar, beta1: Scalar = 0.9, beta2: Scalar = 0.999) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
    }
    public func state(for parameters: [Parameter<Scalar>]) -> OptimizerState<Scalar> {
        OptimizerState(step: step, slots: [export(m, parameters), export(v, parameters)])
    }
    public func restore(_ state: OptimizerState<Scalar>, for parameters: [Parameter<Scalar>]) {
        step = state.step
        if state.slots.count == 2 {
            m = restoreTable(state.slots[0], parameters)
            v = restoreTable(state.slots[1], parameters)
        }
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update(_ parameters: [Parameter<Scalar>]) {
        step += 1
        let t = Scalar(step)
        let b1t = Scalar.exp(t * Scalar.log(beta1)), b2t = Scalar.exp(t * Scalar.log(beta2))
        let lrT = learningRate * Scalar.sqrt(1 - b2t) / (1 - b1t)
        for p in parameters {
            let key = ObjectIdentifier(p)
            var mp = m.removeValue(forKey: key) ?? [Scalar](repeating: 0, count: p.value.count)
            var vp = v.removeValue(forKey: key) ?? [Scalar](repeating: 0, count: p.value.count)
            let c1 = 1 - beta1, c2 = 1 - beta2
            p.value.storage.withUnsafeMutableBufferPointer { w in
                p.grad.storage.withUnsafeBufferPointer { g in
                    mp.withUnsafeMutableBufferPointer { m in
                        vp.withUnsafeMutableBufferPointer { v in
                            for i in 0..<w.count {
                                m[i] += c1 * (g[i] - m[i])
                                v[i] += c2 * (g[i] * g[i] - v[i])
                                w[i] -= lrT * m[i] / (Scalar.sqrt(v[i]) + 1e-7)
                            }
                        }
                    }
                }
            }
            m[key] = mp
            v[key] = vp
        }
    }
}
