// Metrics.swift: what nn-eval reports. Confusion rows are the truth, columns the prediction.

/// Classification results: the confusion matrix and the scores derived from it.
public struct ClassificationReport: Equatable, Sendable {
    /// confusion[truth][prediction]
    public var confusion: [[Int]]
    public var loss: Double

    public init(classCount: Int, loss: Double = 0) {
        confusion = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
        self.loss = loss
    }

    public var classCount: Int { confusion.count }
    public var sampleCount: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { (0..<classCount).reduce(0) { $0 + confusion[$1][$1] } }
    public var accuracy: Double { sampleCount == 0 ? 0 : Double(correct) / Double(sampleCount) }

    /// Per class: precision = TP / predicted, recall = TP / actual, F1 their harmonic mean (0 when undefined).
    public func precision(_ c: Int) -> Double {
        let predicted = (0..<classCount).reduce(0) { $0 + confusion[$1][c] }
        return predicted == 0 ? 0 : Double(confusion[c][c]) / Double(predicted)
    }
    public func recall(_ c: Int) -> Double {
        let actual = confusion[c].reduce(0, +)
        return actual == 0 ? 0 : Double(confusion[c][c]) / Double(actual)
    }
    public func f1(_ c: Int) -> Double {
        let p = precision(c), r = recall(c)
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }
    public func support(_ c: Int) -> Int { confusion[c].reduce(0, +) }
    public var macroPrecision: Double { mean((0..<classCount).map(precision)) }
    public var macroRecall: Double { mean((0..<classCount).map(recall)) }
    public var macroF1: Double { mean((0..<classCount).map(f1)) }

    private func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }
}

/// Regression results.
public struct RegressionReport: Equatable, Sendable {
    public var sampleCount: Int
    /// mean over samples of 1/2 sum (y - t)^2: the training loss.
    public var loss: Double
    /// mean squared error over all outputs
    public var mse: Double
    /// mean absolute error over all outputs
    public var mae: Double

    public init(sampleCount: Int, loss: Double, mse: Double, mae: Double) {
        self.sampleCount = sampleCount
        self.loss = loss
        self.mse = mse
        self.mae = mae
    }
}

/// The result of evaluating a network on a data set.
public enum EvaluationReport: Sendable {
    case classification(ClassificationReport)
    case regression(RegressionReport)

    /// Accuracy for classifiers, nil for regression.
    public var accuracy: Double? {
        if case .classification(let c) = self { return c.accuracy }
        return nil
    }
    public var loss: Double {
        switch self {
        case .classification(let c): return c.loss
        case .regression(let r): return r.loss
        }
    }
}

/// Runs `network` over `data` in batches (inference mode) and scores its predictions.
@_specialize(exported: true, where T == Float)
@_specialize(exported: true, where T == Double)
public func evaluate<T: NNFloat>(
    _ network: Network<T>, on data: Dataset, scaling: InputScaling, encoding: TargetEncoding, batchSize: Int? = nil,
    onBatch: ((_ indices: Range<Int>, _ predictions: Matrix<T>) -> Void)? = nil
) -> EvaluationReport {
    var lossSum = 0.0
    var cls = ClassificationReport(classCount: encoding.classCount)
    var se = 0.0, ae = 0.0
    let all = Array(0..<data.count)
    let batchSize = max(1, batchSize ?? network.inferenceBatchSize)
    var start = 0
    while start < data.count {
        let end = min(start + batchSize, data.count)
        let idx = all[start..<end]
        let x = scaling.batch(data, idx, as: T.self)
        let s = network.scores(x, mode: .inference)
        let loss = network.output.forward(s, targets: encoding.targets(data.labels, idx, as: T.self))
        lossSum += Double(loss) * Double(end - start)
        let y = network.output.predict(s)
        onBatch?(start..<end, y)
        if encoding.isRegression {
            for (r, i) in idx.enumerated() {
                let d = Double(y[r, 0]) - data.labels[i]
                se += d * d
                ae += abs(d)
            }
        } else {
            let predicted = encoding.predictedClasses(y)
            for (r, i) in idx.enumerated() { cls.confusion[encoding.classOf(data.labels[i])][predicted[r]] += 1 }
        }
        start = end
    }
    let n = Double(max(data.count, 1))
    if encoding.isRegression {
        return .regression(RegressionReport(sampleCount: data.count, loss: lossSum / n, mse: se / n, mae: ae / n))
    }
    cls.loss = lossSum / n
    return .classification(cls)
}
