// Inflater.swift: zlib inflate over an in-memory stream, producing exactly the bytes asked for, straight
// into the caller's buffer. Gzip (or zlib) streams for IDX files, raw deflate for zip members (.npz).
import CZlib

package final class Inflater {
    package enum Format {
        /// gzip or zlib headers, detected; several gzip members back to back are one stream.
        case gzip
        /// raw deflate (zip archives): windowBits -15, one stream, nothing after it.
        case raw
    }
    // zlib keeps a pointer back to its z_stream, so it lives at a fixed heap address.
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let input: [UInt8]
    private let path: String
    private let format: Format
    /// Put before every message (a zip member's name).
    private let context: String
    private var ended = false
    private var produced = 0

    package init(_ input: [UInt8], path: String, format: Format = .gzip, context: String = "") throws {
        self.input = input
        self.path = path
        self.format = format
        self.context = context
        stream.initialize(to: z_stream())
        // 15 + 32: auto-detect gzip or zlib headers; -15: raw deflate.
        let rc = inflateInit2_(stream, format == .gzip ? 15 + 32 : -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        if rc != Z_OK {
            stream.deallocate()
            throw FormatError(path, "zlib init failed (\(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// The next `n` decompressed bytes, or an error if the stream ends or is corrupt.
    package func read(_ n: Int) throws -> [UInt8] {
        if n == 0 { return [] }
        var filled = 0
        let out = try [UInt8](unsafeUninitializedCapacity: n) { buf, count in
            try fill(UnsafeMutableRawBufferPointer(buf), &filled)
            count = filled
        }
        return out
    }

    private func fill(_ buf: UnsafeMutableRawBufferPointer, _ filled: inout Int) throws {
        let n = buf.count
        try input.withUnsafeBufferPointer { inp in
            while filled < n {
                if ended {
                    if format == .raw { break }
                    // A gzip file may hold several members back to back.
                    let consumed = Int(stream.pointee.total_in)
                    if consumed >= inp.count { break }
                    _ = inflateReset(stream)
                    stream.pointee.total_in = uLong(consumed)
                    ended = false
                }
                let consumedBefore = Int(stream.pointee.total_in)
                stream.pointee.next_in = UnsafeMutablePointer(mutating: inp.baseAddress! + consumedBefore)
                stream.pointee.avail_in = uInt(min(inp.count - consumedBefore, Int(UInt32.max)))
                stream.pointee.next_out = buf.baseAddress!.assumingMemoryBound(to: UInt8.self) + filled
                stream.pointee.avail_out = uInt(min(n - filled, Int(uInt.max)))
                let before = Int(stream.pointee.avail_out)
                let rc = inflate(stream, Z_NO_FLUSH)
                let got = before - Int(stream.pointee.avail_out)
                filled += got
                produced += got
                if rc == Z_STREAM_END { ended = true; continue }
                if rc == Z_BUF_ERROR && stream.pointee.avail_in == 0 { break }
                if rc != Z_OK {
                    let msg = stream.pointee.msg.map { String(cString: $0) } ?? "error \(rc)"
                    throw FormatError(path, "\(context)corrupt \(format == .gzip ? "gzip" : "deflate") data: \(msg)")
                }
            }
        }
        if filled < n {
            throw FormatError(path, format == .gzip
                ? "truncated: the gzip stream ends after \(produced) decompressed bytes, the IDX header says more"
                : "\(context)truncated: the deflate data ends after \(produced) of \(produced + n - filled) bytes")
        }
    }

    /// After the data, the stream must end (no extra bytes).
    package func expectEnd(size: Int) throws {
        if format == .raw { return try expectRawEnd(size: size) }
        var probe = [UInt8](repeating: 0, count: 1)
        var filled = 0
        do {
            try probe.withUnsafeMutableBytes { try fill($0, &filled) }
        } catch let e as FormatError where e.message.hasPrefix("truncated") {
            if !ended && Int(stream.pointee.total_in) >= input.count {
                throw FormatError(path, "truncated gzip stream (no end marker)")
            }
            return
        }
        throw FormatError(path, "file has more data than its dimensions say (\(size) data bytes expected)")
    }

    /// A raw deflate stream must end exactly at the declared size: inflating stops there, and one more
    /// byte, or a missing end marker, is an error.
    private func expectRawEnd(size: Int) throws {
        if ended { return }
        var probe = [UInt8](repeating: 0, count: 1)
        let rc = input.withUnsafeBufferPointer { inp -> Int32 in
            let consumed = Int(stream.pointee.total_in)
            stream.pointee.next_in = UnsafeMutablePointer(mutating: inp.baseAddress! + consumed)
            stream.pointee.avail_in = uInt(min(inp.count - consumed, Int(UInt32.max)))
            return probe.withUnsafeMutableBufferPointer { p in
                stream.pointee.next_out = p.baseAddress!
                stream.pointee.avail_out = 1
                return inflate(stream, Z_NO_FLUSH)
            }
        }
        if rc == Z_STREAM_END && stream.pointee.avail_out == 1 { return }
        if stream.pointee.avail_out == 0 {
            throw FormatError(path, "\(context)inflates to more than its declared \(size) bytes")
        }
        if rc != Z_OK && rc != Z_BUF_ERROR {
            let msg = stream.pointee.msg.map { String(cString: $0) } ?? "error \(rc)"
            throw FormatError(path, "\(context)corrupt deflate data: \(msg)")
        }
        throw FormatError(path, "\(context)truncated: the deflate data has no end marker")
    }
}
