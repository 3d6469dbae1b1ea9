// nn-fetch on hostile input, run as the built executable: what is not a regular file (a directory,
// /dev/zero, a FIFO) and a file over the byte ceiling are refused before any reading; gzip streams are
// verified whole (truncated anywhere, trailer cut, bytes after the last member: refused; members back to
// back: accepted); every refusal is exactly one line naming the file, exit 2 (1 for one bad file among
// several); command-line slips get one line and the short usage line; --help the full text on stdout.
import Foundation
import Testing

/// The official MNIST t10k labels gz (4,542 bytes; 10,008 bytes decompressed) from the repository.
private let labelsGz: Data = FileManager.default.contents(atPath: Paths.sharedDatasets + "/mnist/" + Known.labels) ?? Data()

/// The stderr lines of an outcome.
private func lines(_ text: String) -> [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }

/// Asserts a refusal: `status`, nothing on stdout, one stderr line starting "nn-fetch: PATH: " and holding `words`.
private func expectRefused(_ r: Outcome, _ path: String, _ words: String, status: Int32 = 2,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == status, "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
    #expect(lines(r.stderr).count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.hasPrefix("nn-fetch: \(path): "), "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains(words), "\(r.stderr)", sourceLocation: sourceLocation)
}

@Suite("nn-fetch on hostile input")
struct FetchHostileTests {
    @Test("a directory, /dev/zero and a FIFO are refused before reading, by both digest commands")
    func notRegularFiles() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let fifo = dir + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        for command in ["sha256", "gunzip-sha256"] {
            let started = Date()
            expectRefused(try nnFetch([command, dir], timeout: 20), dir, "is a directory")
            expectRefused(try nnFetch([command, "/dev/zero"], timeout: 20), "/dev/zero", "is a character device, not a regular file")
            // no writer: open(2) would wait forever without O_NONBLOCK
            expectRefused(try nnFetch([command, fifo], timeout: 20), fifo, "is a FIFO (named pipe), not a regular file")
            expectRefused(try nnFetch([command, dir + "/missing"], timeout: 20), dir + "/missing", "No such file or directory")
            #expect(Date().timeIntervalSince(started) < 15, "refused up front, not after reading")
        }
    }

    @Test("a file over the 256 MiB ceiling is refused from its size")
    func ceiling() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let big = dir + "/big.gz"
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: big))
        try handle.truncate(atOffset: UInt64(256 << 20) + 1)   // sparse: no disk used, nothing read
        try handle.close()
        for command in ["sha256", "gunzip-sha256"] {
            expectRefused(try nnFetch([command, big], timeout: 20), big, "is 268435457 bytes, over the limit of 256 MiB for a data set file")
        }
    }

    @Test("gzip cut anywhere (header, deflate data, CRC-32, ISIZE) is refused, never a digest of part of it")
    func truncated() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        #expect(labelsGz.count == 4542)
        // 4534: the deflate data complete, CRC-32 and ISIZE missing; 4538: ISIZE missing; 4541: one byte short
        for cut in [2, 10, 11, 20, 100, 2000, 4534, 4538, 4541] {
            let path = "\(dir)/cut-\(cut).gz"
            try labelsGz.prefix(cut).write(to: URL(fileURLWithPath: path))
            expectRefused(try nnFetch(["gunzip-sha256", path]), path, "truncated gzip file: the file ends at byte \(cut)")
        }
        let empty = dir + "/empty.gz"
        try Data().write(to: URL(fileURLWithPath: empty))
        expectRefused(try nnFetch(["gunzip-sha256", empty]), empty, "empty file, not a gzip file")
    }

    @Test("bytes after the last member are refused; a wrong CRC-32 or ISIZE too; members back to back are one stream")
    func trailingAndConcatenated() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        func write(_ name: String, _ data: Data) throws -> String {
            let path = "\(dir)/\(name)"
            try data.write(to: URL(fileURLWithPath: path))
            return path
        }
        let garbage = try write("garbage.gz", labelsGz + Data([0x1f, 0x8b, 0x08, 0x00]) + Data("garbage".utf8))
        expectRefused(try nnFetch(["gunzip-sha256", garbage]), garbage, "the gzip member starting at byte 4542 is cut off")
        let zeros = try write("zeros.gz", labelsGz + Data(count: 16))
        expectRefused(try nnFetch(["gunzip-sha256", zeros]), zeros,
                      "the 4542 bytes of gzip data are followed by bytes that are not a gzip member (no gzip magic number)")
        let text = try write("text.gz", labelsGz + Data("x".utf8))
        expectRefused(try nnFetch(["gunzip-sha256", text]), text, "are followed by bytes that are not a gzip member")
        // a member header with a bad method byte, then deflate garbage
        let method = try write("method.gz", labelsGz + Data([0x1f, 0x8b, 0x07, 0x00]) + Data("garbage!garbage!".utf8))
        expectRefused(try nnFetch(["gunzip-sha256", method]), method,
                      "the 4542 bytes of gzip data are followed by a gzip member that is not valid (unknown compression method)")
        let half = try write("half.gz", labelsGz + labelsGz.prefix(2000))
        expectRefused(try nnFetch(["gunzip-sha256", half]), half, "the gzip member starting at byte 4542 is cut off: the file ends at byte 6542")

        var badCRC = labelsGz
        badCRC[4534] ^= 0xff
        let crc = try write("crc.gz", badCRC)
        expectRefused(try nnFetch(["gunzip-sha256", crc]), crc, "corrupt gzip data: incorrect data check")
        var badSize = labelsGz
        badSize[4538] ^= 0x01
        let size = try write("size.gz", badSize)
        expectRefused(try nnFetch(["gunzip-sha256", size]), size, "corrupt gzip data: incorrect length check")
        let raw = try write("raw.idx", Data([0, 0, 8, 1, 0, 0, 0, 0]))
        expectRefused(try nnFetch(["gunzip-sha256", raw]), raw, "not a gzip file")

        // two complete members: the content twice (the same SHA-256 as Python's gzip gives)
        let twice = try write("twice.gz", labelsGz + labelsGz)
        let expected = try run("/usr/bin/env", ["python3", "-c",
            "import gzip, hashlib, sys; print(hashlib.sha256(gzip.open(sys.argv[1]).read()).hexdigest())", twice])
        #expect(expected.status == 0, "\(expected.stderr)")
        let r = try nnFetch(["gunzip-sha256", twice])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        #expect(r.stdout == expected.stdout.trimmingCharacters(in: .whitespacesAndNewlines) + "  \(twice)  20016\n")
        #expect(!r.stdout.hasPrefix(Known.labelsRawSHA), "not the digest of the first member alone")
    }

    @Test("one bad file among several: its line, the others' digests, exit 1")
    func severalFiles() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let good = Paths.sharedDatasets + "/mnist/" + Known.labels
        let r = try nnFetch(["gunzip-sha256", good, dir, good])
        #expect(r.status == 1)
        #expect(r.stderr == "nn-fetch: \(dir): is a directory, not a regular file\n")
        #expect(r.stdout == "\(Known.labelsRawSHA)  \(good)  10008\n\(Known.labelsRawSHA)  \(good)  10008\n")
    }

    @Test("standard input is read as -, under the same checks")
    func standardInput() throws {
        let r = try run("/bin/sh", ["-c", "'\(try #require(Paths.nnFetch))' gunzip-sha256 - < '\(Paths.sharedDatasets)/mnist/\(Known.labels)'"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "\(Known.labelsRawSHA)  -  10008\n")
        let cut = try run("/bin/sh", ["-c", "head -c 100 '\(Paths.sharedDatasets)/mnist/\(Known.labels)' | '\(try #require(Paths.nnFetch))' gunzip-sha256 -"])
        expectRefused(cut, "<stdin>", "truncated gzip file: the file ends at byte 100")
    }

    @Test("command-line slips: one line and the short usage line, exit 2; --help: the full text on stdout, exit 0")
    func usage() throws {
        for (arguments, first) in [([String](), "nn-fetch: no command given"),
                                   (["frob"], "nn-fetch: unknown command 'frob' (commands: fetch, list, sha256, gunzip-sha256)"),
                                   (["sha256"], "nn-fetch: sha256: no file given"),
                                   (["fetch", "--bogus", "mnist"], "nn-fetch: unknown option --bogus")] {
            let r = try nnFetch(arguments)
            #expect(r.status == 2, "\(arguments)")
            #expect(r.stdout.isEmpty)
            let got = lines(r.stderr)
            #expect(got.count == 2, "\(arguments): \(r.stderr)")
            #expect(got.first.map(String.init) == first)
            #expect(got.last?.hasPrefix("Usage: nn-fetch fetch ") == true && got.last?.hasSuffix("(nn-fetch --help for every option)") == true)
        }
        let help = try nnFetch(["--help"])
        #expect(help.status == 0)
        #expect(help.stderr.isEmpty)
        #expect(help.stdout.hasPrefix("usage: nn-fetch fetch") && help.stdout.contains("gunzip-sha256  prints"))
    }

    @Test("fetch: an --output that is a file, a directory in a file's place, an unreadable manifest")
    func fetchOutputs() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let manifest = try Known.manifest(in: dir)
        let file = dir + "/notdir"
        try Data("keep".utf8).write(to: URL(fileURLWithPath: file))
        for output in [file, file + "/sub"] {
            let r = try nnFetch(["fetch", "--manifest", manifest, "--output", output, "--mirror", Paths.sharedDatasets, "mnist"])
            #expect(r.status == 2)
            #expect(r.stderr == "nn-fetch: \(file): exists and is not a directory\n")
            #expect(FileManager.default.contents(atPath: file) == Data("keep".utf8))
        }

        // A directory where a data file goes is reported, and left alone (never verified or removed).
        let out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out + "/mnist/" + Known.labels + "/inside", withIntermediateDirectories: true)
        let r = try nnFetch(["fetch", "--manifest", manifest, "--output", out, "--mirror", Paths.sharedDatasets, "mnist"])
        #expect(r.status == 1)
        // status lines (one per file) go to stderr too; the error is the one line starting "nn-fetch: "
        #expect(lines(r.stderr).filter { $0.hasPrefix("nn-fetch: ") }
                == ["nn-fetch: mnist/\(Known.labels): \(out)/mnist/\(Known.labels) is a directory, not a regular file; move it away"], "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: out + "/mnist/" + Known.labels + "/inside"))
        #expect(try nnFetch(["sha256", out + "/mnist/" + Known.images]).stdout.hasPrefix(Known.imagesSHA), "the other file fetched")

        // A local mirror holding a directory in a file's place: that mirror fails for that file, with the reason.
        let mirror = dir + "/mirror/mnist"
        try FileManager.default.createDirectory(atPath: mirror + "/" + Known.labels, withIntermediateDirectories: true)
        let bad = try nnFetch(["fetch", "--manifest", manifest, "--output", dir + "/out2", "--mirror", dir + "/mirror", "mnist"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("\(mirror)/\(Known.labels): is a directory, not a regular file"), "\(bad.stderr)")

        let noManifest = try nnFetch(["fetch", "--manifest", dir, "mnist"])
        expectRefused(noManifest, dir, "is a directory")
    }
}
