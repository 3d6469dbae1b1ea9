// Canvas.swift: what the pictures are drawn on. Each picture (training curves, confusion heat map, error
// grid) is described once, as calls on a Canvas; SVGCanvas writes them as SVG elements, RasterCanvas paints
// them into pixels for a PNG file. Coordinates are pixels, y down, the same in both.
//
// RasterCanvas anti-aliases by coverage: a line or circle pixel is painted in proportion to how far its
// centre lies inside the shape's edge (a one-pixel ramp), a rectangle's edge pixels by the area covered,
// and text from DejaVu Sans glyphs (FontData.swift, 24 px masters, 4-bit coverage) resampled to the size
// asked for. SVG leaves text to the viewer's sans-serif font, which the raster metrics approximate.

import NNImage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An sRGB colour, parsed from "#rrggbb", "white" or "black".
public struct RGB: Equatable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    public init(_ name: String) {
        switch name {
        case "white": self.init(255, 255, 255)
        case "black": self.init(0, 0, 0)
        default:
            let digits = Array(name.utf8.dropFirst())
            func byte(_ i: Int) -> UInt8 {
                guard digits.count == 6 else { return 0 }
                func nibble(_ c: UInt8) -> UInt8 { c >= 97 ? c - 87 : c >= 65 ? c - 55 : c &- 48 }
                return nibble(digits[i]) << 4 | nibble(digits[i + 1])
            }
            self.init(byte(0), byte(2), byte(4))
        }
    }
}

enum TextAnchor: String { case start, middle, end }

/// The drawing operations the pictures use. `attributes` and groups give the SVG its structure (classes,
/// data- attributes that tests and scripts read); RasterCanvas ignores them.
protocol Canvas {
    mutating func beginGroup(_ attributes: [(String, String)], clip: String?)
    mutating func endGroup()
    /// A clipping rectangle that later groups name by `id`.
    mutating func defineClip(id: String, x: Double, y: Double, width: Double, height: Double)
    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String?, stroke: String?, strokeWidth: Double,
                       attributes: [(String, String)])
    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double)
    mutating func polyline(_ points: [(x: Double, y: Double)], stroke: String, width: Double)
    mutating func circle(cx: Double, cy: Double, r: Double, fill: String)
    /// Text whose baseline starts, centres or ends at (x, y); `vertical` turns it -90 degrees about (x, y)
    /// (reading upwards).
    mutating func text(_ s: String, x: Double, y: Double, size: Double, anchor: TextAnchor, bold: Bool, fill: String,
                       vertical: Bool, attributes: [(String, String)])
    /// A grayscale image, each pixel `scale` x `scale` (nearest neighbour), top-left at (x, y).
    mutating func image(_ image: GrayImage, x: Double, y: Double, scale: Int, attributes: [(String, String)])
}

extension Canvas {
    mutating func beginGroup(_ attributes: [(String, String)]) { beginGroup(attributes, clip: nil) }
    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String?, stroke: String? = nil,
                       strokeWidth: Double = 1) {
        rect(x: x, y: y, width: width, height: height, fill: fill, stroke: stroke, strokeWidth: strokeWidth, attributes: [])
    }
    mutating func text(_ s: String, x: Double, y: Double, size: Double = 12, anchor: TextAnchor = .start, bold: Bool = false,
                       fill: String = "black", vertical: Bool = false, class className: String? = nil) {
        text(s, x: x, y: y, size: size, anchor: anchor, bold: bold, fill: fill, vertical: vertical,
             attributes: className.map { [("class", $0)] } ?? [])
    }
}

/// The two formats a picture can be written in, chosen by the output file's extension.
public enum PictureFormat: String, Sendable {
    case svg, png

    /// .svg or .png (any case); nil for other names.
    public static func of(path: String) -> PictureFormat? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        return PictureFormat(rawValue: name[name.index(after: dot)...].lowercased())
    }

    /// The format of an output picture: from the name's extension; for standard output ("-") and files
    /// that are not regular files (/dev/null, a FIFO), whose names say nothing, `fallback`. Nil: a name
    /// that asks for neither format (the caller refuses it).
    public static func forOutput(_ path: String, fallback: PictureFormat) -> PictureFormat? {
        if let f = of(path: path) { return f }
        if path == "-" { return fallback }
        var st = stat()
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG && (st.st_mode & S_IFMT) != S_IFDIR { return fallback }
        return nil
    }

    /// The one line a tool prints for a name `forOutput` refuses.
    public static func refusal(flag: String, path: String) -> String {
        "\(flag) \(path): name a .png or .svg file (the picture's format follows the extension)"
    }
}

// MARK: - SVG

/// Writes the operations as one standalone SVG document.
struct SVGCanvas: Canvas {
    private(set) var body = ""
    let width: Int, height: Int, title: String

    init(width: Int, height: Int, title: String) {
        self.width = width
        self.height = height
        self.title = title
    }

    /// The whole document.
    var document: String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" \
        viewBox="0 0 \(width) \(height)" font-family="DejaVu Sans, Verdana, sans-serif" font-size="12">
        <title>\(xmlEscaped(title))</title>
        <rect width="100%" height="100%" fill="white"/>

        """ + body + "</svg>\n"
    }

    private func attributeText(_ attributes: [(String, String)]) -> String {
        attributes.map { " \($0.0)=\"\(xmlEscaped($0.1))\"" }.joined()
    }

    mutating func beginGroup(_ attributes: [(String, String)], clip: String?) {
        body += "<g" + attributeText(attributes) + (clip.map { " clip-path=\"url(#\($0))\"" } ?? "") + ">\n"
    }

    mutating func endGroup() { body += "</g>\n" }

    mutating func defineClip(id: String, x: Double, y: Double, width: Double, height: Double) {
        body += "<clipPath id=\"\(id)\"><rect x=\"\(px(x))\" y=\"\(px(y))\" width=\"\(px(width))\" height=\"\(px(height))\"/></clipPath>\n"
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String?, stroke: String?, strokeWidth: Double,
                       attributes: [(String, String)]) {
        body += "<rect" + attributeText(attributes) + " x=\"\(px(x))\" y=\"\(px(y))\" width=\"\(px(width))\" height=\"\(px(height))\""
            + " fill=\"\(fill ?? "none")\""
            + (stroke.map { " stroke=\"\($0)\" stroke-width=\"\(px(strokeWidth))\"" } ?? "") + "/>\n"
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double) {
        body += "<line x1=\"\(px(x1))\" y1=\"\(px(y1))\" x2=\"\(px(x2))\" y2=\"\(px(y2))\" stroke=\"\(stroke)\""
            + (width == 1 ? "" : " stroke-width=\"\(px(width))\"") + "/>\n"
    }

    mutating func polyline(_ points: [(x: Double, y: Double)], stroke: String, width: Double) {
        let list = points.map { "\(px($0.x)),\(px($0.y))" }.joined(separator: " ")
        body += "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(px(width))\"/>\n"
    }

    mutating func circle(cx: Double, cy: Double, r: Double, fill: String) {
        body += "<circle cx=\"\(px(cx))\" cy=\"\(px(cy))\" r=\"\(px(r))\" fill=\"\(fill)\"/>\n"
    }

    mutating func text(_ s: String, x: Double, y: Double, size: Double, anchor: TextAnchor, bold: Bool, fill: String,
                       vertical: Bool, attributes: [(String, String)]) {
        body += "<text" + attributeText(attributes) + " x=\"\(px(x))\" y=\"\(px(y))\""
            + (size == 12 ? "" : " font-size=\"\(px(size))\"")
            + (anchor == .start ? "" : " text-anchor=\"\(anchor.rawValue)\"")
            + (bold ? " font-weight=\"bold\"" : "") + " fill=\"\(fill)\""
            + (vertical ? " transform=\"rotate(-90 \(px(x)) \(px(y)))\"" : "") + ">\(xmlEscaped(s))</text>\n"
    }

    mutating func image(_ image: GrayImage, x: Double, y: Double, scale: Int, attributes: [(String, String)]) {
        // the image itself as a PNG in a data: URI, enlarged without smoothing like the PNG grid
        let png = (try? encodePNG(image)) ?? []
        body += "<image" + attributeText(attributes) + " x=\"\(px(x))\" y=\"\(px(y))\" width=\"\(image.width * scale)\" "
            + "height=\"\(image.height * scale)\" image-rendering=\"pixelated\" style=\"image-rendering:pixelated\" "
            + "preserveAspectRatio=\"none\" href=\"data:image/png;base64,\(base64(png))\"/>\n"
    }
}

/// Standard base64 with padding.
func base64(_ bytes: [UInt8]) -> String {
    let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out = [UInt8]()
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var i = 0
    while i < bytes.count {
        let n = min(3, bytes.count - i)
        let v = UInt32(bytes[i]) << 16 | (n > 1 ? UInt32(bytes[i + 1]) << 8 : 0) | (n > 2 ? UInt32(bytes[i + 2]) : 0)
        out.append(table[Int(v >> 18 & 63)])
        out.append(table[Int(v >> 12 & 63)])
        out.append(n > 1 ? table[Int(v >> 6 & 63)] : UInt8(ascii: "="))
        out.append(n > 2 ? table[Int(v & 63)] : UInt8(ascii: "="))
        i += 3
    }
    return String(decoding: out, as: UTF8.self)
}

// MARK: - Raster

/// Paints the operations into an RGB image (white background).
struct RasterCanvas: Canvas {
    let width: Int, height: Int
    private(set) var pixels: [UInt8]
    private var clips: [String: (x0: Double, y0: Double, x1: Double, y1: Double)] = [:]
    private var clipStack: [(x0: Double, y0: Double, x1: Double, y1: Double)] = []

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 255, count: width * height * 3)
    }

    /// The picture as an RGB PNG file.
    func png() throws -> [UInt8] { try encodePNG(width: width, height: height, rgb8: pixels) }

    /// The pixel rectangle an operation may touch: the shape's box, cut to the image and the clip.
    private func bounds(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> (Int, Int, Int, Int) {
        var a = (x0: x0, y0: y0, x1: x1, y1: y1)
        if let c = clipStack.last { a = (max(a.x0, c.x0), max(a.y0, c.y0), min(a.x1, c.x1), min(a.y1, c.y1)) }
        let left = max(0, Int(a.x0.rounded(.down))), top = max(0, Int(a.y0.rounded(.down)))
        let right = min(width, Int(a.x1.rounded(.up))), bottom = min(height, Int(a.y1.rounded(.up)))
        return (left, top, right, bottom)
    }

    /// Blends `color` over pixel (x, y) with coverage `alpha` (0...1).
    private mutating func blend(_ x: Int, _ y: Int, _ color: RGB, _ alpha: Double) {
        guard alpha > 0 else { return }
        let a = min(alpha, 1), i = 3 * (y * width + x)
        pixels[i] = UInt8((Double(pixels[i]) * (1 - a) + Double(color.r) * a).rounded())
        pixels[i + 1] = UInt8((Double(pixels[i + 1]) * (1 - a) + Double(color.g) * a).rounded())
        pixels[i + 2] = UInt8((Double(pixels[i + 2]) * (1 - a) + Double(color.b) * a).rounded())
    }

    mutating func beginGroup(_ attributes: [(String, String)], clip: String?) {
        let current = clipStack.last ?? (0, 0, Double(width), Double(height))
        if let clip, let c = clips[clip] {
            clipStack.append((max(current.x0, c.x0), max(current.y0, c.y0), min(current.x1, c.x1), min(current.y1, c.y1)))
        } else {
            clipStack.append(current)
        }
    }

    mutating func endGroup() { _ = clipStack.popLast() }

    mutating func defineClip(id: String, x: Double, y: Double, width: Double, height: Double) {
        clips[id] = (x, y, x + width, y + height)
    }

    mutating func rect(x: Double, y: Double, width w: Double, height h: Double, fill: String?, stroke: String?, strokeWidth: Double,
                       attributes: [(String, String)]) {
        if let fill, fill != "none" {
            let color = RGB(fill)
            let (l, t, r, b) = bounds(x, y, x + w, y + h)
            for py in t..<max(t, b) {
                let cy = min(Double(py + 1), y + h) - max(Double(py), y)
                for px in l..<max(l, r) {
                    let cx = min(Double(px + 1), x + w) - max(Double(px), x)
                    blend(px, py, color, max(0, cx) * max(0, cy))
                }
            }
        }
        if let stroke {
            let s = strokeWidth
            for (a, b) in [((x, y), (x + w, y)), ((x + w, y), (x + w, y + h)), ((x + w, y + h), (x, y + h)), ((x, y + h), (x, y))] {
                line(x1: a.0, y1: a.1, x2: b.0, y2: b.1, stroke: stroke, width: s)
            }
        }
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width w: Double) {
        let color = RGB(stroke), half = w / 2
        let (l, t, r, b) = bounds(min(x1, x2) - half - 1, min(y1, y2) - half - 1, max(x1, x2) + half + 1, max(y1, y2) + half + 1)
        let dx = x2 - x1, dy = y2 - y1, length2 = dx * dx + dy * dy
        for py in t..<max(t, b) {
            for px in l..<max(l, r) {
                let cx = Double(px) + 0.5, cy = Double(py) + 0.5
                // distance from the pixel centre to the line, and past the nearer end (negative inside: butt ends)
                let u = length2 == 0 ? 0.5 : ((cx - x1) * dx + (cy - y1) * dy) / length2
                let along = (u < 0 ? -u : u > 1 ? u - 1 : -min(u, 1 - u)) * max(length2.squareRoot(), 1)
                let ex = cx - (x1 + u * dx), ey = cy - (y1 + u * dy)
                let across = (ex * ex + ey * ey).squareRoot()
                blend(px, py, color, min(1, max(0, half + 0.5 - across)) * min(1, max(0, 0.5 - along)))
            }
        }
    }

    mutating func polyline(_ points: [(x: Double, y: Double)], stroke: String, width: Double) {
        for (a, b) in zip(points, points.dropFirst()) { line(x1: a.x, y1: a.y, x2: b.x, y2: b.y, stroke: stroke, width: width) }
        // round joins: a disc at each inner vertex
        for p in points.dropFirst().dropLast() { circle(cx: p.x, cy: p.y, r: width / 2, fill: stroke) }
    }

    mutating func circle(cx: Double, cy: Double, r: Double, fill: String) {
        let color = RGB(fill)
        let (l, t, rr, b) = bounds(cx - r - 1, cy - r - 1, cx + r + 1, cy + r + 1)
        for py in t..<max(t, b) {
            for px in l..<max(l, rr) {
                let ex = Double(px) + 0.5 - cx, ey = Double(py) + 0.5 - cy
                blend(px, py, color, min(1, max(0, r + 0.5 - (ex * ex + ey * ey).squareRoot())))
            }
        }
    }

    mutating func text(_ s: String, x: Double, y: Double, size: Double, anchor: TextAnchor, bold: Bool, fill: String,
                       vertical: Bool, attributes: [(String, String)]) {
        let font = bold ? Font.bold : Font.regular
        let color = RGB(fill)
        let scale = size / Double(FontData.pixelsPerEm)
        let width = font.width(s, size: size)
        var pen = anchor == .start ? 0 : anchor == .middle ? -width / 2 : -width
        // Text-frame point (u along the baseline, v down from it) -> canvas point.
        func toCanvas(_ u: Double, _ v: Double) -> (Double, Double) { vertical ? (x + v, y - u) : (x + u, y + v) }
        for scalar in s.unicodeScalars {
            let g = font.glyph(scalar)
            defer { pen += Double(g.advance) / 64 * scale }
            guard g.width > 0 && g.height > 0 else { continue }
            let u0 = pen + Double(g.left) * scale, v0 = -Double(g.top) * scale
            let u1 = u0 + Double(g.width) * scale, v1 = v0 + Double(g.height) * scale
            let (ax, ay) = toCanvas(u0, v0), (bx, by) = toCanvas(u1, v1)
            let (l, t, r, b) = bounds(min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))
            for py in t..<max(t, b) {
                for px in l..<max(l, r) {
                    // 3x3 samples per pixel, each read bilinearly from the 24 px glyph
                    var sum = 0.0
                    for sy in 0..<3 {
                        for sx in 0..<3 {
                            let cx = Double(px) + (Double(sx) + 0.5) / 3, cy = Double(py) + (Double(sy) + 0.5) / 3
                            let (u, v) = vertical ? (y - cy, cx - x) : (cx - x, cy - y)
                            sum += font.coverage(g, (u - u0) / scale - 0.5, (v - v0) / scale - 0.5)
                        }
                    }
                    blend(px, py, color, sum / 9)
                }
            }
        }
    }

    mutating func image(_ image: GrayImage, x: Double, y: Double, scale: Int, attributes: [(String, String)]) {
        let x0 = Int(x.rounded()), y0 = Int(y.rounded())
        let (l, t, r, b) = bounds(Double(x0), Double(y0), Double(x0 + image.width * scale), Double(y0 + image.height * scale))
        let w = width
        image.pixels.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for py in t..<max(t, b) {
                    let row = ((py - y0) / scale) * image.width
                    for px in l..<max(l, r) {
                        let v = src[row + (px - x0) / scale], i = 3 * (py * w + px)
                        dst[i] = v; dst[i + 1] = v; dst[i + 2] = v
                    }
                }
            }
        }
    }
}

// MARK: - Font

/// One face of the embedded font: glyph metrics and 4-bit coverage, decoded once.
struct Font: Sendable {
    struct Glyph: Sendable {
        var advance: Int   // 1/64 px at 24 px
        var left: Int, top: Int, width: Int, height: Int, offset: Int
    }
    let glyphs: [UInt32: Glyph]
    let coverage: [UInt8]   // one byte a pixel, 0...15
    let fallback: Glyph

    static let regular = Font(glyphs: FontData.regularGlyphs, bitmaps: FontData.regularBitmaps)
    static let bold = Font(glyphs: FontData.boldGlyphs, bitmaps: FontData.boldBitmaps)

    init(glyphs: String, bitmaps: String) {
        let records = decodeBase64(glyphs), packed = decodeBase64(bitmaps)
        var table: [UInt32: Glyph] = [:]
        func u32(_ i: Int) -> Int { Int(records[i]) | Int(records[i + 1]) << 8 | Int(records[i + 2]) << 16 | Int(records[i + 3]) << 24 }
        var i = 0
        while i + 14 <= records.count {
            let code = UInt32(u32(i))
            table[code] = Glyph(advance: Int(records[i + 4]) | Int(records[i + 5]) << 8, left: Int(Int8(bitPattern: records[i + 6])),
                                top: Int(Int8(bitPattern: records[i + 7])), width: Int(records[i + 8]), height: Int(records[i + 9]),
                                offset: u32(i + 10) * 2)
            i += 14
        }
        var unpacked = [UInt8](repeating: 0, count: packed.count * 2)
        for (k, byte) in packed.enumerated() { unpacked[2 * k] = byte >> 4; unpacked[2 * k + 1] = byte & 15 }
        self.glyphs = table
        coverage = unpacked
        fallback = table[0x3F]!   // "?"
    }

    func glyph(_ s: Unicode.Scalar) -> Glyph { glyphs[s.value] ?? fallback }

    /// Coverage 0...1 of glyph `g` at master-pixel coordinates (u, v) (pixel centres at integers), bilinear.
    func coverage(_ g: Glyph, _ u: Double, _ v: Double) -> Double {
        let u0 = Int(u.rounded(.down)), v0 = Int(v.rounded(.down))
        let fu = u - Double(u0), fv = v - Double(v0)
        func at(_ x: Int, _ y: Int) -> Double {
            guard x >= 0 && y >= 0 && x < g.width && y < g.height else { return 0 }
            return Double(coverage[g.offset + y * g.width + x]) / 15
        }
        return (at(u0, v0) * (1 - fu) + at(u0 + 1, v0) * fu) * (1 - fv) + (at(u0, v0 + 1) * (1 - fu) + at(u0 + 1, v0 + 1) * fu) * fv
    }

    /// Width in pixels of `s` at font size `size`.
    func width(_ s: String, size: Double) -> Double {
        Double(s.unicodeScalars.reduce(0) { $0 + glyph($1).advance }) / 64 * size / Double(FontData.pixelsPerEm)
    }
}

/// Text width at `size` px (bold or not): what layouts measure labels and titles with.
func textWidth(_ s: String, size: Double, bold: Bool = false) -> Double {
    (bold ? Font.bold : Font.regular).width(s, size: size)
}

/// `s` shortened with an ellipsis to at most `maxWidth` pixels at `size`.
func fitted(_ s: String, size: Double, maxWidth: Double, bold: Bool = false) -> String {
    guard textWidth(s, size: size, bold: bold) > maxWidth else { return s }
    var scalars = Array(s.unicodeScalars)
    while !scalars.isEmpty {
        scalars.removeLast()
        var t = ""
        t.unicodeScalars.append(contentsOf: scalars)
        t += "\u{2026}"
        if textWidth(t, size: size, bold: bold) <= maxWidth { return t }
    }
    return "\u{2026}"
}

/// Base64 text (whitespace ignored) to bytes.
func decodeBase64(_ text: String) -> [UInt8] {
    var out = [UInt8]()
    var accumulator: UInt32 = 0, bits = 0
    for c in text.utf8 {
        let v: UInt32
        switch c {
        case 65...90: v = UInt32(c - 65)
        case 97...122: v = UInt32(c - 71)
        case 48...57: v = UInt32(c + 4)
        case 43: v = 62
        case 47: v = 63
        default: continue   // padding, newlines, spaces
        }
        accumulator = accumulator << 6 | v
        bits += 6
        if bits >= 8 {
            bits -= 8
            out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
        }
    }
    return out
}
