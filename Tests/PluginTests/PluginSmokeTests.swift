// One end-to-end run of the real command plugin: `swift package download-datasets` against the
// loopback mirror. It uses its own scratch directory (.build-plugin-smoke, git-ignored by `.build-*/`)
// so it never waits on the lock of the build that is running these tests. The first run compiles the
// plugin and nn-fetch there (about 30 s on 2 cores); later runs reuse it.
// Set NN_SKIP_PLUGIN_SMOKE=1 to skip it (for example where `swift` is not on PATH).
import Foundation
import Testing

@Suite("download-datasets plugin, end to end", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["NN_SKIP_PLUGIN_SMOKE"] == nil, "NN_SKIP_PLUGIN_SMOKE is set"))
struct PluginSmokeTests {
    func swiftPackage(_ arguments: [String]) throws -> Outcome {
        try run("/usr/bin/env", ["swift", "package", "--package-path", Paths.packageRoot.path,
                                 "--scratch-path", Paths.packageRoot.path + "/.build-plugin-smoke",
                                 "--allow-network-connections", "all", "--allow-writing-to-package-directory",
                                 "download-datasets"] + arguments, timeout: 600)
    }

    @Test("the plugin downloads and verifies through nn-fetch, and fails with nn-fetch's message")
    func plugin() throws {
        let dir = try temporaryDirectory(); defer { cleanUp(dir) }
        let server = try MirrorServer(root: Paths.sharedDatasets, lifetime: 600); defer { server.stop() }
        let manifest = try Known.manifest(in: dir)

        let ok = try swiftPackage(["--manifest", manifest, "--output", dir + "/data",
                                   "--mirror", server.url("drop"), "mnist"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(listing(dir + "/data/mnist") == [Known.images, Known.labels])
        #expect(server.requests.contains("GET /drop/mnist/\(Known.images) bytes=2000- 206"))

        let bad = try swiftPackage(["--manifest", manifest, "--output", dir + "/bad",
                                    "--mirror", server.url("missing"), "mnist"])
        #expect(bad.status != 0)
        // nn-fetch's failure line, re-emitted by the plugin as an error diagnostic on stderr.
        #expect(bad.stderr.contains("error: mnist/\(Known.images): every mirror failed (1 tried)"), "\(bad.stderr)")
        #expect(listing(dir + "/bad/mnist").isEmpty)

        let list = try swiftPackage(["--list"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("dataset fashion-mnist"))
    }
}
