// ToolkitError.swift: the one error type of the library. Nothing in NNToolkit prints or exits: every
// problem comes back as one of these, with a message that says what is wrong.
import NNCore
import NNFormats
import NNImage

/// Why a model could not be loaded, an input classified, or a run trained.
public enum ToolkitError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file could not be read (missing, unreadable, too large); the path and the reason.
    case unreadableFile(path: String, reason: String)
    /// The model's bytes are not a model file this build reads (truncated, corrupt, a newer format...).
    case invalidModel(String)
    /// The bytes are not a PNG this toolkit decodes, or the picture is too large.
    case invalidImage(String)
    /// The input does not fit the model: a wrong number of values, or an image the model cannot take.
    case inputMismatch(String)
    /// The model's output is not a finite number (weights that overflow Float arithmetic).
    case nonFiniteOutput(String)
    /// The model's output for one sample of a data set is not a finite number (its weights overflow Float
    /// arithmetic): the sample's index (0-based), the value, and the data's name.
    case nonFiniteSampleOutput(sample: Int, value: Double, data: String)
    /// Labelled data that cannot be used (IDX files that do not belong together, labels out of range).
    case invalidData(String)
    /// A training configuration outside the allowed values (a bad layers line, a rate out of range).
    case invalidConfiguration(String)

    /// The problem in one line, to show a user.
    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): return "\(path): \(reason)"
        case .nonFiniteSampleOutput(let sample, let value, let data):
            let words = value.isNaN ? "NaN (not a number)" : value > 0 ? "infinite" : "minus infinite"
            return "the model's output for sample \(sample) of \(data) is \(words): its weights overflow Float arithmetic"
        case .invalidModel(let m), .invalidImage(let m), .inputMismatch(let m), .nonFiniteOutput(let m),
             .invalidData(let m), .invalidConfiguration(let m): return m
        }
    }

    /// A file format's error as the toolkit's: a model file's, or data's.
    static func from(_ error: Error, model: Bool) -> ToolkitError {
        switch error {
        case let e as ToolkitError: return e
        case let e as FormatError: return model ? .invalidModel(e.description) : .invalidData(e.description)
        case let e as SizeError: return model ? .invalidModel(e.description) : .invalidData(e.description)
        case let e as ImageError: return .invalidImage(e.message)
        default: return model ? .invalidModel("\(error)") : .invalidData("\(error)")
        }
    }
}
