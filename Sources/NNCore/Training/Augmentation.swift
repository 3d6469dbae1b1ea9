// Augmentation.swift: random distortions of one training image, in place, driven by the trainer's rng.
//
// Per sample, in this order: an affine warp about the centre (rotation, scale, shift; optionally plus a
// smooth elastic displacement) with bilinear sampling, then a grey 3x3 dilation or erosion (thicker or
// thinner strokes), then a 3x3 blur. Each step draws from the generator passed in and nothing else, so
// the same generator state gives the same bytes. All scratch space is on the stack: no allocation.

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Random geometric and stroke distortions for small grayscale images (MNIST defaults).
public struct Augmentation: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// Shift in pixels, uniform in -maxShift...maxShift on each axis.
    public var maxShift: Double
    /// Rotation in degrees, uniform in -maxRotationDegrees...maxRotationDegrees.
    public var maxRotationDegrees: Double
    /// Scale factor, uniform in this range (1 = unchanged; > 1 enlarges).
    public var scaleRange: ClosedRange<Double>
    /// Probability of a 3x3 grey dilation or erosion (half each).
    public var strokeChangeProbability: Double
    /// Probability of a 3x3 binomial blur.
    public var blurProbability: Double
    /// Probability of an elastic distortion: a 4x4 grid of random displacements (standard deviation
    /// `elasticAmplitude` pixels), bilinearly interpolated over the image. Off by default.
    public var elasticProbability: Double
    public var elasticAmplitude: Double
    /// Probability of a left-right mirror image (for pictures of things, like Fashion-MNIST's clothes; not
    /// for digits). Off by default, and then it draws nothing.
    public var flipProbability: Double = 0

    public init(width: Int = 28, height: Int = 28, maxShift: Double = 2, maxRotationDegrees: Double = 12,
                scaleRange: ClosedRange<Double> = 0.9...1.1, strokeChangeProbability: Double = 0.2,
                blurProbability: Double = 0.1, elasticProbability: Double = 0, elasticAmplitude: Double = 1.5) {
        precondition(width > 0 && height > 0, "Augmentation: empty image size")
        precondition(scaleRange.lowerBound > 0, "Augmentation: scale must be positive")
        self.width = width
        self.height = height
        self.maxShift = maxShift
        self.maxRotationDegrees = maxRotationDegrees
        self.scaleRange = scaleRange
        self.strokeChangeProbability = strokeChangeProbability
        self.blurProbability = blurProbability
        self.elasticProbability = elasticProbability
        self.elasticAmplitude = elasticAmplitude
    }

    /// Does nothing to the pixels (it still consumes random numbers).
    public static func identity(width: Int, height: Int) -> Augmentation {
        Augmentation(width: width, height: height, maxShift: 0, maxRotationDegrees: 0, scaleRange: 1...1,
                     strokeChangeProbability: 0, blurProbability: 0)
    }

    /// The trainer's hook: `trainer.augment = augmentation.transform`.
    public var transform: SampleTransform {
        let copy = self
        return { sample, rng in copy.apply(to: sample, rng: &rng) }
    }

    /// Distorts one width x height sample in place. Draws eight random values per call (plus 32 when
    /// the elastic distortion fires, and one more when flips are on), whatever the other settings.
    public func apply(to sample: UnsafeMutableBufferPointer<UInt8>, rng: inout SeededGenerator) {
        precondition(sample.count == width * height, "Augmentation: sample has \(sample.count) bytes, expected \(width * height)")
        let angle = (rng.nextUnit() * 2 - 1) * maxRotationDegrees * Double.pi / 180
        let scale = scaleRange.lowerBound + rng.nextUnit() * (scaleRange.upperBound - scaleRange.lowerBound)
        let dx = (rng.nextUnit() * 2 - 1) * maxShift
        let dy = (rng.nextUnit() * 2 - 1) * maxShift
        let stroke = rng.nextUnit(), thicker = rng.nextUnit() < 0.5
        let blur = rng.nextUnit()
        let elastic = rng.nextUnit() < elasticProbability
        var grid = [Float](repeating: 0, count: 0)
        if elastic {  // only here do the draws depend on a setting; elastic is the rare, slow option
            grid = (0..<32).map { _ in Float(rng.nextNormal() * elasticAmplitude) }
        }
        if angle != 0 || scale != 1 || dx != 0 || dy != 0 || elastic {
            warp(sample, angle: angle, scale: scale, shiftX: dx, shiftY: dy, elasticGrid: elastic ? grid : nil)
        }
        if stroke < strokeChangeProbability { morph(sample, dilate: thicker) }
        if blur < blurProbability { blur3x3(sample) }
        if flipProbability > 0 && rng.nextUnit() < flipProbability {   // a draw only when flips are on
            for y in 0..<height {
                let row = sample.baseAddress! + y * width
                for x in 0..<(width / 2) { (row[x], row[width - 1 - x]) = (row[width - 1 - x], row[x]) }
            }
        }
    }

    /// Resamples `sample` (bilinear, zero outside) so that content moves by rotation `angle` (radians,
    /// counter-clockwise on screen), enlargement `scale` about the centre, then the shift in pixels.
    /// `elasticGrid`, when given, holds 4x4 (dx, dy) pairs in pixels added to the sampling position.
    public func warp(_ sample: UnsafeMutableBufferPointer<UInt8>, angle: Double, scale: Double,
                     shiftX: Double, shiftY: Double, elasticGrid: [Float]? = nil) {
        let w = width, h = height
        let cx = Float(w - 1) / 2, cy = Float(h - 1) / 2
        // Inverse map: source = R(-angle) (dest - centre - shift) / scale + centre.
        let c = Float(cos(angle) / scale), s = Float(sin(angle) / scale)
        let sx = Float(shiftX), sy = Float(shiftY)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: w * h) { out in
            // Most of the time goes here: 784 bilinear samples. Coordinates step in 16.16 fixed point and
            // pixels blend in integers: the Float version spent most of its time in conversion checks.
            let cStep = Int(c * 65536), sStep = Int(s * 65536)
            for y in 0..<h {
                let ry = Float(y) - cy - sy
                let rx0 = -cx - sx
                // Screen y points down, so counter-clockwise on screen is the usual matrix with -s.
                let u0 = c * rx0 - s * ry + cx
                let v0 = s * rx0 + c * ry + cy
                if let g = elasticGrid {
                    for x in 0..<w {
                        let d = elasticOffset(g, x: x, y: y)
                        out[y * w + x] = bilinear(sample, w, h, u0 + c * Float(x) + d.0, v0 + s * Float(x) + d.1)
                    }
                    continue
                }
                guard abs(u0) < 30000, abs(v0) < 30000 else {  // absurd parameters: nothing lands inside
                    for x in 0..<w { out[y * w + x] = 0 }
                    continue
                }
                var u = Int(u0 * 65536), v = Int(v0 * 65536)
                let p = sample.baseAddress!, row = out.baseAddress! + y * w
                for x in 0..<w {
                    let x0 = u >> 16, y0 = v >> 16
                    if UInt(bitPattern: x0) < UInt(w - 1) && UInt(bitPattern: y0) < UInt(h - 1) {
                        // Interior (the common case), inlined: 8-bit fractions, integer blend.
                        let tx = (u >> 8) & 0xFF, ty = (v >> 8) & 0xFF
                        let i = y0 &* w &+ x0
                        let p00 = Int(p[i]), p10 = Int(p[i &+ 1]), p01 = Int(p[i &+ w]), p11 = Int(p[i &+ w &+ 1])
                        let top = (p00 &<< 8) &+ (p10 &- p00) &* tx
                        let bottom = (p01 &<< 8) &+ (p11 &- p01) &* tx
                        row[x] = UInt8(truncatingIfNeeded: ((top &<< 8) &+ (bottom &- top) &* ty &+ 32768) >> 16)
                    } else {
                        row[x] = bilinearFixed(sample, w, h, u, v)
                    }
                    u &+= cStep; v &+= sStep
                }
            }
            for i in 0..<(w * h) { sample[i] = out[i] }
        }
    }

    /// The elastic displacement at pixel (x, y): the 4x4 grid of (dx, dy) pairs interpolated bilinearly.
    private func elasticOffset(_ g: [Float], x: Int, y: Int) -> (Float, Float) {
        let gx = Float(x) * 3 / Float(max(width - 1, 1)), gy = Float(y) * 3 / Float(max(height - 1, 1))
        let ix = min(Int(gx), 2), iy = min(Int(gy), 2)
        let tx = gx - Float(ix), ty = gy - Float(iy)
        var d: (Float, Float) = (0, 0)
        for k in 0..<2 {
            let n00 = g[(iy * 4 + ix) * 2 + k], n10 = g[(iy * 4 + ix + 1) * 2 + k]
            let n01 = g[((iy + 1) * 4 + ix) * 2 + k], n11 = g[((iy + 1) * 4 + ix + 1) * 2 + k]
            let top = n00 + (n10 - n00) * tx, bottom = n01 + (n11 - n01) * tx
            if k == 0 { d.0 = top + (bottom - top) * ty } else { d.1 = top + (bottom - top) * ty }
        }
        return d
    }

    /// 3x3 grey dilation (max) or erosion (min), edges clamped. Separable, and written as flat loops over
    /// the whole buffer (edge columns patched afterwards) so the compiler vectorises them.
    private func morph(_ sample: UnsafeMutableBufferPointer<UInt8>, dilate: Bool) {
        if dilate { morph(sample, max) } else { morph(sample, min) }
    }

    @inline(__always)
    private func morph(_ sample: UnsafeMutableBufferPointer<UInt8>, _ pick: (UInt8, UInt8) -> UInt8) {
        let w = width, h = height, n = w * h
        guard w > 1 && h > 1 else { return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { rows in
            let p = sample.baseAddress!, r = rows.baseAddress!
            for i in 1..<(n - 1) { r[i] = pick(pick(p[i - 1], p[i]), p[i + 1]) }
            for y in 0..<h {  // first and last column: no left / right neighbour (the flat loop wrapped)
                let a = y * w, b = y * w + w - 1
                r[a] = pick(p[a], p[a + 1])
                r[b] = pick(p[b - 1], p[b])
            }
            for i in w..<(n - w) { p[i] = pick(pick(r[i - w], r[i]), r[i + w]) }
            for x in 0..<w {
                p[x] = pick(r[x], r[x + w])
                p[n - w + x] = pick(r[n - 2 * w + x], r[n - w + x])
            }
        }
    }

    /// 3x3 binomial blur ([1 2 1] x [1 2 1] / 16), zero outside; flat loops as in `morph`.
    private func blur3x3(_ sample: UnsafeMutableBufferPointer<UInt8>) {
        let w = width, h = height, n = w * h
        guard w > 1 && h > 1 else { return }
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: n + 2 * w) { buffer in
            // Row sums with a zero row above and below, so the column pass needs no edge cases.
            let r = buffer.baseAddress! + w, p = sample.baseAddress!
            for i in 0..<w { r[i - w] = 0; r[n + i] = 0 }
            for i in 1..<(n - 1) { r[i] = UInt16(p[i - 1]) + 2 * UInt16(p[i]) + UInt16(p[i + 1]) }
            for y in 0..<h {
                let a = y * w, b = y * w + w - 1
                r[a] = 2 * UInt16(p[a]) + UInt16(p[a + 1])
                r[b] = UInt16(p[b - 1]) + 2 * UInt16(p[b])
            }
            for i in 0..<n { p[i] = UInt8(truncatingIfNeeded: (UInt32(r[i - w]) + 2 * UInt32(r[i]) + UInt32(r[i + w]) + 8) >> 4) }
        }
    }
}

/// Bilinear sample at 16.16 fixed-point (u, v) in pixel-index coordinates; pixels outside are 0.
@inline(__always)
private func bilinearFixed(_ p: UnsafeMutableBufferPointer<UInt8>, _ w: Int, _ h: Int, _ u: Int, _ v: Int) -> UInt8 {
    let x0 = u >> 16, y0 = v >> 16  // arithmetic shift: floor
    let tx = (u >> 8) & 0xFF, ty = (v >> 8) & 0xFF  // 8-bit fractions
    let p00, p10, p01, p11: Int
    if UInt(bitPattern: x0) < UInt(w - 1) && UInt(bitPattern: y0) < UInt(h - 1) {  // interior
        let i = y0 &* w &+ x0
        p00 = Int(p[i]); p10 = Int(p[i &+ 1]); p01 = Int(p[i &+ w]); p11 = Int(p[i &+ w &+ 1])
    } else if x0 < -1 || y0 < -1 || x0 >= w || y0 >= h {
        return 0
    } else {
        @inline(__always) func at(_ x: Int, _ y: Int) -> Int {
            x >= 0 && y >= 0 && x < w && y < h ? Int(p[y * w + x]) : 0
        }
        p00 = at(x0, y0); p10 = at(x0 + 1, y0); p01 = at(x0, y0 + 1); p11 = at(x0 + 1, y0 + 1)
    }
    let top = (p00 &<< 8) &+ (p10 &- p00) &* tx  // 0...65280
    let bottom = (p01 &<< 8) &+ (p11 &- p01) &* tx
    return UInt8(truncatingIfNeeded: ((top &<< 8) &+ (bottom &- top) &* ty &+ 32768) >> 16)
}

/// Bilinear sample at (u, v) in pixel-index coordinates; pixels outside the image are 0.
@inline(__always)
private func bilinear(_ p: UnsafeMutableBufferPointer<UInt8>, _ w: Int, _ h: Int, _ u: Float, _ v: Float) -> UInt8 {
    guard u > -1, v > -1, u < Float(w), v < Float(h) else { return 0 }
    // u + 1 > 0, so truncation is floor (Float.rounded(.down) can be a libm call without SSE4.1).
    let x0 = Int(u + 1) - 1, y0 = Int(v + 1) - 1
    let tx = u - Float(x0), ty = v - Float(y0)
    let p00: Float, p10: Float, p01: Float, p11: Float
    if x0 >= 0 && y0 >= 0 && x0 < w - 1 && y0 < h - 1 {  // interior: no edge checks
        let i = y0 * w + x0
        p00 = Float(p[i]); p10 = Float(p[i + 1]); p01 = Float(p[i + w]); p11 = Float(p[i + w + 1])
    } else {
        @inline(__always) func at(_ x: Int, _ y: Int) -> Float {
            x >= 0 && y >= 0 && x < w && y < h ? Float(p[y * w + x]) : 0
        }
        p00 = at(x0, y0); p10 = at(x0 + 1, y0); p01 = at(x0, y0 + 1); p11 = at(x0 + 1, y0 + 1)
    }
    let top = p00 + (p10 - p00) * tx
    let bottom = p01 + (p11 - p01) * tx
    return UInt8(min(max(top + (bottom - top) * ty + 0.5, 0), 255))
}
