// Evaluation.swift: a model scored on labelled data, as nn-eval reports it.
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
    /// confusion[truth][predicted] counts (empty for regression models).
    public var confusion: [[Int]]
    /// Per class: precision, recall, F1 (empty for regression models).
    public var precision: [Double], recall: [Double], f1: [Double]
    /// Mean squared and mean absolute error over all outputs (regression models only).
    public var meanSquaredError: Double?, meanAbsoluteError: Double?

    init(_ report: EvaluationReport) {
        switch report {
        case .classification(let c):
            sampleCount = c.sampleCount
            loss = c.loss
            accuracy = c.accuracy
            confusion = c.confusion
            precision = (0..<c.classCount).map(c.precision)
            recall = (0..<c.classCount).map(c.recall)
            f1 = (0..<c.classCount).map(c.f1)
        case .regression(let r):
            sampleCount = r.sampleCount
            loss = r.loss
            confusion = []
            precision = []
            recall = []
            f1 = []
            meanSquaredError = r.mse
            meanAbsoluteError = r.mae
        }
    }
}

extension Classifier {
    /// Scores the model on IDX files (gzipped or not): `images` of the model's input size, `labels` one
    /// per image.
    public func evaluate(images: String, labels: String) throws(ToolkitError) -> Evaluation {
        let set: LoadedDataset
        do { set = try IDXDataset.load(DataFiles(images: images, labels: labels)) } catch { throw ToolkitError.from(error, model: false) }
        return try evaluate(set.dataset, name: images, labelsName: labels)
    }

    /// Scores the model on samples held in memory: one byte array per sample (the model's input size) and
    /// one label per sample (a class index, or a target value for regression).
    public func evaluate(samples: [[UInt8]], labels: [Double]) throws(ToolkitError) -> Evaluation {
        let size = model.architecture.inputSize
        guard !samples.isEmpty, samples.count == labels.count else {
            throw .invalidData("\(samples.count) samples and \(labels.count) labels: give one label per sample, at least one")
        }
        if let bad = samples.firstIndex(where: { $0.count != size }) {
            throw .inputMismatch("sample \(bad) has \(samples[bad].count) values, the model takes \(size)")
        }
        return try evaluate(Dataset(features: samples.flatMap { $0 }, featureCount: size, labels: labels), name: "samples", labelsName: "labels")
    }

    func evaluate(_ data: Dataset, name: String, labelsName: String) throws(ToolkitError) -> Evaluation {
        if data.featureCount != model.architecture.inputSize {
            throw .inputMismatch("\(name): samples have \(data.featureCount) values, the model takes \(model.architecture.inputSize)")
        }
        if let problem = model.encoding.problem(with: data.labels) { throw .invalidData("\(labelsName): \(problem)") }
        let net = model.network(Float.self)
        let report = NNCore.evaluate(net, on: data, scaling: model.scaling, encoding: model.encoding)
        if !report.loss.isFinite { throw .nonFiniteOutput("the model's loss is \(report.loss), not a number") }
        return Evaluation(report)
    }
}
