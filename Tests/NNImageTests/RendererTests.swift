// RendererTests.swift: PhotoLikeRenderer is deterministic, varied, and its files decode as intended.

import Testing
import NNImage

/// A plain "1"-like digit: a vertical bar with soft edges.
private func barDigit() -> [UInt8] {
    var d = [UInt8](repeating: 0, count: 784)
    for y in 4..<24 { d[y * 28 + 13] = 255; d[y * 28 + 14] = 255; d[y * 28 + 12] = 100; d[y * 28 + 15] = 100 }
    return d
}

struct RendererTests {
    @Test func sameSeedSameBytes() {
        let r = PhotoLikeRenderer()
        #expect(r.render(digit: barDigit(), seed: 42) == r.render(digit: barDigit(), seed: 42))
        #expect(r.render(digit: barDigit(), seed: 42) != r.render(digit: barDigit(), seed: 43))
        var rng = SplitMix64(seed: 1)
        #expect(rng.next() == 0x910A_2DEC_8902_5CC1)  // SplitMix64 reference value for seed 1
    }

    @Test func choicesCoverEveryKindAndDecodeAsDescribed() throws {
        var r = PhotoLikeRenderer()
        r.maxCanvas = 120  // small canvases keep the test fast; sizes are otherwise unchanged
        r.scaleRange = 2...3
        var kinds = Set<String>()
        var transparent = 0
        let n = 100
        for seed in 0..<UInt64(n) {
            let (png, c) = r.renderWithChoices(digit: barDigit(), seed: seed)
            kinds.insert("\(c.colorType.rawValue)/\(c.bitDepth)/\(c.interlaced)")
            let image = try decodePNG(png)
            #expect(image.width == c.canvasWidth && image.height == c.canvasHeight)
            #expect((150...250).contains(c.paper) && (0...80).contains(c.ink))
            #expect(c.scale >= 2 && c.scale <= 3 && c.offsetX + Int((28 * c.scale).rounded()) <= c.canvasWidth)
            // The corner is paper (white when transparent: composited over white, not the black underneath);
            // the bar's centre is ink.
            let corner = Int(image[0, 0])
            if c.transparent {
                transparent += 1
                #expect(corner == 255, "seed \(seed): \(c)")
            } else {
                // Tolerance: tint and noise (12), plus half a quantisation step for 1-4-bit gray.
                let halfStep = c.colorType == .gray && c.bitDepth < 8 ? 128 / ((1 << c.bitDepth) - 1) : 0
                #expect(abs(corner - c.paper) <= 12 + halfStep, "seed \(seed): \(c)")
            }
            let centre = Int(image[c.offsetX + Int(14 * c.scale), c.offsetY + Int(14 * c.scale)])
            #expect(centre <= c.ink + 45, "seed \(seed): centre \(centre), \(c)")
        }
        // 12 colour type/depth pairs x 2 interlace modes = 24 kinds; 100 draws see most of them.
        #expect(kinds.count >= 18, "\(kinds.sorted())")
        #expect(transparent > n / 10 && transparent < n * 3 / 10)
    }
}
