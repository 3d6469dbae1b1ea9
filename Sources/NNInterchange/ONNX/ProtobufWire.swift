import NNFormats
// ProtobufWire.swift: the protocol-buffers wire format, hand-written for the ONNX messages.
//
// Why not apple/swift-protobuf: it would add its runtime (and, for regenerating, its code generator) to
// every build, minutes of the quick start on two cores, to read and write six small messages. The wire
// format itself is small: a message is a sequence of (tag, value) pairs, tag = field << 3 | wire type,
// and a value is a varint (0), 8 little-endian bytes (1), a length-prefixed byte string (2, also used
// for sub-messages and packed repeated scalars) or 4 little-endian bytes (5). Wire types 3 and 4
// (groups, deprecated since proto2) are refused like any other unknown wire type; unknown fields of the
// known wire types are skipped, as protobuf requires.
//
// The reader trusts nothing: every length is checked against the bytes that remain in its enclosing
// message, a varint longer than 10 bytes (or over 64 bits) is an error, and sub-messages may nest at
// most `ProtoReader.maxDepth` deep.

/// A malformed protobuf encoding: what is wrong and at which byte.
public struct ProtobufError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var offset: Int
    public init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }
    public var description: String { "\(message) at byte \(offset)" }
}

/// The four wire types this codec reads and writes.
public enum WireType: UInt8, Sendable {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
}

// MARK: - Reader

/// Reads one message: `bytes[offset..<end]`. Sub-messages are readers over a sub-range of the same array
/// (no copy).
public struct ProtoReader {
    /// Sub-messages nested deeper than this are refused (the ONNX subset nests 6 deep).
    public static let maxDepth = 32

    public let bytes: [UInt8]
    public private(set) var offset: Int
    public let end: Int
    public let depth: Int

    public init(_ bytes: [UInt8]) {
        self.init(bytes, range: 0..<bytes.count, depth: 0)
    }

    init(_ bytes: [UInt8], range: Range<Int>, depth: Int) {
        self.bytes = bytes
        self.offset = range.lowerBound
        self.end = range.upperBound
        self.depth = depth
    }

    public var isAtEnd: Bool { offset >= end }
    public var remaining: Int { end - offset }

    /// The next field's number and wire type, or nil at the end of the message.
    public mutating func nextField() throws -> (number: Int, wire: WireType)? {
        if isAtEnd { return nil }
        let start = offset
        let tag = try varint()
        let number = tag >> 3
        guard number >= 1, number <= (1 << 29) - 1 else { throw ProtobufError("invalid field number \(number)", at: start) }
        guard let wire = WireType(rawValue: UInt8(tag & 7)) else {
            throw ProtobufError("unsupported wire type \(tag & 7) for field \(number)", at: start)
        }
        return (Int(number), wire)
    }

    /// A base-128 varint: at most 10 bytes, at most 64 bits.
    public mutating func varint() throws -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        for k in 0..<10 {
            guard offset < end else { throw ProtobufError("truncated varint", at: start) }
            let b = bytes[offset]
            offset += 1
            if k == 9 && b > 1 { throw ProtobufError("varint overflows 64 bits", at: start) }
            value |= UInt64(b & 0x7F) << (7 * UInt64(k))
            if b & 0x80 == 0 { return value }
        }
        throw ProtobufError("varint longer than 10 bytes", at: start)
    }

    public mutating func int64() throws -> Int64 { Int64(bitPattern: try varint()) }

    /// An int32 field (negative values are sign-extended to 10 bytes on the wire).
    public mutating func int32() throws -> Int32 {
        let start = offset
        let v = try int64()
        guard let r = Int32(exactly: v) else { throw ProtobufError("int32 field holds \(v)", at: start) }
        return r
    }

    public mutating func fixed32() throws -> UInt32 {
        guard remaining >= 4 else { throw ProtobufError("truncated fixed32", at: offset) }
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[offset + k]) << (8 * UInt32(k)) }
        offset += 4
        return v
    }

    public mutating func fixed64() throws -> UInt64 {
        guard remaining >= 8 else { throw ProtobufError("truncated fixed64", at: offset) }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[offset + k]) << (8 * UInt64(k)) }
        offset += 8
        return v
    }

    /// The byte range of a length-delimited value, checked against what remains of this message.
    public mutating func lengthDelimited() throws -> Range<Int> {
        let start = offset
        let n = try varint()
        guard n <= UInt64(remaining) else {
            throw ProtobufError("length \(n) runs past the end of the message (\(remaining) bytes remain)", at: start)
        }
        let r = offset..<(offset + Int(n))
        offset += Int(n)
        return r
    }

    public mutating func data() throws -> [UInt8] { Array(bytes[try lengthDelimited()]) }

    /// A UTF-8 string; invalid UTF-8 is an error.
    public mutating func string() throws -> String {
        let start = offset
        let r = try lengthDelimited()
        guard let s = String(validating: bytes[r], as: UTF8.self) else { throw ProtobufError("string is not valid UTF-8", at: start) }
        return s
    }

    /// A reader over the next length-delimited value, one level deeper.
    public mutating func message() throws -> ProtoReader {
        let start = offset
        let r = try lengthDelimited()
        guard depth + 1 <= ProtoReader.maxDepth else {
            throw ProtobufError("messages nested more than \(ProtoReader.maxDepth) deep", at: start)
        }
        return ProtoReader(bytes, range: r, depth: depth + 1)
    }

    /// Skips a value of an unknown field.
    public mutating func skip(_ wire: WireType) throws {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try lengthDelimited()
        }
    }

    /// A repeated varint field (int64, int32, enums): one value (unpacked) or a packed run.
    public mutating func appendVarints(_ wire: WireType, to out: inout [Int64]) throws {
        switch wire {
        case .varint:
            out.append(try int64())
        case .lengthDelimited:
            var sub = ProtoReader(bytes, range: try lengthDelimited(), depth: depth)
            while !sub.isAtEnd { out.append(try sub.int64()) }
        default:
            throw ProtobufError("wire type \(wire.rawValue) for a varint field", at: offset)
        }
    }

    /// A repeated float field: one fixed32 (unpacked) or a packed run of them.
    public mutating func appendFloats(_ wire: WireType, to out: inout [Float]) throws {
        switch wire {
        case .fixed32:
            out.append(Float(bitPattern: try fixed32()))
        case .lengthDelimited:
            let start = offset
            let r = try lengthDelimited()
            guard r.count % 4 == 0 else { throw ProtobufError("packed floats of \(r.count) bytes, not a multiple of 4", at: start) }
            out.reserveCapacity(out.count + r.count / 4)
            var k = r.lowerBound
            while k < r.upperBound {
                out.append(Float(bitPattern: UInt32(bytes[k]) | UInt32(bytes[k + 1]) << 8 | UInt32(bytes[k + 2]) << 16 | UInt32(bytes[k + 3]) << 24))
                k += 4
            }
        default:
            throw ProtobufError("wire type \(wire.rawValue) for a float field", at: offset)
        }
    }

    /// A repeated double field: one fixed64 (unpacked) or a packed run of them.
    public mutating func appendDoubles(_ wire: WireType, to out: inout [Double]) throws {
        switch wire {
        case .fixed64:
            out.append(Double(bitPattern: try fixed64()))
        case .lengthDelimited:
            let start = offset
            var sub = ProtoReader(bytes, range: try lengthDelimited(), depth: depth)
            guard sub.remaining % 8 == 0 else { throw ProtobufError("packed doubles of \(sub.remaining) bytes, not a multiple of 8", at: start) }
            out.reserveCapacity(out.count + sub.remaining / 8)
            while !sub.isAtEnd { out.append(Double(bitPattern: try sub.fixed64())) }
        default:
            throw ProtobufError("wire type \(wire.rawValue) for a double field", at: offset)
        }
    }

    /// A float field (fixed32) of a message.
    public mutating func float(_ wire: WireType) throws -> Float {
        guard wire == .fixed32 else { throw ProtobufError("wire type \(wire.rawValue) for a float field", at: offset) }
        return Float(bitPattern: try fixed32())
    }

    /// Checks that a field of a message has the wire type its schema says.
    public func expect(_ wire: WireType, _ expected: WireType, field: Int) throws {
        if wire != expected {
            throw ProtobufError("field \(field) has wire type \(wire.rawValue), expected \(expected.rawValue)", at: offset)
        }
    }
}

// MARK: - Writer

/// Appends fields to a byte buffer. Sub-messages are encoded into their own writer first (their length
/// goes before them).
public struct ProtoWriter {
    public private(set) var bytes: [UInt8] = []
    public init() {}

    public mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func tag(_ field: Int, _ wire: WireType) { varint(UInt64(field) << 3 | UInt64(wire.rawValue)) }

    public mutating func int64(_ field: Int, _ v: Int64) {
        tag(field, .varint)
        varint(UInt64(bitPattern: v))
    }

    public mutating func float(_ field: Int, _ v: Float) {
        tag(field, .fixed32)
        fixed32(v.bitPattern)
    }

    public mutating func fixed32(_ v: UInt32) {
        for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(k)))) }
    }

    public mutating func fixed64(_ v: UInt64) {
        for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) }
    }

    public mutating func data(_ field: Int, _ d: [UInt8]) {
        tag(field, .lengthDelimited)
        varint(UInt64(d.count))
        bytes.append(contentsOf: d)
    }

    public mutating func string(_ field: Int, _ s: String) { data(field, Array(s.utf8)) }

    public mutating func message(_ field: Int, _ m: ProtoWriter) { data(field, m.bytes) }

    /// A packed repeated float field: little-endian binary32 values in one length-delimited value.
    public mutating func packedFloats(_ field: Int, _ values: [Float]) {
        tag(field, .lengthDelimited)
        varint(UInt64(4 * values.count))
        for v in values { fixed32(v.bitPattern) }
    }

    /// A packed repeated varint field.
    public mutating func packedVarints(_ field: Int, _ values: [Int64]) {
        var inner = ProtoWriter()
        for v in values { inner.varint(UInt64(bitPattern: v)) }
        data(field, inner.bytes)
    }
}
