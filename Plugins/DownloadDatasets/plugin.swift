// `swift package download-datasets`: fetches MNIST / Fashion-MNIST into data/ (or --output), verified.
// This plugin only reads the arguments, resolves paths against the package directory and runs the
// package's `nn-fetch` tool, which does the downloading, resuming and SHA-256 checking at compiled
// speed (plugins are built without optimisation and cannot use library targets).
import Foundation
import PackagePlugin

@main
struct DownloadDatasets: CommandPlugin {
    static let usage = """
        usage: swift package --allow-network-connections all --allow-writing-to-package-directory \\
                 download-datasets [--output DIR] [--mirror URL-or-DIR]... DATASET...
               swift package download-datasets --list
        DATASET: mnist, fashion-mnist or all. Files go to DIR/DATASET/ (DIR defaults to data/ in the package).
        --mirror replaces the built-in mirrors (repeatable, tried in order): http(s)://, file:// or a directory.
        See docs/datasets.md.
        """

    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        let list = extractor.extractFlag(named: "list") > 0
        let help = extractor.extractFlag(named: "help") > 0
        let outputs = extractor.extractOption(named: "output")
        let mirrors = extractor.extractOption(named: "mirror")
        let manifests = extractor.extractOption(named: "manifest")
        var passThrough = [String]()
        for option in ["attempts", "connect-timeout", "stall-timeout"] {
            for value in extractor.extractOption(named: option) { passThrough += ["--\(option)", value] }
        }
        let names = extractor.remainingArguments
        if help {
            print(Self.usage)
            return
        }
        if let unknown = names.first(where: { $0.hasPrefix("-") }) {
            throw PluginFailure("unknown option \(unknown)\n\(Self.usage)")
        }
        guard outputs.count <= 1, manifests.count <= 1 else {
            throw PluginFailure("--output and --manifest may be given once")
        }

        let package = context.package.directoryURL
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : package.appendingPathComponent(path).standardizedFileURL.path
        }
        var args = [String]()
        if let manifest = manifests.first { args += ["--manifest", resolve(manifest)] }
        if list {
            args = ["list"] + args
        } else {
            guard !names.isEmpty else { throw PluginFailure("name a data set (mnist, fashion-mnist, all)\n\(Self.usage)") }
            args = ["fetch", "--output", resolve(outputs.first ?? "data")] + args + passThrough
            for mirror in mirrors {
                args += ["--mirror", mirror.contains("://") ? mirror : resolve(mirror)]
            }
            args += names
        }

        let tool = try context.tool(named: "nn-fetch")
        let process = Process()
        process.executableURL = tool.url
        process.arguments = args
        // SwiftPM shows whatever a plugin writes on stdout; nn-fetch's failures ("nn-fetch: FILE: why")
        // are passed on as error diagnostics instead, so they reach stderr as `error: ...`.
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        var pending = Data()
        while true {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                report(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
        }
        if !pending.isEmpty { report(String(decoding: pending, as: UTF8.self)) }
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            throw PluginFailure("nn-fetch \(args.first ?? "") failed (exit status \(process.terminationStatus))")
        }
    }

    private func report(_ line: String) {
        if line.hasPrefix("nn-fetch: ") {
            Diagnostics.error(String(line.dropFirst("nn-fetch: ".count)))
        } else {
            print(line)
        }
    }
}

struct PluginFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
