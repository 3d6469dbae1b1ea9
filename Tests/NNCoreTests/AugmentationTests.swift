// AugmentationTests.swift: the training-time distortions are deterministic and do what they say.

import Foundation
import Testing
import NNCore

/// A 28x28 test digit: a filled 6x10 bar off-centre, with a soft edge.
private func sampleDigit() -> [UInt8] {
    var p = [UInt8](repeating: 0, count: 784)
    for y in 8..<18 { for x in 10..<16 { p[y * 28 + x] = 255 } }
    for y in 8..<18 { p[y * 28 + 16] = 128 }
    return p
}

private func centreOfMass(_ p: [UInt8]) -> (x: Double, y: Double, mass: Double) {
    var m = 0.0, mx = 0.0, my = 0.0
    for i in 0..<784 { let v = Double(p[i]); m += v; mx += v * Double(i % 28); my += v * Double(i / 28) }
    return (mx / m, my / m, m)
}

private func run(_ a: Augmentation, _ p: [UInt8], seed: UInt64) -> [UInt8] {
    var out = p
    var rng = SeededGenerator(seed: seed)
    out.withUnsafeMutableBufferPointer { a.transform($0, &rng) }
    return out
}

struct AugmentationTests {
    @Test func identityLeavesTheSampleUnchanged() {
        let p = sampleDigit()
        for seed in 0..<20 as Range<UInt64> { #expect(run(.identity(width: 28, height: 28), p, seed: seed) == p) }
        // A warp by nothing is exact too.
        var q = p
        q.withUnsafeMutableBufferPointer { Augmentation().warp($0, angle: 0, scale: 1, shiftX: 0, shiftY: 0) }
        #expect(q == p)
    }

    /// --augment-flip: probability 1 mirrors every sample left to right, 0.5 about half of them; off (the
    /// default) it draws nothing, so runs without it keep their streams.
    @Test func flipMirrorsAndDrawsOnlyWhenOn() {
        let p = sampleDigit()
        var mirrored = p
        for y in 0..<28 { for x in 0..<28 { mirrored[y * 28 + x] = p[y * 28 + 27 - x] } }
        var always = Augmentation.identity(width: 28, height: 28)
        always.flipProbability = 1
        #expect(run(always, p, seed: 3) == mirrored)
        var half = always
        half.flipProbability = 0.5
        let flips = (0..<200 as Range<UInt64>).filter { run(half, p, seed: $0) == mirrored }.count
        #expect(flips > 70 && flips < 130, "\(flips) of 200")
        // off: the generator advances exactly as before flips existed (eight draws)
        var a = SeededGenerator(seed: 5), b = SeededGenerator(seed: 5)
        var q = p
        q.withUnsafeMutableBufferPointer { Augmentation.identity(width: 28, height: 28).transform($0, &a) }
        for _ in 0..<8 { _ = b.next() }
        #expect(a == b)
    }

    @Test func shiftMovesTheCentreOfMass() {
        let p = sampleDigit()
        let before = centreOfMass(p)
        for (sx, sy) in [(1.0, 0.0), (0.0, -1.0), (0.5, 0.5)] {
            var q = p
            q.withUnsafeMutableBufferPointer { Augmentation().warp($0, angle: 0, scale: 1, shiftX: sx, shiftY: sy) }
            let after = centreOfMass(q)
            #expect(abs(after.x - before.x - sx) < 0.02 && abs(after.y - before.y - sy) < 0.02, "\(after) vs \(before)")
            #expect(abs(after.mass - before.mass) / before.mass < 0.01)
        }
        // Rotation by 90 degrees about the centre (13.5, 13.5) maps the bar's centre predictably.
        var r = p
        r.withUnsafeMutableBufferPointer { Augmentation().warp($0, angle: Double.pi / 2, scale: 1, shiftX: 0, shiftY: 0) }
        let c = centreOfMass(r)
        // Counter-clockwise on screen: (x, y) -> (cx + (y - cy), cy - (x - cx)).
        #expect(abs(c.x - (13.5 + (before.y - 13.5))) < 0.05 && abs(c.y - (13.5 - (before.x - 13.5))) < 0.05, "\(c)")
    }

    @Test func sameSeedSameBytesAndDefaultsStayReasonable() {
        let p = sampleDigit()
        let a = Augmentation(elasticProbability: 0.5)
        var changed = 0
        for seed in 0..<50 as Range<UInt64> {
            let x = run(a, p, seed: seed)
            #expect(x == run(a, p, seed: seed))
            if x != p { changed += 1 }
            // Defaults move the centre by at most shift + what rotation/scale/elastic do to an off-centre bar;
            // erosion of the 6x10 bar after a 0.9 scale leaves about 40% of its mass.
            let c = centreOfMass(x), c0 = centreOfMass(p)
            #expect(abs(c.x - c0.x) < 5 && abs(c.y - c0.y) < 5 && c.mass > 0.25 * c0.mass && c.mass < 2.5 * c0.mass)
        }
        #expect(changed == 50)
        #expect(run(a, p, seed: 1) != run(a, p, seed: 2))
    }

    @Test func strokeAndBlurOps() {
        func only(stroke: Double, blur: Double, _ p: [UInt8], seed: UInt64) -> [UInt8] {
            var a = Augmentation.identity(width: 28, height: 28)
            a.strokeChangeProbability = stroke; a.blurProbability = blur
            return run(a, p, seed: seed)
        }
        for (x, y) in [(5, 5), (0, 0), (27, 13)] {
            var dot = [UInt8](repeating: 0, count: 784)
            dot[y * 28 + x] = 255
            var dilated = 0, eroded = 0
            for seed in 0..<8 as Range<UInt64> {
                let out = only(stroke: 1, blur: 0, dot, seed: seed)
                if out.allSatisfy({ $0 == 0 }) { eroded += 1; continue }
                dilated += 1
                for yy in 0..<28 {
                    for xx in 0..<28 {
                        let inside = abs(xx - x) <= 1 && abs(yy - y) <= 1
                        #expect(out[yy * 28 + xx] == (inside ? 255 : 0))
                    }
                }
            }
            #expect(dilated > 0 && eroded > 0)
            let blurred = only(stroke: 0, blur: 1, dot, seed: 0)
            #expect(blurred[y * 28 + x] == 64)  // 255 * 4/16, rounded
            if x + 1 < 28 { #expect(blurred[y * 28 + x + 1] == 32) }
            if x > 0 && y > 0 { #expect(blurred[(y - 1) * 28 + x - 1] == 16) }
            #expect(blurred.reduce(0) { $0 + Int($1) } <= 255 + 4)
        }
    }
}
