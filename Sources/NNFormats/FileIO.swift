// FileIO.swift: whole-file reads with a byte ceiling, and atomic writes. "-" is standard input / output.
//
// The write rules (README, "Robustness"):
// - A regular file (or a path that does not exist yet) is replaced atomically: the bytes go to a temporary
//   file in the same directory, fsync, rename. Several files are written all or none.
// - A symlink is followed: its target is replaced (atomically) and the link stays a link.
// - An existing file that is not regular (a device such as /dev/null, a FIFO) is written in place, never
//   renamed over: replacing /dev/null with a regular file would break the system for everyone.
// - Temporary files are named `.NAME.PID-XXXXXX.tmp`. One left behind by a process killed mid-write (SIGKILL
//   cannot be caught) is removed by the next write of the same NAME in that directory once its PID is
//   gone or it is more than an hour old.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNCore

/// Reads a whole file, or standard input for "-", refusing more than `limit` bytes (a size checked from
/// fstat before reading a regular file; devices and pipes such as /dev/zero are refused as soon as they
/// pass it). `kind` names what the file should be in that message ("a model file"). `checkStart`, when
/// given, sees the first bytes (up to 64, fewer only at the end of the input) before the rest is read:
/// a reader's magic-number check there refuses /dev/zero or /dev/urandom after one read.
public func readWholeFile(_ path: String, limit: Int, kind: String = "a file",
                          checkStart: (([UInt8]) throws -> Void)? = nil) throws -> [UInt8] {
    let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw FormatError(path, String(cString: strerror(errno))) }
    defer { if path != "-" { close(fd) } }
    var st = stat()
    if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { throw FormatError(path, "is a directory") }
    func tooLarge(_ what: String) -> FormatError {
        FormatError(path, "\(what), over the limit of \(byteCount(limit)) for \(kind)")
    }
    if (st.st_mode & S_IFMT) == S_IFREG && st.st_size > 0 {
        if st.st_size > limit { throw tooLarge("is \(byteCount(Int(st.st_size)))") }
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
        if let checkStart { try checkStart(Array(whole.prefix(64))) }
        if whole.count < size { return whole }
        try appendRest(of: fd, path: path, to: &whole, limit: limit, tooLarge: tooLarge)
        return whole
    }
    var out = [UInt8]()
    try appendRest(of: fd, path: path, to: &out, limit: limit, tooLarge: tooLarge, checkStart: checkStart)
    return out
}

/// Reads `fd` to its end, appending to `out` (pipes, devices, and files that grew after fstat), never
/// holding more than `limit` bytes.
private func appendRest(of fd: Int32, path: String, to out: inout [UInt8], limit: Int, tooLarge: (String) -> FormatError,
                        checkStart: (([UInt8]) throws -> Void)? = nil) throws {
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    var pendingCheck = checkStart
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FormatError(path, String(cString: strerror(errno)))
        }
        if n > 0 {
            if out.count > limit - n { throw tooLarge("holds more than \(byteCount(limit))") }
            out.append(contentsOf: chunk[0..<n])
        }
        if let check = pendingCheck, out.count >= 64 || n == 0 {
            pendingCheck = nil
            try check(Array(out.prefix(64)))
        }
        if n == 0 { break }
    }
}

/// "2 GiB", "1.5 MiB", "812 bytes".
public func byteCount(_ n: Int) -> String {
    let units = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
    for (size, name) in units where n >= size {
        let whole = n / size, tenths = (n % size) * 10 / size
        return tenths == 0 ? "\(whole) \(name)" : "\(whole).\(tenths) \(name)"
    }
    return "\(n) bytes"
}

/// Writes `bytes` so that `path` holds either its old content or all of the new one, never a part.
/// "-" writes to standard output; see the rules at the top of this file.
public func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    try writeFilesAtomically([(path, bytes)])
}

/// Writes several files so that either all of them are replaced or none is: each regular file goes to a
/// temporary file in its directory first, then standard output and devices are written, and only when
/// every one succeeded are the temporary files renamed into place.
public func writeFilesAtomically(_ files: [(path: String, bytes: [UInt8])]) throws {
    let targets = try files.map { (try OutputTarget(resolving: $0.path), $0.bytes) }
    var staged: [(tmp: String, path: String)] = []
    do {
        for case let (.replace(path), bytes) in targets { staged.append((try stage(bytes, for: path), path)) }
        for (target, bytes) in targets {
            switch target {
            case .standardOutput: try writeAll(1, bytes, path: "<stdout>")
            case .inPlace(let path): try writeInPlace(bytes, to: path)
            case .replace: break
            }
        }
        for (tmp, path) in staged where rename(tmp, path) != 0 {
            throw FormatError(path, "cannot rename into place: \(String(cString: strerror(errno)))")
        }
    } catch {
        for (tmp, _) in staged { unlink(tmp) }
        throw error
    }
}

/// Where an output path's bytes go.
public enum OutputTarget: Equatable {
    /// "-"
    case standardOutput
    /// A regular file, or a path that does not exist yet: replaced atomically (symlinks already followed).
    case replace(String)
    /// An existing device or FIFO: opened and written where it is.
    case inPlace(String)

    /// Follows symlinks at the end of `path` and looks at what is there.
    public init(resolving path: String) throws {
        if path == "-" { self = .standardOutput; return }
        if path.isEmpty { throw FormatError(path, "empty path") }
        var st = stat()
        // a dangling symlink names the file to create
        guard stat(path, &st) == 0 else { self = .replace(try resolveSymlinks(path)); return }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            // the file a chain of symlinks ends at, replaced in its own directory
            guard let real = realpath(path, nil) else { throw FormatError(path, String(cString: strerror(errno))) }
            defer { free(real) }
            self = .replace(String(cString: real))
        case S_IFDIR: throw FormatError(path, "is a directory")
        case S_IFSOCK: throw FormatError(path, "is a socket, not a file")
        // opened through the path as given: /dev/stdout is a link to /proc/self/fd/1, whose own target
        // ("pipe:[1234]") is no path
        default: self = .inPlace(path)
        }
    }
}

/// `path` with symlinks in its last component followed (for a dangling link: the path it points to).
private func resolveSymlinks(_ path: String) throws -> String {
    var p = path
    for _ in 0..<40 {
        var st = stat()
        guard lstat(p, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return p }
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(p, &buffer, buffer.count - 1)
        if n < 0 { throw FormatError(path, "cannot read the symlink: \(String(cString: strerror(errno)))") }
        let link = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        p = link.hasPrefix("/") ? link : directoryOf(p) + "/" + link
    }
    throw FormatError(path, String(cString: strerror(ELOOP)))
}

/// "/a/b/c" -> "/a/b"; "c" -> "."; "/c" -> "/".
func directoryOf(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let d = String(path[..<slash])
    return d.isEmpty ? "/" : d
}

private func writeInPlace(_ bytes: [UInt8], to path: String) throws {
    // O_NONBLOCK: opening a FIFO that no process reads fails at once (ENXIO) instead of waiting forever;
    // the writes themselves block as usual
    let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
    if fd < 0 {
        throw FormatError(path, errno == ENXIO ? "no process reads this FIFO" : String(cString: strerror(errno)))
    }
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    do { try writeAll(fd, bytes, path: path) } catch {
        close(fd)
        throw error
    }
    close(fd)
}

/// Writes `bytes` to a new temporary file next to `path` (fsync'd) and returns its name.
private func stage(_ bytes: [UInt8], for path: String) throws -> String {
    let dir = directoryOf(path)
    let base = path.split(separator: "/").last.map(String.init) ?? path
    StaleTemporaries.remove(base: base, in: dir)
    var template = Array("\(dir)/.\(base).\(getpid())-XXXXXX.tmp".utf8CString)
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

/// Temporary files of earlier writes that were killed before they could clean up. Each directory is
/// listed once per process (nn-predict may save thousands of files into one); the names found are kept
/// by target, and a target's are checked and removed when that target is next written.
enum StaleTemporaries {
    private static let found = Locked([String: [String: [String]]]())

    /// The target a temporary file name belongs to, and the PID that made it (nil for the names of
    /// builds before the PID was added: `.NAME.XXXXXX.tmp`).
    static func parse(_ name: String) -> (base: String, pid: Int32?)? {
        guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return nil }
        let inner = name.dropFirst().dropLast(4)  // NAME.PID-XXXXXX or NAME.XXXXXX
        guard let dot = inner.lastIndex(of: ".") else { return nil }
        let base = String(inner[..<dot]), tail = inner[inner.index(after: dot)...]
        let random: Substring
        var pid: Int32? = nil
        if let dash = tail.firstIndex(of: "-") {
            guard let p = Int32(tail[..<dash]), p > 0 else { return nil }
            pid = p
            random = tail[tail.index(after: dash)...]
        } else {
            random = tail
        }
        guard !base.isEmpty, random.count == 6, random.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        return (base, pid)
    }

    static func remove(base: String, in dir: String) {
        let names = found.withLock { cache -> [String] in
            if cache[dir] == nil { cache[dir] = list(dir) }
            return cache[dir]?.removeValue(forKey: base) ?? []
        }
        for name in names {
            let path = dir + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            let oldEnough = time(nil) - st.st_mtim.tv_sec > 3600
            let ownerGone = parse(name)?.pid.map { kill($0, 0) != 0 && errno == ESRCH } ?? false
            if oldEnough || ownerGone { unlink(path) }
        }
    }

    /// The temporary-file names in `dir`, by target.
    private static func list(_ dir: String) -> [String: [String]] {
        guard let d = opendir(dir) else { return [:] }
        defer { closedir(d) }
        var out: [String: [String]] = [:]
        while let entry = readdir(d) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if let (base, _) = parse(name) { out[base, default: []].append(name) }
        }
        return out
    }
}

/// Checks before a long job that `path` can be written: a device in place, or a file replaced in a
/// directory that exists and is writable.
public func checkWritable(_ path: String) throws {
    switch try OutputTarget(resolving: path) {
    case .standardOutput: return
    case .inPlace(let target):
        if access(target, W_OK) != 0 { throw FormatError(path, String(cString: strerror(errno))) }
    case .replace(let target):
        // the temporary file's name adds ".", ".PID-XXXXXX.tmp" (at most 20 bytes) to the file's
        let base = target.split(separator: "/").last.map(String.init) ?? target
        if base.utf8.count + 20 > Int(NAME_MAX) {
            throw FormatError(path, "file name too long (\(base.utf8.count) bytes; at most \(Int(NAME_MAX) - 20) here)")
        }
        let dir = directoryOf(target)
        var st = stat()
        if stat(dir, &st) != 0 { throw FormatError(path, String(cString: strerror(errno))) }
        if (st.st_mode & S_IFMT) != S_IFDIR { throw FormatError(path, String(cString: strerror(ENOTDIR))) }
        if access(dir, W_OK) != 0 { throw FormatError(path, String(cString: strerror(errno))) }
    }
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
