// OptionRules.swift: the allowed values of every numeric option, declared once for the four tools.
// A rule states its range in --help (`help`) and refuses anything else (`check`) with one line naming the
// flag, the range and the value given: 0, -1, 2^63-1, NaN and inf included.
import ArgumentParser
import NNCore

/// An integer option's allowed values.
public struct IntRule: Sendable {
    public let flag: String
    public let range: ClosedRange<Int>
    public init(_ flag: String, _ range: ClosedRange<Int>) {
        self.flag = flag
        self.range = range
    }

    public var rangeText: String { "\(range.lowerBound)-\(range.upperBound)" }

    /// The option's help text with its range appended.
    public func help(_ text: String) -> ArgumentHelp { ArgumentHelp("\(text) Range: \(rangeText).") }

    /// Refuses a value outside the range (nil: the option was not given).
    public func check(_ value: Int?) throws {
        if let value, let problem = problem(value) { throw ToolError("\(flag) \(problem)") }
    }

    /// What is wrong with `value` ("must be 1 to 100000, not 0"), nil when it is in the range: for
    /// messages about the same setting read from elsewhere (a checkpoint's field).
    public func problem(_ value: Int) -> String? {
        range.contains(value) ? nil : "must be \(range.lowerBound) to \(range.upperBound), not \(value)"
    }
}

/// A real-valued option's allowed values: finite, between two bounds, each open or closed.
public struct RealRule: Sendable {
    public let flag: String
    public let lower: Double, upper: Double
    public let lowerOpen: Bool, upperOpen: Bool
    public init(_ flag: String, _ lower: Double, _ upper: Double, lowerOpen: Bool = false, upperOpen: Bool = false) {
        self.flag = flag
        self.lower = lower
        self.upper = upper
        self.lowerOpen = lowerOpen
        self.upperOpen = upperOpen
    }

    /// "[0, 1)", "(0, 10]".
    public var rangeText: String { "\(lowerOpen ? "(" : "[")\(Self.text(lower)), \(Self.text(upper))\(upperOpen ? ")" : "]")" }

    public func help(_ text: String) -> ArgumentHelp { ArgumentHelp("\(text) Range: \(rangeText).") }

    public func contains(_ x: Double) -> Bool {
        x.isFinite && (lowerOpen ? x > lower : x >= lower) && (upperOpen ? x < upper : x <= upper)
    }

    public func check(_ value: Double?) throws {
        if let value, let problem = problem(value) { throw ToolError("\(flag) \(problem)") }
    }

    /// What is wrong with `value` ("must be in (0, 10], not nan"), nil when it is allowed.
    public func problem(_ value: Double) -> String? { contains(value) ? nil : "must be in \(rangeText), not \(value)" }

    static func text(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)" }
}

/// Every numeric option of the four tools, by flag.
public enum OptionRules {
    // shared
    public static let threads = IntRule("--threads", 1...SizeLimits.maxThreads)
    public static let batchSize = IntRule("--batch-size", 1...65_536)
    public static let weightDecay = RealRule("--weight-decay", 0, 1)
    // nn-train
    public static let epochs = IntRule("--epochs", 1...100_000)
    public static let patience = IntRule("--patience", 1...100_000)
    public static let checkpointEvery = IntRule("--checkpoint-every", 1...100_000)
    public static let learningRate = RealRule("--learning-rate", 0, 10, lowerOpen: true)
    /// The two numbers of --lr-schedule step:EVERY:FACTOR.
    public static let lrScheduleEvery = IntRule("--lr-schedule EVERY", 1...100_000)
    public static let lrScheduleFactor = RealRule("--lr-schedule FACTOR", 0, 1, lowerOpen: true)
    public static let warmup = RealRule("--warmup", 0, 100_000)
    public static let validationSplit = RealRule("--validation-split", 0, 1, upperOpen: true)
    /// Also below the image's width and height (checked once the data is loaded).
    public static let augmentShift = RealRule("--augment-shift", 0, 4096, upperOpen: true)
    public static let augmentRotation = RealRule("--augment-rotation", 0, 180)
    public static let augmentElastic = RealRule("--augment-elastic", 0, 1)
    public static let augmentFlip = RealRule("--augment-flip", 0, 1)
    // nn-eval
    public static let errorsPerClass = IntRule("--errors-per-class", 1...100_000)
    // nn-predict
    public static let topK = IntRule("--top-k", 1...1_000)
    public static let maxPixels = IntRule("--max-pixels", 1...SizeLimits.maxImagePixels)
    // nn-gradcheck
    public static let samples = IntRule("--samples", 1...10_000)
    public static let coordinates = IntRule("--coordinates", 1...SizeLimits.maxTensorElements)
    public static let step = RealRule("--step", 0, 1, lowerOpen: true)
    public static let rtol = RealRule("--rtol", 0, 1, lowerOpen: true)
    public static let atol = RealRule("--atol", 0, 1)
    public static let floor = RealRule("--floor", 0, 1, lowerOpen: true)
}
