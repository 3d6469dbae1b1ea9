// Tests of nn-fetch, the tool behind `swift package download-datasets`, against the loopback mirror.
// The plugin itself only parses arguments and runs nn-fetch; running it through `swift package` from
// inside `swift test` would contend for the outer build's lock, so it is exercised by
// Tests/PluginTests/plugin-smoke.sh instead (see docs/datasets.md).
import Foundation
import Testing

@Suite("nn-fetch digests")
struct DigestTests {
    @Test("SHA-256 matches the FIPS 180-2 test vectors")
    func vectors() throws {
        let dir = try temporaryDirectory()
        defer { cleanUp(dir) }
        let vectors: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            (String(repeating: "a", count: 1_000_000),
             "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
        ]
        for (i, (text, digest)) in vectors.enumerated() {
            let path = "\(dir)/v\(i)"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try nnFetch(["sha256", path])
            #expect(result.status == 0)
            #expect(result.stdout.hasPrefix(digest + " "), "vector \(i)")
        }
    }

    @Test("digests of the official MNIST t10k files")
    func officialFiles() throws {
        let labels = Paths.sharedDatasets + "/mnist/" + Known.labels
        #expect(try nnFetch(["sha256", labels]).stdout.hasPrefix(Known.labelsSHA))
        let raw = try nnFetch(["gunzip-sha256", labels])
        #expect(raw.stdout.hasPrefix(Known.labelsRawSHA))
        #expect(raw.stdout.hasSuffix(" 10008\n"))
    }

    @Test("the built-in table lists the canonical digests of both data sets")
    func builtInTable() throws {
        let list = try nnFetch(["list"])
        #expect(list.status == 0)
        for digest in ["440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", Known.imagesSHA,
                       "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                       "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"] {
            #expect(list.stdout.contains(digest))
        }
        #expect(list.stdout.contains("dataset mnist") && list.stdout.contains("dataset fashion-mnist"))
    }
}

@Suite("nn-fetch against a loopback mirror", .serialized)
struct MirrorTests {
    /// Runs `nn-fetch fetch mnist` with the t10k-only manifest into `out`, trying `mirrors` in order.
    func fetch(_ out: String, _ manifest: String, _ mirrors: [String], extra: [String] = []) throws -> Outcome {
        try nnFetch(["fetch", "--manifest", manifest, "--output", out, "--connect-timeout", "5",
                     "--stall-timeout", "10"] + extra + mirrors.flatMap { ["--mirror", $0] } + ["mnist"])
    }

    func expectVerified(_ dir: String) throws {
        #expect(listing(dir) == [Known.images, Known.labels], "no partial or extra file left")
        #expect(try nnFetch(["sha256", "\(dir)/\(Known.images)"]).stdout.hasPrefix(Known.imagesSHA))
        #expect(try nnFetch(["sha256", "\(dir)/\(Known.labels)"]).stdout.hasPrefix(Known.labelsSHA))
    }

    @Test("clean download, then a second run skips both files")
    func cleanThenSkip() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let server = try MirrorServer(root: Paths.sharedDatasets); defer { server.stop() }
        let manifest = try Known.manifest(in: dir)
        let first = try fetch(dir + "/data", manifest, [server.url("ok")])
        #expect(first.status == 0, "\(first.stderr)")
        try expectVerified(dir + "/data/mnist")
        #expect(server.requests.count == 2)

        let second = try fetch(dir + "/data", manifest, [server.url("ok")])
        #expect(second.status == 0)
        #expect(second.stderr.components(separatedBy: "skipped").count == 3, "\(second.stderr)")
        #expect(server.requests.count == 2, "no request on the second run")
    }

    @Test("a connection dropped halfway is resumed with a Range request")
    func dropResumes() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let server = try MirrorServer(root: Paths.sharedDatasets, dropAfter: 2000); defer { server.stop() }
        let result = try fetch(dir + "/data", try Known.manifest(in: dir), [server.url("drop")])
        #expect(result.status == 0, "\(result.stderr)")
        try expectVerified(dir + "/data/mnist")
        #expect(server.requests.contains("GET /drop/mnist/\(Known.images) bytes=2000- 206"), "\(server.requests)")
    }

    @Test("a dropped connection on a server without Range support restarts cleanly")
    func dropRestarts() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let server = try MirrorServer(root: Paths.sharedDatasets, dropAfter: 2000); defer { server.stop() }
        let result = try fetch(dir + "/data", try Known.manifest(in: dir), [server.url("dropnorange")])
        #expect(result.status == 0, "\(result.stderr)")
        try expectVerified(dir + "/data/mnist")
        #expect(result.stderr.contains("restarting from the beginning"))
        #expect(server.requests.filter { $0.hasPrefix("GET /dropnorange/mnist/\(Known.images) - 200") }.count == 2)
    }

    @Test("a partial file left by an interrupted run is resumed; a bad one is replaced")
    func leftoverPartial() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let server = try MirrorServer(root: Paths.sharedDatasets); defer { server.stop() }
        let out = dir + "/data/mnist"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let original = try Data(contentsOf: URL(fileURLWithPath: Paths.sharedDatasets + "/mnist/" + Known.images))
        try original.prefix(500_000).write(to: URL(fileURLWithPath: "\(out)/.\(Known.images).part"))
        try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: "\(out)/.\(Known.labels).part"))
        let result = try fetch(dir + "/data", try Known.manifest(in: dir), [server.url("ok")])
        #expect(result.status == 0, "\(result.stderr)")
        try expectVerified(out)
        #expect(server.requests.contains("GET /ok/mnist/\(Known.images) bytes=500000- 206"), "\(server.requests)")
        #expect(result.stderr.contains("checksum mismatch after resuming"))
    }

    @Test("a present file with the wrong content is fetched again")
    func wrongPresentFile() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let server = try MirrorServer(root: Paths.sharedDatasets); defer { server.stop() }
        let out = dir + "/data/mnist"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("not mnist".utf8).write(to: URL(fileURLWithPath: "\(out)/\(Known.labels)"))
        let result = try fetch(dir + "/data", try Known.manifest(in: dir), [server.url("ok")])
        #expect(result.status == 0, "\(result.stderr)")
        try expectVerified(out)

        // With no mirror to replace it, the wrong file is still removed.
        try Data("not mnist".utf8).write(to: URL(fileURLWithPath: "\(out)/\(Known.labels)"))
        let failed = try fetch(dir + "/data", try Known.manifest(in: dir), [server.url("missing")])
        #expect(failed.status == 1)
        #expect(listing(out) == [Known.images])
    }

    @Test("a first mirror answering 404 is skipped for the second")
    func fallbackAfter404() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let server = try MirrorServer(root: Paths.sharedDatasets); defer { server.stop() }
        let result = try fetch(dir + "/data", try Known.manifest(in: dir), [server.url("missing"), server.url("ok")])
        #expect(result.status == 0, "\(result.stderr)")
        try expectVerified(dir + "/data/mnist")
        #expect(result.stderr.contains("404"))
    }

    @Test("a corrupted file is a checksum error and leaves nothing behind")
    func corrupted() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let server = try MirrorServer(root: Paths.sharedDatasets); defer { server.stop() }
        let result = try fetch(dir + "/data", try Known.manifest(in: dir), [server.url("corrupt")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("nn-fetch: mnist/\(Known.images): every mirror failed"))
        #expect(result.stderr.contains("checksum mismatch"))
        #expect(listing(dir + "/data/mnist").isEmpty, "\(listing(dir + "/data/mnist"))")
    }

    @Test("a corrupted file on the first mirror falls back to the next")
    func corruptedThenGood() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let server = try MirrorServer(root: Paths.sharedDatasets); defer { server.stop() }
        let result = try fetch(dir + "/data", try Known.manifest(in: dir), [server.url("corrupt"), server.url("ok")])
        #expect(result.status == 0, "\(result.stderr)")
        try expectVerified(dir + "/data/mnist")
    }

    @Test("when every mirror fails the error names the file, each mirror and why")
    func allFail() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let server = try MirrorServer(root: Paths.sharedDatasets); defer { server.stop() }
        let closed = "http://127.0.0.1:1/ok/mnist/"   // nothing listens on port 1
        let result = try fetch(dir + "/data", try Known.manifest(in: dir),
                               [server.url("missing"), closed, server.url("corrupt")])
        #expect(result.status == 1)
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("nn-fetch: ") }
        #expect(errors.count == 2, "one line per file: \(result.stderr)")
        let line = String(errors.first ?? "")
        #expect(line.contains("mnist/\(Known.images): every mirror failed (3 tried)"))
        #expect(line.contains(server.url("missing") + Known.images + ": curl: (22)") && line.contains("404"))
        #expect(line.contains(closed + Known.images + ": curl: (7)"))
        #expect(line.contains(server.url("corrupt") + Known.images + ": checksum mismatch"))
        #expect(listing(dir + "/data/mnist").isEmpty)
        // the directories the failed run created are gone: no empty data/mnist/ is left to look like data
        #expect(!FileManager.default.fileExists(atPath: dir + "/data"), "\(listing(dir))")
    }
}

@Suite("nn-fetch from a local mirror")
struct LocalMirrorTests {
    @Test("a directory or file:// mirror whose gz files are recompressed is accepted by decompressed digest")
    func recompressed() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let mirror = dir + "/mirror"
        try FileManager.default.createDirectory(atPath: mirror, withIntermediateDirectories: true)
        // Recompress like Debian's dataset-fashion-mnist does: same content, different gz bytes.
        for name in [Known.images, Known.labels] {
            let r = try run("/usr/bin/env", ["python3", "-c", """
                import gzip, sys
                data = gzip.open(sys.argv[1]).read()
                open(sys.argv[2], 'wb').write(gzip.compress(data, compresslevel=1, mtime=0))
                """, Paths.sharedDatasets + "/mnist/" + name, mirror + "/" + name])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let manifest = try Known.manifest(in: dir)
        for (i, m) in [mirror, "file://" + mirror].enumerated() {
            let out = "\(dir)/out\(i)"
            let result = try nnFetch(["fetch", "--manifest", manifest, "--output", out, "--mirror", m, "mnist"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("recompressed copy, decompressed checksum ok"))
            #expect(listing(out + "/mnist") == [Known.images, Known.labels])
            #expect(try nnFetch(["gunzip-sha256", "\(out)/mnist/\(Known.labels)"]).stdout.hasPrefix(Known.labelsRawSHA))
        }
    }

    @Test("the built-in table verifies the official t10k files; missing train files fail the run")
    func builtInOffline() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let result = try nnFetch(["fetch", "--output", dir, "--mirror", Paths.sharedDatasets, "mnist"])
        #expect(result.status == 1)
        #expect(listing(dir + "/mnist") == [Known.images, Known.labels])
        #expect(result.stderr.contains("nn-fetch: mnist/train-images-idx3-ubyte.gz: every mirror failed (1 tried)"))
        #expect(result.stderr.contains("not found"))
    }

    @Test("unknown data set and bad usage exit 2 with a message")
    func usage() throws {
        let unknown = try nnFetch(["fetch", "--output", NSTemporaryDirectory(), "cifar"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("unknown data set cifar (known: mnist, fashion-mnist)"))
        #expect(try nnFetch(["fetch", "--mirror"]).status == 2)
    }
}
