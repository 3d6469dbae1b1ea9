// Evaluation.swift: a model scored on labelled data: everything nn-eval reports (the text and JSON report,
// --errors-list, the confusion heat map and the grid of misclassified images) comes from one Evaluation.
import NNCore
import NNFormats

/// How a model did on labelled samples.
public struct Evaluation: Sendable, Equatable {
    /// Samples scored.
    public var sampleCount: Int
    /// The model's loss (its training loss, without weight decay), averaged over the samples.
    public var loss: Double
    /// Fraction classified correctly (nil for regression models).
    public var accuracy: Double?
    /// Samples classified correctly: the count behind ``accuracy`` (nil for regression models).
    public var correct: Int?
    /// confusion[truth][predicted] counts (empty for regression models).
    public var confusion: [[Int]]
    /// Per class: precision, recall, F1 (empty for regression models; 0 where undefined).
    public var precision: [Double], recall: [Double], f1: [Double]
    /// Per class: how many samples truly belong to it (empty for regression models).
    public var support: [Int]
    /// Means of the per-class precision, recall and F1 over all classes (nil for regression models).
    public var macroPrecision: Double?, macroRecall: Double?, macroF1: Double?
    /// The model's class names (empty when it has none: classes are then named by their index).
    public var classNames: [String]
    /// The samples classified wrongly, in index order (empty for regression models).
    public var misclassified: [Misclassification]
    /// Mean squared and mean absolute error over all outputs (regression models only).
    public var meanSquaredError: Double?, meanAbsoluteError: Double?

    /// Classes scored (2 for a 1-output sigmoid model; 0 for regression models).
    public var classCount: Int { confusion.count }

    /// The name of class `index`: the model's name for it, or its index as text.
    public func className(_ index: Int) -> String { index < classNames.count ? classNames[index] : String(index) }

    init(_ report: EvaluationReport, classNames: [String], misclassified: [Misclassification]) {
        self.classNames = classNames
        self.misclassified = misclassified
        switch report {
        case .classification(let c):
            sampleCount = c.sampleCount
            loss = c.loss
            accuracy = c.accuracy
            correct = c.correct
            confusion = c.confusion
            precision = (0..<c.classCount).map(c.precision)
            recall = (0..<c.classCount).map(c.recall)
            f1 = (0..<c.classCount).map(c.f1)
            support = (0..<c.classCount).map(c.support)
            macroPrecision = c.macroPrecision
            macroRecall = c.macroRecall
            macroF1 = c.macroF1
        case .regression(let r):
            sampleCount = r.sampleCount
            loss = r.loss
            confusion = []
            precision = []
            recall = []
            f1 = []
            support = []
            meanSquaredError = r.mse
            meanAbsoluteError = r.mae
        }
    }

    /// The confusion matrix and loss as NNCore's report (what NNReport's heat map draws); nil for regression.
    package var classificationReport: ClassificationReport? {
        guard accuracy != nil else { return nil }
        var c = ClassificationReport(classCount: confusion.count, loss: loss)
        c.confusion = confusion
        return c
    }
}

/// A sample the model classified wrongly.
public struct Misclassification: Sendable, Equatable {
    /// The sample's index in the data (0-based).
    public var index: Int
    /// Its true class.
    public var truth: Int
    /// The class the model predicted.
    public var predicted: Int
    /// The model's probability for the predicted class (for a 1-output sigmoid model, that of class 1 when
    /// it predicted class 1, else one minus it).
    public var probability: Double

    /// A misclassified sample: index, true class, predicted class and the probability of the prediction.
    public init(index: Int, truth: Int, predicted: Int, probability: Double) {
        self.index = index
        self.truth = truth
        self.predicted = predicted
        self.probability = probability
    }
}

extension Classifier {
    /// Scores the model on IDX files (gzipped or not): `images` of the model's input size, `labels` one
    /// per image. `batchSize` samples go through the network at once (nil: a size that bounds memory).
    public func evaluate(images: String, labels: String, batchSize: Int? = nil) throws(ToolkitError) -> Evaluation {
        let set: LoadedDataset
        do { set = try IDXDataset.load(DataFiles(images: images, labels: labels)) } catch { throw ToolkitError.from(error, model: false) }
        return try checkedLoss(evaluate(set.dataset, dataName: images, labelsName: labels, batchSize: batchSize))
    }

    /// Scores the model on samples held in memory: one byte array per sample (the model's input size) and
    /// one label per sample (a class index, or a target value for regression).
    public func evaluate(samples: [[UInt8]], labels: [Double], batchSize: Int? = nil) throws(ToolkitError) -> Evaluation {
        let size = model.architecture.inputSize
        guard !samples.isEmpty, samples.count == labels.count else {
            throw .invalidData("\(samples.count) samples and \(labels.count) labels: give one label per sample, at least one")
        }
        if let bad = samples.firstIndex(where: { $0.count != size }) {
            throw .inputMismatch("sample \(bad) has \(samples[bad].count) values, the model takes \(size)")
        }
        let data = Dataset(features: samples.flatMap { $0 }, featureCount: size, labels: labels)
        return try checkedLoss(evaluate(data, dataName: "samples", labelsName: "labels", batchSize: batchSize))
    }

    /// A loss that is not a number although every output is (a regression output so large that its square
    /// overflows) is refused too.
    private func checkedLoss(_ e: Evaluation) throws(ToolkitError) -> Evaluation {
        if !e.loss.isFinite { throw .nonFiniteOutput("the model's loss is \(e.loss), not a number") }
        return e
    }

    /// Scores the model on a data set already in memory (nn-eval's entry: it loads and names the files
    /// itself). `dataName` and `labelsName` name the data in errors. Inference runs in batches of
    /// `batchSize` (nil: the network's own bound on memory); the first output that is not a finite number
    /// is reported with its sample's index, and no evaluation is returned.
    package func evaluate(_ data: Dataset, dataName: String, labelsName: String, batchSize: Int? = nil) throws(ToolkitError) -> Evaluation {
        if data.featureCount != model.architecture.inputSize {
            throw .inputMismatch("\(dataName): samples have \(data.featureCount) values, the model takes \(model.architecture.inputSize)")
        }
        let encoding = model.encoding
        if let problem = encoding.problem(with: data.labels) { throw .invalidData("\(labelsName): \(problem)") }
        var misclassified: [Misclassification] = []
        var nonFinite: (index: Int, value: Float)? = nil
        let report = NNCore.evaluate(model.network(Float.self), on: data, scaling: model.scaling, encoding: encoding,
                                     batchSize: batchSize) { range, y in
            // y: [batch, outputs], the output layer's predictions (probabilities, or values)
            if nonFinite == nil, let k = y.storage.firstIndex(where: { !$0.isFinite }) {
                nonFinite = (range.lowerBound + k / max(y.cols, 1), y.storage[k])
            }
            guard !encoding.isRegression else { return }
            for (r, p) in encoding.predictedClasses(y).enumerated() {
                let truth = encoding.classOf(data.labels[range.lowerBound + r])
                // the model's probability for the class it chose (a 1-output sigmoid gives that of class 1)
                let probability = encoding.isBinary ? (p == 1 ? Double(y[r, 0]) : 1 - Double(y[r, 0])) : Double(y[r, p])
                if p != truth {
                    misclassified.append(Misclassification(index: range.lowerBound + r, truth: truth, predicted: p, probability: probability))
                }
            }
        }
        if let (index, value) = nonFinite { throw .nonFiniteSampleOutput(sample: index, value: Double(value), data: dataName) }
        return Evaluation(report, classNames: model.classNames, misclassified: misclassified)
    }
}
