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

    /// Distorts one width x height sample in place. Draws seven random values per call (plus 32 when
    /// the elastic distortion fires), whatever the settings.
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
            for y in 0..<h {
                let ry = Float(y) - cy - sy
                for x in 0..<w {
                    let rx = Float(x) - cx - sx
                    // Screen y points down, so counter-clockwise on screen is the usual matrix with -s.
                    var u = c * rx - s * ry + cx
                    var v = s * rx + c * ry + cy
                    if let g = elasticGrid {
                        let gx = Float(x) * 3 / Float(max(w - 1, 1)), gy = Float(y) * 3 / Float(max(h - 1, 1))
                        let ix = min(Int(gx), 2), iy = min(Int(gy), 2)
                        let tx = gx - Float(ix), ty = gy - Float(iy)
                        func node(_ i: Int, _ j: Int, _ k: Int) -> Float { g[((j * 4) + i) * 2 + k] }
                        for k in 0..<2 {
                            let top = node(ix, iy, k) * (1 - tx) + node(ix + 1, iy, k) * tx
                            let bottom = node(ix, iy + 1, k) * (1 - tx) + node(ix + 1, iy + 1, k) * tx
                            let d = top * (1 - ty) + bottom * ty
                            if k == 0 { u += d } else { v += d }
                        }
                    }
                    out[y * w + x] = bilinear(sample, w, h, u, v)
                }
            }
            for i in 0..<(w * h) { sample[i] = out[i] }
        }
    }

    /// 3x3 grey dilation (max) or erosion (min), edges clamped.
    private func morph(_ sample: UnsafeMutableBufferPointer<UInt8>, dilate: Bool) {
        let w = width, h = height
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: w * h) { out in
            for y in 0..<h {
                for x in 0..<w {
                    var m: UInt8 = dilate ? 0 : 255
                    for yy in max(y - 1, 0)...min(y + 1, h - 1) {
                        for xx in max(x - 1, 0)...min(x + 1, w - 1) {
                            let v = sample[yy * w + xx]
                            m = dilate ? max(m, v) : min(m, v)
                        }
                    }
                    out[y * w + x] = m
                }
            }
            for i in 0..<(w * h) { sample[i] = out[i] }
        }
    }

    /// 3x3 binomial blur ([1 2 1] x [1 2 1] / 16), zero outside.
    private func blur3x3(_ sample: UnsafeMutableBufferPointer<UInt8>) {
        let w = width, h = height
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: w * h) { rows in
            for y in 0..<h {
                for x in 0..<w {
                    let l = x > 0 ? UInt16(sample[y * w + x - 1]) : 0
                    let r = x < w - 1 ? UInt16(sample[y * w + x + 1]) : 0
                    rows[y * w + x] = l + 2 * UInt16(sample[y * w + x]) + r
                }
            }
            for y in 0..<h {
                for x in 0..<w {
                    let t = y > 0 ? UInt32(rows[(y - 1) * w + x]) : 0
                    let b = y < h - 1 ? UInt32(rows[(y + 1) * w + x]) : 0
                    sample[y * w + x] = UInt8((t + 2 * UInt32(rows[y * w + x]) + b + 8) / 16)
                }
            }
        }
    }
}

/// Bilinear sample at (u, v) in pixel-index coordinates; pixels outside the image are 0.
@inline(__always)
private func bilinear(_ p: UnsafeMutableBufferPointer<UInt8>, _ w: Int, _ h: Int, _ u: Float, _ v: Float) -> UInt8 {
    guard u > -1, v > -1, u < Float(w), v < Float(h) else { return 0 }
    let fx = u.rounded(.down), fy = v.rounded(.down)
    let x0 = Int(fx), y0 = Int(fy)
    let tx = u - fx, ty = v - fy
    @inline(__always) func at(_ x: Int, _ y: Int) -> Float {
        x >= 0 && y >= 0 && x < w && y < h ? Float(p[y * w + x]) : 0
    }
    let top = at(x0, y0) + (at(x0 + 1, y0) - at(x0, y0)) * tx
    let bottom = at(x0, y0 + 1) + (at(x0 + 1, y0 + 1) - at(x0, y0 + 1)) * tx
    return UInt8(min(max(top + (bottom - top) * ty + 0.5, 0), 255))
}
