// PNGChunks.swift: the chunk structure of a PNG file, checked before any pixel is decoded.
//
// libpng is lenient where the PNG specification is not: by default it ignores a bad CRC on an ancillary
// chunk, bytes after IEND or a missing IEND, a PLTE in a gray image, a tRNS of the wrong length ("benign
// errors"). Rather than depend on libpng's handling of each
// case, one walk over the bytes enforces every rule of the specification (PNG, 3rd edition, sections 5
// and 11) that needs no inflating: signature, chunk lengths and types, every chunk's CRC, IHDR first and
// valid, PLTE and tRNS where and as long as they may be, consecutive IDATs, IEND last with nothing after
// it. What happens inside the zlib stream (its end, its Adler-32, no more data than the image needs,
// palette indices) is checked while decoding (png_reader.c). Unknown ancillary chunks (text, colour
// spaces, APNG's acTL/fcTL/fdAT) are skipped after their CRC is checked; unknown critical chunks are
// refused, as the specification asks.

internal import CZlib

/// Throws `ImageError` ("truncated or corrupt PNG: ...") for the first rule the file breaks. `bytes`
/// starts with the PNG signature (checked by the caller).
func checkPNGChunks(_ bytes: [UInt8]) throws {
    func corrupt(_ message: String) -> ImageError { ImageError("truncated or corrupt PNG: " + message) }
    func be32(_ at: Int) -> Int { Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) }

    var colorType = -1, bitDepth = 0
    var paletteEntries: Int?            // PLTE seen, with this many entries
    var sawTransparency = false          // tRNS seen
    enum ImageData { case notYet, inside, after }
    var imageData = ImageData.notYet
    var offset = 8
    var previous = "the signature"
    while true {
        guard bytes.count - offset >= 8 else {
            if offset == bytes.count { throw corrupt("the file ends after \(previous), without an IEND chunk") }
            throw corrupt("the file ends inside the chunk header at byte \(offset)")
        }
        let length = be32(offset)
        let typeBytes = Array(bytes[(offset + 4)..<(offset + 8)])
        guard typeBytes.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
            throw corrupt("the chunk type at byte \(offset + 4) is not four letters (\(typeBytes.map { String($0, radix: 16) }.joined(separator: " ")))")
        }
        let type = String(decoding: typeBytes, as: UTF8.self)
        guard length <= Int(Int32.max) else { throw corrupt("chunk \(type) declares \(length) bytes, over PNG's limit of 2^31-1") }
        guard bytes.count - offset - 12 >= length else {
            throw corrupt("the file ends inside chunk \(type) at byte \(offset): with its \(length) bytes of data it needs \(length + 12), \(bytes.count - offset) are left")
        }
        let stored = UInt32(be32(offset + 8 + length))
        let computed = bytes.withUnsafeBufferPointer { crc32(0, $0.baseAddress! + offset + 4, uInt(length + 4)) }
        guard stored == UInt32(computed) else { throw corrupt("chunk \(type) at byte \(offset): CRC error") }
        let data = (offset + 8)..<(offset + 8 + length)
        offset = data.upperBound + 4
        previous = "chunk \(type)"
        if colorType < 0 && type != "IHDR" { throw corrupt("the first chunk is \(type), not IHDR") }
        if imageData == .inside && type != "IDAT" { imageData = .after }

        switch type {
        case "IHDR":
            if colorType >= 0 { throw corrupt("a second IHDR chunk") }
            guard length == 13 else { throw corrupt("IHDR holds \(length) bytes, not 13") }
            let width = be32(data.lowerBound), height = be32(data.lowerBound + 4)
            guard width <= Int(Int32.max), height <= Int(Int32.max) else {
                throw corrupt("IHDR gives the size \(width)x\(height), over PNG's 2^31-1 a side")
            }
            bitDepth = Int(bytes[data.lowerBound + 8])
            colorType = Int(bytes[data.lowerBound + 9])
            let depths: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
            guard let allowed = depths[colorType] else { throw corrupt("IHDR: unknown colour type \(colorType)") }
            guard allowed.contains(bitDepth) else { throw corrupt("IHDR: colour type \(colorType) cannot have bit depth \(bitDepth)") }
            let (compression, filter, interlace) = (bytes[data.lowerBound + 10], bytes[data.lowerBound + 11], bytes[data.lowerBound + 12])
            guard compression == 0 else { throw corrupt("IHDR: unknown compression method \(compression)") }
            guard filter == 0 else { throw corrupt("IHDR: unknown filter method \(filter)") }
            guard interlace <= 1 else { throw corrupt("IHDR: unknown interlace method \(interlace)") }
        case "PLTE":
            if paletteEntries != nil { throw corrupt("a second PLTE chunk") }
            if imageData != .notYet { throw corrupt("PLTE after the image data (IDAT)") }
            if sawTransparency { throw corrupt("PLTE after tRNS (tRNS must follow it)") }
            guard colorType != 0 && colorType != 4 else { throw corrupt("a PLTE chunk in a gray image (colour type \(colorType))") }
            guard length > 0, length % 3 == 0, length / 3 <= 256 else {
                throw corrupt("PLTE holds \(length) bytes, not 1 to 256 RGB entries of 3 bytes")
            }
            // A palette longer than the bit depth can index breaks the specification, but its extra
            // entries can never be used (libpng drops them), and encoders that keep a fixed-size palette
            // write such files: accepted, so that a picture a person hands over is read.
            paletteEntries = length / 3
        case "tRNS":
            if sawTransparency { throw corrupt("a second tRNS chunk") }
            if imageData != .notYet { throw corrupt("tRNS after the image data (IDAT)") }
            switch colorType {
            case 0: guard length == 2 else { throw corrupt("tRNS of a gray image holds \(length) bytes, not 2") }
            case 2: guard length == 6 else { throw corrupt("tRNS of an RGB image holds \(length) bytes, not 6") }
            case 3:
                guard let entries = paletteEntries else { throw corrupt("tRNS before PLTE in a palette image") }
                guard length >= 1 && length <= entries else {
                    throw corrupt("tRNS holds \(length) alpha values for a palette of \(entries) entries")
                }
            default: throw corrupt("a tRNS chunk in an image with an alpha channel (colour type \(colorType))")
            }
            sawTransparency = true
        case "IDAT":
            if imageData == .after { throw corrupt("IDAT chunks that are not consecutive") }
            if colorType == 3 && paletteEntries == nil { throw corrupt("a palette image without a PLTE chunk before its image data") }
            imageData = .inside
        case "IEND":
            guard length == 0 else { throw corrupt("IEND holds \(length) bytes of data (it must be empty)") }
            if imageData == .notYet { throw corrupt("no image data (IDAT) before IEND") }
            guard offset == bytes.count else { throw corrupt("\(bytes.count - offset) bytes after the IEND chunk") }
            return
        default:
            // bit 5 of the first letter: lowercase = ancillary, which a decoder may skip
            if typeBytes[0] & 0x20 == 0 { throw corrupt("unknown critical chunk \(type)") }
        }
    }
}
