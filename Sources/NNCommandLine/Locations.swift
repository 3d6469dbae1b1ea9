// Locations.swift: where the package's own files are (the embedded default data set, the shipped model).
import Foundation
import NNFormats

public enum Locations {
    /// The package root: $NN_TOOLKIT_HOME, else found from the executable (.build/<triple>/<config>/tool)
    /// or from this source file's path at build time.
    public static var packageRoot: String? {
        var candidates: [String] = []
        if let home = ProcessInfo.processInfo.environment["NN_TOOLKIT_HOME"] { candidates.append(home) }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var url = URL(fileURLWithPath: exe)
            for _ in 0..<5 {
                url.deleteLastPathComponent()
                candidates.append(url.path)
            }
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(source.path)
        return candidates.first { fileExists($0 + "/datasets/default/train-labels-idx1-ubyte.gz") }
    }

    /// The embedded default data set: 5,000 MNIST training images and the 10,000 t10k test images.
    public static func defaultDataDirectory() throws -> String {
        guard let root = packageRoot else {
            throw ToolError("cannot find the embedded default data set (datasets/default in the package); pass --data DIR or set NN_TOOLKIT_HOME")
        }
        return root + "/datasets/default"
    }

    /// The shipped default model.
    public static func defaultModel() throws -> String {
        guard let root = packageRoot, fileExists(root + "/models/mnist-default.nnm") else {
            throw ToolError("cannot find the shipped model (models/mnist-default.nnm in the package); pass -m MODEL or set NN_TOOLKIT_HOME")
        }
        return root + "/models/mnist-default.nnm"
    }
}
