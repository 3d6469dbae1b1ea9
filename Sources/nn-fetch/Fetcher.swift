// Download, verify, rename. Each file goes to DIR/.NAME.part, is checked against the table, and only
// then renamed to DIR/NAME, so DIR/NAME is either absent or verified. Remote mirrors are fetched with
// curl (resume with `--continue-at -`, `--fail` for HTTP errors); local mirrors (a directory or a
// file:// URL) are copied.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A failure reported to the user as one line on stderr.
struct FetchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// How a file on disk compares with its table entry.
enum Verdict: Equatable {
    case exact            // SHA-256 of the gz file matches
    case recompressed     // gz differs, decompressed content matches
    case mismatch(String) // neither; the gz digest found
}

/// Settings of one `nn-fetch fetch` run.
struct FetchOptions {
    var output = "data"
    var mirrors: [String]? = nil   // replaces each data set's built-in mirrors when given
    var attemptsPerMirror = 3      // connection drops are retried (resuming) this many times in all
    var connectTimeout = 20        // seconds
    var stallTimeout = 60          // seconds below 1 KB/s before curl gives up
    var curl = "curl"
    var progress = isatty(2) == 1  // live byte counter on a terminal, result lines otherwise
}

struct Fetcher {
    let options: FetchOptions
    let log = Log()

    /// Fetches every file of the data set; returns the one-line errors of the files that failed.
    func fetch(_ set: DatasetSpec) -> [String] {
        let dir = (options.output as NSString).appendingPathComponent(set.name)
        // The directories this run creates (data/, data/mnist/) are removed again if nothing was fetched
        // into them: a failed download leaves no empty data set behind.
        let created = [options.output, dir].filter { !FileManager.default.fileExists(atPath: $0) }
        do {
            try makeDirectories(dir)
        } catch {
            return ["\(error)"]
        }
        let mirrors = options.mirrors ?? set.mirrors
        var errors = [String]()
        for file in set.files {
            do {
                try fetch(file, of: set, into: dir, mirrors: mirrors)
            } catch {
                errors.append("\(set.name)/\(error)")
            }
        }
        if !errors.isEmpty {
            for path in created.reversed() { rmdir(path) }   // only succeeds on an empty directory
        }
        return errors
    }

    static func verify(_ path: String, _ file: FileSpec) -> Verdict {
        guard let digest = try? Digests.sha256(file: path) else { return .mismatch("unreadable") }
        if digest == file.sha256 { return .exact }
        if let raw = file.rawSHA256, let (rawDigest, _) = try? Digests.gunzipSHA256(file: path), rawDigest == raw {
            return .recompressed
        }
        return .mismatch(digest)
    }

    private func fetch(_ file: FileSpec, of set: DatasetSpec, into dir: String, mirrors: [String]) throws {
        let dest = (dir as NSString).appendingPathComponent(file.name)
        let label = "\(set.name)/\(file.name)"
        var st = stat()
        if stat(dest, &st) == 0 {
            // Something that is not a file (a directory of the user's) is neither verified nor removed.
            guard st.st_mode & S_IFMT == S_IFREG else {
                throw FetchError("\(file.name): \(dest) \(fileTypeName(st.st_mode & S_IFMT)), not a regular file; move it away")
            }
            switch Fetcher.verify(dest, file) {
            case .exact, .recompressed:
                log.line("\(label): present, checksum ok, skipped")
                return
            case .mismatch:
                // Removed now, so that NAME is never an unverified file, even if every mirror fails.
                try? FileManager.default.removeItem(atPath: dest)
                log.line("\(label): present but checksum differs; removed, fetching again")
            }
        }
        let part = (dir as NSString).appendingPathComponent(".\(file.name).part")
        guard !mirrors.isEmpty else { throw FetchError("\(file.name): no mirror to try") }
        var tried = [String]()
        for mirror in mirrors {
            let source = Source(mirror: mirror, file: file.name, dataset: set.name)
            do {
                let (verdict, seconds) = try download(file, from: source, to: part, label: label)
                guard rename(part, dest) == 0 else {
                    throw FetchError("cannot rename to \(dest): \(String(cString: strerror(errno)))")
                }
                let bytes = (try? FileManager.default.attributesOfItem(atPath: dest)[.size] as? Int) ?? 0
                let note = verdict == .recompressed ? "recompressed copy, decompressed checksum ok" : "checksum ok"
                log.line(String(format: "%@: %d bytes from %@ in %.1f s (%@/s), %@",
                                label, bytes, source.display, seconds, Log.size(Double(bytes) / max(seconds, 0.001)), note))
                return
            } catch {
                tried.append("\(source.display): \(error)")
                if mirror != mirrors.last { log.line("\(label): \(source.display): \(error); trying next mirror") }
            }
        }
        try? FileManager.default.removeItem(atPath: part)
        throw FetchError("\(file.name): every mirror failed (\(mirrors.count) tried): " + tried.joined(separator: "; "))
    }

    /// Brings `part` to a verified copy of `file` from one mirror, or throws with the reason.
    /// Also returns the seconds spent transferring (not verifying).
    private func download(_ file: FileSpec, from source: Source, to part: String, label: String) throws -> (Verdict, Double) {
        var transfer = 0.0
        var freshRestarts = 0
        var attempts = 0
        while true {
            let resumedFrom = fileSize(part)
            // A leftover partial file that is already complete, or too long to be this file.
            if resumedFrom > 0, let size = file.size, resumedFrom >= size {
                let verdict = Fetcher.verify(part, file)
                guard case .mismatch = verdict else { return (verdict, transfer) }
                try? FileManager.default.removeItem(atPath: part)
                continue
            }
            let began = Date()
            switch source {
            case .local(let path):
                try? FileManager.default.removeItem(atPath: part)
                guard FileManager.default.fileExists(atPath: path) else { throw FetchError("not found") }
                try copy(path, to: part)
            case .remote(let url):
                attempts += 1
                let result = runCurl(url: url, part: part, resume: resumedFrom > 0, label: label, expected: file.size)
                switch result {
                case .ok:
                    break
                case .restart(let why):
                    // The server cannot resume (no Range support, or 416): start over from byte 0.
                    try? FileManager.default.removeItem(atPath: part)
                    freshRestarts += 1
                    if freshRestarts > 1 || attempts >= options.attemptsPerMirror { throw FetchError(why) }
                    log.line("\(label): \(why); restarting from the beginning")
                    continue
                case .retry(let why):
                    if attempts >= options.attemptsPerMirror {
                        throw FetchError("\(why) (gave up after \(attempts) attempts)")
                    }
                    let have = fileSize(part)
                    log.line("\(label): \(why); " + (have > 0 ? "resuming at byte \(have)" : "retrying"))
                    continue
                case .fail(let why):
                    throw FetchError(why)
                }
            }
            transfer += Date().timeIntervalSince(began)
            if options.progress { log.progress("\(label): verifying") }
            let verdict = Fetcher.verify(part, file)
            if case .mismatch(let digest) = verdict {
                try? FileManager.default.removeItem(atPath: part)
                if resumedFrom > 0 && freshRestarts == 0 {
                    // The old partial data may be what is wrong: one clean download before giving up.
                    freshRestarts += 1
                    log.line("\(label): checksum mismatch after resuming; downloading again from the beginning")
                    continue
                }
                throw FetchError("checksum mismatch (sha256 \(digest.prefix(16))…, expected \(file.sha256.prefix(16))…)")
            }
            return (verdict, transfer)
        }
    }

    private enum CurlResult { case ok, retry(String), restart(String), fail(String) }

    private func runCurl(url: String, part: String, resume: Bool, label: String, expected: Int?) -> CurlResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var args = [options.curl, "--fail", "--location", "--silent", "--show-error",
                    "--connect-timeout", String(options.connectTimeout),
                    "--speed-limit", "1024", "--speed-time", String(options.stallTimeout),
                    "--max-filesize", String(Ceiling.dataFile), "--output", part]
        if resume { args += ["--continue-at", "-"] }
        process.arguments = args + [url]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.standardError
        let meter = options.progress ? Meter(label: label, path: part, expected: expected, log: log) : nil
        do { try process.run() } catch {
            return .fail("cannot run curl: \(error.localizedDescription)")
        }
        meter?.start()
        var message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n").last.map(String.init) ?? ""
        while message.hasSuffix(".") { message.removeLast() }
        process.waitUntilExit()
        meter?.stop()
        let code = process.terminationStatus
        let why = message.isEmpty ? "curl exit \(code)" : message
        switch code {
        case 0: return .ok
        case 127: return .fail("curl not found (install curl, or use a local --mirror)")
        case 33, 36: return .restart(why)
        case 22 where why.contains("416"): return .restart(why)
        case 18, 28, 52, 55, 56, 92: return .retry(why)
        default: return .fail(why)
        }
    }

    /// Copies a local mirror's file to `part` (mode 0644: a package mirror's files are often read-only),
    /// read through `readChunks` like every other read. The source's path is in the caller's message.
    private func copy(_ source: String, to part: String) throws {
        let fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw FetchError("\(part): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        do {
            try readChunks(source, limit: Ceiling.dataFile, kind: "a data set file") { chunk in
                var done = 0
                while done < chunk.count {
                    let n = write(fd, chunk.baseAddress! + done, chunk.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw FetchError("\(part): \(String(cString: strerror(errno)))")
                    }
                    done += n
                }
            }
        } catch let error as FileError where error.path == source {
            throw FetchError(error.message)   // the caller's message names the source already
        }
    }

    private func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}

/// Where one file comes from: a local path, or a URL for curl.
enum Source {
    case local(String)
    case remote(String)

    init(mirror: String, file: String, dataset: String) {
        var base = mirror
        if base.hasPrefix("file://") {
            base = URL(string: base)?.path ?? String(base.dropFirst("file://".count))
        } else if base.contains("://") {
            self = .remote(base.hasSuffix("/") ? base + file : base + "/" + file)
            return
        }
        // A directory holding the files, or holding one folder per data set (like data/ itself).
        let direct = (base as NSString).appendingPathComponent(file)
        let nested = ((base as NSString).appendingPathComponent(dataset) as NSString).appendingPathComponent(file)
        self = .local(!FileManager.default.fileExists(atPath: direct) && FileManager.default.fileExists(atPath: nested)
                      ? nested : direct)
    }

    var display: String {
        switch self {
        case .local(let path): return path
        case .remote(let url): return url
        }
    }
}

/// Refuses a directory path that cannot be created because a file stands in the way: the first of its
/// prefixes that exists and is not a directory is named ("data: exists and is not a directory").
func checkDirectoryPath(_ path: String) throws {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for part in path.split(separator: "/") {
        prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + part
        var st = stat()
        guard stat(prefix, &st) == 0 else { return }   // missing: it will be created
        if st.st_mode & S_IFMT != S_IFDIR { throw FetchError("\(prefix): exists and is not a directory") }
    }
}

/// Creates `path` and the directories above it that are missing (mkdir -p), mode 0755. An error names the
/// directory that could not be made and why ("Not a directory" when a file stands in the way).
func makeDirectories(_ path: String) throws {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for part in path.split(separator: "/") {
        prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + part
        if mkdir(prefix, 0o755) == 0 { continue }
        let why = errno
        var st = stat()
        if why == EEXIST && stat(prefix, &st) == 0 {
            if st.st_mode & S_IFMT == S_IFDIR { continue }
            throw FetchError("\(prefix): exists and is not a directory")
        }
        throw FetchError("\(prefix): cannot create directory: \(String(cString: strerror(why)))")
    }
}
