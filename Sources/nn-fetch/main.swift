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
    sha256         prints the SHA-256 of each file (computed in Swift, no external tool); - is stdin.
    gunzip-sha256  prints the SHA-256 and size of each gzip file's decompressed content (zlib), after
                   checking the whole stream: every member complete, CRC-32 and size, nothing after them.
    """

/// The one usage line printed after a command-line slip (the full text is `--help`'s).
let shortUsage = "Usage: nn-fetch fetch [--output DIR] [--mirror URL-or-DIR]... DATASET... | list | sha256 FILE... | gunzip-sha256 FILE... (nn-fetch --help for every option)"

/// Writes one line to stderr, "nn-fetch: " first. Control characters (a newline in a path) are escaped, so
/// a message is always one line (NNCommandLine's printError does the same for the four tools; nn-fetch
/// links only CZlib and NNDigest, so the plugin builds it quickly).
func printError(_ message: String) {
    var line = "nn-fetch: "
    for u in message.unicodeScalars {
        switch u {
        case "\n": line += "\\n"
        case "\t": line += "\\t"
        case "\r": line += "\\r"
        default:
            if u.value < 0x20 || u.value == 0x7F {
                line += "\\x" + (u.value < 0x10 ? "0" : "") + String(u.value, radix: 16)
            } else {
                line.unicodeScalars.append(u)
            }
        }
    }
    FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
}

/// Exit codes (README, "The tools"): 1 a failure found (a download or checksum that failed, an unreadable
/// file among several), 2 a usage or input error.
func fail(_ message: String, code: Int32 = 2) -> Never {
    printError(message)
    exit(code)
}

/// A command-line slip: one line naming it and the short usage line, exit 2.
func usageError(_ message: String) -> Never {
    printError(message)
    FileHandle.standardError.write((shortUsage + "\n").data(using: .utf8)!)
    exit(2)
}

func run(_ arguments: [String]) throws {
    guard let command = arguments.first else { usageError("no command given") }
    var rest = Array(arguments.dropFirst())
    var options = FetchOptions()
    var manifestPath: String?
    var names = [String]()

    func value(_ flag: String) -> String {
        guard !rest.isEmpty else { usageError("\(flag) needs a value") }
        return rest.removeFirst()
    }
    func number(_ flag: String) -> Int {
        let text = value(flag)
        guard let n = Int(text), n > 0 else { usageError("\(flag) needs a positive number, not '\(text)'") }
        return n
    }

    switch command {
    case "-h", "--help", "help":
        print(usage)
        return
    case "sha256", "gunzip-sha256":
        guard !rest.isEmpty else { usageError("\(command): no file given") }
        // Like the tools that take several inputs: each unreadable file gets its line and the others go on.
        var failed = 0
        for path in rest {
            do {
                if command == "sha256" {
                    print("\(try Digests.sha256(file: path))  \(path)")
                } else {
                    let (digest, bytes) = try Digests.gunzipSHA256(file: path)
                    print("\(digest)  \(path)  \(bytes)")
                }
            } catch {
                printError("\(error)")
                failed += 1
            }
        }
        if failed > 0 { exit(rest.count == 1 ? 2 : 1) }
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
            case _ where arg.hasPrefix("-") && arg != "-": usageError("unknown option \(arg)")
            default: names.append(arg)
            }
        }
    default:
        usageError("unknown command '\(command)' (commands: fetch, list, sha256, gunzip-sha256)")
    }

    var table = Manifest.builtIn
    if let manifestPath {
        var bytes = [UInt8]()
        do {
            try readChunks(manifestPath, limit: Ceiling.manifest, kind: "a manifest") { bytes += $0 }
        } catch {
            fail("\(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            fail("\(manifestPath == "-" ? "<stdin>" : manifestPath): a manifest is UTF-8 text; this file is not")
        }
        do { table = try Manifest.parse(text, source: manifestPath) } catch { fail("\(error)") }
    }
    if command == "list" {
        print(Manifest.render(table), terminator: "")
        return
    }

    guard !names.isEmpty else { usageError("fetch: name a data set: " + table.map(\.name).joined(separator: ", ")) }
    var sets = [DatasetSpec]()
    for name in names {
        if name == "all" { sets += table; continue }
        guard let set = table.first(where: { $0.name == name }) else {
            fail("unknown data set \(name) (known: \(table.map(\.name).joined(separator: ", ")))")
        }
        sets.append(set)
    }
    // Where the files go must be a directory or nothing yet: said before anything is downloaded.
    for set in sets {
        do { try checkDirectoryPath((options.output as NSString).appendingPathComponent(set.name)) } catch { fail("\(error)") }
    }
    let fetcher = Fetcher(options: options)
    let errors = sets.flatMap { fetcher.fetch($0) }
    if !errors.isEmpty {
        for error in errors { printError(error) }
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
    fail("\(error)", code: 1)
}
