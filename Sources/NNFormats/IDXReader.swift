// IDXReader.swift: the IDX format of MNIST (big-endian header: two zero bytes, an element-type byte, a
// dimension count, then one u32 per dimension, then the data), raw or gzipped, decompressed by zlib
// straight into the final buffer.
import CZlib
import NNCore

/// IDX element types (the third magic byte).
public enum IDXElementType: UInt8, Sendable {
    case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

    public var size: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .float64: return 8
        }
    }
}

/// A decoded IDX file: element type, dimensions and the raw (big-endian) element bytes.
public struct IDXArray: Sendable {
    public var elementType: IDXElementType
    public var dimensions: [Int]
    public var data: [UInt8]

    public var count: Int { dimensions.first ?? 0 }
    /// Elements per item (product of dimensions after the first; `IDXReader.decode` has checked it
    /// against `SizeLimits.maxSampleValues`, and it never traps: Int.max when it would overflow).
    public var itemSize: Int { CheckedSize.productOrNil(Array(dimensions.dropFirst())) ?? Int.max }

    /// Every element as a Double.
    public func values() -> [Double] {
        let n = data.count / elementType.size
        return data.withUnsafeBytes { raw -> [Double] in
            (0..<n).map { i -> Double in
                let o = i * elementType.size
                func u32() -> UInt32 { UInt32(raw[o]) << 24 | UInt32(raw[o + 1]) << 16 | UInt32(raw[o + 2]) << 8 | UInt32(raw[o + 3]) }
                switch elementType {
                case .uint8: return Double(raw[o])
                case .int8: return Double(Int8(bitPattern: raw[o]))
                case .int16: return Double(Int16(bitPattern: UInt16(raw[o]) << 8 | UInt16(raw[o + 1])))
                case .int32: return Double(Int32(bitPattern: u32()))
                case .float32: return Double(Float(bitPattern: u32()))
                case .float64:
                    var b: UInt64 = 0
                    for k in 0..<8 { b = b << 8 | UInt64(raw[o + k]) }
                    return Double(bitPattern: b)
                }
            }
        }
    }
}

/// Reads IDX files, gzipped or not.
public enum IDXReader {
    /// Reads and decodes the IDX file at `path` ("-" for standard input).
    public static func read(_ path: String) throws -> IDXArray {
        try decode(readBytes(path), path: path)
    }

    /// Reads and decodes the IDX file at `path`, and fingerprints the bytes read (checkpoints).
    public static func readFingerprinted(_ path: String) throws -> (array: IDXArray, fingerprint: FileFingerprint) {
        let bytes = try readBytes(path)
        return (try decode(bytes, path: path), FileFingerprint(of: bytes))
    }

    private static func readBytes(_ path: String) throws -> [UInt8] {
        try readWholeFile(path, limit: SizeLimits.maxIDXFileBytes, kind: "an IDX file") { start in
            // refuses /dev/zero, /dev/urandom and other endless non-IDX input after its first bytes
            if start.count >= 2 && start[0] == 0x1F && start[1] == 0x8B { return }
            if start.count >= 4 { _ = try header(Array(start.prefix(4)), path: path) }
        }
    }

    /// Decodes IDX bytes (gzip-compressed when they start with 1f 8b). `path` names the source in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws -> IDXArray {
        if bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B {
            let inflater = try Inflater(bytes, path: path)
            let head4 = try inflater.read(4)
            let ndim = try header(head4, path: path).ndim
            let dimBytes = try inflater.read(4 * ndim)
            let (type, dims, size) = try parseHeader(head4 + dimBytes, path: path)
            // deflate cannot expand data more than 1032:1, so a larger claim is false: refuse it before
            // allocating the claimed size
            if size > 1032 * bytes.count + 1024 {
                throw FormatError(path, "truncated: dimensions \(dims.map(String.init).joined(separator: "x")) claim \(size) bytes, more than \(bytes.count) compressed bytes can hold")
            }
            let data = try inflater.read(size)
            try inflater.expectEnd(size: size)
            return IDXArray(elementType: type, dimensions: dims, data: data)
        }
        if bytes.count < 4 { throw FormatError(path, "too short for an IDX file (\(bytes.count) bytes)") }
        let ndim = try header(Array(bytes[0..<4]), path: path).ndim
        let headerSize = 4 + 4 * ndim
        if bytes.count < headerSize { throw FormatError(path, "truncated IDX header (\(bytes.count) of \(headerSize) bytes)") }
        let (type, dims, size) = try parseHeader(Array(bytes[0..<headerSize]), path: path)
        let have = bytes.count - headerSize
        if have < size { throw FormatError(path, "truncated: dimensions \(dims.map(String.init).joined(separator: "x")) need \(size) data bytes, file has \(have)") }
        if have > size { throw FormatError(path, "file has \(have - size) bytes more than its dimensions \(dims.map(String.init).joined(separator: "x")) say") }
        return IDXArray(elementType: type, dimensions: dims, data: Array(bytes[headerSize...]))
    }

    private static func header(_ b: [UInt8], path: String) throws -> (type: UInt8, ndim: Int) {
        if b[0] != 0 || b[1] != 0 {
            let hex = b.prefix(4).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
            throw FormatError(path, "not an IDX file (magic bytes \(hex), expected 00 00 <type> <dims>)")
        }
        guard IDXElementType(rawValue: b[2]) != nil else {
            throw FormatError(path, "unknown IDX element type 0x\(String(b[2], radix: 16))")
        }
        if b[3] == 0 { throw FormatError(path, "IDX file has 0 dimensions") }
        return (b[2], Int(b[3]))
    }

    /// The element type, dimensions and data size in bytes, each product checked (a first dimension of 0
    /// must not hide an item size that overflows: 0x4294967295x4294967295 is refused too).
    private static func parseHeader(_ b: [UInt8], path: String) throws -> (IDXElementType, [Int], Int) {
        let type = IDXElementType(rawValue: b[2])!
        let ndim = Int(b[3])
        var dims: [Int] = []
        for d in 0..<ndim {
            let o = 4 + 4 * d
            dims.append(Int(UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])))
        }
        do {
            _ = try CheckedSize.product(Array(dims.dropFirst()), limit: SizeLimits.maxSampleValues, field: "IDX dimensions after the first (values per item)")
            let size = try CheckedSize.product([type.size] + dims, limit: SizeLimits.maxIDXDataBytes,
                                               field: "IDX dimensions x \(type.size)-byte elements (data bytes)")
            return (type, dims, size)
        } catch let e as SizeError {
            throw FormatError(path, e.description)
        }
    }
}
