import Foundation
import Testing

/// The C kernels' own test programs, compiled with the system C compiler and run.
struct KernelTests {
    /// bench/gemm/gemm_test.c: nn_sgemm / nn_dgemm against a double-precision reference, and bit-identical
    /// results for every split of C into row or column blocks and on 2 and 3 threads (the determinism the
    /// threaded products rely on), on the AVX2 and the portable path.
    @Test func gemmCorrectAndDeterministic() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = Tools.packageRoot
        let r = try Tools.sh("cc -O2 -I \(root)/Sources/CKernels/include \(root)/bench/gemm/gemm_test.c \(root)/Sources/CKernels/gemm.c "
            + "\(root)/Sources/CKernels/pool.c -lm -lpthread -o \(dir)/gemm_test && \(dir)/gemm_test")
        #expect(r.status == 0, "\(r.stderr)\(r.out.split(separator: "\n").filter { $0.hasPrefix("FAIL") }.prefix(5))")
        #expect(r.out.contains(" checks, 0 failures"), "\(r.out.suffix(300))")
        #expect(r.out.hasSuffix("OK\n"))
    }
}
