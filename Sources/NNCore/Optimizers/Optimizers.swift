// Optimizers.swift: update rules from the book's chapter 6. Each keeps its own per-parameter state.

/// The optimizer names the command line accepts.
public enum OptimizerKind: String, CaseIterable, Sendable {
    case sgd, momentum, adagrad, adam
}

/// Updates parameters from their gradients.
///
/// A step is `beginStep` once, then `apply` over the parameters in any grouping (the trainer applies each
/// layer's share as soon as its backward is done, while its gradients are still in cache); every update is
/// element-wise, so the grouping never changes a result.
public protocol Optimizer<Scalar>: AnyObject {
    associatedtype Scalar: NNFloat
    var learningRate: Scalar { get set }
    /// Starts a step over `parameters`, which must be the same list, in the same order, at every step: the
    /// optimizer keeps its memory by position. Advances the step count (Adam's bias correction).
    func beginStep(_ parameters: [Parameter<Scalar>])
    /// This step's update of `parameters[range]`. With `weightDecay` lambda > 0, each parameter that
    /// decays has lambda * w added to its gradient inside the update (the gradients must then not contain
    /// it already).
    func apply(_ parameters: [Parameter<Scalar>], _ range: Range<Int>, weightDecay: Scalar)
    /// The optimizer's memory (velocity, squared-gradient sums, moments) for `parameters`, in their order,
    /// one array per slot per parameter, plus its step count: what a checkpoint must keep.
    func state(for parameters: [Parameter<Scalar>]) -> OptimizerState<Scalar>
    func restore(_ state: OptimizerState<Scalar>, for parameters: [Parameter<Scalar>])
}

extension Optimizer {
    /// One whole step: `beginStep`, then `apply` to every parameter.
    public func update(_ parameters: [Parameter<Scalar>], weightDecay: Scalar = 0) {
        beginStep(parameters)
        apply(parameters, parameters.indices, weightDecay: weightDecay)
    }
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

/// One slot of optimizer memory (Adam's m, AdaGrad's h, ...) for every parameter, by position: their
/// arrays back to back in one buffer.
struct Slot<Scalar: NNFloat> {
    private var storage: [Scalar] = []
    /// Where each parameter's values start in `storage`, and the end: parameter i is offsets[i]..<offsets[i+1].
    private var offsets: [Int] = [0]

    init() {}

    /// Saved arrays in parameter order; those that do not fit their parameter's size start at zero.
    init(restoring arrays: [[Scalar]], for parameters: [Parameter<Scalar>]) {
        fit(parameters)
        for (i, (a, p)) in zip(arrays, parameters).enumerated() where a.count == p.value.count {
            storage.replaceSubrange(offsets[i]..<offsets[i + 1], with: a)
        }
    }

    /// Zeros for all when the parameters' sizes are not the ones stored (a fresh start).
    mutating func fit(_ parameters: [Parameter<Scalar>]) {
        if offsets.count == parameters.count + 1
            && zip(parameters, offsets.indices).allSatisfy({ $0.value.count == offsets[$1 + 1] - offsets[$1] }) { return }
        offsets = [0]
        for p in parameters { offsets.append(offsets.last! + p.value.count) }
        storage = [Scalar](repeating: 0, count: offsets.last!)
    }

    /// In parameter order, zeros where nothing is stored.
    func exported(_ parameters: [Parameter<Scalar>]) -> [[Scalar]] {
        var copy = self
        copy.fit(parameters)
        return parameters.indices.map { Array(copy.storage[copy.offsets[$0]..<copy.offsets[$0 + 1]]) }
    }

    /// body(start) where start(i) points at parameter i's values.
    mutating func withPointers<R>(_ body: ((Int) -> UnsafeMutablePointer<Scalar>) -> R) -> R {
        let offsets = self.offsets
        return storage.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress ?? UnsafeMutablePointer(bitPattern: 64)!
            return body { base + offsets[$0] }
        }
    }
}

/// Runs `body(index, range, w, g, decay)` over the values w and gradient g (base pointers; the kernel
/// works on `range`) of parameters[indices], the large ones split across the threads: the kernels are
/// element-wise, so any split gives the same bits. `decay` is the weight decay for this parameter (0 if
/// it does not decay).
private func eachParameter<T: NNFloat>(
    _ parameters: [Parameter<T>], _ indices: Range<Int>, weightDecay: T,
    _ body: (_ index: Int, _ range: Range<Int>, _ w: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>, _ decay: T) -> Void
) {
    for index in indices {
        let p = parameters[index]
        let decay = p.decays ? weightDecay : 0
        p.value.storage.withUnsafeMutableBufferPointer { w in
            p.grad.storage.withUnsafeBufferPointer { g in
                precondition(w.count == g.count, "\(p.name): gradient and value differ in size")
                guard let wp = w.baseAddress, let gp = g.baseAddress else { return }
                Parallelism.forRanges(w.count, grain: elementwiseGrain) { r in body(index, r, wp, gp, decay) }
            }
        }
    }
}

/// Elements per thread below which an update is not split (a split costs ~1-2 us; 32k elements of Adam
/// take ~10 us).
let elementwiseGrain = 32_768

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
    public func beginStep(_ parameters: [Parameter<Scalar>]) {}
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func apply(_ parameters: [Parameter<Scalar>], _ range: Range<Int>, weightDecay: Scalar) {
        let lr = learningRate
        eachParameter(parameters, range, weightDecay: weightDecay) { _, r, w, g, decay in
            Scalar.sgdStep(r.count, w + r.lowerBound, g + r.lowerBound, lr: lr, decay: decay)
        }
    }
}

/// v = momentum * v - lr * g; w += v
public final class Momentum<Scalar: NNFloat>: Optimizer {
    public var learningRate: Scalar
    public let momentum: Scalar
    private var velocity = Slot<Scalar>()
    public init(learningRate: Scalar, momentum: Scalar = 0.9) {
        self.learningRate = learningRate
        self.momentum = momentum
    }
    public func state(for parameters: [Parameter<Scalar>]) -> OptimizerState<Scalar> {
        OptimizerState(step: 0, slots: [velocity.exported(parameters)])
    }
    public func restore(_ state: OptimizerState<Scalar>, for parameters: [Parameter<Scalar>]) {
        if let v = state.slots.first { velocity = Slot(restoring: v, for: parameters) }
    }
    public func beginStep(_ parameters: [Parameter<Scalar>]) { velocity.fit(parameters) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func apply(_ parameters: [Parameter<Scalar>], _ range: Range<Int>, weightDecay: Scalar) {
        let mu = momentum, lr = learningRate
        velocity.withPointers { v in
            eachParameter(parameters, range, weightDecay: weightDecay) { i, r, w, g, decay in
                Scalar.momentumStep(r.count, w + r.lowerBound, g + r.lowerBound, v(i) + r.lowerBound, lr: lr, mu: mu, decay: decay)
            }
        }
    }
}

/// h += g^2; w -= lr * g / (sqrt(h) + 1e-7)
public final class AdaGrad<Scalar: NNFloat>: Optimizer {
    public var learningRate: Scalar
    private var h = Slot<Scalar>()
    public init(learningRate: Scalar) { self.learningRate = learningRate }
    public func state(for parameters: [Parameter<Scalar>]) -> OptimizerState<Scalar> {
        OptimizerState(step: 0, slots: [h.exported(parameters)])
    }
    public func restore(_ state: OptimizerState<Scalar>, for parameters: [Parameter<Scalar>]) {
        if let v = state.slots.first { h = Slot(restoring: v, for: parameters) }
    }
    public func beginStep(_ parameters: [Parameter<Scalar>]) { h.fit(parameters) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func apply(_ parameters: [Parameter<Scalar>], _ range: Range<Int>, weightDecay: Scalar) {
        let lr = learningRate, eps: Scalar = 1e-7
        h.withPointers { h in
            eachParameter(parameters, range, weightDecay: weightDecay) { i, r, w, g, decay in
                Scalar.adagradStep(r.count, w + r.lowerBound, g + r.lowerBound, h(i) + r.lowerBound, lr: lr, eps: eps, decay: decay)
            }
        }
    }
}

/// Adam as in the book: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t); m += (1 - b1)(g - m);
/// v += (1 - b2)(g^2 - v); w -= lr_t m / (sqrt(v) + 1e-7)
public final class Adam<Scalar: NNFloat>: Optimizer {
    public var learningRate: Scalar
    public let beta1: Scalar, beta2: Scalar
    public private(set) var step = 0
    private var m = Slot<Scalar>()
    private var v = Slot<Scalar>()
    public init(learningRate: Scalar, beta1: Scalar = 0.9, beta2: Scalar = 0.999) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
    }
    public func state(for parameters: [Parameter<Scalar>]) -> OptimizerState<Scalar> {
        OptimizerState(step: step, slots: [m.exported(parameters), v.exported(parameters)])
    }
    public func restore(_ state: OptimizerState<Scalar>, for parameters: [Parameter<Scalar>]) {
        step = state.step
        if state.slots.count == 2 {
            m = Slot(restoring: state.slots[0], for: parameters)
            v = Slot(restoring: state.slots[1], for: parameters)
        }
    }
    public func beginStep(_ parameters: [Parameter<Scalar>]) {
        step += 1
        m.fit(parameters)
        v.fit(parameters)
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func apply(_ parameters: [Parameter<Scalar>], _ range: Range<Int>, weightDecay: Scalar) {
        let t = Scalar(step)
        let b1t = Scalar.exp(t * Scalar.log(beta1)), b2t = Scalar.exp(t * Scalar.log(beta2))
        let lrT = learningRate * Scalar.sqrt(1 - b2t) / (1 - b1t)
        let c1 = 1 - beta1, c2 = 1 - beta2, eps: Scalar = 1e-7
        m.withPointers { m in
            v.withPointers { v in
                eachParameter(parameters, range, weightDecay: weightDecay) { i, r, w, g, decay in
                    Scalar.adamStep(r.count, w + r.lowerBound, g + r.lowerBound, m(i) + r.lowerBound, v(i) + r.lowerBound,
                                    lrT: lrT, c1: c1, c2: c2, eps: eps, decay: decay)
                }
            }
        }
    }
}
