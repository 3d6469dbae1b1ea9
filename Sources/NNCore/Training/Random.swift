// Random.swift: a seeded generator, so the same seed gives the same model bytes on every machine.

/// xoshiro256** seeded through SplitMix64. Deterministic across platforms and thread counts.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var s = seed
        func splitmix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// Restores a generator from its saved state (checkpoints).
    public init(state: (UInt64, UInt64, UInt64, UInt64)) { self.state = state }

    public static func == (l: SeededGenerator, r: SeededGenerator) -> Bool {
        l.state.0 == r.state.0 && l.state.1 == r.state.1 && l.state.2 == r.state.2 && l.state.3 == r.state.3
    }

    public mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = (state.3 << 45) | (state.3 >> 19)
        return result
    }

    /// body(state) on the four state words, as a C kernel that draws from this generator's stream takes
    /// them; the generator continues from what the kernel leaves there.
    mutating func withStateWords<R>(_ body: (UnsafeMutablePointer<UInt64>) -> R) -> R {
        // a homogeneous tuple is laid out as four contiguous words
        withUnsafeMutablePointer(to: &state) { $0.withMemoryRebound(to: UInt64.self, capacity: 4, body) }
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform integer in 0..<n (Lemire's method would be faster; this is exact and simple).
    public mutating func nextInt(below n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        let limit = UInt64.max - UInt64.max % bound
        var x = next()
        while x >= limit { x = next() }
        return Int(x % bound)
    }

    /// Standard normal by Box-Muller (one value per call, the pair's second value is dropped for simplicity
    /// of checkpointing: the state alone determines the stream).
    public mutating func nextNormal() -> Double {
        var u1 = nextUnit()
        while u1 <= 0 { u1 = nextUnit() }
        let u2 = nextUnit()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// Fisher-Yates shuffle of `array`, reproducible for a given state.
    public mutating func shuffle<E>(_ array: inout [E]) {
        if array.count < 2 { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            array.swapAt(i, j)
        }
    }
}

@inline(__always) private func _log(_ x: Double) -> Double { Double.log(x) }
#if canImport(Glibc)
import Glibc
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@inline(__always) private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
