// Prediction.swift: what a classifier says about one input.

/// One class and how likely the model finds it.
public struct ClassScore: Sendable, Equatable {
    /// The class index (the label value in IDX data).
    public var index: Int
    /// The model's name for the class, or the index as text when the model has no names.
    public var name: String
    /// The probability (softmax), or the label's own probability (independent sigmoids).
    public var probability: Double
}

/// The model's answer for one input.
public struct Prediction: Sendable, Equatable {
    /// What the outputs mean.
    public enum Kind: Sendable, Equatable {
        /// One class among several (softmax), or yes/no (one sigmoid output: classes 0 and 1).
        case classes
        /// Independent labels (several sigmoid outputs): each probability is that label's own.
        case labels
        /// Values (a regression model): `values` holds them, `top` is empty.
        case values
    }

    /// What the outputs mean: classes, independent labels, or values.
    public var kind: Kind
    /// The most likely classes, most likely first (as many as asked for); empty for regression.
    public var top: [ClassScore]
    /// The model's outputs: probabilities for classifiers, the values for regression.
    public var values: [Double]

    /// The most likely class (nil for regression).
    public var best: ClassScore? { top.first }
}
