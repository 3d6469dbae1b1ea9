// DigitNormalizer.swift: any picture of one digit -> the 28x28 image an MNIST network expects.
//
// MNIST's own recipe (LeCun et al.): the digit's bounding box is scaled, keeping its aspect ratio, to fit
// 20x20 with anti-aliasing, then pasted into 28x28 so that its centre of mass is at the centre. Before
// that, a photo needs what MNIST never had: polarity (dark ink on light paper is inverted), background
// removal, contrast stretch, and a crop that ignores noise, specks and lines along the edges.

/// Turns a decoded grayscale picture of one digit into a 28x28 MNIST-style image: bright ink (255) on
/// black (0), scaled to fit the box, centre of mass at the centre of the canvas.
public struct DigitNormalizer: Equatable, Sendable {
    /// Output side (28 for MNIST).
    public var canvas: Int = 28
    /// Side of the box the digit's bounding box is scaled to fit (20 for MNIST).
    public var box: Int = 20
    /// Pixels darker (or brighter) than the background by more than this many noise standard deviations
    /// count as ink candidates when deciding polarity and estimating the ink level.
    public var noiseSigmas: Double = 4
    /// After stretching (background 0, ink 1), the crop mask is `value > cropThreshold` (raised to
    /// `noiseSigmas` standard deviations of the stretched noise when the picture is noisy).
    public var cropThreshold: Double = 0.2
    /// Connected ink pieces lighter than this fraction of the heaviest piece are dropped (specks).
    public var minPieceFraction: Double = 0.02
    /// Pieces farther than this fraction of the main piece's larger side from it are dropped.
    public var maxPieceGap: Double = 0.6
    /// Target centre of mass in pixel-index coordinates (pixel i's centre is at i). MNIST's digits have
    /// theirs at (14, 14) on average (measured on t10k: 14.00 ± 0.29 in x and y).
    public var centre: Double = 14

    /// The MNIST recipe with the defaults above.
    public static let standard = DigitNormalizer()

    /// Name of the recipe, stored in model files next to `parameters`.
    public static let recipeName = "mnist-com-v1"
    public var recipeName: String { Self.recipeName }

    public init() {}

    /// Every tunable, by name, for storage in a model file.
    public var parameters: [String: Double] {
        ["canvas": Double(canvas), "box": Double(box), "noiseSigmas": noiseSigmas, "cropThreshold": cropThreshold,
         "minPieceFraction": minPieceFraction, "maxPieceGap": maxPieceGap, "centre": centre]
    }

    /// Restores a recipe from `parameters`; missing names keep their defaults, unknown names are ignored,
    /// out-of-range values are clamped to something usable.
    public init(parameters p: [String: Double]) {
        func int(_ v: Double?, _ d: Int, _ range: ClosedRange<Int>) -> Int {
            guard let v, v.isFinite else { return d }
            // clamped as a Double first: a model file may say 1e300, and Int(1e300) traps
            return Int(min(max(v.rounded(), Double(range.lowerBound)), Double(range.upperBound)))
        }
        func dbl(_ v: Double?, _ d: Double, _ range: ClosedRange<Double>) -> Double {
            guard let v, v.isFinite else { return d }
            return min(max(v, range.lowerBound), range.upperBound)
        }
        canvas = int(p["canvas"], canvas, 1...4096)
        box = int(p["box"], box, 1...canvas)
        noiseSigmas = dbl(p["noiseSigmas"], noiseSigmas, 0...100)
        cropThreshold = dbl(p["cropThreshold"], cropThreshold, 0...1)
        minPieceFraction = dbl(p["minPieceFraction"], minPieceFraction, 0...1)
        maxPieceGap = dbl(p["maxPieceGap"], maxPieceGap, 0...100)
        centre = dbl(p["centre"], centre, 0...Double(canvas))
    }

    /// The normalised `canvas` x `canvas` image; blank (all 0) when no ink is found.
    public func normalize(_ image: GrayImage) -> GrayImage {
        let blank = GrayImage(width: canvas, height: canvas, fill: 0)
        let w = image.width, h = image.height, n = w * h
        guard n > 0 else { return blank }

        // 1. Background = median level; noise = 1.4826 x median absolute deviation from it.
        var histogram = [Int](repeating: 0, count: 256)
        image.pixels.withUnsafeBufferPointer { px in
            // Four interleaved counts: a plain background hits one bin again and again, and each increment
            // would wait for the previous one to be stored.
            var four = [Int32](repeating: 0, count: 4 * 256)
            four.withUnsafeMutableBufferPointer { c in
                var i = 0
                while i + 4 <= n {
                    c[Int(px[i])] &+= 1; c[256 + Int(px[i + 1])] &+= 1
                    c[512 + Int(px[i + 2])] &+= 1; c[768 + Int(px[i + 3])] &+= 1
                    i += 4
                }
                while i < n { c[Int(px[i])] &+= 1; i += 1 }
            }
            for level in 0..<256 {
                histogram[level] = Int(four[level]) + Int(four[256 + level]) + Int(four[512 + level]) + Int(four[768 + level])
            }
        }
        let bg = quantile(histogram, n / 2)
        var deviation = [Int](repeating: 0, count: 256)
        for level in 0..<256 { deviation[abs(level - bg)] += histogram[level] }
        let measuredSigma = 1.4826 * Double(quantile(deviation, n / 2))
        let sigma = max(measuredSigma, 0.5)
        let noise = noiseSigmas * sigma

        // 2. Polarity: the side of the background with more mass beyond the noise is the ink.
        var dark = 0.0, bright = 0.0
        for level in 0..<256 where histogram[level] > 0 {
            let d = Double(level - bg)
            if d > noise { bright += Double(histogram[level]) * (d - noise) }
            if -d > noise { dark += Double(histogram[level]) * (-d - noise) }
        }
        guard max(dark, bright) > 0 else { return blank }
        let invert = dark > bright

        // 3. Ink level: median of the strong candidates (those over half the 99th percentile of all
        //    candidates), so a few outliers or a thin stroke do not set the scale.
        var inkHistogram = [Int](repeating: 0, count: 256)
        var candidates = 0
        for level in 0..<256 {
            let d = invert ? bg - level : level - bg
            if Double(d) > noise { inkHistogram[d] += histogram[level]; candidates += histogram[level] }
        }
        let high = quantile(inkHistogram, min(candidates - 1, candidates * 99 / 100))
        var strong = inkHistogram
        for d in 0..<min(256, (high + 1) / 2) { strong[d] = 0 }
        let strongCount = strong.reduce(0, +)
        let inkLevel = Double(max(quantile(strong, strongCount / 2), 1))
        if inkLevel < 2 * noise && inkLevel < 24 { return blank }  // no ink clearly above the noise

        // 4. Stretch: background 0, ink 1 (a table over the 256 levels, applied to pixels as they are used).
        var lut = [Float](repeating: 0, count: 256)
        for level in 0..<256 {
            let d = Double(invert ? bg - level : level - bg)
            lut[level] = Float(min(max(d / inkLevel, 0), 1))
        }
        let stretchedSigma = sigma / inkLevel
        let threshold = Float(min(max(cropThreshold, noiseSigmas * stretchedSigma), 0.5))

        // 5. Crop: connected pieces of the mask; keep the heaviest and those near it; zero the rest.
        guard let crop = cropBox(image.pixels, lut: lut, width: w, height: h, threshold: threshold) else { return blank }

        // 6. Scale the box to fit box x box, keeping the aspect ratio.
        let bw = crop.x1 - crop.x0, bh = crop.y1 - crop.y0
        let factor = Double(box) / Double(max(bw, bh))
        let ow = max(1, min(box, Int((Double(bw) * factor).rounded())))
        let oh = max(1, min(box, Int((Double(bh) * factor).rounded())))
        var patch = resample(crop.region, width: bw, x0: 0, y0: 0, bw: bw, bh: bh, ow: ow, oh: oh)

        // 7. Residual noise after resampling (area averaging divides it by the reduction factor): floor it.
        let residual = measuredSigma / inkLevel * min(1, factor)
        let floor = Float(min(noiseSigmas * residual, 0.3))
        if floor > 0.004 {
            for i in patch.indices { patch[i] = max(0, patch[i] - floor) / (1 - floor) }
        }

        // 8. Centre of mass to `centre`, clamped so the patch stays inside the canvas.
        var mass: Float = 0, mx: Float = 0, my: Float = 0
        for y in 0..<oh {
            for x in 0..<ow {
                let v = patch[y * ow + x]
                mass += v; mx += v * Float(x); my += v * Float(y)
            }
        }
        guard mass > 0 else { return blank }
        let dx = Int((centre - Double(mx / mass)).rounded())
        let dy = Int((centre - Double(my / mass)).rounded())
        let ox = min(max(dx, 0), max(canvas - ow, 0)), oy = min(max(dy, 0), max(canvas - oh, 0))
        var out = blank
        for y in 0..<oh where oy + y < canvas {
            for x in 0..<ow where ox + x < canvas {
                out.pixels[(oy + y) * canvas + ox + x] = UInt8(min(max(patch[y * ow + x] * 255 + 0.5, 0), 255))
            }
        }
        return out
    }

    /// Finds the 8-connected pieces of `lut[pixel] > threshold`, keeps the main piece (the heaviest one
    /// that is not a line along the picture's edge) and the pieces near it, and returns the kept pieces'
    /// bounding box (x1, y1 exclusive) with the stretched values inside it, pixels of dropped pieces
    /// zeroed. Nil when there is no ink.
    ///
    /// Works on runs, not pixels: each row's runs of ink are found in one pass over the bytes, and a run
    /// joins the pieces of the runs it touches in the row above (union-find over runs). A flood fill
    /// visited every ink pixel and its eight neighbours, and was the normaliser's largest cost.
    private func cropBox(_ pixels: [UInt8], lut: [Float], width w: Int, height h: Int, threshold: Float)
        -> (x0: Int, y0: Int, x1: Int, y1: Int, region: [Float])?
    {
        // Ink levels: the stretch is monotone in the level, so they are one interval lo...hi.
        var lo = 256, hi = -1
        for level in 0..<256 where lut[level] > threshold { lo = min(lo, level); hi = max(hi, level) }
        guard hi >= 0 else { return nil }
        let low = UInt8(lo), span = UInt8(hi - lo)
        let lows = SIMD16<UInt8>(repeating: low), spans = SIMD16<UInt8>(repeating: span)

        // Runs [x0, x1) of row y, in raster order; parent[i] < i or == i (the root is a piece's first run).
        var runY: [Int32] = [], runX0: [Int32] = [], runX1: [Int32] = [], parent: [Int32] = []
        var runMass: [Float] = []
        func root(_ i: Int) -> Int {
            var r = i
            while parent[r] != Int32(r) { r = Int(parent[r]) }
            var j = i  // path halving keeps later finds short
            while parent[j] != Int32(r) { let next = Int(parent[j]); parent[j] = Int32(r); j = next }
            return r
        }
        pixels.withUnsafeBufferPointer { px in
            lut.withUnsafeBufferPointer { lut in
                var above = 0..<0  // the runs of the previous row
                for y in 0..<h {
                    let row = px.baseAddress! + y * w
                    let first = runY.count
                    var ap = above.lowerBound
                    var x = 0
                    while x < w {
                        // Background: sixteen pixels at a time while none of them is ink.
                        while x + 16 <= w {
                            let v = UnsafeRawPointer(row + x).loadUnaligned(as: SIMD16<UInt8>.self)
                            if any((v &- lows) .<= spans) { break }
                            x += 16
                        }
                        while x < w && (row[x] &- low) > span { x += 1 }
                        if x >= w { break }
                        let start = x
                        var mass: Float = 0
                        while x < w && (row[x] &- low) <= span { mass += lut[Int(row[x])]; x += 1 }
                        let me = runY.count
                        runY.append(Int32(y)); runX0.append(Int32(start)); runX1.append(Int32(x))
                        parent.append(Int32(me)); runMass.append(mass)
                        // Join the runs above that touch this one, diagonals included (both rows are
                        // sorted by x: runs ending left of this one cannot touch the next one either).
                        while ap < above.upperBound && Int(runX1[ap]) < start { ap += 1 }
                        var a = ap
                        while a < above.upperBound && Int(runX0[a]) <= x {
                            let ra = root(a), rm = root(me)
                            if ra != rm { parent[max(ra, rm)] = Int32(min(ra, rm)) }
                            a += 1
                        }
                    }
                    above = first..<runY.count
                }
            }
        }
        guard !runY.isEmpty else { return nil }

        // Pieces, numbered in the order of their first run (raster order of their first pixel).
        struct Piece { var mass: Float = 0; var count = 0; var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1 }
        var pieceOfRoot = [Int32](repeating: -1, count: runY.count)
        var pieceOfRun = [Int32](repeating: 0, count: runY.count)
        var pieces: [Piece] = []
        for i in runY.indices {
            let r = root(i)
            if pieceOfRoot[r] < 0 { pieceOfRoot[r] = Int32(pieces.count); pieces.append(Piece()) }
            let k = Int(pieceOfRoot[r])
            pieceOfRun[i] = Int32(k)
            let y = Int(runY[i]), x0 = Int(runX0[i]), x1 = Int(runX1[i])
            pieces[k].mass += runMass[i]; pieces[k].count += x1 - x0
            pieces[k].x0 = min(pieces[k].x0, x0); pieces[k].x1 = max(pieces[k].x1, x1)
            pieces[k].y0 = min(pieces[k].y0, y); pieces[k].y1 = max(pieces[k].y1, y + 1)
        }

        // A line along the edge (a frame, the border of a sheet) touches the edge and is thin or hollow.
        func isEdgeLine(_ p: Piece) -> Bool {
            let touches = p.x0 == 0 || p.y0 == 0 || p.x1 == w || p.y1 == h
            let pw = p.x1 - p.x0, ph = p.y1 - p.y0
            let thin = min(pw, ph) * 12 <= max(pw, ph)
            let hollow = Double(p.count) < 0.06 * Double(pw * ph) && max(pw, ph) * 2 > max(w, h)
            return touches && (thin || hollow)
        }
        let eligible = pieces.indices.filter { !isEdgeLine(pieces[$0]) }
        let pool = eligible.isEmpty ? Array(pieces.indices) : eligible
        let main = pool.max { pieces[$0].mass < pieces[$1].mass }!
        let m = pieces[main]
        let reach = maxPieceGap * Double(max(m.x1 - m.x0, m.y1 - m.y0))
        var keep = [Bool](repeating: false, count: pieces.count)
        var box = (x0: m.x0, y0: m.y0, x1: m.x1, y1: m.y1)
        for i in pool {
            let p = pieces[i]
            let gapX = max(0, max(p.x0 - m.x1, m.x0 - p.x1)), gapY = max(0, max(p.y0 - m.y1, m.y0 - p.y1))
            if i == main || (p.mass >= Float(minPieceFraction) * m.mass && Double(max(gapX, gapY)) <= reach) {
                keep[i] = true
                box = (min(box.x0, p.x0), min(box.y0, p.y0), max(box.x1, p.x1), max(box.y1, p.y1))
            }
        }

        // The box in floats; then the runs of dropped pieces that fall inside it, zeroed.
        let bw = box.x1 - box.x0, bh = box.y1 - box.y0
        var region = [Float](unsafeUninitializedCapacity: bw * bh) { r, count in
            pixels.withUnsafeBufferPointer { px in
                lut.withUnsafeBufferPointer { lut in
                    for y in 0..<bh {
                        let row = (box.y0 + y) * w + box.x0
                        for x in 0..<bw { r[y * bw + x] = lut[Int(px[row + x])] }
                    }
                }
            }
            count = bw * bh
        }
        for i in runY.indices where !keep[Int(pieceOfRun[i])] {
            let y = Int(runY[i]) - box.y0
            guard y >= 0 && y < bh else { continue }
            let x0 = max(Int(runX0[i]), box.x0) - box.x0, x1 = min(Int(runX1[i]), box.x1) - box.x0
            if x0 < x1 { for x in x0..<x1 { region[y * bw + x] = 0 } }
        }
        return (box.x0, box.y0, box.x1, box.y1, region)
    }
}

/// The level at 0-based rank `rank` of a 256-bin histogram.
private func quantile(_ histogram: [Int], _ rank: Int) -> Int {
    var seen = 0
    for level in 0..<histogram.count {
        seen += histogram[level]
        if seen > rank { return level }
    }
    return histogram.count - 1
}

/// Resamples the (bw x bh) region at (x0, y0) of `s` (row length `width`) to ow x oh: area averaging
/// when shrinking (each output pixel is the exact mean of the source area it covers), bilinear when
/// enlarging. Separable: rows first, then columns.
func resample(_ s: [Float], width: Int, x0: Int, y0: Int, bw: Int, bh: Int, ow: Int, oh: Int) -> [Float] {
    let wx = resampleWeights(source: bw, target: ow)
    let wy = resampleWeights(source: bh, target: oh)
    var horizontal = [Float](repeating: 0, count: ow * bh)
    for y in 0..<bh {
        let row = (y0 + y) * width + x0
        for x in 0..<ow {
            var acc: Float = 0
            for (i, weight) in wx[x] { acc += weight * s[row + i] }
            horizontal[y * ow + x] = acc
        }
    }
    var out = [Float](repeating: 0, count: ow * oh)
    for y in 0..<oh {
        for (i, weight) in wy[y] {
            for x in 0..<ow { out[y * ow + x] += weight * horizontal[i * ow + x] }
        }
    }
    return out
}

/// For each of `target` output samples, the source samples and weights (summing to 1) that make it.
func resampleWeights(source: Int, target: Int) -> [[(Int, Float)]] {
    let scale = Double(source) / Double(target)  // source pixels per output pixel
    return (0..<target).map { o in
        if scale >= 1 {
            // Area: output pixel o covers source [o*scale, (o+1)*scale).
            let a = Double(o) * scale, b = Double(o + 1) * scale
            var weights: [(Int, Float)] = []
            var i = Int(a)
            while Double(i) < b && i < source {
                let cover = min(b, Double(i + 1)) - max(a, Double(i))
                if cover > 1e-9 { weights.append((i, Float(cover / scale))) }
                i += 1
            }
            return weights
        } else {
            // Bilinear between pixel centres, clamped at the edges.
            let c = (Double(o) + 0.5) * scale - 0.5
            let i0 = Int(c.rounded(.down)), t = c - Double(i0)
            let a = min(max(i0, 0), source - 1), b = min(max(i0 + 1, 0), source - 1)
            return a == b ? [(a, Float(1))] : [(a, Float(1 - t)), (b, Float(t))]
        }
    }
}
