// FileIO.swift: whole-file reads and atomic writes. "-" is standard input / standard output.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file, or standard input for "-".
public func readWholeFile(_ path: String) throws -> [UInt8] {
    let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw FormatError(path, String(cString: strerror(errno))) }
    defer { if path != "-" { close(fd) } }
    var st = stat()
    if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { throw FormatError(path, "is a directory") }
    var out = [UInt8]()
    if (st.st_mode & S_IFMT) == S_IFREG && st.st_size > 0 { out.reserveCapacity(Int(st.st_size)) }
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FormatError(path, String(cString: strerror(errno)))
        }
        if n == 0 { break }
        out.append(contentsOf: chunk[0..<n])
    }
    return out
}

/// Writes `bytes` so that `path` holds either its old content or all of the new one, never a part:
/// a temporary file in the same directory, fsync, then rename. "-" writes to standard output.
public func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    if path == "-" {
        try writeAll(1, bytes, path: path)
        return
    }
    let dir: String = {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }()
    let base = path.split(separator: "/").last.map(String.init) ?? path
    var template = Array("\(dir)/.\(base).XXXXXX.tmp".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 4) }
    if fd < 0 { throw FormatError(path, "cannot create a temporary file in \(dir): \(String(cString: strerror(errno)))") }
    let tmp = String(cString: template)
    do {
        try writeAll(fd, bytes, path: path)
        if fsync(fd) != 0 { throw FormatError(path, "fsync failed: \(String(cString: strerror(errno)))") }
        fchmod(fd, 0o644)
        if close(fd) != 0 { throw FormatError(path, "close failed: \(String(cString: strerror(errno)))") }
        if rename(tmp, path) != 0 { throw FormatError(path, "cannot rename into place: \(String(cString: strerror(errno)))") }
    } catch {
        close(fd)
        unlink(tmp)
        throw error
    }
}

private func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FormatError(path, "write failed: \(String(cString: strerror(errno)))")
        }
        offset += n
    }
}
