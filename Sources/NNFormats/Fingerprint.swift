// Fingerprint.swift: what identifies a data file to a checkpoint, cheaply and without false matches by
// chance: its size in bytes as stored (gzipped or not) and the SHA-256 of its first MiB.
//
// Taken from the bytes the reader loaded, so standard input is fingerprinted like a file. Two files of
// the same size whose first MiB agree byte for byte are taken as the same: a data set edited only past
// its first MiB (a large raw IDX file) goes unnoticed, the price of not hashing gigabytes at each start.
import NNDigest

public struct FileFingerprint: Equatable, Sendable {
    /// How many leading bytes are hashed.
    public static let hashedBytes = 1 << 20

    public var size: Int
    /// SHA-256 of the first min(size, hashedBytes) bytes: 32 bytes.
    public var sha256: [UInt8]

    public init(size: Int, sha256: [UInt8]) {
        self.size = size
        self.sha256 = sha256
    }

    /// The fingerprint of a whole file's bytes.
    public init(of bytes: [UInt8]) {
        var hasher = SHA256()
        bytes.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0.prefix(FileFingerprint.hashedBytes))) }
        self.init(size: bytes.count, sha256: hasher.finalizeBytes())
    }

    /// "7,840,016 bytes, first MiB SHA-256 3f2a5b0c..." (the digest's first 8 bytes).
    public var text: String {
        var grouped = ""
        for (i, c) in String(size).reversed().enumerated() {
            if i > 0 && i % 3 == 0 { grouped.append(",") }
            grouped.append(c)
        }
        let hex = sha256.prefix(8).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        return "\(String(grouped.reversed())) bytes, first MiB SHA-256 \(hex)..."
    }
}
