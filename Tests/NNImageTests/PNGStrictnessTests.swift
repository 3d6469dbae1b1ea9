// PNGStrictnessTests.swift: a PNG that breaks any rule of the specification is refused with the rule it
// breaks, and every kind of valid file still decodes. Each bad file is a valid one (from PNGEncoder)
// with one thing changed, its CRCs written right unless the CRC is the thing changed.

import CZlib
import Testing
import NNImage

/// A PNG file as its chunks, to change one and write the file back with correct CRCs.
struct PNGChunkList {
    var chunks: [(type: String, data: [UInt8])] = []

    init(_ file: [UInt8]) {
        var at = 8
        while at + 12 <= file.count {
            let length = file[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            chunks.append((String(decoding: file[(at + 4)..<(at + 8)], as: UTF8.self), Array(file[(at + 8)..<(at + 8 + length)])))
            at += 12 + length
        }
    }

    var file: [UInt8] { pngSignature + chunks.flatMap { PNGChunkList.chunk($0.type, $0.data) } }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeAndData = Array(type.utf8) + data
        let crc = UInt32(typeAndData.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) })
        return bigEndian(UInt32(data.count)) + typeAndData + bigEndian(crc)
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }

    func index(_ type: String) -> Int { chunks.firstIndex { $0.type == type }! }

    /// Inserts a chunk before the first chunk of type `before`.
    mutating func insert(_ type: String, _ data: [UInt8], before: String) { chunks.insert((type, data), at: index(before)) }

    /// Sets IHDR's width and height (the image data stays as it was).
    mutating func setSize(width: UInt32, height: UInt32) {
        chunks[0].data.replaceSubrange(0..<8, with: PNGChunkList.bigEndian(width) + PNGChunkList.bigEndian(height))
    }
}

struct PNGStrictnessTests {
    func message(_ bytes: [UInt8]) -> String {
        do {
            _ = try decodePNG(bytes)
            return "decoded"
        } catch {
            return "\(error)"
        }
    }

    static let gray = GrayImage(width: 8, height: 6, pixels: (0..<48).map { UInt8($0 * 5) })
    static func grayFile() throws -> [UInt8] { try encodePNG(gray) }
    /// 2-bit palette: rows of colours 0, 1, 2 (dark, mid, light gray), the first one half transparent.
    static func paletteFile(depth: Int = 2) throws -> [UInt8] {
        var rgba: [UInt8] = []
        for y in 0..<3 { for _ in 0..<4 { rgba += [UInt8(40 + 80 * y), UInt8(40 + 80 * y), UInt8(40 + 80 * y), y == 0 ? 128 : 255] } }
        return try PNGEncoder(colorType: .palette, bitDepth: depth).encode(width: 4, height: 3, rgba8: rgba)
    }

    /// Bytes around IEND: it must be there, whole, empty and last.
    @Test func iendIsRequiredAndLast() throws {
        let file = try Self.grayFile()
        let c = PNGChunkList(file)
        #expect(message(file) == "decoded")
        var noIEND = c
        noIEND.chunks.removeLast()
        #expect(message(noIEND.file) == "truncated or corrupt PNG: the file ends after chunk IDAT, without an IEND chunk")
        var badCRC = file
        badCRC[badCRC.count - 1] ^= 1
        #expect(message(badCRC) == "truncated or corrupt PNG: chunk IEND at byte \(file.count - 12): CRC error")
        #expect(message(file + [0, 0, 0]) == "truncated or corrupt PNG: 3 bytes after the IEND chunk")
        #expect(message(file + file) == "truncated or corrupt PNG: \(file.count) bytes after the IEND chunk")
        var withData = c
        withData.chunks[withData.chunks.count - 1].data = [1, 2, 3, 4]
        #expect(message(withData.file) == "truncated or corrupt PNG: IEND holds 4 bytes of data (it must be empty)")
        var onlyIEND = c
        onlyIEND.chunks.remove(at: c.index("IDAT"))
        #expect(message(onlyIEND.file) == "truncated or corrupt PNG: no image data (IDAT) before IEND")
    }

    /// Every length short of the whole file is refused, the last 12 bytes (IEND) included.
    @Test func everyTruncationIsRefused() throws {
        let file = try PNGEncoder(colorType: .rgb, bitDepth: 8, interlaced: true).encode(Self.gray)
        for length in 0..<file.count {
            let m = message(Array(file[0..<length]))
            #expect(m.hasPrefix("truncated or corrupt PNG: ") || m.hasPrefix("not a PNG file"), "length \(length): \(m)")
        }
        #expect(message(Array(file[0..<(file.count - 1)])) == "truncated or corrupt PNG: the file ends inside chunk IEND at byte \(file.count - 12): with its 0 bytes of data it needs 12, 11 are left")
        #expect(message(Array(file[0..<(file.count - 8)])) == "truncated or corrupt PNG: the file ends inside the chunk header at byte \(file.count - 12)")
    }

    /// A CRC is checked in every chunk, ancillary ones too.
    @Test func everyCRCIsChecked() throws {
        var c = PNGChunkList(try Self.grayFile())
        c.insert("tEXt", Array("Comment\0hello".utf8), before: "IDAT")
        let file = c.file
        #expect(message(file) == "decoded")
        var bad = file
        bad[33 + 8 + 13] ^= 0x40   // the tEXt chunk's CRC: after the signature and IHDR, its header and 13 bytes of data
        #expect(message(bad) == "truncated or corrupt PNG: chunk tEXt at byte 33: CRC error")
    }

    /// The zlib stream: its Adler-32, no data after its end, no more data than the image needs.
    @Test func zlibStreamMustEndExactly() throws {
        let c = PNGChunkList(try Self.grayFile())
        let idat = c.index("IDAT")
        var badAdler = c
        badAdler.chunks[idat].data[badAdler.chunks[idat].data.count - 1] ^= 1
        #expect(message(badAdler.file) == "truncated or corrupt PNG: IDAT: incorrect data check")
        var trailing = c
        trailing.chunks[idat].data += [0, 0, 0]
        #expect(message(trailing.file) == "truncated or corrupt PNG: IDAT: Extra compressed data")
        // an 8x7 image's data behind an 8x6 header: one row too many
        var long = PNGChunkList(try encodePNG(GrayImage(width: 8, height: 7, fill: 9)))
        long.setSize(width: 8, height: 6)
        #expect(message(long.file) == "truncated or corrupt PNG: IDAT: Too much image data")
        var short = PNGChunkList(try encodePNG(GrayImage(width: 8, height: 5, fill: 9)))
        short.setSize(width: 8, height: 6)
        #expect(message(short.file) == "truncated or corrupt PNG: Not enough image data")
    }

    /// A decompression bomb behind a small header: 16 MiB of zeros (16 KB deflated) for a 1x1 image is
    /// refused once the image's one row is out, without inflating the rest.
    @Test func imageDataPastTheLastRowIsRefused() throws {
        let zeros = [UInt8](repeating: 0, count: 1 << 24)
        var deflated = [UInt8](repeating: 0, count: Int(compressBound(uLong(zeros.count))))
        var length = uLong(deflated.count)
        #expect(compress2(&deflated, &length, zeros, uLong(zeros.count), 9) == Z_OK)
        var bomb = PNGChunkList(try Self.grayFile())
        bomb.setSize(width: 1, height: 1)
        bomb.chunks[bomb.index("IDAT")].data = Array(deflated[0..<Int(length)])
        #expect(length > 10_000)
        let m = message(bomb.file)
        #expect(m.hasPrefix("truncated or corrupt PNG: the compressed image data goes on for ") && m.hasSuffix(" bytes after the image's last row"), "\(m)")
        // what libpng had not yet read when the row was out: all but its first read of the chunk
        let extra = Int(m.dropFirst("truncated or corrupt PNG: the compressed image data goes on for ".count).prefix { $0.isNumber }) ?? 0
        #expect(extra >= Int(length) - 8192 && extra < Int(length), "\(extra) of \(length)")
    }

    /// PLTE: only in colour images, before IDAT and tRNS; more entries than the bit depth indexes are accepted.
    @Test func paletteRules() throws {
        let c = PNGChunkList(try Self.paletteFile())
        #expect(message(c.file) == "decoded")
        var tooMany = PNGChunkList(try Self.paletteFile(depth: 2))
        tooMany.chunks[tooMany.index("PLTE")].data += [UInt8](repeating: 7, count: 6)   // 5 entries at 2 bits
        #expect(message(tooMany.file) == "decoded")   // unused entries: accepted, as libpng and other readers do
        var grayWithPalette = PNGChunkList(try Self.grayFile())
        grayWithPalette.insert("PLTE", [0, 0, 0, 255, 255, 255], before: "IDAT")
        #expect(message(grayWithPalette.file) == "truncated or corrupt PNG: a PLTE chunk in a gray image (colour type 0)")
        var notWhole = c
        notWhole.chunks[c.index("PLTE")].data.removeLast()
        #expect(message(notWhole.file) == "truncated or corrupt PNG: PLTE holds 8 bytes, not 1 to 256 RGB entries of 3 bytes")
        var twice = c
        twice.insert("PLTE", c.chunks[c.index("PLTE")].data, before: "PLTE")
        #expect(message(twice.file) == "truncated or corrupt PNG: a second PLTE chunk")
        var missing = c
        missing.chunks.remove(at: c.index("tRNS"))
        missing.chunks.remove(at: c.index("PLTE"))
        #expect(message(missing.file) == "truncated or corrupt PNG: a palette image without a PLTE chunk before its image data")
        // an index past the palette's end: the third colour (index 2, in row 2) of a 2-entry palette
        var short = c
        short.chunks[c.index("PLTE")].data.removeLast(3)
        short.chunks[c.index("tRNS")].data = [128]
        #expect(message(short.file) == "truncated or corrupt PNG: palette index 2 in row 2, the palette has 2 entries")
        // RGB images may carry a suggested palette
        var rgb = PNGChunkList(try PNGEncoder(colorType: .rgb, bitDepth: 8).encode(Self.gray))
        rgb.insert("PLTE", [0, 0, 0, 255, 255, 255, 9, 9, 9], before: "IDAT")
        #expect(message(rgb.file) == "decoded")
    }

    /// tRNS: its length set by the colour type, never with an alpha channel, after PLTE.
    @Test func transparencyRules() throws {
        let c = PNGChunkList(try Self.paletteFile())
        #expect(c.chunks.map(\.type) == ["IHDR", "PLTE", "tRNS", "IDAT", "IEND"])
        var tooLong = c
        tooLong.chunks[c.index("tRNS")].data = [1, 2, 3, 4]
        #expect(message(tooLong.file) == "truncated or corrupt PNG: tRNS holds 4 alpha values for a palette of 3 entries")
        var beforePalette = c
        beforePalette.chunks.swapAt(1, 2)
        #expect(message(beforePalette.file) == "truncated or corrupt PNG: tRNS before PLTE in a palette image")
        var gray = PNGChunkList(try Self.grayFile())
        gray.insert("tRNS", [0], before: "IDAT")
        #expect(message(gray.file) == "truncated or corrupt PNG: tRNS of a gray image holds 1 bytes, not 2")
        gray.chunks[gray.index("tRNS")].data = [0, 0]
        #expect(message(gray.file) == "decoded")
        var rgba = PNGChunkList(try PNGEncoder(colorType: .rgba, bitDepth: 8).encode(Self.gray))
        rgba.insert("tRNS", [0, 0, 0, 0, 0, 0], before: "IDAT")
        #expect(message(rgba.file) == "truncated or corrupt PNG: a tRNS chunk in an image with an alpha channel (colour type 6)")
        var grayAlpha = PNGChunkList(try PNGEncoder(colorType: .grayAlpha, bitDepth: 8).encode(Self.gray))
        grayAlpha.insert("tRNS", [0, 0], before: "IDAT")
        #expect(message(grayAlpha.file) == "truncated or corrupt PNG: a tRNS chunk in an image with an alpha channel (colour type 4)")
    }

    /// Chunk order and kinds: IHDR first and once, IDATs together, unknown critical chunks refused.
    @Test func chunkOrder() throws {
        var split = PNGChunkList(try PNGEncoder(colorType: .gray, bitDepth: 8, maxIDATSize: 5).encode(Self.gray))
        #expect(split.chunks.filter { $0.type == "IDAT" }.count >= 2)
        split.chunks.insert(("tEXt", Array("a\0b".utf8)), at: split.index("IDAT") + 1)
        #expect(message(split.file) == "truncated or corrupt PNG: IDAT chunks that are not consecutive")
        var critical = PNGChunkList(try Self.grayFile())
        critical.insert("ABCD", [1], before: "IDAT")
        #expect(message(critical.file) == "truncated or corrupt PNG: unknown critical chunk ABCD")
        var first = PNGChunkList(try Self.grayFile())
        first.chunks.swapAt(0, 1)
        #expect(message(first.file) == "truncated or corrupt PNG: the first chunk is IDAT, not IHDR")
        var twice = PNGChunkList(try Self.grayFile())
        twice.insert("IHDR", twice.chunks[0].data, before: "IDAT")
        #expect(message(twice.file) == "truncated or corrupt PNG: a second IHDR chunk")
        var letters = try Self.grayFile()
        letters[37] = UInt8(ascii: "1")   // IDAT -> 1DAT
        #expect(message(letters) == "truncated or corrupt PNG: the chunk type at byte 37 is not four letters (31 44 41 54)")
    }

    /// Valid files the rules must not touch: unknown ancillary chunks anywhere (APNG's among them), text
    /// after the image data, zero-length and 1-byte IDATs, a full 2^depth palette with tRNS.
    @Test func validVariantsDecode() throws {
        let expected = try decodePNG(try Self.grayFile())
        #expect(expected == Self.gray)
        var apng = PNGChunkList(try Self.grayFile())
        apng.insert("acTL", [0, 0, 0, 1, 0, 0, 0, 0], before: "IDAT")
        apng.insert("fcTL", [UInt8](repeating: 0, count: 26), before: "IDAT")
        apng.insert("fdAT", [0, 0, 0, 2, 1, 2, 3], before: "IEND")
        apng.insert("zzZz", [], before: "IEND")
        apng.insert("tEXt", Array("Title\0after the data".utf8), before: "IEND")
        apng.insert("gAMA", PNGChunkList.bigEndian(45455), before: "acTL")
        #expect(try decodePNG(apng.file) == Self.gray)
        // the stream in 1-byte IDATs, with empty IDATs among them
        let whole = PNGChunkList(try Self.grayFile())
        var pieces = whole
        let stream = whole.chunks[whole.index("IDAT")].data
        pieces.chunks.remove(at: whole.index("IDAT"))
        for (i, byte) in stream.enumerated().reversed() {
            pieces.chunks.insert(("IDAT", [byte]), at: 1)
            if i % 5 == 0 { pieces.chunks.insert(("IDAT", []), at: 1) }
        }
        pieces.chunks.insert(("IDAT", []), at: pieces.chunks.count - 1)
        #expect(pieces.chunks.filter { $0.type == "IDAT" }.count > stream.count)
        #expect(try decodePNG(pieces.file) == Self.gray)
        // 16 entries at 4 bits, every one used, each with its own alpha
        var rgba: [UInt8] = []
        for i in 0..<16 { rgba += [UInt8(i * 16), UInt8(i * 16), UInt8(i * 16), UInt8(200 - i)] }
        let full = try PNGEncoder(colorType: .palette, bitDepth: 4).encode(width: 16, height: 1, rgba8: rgba)
        let fullChunks = PNGChunkList(full)
        #expect(fullChunks.chunks[fullChunks.index("PLTE")].data.count == 48 && fullChunks.chunks[fullChunks.index("tRNS")].data.count == 16)
        #expect(try decodePNG(full).pixels.count == 16)
    }
}
