// Locations.swift: where the package's own files are (the embedded default data set, the shipped model).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNFormats

public enum Locations {
    /// Where the embedded data set and the shipped models are, in this order: $NN_TOOLKIT_HOME; an
    /// installed copy, PREFIX/share/nn-toolkit beside PREFIX/bin/tool (install.sh); the checkout the
    /// executable was built in (.build/<triple>/<config>/tool, up to five levels up). Nothing is compiled in,
    /// so a moved checkout and an installed copy both keep working.
    public static var packageRoot: String? {
        var candidates: [String] = []
        if let home = getenv("NN_TOOLKIT_HOME") { candidates.append(String(cString: home)) }
        if let exe = executablePath {
            let bin = parentDirectory(exe)
            candidates.append(parentDirectory(bin) + "/share/nn-toolkit")
            var dir = bin
            for _ in 0..<5 {
                candidates.append(dir)
                dir = parentDirectory(dir)
            }
        }
        return candidates.first { fileExists($0 + "/datasets/default/train-labels-idx1-ubyte.gz") }
    }

    /// The running executable's path (Linux: the /proc/self/exe link).
    static var executablePath: String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// "/a/b/c" -> "/a/b"; "/a" -> "/".
    static func parentDirectory(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The embedded default data set: 5,000 MNIST training images and the 10,000 t10k test images.
    public static func defaultDataDirectory() throws -> String {
        guard let root = packageRoot else {
            throw ToolError("cannot find the embedded default data set (datasets/default of the checkout, or PREFIX/share/nn-toolkit of an install); pass --data DIR or set NN_TOOLKIT_HOME")
        }
        return root + "/datasets/default"
    }

    /// The shipped default model: the CNN, which reads photos better than the MLP (models/README.md).
    public static func defaultModel() throws -> String {
        guard let root = packageRoot, fileExists(root + "/models/mnist-cnn.nnm") else {
            throw ToolError("cannot find the shipped model (models/mnist-cnn.nnm of the checkout, or PREFIX/share/nn-toolkit of an install); pass -m MODEL or set NN_TOOLKIT_HOME")
        }
        return root + "/models/mnist-cnn.nnm"
    }
}
