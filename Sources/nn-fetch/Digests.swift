// File digests: SHA-256 of the bytes on disk, and SHA-256 of the gzip-decompressed content. The gzip
// stream is verified whole, as NNFormats' Inflater verifies IDX files: every member complete (deflate
// end marker, CRC-32 and ISIZE checked by zlib), members back to back are one stream (gzip allows that),
// and anything after the last member that is not a further complete member (garbage, zero padding, a
// cut-off member) is refused. A digest of part of a file is never printed.
import CZlib
import NNDigest

enum Digests {
    /// SHA-256 of the file's bytes.
    static func sha256(file path: String) throws -> String {
        var hasher = SHA256()
        try readChunks(path, limit: Ceiling.dataFile, kind: "a data set file") { hasher.update($0) }
        return hasher.finalize()
    }

    /// SHA-256 of the decompressed content of a gzip file, and its decompressed size.
    static func gunzipSHA256(file path: String) throws -> (digest: String, bytes: Int) {
        var hasher = SHA256()
        let stream = try GzipStream(path: path)
        try readChunks(path, limit: Ceiling.dataFile, kind: "a data set file") { chunk in
            try stream.feed(chunk) { hasher.update($0) }
        }
        try stream.finish()
        return (hasher.finalize(), stream.produced)
    }
}

/// zlib's inflate over a gzip file fed chunk by chunk, handing on the decompressed bytes.
final class GzipStream {
    // zlib keeps a pointer back to its z_stream, so it lives at a fixed heap address.
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let output = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
    private let path: String
    /// Compressed bytes fed so far, and where the current member began.
    private var consumed = 0, memberStart = 0
    /// Inside a member (its end not seen yet); false before the first byte and after each member's end.
    private var inMember = false
    private(set) var produced = 0

    init(path: String) throws {
        self.path = path
        stream.initialize(to: z_stream())
        // 15 + 16: gzip headers only (a zlib stream is no gzip file); CRC-32 and ISIZE checked at each end.
        let rc = inflateInit2_(stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        if rc != Z_OK {
            stream.deallocate()
            output.deallocate()
            throw FileError(path, "zlib init failed (\(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    /// Inflates `chunk`, the next compressed bytes, handing each piece of decompressed data to `body`.
    func feed(_ chunk: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var offset = 0
        while offset < chunk.count {
            if !inMember {
                // Each member's magic is checked here, so that the message says it in those words (the second
                // byte, in the next chunk of a pipe, is left to zlib).
                let first = chunk[offset], second = chunk.count - offset > 1 ? chunk[offset + 1] : 0x8b
                if first != 0x1f || second != 0x8b {
                    throw FileError(path, consumed == 0 ? "not a gzip file"
                        : "the \(consumed) bytes of gzip data are followed by bytes that are not a gzip member (no gzip magic number)")
                }
                if consumed > 0 { _ = inflateReset(stream) }
                inMember = true
                memberStart = consumed
            }
            stream.pointee.next_in = UnsafeMutablePointer(mutating: chunk.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset)
            stream.pointee.avail_in = uInt(chunk.count - offset)
            var rc: Int32
            repeat {
                stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_out = uInt(output.count)
                rc = inflate(stream, Z_NO_FLUSH)
                let got = output.count - Int(stream.pointee.avail_out)
                if got > 0 {
                    if produced > Ceiling.decompressed - got {
                        throw FileError(path, "decompresses to more than \(sizeInWords(Ceiling.decompressed)), the limit for a data set file")
                    }
                    produced += got
                    try body(UnsafeRawBufferPointer(rebasing: output[0..<got]))
                }
            } while rc == Z_OK && stream.pointee.avail_out == 0
            let used = chunk.count - offset - Int(stream.pointee.avail_in)
            offset += used
            consumed += used
            switch rc {
            case Z_STREAM_END:
                inMember = false
            case Z_OK:
                break   // all of the chunk inflated; wants more input
            case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                break   // the same, when the chunk ended exactly where the last call stopped
            default:
                let msg = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                if memberStart > 0 {
                    throw FileError(path, "the \(memberStart) bytes of gzip data are followed by a gzip member that is not valid (\(msg))")
                }
                throw FileError(path, "corrupt gzip data: \(msg)")
            }
        }
    }

    /// At the end of the file: the last member must be complete.
    func finish() throws {
        if consumed == 0 { throw FileError(path, "empty file, not a gzip file") }
        if inMember {
            let what = memberStart > 0 ? "the gzip member starting at byte \(memberStart) is cut off" : "truncated gzip file"
            throw FileError(path, "\(what): the file ends at byte \(consumed), before the end of the compressed data and its CRC-32 and size")
        }
    }
}
