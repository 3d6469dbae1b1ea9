// Losses.swift: the output layers, each an activation fused with its loss, forward and backward side by
// side. Losses are means over the batch. Each backward is the exact gradient of the loss its forward
// reports, so a float64 gradient check agrees to rounding error.

/// What a batch is compared against: class indices, or a matrix (one-hot rows, 0/1 targets, values).
public enum Targets<Scalar: NNFloat> {
    case labels([Int])
    case values(Matrix<Scalar>)

    public var count: Int {
        switch self {
        case .labels(let l): return l.count
        case .values(let m): return m.rows
        }
    }
}

/// The last layer: scores x [B, N] -> predictions [B, N] and a scalar loss.
public protocol OutputLayer<Scalar>: AnyObject {
    associatedtype Scalar: NNFloat
    var kind: OutputKind { get }
    /// Predictions without a loss (inference): probabilities or values [B, N].
    func predict(_ x: Matrix<Scalar>) -> Matrix<Scalar>
    /// Predictions and loss; caches what backward needs.
    func forward(_ x: Matrix<Scalar>, targets: Targets<Scalar>) -> Scalar
    /// dL/dx [B, N] for the last forward.
    func backward() -> Matrix<Scalar>
    /// The predictions of the last forward, [B, N]: `predict` of its scores, already computed.
    var lastPredictions: Matrix<Scalar> { get }
}

/// Row-wise softmax with the row max subtracted, so large scores do not overflow.
@_specialize(where T == Float)
@_specialize(where T == Double)
public func softmax<T: NNFloat>(_ x: Matrix<T>) -> Matrix<T> {
    var y = x
    let n = x.cols
    y.storage.withUnsafeMutableBufferPointer { y in
        for r in 0..<x.rows {
            let row = UnsafeMutableBufferPointer(rebasing: y[(r * n)..<((r + 1) * n)])
            var mx = -T.infinity
            for v in row where v > mx { mx = v }
            var sum: T = 0
            for i in 0..<n { row[i] = T.exp(row[i] - mx); sum += row[i] }
            for i in 0..<n { row[i] /= sum }
        }
    }
    return y
}

/// The delta inside the cross-entropy log, as in the book: log(y + 1e-7) never sees log(0).
public let crossEntropyDelta = 1e-7

/// Cross-entropy of probabilities y [B, N] against class indices, averaged over the batch.
@_specialize(where T == Float)
@_specialize(where T == Double)
public func crossEntropyError<T: NNFloat>(_ y: Matrix<T>, labels: [Int]) -> T {
    precondition(labels.count == y.rows)
    let delta = T(crossEntropyDelta)
    var total: T = 0
    for r in 0..<y.rows { total -= T.log(y[r, labels[r]] + delta) }
    return total / T(y.rows)
}

/// Cross-entropy of probabilities y [B, N] against one-hot (or soft) rows t [B, N], averaged over the batch.
@_specialize(where T == Float)
@_specialize(where T == Double)
public func crossEntropyError<T: NNFloat>(_ y: Matrix<T>, oneHot t: Matrix<T>) -> T {
    precondition(t.rows == y.rows && t.cols == y.cols)
    let delta = T(crossEntropyDelta)
    var total: T = 0
    for i in 0..<y.count where t.storage[i] != 0 { total -= t.storage[i] * T.log(y.storage[i] + delta) }
    return total / T(y.rows)
}

// MARK: - Softmax with cross-entropy

/// Softmax followed by cross-entropy (the book's SoftmaxWithLoss).
public final class SoftmaxCrossEntropy<Scalar: NNFloat>: OutputLayer {
    private var y = Matrix<Scalar>(rows: 0, cols: 0)
    private var targets: Targets<Scalar> = .labels([])
    public init() {}
    public var kind: OutputKind { .softmaxCrossEntropy }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func predict(_ x: Matrix<Scalar>) -> Matrix<Scalar> { softmax(x) }

    // forward: x [B, N] scores; t labels [B] or one-hot [B, N]; loss = -1/B sum log(y_t + 1e-7)
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, targets: Targets<Scalar>) -> Scalar {
        precondition(targets.count == x.rows, "targets for \(targets.count) rows, batch has \(x.rows)")
        y = softmax(x)
        self.targets = targets
        switch targets {
        case .labels(let l): return crossEntropyError(y, labels: l)
        case .values(let t): return crossEntropyError(y, oneHot: t)
        }
    }

    public var lastPredictions: Matrix<Scalar> { y }

    // backward: dx = (y - t) / B, with t weighted by y/(y + delta), the exact derivative of the loss
    // above (the book drops the factor; it differs from 1 by about 1e-7 / y and matters only to a
    // float64 gradient check). With w_k = t_k y_k / (y_k + delta): dx_j = (y_j sum_k w_k - w_j) / B.
    // Class labels: w is zero but at the label t, so dx_j = (y_j w_t - [j == t] w_t) / B.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward() -> Matrix<Scalar> {
        let rows = y.rows, n = y.cols, batch = Scalar(y.rows), delta = Scalar(crossEntropyDelta)
        var dx = Matrix<Scalar>(rows: rows, cols: n)
        y.storage.withUnsafeBufferPointer { y in
            dx.storage.withUnsafeMutableBufferPointer { dx in
                switch targets {
                case .labels(let labels):
                    for r in 0..<rows {
                        let yr = y.baseAddress! + r * n, dr = dx.baseAddress! + r * n, t = labels[r]
                        let wt = yr[t] / (yr[t] + delta)
                        for j in 0..<n { dr[j] = yr[j] * wt / batch }
                        dr[t] = (yr[t] * wt - wt) / batch
                    }
                case .values(let tm):
                    var w = [Scalar](repeating: 0, count: n)
                    for r in 0..<rows {
                        let yr = y.baseAddress! + r * n, dr = dx.baseAddress! + r * n
                        var sumW: Scalar = 0
                        for k in 0..<n {
                            let t = tm.storage[r * n + k]
                            w[k] = t != 0 ? t * yr[k] / (yr[k] + delta) : 0
                            if t != 0 { sumW += w[k] }
                        }
                        for j in 0..<n { dr[j] = (yr[j] * sumW - w[j]) / batch }
                    }
                }
            }
        }
        return dx
    }
}

// MARK: - Sigmoid with binary cross-entropy

/// Independent sigmoids with binary cross-entropy, summed over outputs and averaged over the batch.
/// Computed from the scores (log(1 + e^-|x|) form), so it never takes log(0).
public final class SigmoidBinaryCrossEntropy<Scalar: NNFloat>: OutputLayer {
    private var y = Matrix<Scalar>(rows: 0, cols: 0)
    private var t = Matrix<Scalar>(rows: 0, cols: 0)
    public init() {}
    public var kind: OutputKind { .sigmoidBinaryCrossEntropy }
    public var lastPredictions: Matrix<Scalar> { y }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func predict(_ x: Matrix<Scalar>) -> Matrix<Scalar> {
        var y = x
        for i in 0..<y.count { y.storage[i] = sigmoid(y.storage[i]) }
        return y
    }

    // forward: x [B, N], t [B, N] in {0, 1}; loss = -1/B sum [t log y + (1 - t) log(1 - y)]
    //        = 1/B sum [max(x, 0) - x t + log(1 + exp(-|x|))]
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, targets: Targets<Scalar>) -> Scalar {
        guard case .values(let t) = targets, t.rows == x.rows, t.cols == x.cols else {
            preconditionFailure("sigmoid-bce takes a [batch, outputs] target matrix")
        }
        self.t = t
        y = predict(x)
        var total: Scalar = 0
        for i in 0..<x.count {
            let v = x.storage[i]
            total += max(v, 0) - v * t.storage[i] + Scalar.log1p(Scalar.exp(-abs(v)))
        }
        return total / Scalar(x.rows)
    }

    // backward: dx = (y - t) / B
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward() -> Matrix<Scalar> {
        var dx = y
        let batch = Scalar(y.rows)
        for i in 0..<dx.count { dx.storage[i] = (y.storage[i] - t.storage[i]) / batch }
        return dx
    }
}

// MARK: - Identity with mean squared error

/// Identity output with E = 1/2 sum (y - t)^2 per sample, averaged over the batch (regression).
public final class IdentityMeanSquaredError<Scalar: NNFloat>: OutputLayer {
    private var y = Matrix<Scalar>(rows: 0, cols: 0)
    private var t = Matrix<Scalar>(rows: 0, cols: 0)
    public init() {}
    public var kind: OutputKind { .identityMeanSquaredError }
    public var lastPredictions: Matrix<Scalar> { y }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func predict(_ x: Matrix<Scalar>) -> Matrix<Scalar> { x }

    // forward: y = x [B, N], t [B, N]; loss = 1/B sum 1/2 (y - t)^2
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Matrix<Scalar>, targets: Targets<Scalar>) -> Scalar {
        guard case .values(let t) = targets, t.rows == x.rows, t.cols == x.cols else {
            preconditionFailure("mse takes a [batch, outputs] target matrix")
        }
        y = x
        self.t = t
        var total: Scalar = 0
        for i in 0..<x.count { let d = x.storage[i] - t.storage[i]; total += d * d }
        return total / 2 / Scalar(x.rows)
    }

    // backward: dx = (y - t) / B
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward() -> Matrix<Scalar> {
        var dx = y
        let batch = Scalar(y.rows)
        for i in 0..<dx.count { dx.storage[i] = (y.storage[i] - t.storage[i]) / batch }
        return dx
    }
}
