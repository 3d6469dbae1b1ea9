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
    if (st.st_mode & S_IFMT) == S_IFREG && st.st_size > 0 {
        // A regular file is read straight into an array of its size (one copy, no chunk buffer); the
        // loop below still handles a file that changes size while it is read.
        let size = Int(st.st_size)
        var failure: Int32 = 0
        var whole = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            while count < size {
                let n = read(fd, buffer.baseAddress! + count, size - count)
                if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                if n == 0 { break }
                count += n
            }
        }
        if failure != 0 { throw FormatError(path, String(cString: strerror(failure))) }
        if whole.count < size { return whole }
        try appendRest(of: fd, path: path, to: &whole)
        return whole
    }
    var out = [UInt8]()
    try appendRest(of: fd, path: path, to: &out)
    return out
}

/// Reads `fd` to its end, appending to `out` (pipes, and files that grew after fstat).
private func appendRest(of fd: Int32, path: String, to out: inout [UInt8]) throws {
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FormatError(path, String(cString: strerror(errno)))
        }
        if n == 0 { break }
        out.append(contentsOf: chunk[0..<n])
    }
}

/// Writes `bytes` so that `path` holds either its old content or all of the new one, never a part:
/// a temporary file in the same directory, fsync, then rename. "-" writes to standard output.
public func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    try writeFilesAtomically([(path, bytes)])
}

/// Writes several files so that either all of them are replaced or none is: each goes to a temporary
/// file in its directory first, and only when every one is written (and "-", standard output, too) are
/// they renamed into place.
public func writeFilesAtomically(_ files: [(path: String, bytes: [UInt8])]) throws {
    var staged: [(tmp: String, path: String)] = []
    do {
        for (path, bytes) in files where path != "-" { staged.append((try stage(bytes, for: path), path)) }
        for (path, bytes) in files where path == "-" { try writeAll(1, bytes, path: "<stdout>") }
        for (tmp, path) in staged where rename(tmp, path) != 0 {
            throw FormatError(path, "cannot rename into place: \(String(cString: strerror(errno)))")
        }
    } catch {
        for (tmp, _) in staged { unlink(tmp) }
        throw error
    }
}

/// Writes `bytes` to a new temporary file next to `path` (fsync'd) and returns its name.
private func stage(_ bytes: [UInt8], for path: String) throws -> String {
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
    } catch {
        close(fd)
        unlink(tmp)
        throw error
    }
    if close(fd) != 0 {
        unlink(tmp)
        throw FormatError(path, "close failed: \(String(cString: strerror(errno)))")
    }
    return tmp
}

/// Checks before a long job that `path` can be written: its directory exists and is writable.
public func checkWritable(_ path: String) throws {
    if path == "-" { return }
    let dir: String = {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }()
    var st = stat()
    if stat(dir, &st) != 0 { throw FormatError(path, String(cString: strerror(errno))) }
    if (st.st_mode & S_IFMT) != S_IFDIR { throw FormatError(path, String(cString: strerror(ENOTDIR))) }
    if access(dir, W_OK) != 0 { throw FormatError(path, String(cString: strerror(errno))) }
    if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { throw FormatError(path, "is a directory") }
}

/// Writes all of `bytes` to a file descriptor; false on failure (errno set).
public func writeAllOrFail(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n < 0 {
            if errno == EINTR { continue }
            return false
        }
        offset += n
    }
    return true
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
