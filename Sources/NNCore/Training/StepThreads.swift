// StepThreads.swift: how many threads each training step runs on.
//
// On a shared machine a second thread is sometimes worth less than nothing. On the 2-vCPU VM this was
// measured on, back-to-back epochs of nn-train's defaults read 54,000-68,000 samples/s on one thread every
// time, and 39,000-95,000 on two: for tens of seconds at a time the other vCPU is slow or away (its core is
// shared with other guests), and every product of a step then waits for the half that runs there. A step's
// result does not depend on its thread count (every kernel is bit-identical for any split), so the trainer
// can choose per step: it times each step, keeps an average for each choice, runs the faster one and now and
// then tries the other again.

/// Chooses between one thread and `most` threads for each training step, by measured step time.
///
/// Call `next()` before a step and `record(_:)` with its duration after it. The choice never changes a
/// result, only the time a step takes.
public struct StepThreads: Sendable {
    /// The most threads a step may use (the user's --threads, or all cores).
    public let most: Int
    /// Seconds per step: [on one thread, on `most` threads]; nil until measured.
    public private(set) var average: [Double?] = [nil, nil]
    /// The choice steps run on outside trials: 0 one thread, 1 `most` threads.
    public private(set) var preferred = 1
    private var steps = 0
    /// The step at which the next trial of the other choice starts.
    private var nextTrial = StepThreads.warmUp + 8
    /// Steps left in the current trial (0: none running), and the durations it has measured.
    private var trialLeft = 0
    private var trialTimes: [Double] = []
    private var current = 1

    /// Steps not timed at the start: the first steps of a run allocate and fault in their buffers (ten
    /// times slower); the first trial follows after eight timed steps.
    static let warmUp = 4
    /// A trial runs this many steps of the other choice and keeps all but the first: the first after a
    /// switch finds the data in the other core's cache.
    static let trialSteps = 3
    /// Steps between trials of one thread while `most` are preferred: when the two averages are within
    /// 30% of each other, and when they are not. While one thread is preferred, `most` is tried again
    /// every `recheckInterval` steps: that is the usual state, and a trial of it costs little.
    static let closeInterval = 64, farInterval = 256, recheckInterval = 32
    /// The other choice must be this much faster to become the preferred one (no flapping on noise).
    static let margin = 0.9

    public init(most: Int) {
        self.most = max(1, most)
    }

    /// The thread count for the next step.
    public mutating func next() -> Int {
        guard most > 1 else { return 1 }
        if trialLeft == 0 && steps >= nextTrial {
            trialLeft = StepThreads.trialSteps
            trialTimes = []
        }
        current = trialLeft > 0 ? 1 - preferred : preferred
        return current == 0 ? 1 : most
    }

    /// Records how long the step `next()` chose took.
    public mutating func record(_ seconds: Double) {
        guard most > 1, seconds.isFinite, seconds >= 0 else { return }
        steps += 1
        if steps <= StepThreads.warmUp { return }
        if trialLeft > 0 {
            trialLeft -= 1
            if trialLeft < StepThreads.trialSteps - 1 { trialTimes.append(seconds) }
            if trialLeft == 0 {
                // a fresh measurement of the other choice replaces its old one
                average[current] = trialTimes.reduce(0, +) / Double(max(trialTimes.count, 1))
                scheduleNextTrial()
            }
        } else {
            // the preferred choice follows the machine step by step (an eighth of each new step)
            average[current] = average[current].map { $0 + (seconds - $0) / 8 } ?? seconds
        }
        if let mine = average[preferred], let other = average[1 - preferred], other < mine * StepThreads.margin {
            preferred = 1 - preferred
            scheduleNextTrial()
        }
    }

    private mutating func scheduleNextTrial() {
        var interval = StepThreads.farInterval
        if preferred == 0 {
            interval = StepThreads.recheckInterval
        } else if let a = average[0], let b = average[1], max(a, b) < 1.3 * min(a, b) {
            interval = StepThreads.closeInterval
        }
        nextTrial = steps + interval
    }
}
