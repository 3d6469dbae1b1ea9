// Helpers for the PluginTests: find the built nn-fetch, run it with a time limit, and start the
// loopback mirror (MirrorServerScript.swift) that serves the official MNIST t10k files on
// 127.0.0.1:<free port>. Those files are in the repository (datasets/default holds them byte for byte), so
// a fresh clone runs every test.
// Nothing here reaches beyond 127.0.0.1.
import Foundation
import Testing

/// Paths the tests need, found from this file's location and the running test binary.
enum Paths {
    static let testsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let packageRoot = testsDir.deletingLastPathComponent().deletingLastPathComponent()

    /// A mirror's root: mnist/ with the official t10k files, linked from the repository's datasets/default
    /// (the same bytes as the official downloads: their SHA-256 are `Known.imagesSHA`/`labelsSHA`), made once
    /// per test run; or $NN_SHARED_DATASETS.
    static let sharedDatasets: String = {
        if let env = ProcessInfo.processInfo.environment["NN_SHARED_DATASETS"] { return env }
        let root = NSTemporaryDirectory() + "nn-mirror-\(getpid())"
        let mnist = root + "/mnist"
        try? FileManager.default.createDirectory(atPath: mnist, withIntermediateDirectories: true)
        for name in [Known.images, Known.labels] {
            let source = packageRoot.appendingPathComponent("datasets/default/" + name).path
            try? FileManager.default.createSymbolicLink(atPath: mnist + "/" + name, withDestinationPath: source)
        }
        return root
    }()

    /// The nn-fetch built with the tests: next to the test binary (same scratch path and configuration),
    /// else $NN_FETCH.
    static let nnFetch: String? = {
        if let env = ProcessInfo.processInfo.environment["NN_FETCH"] { return env }
        var candidates = [URL]()
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent()) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for dir in candidates {
            // The test binary may sit inside a bundle directory: look a few levels up.
            var d = dir
            for _ in 0..<4 {
                let path = d.appendingPathComponent("nn-fetch").path
                if FileManager.default.isExecutableFile(atPath: path) { return path }
                d = d.deletingLastPathComponent()
            }
        }
        return nil
    }()
}

/// Exit status and output of a finished process.
struct Outcome {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a program, killing it after `timeout` seconds.
func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 120) throws -> Outcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data(), errData = Data()
    DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        Issue.record("\(executable) \(arguments.joined(separator: " ")) timed out after \(timeout) s")
    }
    process.waitUntilExit()
    _ = group.wait(timeout: .now() + 10)
    return Outcome(status: process.terminationStatus,
                   stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs the built nn-fetch.
func nnFetch(_ arguments: [String], timeout: TimeInterval = 120) throws -> Outcome {
    let tool = try #require(Paths.nnFetch, "nn-fetch not found next to the test binary; build it (swift build) or set NN_FETCH")
    return try run(tool, arguments, timeout: timeout)
}

/// The loopback mirror: one per test, stopped by `stop()` (and by itself after `lifetime` seconds).
final class MirrorServer {
    let process = Process()
    let port: Int
    let log: String
    let script: String

    init(root: String, dropAfter: Int = 2000, dropTimes: Int = 1, lifetime: Int = 120) throws {
        let stem = NSTemporaryDirectory() + "mirror-\(UUID().uuidString)"
        log = stem + ".log"
        script = stem + ".py"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        try mirrorServerSource.write(toFile: script, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--root", root, "--log", log,
                             "--drop-after", String(dropAfter), "--drop-times", String(dropTimes),
                             "--lifetime", String(lifetime)]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // The first line is "PORT <n>"; wait for it at most 20 s.
        let ready = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var line = ""
        DispatchQueue.global().async {
            var data = Data()
            while !data.contains(UInt8(ascii: "\n")) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                data.append(chunk)
            }
            line = String(decoding: data, as: UTF8.self)
            ready.signal()
        }
        guard ready.wait(timeout: .now() + 20) == .success,
              let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").last ?? "")
        else {
            kill(process.processIdentifier, SIGKILL)
            throw TestFailure("mirror server did not start: \(line)")
        }
        self.port = port
    }

    func url(_ mode: String, _ dir: String = "mnist") -> String { "http://127.0.0.1:\(port)/\(mode)/\(dir)/" }

    /// Requests served so far, one "METHOD PATH RANGE STATUS" per line.
    var requests: [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    // SIGKILL, not terminate(): a child of Foundation's Process can inherit a mask blocking SIGTERM.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: log)
        try? FileManager.default.removeItem(atPath: script)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A fresh temporary directory, removed by the caller with `cleanUp`.
func temporaryDirectory() throws -> String {
    let dir = NSTemporaryDirectory() + "plugintests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func cleanUp(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

/// Names in a directory (hidden ones included), sorted.
func listing(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
}

/// The official MNIST t10k files (present in ../shared/datasets/mnist) and their canonical digests.
enum Known {
    static let images = "t10k-images-idx3-ubyte.gz"
    static let labels = "t10k-labels-idx1-ubyte.gz"
    static let imagesSHA = "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
    static let labelsSHA = "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
    static let imagesRawSHA = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
    static let labelsRawSHA = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"

    /// A manifest naming only the two t10k files as data set `mnist`, so tests fetch 1.6 MB, not 11 MB.
    static func manifest(in dir: String) throws -> String {
        let path = dir + "/manifest.txt"
        try """
            # test manifest: the two MNIST t10k files
            dataset mnist
            file \(images) 1648877 \(imagesSHA) \(imagesRawSHA)
            file \(labels) 4542 \(labelsSHA) \(labelsRawSHA)

            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
