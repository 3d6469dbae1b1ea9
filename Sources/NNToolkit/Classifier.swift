// Classifier.swift: a model loaded for use from Swift: classify PNG data, a pixel buffer or raw values.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNCore
import NNFormats
import NNImage

/// A trained model, ready to classify. Load it from a file or from its bytes, then call `predict`.
///
/// ```swift
/// let digits = try Classifier(contentsOf: "models/mnist-default.nnm")
/// let answer = try digits.predict(png: pngBytes)
/// print(answer.best!.name, answer.best!.probability)
/// ```
///
/// A classifier may be shared between threads: predictions take turns on one network.
public final class Classifier: @unchecked Sendable {
    /// The model as the file holds it (architecture, weights, input scaling, recipe, class names).
    package let model: Model
    /// How pictures become the model's input.
    package let input: ModelInput
    private let network: Network<Float>
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    /// Loads a model file (.nnm; a checkpoint works too).
    public init(contentsOf path: String) throws(ToolkitError) {
        do { model = try ModelFileReader.read(path) } catch { throw ToolkitError.from(error, model: true) }
        input = ModelInput(model: model)
        network = model.network(Float.self)
        pthread_mutex_init(lock, nil)
    }

    /// Reads a model from its bytes (`Data` works: any collection of bytes). `name` labels errors.
    public init(bytes: some Collection<UInt8>, name: String = "model") throws(ToolkitError) {
        do { model = try ModelFileReader.decode(Array(bytes), path: name) } catch { throw ToolkitError.from(error, model: true) }
        input = ModelInput(model: model)
        network = model.network(Float.self)
        pthread_mutex_init(lock, nil)
    }

    /// A model embedded in the binary by the EmbedModel plugin: the model file's bytes as base64.
    public convenience init(embedded base64: StaticString, name: String = "embedded model") throws(ToolkitError) {
        guard let bytes = base64Decoded(base64) else { throw .invalidModel("\(name): the embedded bytes are not base64") }
        try self.init(bytes: bytes, name: name)
    }

    /// A model already in memory.
    package init(model: Model) {
        self.model = model
        input = ModelInput(model: model)
        network = model.network(Float.self)
        pthread_mutex_init(lock, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// The classes' names (empty when the model has none: classes are then named by their index).
    public var classNames: [String] { model.classNames }

    /// "784-300-10 relu softmax-ce": the layers, activation and loss.
    public var architectureSummary: String { model.architecture.summary }

    /// Values per input (784 for a 28x28 picture).
    public var inputSize: Int { model.architecture.inputSize }

    /// Outputs per input (classes, labels or values).
    public var outputSize: Int { model.architecture.outputSize }

    /// The model file's bytes (the format of docs/model-format.md), e.g. to store elsewhere.
    public var fileBytes: [UInt8] { ModelFileWriter.encode(model) }

    /// Writes the model file atomically (a temporary file, then a rename).
    public func write(to path: String) throws(ToolkitError) {
        do { try writeFileAtomically(fileBytes, to: path) } catch {
            throw .unreadableFile(path: path, reason: (error as? FormatError)?.message ?? "\(error)")
        }
    }

    /// What the model's outputs mean.
    public var kind: Prediction.Kind {
        switch model.architecture.output {
        case .softmaxCrossEntropy: return .classes
        case .sigmoidBinaryCrossEntropy: return model.encoding.isBinary ? .classes : .labels
        case .identityMeanSquaredError: return .values
        }
    }

    /// Classifies a PNG (any colour type, bit depth, size; normalised with the model's recipe unless
    /// `normalize` is false). `topK` classes come back, most likely first.
    public func predict(png: some Collection<UInt8>, topK: Int = 1, normalize: Bool = true,
                        maxPixels: Int = PNGLimits.defaultMaxPixels) throws(ToolkitError) -> Prediction {
        let image: GrayImage
        do { image = try decodePNG(Array(png), maxPixels: maxPixels) } catch { throw ToolkitError.from(error, model: false) }
        return try predict(image: image, topK: topK, normalize: normalize)
    }

    /// Classifies an 8-bit grayscale picture, `width * height` bytes row by row (0 black, 255 white; either
    /// polarity when normalised).
    public func predict(pixels: [UInt8], width: Int, height: Int, topK: Int = 1, normalize: Bool = true) throws(ToolkitError) -> Prediction {
        guard width > 0, height > 0, let n = CheckedSize.productOrNil([width, height]), n == pixels.count else {
            throw .inputMismatch("\(pixels.count) bytes are not a \(width)x\(height) picture")
        }
        return try predict(image: GrayImage(width: width, height: height, pixels: pixels), topK: topK, normalize: normalize)
    }

    /// Classifies raw input values as the model's data holds them (e.g. an IDX image's 784 bytes as
    /// numbers 0-255), before the model's input scaling.
    public func predict(values: [Float], topK: Int = 1) throws(ToolkitError) -> Prediction {
        try predict(batch: [values], topK: topK)[0]
    }

    /// Several inputs of raw values at once (one batch through the network: faster than one by one).
    public func predict(batch: [[Float]], topK: Int = 1) throws(ToolkitError) -> [Prediction] {
        let size = model.architecture.inputSize
        guard !batch.isEmpty else { return [] }
        if let bad = batch.firstIndex(where: { $0.count != size }) {
            throw .inputMismatch("input \(bad) has \(batch[bad].count) values, the model takes \(size)")
        }
        let s = Float(model.scaling.scale), o = Float(model.scaling.offset)
        let x = Matrix<Float>(rows: batch.count, cols: size, storage: batch.flatMap { $0.map { $0 * s + o } })
        return try predictions(for: x, topK: topK)
    }

    /// Input bytes (an IDX image, a normalised picture's pixels), scaled exactly as training scaled them.
    public func predict(bytes: [[UInt8]], topK: Int = 1) throws(ToolkitError) -> [Prediction] {
        let size = model.architecture.inputSize
        guard !bytes.isEmpty else { return [] }
        if let bad = bytes.firstIndex(where: { $0.count != size }) {
            throw .inputMismatch("input \(bad) has \(bytes[bad].count) values, the model takes \(size)")
        }
        let data = Dataset(features: bytes.flatMap { $0 }, featureCount: size, labels: [Double](repeating: 0, count: bytes.count))
        return try predictions(for: model.scaling.batch(data, Array(0..<bytes.count)[...], as: Float.self), topK: topK)
    }

    func predict(image: GrayImage, topK: Int, normalize: Bool) throws(ToolkitError) -> Prediction {
        try predict(bytes: [input.bytes(for: image, normalize: normalize).pixels], topK: topK)[0]
    }

    /// The network's outputs for a scaled batch, ranked.
    func predictions(for x: Matrix<Float>, topK: Int) throws(ToolkitError) -> [Prediction] {
        let y = outputs(x)
        return try (0..<y.rows).map { r throws(ToolkitError) in try rank(Array(y.row(r)).map(Double.init), topK: topK) }
    }

    /// The network's outputs [B, outputs] for a scaled batch, one prediction at a time on the network.
    private func outputs(_ x: Matrix<Float>) -> Matrix<Float> {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return network.predict(x)
    }

    /// The raw outputs, a row per input, for inputs of `inputSize` bytes scaled as training scaled them:
    /// for callers that check and format the outputs themselves (nn-predict), then rank them with `rank`.
    package func outputs(bytes: [[UInt8]]) -> [[Double]] {
        guard !bytes.isEmpty else { return [] }
        let data = Dataset(features: bytes.flatMap { $0 }, featureCount: inputSize, labels: [Double](repeating: 0, count: bytes.count))
        let y = outputs(model.scaling.batch(data, Array(bytes.indices)[...], as: Float.self))
        return (0..<y.rows).map { Array(y.row($0)).map(Double.init) }
    }

    /// Ranks one row of outputs: the classes most likely first, ties to the lower index.
    public func rank(_ values: [Double], topK: Int) throws(ToolkitError) -> Prediction {
        if let bad = values.first(where: { !$0.isFinite }) {
            throw .nonFiniteOutput("the model's output is \(bad), not a number: its weights overflow Float arithmetic")
        }
        var ranked: [(Int, Double)]
        switch kind {
        case .values:
            return Prediction(kind: .values, top: [], values: values)
        case .classes where model.encoding.isBinary:
            ranked = [(1, values[0]), (0, 1 - values[0])]
        case .classes, .labels:
            ranked = values.enumerated().map { ($0.offset, $0.element) }
        }
        ranked.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        let top = ranked.prefix(max(1, topK)).map { ClassScore(index: $0.0, name: name(of: $0.0), probability: $0.1) }
        return Prediction(kind: kind, top: top, values: values)
    }

    /// The name of class `index` (its index as text when the model has no names).
    public func name(of index: Int) -> String { index < model.classNames.count ? model.classNames[index] : String(index) }
}

/// RFC 4648 base64 (with padding) of a static string; nil when it is not base64.
func base64Decoded(_ text: StaticString) -> [UInt8]? {
    var value = [Int16](repeating: -1, count: 256)
    for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { value[Int(c)] = Int16(i) }
    return text.withUTF8Buffer { s -> [UInt8]? in
        guard s.count % 4 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(s.count / 4 * 3)
        var i = 0
        while i < s.count {
            var n: UInt32 = 0, pad = 0
            for k in 0..<4 {
                let c = s[i + k]
                if c == UInt8(ascii: "=") && k >= 2 && i + 4 == s.count { pad += 1; n <<= 6; continue }
                let v = value[Int(c)]
                if v < 0 || pad > 0 { return nil }
                n = n << 6 | UInt32(v)
            }
            out.append(UInt8(n >> 16 & 255))
            if pad < 2 { out.append(UInt8(n >> 8 & 255)) }
            if pad < 1 { out.append(UInt8(n & 255)) }
            i += 4
        }
        return out
    }
}
