// GradientCheck.swift: backprop against central differences, through the same layer code that trains.
//
// For each parameter coordinate w: numeric = (L(w + h) - L(w - h)) / 2h, compared with the analytic
// gradient from Network.gradient. Run it on Network<Double>: in float64 the step can be large enough
// that rounding noise (about 1e-16 |L| / h) stays far below 1e-6 of the gradient, while the truncation
// error (h^2/6 L''') stays small too, and Richardson extrapolation with h/2 removes the h^2 term (two
// more evaluations per coordinate): the default h = 1e-3 then leaves errors near 1e-9 (README's figures).
//
// Kinks: if moving w by +-h flips any ReLU unit or changes the winner of a max-pool window (ties
// included), the loss is not differentiable on that interval and the central difference is meaningless;
// such coordinates are detected (a layer's kinkState differs from the unperturbed pass) and skipped, and
// counted in the report.

/// Settings of a gradient check.
public struct GradientCheckConfig: Sendable {
    /// Central-difference step.
    public var step: Double = 1e-3
    /// Coordinates checked per tensor (a seeded sample); nil checks every coordinate.
    public var coordinates: Int? = 64
    public var seed: UInt64 = 1
    /// A coordinate fails when its relative error exceeds rtol AND its absolute difference exceeds atol.
    public var rtol: Double = 1e-6
    public var atol: Double = 1e-10
    /// Denominator floor of the relative error |a - n| / max(|a|, |n|, floor).
    public var floor: Double = 1e-6
    /// Gradients below this everywhere (analytic and numeric) make a tensor's check vacuous.
    public var zeroThreshold: Double = 1e-12
    /// Worker threads (each with its own copy of the network); results do not depend on it.
    public var threads: Int = 1
    public init() {}
}

/// The outcome for one parameter tensor.
public struct TensorCheck: Sendable {
    public enum Verdict: String, Sendable { case pass, mismatch, vacuous }
    /// The gradient is zero by construction (a bias right before batch norm, whose mean subtraction
    /// cancels it): all-zero gradients pass instead of being reported vacuous.
    public var expectedZero = false
    public var name: String
    public var rows: Int
    public var cols: Int
    public var checked: Int
    /// Coordinates skipped because the step crossed a kink (a ReLU unit or a max-pool winner changed).
    public var skippedAtKinks: Int
    public var maxAbsDifference: Double
    public var maxRelativeError: Double
    /// Max relative error over coordinates whose gradient exceeds 1e-6 (the figure the README quotes).
    public var maxRelativeErrorSignificant: Double
    /// Coordinate with the largest relative error, and its two gradients.
    public var worstIndex: Int
    public var worstAnalytic: Double
    public var worstNumeric: Double
    /// Euclidean norms of the analytic and numeric gradients over the checked coordinates.
    public var analyticNorm: Double
    public var numericNorm: Double
    /// Coordinates beyond both tolerances.
    public var failures: Int
    public var verdict: Verdict
}

/// Compares backprop with central differences for every parameter tensor of `network` at `x`, `targets`.
/// `makeReplica` builds independent copies for worker threads (nil: one thread).
public func checkGradients(
    _ network: Network<Double>, x: Matrix<Double>, targets: Targets<Double>, config: GradientCheckConfig,
    makeReplica: (() -> Network<Double>)? = nil
) -> [TensorCheck] {
    // Training mode, so batch norm's batch statistics and dropout are checked as they train; each dropout
    // layer draws its mask once (from its seeded generator) and then keeps it, so the loss is a function.
    let workers = max(1, makeReplica == nil ? 1 : config.threads)
    let replicas = [network] + (1..<workers).map { _ in makeReplica!() }
    for net in replicas {
        for d in net.dropoutLayers { d.freezeMask = false }
        net.gradient(x, targets, mode: .training)
        for d in net.dropoutLayers { d.freezeMask = true }
    }
    network.gradient(x, targets, mode: .training)
    let analytic = network.parameters.map(\.grad)
    let baseKinks = kinkStates(network)

    var results: [TensorCheck] = []
    var rng = SeededGenerator(seed: config.seed)
    // biases directly followed by batch norm (its mean subtraction cancels them)
    var cancelled = Set<ObjectIdentifier>()
    for (i, layer) in network.layers.enumerated() where i + 1 < network.layers.count && network.layers[i + 1] is BatchNorm<Double> {
        for p in layer.parameters where p.role == .bias { cancelled.insert(ObjectIdentifier(p)) }
    }
    for (t, param) in network.parameters.enumerated() {
        let n = param.value.count
        var coords = Array(0..<n)
        if let k = config.coordinates, k < n {
            rng.shuffle(&coords)
            coords = Array(coords[0..<k]).sorted()
        }
        // numeric[i] = central difference at coords[i], or nil at a kink
        var numeric = [Double?](repeating: nil, count: coords.count)
        numeric.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            let chunks = min(workers, coords.count)
            let run = { (w: Int) in
                let net = replicas[w]
                let p = net.parameters[t]
                // Central difference with step h; nil when the step crosses a ReLU kink.
                func difference(_ c: Int, _ h: Double) -> Double? {
                    let old = p.value.storage[c]
                    p.value.storage[c] = old + h
                    let plus = wideLoss(net, x, targets)
                    let kinkPlus = kinkStates(net) != baseKinks
                    p.value.storage[c] = old - h
                    let minus = wideLoss(net, x, targets)
                    let kinkMinus = kinkStates(net) != baseKinks
                    p.value.storage[c] = old
                    return (kinkPlus || kinkMinus) ? nil : Double((plus - minus) / (2 * Wide(h)))
                }
                for i in (coords.count * w / chunks)..<(coords.count * (w + 1) / chunks) {
                    let c = coords[i]
                    // Richardson extrapolation of the steps h and h/2 cancels the h^2 truncation term of
                    // the central difference: (4 D(h/2) - D(h)) / 3 = f' + O(h^4), done for every
                    // coordinate. When D(h) and D(h/2) differ by more than 1e-4 of the result, the loss is
                    // strongly curved at this scale (batch norm over a few samples) and the O(h^4) rest
                    // may not be small: the steps are halved again, up to 4 times. The decision looks at
                    // the numerical estimates only, never at backprop's value.
                    guard var d = difference(c, config.step), var half = difference(c, config.step / 2) else { continue }
                    var h = config.step / 2, refinements = 0
                    while abs(d - half) > 1e-4 * max(abs(4 * half - d) / 3, config.floor) && refinements < 4 {
                        guard let next = difference(c, h / 2) else { break }
                        (d, half, h) = (half, next, h / 2)
                        refinements += 1
                    }
                    out[i] = (4 * half - d) / 3
                }
            }
            if chunks <= 1 { run(0) } else { Parallelism.runThreads(chunks, run) }
        }
        var result = summarize(name: param.name, rows: param.value.rows, cols: param.value.cols,
                               coords: coords, analytic: analytic[t].storage, numeric: numeric, config: config)
        if cancelled.contains(ObjectIdentifier(param)) {
            result.expectedZero = true
            if result.verdict == .vacuous && result.checked > 0 { result.verdict = .pass }
        }
        results.append(result)
    }
    return results
}

private func relativeError(_ a: Double, _ n: Double, _ config: GradientCheckConfig) -> Double {
    abs(a - n) / max(abs(a), abs(n), config.floor)
}

private func withinTolerance(_ a: Double, _ n: Double, _ config: GradientCheckConfig) -> Bool {
    let diff = abs(a - n)
    return diff <= config.atol || diff / max(abs(a), abs(n), config.floor) <= config.rtol
}

private func summarize(name: String, rows: Int, cols: Int, coords: [Int], analytic: [Double], numeric: [Double?],
                       config: GradientCheckConfig) -> TensorCheck {
    var r = TensorCheck(name: name, rows: rows, cols: cols, checked: 0, skippedAtKinks: 0, maxAbsDifference: 0,
                        maxRelativeError: 0, maxRelativeErrorSignificant: 0, worstIndex: -1, worstAnalytic: 0,
                        worstNumeric: 0, analyticNorm: 0, numericNorm: 0, failures: 0, verdict: .pass)
    var largest = 0.0
    for (i, c) in coords.enumerated() {
        guard let num = numeric[i] else {
            r.skippedAtKinks += 1
            continue
        }
        let a = analytic[c]
        let diff = abs(a - num)
        let scale = max(abs(a), abs(num))
        let rel = diff / max(scale, config.floor)
        r.checked += 1
        r.maxAbsDifference = max(r.maxAbsDifference, diff)
        if rel > r.maxRelativeError || r.worstIndex < 0 {
            r.maxRelativeError = max(rel, r.maxRelativeError)
            r.worstIndex = c
            r.worstAnalytic = a
            r.worstNumeric = num
        }
        if scale > 1e-6 { r.maxRelativeErrorSignificant = max(r.maxRelativeErrorSignificant, diff / scale) }
        if !withinTolerance(a, num, config) { r.failures += 1 }
        r.analyticNorm += a * a
        r.numericNorm += num * num
        largest = max(largest, scale)
    }
    r.analyticNorm = r.analyticNorm.squareRoot()
    r.numericNorm = r.numericNorm.squareRoot()
    if r.failures > 0 { r.verdict = .mismatch }
    else if r.checked == 0 || largest < config.zeroThreshold { r.verdict = .vacuous }
    return r
}

/// Max-pool windows tied at the point checked (their largest input value occurs twice or more), over the
/// batch; nil for a network without max pooling. A step that breaks such a tie changes the window's winner,
/// so the coordinates whose steps do are skipped as kinks: this says how many ties there were to cross.
/// (Runs a forward pass in training mode: call it after `checkGradients`, which fixes dropout's masks.)
public func tiedPoolWindows(_ network: Network<Double>, x: Matrix<Double>) -> Int? {
    guard network.layers.contains(where: { $0 is MaxPool2D<Double> }) else { return nil }
    var h = x, ties = 0
    for layer in network.layers {
        if let pool = layer as? MaxPool2D<Double> { ties += pool.tiedWindows(h) }
        h = layer.forward(h, mode: .training)
    }
    return ties
}

#if arch(x86_64) && !os(Windows)
/// The type the loss is summed in for central differences: x87 extended precision where there is one.
typealias Wide = Float80
@inline(__always) private func wideExp(_ x: Wide) -> Wide { expl(x) }
@inline(__always) private func wideLog(_ x: Wide) -> Wide { logl(x) }
@inline(__always) private func wideLog1p(_ x: Wide) -> Wide { log1pl(x) }
#else
typealias Wide = Double
@inline(__always) private func wideExp(_ x: Wide) -> Wide { exp(x) }
@inline(__always) private func wideLog(_ x: Wide) -> Wide { log(x) }
@inline(__always) private func wideLog1p(_ x: Wide) -> Wide { log1p(x) }
#endif

/// The loss at the network's current weights, for central differences: the layers run in float64 (the
/// code under test), the output layer's loss and the weight-decay term are summed in extended precision.
/// Why: a small gradient (1e-6) times a step (1e-3) moves a loss of ~2 by ~1e-9, a few million ulps of a
/// double; rounding the loss to double costs a few ulps in each evaluation, a relative error of ~1e-7 in
/// the difference. In extended precision that noise is 2,000 times smaller. (The formulas are those of
/// Losses/Losses.swift, term for term.)
func wideLoss(_ net: Network<Double>, _ x: Matrix<Double>, _ targets: Targets<Double>) -> Wide {
    let s = net.scores(x, mode: .training)
    let rows = s.rows, n = s.cols
    var total: Wide = 0
    switch (net.output.kind, targets) {
    case (.softmaxCrossEntropy, _):
        for r in 0..<rows {
            var mx = -Wide.infinity
            for j in 0..<n { mx = max(mx, Wide(s[r, j])) }
            var sum: Wide = 0
            for j in 0..<n { sum += wideExp(Wide(s[r, j]) - mx) }
            func logProbability(_ j: Int) -> Wide { wideLog(wideExp(Wide(s[r, j]) - mx) / sum + Wide(crossEntropyDelta)) }
            switch targets {
            case .labels(let l): total -= logProbability(l[r])
            case .values(let t): for j in 0..<n where t[r, j] != 0 { total -= Wide(t[r, j]) * logProbability(j) }
            }
        }
    case (.sigmoidBinaryCrossEntropy, .values(let t)):
        for i in 0..<s.count {
            let v = Wide(s.storage[i])
            total += max(v, 0) - v * Wide(t.storage[i]) + wideLog1p(wideExp(-abs(v)))
        }
    case (.identityMeanSquaredError, .values(let t)):
        for i in 0..<s.count { let d = Wide(s.storage[i]) - Wide(t.storage[i]); total += d * d / 2 }
    default:
        preconditionFailure("\(net.output.kind) takes a target matrix")
    }
    total /= Wide(rows)
    if net.weightDecay != 0 {
        var squares: Wide = 0
        for p in net.parameters where p.decays { for v in p.value.storage { squares += Wide(v) * Wide(v) } }
        total += Wide(net.weightDecay) / 2 * squares
    }
    return total
}

/// Which side of its kinks each layer was on in the last forward pass (ReLU units, max-pool winners).
private func kinkStates(_ net: Network<Double>) -> [[Int32]] {
    net.layers.map(\.kinkState)
}

extension Parallelism {
    /// Runs body(0..<n) on n threads regardless of threadCount (for independent whole-network work).
    public static func runThreads(_ n: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: n, execute: body)
        }
    }
}

import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
