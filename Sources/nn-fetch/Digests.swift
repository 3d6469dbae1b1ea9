// File digests: SHA-256 of the bytes on disk, and SHA-256 of the gzip-decompressed content
// (zlib's gzread, which also reads non-gzip input through unchanged - so we check the magic first).
import CZlib
import Foundation
import NNDigest

/// Why a digest could not be computed.
struct DigestError: Error, CustomStringConvertible {
    let description: String
}

enum Digests {
    static let chunk = 1 << 20

    /// SHA-256 of the file's bytes.
    static func sha256(file path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DigestError(description: "cannot open \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let data = handle.readData(ofLength: chunk)
            if data.isEmpty { break }
            hasher.update(data)
        }
        return hasher.finalize()
    }

    /// SHA-256 of the decompressed content of a gzip file, and its decompressed size.
    static func gunzipSHA256(file path: String) throws -> (digest: String, bytes: Int) {
        guard let magic = FileHandle(forReadingAtPath: path) else { throw DigestError(description: "cannot open \(path)") }
        let head = magic.readData(ofLength: 2)
        try? magic.close()
        guard head == Data([0x1f, 0x8b]) else { throw DigestError(description: "not a gzip file") }
        guard let gz = gzopen(path, "rb") else { throw DigestError(description: "cannot open \(path)") }
        defer { gzclose(gz) }
        gzbuffer(gz, UInt32(chunk))
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: chunk)
        var total = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { gzread(gz, $0.baseAddress, UInt32(chunk)) }
            if n < 0 {
                var code: Int32 = 0
                let message = gzerror(gz, &code).map { String(cString: $0) } ?? "error"
                throw DigestError(description: "gunzip failed: \(message)")
            }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<Int(n)])) }
            total += Int(n)
        }
        return (hasher.finalize(), total)
    }
}

extension SHA256 {
    mutating func update(_ data: Data) { data.withUnsafeBytes { update($0) } }
}
