// CheckedSize.swift: the one path from numbers read out of files and flags to sizes that are allocated.
// Every count, dimension and product a file or a flag claims goes through here before memory is asked
// for: overflow-checked arithmetic, and a stated ceiling for each kind of size (README, "Robustness").

/// The ceilings. Each is far above what the tools meet in practice (MNIST: 784 values a sample, 60,000
/// samples, 47 MB of pixels) and far below what would exhaust a machine, so a claim beyond one is refused
/// with a message instead of an allocation failure.
public enum SizeLimits {
    /// Elements of one tensor (a weight matrix, a batch of inputs): 2^28, 1 GiB of Float.
    public static let maxTensorElements = 1 << 28
    /// Values of one sample (the product of an IDX file's dimensions after the first): 2^24, 4096x4096.
    public static let maxSampleValues = 1 << 24
    /// Decoded bytes of one IDX file (every dimension times the element size): 2^33, 8 GiB.
    public static let maxIDXDataBytes = 1 << 33
    /// Pixels of one decoded image: the largest --max-pixels may be (its default is 40,000,000).
    public static let maxImagePixels = 1 << 30
    /// Bytes of files read whole. /dev/zero or an endless pipe is refused once it passes these.
    public static let maxModelFileBytes = 1 << 31        // 2 GiB: a model file (or a checkpoint's model)
    public static let maxCheckpointFileBytes = 1 << 33   // 8 GiB: model, optimizer state (2 more copies), settings
    public static let maxIDXFileBytes = 1 << 33          // 8 GiB: an IDX file as stored (raw or gzipped)
    public static let maxImageFileBytes = 1 << 28        // 256 MiB: one PNG
    /// Bytes of one line of paths on nn-predict's standard input (PATH_MAX).
    public static let maxPathBytes = 4096
    /// Worker threads any tool starts.
    public static let maxThreads = 256
}

/// A size that failed its check: which field (an IDX header's dimensions, a flag) and why. The caller
/// adds the file: `FormatError(path, error.description)`, or names the flag in `field`.
public struct SizeError: Error, CustomStringConvertible, Equatable, Sendable {
    public var field: String
    public var message: String
    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field): \(message)" }
}

public enum CheckedSize {
    /// The product of `factors` (all >= 0), refused when a factor is negative, when it overflows `Int`,
    /// or when it exceeds `limit`. `field` names the numbers in the error ("IDX dimensions").
    public static func product(_ factors: [Int], limit: Int, field: String) throws -> Int {
        var p = 1
        for f in factors {
            if f < 0 { throw SizeError(field: field, "\(shape(factors)) has a negative size") }
            let (m, overflow) = p.multipliedReportingOverflow(by: f)
            if overflow { throw SizeError(field: field, "\(shape(factors)) overflows a 64-bit size") }
            p = m
        }
        if p > limit { throw SizeError(field: field, "\(shape(factors)) = \(p), over the limit of \(limit)") }
        return p
    }

    /// The sum of `terms` (all >= 0), refused like `product`.
    public static func sum(_ terms: [Int], limit: Int, field: String) throws -> Int {
        var s = 0
        for t in terms {
            if t < 0 { throw SizeError(field: field, "negative size \(t)") }
            let (m, overflow) = s.addingReportingOverflow(t)
            if overflow || m > limit { throw SizeError(field: field, "\(terms.map(String.init).joined(separator: " + ")) is over the limit of \(limit)") }
            s = m
        }
        return s
    }

    /// The product of non-negative factors, or nil when it overflows (for display and comparisons that
    /// must never trap: a caller that allocates uses `product(_:limit:field:)`).
    public static func productOrNil(_ factors: [Int]) -> Int? {
        var p = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (m, overflow) = p.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            p = m
        }
        return p
    }

    /// `x` as an Int when it is a whole number that an Int holds; nil for fractions, NaN, infinities
    /// and magnitudes past 2^63 (where `Int(x)` traps).
    public static func exactInt(_ x: Double) -> Int? { Int(exactly: x) }

    /// "20x28x28".
    public static func shape(_ dims: [Int]) -> String { dims.map(String.init).joined(separator: "x") }
}
