// NPZ.swift: NumPy's .npz (a zip archive of .npy files, what np.savez / np.savez_compressed write) and
// .npy arrays of float32 or float64, read strictly.
//
// The zip is read from its central directory (the end of the file), the sizes and CRC-32 there are the
// authority (np.savez writes 0xFFFFFFFF in the local headers and the real sizes in a ZIP64 extra field
// there). Members are stored (method 0) or deflated (method 8, raw inflate with the zlib we link).
// Against zip bombs: a member's declared size must be under `NPZFile.maxMemberBytes` and within what
// deflate can produce from its compressed bytes (1032:1); its .npy header is inflated first, and the
// size the header implies (shape x item size) must equal the declared size before the data is inflated;
// inflating stops at the declared size, and one byte more is an error.
//
// .npy (numpy.lib.format): "\x93NUMPY", version 1.0 (u16 header length), 2.0 or 3.0 (u32), then a
// Python dict literal {'descr': '<f4' or '<f8', 'fortran_order': False, 'shape': (d0, d1, ...), }
// padded with spaces and ended by "\n", then the C-ordered little-endian data.
import CZlib
import NNCore
import NNFormats

/// One array: its shape and values.
public struct NPYArray: Equatable, Sendable {
    public enum Values: Equatable, Sendable {
        case float([Float])
        case double([Double])
    }
    public var shape: [Int]
    public var values: Values

    public init(shape: [Int], values: Values) {
        self.shape = shape
        self.values = values
    }

    /// "<f4" or "<f8".
    public var descr: String {
        if case .float = values { return "<f4" }
        return "<f8"
    }

    /// Every value as float32 (float64 rounded to nearest).
    public var floats: [Float] {
        switch values {
        case .float(let v): return v
        case .double(let v): return v.map { Float($0) }
        }
    }

    public var count: Int {
        switch values {
        case .float(let v): return v.count
        case .double(let v): return v.count
        }
    }
}

/// The parsed header of a .npy file.
struct NPYHeader {
    var shape: [Int]
    var itemSize: Int
    /// Bytes before the data (magic, version, length, dict).
    var headerSize: Int
    var dataSize: Int
}

public enum NPYFile {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]   // \x93NUMPY
    /// Longest header dict accepted (numpy writes 128 bytes or so for a plain array).
    static let maxHeaderLength = 1 << 16

    /// Decodes a whole .npy file; `context` names it in messages ("member 'W1.npy': ").
    public static func decode(_ bytes: [UInt8], path: String, context: String = "") throws -> NPYArray {
        let prefix = try prefixSize(Array(bytes.prefix(12)), path: path, context: context)
        guard bytes.count >= prefix else { throw FormatError(path, "\(context)truncated .npy header") }
        let h = try header(Array(bytes.prefix(prefix)), path: path, context: context)
        let have = bytes.count - h.headerSize
        if have != h.dataSize {
            throw FormatError(path, "\(context)the header's shape \(shapeText(h.shape)) needs \(h.dataSize) data bytes, the array has \(have)")
        }
        return values(bytes, from: h.headerSize, h)
    }

    /// From the first 10-12 bytes: the size of magic, version, length and header dict together.
    static func prefixSize(_ first: [UInt8], path: String, context: String) throws -> Int {
        guard first.count >= 10, Array(first[0..<6]) == magic else {
            throw FormatError(path, "\(context)not a .npy array (no \\x93NUMPY signature)")
        }
        let major = first[6], minor = first[7]
        guard (1...3).contains(major), minor == 0 else {
            throw FormatError(path, "\(context).npy version \(major).\(minor) is not 1.0, 2.0 or 3.0")
        }
        if major == 1 { return 10 + (Int(first[8]) | Int(first[9]) << 8) }
        guard first.count >= 12 else { throw FormatError(path, "\(context)truncated .npy header") }
        let n = Int(first[8]) | Int(first[9]) << 8 | Int(first[10]) << 16 | Int(first[11]) << 24
        guard n <= maxHeaderLength else { throw FormatError(path, "\(context).npy header of \(n) bytes is implausibly long") }
        return 12 + n
    }

    /// Parses the header dict strictly: exactly the keys descr, fortran_order and shape.
    static func header(_ b: [UInt8], path: String, context: String) throws -> NPYHeader {
        func fail(_ m: String) -> FormatError { FormatError(path, "\(context)bad .npy header: \(m)") }
        let start = b[6] == 1 ? 10 : 12
        guard b.last == 0x0A else { throw fail("it does not end with a newline") }
        guard let text = String(validating: b[start..<(b.count - 1)], as: UTF8.self) else { throw fail("not UTF-8 text") }
        var s = Substring(text)
        func skipSpace() { while let c = s.first, c == " " { s.removeFirst() } }
        func expect(_ c: Character) throws {
            skipSpace()
            guard s.first == c else { throw fail("expected '\(c)' at '\(s.prefix(12))'") }
            s.removeFirst()
        }
        func quoted() throws -> String {
            skipSpace()
            guard let q = s.first, q == "'" || q == "\"" else { throw fail("expected a quoted string at '\(s.prefix(12))'") }
            s.removeFirst()
            guard let end = s.firstIndex(of: q) else { throw fail("unterminated string") }
            let v = String(s[..<end])
            s = s[s.index(after: end)...]
            return v
        }
        var descr: String?, fortran: Bool?, shape: [Int]?
        try expect("{")
        while true {
            skipSpace()
            if s.first == "}" { s.removeFirst(); break }
            let key = try quoted()
            try expect(":")
            skipSpace()
            switch key {
            case "descr":
                if descr != nil { throw fail("'descr' appears twice") }
                descr = try quoted()
            case "fortran_order":
                if fortran != nil { throw fail("'fortran_order' appears twice") }
                if s.hasPrefix("False") { fortran = false; s.removeFirst(5) }
                else if s.hasPrefix("True") { fortran = true; s.removeFirst(4) }
                else { throw fail("fortran_order is neither True nor False") }
            case "shape":
                if shape != nil { throw fail("'shape' appears twice") }
                try expect("(")
                var dims: [Int] = []
                var commaAfterLast = false
                while true {
                    skipSpace()
                    if s.first == ")" { s.removeFirst(); break }
                    let digits = s.prefix { $0.isASCII && $0.isNumber }
                    guard !digits.isEmpty, digits.count <= 18, let d = Int(digits) else { throw fail("shape holds '\(s.prefix(12))', not a size") }
                    s.removeFirst(digits.count)
                    dims.append(d)
                    commaAfterLast = false
                    skipSpace()
                    if s.first == "," { s.removeFirst(); commaAfterLast = true; continue }
                    try expect(")")
                    break
                }
                // (5) is not a tuple in Python; numpy writes (5,)
                if dims.count == 1 && !commaAfterLast { throw fail("shape (\(dims[0])) is not a tuple") }
                shape = dims
            default:
                throw fail("unexpected key '\(key)'")
            }
            skipSpace()
            if s.first == "," { s.removeFirst(); continue }
            try expect("}")
            break
        }
        skipSpace()
        if !s.isEmpty { throw fail("text after the dict: '\(s.prefix(12))'") }
        guard let descr, let fortran, let shape else { throw fail("it lacks one of 'descr', 'fortran_order', 'shape'") }
        let itemSize: Int
        switch descr {
        case "<f4": itemSize = 4
        case "<f8": itemSize = 8
        default:
            throw FormatError(path, "\(context)dtype '\(descr)' is not supported; nn-model reads little-endian float32 ('<f4') and float64 ('<f8')")
        }
        if fortran { throw FormatError(path, "\(context)fortran_order is True (column-major); save a C-ordered array (np.ascontiguousarray)") }
        var count = 1
        for d in shape {
            let (m, overflow) = count.multipliedReportingOverflow(by: d)
            if overflow || m > ONNXFormat.maxTensorElements {
                throw FormatError(path, "\(context)shape \(shapeText(shape)) is more than the \(ONNXFormat.maxTensorElements) elements nn-model accepts")
            }
            count = m
        }
        return NPYHeader(shape: shape, itemSize: itemSize, headerSize: b.count, dataSize: count * itemSize)
    }

    static func values(_ bytes: [UInt8], from offset: Int, _ h: NPYHeader) -> NPYArray {
        let n = h.dataSize / h.itemSize
        if h.itemSize == 4 { return NPYArray(shape: h.shape, values: .float(ByteReader(bytes, offset: offset).readFloats(n))) }
        var r = ByteReader(bytes, offset: offset)
        return NPYArray(shape: h.shape, values: .double((0..<n).map { _ in Double(bitPattern: r.le()!) }))
    }

    static func shapeText(_ shape: [Int]) -> String {
        "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
    }
}

/// Reads .npz archives.
public enum NPZFile {
    /// Largest member accepted, uncompressed (1 GiB).
    public static let maxMemberBytes = 1 << 30
    public static let maxMembers = 10_000

    public static func read(_ path: String) throws -> [(name: String, array: NPYArray)] {
        // a zip's members are checked against their own ceilings; the archive as a whole like a model file
        try decode(readWholeFile(path, limit: SizeLimits.maxModelFileBytes, kind: "an .npz archive"), path: path)
    }

    /// The arrays in directory order, named without ".npy".
    public static func decode(_ bytes: [UInt8], path: String) throws -> [(name: String, array: NPYArray)] {
        func fail(_ m: String) -> FormatError { FormatError(path, m) }
        if bytes.isEmpty { throw fail("empty file, not an .npz archive") }
        if bytes.count < 22 || !(bytes[0] == 0x50 && bytes[1] == 0x4B) { throw fail("not an .npz archive (no zip signature)") }
        // End of central directory: 22 bytes plus a comment of up to 65,535, at the end of the file.
        var eocd = -1
        var k = bytes.count - 22
        while k >= max(0, bytes.count - 22 - 65_535) {
            if bytes[k] == 0x50 && bytes[k + 1] == 0x4B && bytes[k + 2] == 5 && bytes[k + 3] == 6 { eocd = k; break }
            k -= 1
        }
        if eocd < 0 { throw fail("not an .npz archive (truncated: no zip end-of-directory record)") }
        var e = ByteReader(bytes, offset: eocd + 4)
        let disk: UInt16 = e.le()!, cdDisk: UInt16 = e.le()!, onDisk: UInt16 = e.le()!, total: UInt16 = e.le()!
        let cdSize: UInt32 = e.le()!, cdOffset: UInt32 = e.le()!
        if disk != 0 || cdDisk != 0 || onDisk != total { throw fail("a multi-part zip archive") }
        if total == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            throw fail("a ZIP64 archive (over 65,535 members or 4 GB), larger than nn-model reads")
        }
        if Int(total) > maxMembers { throw fail("\(total) members, more than \(maxMembers)") }
        guard Int(cdOffset) + Int(cdSize) <= eocd else { throw fail("corrupt zip directory (it runs past the end record)") }

        var out: [(name: String, array: NPYArray)] = []
        var names = Set<String>()
        var c = ByteReader(Array(bytes[Int(cdOffset)..<(Int(cdOffset) + Int(cdSize))]))
        for _ in 0..<total {
            guard let sig: UInt32 = c.le(), sig == 0x0201_4B50 else { throw fail("corrupt zip directory entry") }
            guard c.bytes(4) != nil, let flags: UInt16 = c.le(), let method: UInt16 = c.le(), c.bytes(4) != nil,
                  let crc: UInt32 = c.le(), var compressed32: UInt32 = c.le(), var size32: UInt32 = c.le(),
                  let nameLength: UInt16 = c.le(), let extraLength: UInt16 = c.le(), let commentLength: UInt16 = c.le(),
                  c.bytes(8) != nil, var offset32: UInt32 = c.le(),
                  let nameBytes = c.bytes(Int(nameLength)), let extra = c.bytes(Int(extraLength)), c.bytes(Int(commentLength)) != nil
            else { throw fail("truncated zip directory") }
            var size = UInt64(size32), compressed = UInt64(compressed32), offset = UInt64(offset32)
            // ZIP64 extra field (id 1): the 64-bit values of the fields that hold 0xFFFFFFFF, in order.
            var x = ByteReader(extra)
            while x.remaining >= 4 {
                let id: UInt16 = x.le()!, n: UInt16 = x.le()!
                guard let body = x.bytes(Int(n)) else { break }
                guard id == 1 else { continue }
                var z = ByteReader(body)
                if size32 == 0xFFFF_FFFF { guard let v: UInt64 = z.le() else { throw fail("corrupt ZIP64 field") }; size = v; size32 = 0 }
                if compressed32 == 0xFFFF_FFFF { guard let v: UInt64 = z.le() else { throw fail("corrupt ZIP64 field") }; compressed = v; compressed32 = 0 }
                if offset32 == 0xFFFF_FFFF { guard let v: UInt64 = z.le() else { throw fail("corrupt ZIP64 field") }; offset = v; offset32 = 0 }
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            let context = "member '\(name)': "
            func memberFail(_ m: String) -> FormatError { FormatError(path, context + m) }
            guard name.hasSuffix(".npy") else { throw memberFail("not an .npy array") }
            let key = String(name.dropLast(4))
            if !names.insert(key).inserted { throw memberFail("appears twice") }
            if flags & 1 != 0 { throw memberFail("encrypted") }
            if method != 0 && method != 8 { throw memberFail("compression method \(method); nn-model reads stored (0) and deflated (8) members") }
            if size > UInt64(maxMemberBytes) { throw memberFail("declares \(size) bytes, more than the \(maxMemberBytes) nn-model accepts") }
            if method == 8 && size > 1024 && (size - 1024) / 1032 > compressed {
                throw memberFail("declares \(size) bytes from \(compressed) compressed bytes, more than deflate can produce")
            }
            if method == 0 && size != compressed { throw memberFail("stored with \(compressed) bytes but declares \(size)") }
            // The local header: its own name and extra lengths say where the data starts.
            guard offset <= UInt64(bytes.count) else { throw memberFail("its local header lies past the end of the file") }
            var l = ByteReader(bytes, offset: Int(offset))
            guard let lsig: UInt32 = l.le(), lsig == 0x0403_4B50, l.bytes(22) != nil,
                  let ln: UInt16 = l.le(), let lx: UInt16 = l.le(), let lname = l.bytes(Int(ln)), l.bytes(Int(lx)) != nil
            else { throw memberFail("corrupt or truncated local header") }
            if lname != nameBytes { throw memberFail("the local header names '\(String(decoding: lname, as: UTF8.self))'") }
            guard compressed <= UInt64(l.remaining) else {
                throw memberFail("truncated: \(compressed) compressed bytes declared, \(l.remaining) remain in the file")
            }
            let data = Array(bytes[l.offset..<(l.offset + Int(compressed))])
            let array = try member(data, deflated: method == 8, size: Int(size), crc: crc, path: path, context: context)
            out.append((key, array))
        }
        return out
    }

    /// One member: its .npy header first, checked against the declared size, then its data.
    static func member(_ data: [UInt8], deflated: Bool, size: Int, crc: UInt32, path: String, context: String) throws -> NPYArray {
        if size < 10 { throw FormatError(path, "\(context)\(size) bytes, too short for an .npy array") }
        let whole: [UInt8]
        if deflated {
            let inflater = try Inflater(data, path: path, format: .raw, context: context)
            var head = try inflater.read(10)
            if head[6] >= 2 && head[6] <= 3 { head += try inflater.read(2) }
            let prefix = try NPYFile.prefixSize(head, path: path, context: context)
            guard prefix <= size else { throw FormatError(path, "\(context)its .npy header is longer than the member") }
            head += try inflater.read(prefix - head.count)
            let h = try NPYFile.header(head, path: path, context: context)
            try checkSize(h, size, path: path, context: context)
            whole = head + (try inflater.read(size - prefix))
            try inflater.expectEnd(size: size)
        } else {
            let prefix = try NPYFile.prefixSize(Array(data.prefix(12)), path: path, context: context)
            guard prefix <= size else { throw FormatError(path, "\(context)its .npy header is longer than the member") }
            try checkSize(try NPYFile.header(Array(data.prefix(prefix)), path: path, context: context), size, path: path, context: context)
            whole = data
        }
        let computed = UInt32(whole.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) })
        if computed != crc { throw FormatError(path, "\(context)CRC mismatch (the archive is corrupt)") }
        return try NPYFile.decode(whole, path: path, context: context)
    }

    static func checkSize(_ h: NPYHeader, _ size: Int, path: String, context: String) throws {
        if h.headerSize + h.dataSize != size {
            throw FormatError(path, "\(context)the .npy header's shape \(NPYFile.shapeText(h.shape)) of \(h.itemSize == 4 ? "<f4" : "<f8") needs \(h.headerSize + h.dataSize) bytes, the zip directory declares \(size)")
        }
    }
}
