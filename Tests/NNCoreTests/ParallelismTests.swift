// ParallelismTests.swift: the persistent worker pool (CKernels/pool.c) runs every task exactly once, for
// any thread count, back to back, nested and from several callers at once. The thread count is passed
// explicitly, so these tests do not depend on the global Parallelism.threadCount other tests set.
import Dispatch
import NNCore
import Testing

struct ParallelismTests {
    @Test(arguments: [1, 2, 3, 8])
    func everyTaskRunsExactlyOnce(threads: Int) {
        for count in [0, 1, 2, 7, 1000] {
            var hits = [Int](repeating: 0, count: count)
            hits.withUnsafeMutableBufferPointer { h in
                let h = h
                Parallelism.run(count, threads: threads) { i in h[i] += 1 }
            }
            #expect(hits == [Int](repeating: 1, count: count), "threads \(threads), count \(count)")
        }
    }

    /// Thousands of small jobs in a row: a worker that finishes one job late must never take a task of the
    /// next (the ticket carries the job's generation).
    @Test func backToBackJobs() {
        var total = 0, expected = 0
        for job in 0..<5000 {
            let count = 2 + job % 5
            var hits = [Int](repeating: 0, count: count)
            hits.withUnsafeMutableBufferPointer { h in
                let h = h
                Parallelism.run(count, threads: 2) { i in h[i] += job }
            }
            total += hits.reduce(0, +)
            expected += count * job
        }
        #expect(total == expected)
    }

    /// A task that splits again gets a serial run (the pool is busy), not a deadlock.
    @Test func nestedCallsRunSerially() {
        var grid = [Int](repeating: 0, count: 4 * 50)
        grid.withUnsafeMutableBufferPointer { g in
            let g = g
            Parallelism.run(4, threads: 2) { outer in
                Parallelism.run(50, threads: 2) { inner in g[outer * 50 + inner] += 1 }
            }
        }
        #expect(grid == [Int](repeating: 1, count: 200))
    }

    /// Several threads splitting work at the same time: one gets the pool, the others run serially.
    @Test func concurrentCallers() {
        var grid = [Int](repeating: 0, count: 6 * 300)
        grid.withUnsafeMutableBufferPointer { g in
            let g = g
            DispatchQueue.concurrentPerform(iterations: 6) { caller in
                for _ in 0..<20 {
                    Parallelism.run(300, threads: 2) { i in g[caller * 300 + i] += 1 }
                }
            }
        }
        #expect(grid == [Int](repeating: 20, count: 1800))
    }
}
