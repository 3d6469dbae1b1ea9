// PhotoLikeRenderer.swift: MNIST digits dressed up as the pictures users actually send.
//
// Used by tests and benchmarks to check that `DigitNormalizer` undoes what a camera, a scanner or a paint
// program does to a digit: dark ink on grey paper, enlarged with some filter, off-centre on a bigger
// canvas, saved in any PNG flavour, sometimes on a transparent background.

/// SplitMix64: a tiny deterministic generator, so renderings depend on the seed alone.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    /// Uniform in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + unit() * (range.upperBound - range.lowerBound)
    }
    /// Uniform integer in `range`.
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    /// Standard normal (Box-Muller).
    public mutating func normal() -> Double {
        let u1 = max(unit(), 1e-300), u2 = unit()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }
}

/// Renders a 28x28 MNIST digit (bright on black) as a PNG file that looks like a user's photo or drawing.
public struct PhotoLikeRenderer: Sendable {
    /// How the digit is enlarged.
    public enum Filter: String, Sendable, CaseIterable { case nearest, bilinear, bicubic }

    /// Everything one rendering chose, for test messages and benchmarks.
    public struct Choices: Sendable, Equatable {
        public var paper: Int, ink: Int, noiseSigma: Double
        public var scale: Double, filter: Filter
        public var canvasWidth: Int, canvasHeight: Int, offsetX: Int, offsetY: Int
        public var colorType: PNGEncoder.ColorType, bitDepth: Int, interlaced: Bool
        public var transparent: Bool
    }

    public var paperRange: ClosedRange<Int> = 150...250
    public var inkRange: ClosedRange<Int> = 0...80
    /// Gaussian noise standard deviation range, in 8-bit levels, per pixel of the final canvas (8- and
    /// 16-bit non-palette files only).
    public var noiseRange: ClosedRange<Double> = 0...3
    public var scaleRange: ClosedRange<Double> = 2...8
    /// Canvas sides are drawn from the enlarged digit's size + 8 up to this (or the digit size + 8).
    public var maxCanvas: Int = 400
    /// Fraction of renderings on a transparent background (alpha 0 paper, opaque ink).
    public var transparentFraction: Double = 0.2
    /// Deepest bit depth chosen (16: every kind; 8: what phones, scanners and drawing apps write).
    public var maxBitDepth: Int = 16

    public init() {}

    /// A PNG file for `digit` (784 bytes, row-major, 0 background .. 255 ink). Same seed, same bytes.
    public func render(digit: [UInt8], seed: UInt64) -> [UInt8] { renderWithChoices(digit: digit, seed: seed).png }

    /// The PNG file and what was chosen to make it.
    public func renderWithChoices(digit: [UInt8], seed: UInt64) -> (png: [UInt8], choices: Choices) {
        precondition(digit.count == 28 * 28, "PhotoLikeRenderer: a digit is 28x28 bytes")
        var rng = SplitMix64(seed: seed ^ 0x5048_4F54_4F4C_494B)
        let paper = rng.int(paperRange), ink = rng.int(inkRange)
        let sigma = rng.uniform(noiseRange)
        let scale = rng.uniform(scaleRange)
        let filter = Filter.allCases[rng.int(0...2)]
        let size = Int((28 * scale).rounded())
        let cw = rng.int((size + 8)...max(size + 8, maxCanvas)), ch = rng.int((size + 8)...max(size + 8, maxCanvas))
        let ox = rng.int(0...(cw - size)), oy = rng.int(0...(ch - size))

        let transparent = rng.unit() < transparentFraction
        let kinds: [PNGEncoder.ColorType] = transparent ? [.grayAlpha, .rgba, .palette] : PNGEncoder.ColorType.allCases
        let combos = kinds.flatMap { t in t.legalBitDepths.filter { $0 <= maxBitDepth }.map { (t, $0) } }
        let (colorType, bitDepth) = combos[rng.int(0...(combos.count - 1))]
        let interlaced = rng.unit() < 0.5
        let coloured = colorType == .rgb || colorType == .rgba || colorType == .palette
        // A slight tint on coloured files (yellowish paper, bluish ink); luma stays close to the grey level.
        let paperTint = coloured ? [rng.uniform(0...10), rng.uniform(0...6), -rng.uniform(0...14)] : [0.0, 0, 0]
        let inkTint = coloured ? [-rng.uniform(0...10), -rng.uniform(0...6), rng.uniform(0...25)] : [0.0, 0, 0]
        let filterChoice = PNGEncoder.Filter.allCases.map { Optional($0) } + [nil]
        let pngFilter = filterChoice[rng.int(0...filterChoice.count - 1)]

        // Coverage of each canvas pixel by the enlarged digit, 0...1.
        var coverage = [Double](repeating: 0, count: cw * ch)
        for y in 0..<size {
            let v = (Double(y) + 0.5) / scale - 0.5
            for x in 0..<size {
                let u = (Double(x) + 0.5) / scale - 0.5
                coverage[(oy + y) * cw + ox + x] = sample(digit, u, v, filter)
            }
        }

        // Palette images have at most 2^bitDepth colours, so coverage is quantised to that many levels.
        // Neither they nor low-depth gray files get noise: quantised noisy paper would become salt and
        // pepper of a whole quantisation step (85 levels at 2 bits), which no real drawing program makes.
        let levels = colorType == .palette ? 1 << bitDepth : 0
        let noisy = levels == 0 && bitDepth >= 8
        var rgba = [UInt16](repeating: 0, count: cw * ch * 4)
        for i in 0..<(cw * ch) {
            var m = coverage[i]
            if levels > 0 { m = (m * Double(levels - 1)).rounded() / Double(levels - 1) }  // fits the palette
            let n = noisy ? sigma * rng.normal() : 0
            for c in 0..<3 {
                let value: Double
                if transparent {
                    value = m > 0 ? Double(ink) + inkTint[c] : 0  // black under fully transparent pixels
                } else {
                    value = (Double(paper) + paperTint[c]) * (1 - m) + (Double(ink) + inkTint[c]) * m + n
                }
                rgba[i * 4 + c] = UInt16(min(max(value * 257, 0), 65535).rounded())
            }
            rgba[i * 4 + 3] = transparent ? UInt16((m * 65535).rounded()) : 65535
        }
        var encoder = PNGEncoder(colorType: colorType, bitDepth: bitDepth, interlaced: interlaced, filter: pngFilter)
        encoder.compressionLevel = 1
        // Palette colours are already limited to 2^bitDepth levels; nothing else can fail.
        let png = try! encoder.encode(width: cw, height: ch, rgba16: rgba)
        let choices = Choices(paper: paper, ink: ink, noiseSigma: sigma, scale: scale, filter: filter,
                              canvasWidth: cw, canvasHeight: ch, offsetX: ox, offsetY: oy,
                              colorType: colorType, bitDepth: bitDepth, interlaced: interlaced, transparent: transparent)
        return (png, choices)
    }
}

/// The digit (0...255) at continuous position (u, v) in pixel-centre coordinates, as coverage 0...1;
/// zero outside.
private func sample(_ d: [UInt8], _ u: Double, _ v: Double, _ filter: PhotoLikeRenderer.Filter) -> Double {
    @inline(__always) func at(_ x: Int, _ y: Int) -> Double {
        x < 0 || y < 0 || x > 27 || y > 27 ? 0 : Double(d[y * 28 + x]) / 255
    }
    switch filter {
    case .nearest:
        return at(Int((u + 0.5).rounded(.down)), Int((v + 0.5).rounded(.down)))
    case .bilinear:
        let x0 = Int(u.rounded(.down)), y0 = Int(v.rounded(.down))
        let tx = u - Double(x0), ty = v - Double(y0)
        let top = at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx
        let bottom = at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx
        return top * (1 - ty) + bottom * ty
    case .bicubic:
        // Catmull-Rom, clamped (it overshoots near edges).
        let x0 = Int(u.rounded(.down)), y0 = Int(v.rounded(.down))
        let tx = u - Double(x0), ty = v - Double(y0)
        func weights(_ t: Double) -> [Double] {
            let t2 = t * t, t3 = t2 * t
            return [(-t3 + 2 * t2 - t) / 2, (3 * t3 - 5 * t2 + 2) / 2, (-3 * t3 + 4 * t2 + t) / 2, (t3 - t2) / 2]
        }
        let wx = weights(tx), wy = weights(ty)
        var acc = 0.0
        for j in 0..<4 {
            var row = 0.0
            for i in 0..<4 { row += wx[i] * at(x0 - 1 + i, y0 - 1 + j) }
            acc += wy[j] * row
        }
        return min(max(acc, 0), 1)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@inline(__always) private func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
