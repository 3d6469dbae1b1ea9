// Every file nn-fetch reads (a file to digest, a local mirror's file to copy, a manifest) is read here,
// in chunks, by `readChunks`: what is not a regular file is refused before the first read (a directory,
// /dev/zero, a FIFO), a regular file over its ceiling is refused from its size, and the count of bytes
// read is checked against the ceiling as they come (a file that grows). `-` is standard input, a pipe:
// it is read until the ceiling and refused there.
#if canImport(Glibc)
import Glibc
#endif

/// Byte ceilings, one per use (README, "Robustness": whole-file reads take a byte ceiling per use).
enum Ceiling {
    /// A data set file, read to digest or copy, and what curl may download. The largest file nn-fetch
    /// serves is Fashion-MNIST's train-images gz, 26,421,880 bytes (MNIST's is 9,912,422): 256 MiB is ten
    /// times that, room for a recompressed or differently packed copy, and bounds the time spent on a
    /// hostile file.
    static let dataFile = 256 << 20
    /// The decompressed content of a gz file (gunzip-sha256, verification of a recompressed copy). The
    /// largest is Fashion-MNIST's train-images, 47,040,016 bytes: 512 MiB is ten times that, and stops a
    /// decompression bomb long before it costs minutes of hashing.
    static let decompressed = 512 << 20
    /// A manifest is a table of a few dozen short lines.
    static let manifest = 1 << 20
}

/// A file that cannot be read, or is not what it should be: "PATH: what is wrong".
struct FileError: Error, CustomStringConvertible {
    let path: String
    let message: String
    init(_ path: String, _ message: String) { self.path = path; self.message = message }
    var description: String { "\(path == "-" ? "<stdin>" : path): \(message)" }
}

/// Bytes per read(2).
let chunkSize = 1 << 20

/// Reads the file at `path` (standard input for "-") in chunks of at most `chunkSize` bytes, handing each
/// to `body`, refusing anything but a regular file or standard input, and more than `limit` bytes. `kind`
/// names the file in the over-the-limit message ("a data set file"). Every error names `path`.
func readChunks(_ path: String, limit: Int, kind: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
    let fd = try openRegularFile(path, limit: limit, kind: kind)
    defer { if path != "-" { close(fd) } }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
    defer { buffer.deallocate() }
    var total = 0
    while true {
        let n = read(fd, buffer.baseAddress, chunkSize)
        if n < 0 {
            if errno == EINTR { continue }
            throw FileError(path, "\(String(cString: strerror(errno)))")
        }
        if n == 0 { return }
        if total > limit - n {
            throw FileError(path, "holds more than \(sizeInWords(limit)), the limit for \(kind)")
        }
        total += n
        try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }
}

/// Opens `path` for reading after checking what it is: a regular file of at most `limit` bytes. Opened
/// non-blocking first, so a FIFO without a writer is refused instead of waiting in open(2).
private func openRegularFile(_ path: String, limit: Int, kind: String) throws -> Int32 {
    if path == "-" { return 0 }
    if path.isEmpty { throw FileError(path, "empty path") }
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    if fd < 0 { throw FileError(path, "\(String(cString: strerror(errno)))") }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
        let why = String(cString: strerror(errno))
        close(fd)
        throw FileError(path, "\(why)")
    }
    let type = st.st_mode & S_IFMT
    if type != S_IFREG {
        close(fd)
        throw FileError(path, "\(fileTypeName(type)), not a regular file")
    }
    if st.st_size > limit {
        close(fd)
        throw FileError(path, "is \(st.st_size) bytes, over the limit of \(sizeInWords(limit)) for \(kind)")
    }
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    return fd
}

/// "is a directory", "is a character device", ... for a stat mode's file type.
func fileTypeName(_ type: mode_t) -> String {
    switch type {
    case S_IFDIR: return "is a directory"
    case S_IFCHR: return "is a character device"
    case S_IFBLK: return "is a block device"
    case S_IFIFO: return "is a FIFO (named pipe)"
    case S_IFSOCK: return "is a socket"
    default: return "is not a regular file"
    }
}

/// "256 MiB", "1.5 KiB", "812 bytes".
func sizeInWords(_ n: Int) -> String {
    for (size, name) in [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")] where n >= size {
        let whole = n / size, tenths = (n % size) * 10 / size
        return tenths == 0 ? "\(whole) \(name)" : "\(whole).\(tenths) \(name)"
    }
    return "\(n) bytes"
}
