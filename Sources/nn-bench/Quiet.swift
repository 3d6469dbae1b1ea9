// Quiet.swift: timing on a machine shared with other processes, the same way as the reference scripts'
// common.py (wait_quiet, clean_repeat, StealMeter), so that both sides are measured alike.
import Foundation
import NNCommandLine
#if canImport(Glibc)
import Glibc
#endif

/// Seconds since an arbitrary start, monotonic.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// The first line of /proc/stat: jiffies of all CPUs (user nice system idle iowait irq softirq steal ...).
private func cpuJiffies() -> [Int]? {
    guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
          let line = text.split(separator: "\n").first else { return nil }
    return line.split(separator: " ").dropFirst().compactMap { Int($0) }
}

/// CPU time of this process (all threads), seconds.
private func ownCPU() -> Double {
    var ru = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &ru)
    return Double(ru.ru_utime.tv_sec) + Double(ru.ru_utime.tv_usec) * 1e-6
        + Double(ru.ru_stime.tv_sec) + Double(ru.ru_stime.tv_usec) * 1e-6
}

/// Peak resident set size of this process in MB (getrusage ru_maxrss, KB on Linux).
func peakRSSMegabytes() -> Double {
    var ru = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &ru)
    return Double(ru.ru_maxrss) / 1024
}

/// CPU accounting around a region (common.StealMeter): busy %, own %, others % of the machine's capacity.
struct StealMeter {
    let a: [Int]?
    let own: Double
    let t: Double
    init() {
        a = cpuJiffies()
        own = ownCPU()
        t = now()
    }

    func result() -> [(String, JSON)] {
        let wall = now() - t
        let ownSeconds = ownCPU() - own
        guard let a, let b = cpuJiffies(), a.count >= 8, b.count >= 8 else { return [("wall_s", .number(round4(wall)))] }
        let d = zip(a, b).map { $1 - $0 }
        let tot = max(d[0..<8].reduce(0, +), 1)
        let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
        let busy = 100.0 * Double(tot - d[3] - d[4]) / Double(tot)
        let ownPct = 100.0 * ownSeconds * hz / Double(tot)
        return [("wall_s", .number(round4(wall))), ("busy_pct", .number(round1(busy))), ("own_pct", .number(round1(ownPct))),
                ("others_pct", .number(round1(max(0, busy - ownPct)))), ("steal_pct", .number(round1(100.0 * Double(d[7]) / Double(tot))))]
    }
}

/// % of all CPUs busy over `interval` seconds.
func systemBusyPercent(interval: Double = 1.0) -> Double {
    let a = cpuJiffies()
    usleep(UInt32(interval * 1e6))
    guard let a, let b = cpuJiffies(), a.count >= 8, b.count >= 8 else { return 0 }
    let d = zip(a, b).map { $1 - $0 }
    let tot = max(d[0..<8].reduce(0, +), 1)
    return 100.0 * Double(tot - d[3] - d[4]) / Double(tot)
}

/// Blocks until the machine was < threshold % busy for `needed` consecutive 1-s samples, or `maxWait` s.
func waitQuiet(_ threshold: Double, needed: Int = 2, maxWait: Double = 300) -> Double {
    let t0 = now()
    var ok = 0
    while now() - t0 < maxWait {
        ok = systemBusyPercent() < threshold ? ok + 1 : 0
        if ok >= needed { break }
    }
    return now() - t0
}

/// One timed repeat (common.clean_repeat): with a gate, wait for a quiet machine, run, and redo the run
/// (at most `maxTries` times) when other processes used more than `maxOtherPercent` of the CPUs meanwhile.
func cleanRepeat<R>(gate: Double, maxWait: Double = 300, maxOtherPercent: Double = 10, maxTries: Int = 6, _ body: () -> R) -> (R, JSON) {
    var tries = 0
    var waited = 0.0
    while true {
        tries += 1
        if gate > 0 { waited += waitQuiet(gate, maxWait: maxWait) }
        let m = StealMeter()
        let r = body()
        var info = m.result()
        let wall = info.first { $0.0 == "wall_s" }.flatMap { if case .number(let x) = $0.1 { return x } else { return nil } } ?? 0
        let others = info.first { $0.0 == "others_pct" }.flatMap { if case .number(let x) = $0.1 { return x } else { return nil } } ?? 0
        // /proc/stat counts 10 ms jiffies: below ~0.3 s the estimate is too coarse to judge
        let clean = wall < 0.3 || others <= maxOtherPercent
        if gate <= 0 || clean || tries >= maxTries {
            info.append(("tries", .int(tries)))
            if gate > 0 {
                info.append(("clean", .bool(clean)))
                info.append(("gate_waited_s", .number(round1(waited))))
            }
            return (r, .object(info))
        }
    }
}

func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
func round4(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }
func round6(_ x: Double) -> Double { (x * 1_000_000).rounded() / 1_000_000 }

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    if s.isEmpty { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// common.stats: median, min, max, spread % and n.
func stats(_ xs: [Double], digits: Int = 6) -> JSON {
    let r: (Double) -> Double = { x in let p = pow(10.0, Double(digits)); return (x * p).rounded() / p }
    let med = median(xs)
    return .object([("median", .number(r(med))), ("min", .number(r(xs.min() ?? .nan))), ("max", .number(r(xs.max() ?? .nan))),
                    ("spread_pct", med != 0 ? .number(round1(100 * ((xs.max() ?? 0) - (xs.min() ?? 0)) / med)) : .null),
                    ("n", .int(xs.count))])
}

/// common.rate_stats: items/s from durations; the median rate is n / median time.
func rateStats(_ items: Int, _ times: [Double]) -> JSON {
    let rates = times.map { Double(items) / $0 }
    guard case .object(var o) = stats(rates, digits: 1) else { return .null }
    o[0] = ("median", .number(round1(Double(items) / median(times))))
    return .object(o)
}
