// PNGEncoder.swift: a general PNG writer in plain Swift over zlib.
//
// It writes every colour type (0, 2, 3, 4, 6) at every bit depth the format allows for it, with optional
// tRNS and Adam7 interlacing. libpng's simplified writer cannot interlace and the classic one needs
// setjmp, so this exists mainly to produce test inputs of every kind; it is also what `encodePNG` uses.
// It does not write gamma, colour-space or text chunks.

internal import CZlib

/// Writes PNG files of any colour type, bit depth and interlace mode from 16-bit RGBA pixels.
public struct PNGEncoder: Sendable {
    /// The PNG colour types (IHDR byte 9).
    public enum ColorType: UInt8, Sendable, CaseIterable {
        case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6

        /// Samples per pixel in the file.
        public var channels: Int {
            switch self {
            case .gray, .palette: return 1
            case .grayAlpha: return 2
            case .rgb: return 3
            case .rgba: return 4
            }
        }

        /// The bit depths the PNG specification allows for this colour type.
        public var legalBitDepths: [Int] {
            switch self {
            case .gray: return [1, 2, 4, 8, 16]
            case .palette: return [1, 2, 4, 8]
            case .rgb, .grayAlpha, .rgba: return [8, 16]
            }
        }
    }

    /// The five PNG row filters; `nil` in `filter` picks per row the one with the smallest sum of
    /// absolute differences (the usual heuristic), which also exercises every unfilter path of a reader.
    public enum Filter: UInt8, Sendable, CaseIterable { case none = 0, sub, up, average, paeth }

    /// A tRNS colour key for colour types 0 and 2: pixels whose file samples equal it are transparent.
    /// Values are samples at the file's bit depth (for gray only `gray` is used).
    public struct ColorKey: Sendable, Equatable {
        public var gray: UInt16, red: UInt16, green: UInt16, blue: UInt16
        public init(gray: UInt16) { self.gray = gray; red = gray; green = gray; blue = gray }
        public init(red: UInt16, green: UInt16, blue: UInt16) {
            self.gray = 0; self.red = red; self.green = green; self.blue = blue
        }
    }

    public var colorType: ColorType
    public var bitDepth: Int
    public var interlaced: Bool
    /// For colour types 0 and 2 only: writes a tRNS chunk with this key. (Palette images get their tRNS
    /// chunk automatically when a pixel has alpha below 255; alpha types never have one.)
    public var transparentKey: ColorKey?
    /// Row filter; nil = adaptive.
    public var filter: Filter?
    /// zlib level 0-9.
    public var compressionLevel: Int32
    /// Splits the compressed stream into IDAT chunks of at most this many bytes (readers must join them).
    public var maxIDATSize: Int

    public init(colorType: ColorType, bitDepth: Int, interlaced: Bool = false, transparentKey: ColorKey? = nil,
                filter: Filter? = nil, compressionLevel: Int32 = 6, maxIDATSize: Int = 1 << 16) {
        self.colorType = colorType
        self.bitDepth = bitDepth
        self.interlaced = interlaced
        self.transparentKey = transparentKey
        self.filter = filter
        self.compressionLevel = compressionLevel
        self.maxIDATSize = maxIDATSize
    }

    /// Encodes `rgba16` (row-major, 4 samples per pixel, 0...65535, straight alpha) as a PNG file.
    /// Samples are rounded to the file's bit depth; colour types without colour use the red sample, types
    /// without alpha drop alpha. For palette images the palette is built from the distinct 8-bit RGBA
    /// values, transparent entries first; more than 2^bitDepth of them is an error.
    public func encode(width: Int, height: Int, rgba16: [UInt16]) throws -> [UInt8] {
        guard colorType.legalBitDepths.contains(bitDepth) else {
            throw ImageError("bit depth \(bitDepth) is not allowed for PNG colour type \(colorType.rawValue)")
        }
        guard width >= 0, height >= 0, width <= 0x7FFF_FFFF, height <= 0x7FFF_FFFF else {
            throw ImageError("image size \(width)x\(height) is out of range")
        }
        guard rgba16.count == width * height * 4 else {
            throw ImageError("expected \(width * height * 4) RGBA samples, got \(rgba16.count)")
        }
        if transparentKey != nil && !(colorType == .gray || colorType == .rgb) {
            throw ImageError("a tRNS colour key needs colour type 0 or 2")
        }

        // File samples per pixel, before bit packing: palette indices or quantised channel values.
        let channels = colorType.channels
        var samples = [UInt16](repeating: 0, count: width * height * channels)
        var plte: [UInt8] = []
        var trns: [UInt8] = []
        let maxValue = UInt32((1 << bitDepth) - 1)
        @inline(__always) func quantise(_ v: UInt16) -> UInt16 {
            UInt16((UInt32(v) * maxValue + 32767) / 65535)
        }
        switch colorType {
        case .palette:
            var index: [UInt32: Int] = [:]
            var entries: [UInt32] = []
            @inline(__always) func key(_ p: Int) -> UInt32 {
                let r = UInt32(quantise8(rgba16[p])), g = UInt32(quantise8(rgba16[p + 1]))
                let b = UInt32(quantise8(rgba16[p + 2])), a = UInt32(quantise8(rgba16[p + 3]))
                return r << 24 | g << 16 | b << 8 | a
            }
            for i in 0..<(width * height) where index[key(i * 4)] == nil {
                index[key(i * 4)] = 0
                entries.append(key(i * 4))
            }
            guard entries.count <= 1 << bitDepth else {
                throw ImageError("\(entries.count) distinct colours do not fit a \(bitDepth)-bit palette")
            }
            // Transparent entries first so tRNS stays short; stable otherwise.
            let ordered = entries.filter { $0 & 0xFF != 0xFF } + entries.filter { $0 & 0xFF == 0xFF }
            for (i, e) in ordered.enumerated() {
                index[e] = i
                plte += [UInt8(e >> 24), UInt8((e >> 16) & 0xFF), UInt8((e >> 8) & 0xFF)]
                if e & 0xFF != 0xFF { trns.append(UInt8(e & 0xFF)) }
            }
            if plte.isEmpty { plte = [0, 0, 0] }  // PLTE must have at least one entry.
            for i in 0..<(width * height) { samples[i] = UInt16(index[key(i * 4)]!) }
        default:
            let sourceChannels: [Int]
            switch colorType {
            case .gray: sourceChannels = [0]
            case .grayAlpha: sourceChannels = [0, 3]
            case .rgb: sourceChannels = [0, 1, 2]
            default: sourceChannels = [0, 1, 2, 3]
            }
            for i in 0..<(width * height) {
                for (c, s) in sourceChannels.enumerated() {
                    samples[i * channels + c] = quantise(rgba16[i * 4 + s])
                }
            }
            if let k = transparentKey {
                let values = colorType == .gray ? [k.gray] : [k.red, k.green, k.blue]
                for v in values {
                    guard UInt32(v) <= maxValue else { throw ImageError("tRNS key \(v) exceeds bit depth \(bitDepth)") }
                    trns += [UInt8(v >> 8), UInt8(v & 0xFF)]
                }
            }
        }

        // Filtered scanlines of every pass, one stream.
        var raw: [UInt8] = []
        let passes: [(x0: Int, y0: Int, dx: Int, dy: Int)] = interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)]
        let bitsPerPixel = channels * bitDepth
        let bpp = max(1, bitsPerPixel / 8)  // filter distance in bytes
        for pass in passes {
            let pw = width > pass.x0 ? (width - pass.x0 + pass.dx - 1) / pass.dx : 0
            let ph = height > pass.y0 ? (height - pass.y0 + pass.dy - 1) / pass.dy : 0
            if pw == 0 || ph == 0 { continue }  // empty passes have no rows at all, not even filter bytes
            let rowBytes = (pw * bitsPerPixel + 7) / 8
            var previous = [UInt8](repeating: 0, count: rowBytes)
            var row = [UInt8](repeating: 0, count: rowBytes)
            for py in 0..<ph {
                let y = pass.y0 + py * pass.dy
                for i in 0..<rowBytes { row[i] = 0 }
                var bit = 0
                for px in 0..<pw {
                    let base = (y * width + pass.x0 + px * pass.dx) * channels
                    for c in 0..<channels {
                        let v = samples[base + c]
                        switch bitDepth {
                        case 16:
                            row[bit >> 3] = UInt8(v >> 8); row[(bit >> 3) + 1] = UInt8(v & 0xFF)
                        case 8:
                            row[bit >> 3] = UInt8(v)
                        default:  // 1, 2, 4: packed from the most significant bit
                            row[bit >> 3] |= UInt8(v) << UInt8(8 - bitDepth - (bit & 7))
                        }
                        bit += bitDepth
                    }
                }
                let (type, filtered) = filterRow(row, previous: previous, bpp: bpp)
                raw.append(type)
                raw += filtered
                swap(&previous, &row)
            }
        }

        var compressedLength = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        let status = raw.withUnsafeBufferPointer { src in
            compressed.withUnsafeMutableBufferPointer { dst in
                compress2(dst.baseAddress, &compressedLength, src.baseAddress, uLong(src.count), compressionLevel)
            }
        }
        guard status == Z_OK else { throw ImageError("zlib compress2 failed (\(status))") }
        compressed.removeSubrange(Int(compressedLength)...)

        var out = pngSignature
        var ihdr = bigEndian32(UInt32(width)) + bigEndian32(UInt32(height))
        ihdr += [UInt8(bitDepth), colorType.rawValue, 0, 0, interlaced ? 1 : 0]
        appendChunk(&out, "IHDR", ihdr)
        if colorType == .palette { appendChunk(&out, "PLTE", plte) }
        if !trns.isEmpty { appendChunk(&out, "tRNS", trns) }
        var offset = 0
        repeat {  // at least one IDAT, even if empty
            let end = min(compressed.count, offset + max(1, maxIDATSize))
            appendChunk(&out, "IDAT", Array(compressed[offset..<end]))
            offset = end
        } while offset < compressed.count
        appendChunk(&out, "IEND", [])
        return out
    }

    /// Encodes 8-bit RGBA (each sample is widened by 257, so 8-bit files reproduce it exactly).
    public func encode(width: Int, height: Int, rgba8: [UInt8]) throws -> [UInt8] {
        try encode(width: width, height: height, rgba16: rgba8.map { UInt16($0) * 257 })
    }

    /// Encodes 8-bit gray pixels (opaque).
    public func encode(_ image: GrayImage) throws -> [UInt8] {
        var rgba = [UInt16](repeating: 65535, count: image.pixels.count * 4)
        for (i, g) in image.pixels.enumerated() {
            let v = UInt16(g) * 257
            rgba[i * 4] = v; rgba[i * 4 + 1] = v; rgba[i * 4 + 2] = v
        }
        return try encode(width: image.width, height: image.height, rgba16: rgba)
    }

    private func filterRow(_ row: [UInt8], previous: [UInt8], bpp: Int) -> (UInt8, [UInt8]) {
        let candidates = filter.map { [$0] } ?? Filter.allCases
        var best: (UInt8, [UInt8])? = nil
        var bestCost = Int.max
        for f in candidates {
            var out = [UInt8](repeating: 0, count: row.count)
            var cost = 0
            for i in 0..<row.count {
                let a = i >= bpp ? Int(row[i - bpp]) : 0
                let b = Int(previous[i])
                let c = i >= bpp ? Int(previous[i - bpp]) : 0
                let predictor: Int
                switch f {
                case .none: predictor = 0
                case .sub: predictor = a
                case .up: predictor = b
                case .average: predictor = (a + b) / 2
                case .paeth:
                    let p = a + b - c
                    let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                }
                let v = UInt8(truncatingIfNeeded: Int(row[i]) - predictor)
                out[i] = v
                cost += v < 128 ? Int(v) : 256 - Int(v)
            }
            if cost < bestCost { bestCost = cost; best = (f.rawValue, out) }
        }
        return best!
    }
}

@inline(__always) private func quantise8(_ v: UInt16) -> UInt8 { UInt8((UInt32(v) * 255 + 32767) / 65535) }

private func bigEndian32(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
}

/// Appends length, type, data and the CRC-32 of type+data.
private func appendChunk(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
    let typeAndData = Array(type.utf8) + data
    out += bigEndian32(UInt32(data.count))
    out += typeAndData
    let crc = typeAndData.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
    out += bigEndian32(UInt32(crc))
}

/// An 8-bit RGB picture (3 bytes a pixel, row-major) as a PNG file, the plain way drawn pictures need:
/// every row filtered "up" (charts are mostly areas of one colour, which "up" turns into zeros), zlib
/// level 6. `PNGEncoder` writes every other kind of PNG.
public func encodePNG(width: Int, height: Int, rgb8: [UInt8]) throws -> [UInt8] {
    guard width > 0, height > 0, width <= 0x7FFF_FFFF, height <= 0x7FFF_FFFF, rgb8.count == width * height * 3 else {
        throw ImageError("an RGB image of \(width)x\(height) needs \(width * height * 3) bytes, not \(rgb8.count)")
    }
    let rowBytes = width * 3
    var raw = [UInt8](repeating: 0, count: height * (rowBytes + 1))
    raw.withUnsafeMutableBufferPointer { out in
        rgb8.withUnsafeBufferPointer { px in
            for y in 0..<height {
                let o = y * (rowBytes + 1), row = y * rowBytes
                out[o] = 2   // up
                if y == 0 {
                    for i in 0..<rowBytes { out[o + 1 + i] = px[i] }
                } else {
                    for i in 0..<rowBytes { out[o + 1 + i] = px[row + i] &- px[row - rowBytes + i] }
                }
            }
        }
    }
    var compressedLength = compressBound(uLong(raw.count))
    var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
    let status = raw.withUnsafeBufferPointer { src in
        compressed.withUnsafeMutableBufferPointer { dst in
            compress2(dst.baseAddress, &compressedLength, src.baseAddress, uLong(src.count), 6)
        }
    }
    guard status == Z_OK else { throw ImageError("zlib compress2 failed (\(status))") }
    var out = pngSignature
    appendChunk(&out, "IHDR", bigEndian32(UInt32(width)) + bigEndian32(UInt32(height)) + [8, 2, 0, 0, 0])
    appendChunk(&out, "IDAT", Array(compressed[..<Int(compressedLength)]))
    appendChunk(&out, "IEND", [])
    return out
}
