// Dataset.swift: labelled samples kept as bytes (converted to floats one batch at a time, so 60,000
// images take 47 MB, not 188), and the rule that turns labels into a loss's targets.

/// Samples as raw bytes [count, featureCount] with one label value per sample.
public struct Dataset: Sendable {
    public var features: [UInt8]
    public let featureCount: Int
    /// Class index for classification, target value for regression.
    public var labels: [Double]

    public init(features: [UInt8], featureCount: Int, labels: [Double]) {
        precondition(featureCount > 0 && features.count == featureCount * labels.count)
        self.features = features
        self.featureCount = featureCount
        self.labels = labels
    }

    public var count: Int { labels.count }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        var f = [UInt8]()
        f.reserveCapacity(indices.count * featureCount)
        for i in indices { f.append(contentsOf: features[(i * featureCount)..<((i + 1) * featureCount)]) }
        return Dataset(features: f, featureCount: featureCount, labels: indices.map { labels[$0] })
    }

    /// A seeded split: the first `fraction` of a shuffled order is held out.
    public func split(holdOut fraction: Double, seed: UInt64) -> (train: Dataset, heldOut: Dataset) {
        var order = Array(0..<count)
        var rng = SeededGenerator(seed: seed ^ 0x5EED_5B17)
        rng.shuffle(&order)
        let n = Int((Double(count) * fraction).rounded())
        return (subset(Array(order[n...]).sorted()), subset(Array(order[..<n]).sorted()))
    }
}

/// Input preprocessing: x = byte * scale + offset. Stored in the model file so evaluation and
/// prediction see the same inputs training saw.
public struct InputScaling: Equatable, Sendable {
    public var scale: Double
    public var offset: Double
    public init(scale: Double = 1.0 / 255.0, offset: Double = 0) {
        self.scale = scale
        self.offset = offset
    }

    /// Rows `indices` of `data` as a float batch [indices.count, featureCount].
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func batch<T: NNFloat>(_ data: Dataset, _ indices: ArraySlice<Int>, as: T.Type = T.self) -> Matrix<T> {
        let d = data.featureCount, rows = indices.count
        let s = T(scale), o = T(offset)
        for i in indices { precondition(i >= 0 && i < data.count, "sample \(i) of \(data.count)") }
        // x[r, j] = T(byte) * scale + offset (CKernels: vectorised, the same rounding as that expression)
        let storage = [T](unsafeUninitializedCapacity: rows * d) { x, count in
            data.features.withUnsafeBufferPointer { f in
                indices.withUnsafeBufferPointer { idx in
                    guard rows > 0 else { return }
                    // rows split over the threads: each row is converted alone, and the cache misses of
                    // scattered rows overlap twice as much
                    let (src, rowIndex, dst) = (f.baseAddress!, idx.baseAddress!, x.baseAddress!)
                    Parallelism.forRanges(rows, grain: 16, align: 1) { r in
                        T.gatherBytes(src, cols: d, rows: rowIndex + r.lowerBound, count: r.count, scale: s, offset: o,
                                      into: dst + r.lowerBound * d)
                    }
                }
            }
            count = rows * d
        }
        return Matrix(rows: rows, cols: d, storage: storage)
    }
}

/// How a sample's label becomes the target of the output layer.
public struct TargetEncoding: Equatable, Sendable {
    public let output: OutputKind
    public let outputCount: Int
    /// Binary tasks on multi-class data: label == positiveClass is 1, anything else 0.
    public let positiveClass: Int?

    public init(output: OutputKind, outputCount: Int, positiveClass: Int? = nil) {
        self.output = output
        self.outputCount = outputCount
        self.positiveClass = positiveClass
    }

    /// Whether predictions are classes (accuracy, confusion) or values (MSE, MAE).
    public var isRegression: Bool { output == .identityMeanSquaredError && outputCount == 1 }
    /// One sigmoid output: a yes/no classifier with 2 classes.
    public var isBinary: Bool { output == .sigmoidBinaryCrossEntropy && outputCount == 1 }
    /// Number of classes for classification tasks.
    public var classCount: Int { isBinary ? 2 : outputCount }

    /// The class a label denotes (binary tasks: 0 or 1). Total: a label that is no class index (a
    /// fraction, NaN, 1e30: `problem(with:)` refuses those first) gives -1 instead of trapping.
    public func classOf(_ label: Double) -> Int {
        if let p = positiveClass { return label == Double(p) ? 1 : 0 }
        return CheckedSize.exactInt(label) ?? -1
    }

    /// Checks labels against the output layer; returns the first problem or nil.
    public func problem(with labels: [Double]) -> String? {
        if isRegression { return labels.firstIndex { !$0.isFinite }.map { "label \($0) is not a finite number" } }
        for (i, l) in labels.enumerated() {
            // compared as Doubles: a label of 1e30 is finite and whole, and Int(1e30) traps
            guard l.isFinite, l == l.rounded(), l >= 0 else { return "the label of sample \(i) (\(l)) is not a class index" }
            if positiveClass == nil && l >= Double(classCount) {
                let shown = CheckedSize.exactInt(l).map(String.init) ?? "\(l)"
                return "the label of sample \(i) is \(shown), but the model has \(classCount) classes (0-\(classCount - 1))"
            }
        }
        return nil
    }

    /// Targets for the samples at `indices`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func targets<T: NNFloat>(_ labels: [Double], _ indices: ArraySlice<Int>, as: T.Type = T.self) -> Targets<T> {
        switch output {
        case .softmaxCrossEntropy:
            return .labels(indices.map { classOf(labels[$0]) })
        case .sigmoidBinaryCrossEntropy, .identityMeanSquaredError:
            var t = Matrix<T>(rows: indices.count, cols: outputCount)
            for (r, i) in indices.enumerated() {
                if isRegression { t[r, 0] = T(labels[i]) }
                else if outputCount == 1 { t[r, 0] = T(classOf(labels[i])) }
                else { t[r, classOf(labels[i])] = 1 }
            }
            return .values(t)
        }
    }

    /// The predicted class of each row of `predictions` [B, outputs].
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func predictedClasses<T: NNFloat>(_ predictions: Matrix<T>) -> [Int] {
        (0..<predictions.rows).map { r in
            if isBinary { return predictions[r, 0] >= 0.5 ? 1 : 0 }
            var best = 0
            for j in 1..<predictions.cols where predictions[r, j] > predictions[r, best] { best = j }
            return best
        }
    }
}
