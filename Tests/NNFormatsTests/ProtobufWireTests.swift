import Testing
@testable import NNFormats
@testable import NNInterchange

struct ProtobufWireTests {
    func encoded(_ v: UInt64) -> [UInt8] {
        var w = ProtoWriter()
        w.varint(v)
        return w.bytes
    }

    func expectError(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: (inout ProtoReader) throws -> Void) {
        var r = ProtoReader(bytes)
        do {
            try body(&r)
            Issue.record("no error (expected '\(fragment)')", sourceLocation: sourceLocation)
        } catch let e as ProtobufError {
            #expect(e.message.contains(fragment), "\(e)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func varintsRoundTripWithTheirLengths() throws {
        let cases: [(UInt64, Int)] = [(0, 1), (1, 1), (127, 1), (128, 2), (300, 2), (16_383, 2), (16_384, 3), (1 << 32, 5),
                                      (UInt64(Int64.max), 9), (UInt64.max, 10)]
        for (v, n) in cases {
            let b = encoded(v)
            #expect(b.count == n, "\(v)")
            var r = ProtoReader(b)
            #expect(try r.varint() == v)
            #expect(r.isAtEnd)
        }
        // -1 as int64: ten bytes, ff x 9 then 01
        var w = ProtoWriter()
        w.int64(1, -1)
        #expect(w.bytes == [0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
        var r = ProtoReader(w.bytes)
        _ = try r.nextField()
        #expect(try r.int64() == -1)
    }

    /// The examples of the protobuf encoding guide: field 1 = 150, field 2 = "testing".
    @Test func matchesTheProtobufDocumentation() throws {
        var w = ProtoWriter()
        w.int64(1, 150)
        #expect(w.bytes == [0x08, 0x96, 0x01])
        var s = ProtoWriter()
        s.string(2, "testing")
        #expect(s.bytes == [0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6E, 0x67])
        var r = ProtoReader(w.bytes + s.bytes)
        let f1 = try r.nextField()
        #expect(f1?.number == 1 && f1?.wire == .varint)
        #expect(try r.varint() == 150)
        let f2 = try r.nextField()
        #expect(f2?.number == 2 && f2?.wire == .lengthDelimited)
        #expect(try r.string() == "testing")
        #expect(try r.nextField() == nil)
    }

    @Test func fixedWidthAndPackedValuesRoundTrip() throws {
        var w = ProtoWriter()
        w.float(1, -2.5)
        w.tag(2, .fixed64)
        w.fixed64(Double.pi.bitPattern)
        w.packedFloats(3, [1, -0.0, .greatestFiniteMagnitude, .leastNonzeroMagnitude])
        w.packedVarints(4, [0, -1, 1 << 40])
        w.float(3, 7)   // the same repeated field, unpacked: readers must take both
        var r = ProtoReader(w.bytes)
        var floats: [Float] = [], ints: [Int64] = []
        var double = 0.0, single: Float = 0
        while let (field, wire) = try r.nextField() {
            switch field {
            case 1: single = try r.float(wire)
            case 2: double = Double(bitPattern: try r.fixed64())
            case 3: try r.appendFloats(wire, to: &floats)
            case 4: try r.appendVarints(wire, to: &ints)
            default: Issue.record("field \(field)")
            }
        }
        #expect(single == -2.5 && double == Double.pi)
        #expect(floats.map(\.bitPattern) == ([1, -0.0, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 7] as [Float]).map(\.bitPattern))
        #expect(ints == [0, -1, 1 << 40])
    }

    @Test func hostileBytesAreRefused() {
        expectError([0x80], "truncated varint") { _ = try $0.varint() }
        expectError([UInt8](repeating: 0xFF, count: 10) + [0x01], "varint overflows 64 bits") { _ = try $0.varint() }
        expectError([UInt8](repeating: 0x80, count: 11) + [0x00], "varint overflows") { _ = try $0.varint() }
        expectError([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], "varint overflows 64 bits") { _ = try $0.varint() }
        expectError([0x0A, 0x05, 0x61, 0x62], "length 5 runs past the end of the message (2 bytes remain)") { r in
            _ = try r.nextField()
            _ = try r.data()
        }
        // a length that would overflow Int when added to the offset
        expectError([0x0A] + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], "runs past the end") { r in
            _ = try r.nextField()
            _ = try r.data()
        }
        for wire: UInt8 in [3, 4, 6, 7] {
            expectError([0x08 | wire], "unsupported wire type \(wire) for field 1") { _ = try $0.nextField() }
        }
        expectError([0x00, 0x00], "invalid field number 0") { _ = try $0.nextField() }
        expectError([0x0D, 0x00, 0x00], "truncated fixed32") { r in
            _ = try r.nextField()
            _ = try r.fixed32()
        }
        expectError([0x12, 0x02, 0xC3, 0x28], "not valid UTF-8") { r in
            _ = try r.nextField()
            _ = try r.string()
        }
        expectError([0x1A, 0x03, 0x00, 0x00, 0x80], "not a multiple of 4") { r in
            var floats: [Float] = []
            let (_, wire) = try r.nextField()!
            try r.appendFloats(wire, to: &floats)
        }
    }

    /// Messages nested deeper than the limit are refused; up to it they are read.
    @Test func nestingIsLimited() throws {
        func nested(_ depth: Int) -> [UInt8] {
            var inner = ProtoWriter()
            inner.int64(1, 42)
            for _ in 0..<depth {
                var outer = ProtoWriter()
                outer.message(2, inner)
                inner = outer
            }
            return inner.bytes
        }
        func descend(_ bytes: [UInt8]) throws -> Int {
            var r = ProtoReader(bytes)
            var levels = 0
            while let (field, _) = try r.nextField(), field == 2 {
                r = try r.message()
                levels += 1
            }
            return levels
        }
        #expect(try descend(nested(ProtoReader.maxDepth)) == ProtoReader.maxDepth)
        #expect(throws: ProtobufError.self) { try descend(nested(ProtoReader.maxDepth + 1)) }
    }
}
