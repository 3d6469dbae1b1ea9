// The table of data sets: for each, its files (size and SHA-256 of the gz file as published, and
// SHA-256 of the decompressed IDX content) and the mirrors that serve them, tried in order.
// The same table can be read from a text file (`--manifest FILE`), which replaces the built-in one;
// the tests use that to serve small files. Format, one record per line, `#` starts a comment:
//   dataset NAME
//   mirror  URL-or-directory            (for the last dataset)
//   file    NAME SIZE GZ-SHA256 RAW-SHA256   (SIZE and RAW-SHA256 may be `-`)

/// One file of a data set and the digests that make a copy acceptable.
struct FileSpec: Equatable {
    let name: String
    let size: Int?          // bytes of the published gz file, nil if unknown
    let sha256: String      // of the gz file as published
    let rawSHA256: String?  // of the decompressed content; accepts recompressed copies
}

/// A named data set: its files and the mirrors that serve them.
struct DatasetSpec: Equatable {
    let name: String
    var mirrors: [String]
    var files: [FileSpec]
}

enum Manifest {
    /// Built-in table. Sources of each digest are in docs/datasets.md.
    static let builtIn: [DatasetSpec] = [
        DatasetSpec(
            name: "mnist",
            // yann.lecun.com, the original host, answers 403; these are the copies PyTorch and TensorFlow use.
            mirrors: [
                "https://ossci-datasets.s3.amazonaws.com/mnist/",
                "https://storage.googleapis.com/cvdf-datasets/mnist/",
            ],
            files: [
                FileSpec(name: "train-images-idx3-ubyte.gz", size: 9_912_422,
                         sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                         rawSHA256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
                FileSpec(name: "train-labels-idx1-ubyte.gz", size: 28_881,
                         sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                         rawSHA256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
                FileSpec(name: "t10k-images-idx3-ubyte.gz", size: 1_648_877,
                         sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                         rawSHA256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
                FileSpec(name: "t10k-labels-idx1-ubyte.gz", size: 4_542,
                         sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                         rawSHA256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
            ]),
        DatasetSpec(
            name: "fashion-mnist",
            mirrors: [
                "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
            ],
            files: [
                FileSpec(name: "train-images-idx3-ubyte.gz", size: 26_421_880,
                         sha256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                         rawSHA256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
                FileSpec(name: "train-labels-idx1-ubyte.gz", size: 29_515,
                         sha256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                         rawSHA256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
                FileSpec(name: "t10k-images-idx3-ubyte.gz", size: 4_422_102,
                         sha256: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                         rawSHA256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
                FileSpec(name: "t10k-labels-idx1-ubyte.gz", size: 5_148,
                         sha256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                         rawSHA256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
            ]),
    ]

    /// Parses the text format described at the top of this file.
    static func parse(_ text: String, source: String) throws -> [DatasetSpec] {
        var sets = [DatasetSpec]()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = words.first else { continue }
            func fail(_ why: String) -> FetchError { FetchError("\(source):\(index + 1): \(why)") }
            switch (keyword, words.count) {
            case ("dataset", 2):
                sets.append(DatasetSpec(name: words[1], mirrors: [], files: []))
            case ("mirror", 2):
                guard !sets.isEmpty else { throw fail("mirror before any dataset") }
                sets[sets.count - 1].mirrors.append(words[1])
            case ("file", 5):
                guard !sets.isEmpty else { throw fail("file before any dataset") }
                guard isDigest(words[3]), words[4] == "-" || isDigest(words[4]) else { throw fail("digest is not 64 hex digits") }
                guard words[2] == "-" || Int(words[2]) != nil else { throw fail("size is not a number") }
                sets[sets.count - 1].files.append(FileSpec(
                    name: words[1], size: Int(words[2]), sha256: words[3].lowercased(),
                    rawSHA256: words[4] == "-" ? nil : words[4].lowercased()))
            default:
                throw fail("expected `dataset NAME`, `mirror URL` or `file NAME SIZE SHA256 RAW-SHA256`")
            }
        }
        return sets
    }

    /// The table in the text format, as `nn-fetch list` prints it.
    static func render(_ sets: [DatasetSpec]) -> String {
        var out = ""
        for set in sets {
            out += "dataset \(set.name)\n"
            for mirror in set.mirrors { out += "mirror  \(mirror)\n" }
            for file in set.files {
                out += "file    \(file.name) \(file.size.map(String.init) ?? "-") \(file.sha256) \(file.rawSHA256 ?? "-")\n"
            }
            out += "\n"
        }
        return out
    }

    static func isDigest(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0 | 0x20) }
    }
}
