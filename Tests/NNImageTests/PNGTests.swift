// PNGTests.swift: the encoder against libpng's decoder, in every colour type, bit depth and interlace mode.

import Testing
import NNImage

/// Deterministic test pattern generator (SplitMix64).
struct TestRNG {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Luma and over-white compositing exactly as the decoder documents them, in 8-bit.
func expectedGray(r: Int, g: Int, b: Int, a: Int) -> Int {
    let y = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16
    return (y * a + 255 * (255 - a) + 127) / 255
}

struct PNGRoundTripTests {
    static let cases: [(PNGEncoder.ColorType, Int, Bool)] = PNGEncoder.ColorType.allCases.flatMap { type in
        type.legalBitDepths.flatMap { depth in [false, true].map { (type, depth, $0) } }
    }

    /// Every colour type x legal bit depth x interlace: pixels chosen on the file's sample grid, decoded
    /// values within 1 of the exact expectation (exact for every depth up to 8 without alpha).
    @Test(arguments: cases)
    func roundTrip(type: PNGEncoder.ColorType, depth: Int, interlaced: Bool) throws {
        // 13x11: odd sizes leave Adam7 passes partially filled; 1-pixel passes exist too.
        let width = 13, height = 11
        var rng = TestRNG(state: UInt64(type.rawValue) << 8 | UInt64(depth) << 1 | (interlaced ? 1 : 0))
        let levels = depth == 16 ? 65536 : 1 << depth
        var rgba = [UInt16](repeating: 0, count: width * height * 4)
        var expected = [Int](repeating: 0, count: width * height)
        // A palette image may only use 2^depth colours: draw from a fixed set.
        var paletteColors: [[UInt8]] = []
        for i in 0..<(1 << min(depth, 8)) {
            let alpha: Int = i % 3 == 0 ? (i * 40) & 255 : 255
            let color: [Int] = [(i * 97) & 255, (i * 57 + 30) & 255, (i * 23 + 200) & 255, alpha]
            paletteColors.append(color.map { UInt8($0) })
        }
        for i in 0..<(width * height) {
            var s = [UInt16](repeating: 0, count: 4)
            switch type {
            case .palette:
                let c = paletteColors[rng.below(paletteColors.count)]
                s = c.map { UInt16($0) * 257 }
                expected[i] = expectedGray(r: Int(c[0]), g: Int(c[1]), b: Int(c[2]), a: Int(c[3]))
            default:
                func sample() -> UInt16 { UInt16(rng.below(levels) * (65535 / (levels - 1))) }
                let r = sample()
                let g = type == .rgb || type == .rgba ? sample() : r
                let b = type == .rgb || type == .rgba ? sample() : r
                var a: UInt16 = 65535
                if type == .grayAlpha || type == .rgba {
                    a = [0, 65535, sample(), sample()][rng.below(4)]
                }
                s = [r, g, b, a]
                func to8(_ v: UInt16) -> Int { (Int(v) * 255 + 32767) / 65535 }
                expected[i] = expectedGray(r: to8(r), g: to8(g), b: to8(b), a: to8(a))
            }
            rgba.replaceSubrange(i * 4..<i * 4 + 4, with: s)
        }
        let encoder = PNGEncoder(colorType: type, bitDepth: depth, interlaced: interlaced)
        let file = try encoder.encode(width: width, height: height, rgba16: rgba)
        #expect(file[25] == type.rawValue && Int(file[24]) == depth && file[28] == (interlaced ? 1 : 0))
        let image = try decodePNG(file)
        #expect(image.width == width && image.height == height)
        let worst = zip(image.pixels, expected).map { abs(Int($0) - $1) }.max()!
        let exact = depth <= 8 && type != .grayAlpha && type != .rgba && type != .palette
        #expect(worst <= (exact ? 0 : 1), "type \(type) depth \(depth) interlaced \(interlaced): max error \(worst)")
    }

    @Test func gray8RoundTripIsExact() throws {
        var rng = TestRNG(state: 7)
        let image = GrayImage(width: 37, height: 19, pixels: (0..<(37 * 19)).map { _ in UInt8(rng.below(256)) })
        #expect(try decodePNG(try encodePNG(image)) == image)
        // All 256 levels, one row: 128 reads as 128 (no linearisation).
        let ramp = GrayImage(width: 256, height: 1, pixels: (0...255).map { UInt8($0) })
        #expect(try decodePNG(try encodePNG(ramp)) == ramp)
    }

    @Test func midGrayIsNotLinearised() throws {
        // RGB (128,128,128), 16-bit gray 128*257 and gray+alpha opaque 128 all read as 128.
        let rgb = try PNGEncoder(colorType: .rgb, bitDepth: 8).encode(width: 1, height: 1, rgba8: [128, 128, 128, 255])
        #expect(try decodePNG(rgb).pixels == [128])
        let g16 = try PNGEncoder(colorType: .gray, bitDepth: 16).encode(width: 1, height: 1, rgba16: [32896, 0, 0, 65535])
        #expect(try decodePNG(g16).pixels == [128])
        let ga = try PNGEncoder(colorType: .grayAlpha, bitDepth: 8).encode(width: 1, height: 1, rgba8: [128, 0, 0, 255])
        #expect(try decodePNG(ga).pixels == [128])
    }

    @Test func alphaIsCompositedOverWhite() throws {
        // Black ink, alpha 0 / 128 / 255: white, mid gray, black. Colour under alpha 0 is irrelevant.
        let pixels: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 128, 0, 0, 0, 255, 12, 200, 77, 0]
        for type in [PNGEncoder.ColorType.rgba, .grayAlpha, .palette] {
            for depth in type == .palette ? [2, 8] : [8, 16] {
                let file = try PNGEncoder(colorType: type, bitDepth: depth).encode(width: 4, height: 1, rgba8: pixels)
                let got = try decodePNG(file).pixels
                #expect(got[0] == 255 && got[3] == 255 && got[2] == 0, "\(type) \(depth): \(got)")
                #expect(abs(Int(got[1]) - 127) <= 1, "\(type) \(depth): \(got)")
            }
        }
    }

    @Test func trnsColorKeyAndPalette() throws {
        // Gray key 0 at 4 bits: black pixels are transparent -> white; others keep their value.
        let gray = try PNGEncoder(colorType: .gray, bitDepth: 4, transparentKey: .init(gray: 0))
            .encode(width: 3, height: 1, rgba8: [0, 0, 0, 255, 17, 0, 0, 255, 255, 0, 0, 255])
        #expect(try decodePNG(gray).pixels == [255, 17, 255])
        let rgb = try PNGEncoder(colorType: .rgb, bitDepth: 16, interlaced: true, transparentKey: .init(red: 0, green: 0, blue: 65535))
            .encode(width: 2, height: 1, rgba16: [0, 0, 65535, 65535, 0, 0, 0, 65535])
        #expect(try decodePNG(rgb).pixels == [255, 0])
        // Palette with tRNS: a chunk named tRNS must be present and shorter than the palette.
        let pal = try PNGEncoder(colorType: .palette, bitDepth: 1)
            .encode(width: 2, height: 2, rgba8: [0, 0, 0, 0, 50, 50, 50, 255, 0, 0, 0, 0, 50, 50, 50, 255])
        #expect(containsChunk(pal, "tRNS") && containsChunk(pal, "PLTE"))
        #expect(try decodePNG(pal).pixels == [255, 50, 255, 50])
        // Without transparency no tRNS is written.
        let opaque = try PNGEncoder(colorType: .palette, bitDepth: 8).encode(width: 1, height: 1, rgba8: [9, 9, 9, 255])
        #expect(!containsChunk(opaque, "tRNS"))
        #expect(throws: ImageError.self) {
            try PNGEncoder(colorType: .palette, bitDepth: 1).encode(width: 3, height: 1, rgba8: [0, 0, 0, 255, 1, 1, 1, 255, 2, 2, 2, 255])
        }
    }

    @Test func everyFixedFilterAndSplitIDAT() throws {
        var rng = TestRNG(state: 99)
        let image = GrayImage(width: 31, height: 17, pixels: (0..<(31 * 17)).map { _ in UInt8(rng.below(256)) })
        for f in PNGEncoder.Filter.allCases {
            var enc = PNGEncoder(colorType: .gray, bitDepth: 8, interlaced: f.rawValue % 2 == 0, filter: f)
            enc.maxIDATSize = 50
            #expect(try decodePNG(try enc.encode(image)) == image, "filter \(f)")
        }
    }

    @Test func illegalDepthIsRejected() {
        #expect(throws: ImageError.self) { try PNGEncoder(colorType: .rgb, bitDepth: 4).encode(width: 1, height: 1, rgba8: [0, 0, 0, 0]) }
        #expect(throws: ImageError.self) { try PNGEncoder(colorType: .palette, bitDepth: 16).encode(width: 1, height: 1, rgba8: [0, 0, 0, 0]) }
    }
}

func containsChunk(_ file: [UInt8], _ type: String) -> Bool {
    let t = Array(type.utf8)
    return file.indices.dropLast(3).contains { Array(file[$0..<$0 + 4]) == t }
}

struct PNGRejectionTests {
    func message(_ bytes: [UInt8], maxPixels: Int = PNGLimits.defaultMaxPixels) -> String {
        do {
            _ = try decodePNG(bytes, maxPixels: maxPixels)
            return "decoded"
        } catch let e as ImageError {
            return e.message
        } catch {
            return "other error \(error)"
        }
    }

    @Test func rejectsNonPNG() {
        #expect(message([]) == "not a PNG file (empty)")
        #expect(message(Array("hello, world".utf8)) == "not a PNG file (bad signature)")
        #expect(message([0x89, 0x50]) == "not a PNG file (bad signature)")
    }

    @Test func rejectsTruncatedAtEveryLength() throws {
        var rng = TestRNG(state: 3)
        let image = GrayImage(width: 20, height: 20, pixels: (0..<400).map { _ in UInt8(rng.below(256)) })
        let file = try PNGEncoder(colorType: .rgb, bitDepth: 8, interlaced: true).encode(image)
        for length in 8..<file.count {  // IEND included: a file without it is cut short
            let m = message(Array(file[0..<length]))
            #expect(m.hasPrefix("truncated or corrupt PNG: "), "length \(length): \(m)")
        }
        #expect(message(file) == "decoded")
    }

    @Test func rejectsCorruptionWithoutCrashing() throws {
        let image = GrayImage(width: 16, height: 16, pixels: (0..<256).map { UInt8($0) })
        let file = try PNGEncoder(colorType: .palette, bitDepth: 8, interlaced: true).encode(image)
        var rng = TestRNG(state: 11)
        var rejected = 0
        for _ in 0..<300 {
            var bad = file
            for _ in 0..<(1 + rng.below(4)) { bad[8 + rng.below(bad.count - 8)] ^= UInt8(1 + rng.below(255)) }
            let m = message(bad)
            if m != "decoded" { rejected += 1 }
            #expect(m == "decoded" || m.hasPrefix("truncated or corrupt PNG: ") || m.hasPrefix("image is"), "\(m)")
        }
        #expect(rejected > 250)  // CRCs catch nearly everything
        for n in [1, 9, 100, 5000] {
            var bytes = [UInt8](repeating: 0, count: n)
            for i in 0..<n { bytes[i] = UInt8(rng.below(256)) }
            #expect(message(bytes) == "not a PNG file (bad signature)")
            bytes.replaceSubrange(0..<min(8, n), with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A].prefix(n))
            #expect(message(bytes) != "decoded")
        }
    }

    @Test func rejectsEmptyAndOversizedFromTheHeader() throws {
        let empty = try PNGEncoder(colorType: .gray, bitDepth: 8).encode(width: 0, height: 0, rgba16: [])
        #expect(message(empty) == "image is empty (0x0)")
        // A bomb: the header claims 50000x50000; the check happens before any allocation, so the file
        // need not even hold the pixels.
        var bomb = try PNGEncoder(colorType: .gray, bitDepth: 1).encode(width: 1, height: 1, rgba16: [0, 0, 0, 65535])
        bomb.replaceSubrange(16..<24, with: [0, 0, 0xC3, 0x50, 0, 0, 0xC3, 0x50])
        #expect(message(bomb) == "image is 50000x50000 pixels, over the limit of 40000000")
        let small = try PNGEncoder(colorType: .gray, bitDepth: 8).encode(GrayImage(width: 10, height: 10, fill: 9))
        #expect(message(small, maxPixels: 99) == "image is 10x10 pixels, over the limit of 99")
        #expect(message(small, maxPixels: 100) == "decoded")
    }
}
