// StepThreadsTests.swift: the per-step choice between one thread and all of them follows simulated step
// times: it stays on the faster choice, pays little for its trials, ignores the slow first steps of a run,
// and comes back when the other choice recovers.
import NNCore
import Testing

struct StepThreadsTests {
    /// Runs `steps` steps whose duration is `cost(step, threads)`; returns the thread count of each step.
    private func simulate(_ policy: inout StepThreads, steps: Range<Int>, cost: (Int, Int) -> Double) -> [Int] {
        var chosen: [Int] = []
        for step in steps {
            let threads = policy.next()
            chosen.append(threads)
            policy.record(cost(step, threads))
        }
        return chosen
    }

    @Test func oneThreadAllowedMeansOneThread() {
        var policy = StepThreads(most: 1)
        let chosen = simulate(&policy, steps: 0..<300) { _, threads in threads == 1 ? 1.0 : 0.1 }
        #expect(chosen.allSatisfy { $0 == 1 })
    }

    @Test func staysOnAllThreadsWhenTheyAreFaster() {
        var policy = StepThreads(most: 2)
        let chosen = simulate(&policy, steps: 0..<2000) { _, threads in threads == 2 ? 1.0 : 1.6 }
        let ones = chosen.filter { $0 == 1 }.count
        #expect(policy.preferred == 1)
        // a trial of 3 steps every 256: 24 steps of 2,000
        #expect(ones >= 3 && ones <= 30, "\(ones) steps on one thread")
    }

    @Test func slowFirstStepsDoNotCountAgainstAllThreads() {
        var policy = StepThreads(most: 2)
        let chosen = simulate(&policy, steps: 0..<400) { step, threads in (threads == 2 ? 1.0 : 1.6) * (step < 4 ? 20 : 1) }
        #expect(policy.preferred == 1)
        #expect(chosen.filter { $0 == 1 }.count <= 6)
    }

    @Test func movesToOneThreadWhileTheOthersAreSlowAndBack() {
        var policy = StepThreads(most: 2)
        // steps 0..<500: the second thread helps; 500..<1500: it is slow (a busy vCPU), two threads take 2.0
        // per step against 1.6 on one; from 1500 it helps again
        let cost: (Int, Int) -> Double = { step, threads in
            threads == 1 ? 1.6 : (500..<1500).contains(step) ? 2.0 : 1.0
        }
        let chosen = simulate(&policy, steps: 0..<2000, cost: cost)
        let slowPhase = chosen[800..<1500], afterwards = chosen[1700..<2000]
        #expect(Double(slowPhase.filter { $0 == 1 }.count) >= 0.85 * Double(slowPhase.count),
                "\(slowPhase.filter { $0 == 1 }.count) of \(slowPhase.count) slow-phase steps on one thread")
        #expect(Double(afterwards.filter { $0 == 2 }.count) >= 0.95 * Double(afterwards.count),
                "\(afterwards.filter { $0 == 2 }.count) of \(afterwards.count) steps on two threads after the slow phase")
        #expect(policy.preferred == 1)
        // the time lost against always taking the faster choice stays small
        let spent = chosen.enumerated().reduce(0.0) { $0 + cost($1.offset, $1.element) }
        let best = (0..<2000).reduce(0.0) { $0 + min(cost($1, 1), cost($1, 2)) }
        #expect(spent < 1.05 * best, "spent \(spent), best \(best)")
    }

    @Test func ignoresTimesThatAreNoDurations() {
        var policy = StepThreads(most: 2)
        for _ in 0..<100 {
            _ = policy.next()
            policy.record(.nan)
            policy.record(-1)
        }
        #expect(policy.average == [nil, nil])
        #expect(policy.next() == 2)
    }
}
