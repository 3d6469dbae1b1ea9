// PNGDecoder.swift: PNG files to 8-bit grayscale through libpng's simplified API.
//
// Only the simplified API is used (png_image_begin_read_from_memory / png_image_finish_read): the classic
// API reports errors with longjmp, which Swift cannot call. Alpha is composited over white here, so a
// drawing on a transparent background becomes dark ink on white paper.

internal import CPNG

/// An 8-bit grayscale image, row-major, 0 = black ... 255 = white.
public struct GrayImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height,
                     "GrayImage: \(pixels.count) pixels for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A uniform image.
    public init(width: Int, height: Int, fill: UInt8) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: fill, count: width * height))
    }

    @inlinable public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }
}

/// Limits applied while decoding untrusted files.
public enum PNGLimits {
    /// Largest width x height `decodePNG` accepts by default: 40 million pixels (e.g. 8000x5000, a large
    /// phone photo). A PNG of a few kilobytes can declare 50000x50000 pixels and expand to gigabytes (a
    /// "decompression bomb"); the size is checked from the header before any pixel buffer is allocated.
    public static let defaultMaxPixels = 40_000_000
}

/// Why an image could not be decoded or encoded. The message is one line and never names the file:
/// callers prefix the path.
public struct ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

private let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

/// Decodes a PNG file of any colour type, bit depth and interlace mode into 8-bit gray.
///
/// - Colour becomes luma (Rec. 601 weights) of the gamma-encoded samples, so gray stays what the file
///   says: a gray PNG pixel of 128 reads as 128. 16-bit samples are taken as they are too (scaled by
///   255/65535, no gamma conversion).
/// - Alpha (alpha channel, or tRNS on gray, RGB or palette images) is composited over white.
/// - Throws `ImageError` for anything that is not a complete, valid PNG, for 0-pixel images and for images
///   over `maxPixels` (checked from the header before allocating).
public func decodePNG(_ bytes: [UInt8], maxPixels: Int = PNGLimits.defaultMaxPixels) throws -> GrayImage {
    guard bytes.count >= 8, Array(bytes[0..<8]) == pngSignature else {
        throw ImageError(bytes.isEmpty ? "not a PNG file (empty)" : "not a PNG file (bad signature)")
    }
    // Our own look at IHDR gives clear messages for empty and huge images (libpng would call a zero width
    // an error in its own words, and accepts sizes far beyond what we want to allocate).
    if bytes.count >= 24, Array(bytes[12..<16]) == Array("IHDR".utf8) {
        let w = Int(bytes[16]) << 24 | Int(bytes[17]) << 16 | Int(bytes[18]) << 8 | Int(bytes[19])
        let h = Int(bytes[20]) << 24 | Int(bytes[21]) << 16 | Int(bytes[22]) << 8 | Int(bytes[23])
        try checkSize(width: w, height: h, maxPixels: maxPixels)
    }

    return try bytes.withUnsafeBytes { memory -> GrayImage in
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.opaque = nil
        guard png_image_begin_read_from_memory(&image, memory.baseAddress, memory.count) != 0 else {
            defer { png_image_free(&image) }
            throw ImageError("truncated or corrupt PNG: \(libpngMessage(&image))")
        }
        let width = Int(image.width), height = Int(image.height)
        do {
            try checkSize(width: width, height: height, maxPixels: maxPixels)
        } catch {
            png_image_free(&image)
            throw error
        }

        let sourceFormat = image.format
        let hasColor = sourceFormat & png_uint_32(PNG_FORMAT_FLAG_COLOR) != 0
        let hasAlpha = sourceFormat & png_uint_32(PNG_FORMAT_FLAG_ALPHA) != 0
        // 16-bit files are read as 16-bit "linear" output with no flag: libpng then converts nothing (file
        // and output both count as linear), whereas its 16-to-8-bit path garbles interlaced images
        // (libpng 1.6.39: the first rows of an Adam7 16-bit image come out wrong). Alpha is then
        // premultiplied, which makes compositing a plain addition.
        let wide = sourceFormat & png_uint_32(PNG_FORMAT_FLAG_LINEAR) != 0
        // Gray stays gray (no conversion at all); colour is read as RGB and converted here, because
        // libpng's own RGB-to-gray works on linearised values.
        let channels = (hasColor ? 3 : 1) + (hasAlpha ? 1 : 0)
        var format: png_uint_32 = hasColor ? png_uint_32(PNG_FORMAT_FLAG_COLOR) : 0  // RGB or GRAY
        if hasAlpha { format |= png_uint_32(PNG_FORMAT_FLAG_ALPHA) }
        if wide { format |= png_uint_32(PNG_FORMAT_FLAG_LINEAR) }
        image.format = format

        let count = width * height
        let stride = width * channels  // in samples (bytes or 16-bit words), as libpng wants it
        var gray = [UInt8](repeating: 0, count: count)
        if wide {
            var buffer = [UInt16](repeating: 0, count: stride * height)
            let ok = buffer.withUnsafeMutableBytes { out in
                png_image_finish_read(&image, nil, out.baseAddress, png_int_32(stride), nil)
            }
            guard ok != 0 else {
                defer { png_image_free(&image) }
                throw ImageError("truncated or corrupt PNG: \(libpngMessage(&image))")
            }
            png_image_free(&image)
            buffer.withUnsafeBufferPointer { src in
                gray.withUnsafeMutableBufferPointer { dst in
                    for i in 0..<count {
                        let p = i * channels
                        var y = hasColor ? luma(Int(src[p]), Int(src[p + 1]), Int(src[p + 2])) : Int(src[p])
                        if hasAlpha { y += 65535 - Int(src[p + channels - 1]) }  // premultiplied, over white
                        dst[i] = UInt8((min(y, 65535) * 255 + 32767) / 65535)
                    }
                }
            }
        } else {
            var buffer = [UInt8](repeating: 0, count: stride * height)
            let ok = buffer.withUnsafeMutableBytes { out in
                png_image_finish_read(&image, nil, out.baseAddress, png_int_32(stride), nil)
            }
            guard ok != 0 else {
                defer { png_image_free(&image) }
                throw ImageError("truncated or corrupt PNG: \(libpngMessage(&image))")
            }
            png_image_free(&image)  // finish_read already released it; harmless and keeps the rule simple
            if channels == 1 { return GrayImage(width: width, height: height, pixels: buffer) }
            buffer.withUnsafeBufferPointer { src in
                gray.withUnsafeMutableBufferPointer { dst in
                    for i in 0..<count {
                        let p = i * channels
                        let y = hasColor ? luma(Int(src[p]), Int(src[p + 1]), Int(src[p + 2])) : Int(src[p])
                        if hasAlpha {
                            let a = Int(src[p + channels - 1])
                            dst[i] = UInt8((y * a + 255 * (255 - a) + 127) / 255)  // y*a + white*(1-a), rounded
                        } else {
                            dst[i] = UInt8(y)
                        }
                    }
                }
            }
        }
        return GrayImage(width: width, height: height, pixels: gray)
    }
}

/// Encodes an 8-bit gray PNG (not interlaced).
public func encodePNG(_ image: GrayImage) throws -> [UInt8] {
    try PNGEncoder(colorType: .gray, bitDepth: 8).encode(image)
}

/// Rec. 601 luma of gamma-encoded samples in fixed point (weights sum to 65536), any sample width.
@inline(__always) private func luma(_ r: Int, _ g: Int, _ b: Int) -> Int {
    (19595 * r + 38470 * g + 7471 * b + 32768) >> 16
}

private func checkSize(width: Int, height: Int, maxPixels: Int) throws {
    if width == 0 || height == 0 { throw ImageError("image is empty (\(width)x\(height))") }
    if width.multipliedReportingOverflow(by: height).partialValue > maxPixels || width > Int(Int32.max)
        || height > Int(Int32.max) {
        throw ImageError("image is \(width)x\(height) pixels, over the limit of \(maxPixels)")
    }
}

/// The NUL-terminated message libpng left in the image, as a String.
private func libpngMessage(_ image: inout png_image) -> String {
    let text = withUnsafeBytes(of: &image.message) { raw -> String in
        let bytes = raw.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
    return text.isEmpty ? "unknown libpng error" : text
}
