// ModelFile.swift: the versioned binary model file (.nnm), specified in docs/model-format.md.
//
// Like PNG: a signature, a version, then typed, length-prefixed, CRC-checked sections. A section whose
// type starts with an upper-case letter is required (a reader that does not know it refuses the file);
// lower-case means optional (skipped when unknown). All numbers are little-endian.
import CZlib
import NNCore

/// Everything a model file holds: the network, how its inputs are prepared, and where it came from.
public struct Model: Equatable, Sendable {
    public var architecture: Architecture
    /// Every stored tensor in layer order (`architecture.tensors`): W1, b1, [gamma1, beta1, mean1, var1],
    /// W2, b2, ...; dense weights [inputs, outputs], convolution weights [filters, channels*kh*kw], biases
    /// and batch-norm tensors [1, features].
    public var parameters: [Matrix<Float>]
    /// Shape of one input, e.g. [28, 28] for images read by a dense layer, [1, 28, 28] for a convolution.
    public var inputShape: [Int] {
        get { architecture.inputShape }
        set { architecture.inputShape = newValue }
    }
    public var scaling: InputScaling
    /// Binary tasks on multi-class labels: which label counts as 1.
    public var positiveClass: Int?
    /// How images are normalised before they reach the network (nn-predict), if any.
    public var imageRecipe: ImageRecipe?
    /// Optional display names of the classes.
    public var classNames: [String]
    /// Training metadata, in order: tool version, data set, seed, epochs, final metrics...
    public var metadata: [MetadataEntry]

    public init(architecture: Architecture, parameters: [Matrix<Float>], inputShape: [Int], scaling: InputScaling = InputScaling(),
                positiveClass: Int? = nil, imageRecipe: ImageRecipe? = nil, classNames: [String] = [], metadata: [MetadataEntry] = []) {
        self.architecture = architecture
        self.architecture.inputShape = inputShape
        self.parameters = parameters
        self.scaling = scaling
        self.positiveClass = positiveClass
        self.imageRecipe = imageRecipe
        self.classNames = classNames
        self.metadata = metadata
    }

    /// Builds a model from a trained network.
    public init(network: Network<Float>, scaling: InputScaling, positiveClass: Int? = nil,
                imageRecipe: ImageRecipe? = nil, classNames: [String] = [], metadata: [MetadataEntry] = []) {
        self.init(architecture: network.architecture, parameters: network.allTensors.map { $0.value }, inputShape: network.inputShape,
                  scaling: scaling, positiveClass: positiveClass, imageRecipe: imageRecipe, classNames: classNames, metadata: metadata)
    }

    /// The network in float type T, ready to run.
    public func network<T: NNFloat>(_: T.Type = T.self) -> Network<T> {
        Network<T>(architecture: architecture, parameterValues: parameters.map { $0.converted() })
    }

    /// Why a model that is sound in structure (sizes, finite values) would still compute nonsense, or nil.
    /// Every way in checks it: the model file's reader and the ONNX and .npz importers.
    public var problem: String? {
        if let p = positiveClass {
            if p < 0 { return "positive class \(p) is not a label" }
            if p > Int(Int32.max) { return "positive class \(p) does not fit the model file's 32-bit field" }
            if architecture.output != .sigmoidBinaryCrossEntropy || architecture.outputSize != 1 {
                return "a positive class (\(p)) belongs to a yes/no model (sigmoid-bce with 1 output), not to this \(architecture.output.rawValue) model with \(architecture.outputSize) outputs"
            }
        }
        // the network runs in Float: every input value, byte * scale + offset (0 to 255), must be finite there
        let scale = Float(scaling.scale), offset = Float(scaling.offset)
        if !scale.isFinite || !offset.isFinite || !(255 * scale + offset).isFinite {
            return "the input scaling (scale \(scaling.scale), offset \(scaling.offset)) makes pixel values that are not finite in single precision"
        }
        // batch norm divides by sqrt(running variance + epsilon): a negative variance gives NaN
        for (tensor, value) in zip(architecture.tensors, parameters) where tensor.spec.role == .runningVariance {
            if let k = value.storage.firstIndex(where: { $0 < 0 }) {
                return "tensor \(tensor.name) (a running variance) is negative (\(value.storage[k])) at index \(k)"
            }
        }
        return nil
    }

    public var encoding: TargetEncoding {
        TargetEncoding(output: architecture.output, outputCount: architecture.outputSize, positiveClass: positiveClass)
    }

    public func metadataValue(_ key: String) -> String? { metadata.first { $0.key == key }?.value }

    /// The size of a one-channel image the network takes: an input shape [H, W] or [1, H, W].
    public var imageSize: (height: Int, width: Int)? {
        let s = inputShape
        if s.count == 2 { return (s[0], s[1]) }
        if s.count == 3 && s[0] == 1 { return (s[1], s[2]) }
        return nil
    }
}

/// An image normalisation recipe: a name and its numeric parameters.
public struct ImageRecipe: Equatable, Sendable {
    public var name: String
    public var parameters: [String: Double]
    public init(name: String, parameters: [String: Double]) {
        self.name = name
        self.parameters = parameters
    }
}

public struct MetadataEntry: Equatable, Sendable {
    public var key: String
    public var value: String
    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// Format constants.
public enum ModelFormat {
    /// 0x89 'N' 'N' 'M' CR LF 0x1A LF: non-ASCII first byte, and line-ending damage is detectable (as in PNG).
    public static let magic: [UInt8] = [0x89, 0x4E, 0x4E, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A]
    public static let major: UInt16 = 1
    /// The newest minor version this build writes and reads. A file is stamped with the lowest minor
    /// version that knows all of its layer kinds (at least 1.1): 1.1 added batch norm and dropout, 1.2
    /// convolution, pooling and flatten.
    public static let minor: UInt16 = LayerKinds.all.map { $0.sinceMinorVersion }.reduce(1, max)

    /// "reads 1.x, writes 1.1-1.2", for --version.
    public static var versionText: String { "model files: reads \(major).x, writes \(major).1-\(major).\(minor)" }

    /// The version a file holding these layers is stamped with.
    public static func minorVersion(for architecture: Architecture) -> UInt16 {
        architecture.layers.map { type(of: $0).sinceMinorVersion }.reduce(1, max)
    }
}

// MARK: - Writer

/// Encodes a `Model`. Deterministic: the same model gives the same bytes.
public enum ModelFileWriter {
    public static func encode(_ model: Model) -> [UInt8] {
        var out = ModelFormat.magic
        out.appendLE(ModelFormat.major)
        out.appendLE(ModelFormat.minorVersion(for: model.architecture))

        var head = [UInt8]()
        head.appendLE(UInt32(model.architecture.layers.count))
        for layer in model.architecture.layers {
            head.append(type(of: layer).code)
            for field in layer.fields {
                switch field {
                case .byte(let b): head.append(b)
                case .count(let n): head.appendLE(UInt32(n))
                case .real(let r): head.appendLE(r.bitPattern)
                }
            }
        }
        head.append(outputCode(model.architecture.output))
        head.appendLE(Int32(exactly: model.positiveClass ?? -1) ?? -1)   // larger ones: Model.problem refuses them
        appendSection(&out, "HEAD", head)

        var inpt = [UInt8]()
        inpt.appendLE(UInt32(model.inputShape.count))
        for d in model.inputShape { inpt.appendLE(UInt32(d)) }
        inpt.appendLE(model.scaling.scale.bitPattern)
        inpt.appendLE(model.scaling.offset.bitPattern)
        appendSection(&out, "INPT", inpt)

        var wght = [UInt8]()
        wght.appendLE(UInt32(model.parameters.count))
        for t in model.parameters {
            wght.appendLE(UInt32(t.rows))
            wght.appendLE(UInt32(t.cols))
            wght.appendLE(floats: t.storage)
        }
        appendSection(&out, "WGHT", wght)

        if let recipe = model.imageRecipe {
            var norm = [UInt8]()
            norm.appendString(recipe.name)
            norm.appendLE(UInt32(recipe.parameters.count))
            for key in recipe.parameters.keys.sorted() {
                norm.appendString(key)
                norm.appendLE(recipe.parameters[key]!.bitPattern)
            }
            appendSection(&out, "norm", norm)
        }
        if !model.classNames.isEmpty {
            var labl = [UInt8]()
            labl.appendLE(UInt32(model.classNames.count))
            for n in model.classNames { labl.appendString(n) }
            appendSection(&out, "labl", labl)
        }
        if !model.metadata.isEmpty {
            var meta = [UInt8]()
            meta.appendLE(UInt32(model.metadata.count))
            for e in model.metadata {
                meta.appendString(e.key)
                meta.appendString(e.value)
            }
            appendSection(&out, "meta", meta)
        }
        appendSection(&out, "IEND", [])
        return out
    }

    /// Appends one section: u32 length of data, 4-byte type, data, u32 CRC-32 of type + data.
    public static func appendSection(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
        let typeBytes = Array(type.utf8)
        precondition(typeBytes.count == 4)
        out.appendLE(UInt32(data.count))
        out.append(contentsOf: typeBytes)
        out.append(contentsOf: data)
        out.appendLE(crc32Of(typeBytes, data))
    }
}

// MARK: - Reader

/// Decodes and validates model files. Every failure is a `FormatError` with its own message.
public enum ModelFileReader {
    public static func read(_ path: String) throws -> Model {
        try decode(readWholeFile(path, limit: SizeLimits.maxModelFileBytes, kind: "a model file", checkStart: startCheck(path)), path: path)
    }

    /// Refuses input that does not start like a model file after its first bytes (/dev/zero, a PNG).
    public static func startCheck(_ path: String) -> ([UInt8]) throws -> Void {
        { start in
            if start.count >= 8 && Array(start.prefix(8)) != ModelFormat.magic { throw FormatError(path, "not a model file (wrong magic bytes)") }
        }
    }

    /// The optional sections this reader does not interpret itself (checkpoints use them), by type.
    public static func optionalSections(_ bytes: [UInt8], path: String) throws -> [String: [UInt8]] {
        try sections(bytes, path: path).filter { $0.key.first?.isLowercase == true }
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> Model {
        func fail(_ m: String) -> FormatError { FormatError(path, m) }
        let sections = try self.sections(bytes, path: path)
        return try model(from: sections, path: path)
    }

    /// Checks the signature, version, framing and CRCs; returns every section's data by type.
    static func sections(_ bytes: [UInt8], path: String) throws -> [String: [UInt8]] {
        func fail(_ m: String) -> FormatError { FormatError(path, m) }
        if bytes.isEmpty { throw fail("empty file, not a model") }
        if bytes.count < 8 || Array(bytes[0..<8]) != ModelFormat.magic {
            throw fail("not a model file (wrong magic bytes)")
        }
        var r = ByteReader(bytes, offset: 8)
        guard let major: UInt16 = r.le(), let minor: UInt16 = r.le() else { throw fail("truncated: no format version") }
        if major > ModelFormat.major {
            throw fail("model format \(major).\(minor) is newer than this build reads (\(ModelFormat.major).x)")
        }
        if major == 0 { throw fail("model format \(major).\(minor) is not a released version") }

        var sections: [String: [UInt8]] = [:]
        var sawEnd = false
        while !sawEnd {
            if r.remaining == 0 { throw fail("truncated: the file ends without an IEND section") }
            guard let length: UInt32 = r.le(), let typeBytes = r.bytes(4) else {
                throw fail("truncated section header at byte \(r.offset)")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            guard typeBytes.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }) else {
                throw fail("corrupt section type at byte \(r.offset - 4)")
            }
            guard Int(length) <= r.remaining, let data = r.bytes(Int(length)) else {
                throw fail("truncated: section '\(type)' needs \(length) bytes, \(r.remaining) remain")
            }
            guard let stored: UInt32 = r.le() else { throw fail("truncated: section '\(type)' has no CRC") }
            let computed = crc32Of(typeBytes, data)
            if stored != computed {
                throw fail("CRC mismatch in section '\(type)' (stored \(hex(stored)), computed \(hex(computed))): the file is corrupt")
            }
            switch type {
            case "HEAD", "INPT", "WGHT":
                if sections[type] != nil { throw fail("section '\(type)' appears twice") }
                sections[type] = data
            case "IEND":
                sawEnd = true
            default:
                if typeBytes[0] >= 65 && typeBytes[0] <= 90 {
                    throw fail("unknown required section '\(type)' (written by a newer tool?)")
                }
                // optional sections: kept for whoever knows them, skipped by the others
                if sections[type] != nil { throw fail("section '\(type)' appears twice") }
                sections[type] = data
            }
        }
        if r.remaining > 0 { throw fail("\(r.remaining) bytes after the IEND section") }
        return sections
    }

    static func model(from sections: [String: [UInt8]], path: String) throws -> Model {
        func fail(_ m: String) -> FormatError { FormatError(path, m) }
        for required in ["HEAD", "INPT", "WGHT"] where sections[required] == nil {
            throw fail("missing required section '\(required)'")
        }

        // HEAD: architecture
        var h = ByteReader(sections["HEAD"]!)
        func headFail(_ m: String) -> FormatError { fail("section HEAD: \(m)") }
        guard let layerCount: UInt32 = h.le(), layerCount <= 10_000 else { throw headFail("bad layer count") }
        var layers: [any LayerSpec] = []
        for i in 0..<Int(layerCount) {
            guard let code = h.byte() else { throw headFail("truncated at layer \(i + 1)") }
            guard let kind = LayerKinds.kind(code: code) else {
                throw headFail("unknown layer kind \(code) at layer \(i + 1) (written by a newer tool?)")
            }
            var fields: [LayerField] = []
            for k in kind.fieldKinds {
                switch k {
                case .byte: h.byte().map { fields.append(.byte($0)) }
                case .count: (h.le() as UInt32?).map { fields.append(.count(Int($0))) }
                case .real: (h.le() as UInt64?).map { fields.append(.real(Double(bitPattern: $0))) }
                }
            }
            guard fields.count == kind.fieldKinds.count else { throw headFail("truncated at layer \(i + 1)") }
            do { layers.append(try kind.init(fields: fields)) } catch { throw headFail("layer \(i + 1): \(error.message)") }
        }
        guard let oc = h.byte(), let output = outputKind(oc) else { throw headFail("unknown output kind") }
        guard let positive: Int32 = h.le() else { throw headFail("truncated") }
        if positive < -1 { throw headFail("positive class \(positive) (-1 for none, else a label)") }
        if h.remaining != 0 { throw headFail("\(h.remaining) unexpected trailing bytes") }

        // INPT: input shape and scaling
        var p = ByteReader(sections["INPT"]!)
        guard let rank: UInt32 = p.le(), rank >= 1, rank <= 8 else { throw fail("section INPT: bad input rank") }
        var shape: [Int] = []
        for _ in 0..<rank {
            guard let d: UInt32 = p.le() else { throw fail("section INPT: truncated") }
            shape.append(Int(d))
        }
        guard let scaleBits: UInt64 = p.le(), let offsetBits: UInt64 = p.le(), p.remaining == 0 else {
            throw fail("section INPT: wrong size")
        }
        let scaling = InputScaling(scale: Double(bitPattern: scaleBits), offset: Double(bitPattern: offsetBits))
        if !scaling.scale.isFinite || !scaling.offset.isFinite { throw fail("section INPT: non-finite input scaling") }
        let architecture = Architecture(inputShape: shape, layers: layers, output: output)
        if let problem = architecture.validate() {
            throw fail("inconsistent sizes: input \(CheckedSize.shape(shape)): \(problem)")
        }

        // WGHT: tensors, checked against the architecture
        var w = ByteReader(sections["WGHT"]!)
        guard let tensorCount: UInt32 = w.le() else { throw fail("section WGHT: truncated") }
        let expected = architecture.tensors.map { ($0.name, $0.spec.rows, $0.spec.cols) }
        if Int(tensorCount) != expected.count {
            throw fail("inconsistent sizes: \(tensorCount) weight tensors, the architecture needs \(expected.count)")
        }
        var parameters: [Matrix<Float>] = []
        for (name, er, ec) in expected {
            guard let rows: UInt32 = w.le(), let cols: UInt32 = w.le() else { throw fail("section WGHT: truncated at tensor \(name)") }
            if Int(rows) != er || Int(cols) != ec {
                throw fail("inconsistent sizes: tensor \(name) is \(rows)x\(cols), the architecture needs \(er)x\(ec)")
            }
            let n = er * ec   // within SizeLimits.maxTensorElements: validated above
            if n > SizeLimits.maxTensorElements || w.remaining < 4 * n { throw fail("section WGHT: truncated in tensor \(name)") }
            let storage = w.floats(n)
            if let k = storage.firstIndex(where: { !$0.isFinite }) {
                throw fail("tensor \(name) has a non-finite value (\(storage[k])) at index \(k)")
            }
            parameters.append(Matrix(rows: Int(rows), cols: Int(cols), storage: storage))
        }
        if w.remaining != 0 { throw fail("section WGHT: \(w.remaining) unexpected trailing bytes") }

        var recipe: ImageRecipe? = nil
        if let data = sections["norm"] {
            var n = ByteReader(data)
            guard let name = n.string(), let count: UInt32 = n.le(), count < 1000 else { throw fail("section norm: corrupt") }
            var params: [String: Double] = [:]
            for _ in 0..<count {
                guard let k = n.string(), let v: UInt64 = n.le() else { throw fail("section norm: corrupt") }
                params[k] = Double(bitPattern: v)
            }
            recipe = ImageRecipe(name: name, parameters: params)
        }
        var classNames: [String] = []
        if let data = sections["labl"] {
            var l = ByteReader(data)
            guard let count: UInt32 = l.le(), count < 1_000_000 else { throw fail("section labl: corrupt") }
            for _ in 0..<count {
                guard let s = l.string() else { throw fail("section labl: corrupt") }
                classNames.append(s)
            }
        }
        var metadata: [MetadataEntry] = []
        if let data = sections["meta"] {
            var m = ByteReader(data)
            guard let count: UInt32 = m.le(), count < 100_000 else { throw fail("section meta: corrupt") }
            for _ in 0..<count {
                guard let k = m.string(), let v = m.string() else { throw fail("section meta: corrupt") }
                metadata.append(MetadataEntry(k, v))
            }
        }
        let model = Model(architecture: architecture, parameters: parameters, inputShape: shape, scaling: scaling,
                          positiveClass: positive < 0 ? nil : Int(positive), imageRecipe: recipe, classNames: classNames,
                          metadata: metadata)
        if let problem = model.problem { throw fail(problem) }
        return model
    }
}

// MARK: - Codes and helpers

private func outputCode(_ o: OutputKind) -> UInt8 {
    switch o {
    case .softmaxCrossEntropy: return 1
    case .sigmoidBinaryCrossEntropy: return 2
    case .identityMeanSquaredError: return 3
    }
}
private func outputKind(_ c: UInt8) -> OutputKind? {
    [1: .softmaxCrossEntropy, 2: .sigmoidBinaryCrossEntropy, 3: .identityMeanSquaredError][c]
}

private func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - s.count) + s
}

/// zlib's CRC-32 over the section type and data.
func crc32Of(_ type: [UInt8], _ data: [UInt8]) -> UInt32 {
    var c = crc32(0, nil, 0)
    c = type.withUnsafeBufferPointer { crc32(c, $0.baseAddress, uInt($0.count)) }
    c = data.withUnsafeBufferPointer { crc32(c, $0.baseAddress, uInt($0.count)) }
    return UInt32(c)
}

extension Array where Element == UInt8 {
    package mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        var x = v.littleEndian
        Swift.withUnsafeBytes(of: &x) { append(contentsOf: $0) }
    }
    package mutating func appendString(_ s: String) {
        let b = Array(s.utf8)
        appendLE(UInt32(b.count))
        append(contentsOf: b)
    }
    /// Appends floats as little-endian binary32, in one pass.
    package mutating func appendLE(floats: [Float]) {
        #if _endian(little)
        floats.withUnsafeBytes { append(contentsOf: $0) }
        #else
        for v in floats { appendLE(v.bitPattern) }
        #endif
    }
}

/// Bounds-checked little-endian reads; every read returns nil past the end.
package struct ByteReader {
    package let bytes: [UInt8]
    package var offset: Int
    package init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }
    package var remaining: Int { bytes.count - offset }
    package mutating func byte() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }
    package mutating func le<T: FixedWidthInteger>() -> T? {
        let n = MemoryLayout<T>.size
        guard remaining >= n else { return nil }
        var v: T = 0
        for k in 0..<n { v |= T(truncatingIfNeeded: bytes[offset + k]) << (8 * k) }
        offset += n
        return v
    }
    package mutating func bytes(_ n: Int) -> [UInt8]? {
        guard n >= 0, remaining >= n else { return nil }
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }
    /// n little-endian binary32 values (the caller has checked that 4n bytes remain).
    package mutating func floats(_ n: Int) -> [Float] {
        var out = [Float](repeating: 0, count: n)
        #if _endian(little)
        out.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset..<(offset + 4 * n)])) }
        }
        offset += 4 * n
        #else
        for k in 0..<n { out[k] = Float(bitPattern: le()!) }
        #endif
        return out
    }
    package mutating func string() -> String? {
        guard let n: UInt32 = le(), let b = bytes(Int(n)) else { return nil }
        return String(validating: b, as: UTF8.self)
    }
}
