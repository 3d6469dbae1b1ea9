// ResizeNormalizer.swift: any picture -> the model's input size, the whole object kept (recipe "resize-v1").
//
// For data that is not centred digits (Fashion-MNIST, small photos of objects), following how Fashion-MNIST
// was made from product photos: the background is trimmed, and the object's box is scaled, keeping its
// aspect ratio, until its longer side fills the input (area averaging when shrinking, bilinear when
// enlarging), centred, the rest filled with the background. Polarity follows Fashion-MNIST (a light object
// on black): the median of the picture's border pixels is its background, and a light background (median
// above 127, a product photo on white paper) is inverted. The object's box holds the pixels that differ
// from the background by more than `trimThreshold` (10% of the range), so noise and JPEG haze do not count.
// A picture already of the input size with a dark background (a Fashion-MNIST image saved as a PNG) is in
// the training data's own form and is used as it is.

/// Scales the object in a grayscale picture to fill `width` x `height`, background dark.
public struct ResizeNormalizer: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// Pixels differing from the background by more than this many levels (0-255) belong to the object.
    public var trimThreshold: Double = 25

    /// Name of the recipe, stored in model files next to `parameters`.
    public static let recipeName = "resize-v1"

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var parameters: [String: Double] { ["width": Double(width), "height": Double(height), "trimThreshold": trimThreshold] }

    /// Restores a recipe from `parameters` (a model file's); sizes are clamped to 1-4096, missing ones are
    /// `fallback` (the model's input size).
    public init(parameters p: [String: Double], fallback: (width: Int, height: Int)) {
        func side(_ v: Double?, _ d: Int) -> Int {
            guard let v, v.isFinite else { return d }
            return Int(min(max(v.rounded(), 1), 4096))
        }
        self.init(width: side(p["width"], fallback.width), height: side(p["height"], fallback.height))
        if let t = p["trimThreshold"], t.isFinite { trimThreshold = min(max(t, 0), 255) }
    }

    /// The `width` x `height` image the network takes: the object trimmed, fitted and centred.
    public func normalize(_ image: GrayImage) -> GrayImage {
        let w = image.width, h = image.height
        guard w > 0 && h > 0 else { return GrayImage(width: width, height: height, fill: 0) }
        // Background: the median of the border pixels (each counted once).
        var histogram = [Int](repeating: 0, count: 256)
        var border = 0
        for y in 0..<h {
            let step = (y == 0 || y == h - 1) ? 1 : max(1, w - 1)
            var x = 0
            while x < w {
                histogram[Int(image[x, y])] += 1
                border += 1
                x += step
            }
        }
        var seen = 0, background = 0
        for level in 0..<256 {
            seen += histogram[level]
            if 2 * seen > border { background = level; break }
        }
        let invert = background > 127
        // A picture of the input's size on a dark background is in the training data's own form (a
        // Fashion-MNIST image saved as PNG): used as it is.
        if w == width && h == height && !invert { return image }
        let source = image.pixels.map { Float(invert ? 255 - $0 : $0) }
        // The object's box: pixels clearly off the background. None: the whole picture.
        var x0 = w, y0 = h, x1 = -1, y1 = -1
        for y in 0..<h {
            for x in 0..<w where abs(Double(image[x, y]) - Double(background)) > trimThreshold {
                x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
            }
        }
        if x1 < 0 { (x0, y0, x1, y1) = (0, 0, w - 1, h - 1) }
        let bw = x1 - x0 + 1, bh = y1 - y0 + 1
        // Fit inside width x height, aspect ratio kept; at least one pixel each way.
        let scale = min(Double(width) / Double(bw), Double(height) / Double(bh))
        let ow = min(width, max(1, Int((Double(bw) * scale).rounded())))
        let oh = min(height, max(1, Int((Double(bh) * scale).rounded())))
        let scaled = resample(source, width: w, x0: x0, y0: y0, bw: bw, bh: bh, ow: ow, oh: oh)
        let fill = UInt8(invert ? 255 - background : background)
        var out = GrayImage(width: width, height: height, fill: fill)
        let left = (width - ow) / 2, top = (height - oh) / 2
        for y in 0..<oh {
            for x in 0..<ow { out[left + x, top + y] = UInt8(min(max(scaled[y * ow + x].rounded(), 0), 255)) }
        }
        return out
    }
}

/// The picture recipes a model file can name (`norm` section): how nn-predict turns a PNG into the input.
public enum PictureRecipe: Equatable, Sendable {
    /// MNIST's: crop the ink, fit 20x20, centre of mass at the centre of 28x28 (`DigitNormalizer`).
    case digit(DigitNormalizer)
    /// The whole picture scaled to the input size (`ResizeNormalizer`).
    case resize(ResizeNormalizer)

    /// Names as `nn-train --png-recipe` takes them, and the recipe names stored for them.
    public static let choices: [(option: String, stored: String)] = [("digit", DigitNormalizer.recipeName), ("resize", ResizeNormalizer.recipeName)]

    /// The recipe a model file names, nil for a name this version does not know. `inputSize` is the model's
    /// image size, the default for a resize recipe's missing sizes.
    public init?(name: String, parameters: [String: Double], inputSize: (width: Int, height: Int)) {
        switch name {
        case DigitNormalizer.recipeName: self = .digit(DigitNormalizer(parameters: parameters))
        case ResizeNormalizer.recipeName: self = .resize(ResizeNormalizer(parameters: parameters, fallback: inputSize))
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .digit: return DigitNormalizer.recipeName
        case .resize: return ResizeNormalizer.recipeName
        }
    }

    public var parameters: [String: Double] {
        switch self {
        case .digit(let d): return d.parameters
        case .resize(let r): return r.parameters
        }
    }

    /// Width and height of the images it makes.
    public var outputSize: (width: Int, height: Int) {
        switch self {
        case .digit(let d): return (d.canvas, d.canvas)
        case .resize(let r): return (r.width, r.height)
        }
    }

    public func normalize(_ image: GrayImage) -> GrayImage {
        switch self {
        case .digit(let d): return d.normalize(image)
        case .resize(let r): return r.normalize(image)
        }
    }

    /// The recipe for a model trained on these one-channel images when none is asked for, with the reason:
    /// digit for 28x28 images whose ink fits 20x20 like MNIST's digits, resize for any other images.
    /// `pixels` holds `count` images of `width` x `height` bytes. (nn-train and the library's training
    /// both choose with this.)
    public static func chosen(forImages pixels: [UInt8], count: Int, width: Int, height: Int) -> (recipe: PictureRecipe, reason: String) {
        let resize = PictureRecipe.resize(ResizeNormalizer(width: width, height: height))
        let canvas = DigitNormalizer.standard.canvas
        guard width == canvas && height == canvas else { return (resize, "images are not \(canvas)x\(canvas)") }
        let (digits, fitting) = DigitNormalizer.looksLikeDigits(pixels, count: count)
        let hundredths = Int((fitting * 10_000).rounded())   // "99.50%", without Foundation
        let share = "\(hundredths / 100)." + (hundredths % 100 < 10 ? "0" : "") + "\(hundredths % 100)%"
        return digits ? (.digit(.standard), "ink inside 20x20 in \(share) of the images, like MNIST's digits")
            : (resize, "ink inside 20x20 in only \(share) of the images: not MNIST-style digits")
    }
}

extension DigitNormalizer {
    /// Whether 28x28 training images look like MNIST's digits, which were made by fitting each digit's
    /// bounding box into 20x20 and pasting it into 28x28: true when at least 99% of the images have all their
    /// ink (pixels above 0) inside some 20x20 box. (Embedded MNIST: 100%; Fashion-MNIST's training set: 0%,
    /// its garments fill the canvas.) `pixels` holds `count` images of 28x28 bytes.
    public static func looksLikeDigits(_ pixels: [UInt8], count: Int) -> (digits: Bool, fitting: Double) {
        let side = 28, box = 20
        guard count > 0, pixels.count == count * side * side else { return (false, 0) }
        var fitting = 0
        for i in 0..<count {
            var x0 = side, x1 = -1, y0 = side, y1 = -1
            let base = i * side * side
            for y in 0..<side {
                for x in 0..<side where pixels[base + y * side + x] > 0 {
                    x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
                }
            }
            if x1 - x0 < box && y1 - y0 < box { fitting += 1 }
        }
        let share = Double(fitting) / Double(count)
        return (share >= 0.99, share)
    }
}
