// Shape.swift: the shape of one sample, [features] or [channels, height, width], and its arithmetic.
// Sizes come from files and flags, so every product is overflow-checked.

public enum Shape {
    /// The number of values in a sample of this shape; nil when a dimension is negative or the product
    /// overflows `Int`.
    public static func product(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (m, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = m
        }
        return n
    }

    /// "1x28x28"
    public static func text(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "x") }
}
