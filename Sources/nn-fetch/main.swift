// nn-fetch: downloads MNIST / Fashion-MNIST from their mirrors and verifies every file by SHA-256.
// It is the workhorse of the `download-datasets` command plugin (plugins are compiled unoptimised and
// cannot use library targets); it also runs on its own. Errors are printed here, in one place.
import Foundation

let usage = """
    usage: nn-fetch fetch [--output DIR] [--mirror URL-or-DIR]... [--manifest FILE] DATASET...
           nn-fetch list [--manifest FILE]
           nn-fetch sha256 FILE...
           nn-fetch gunzip-sha256 FILE...

    fetch          writes DIR/DATASET/*.gz (DIR defaults to ./data), each verified by SHA-256;
                   files already present and verified are skipped. DATASET is mnist, fashion-mnist or all.
      --mirror     try this mirror instead of the built-in ones (repeatable, in order): an http(s) URL,
                   a file:// URL or a directory holding the files (or holding DATASET/ folders).
      --manifest   read the table of data sets, digests and mirrors from FILE (format: nn-fetch list).
      --attempts N          connection drops tolerated per mirror, resuming each time (default 3)
      --connect-timeout S   seconds (default 20)
      --stall-timeout S     seconds below 1 kB/s before a mirror is given up (default 60)
    list           prints the table: data sets, mirrors, files with size, gz SHA-256, decompressed SHA-256.
    sha256         prints the SHA-256 of each file (computed in Swift, no external tool).
    gunzip-sha256  prints the SHA-256 and size of each gzip file's decompressed content (zlib).
    """

func fail(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write("nn-fetch: \(message)\n".data(using: .utf8)!)
    exit(code)
}

func run(_ arguments: [String]) throws {
    guard let command = arguments.first else { fail("no command\n" + usage, code: 2) }
    var rest = Array(arguments.dropFirst())
    var options = FetchOptions()
    var manifestPath: String?
    var names = [String]()

    func value(_ flag: String) -> String {
        guard !rest.isEmpty else { fail("\(flag) needs a value", code: 2) }
        return rest.removeFirst()
    }
    func number(_ flag: String) -> Int {
        guard let n = Int(value(flag)), n > 0 else { fail("\(flag) needs a positive number", code: 2) }
        return n
    }

    switch command {
    case "-h", "--help", "help":
        print(usage)
        return
    case "sha256", "gunzip-sha256":
        guard !rest.isEmpty else { fail("\(command): no file given", code: 2) }
        for path in rest {
            do {
                if command == "sha256" {
                    print("\(try Digests.sha256(file: path))  \(path)")
                } else {
                    let (digest, bytes) = try Digests.gunzipSHA256(file: path)
                    print("\(digest)  \(path)  \(bytes)")
                }
            } catch {
                fail("\(path): \(error)")
            }
        }
        return
    case "list", "fetch":
        while !rest.isEmpty {
            let arg = rest.removeFirst()
            switch arg {
            case "--output", "-o": options.output = value(arg)
            case "--mirror": options.mirrors = (options.mirrors ?? []) + [value(arg)]
            case "--manifest": manifestPath = value(arg)
            case "--attempts": options.attemptsPerMirror = number(arg)
            case "--connect-timeout": options.connectTimeout = number(arg)
            case "--stall-timeout": options.stallTimeout = number(arg)
            case "--curl": options.curl = value(arg)
            case "--no-progress": options.progress = false
            case _ where arg.hasPrefix("-"): fail("unknown option \(arg)\n" + usage, code: 2)
            default: names.append(arg)
            }
        }
    default:
        fail("unknown command \(command)\n" + usage, code: 2)
    }

    var table = Manifest.builtIn
    if let manifestPath {
        guard let text = try? String(contentsOfFile: manifestPath, encoding: .utf8) else {
            fail("\(manifestPath): cannot read manifest")
        }
        table = try Manifest.parse(text, source: manifestPath)
    }
    if command == "list" {
        print(Manifest.render(table), terminator: "")
        return
    }

    guard !names.isEmpty else { fail("fetch: name a data set: " + table.map(\.name).joined(separator: ", "), code: 2) }
    var sets = [DatasetSpec]()
    for name in names {
        if name == "all" { sets += table; continue }
        guard let set = table.first(where: { $0.name == name }) else {
            fail("unknown data set \(name) (known: \(table.map(\.name).joined(separator: ", ")))", code: 2)
        }
        sets.append(set)
    }
    let fetcher = Fetcher(options: options)
    let errors = sets.flatMap { fetcher.fetch($0) }
    if !errors.isEmpty {
        for error in errors { FileHandle.standardError.write("nn-fetch: \(error)\n".data(using: .utf8)!) }
        exit(1)
    }
}

// Started by the plugin from a worker thread, we may inherit a mask that blocks SIGINT/SIGTERM;
// clear it so Ctrl-C stops us and the curl we start (a partial .part file is resumed next time).
var noSignals = sigset_t()
sigemptyset(&noSignals)
sigprocmask(SIG_SETMASK, &noSignals, nil)

do {
    try run(Array(CommandLine.arguments.dropFirst()))
} catch {
    fail("\(error)")
}
