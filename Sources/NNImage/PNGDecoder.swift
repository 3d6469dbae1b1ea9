// PNGDecoder.swift: PNG files to 8-bit grayscale through libpng.
//
// libpng's full API reports errors with longjmp, which must never cross a Swift frame, so the decoding
// lives in C (Sources/CPNGReader) behind one function that returns a status. Before it, the file's chunk
// structure is checked in PNGChunks.swift: a PNG with anything wrong anywhere is refused, not decoded
// as far as it goes. (libpng's simplified API
// avoids longjmp too, but adds conversion passes and always checks the redundant Adler-32; the full API
// leaves decoding at libpng's floor, see bench/RESULTS.md.) Alpha is composited over white, so a drawing
// on a transparent background becomes dark ink on white paper.

internal import CPNGReader
import NNCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

/// The 8 bytes every PNG file starts with.
public let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

/// Decodes a PNG file of any colour type, bit depth and interlace mode into 8-bit gray.
///
/// - Colour becomes luma (Rec. 601 weights) of the stored, gamma-encoded samples, so gray stays what the
///   file says: a gray PNG pixel of 128 reads as 128 (gAMA, cHRM and iCCP are not applied). 16-bit samples
///   are combined at 16 bits and scaled by 255/65535 once, rounded.
/// - Alpha (alpha channel, or tRNS on gray, RGB or palette images) is composited over white.
/// - Throws `ImageError` for anything that is not a complete, valid PNG (a CRC wrong in any chunk, no IEND
///   or bytes after it, PLTE or tRNS where the specification forbids them, a zlib stream that is cut,
///   fails its Adler-32 or holds more than the image, a palette index past the palette), for 0-pixel
///   images and for images over `maxPixels` (checked from the header before allocating).
public func decodePNG(_ bytes: [UInt8], maxPixels: Int = PNGLimits.defaultMaxPixels) throws -> GrayImage {
    guard bytes.count >= 8, Array(bytes[0..<8]) == pngSignature else {
        throw ImageError(bytes.isEmpty ? "not a PNG file (empty)" : "not a PNG file (bad signature)")
    }
    return try decodeSignedPNG(bytes, maxPixels: maxPixels)
}

/// Refuses the first bytes of a file that cannot be a PNG (a reader's early look: /dev/zero is refused
/// after one read instead of being read to the size limit).
public func checkPNGStart(_ start: [UInt8]) throws {
    if start.count >= 8 && Array(start[0..<8]) != pngSignature { throw ImageError("not a PNG file (bad signature)") }
}

private func decodeSignedPNG(_ bytes: [UInt8], maxPixels: Int) throws -> GrayImage {
    // Our own look at IHDR gives clear messages for empty and huge images (libpng would call a zero width
    // an error in its own words, and accepts sizes far beyond what we want to allocate).
    if bytes.count >= 24, Array(bytes[8..<16]) == [0, 0, 0, 13] + Array("IHDR".utf8) {
        let w = Int(bytes[16]) << 24 | Int(bytes[17]) << 16 | Int(bytes[18]) << 8 | Int(bytes[19])
        let h = Int(bytes[20]) << 24 | Int(bytes[21]) << 16 | Int(bytes[22]) << 8 | Int(bytes[23])
        try checkSize(width: w, height: h, maxPixels: maxPixels)
    }
    try checkPNGChunks(bytes)

    var result = nn_png_gray()
    let status = bytes.withUnsafeBufferPointer { nn_png_read_gray($0.baseAddress, $0.count, UInt64(max(maxPixels, 0)), &result) }
    switch Int(status) {
    case Int(NN_PNG_OK):
        let width = Int(result.width), height = Int(result.height)
        defer { free(result.pixels) }
        return GrayImage(width: width, height: height, pixels: Array(UnsafeBufferPointer(start: result.pixels, count: width * height)))
    case Int(NN_PNG_SIZE):
        try checkSize(width: Int(result.width), height: Int(result.height), maxPixels: maxPixels)
        throw ImageError("image is \(result.width)x\(result.height) pixels, refused")
    default:
        let message = withUnsafeBytes(of: &result.message) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        throw ImageError("truncated or corrupt PNG: \(message.isEmpty ? "unknown libpng error" : message)")
    }
}

/// Encodes an 8-bit gray PNG (not interlaced).
public func encodePNG(_ image: GrayImage) throws -> [UInt8] {
    try PNGEncoder(colorType: .gray, bitDepth: 8).encode(image)
}

private func checkSize(width: Int, height: Int, maxPixels: Int) throws {
    if width == 0 || height == 0 { throw ImageError("image is empty (\(width)x\(height))") }
    // PNG sizes are at most 2^31 - 1 each (the header holds 32 bits)
    guard let pixels = CheckedSize.productOrNil([width, height]), pixels <= maxPixels, width <= Int(Int32.max),
          height <= Int(Int32.max) else {
        throw ImageError("image is \(width)x\(height) pixels, over the limit of \(maxPixels)")
    }
}
