// IDXDataset.swift: an images file and a labels file together, checked against each other.
import NNCore

/// Where a data set's files are.
public struct DataFiles: Equatable, Sendable {
    public var images: String
    public var labels: String
    public init(images: String, labels: String) {
        self.images = images
        self.labels = labels
    }
}

/// A loaded labelled set and the shape of one sample.
public struct LoadedDataset: Sendable {
    public var dataset: Dataset
    /// e.g. [28, 28]
    public var sampleShape: [Int]
    public var files: DataFiles
    /// The images' and labels' fingerprints, when asked for (`load(_:fingerprint: true)`).
    public var fingerprints: (images: FileFingerprint, labels: FileFingerprint)? = nil
}

public enum IDXDataset {
    /// The standard four file names in a directory, gzipped or not: (train, test).
    public static func standardFiles(in dir: String, split: String) throws -> DataFiles {
        let prefix = split == "train" ? "train" : "t10k"
        var st = stat()
        if stat(dir, &st) != 0 { throw FormatError(dir, String(cString: strerror(errno))) }
        if (st.st_mode & S_IFMT) != S_IFDIR { throw FormatError(dir, "is not a directory (--data takes a directory with the IDX files)") }
        func find(_ stem: String) throws -> String {
            for name in ["\(prefix)-\(stem).gz", "\(prefix)-\(stem)", "\(prefix)-\(stem.replacingDash()).gz", "\(prefix)-\(stem.replacingDash())"] {
                let p = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                if fileExists(p) { return p }
            }
            throw FormatError(dir, "no \(prefix)-\(stem)[.gz] in this directory")
        }
        return DataFiles(images: try find("images-idx3-ubyte"), labels: try find("labels-idx1-ubyte"))
    }

    /// Loads images (unsigned bytes, [N, ...]) and labels ([N]) and checks that they belong together;
    /// with `fingerprint`, also fingerprints both files (what a checkpoint records of its data).
    public static func load(_ files: DataFiles, fingerprint: Bool = false) throws -> LoadedDataset {
        let (images, imagesPrint) = fingerprint ? try IDXReader.readFingerprinted(files.images) : (try IDXReader.read(files.images), nil)
        let (labels, labelsPrint) = fingerprint ? try IDXReader.readFingerprinted(files.labels) : (try IDXReader.read(files.labels), nil)
        if images.elementType != .uint8 {
            throw FormatError(files.images, "images must be unsigned bytes (IDX type 0x08), this file has type \(images.elementType)")
        }
        if images.dimensions.count < 2 {
            throw FormatError(files.images, "images need at least 2 dimensions (count, features), this file has \(images.dimensions.count)")
        }
        if labels.dimensions.count != 1 {
            throw FormatError(files.labels, "labels must be 1-dimensional, this file has dimensions \(labels.dimensions)")
        }
        if images.count != labels.count {
            throw FormatError(files.images, "holds \(images.count) images but \(files.labels) holds \(labels.count) labels")
        }
        if images.count == 0 { throw FormatError(files.images, "holds no images") }
        if images.itemSize == 0 { throw FormatError(files.images, "images have 0 values each") }
        let values = labels.values()
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw FormatError(files.labels, "label \(bad) is not a finite number")
        }
        var loaded = LoadedDataset(dataset: Dataset(features: images.data, featureCount: images.itemSize, labels: values),
                                   sampleShape: Array(images.dimensions.dropFirst()), files: files)
        if let imagesPrint, let labelsPrint { loaded.fingerprints = (imagesPrint, labelsPrint) }
        return loaded
    }
}

extension String {
    /// "images-idx3-ubyte" -> "images.idx3-ubyte" (some mirrors use dots).
    fileprivate func replacingDash() -> String {
        guard let i = firstIndex(of: "-") else { return self }
        var s = self
        s.replaceSubrange(i...i, with: ".")
        return s
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
public func fileExists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0
}
