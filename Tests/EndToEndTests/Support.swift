import Foundation
import NNCore
@testable import NNFormats

/// Runs the built tools (they sit next to the test bundle in .build/<triple>/<config>/).
enum Tools {
    static let buildDirectory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // swift-testing may run inside the .xctest bundle directory on some platforms
        while !FileManager.default.fileExists(atPath: url.path + "/nn-train") && url.path != "/" { url.deleteLastPathComponent() }
        return url.path
    }()

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
        var out: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs a shell command line with the tools on PATH.
    static func sh(_ command: String, stdin: Data? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = buildDirectory + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        p.environment = env
        // stderr goes to a file, stdout through a pipe read here: neither can fill up and block the tool
        let errPath = NSTemporaryDirectory() + "nn-e2e-stderr-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let out = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: errPath)
        p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(stdin) }
        try inp.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let errData = FileManager.default.contents(atPath: errPath) ?? Data()
        return Result(status: p.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A temporary directory removed by the caller.
    static func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "nn-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Writes every `stride`-th sample of an embedded split as raw IDX files; returns (images, labels).
    /// With `count`, only the first `count` of them.
    static func subset(_ split: String, stride: Int, offset: Int = 0, count: Int? = nil, into dir: String) throws -> (String, String) {
        let files = try IDXDataset.standardFiles(in: packageRoot + "/datasets/default", split: split)
        let set = try IDXDataset.load(files)
        let picks = Array(Swift.stride(from: offset, to: set.dataset.count, by: stride).prefix(count ?? .max))
        let sub = set.dataset.subset(picks)
        func header(_ dims: [Int]) -> [UInt8] {
            var h: [UInt8] = [0, 0, 8, UInt8(dims.count)]
            for d in dims { h += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
            return h
        }
        let name = "\(dir)/\(split)-\(stride)" + (count.map { "-\($0)" } ?? "")
        let images = name + "-images.idx", labels = name + "-labels.idx"
        try writeFileAtomically(header([sub.count, 28, 28]) + sub.features, to: images)
        try writeFileAtomically(header([sub.count]) + sub.labels.map { UInt8($0) }, to: labels)
        return (images, labels)
    }
}
