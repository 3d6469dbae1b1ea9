// NPZImport.swift: the book's NumPy networks (Deep Learning from Scratch: TwoLayerNet, MultiLayerNet,
// MultiLayerNetExtend) from their `params` dictionary saved with np.savez(path, **net.params):
//
//   W1 [inputs, h1], b1 [h1], W2 [h1, h2], b2 [h2], ..., Wn, bn       the affine layers
//   gamma1, beta1 [h1], ...                                           batch norm after hidden layer k
//   running_mean1, running_var1 [h1], ... (or mean1, var1)            its running averages (optional)
//
// The file does not say the activation or the output layer: the caller does (--activation, --loss). The
// layers are the book's order: Affine, [BatchNorm], activation, ..., Affine, output. Every shape is
// checked against its neighbours and every problem is reported, one line each.
import NNCore
import NNFormats

public struct NPZImportOptions: Sendable {
    public var activation: Activation
    public var loss: OutputKind
    /// The book's load_mnist(normalize=True) divides by 255.
    public var inputScaling: InputScaling
    public var inputShape: [Int]?
    public init(activation: Activation, loss: OutputKind = .softmaxCrossEntropy, inputScaling: InputScaling = InputScaling(),
                inputShape: [Int]? = nil) {
        self.activation = activation
        self.loss = loss
        self.inputScaling = inputScaling
        self.inputShape = inputShape
    }
}

public enum NPZImport {
    public static func read(_ path: String, options: NPZImportOptions) throws -> (model: Model, notes: [String]) {
        try model(NPZFile.read(path), path: path, options: options)
    }

    /// The model, and notes about defaults taken (batch norm without running averages).
    public static func model(_ arrays: [(name: String, array: NPYArray)], path: String, options: NPZImportOptions) throws -> (model: Model, notes: [String]) {
        var problems: [String] = []
        var byName: [String: NPYArray] = [:]
        for (name, a) in arrays { byName[name] = a }
        func array(_ prefix: String, _ k: Int) -> NPYArray? { byName["\(prefix)\(k)"] }

        var n = 0
        while array("W", n + 1) != nil { n += 1 }
        if n == 0 { throw FormatError(path, "no W1: not the book's params dictionary (W1, b1, W2, b2, ...); it holds \(arrays.map { $0.name }.joined(separator: ", "))") }
        let statNames = ["running_mean", "running_var", "mean", "var"]
        var known = Set<String>()
        for k in 1...n {
            known.formUnion(["W\(k)", "b\(k)", "gamma\(k)", "beta\(k)"])
            for s in statNames { known.insert("\(s)\(k)") }
        }
        for (name, _) in arrays where !known.contains(name) {
            if name.hasPrefix("W"), let k = Int(name.dropFirst()), k > n + 1 {
                problems.append("W\(n + 1) is missing (the file has \(name))")
            } else {
                problems.append("array '\(name)' is not a parameter of the book's networks (W1, b1, ..., gamma1, beta1, running_mean1, running_var1)")
            }
        }

        func shape(_ a: NPYArray) -> String { NPYFile.shapeText(a.shape) }
        /// A vector of `length` values: shape (length,) or (1, length).
        func vector(_ name: String, _ a: NPYArray, _ length: Int, _ why: String) -> Bool {
            if a.shape == [length] || a.shape == [1, length] { return true }
            problems.append("\(name) has shape \(shape(a)), \(why) needs (\(length),)")
            return false
        }
        var layers: [any LayerSpec] = []
        var parameters: [Matrix<Float>] = []
        var notes: [String] = []
        var width: Int? = nil
        for k in 1...n {
            let w = array("W", k)!
            guard w.shape.count == 2, w.shape[0] > 0, w.shape[1] > 0 else {
                problems.append("W\(k) has shape \(shape(w)); a weight matrix is 2-D (inputs, outputs)")
                width = nil
                continue
            }
            let (rows, cols) = (w.shape[0], w.shape[1])
            if let width, width != rows { problems.append("W\(k) has shape \(shape(w)): \(rows) inputs, but W\(k - 1) gives \(width) outputs") }
            width = cols
            layers.append(AffineSpec(inputs: rows, outputs: cols))
            parameters.append(Matrix(rows: rows, cols: cols, storage: w.floats))
            if let b = array("b", k) {
                if vector("b\(k)", b, cols, "W\(k) \(shape(w))") { parameters.append(Matrix(rows: 1, cols: cols, storage: b.floats)) }
            } else {
                problems.append("b\(k) is missing (W\(k) has shape \(shape(w)))")
            }
            let gamma = array("gamma", k), beta = array("beta", k)
            let mean = array("running_mean", k) ?? array("mean", k), variance = array("running_var", k) ?? array("var", k)
            if k == n {
                for (name, a) in [("gamma", gamma), ("beta", beta), ("running_mean", mean), ("running_var", variance)] where a != nil {
                    problems.append("\(name)\(k) belongs to the output layer W\(k), which has no batch norm")
                }
                continue
            }
            if gamma != nil || beta != nil || mean != nil || variance != nil {
                guard let gamma, let beta else {
                    problems.append("batch norm \(k) needs both gamma\(k) and beta\(k)")
                    layers.append(ActivationSpec(options.activation))
                    continue
                }
                var ok = vector("gamma\(k)", gamma, cols, "W\(k) \(shape(w))")
                ok = vector("beta\(k)", beta, cols, "W\(k) \(shape(w))") && ok
                var stats = [Matrix<Float>(rows: 1, cols: cols), Matrix<Float>(rows: 1, cols: cols, repeating: 1)]
                if let mean, let variance {
                    ok = vector("running_mean\(k)", mean, cols, "W\(k) \(shape(w))") && ok
                    ok = vector("running_var\(k)", variance, cols, "W\(k) \(shape(w))") && ok
                    if ok { stats = [Matrix(rows: 1, cols: cols, storage: mean.floats), Matrix(rows: 1, cols: cols, storage: variance.floats)] }
                } else if mean != nil || variance != nil {
                    problems.append("batch norm \(k) needs both running_mean\(k) and running_var\(k), or neither")
                } else {
                    notes.append("batch norm \(k) has no running_mean\(k)/running_var\(k): set to 0 and 1 (training-mode checks such as nn-gradcheck are unaffected; inference is not the book's)")
                }
                if ok {
                    layers.append(BatchNormSpec(features: cols))
                    parameters += [Matrix(rows: 1, cols: cols, storage: gamma.floats), Matrix(rows: 1, cols: cols, storage: beta.floats)] + stats
                }
            }
            layers.append(ActivationSpec(options.activation))
        }
        for (name, a) in arrays where known.contains(name) {
            let values: [Double]
            switch a.values {
            case .float(let v): values = v.map(Double.init)
            case .double(let v): values = v
            }
            if let k = values.firstIndex(where: { !$0.isFinite || $0.magnitude > Double(Float.greatestFiniteMagnitude) }) {
                problems.append("\(name) has a value float32 cannot hold (\(values[k])) at index \(k)")
            }
        }
        if problems.count == 1 { throw FormatError(path, problems[0]) }
        if problems.count > 1 { throw FormatErrors(problems.map { FormatError(path, $0) }) }

        let inputs = (layers.first as? AffineSpec)?.inputs ?? 0
        let architecture = Architecture(inputShape: [inputs], layers: layers, output: options.loss)
        if let problem = architecture.validate() { throw FormatError(path, "not a network nn-model can build: \(problem)") }
        let shape = options.inputShape ?? ONNXImport.defaultShape([inputs])
        if ONNXFormat.elementCount(shape) != inputs {
            throw FormatError(path, "--input-shape \(shape.map(String.init).joined(separator: "x")) has \(ONNXFormat.elementCount(shape).map(String.init) ?? "too many") values, W1 takes \(inputs)")
        }
        let model = Model(architecture: architecture, parameters: parameters, inputShape: shape, scaling: options.inputScaling,
                          metadata: [MetadataEntry("source-format", "npz (the book's params: W1, b1, ...)")])
        if let problem = model.problem { throw FormatError(path, problem) }
        return (model, notes)
    }
}
