import Testing
@testable import NNCore

/// Sizes from files and flags: overflow, negative and over-ceiling claims are refused with the field named.
struct CheckedSizeTests {
    @Test func productsAreCheckedForOverflowSignAndCeiling() throws {
        #expect(try CheckedSize.product([20, 28, 28], limit: 1 << 20, field: "f") == 15_680)
        #expect(try CheckedSize.product([], limit: 1, field: "f") == 1)
        #expect(try CheckedSize.product([0, Int.max, Int.max], limit: 1, field: "f") == 0)
        #expect(throws: SizeError(field: "IDX dimensions", "4294967295x4294967295x4294967295 overflows a 64-bit size")) {
            try CheckedSize.product([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], limit: Int.max, field: "IDX dimensions")
        }
        #expect(throws: SizeError(field: "f", "3x-1 has a negative size")) { try CheckedSize.product([3, -1], limit: 10, field: "f") }
        #expect(throws: SizeError(field: "--samples x inputs per sample", "3x5 = 15, over the limit of 10")) {
            try CheckedSize.product([3, 5], limit: 10, field: "--samples x inputs per sample")
        }
        #expect(CheckedSize.productOrNil([Int.max, 2]) == nil)
        #expect(CheckedSize.productOrNil([1 << 31, 1 << 31]) == 1 << 62)
        #expect(throws: SizeError.self) { try CheckedSize.sum([Int.max, 1], limit: Int.max, field: "f") }
        #expect(try CheckedSize.sum([1, 2], limit: 3, field: "f") == 3)
    }

    @Test func exactIntNeverTraps() {
        #expect(CheckedSize.exactInt(7) == 7)
        for x in [1e30, -1e30, .nan, .infinity, -.infinity, 0.5, 9.3e18] { #expect(CheckedSize.exactInt(x) == nil, "\(x)") }
    }

    /// A float label of 1e30 is finite and whole; converting it to Int trapped (issue 14).
    @Test func hugeLabelsAreRefusedNotTrapped() {
        let softmax = TargetEncoding(output: .softmaxCrossEntropy, outputCount: 10)
        #expect(softmax.problem(with: [1, 1e30]) == "the label of sample 1 is 1e+30, but the model has 10 classes (0-9)")
        #expect(softmax.problem(with: [9.3e18])?.contains("10 classes") == true)
        #expect(softmax.classOf(1e30) == -1 && softmax.classOf(.nan) == -1 && softmax.classOf(3) == 3)
        let binary = TargetEncoding(output: .sigmoidBinaryCrossEntropy, outputCount: 1, positiveClass: 3)
        #expect(binary.problem(with: [1e30, 3]) == nil)
        #expect(binary.classOf(1e30) == 0 && binary.classOf(3) == 1)
    }
}
