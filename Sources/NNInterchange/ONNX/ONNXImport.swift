// ONNXImport.swift: an ONNX graph (from nn-model, torch.onnx.export, onnx.helper, ...) as a model.
//
// The graph must be a chain: from its one data input, each value feeds exactly one node, up to a graph
// output. Each node is read by ONNXLayerTable.importNode; its other inputs must be constants
// (initializers or Constant nodes). Anything else is refused as "node 'NAME' (OP): why".
//
// What the graph does not say comes from ONNXImportOptions, else from nn-toolkit's own metadata_props
// (files nn-model exported), else defaults:
//   output kind   a trailing Softmax / LogSoftmax (softmax-ce) or Sigmoid (sigmoid-bce); without one,
//                 --loss must say (mse for a regression, softmax-ce for logits a softmax was trained on)
//   scaling       leading Mul / Div / Add / Sub by scalars; without them inputs are used as given
//                 (scale 1), unless --input-scale says otherwise
//   input shape   the graph input's dimensions after the batch, size-1 dimensions dropped; a flat 784 is
//                 taken as 28x28 (MNIST); --input-shape says otherwise. A convolutional graph's input is
//                 [N, C, H, W] and its shape is [C, H, W] as given.
import NNCore
import NNFormats

/// What the caller knows that an ONNX file may not say.
public struct ONNXImportOptions: Sendable {
    public var loss: OutputKind?
    public var inputScaling: InputScaling?
    public var inputShape: [Int]?
    public init(loss: OutputKind? = nil, inputScaling: InputScaling? = nil, inputShape: [Int]? = nil) {
        self.loss = loss
        self.inputScaling = inputScaling
        self.inputShape = inputShape
    }
}

/// The import in progress: what the rules of ONNXLayerTable read and add to.
struct ONNXImportState {
    let path: String
    let opset: Int64
    let constants: [String: ONNXTensor]
    /// The value the chain has reached.
    var current: String
    var layers: [any LayerSpec] = []
    var parameters: [Matrix<Float>] = []
    /// Features per sample of the current value, when known.
    var width: Int?
    /// Dimensions per sample of the current value (after the batch), when known.
    var sampleDims: [Int]?
    var sawDense = false
    /// A convolution or pooling layer came before: the value is an image [C, H, W] until a flatten.
    var sawSpatial = false
    /// The network has begun (input scaling is over, layers may follow).
    var started: Bool { sawDense || sawSpatial }
    /// The last layer is an affine step without a bias yet (MatMul, or Gemm without C): an Add may give it.
    var biasPending = false
    var scale: Double = 1, offset: Double = 0
    var scalingNodes: [String] = []
    var output: (kind: OutputKind, node: String)?

    func label(_ n: ONNXNode) -> String {
        n.name.isEmpty ? "the node making '\(n.outputs.first ?? "")' (\(n.opType))" : "node '\(n.name)' (\(n.opType))"
    }

    func fail(_ n: ONNXNode, _ why: String) -> FormatError { FormatError(path, "\(label(n)): \(why)") }

    /// The chain's value must be input `k` of the node.
    func requireData(_ n: ONNXNode, at k: Int, _ why: String) throws {
        guard n.inputs.count > k, n.inputs[k] == current else { throw fail(n, why) }
    }

    /// Index of the node's constant operand when the data is the other one (binary ops).
    func constantInput(_ n: ONNXNode) throws -> Int {
        guard n.inputs.count == 2 else { throw fail(n, "has \(n.inputs.count) inputs, expected 2") }
        return n.inputs[0] == current ? 1 : 0
    }

    func constant(_ n: ONNXNode, input k: Int) throws -> ONNXTensor {
        guard n.inputs.count > k else { throw fail(n, "input \(k + 1) is missing") }
        guard let t = constants[n.inputs[k]] else {
            throw fail(n, "input '\(n.inputs[k])' is computed in the graph; nn-model needs a constant (an initializer) there")
        }
        return t
    }

    /// A constant's values as float32, refusing non-finite ones.
    func floats(_ n: ONNXNode, _ t: ONNXTensor) throws -> [Float] {
        let values: [Float]
        switch t.data {
        case .float(let v): values = v
        case .double(let v): values = v.map { Float($0) }
        case .int64: throw fail(n, "tensor '\(t.name)' holds integers; nn-model needs FLOAT or DOUBLE weights")
        }
        if let k = values.firstIndex(where: { !$0.isFinite }) {
            throw fail(n, "tensor '\(t.name)' has a non-finite value (\(values[k])) at index \(k)")
        }
        return values
    }

    /// A 2-D constant as a matrix.
    func constantMatrix(_ n: ONNXNode, input k: Int) throws -> Matrix<Float> {
        let t = try constant(n, input: k)
        guard t.dims.count == 2, t.dims[0] > 0, t.dims[1] > 0 else {
            throw fail(n, "weight '\(t.name)' has shape \(t.dims); nn-model needs a 2-D matrix")
        }
        return Matrix(rows: t.dims[0], cols: t.dims[1], storage: try floats(n, t))
    }

    /// A constant broadcast to one row of `length` values: shapes [], [1], [length], [1, length].
    func constantVector(_ n: ONNXNode, input k: Int, length: Int) throws -> Matrix<Float> {
        let t = try constant(n, input: k)
        let v = try floats(n, t)
        let real = t.dims.filter { $0 != 1 }
        if v.count == 1 { return Matrix(rows: 1, cols: length, repeating: v[0]) }
        guard real == [length] else {
            throw fail(n, "tensor '\(t.name)' has shape \(t.dims); nn-model needs \(length) values, one per feature")
        }
        return Matrix(rows: 1, cols: length, storage: v)
    }

    /// A constant holding one value (any shape of one element).
    func scalar(_ n: ONNXNode, input k: Int) throws -> Double {
        let t = try constant(n, input: k)
        let v = t.data.doubles
        guard let first = v.first, v.allSatisfy({ $0 == first }) else {
            throw fail(n, "tensor '\(t.name)' has \(v.count) different values; nn-model scales every input by the same factor")
        }
        if !first.isFinite { throw fail(n, "tensor '\(t.name)' is not finite") }
        return first
    }

    /// x -> x * multiply + add, before the first dense layer.
    mutating func scaleInput(_ n: ONNXNode, multiply: Double, add: Double) throws {
        if started { throw fail(n, "input scaling after the first convolution or dense layer is not supported") }
        scale *= multiply
        offset = offset * multiply + add
        scalingNodes.append(label(n))
    }

    mutating func addAffine(_ n: ONNXNode, weight: Matrix<Float>, bias: Matrix<Float>?) throws {
        if let w = width, w != weight.rows {
            throw fail(n, "takes \(weight.rows) inputs but the value before it has \(w) features")
        }
        if !sawDense, let dims = sampleDims, dims.count > 1 {
            throw fail(n, "gets \(dims.count + 1)-D data [N, \(dims.map(String.init).joined(separator: ", "))]; flatten it first (Flatten or Reshape)")
        }
        if !sawDense && width == nil { width = weight.rows }
        layers.append(AffineSpec(inputs: weight.rows, outputs: weight.cols))
        parameters.append(weight)
        parameters.append(bias ?? Matrix(rows: 1, cols: weight.cols))
        biasPending = bias == nil
        width = weight.cols
        sampleDims = [weight.cols]
        sawDense = true
    }

    /// The bias of the affine step just before (MatMul + Add).
    mutating func setBias(_ n: ONNXNode, _ b: Matrix<Float>) throws {
        guard biasPending, layers.last is AffineSpec else {
            throw fail(n, "an Add that is not the bias of a MatMul (or a Gemm without one) right before it")
        }
        parameters[parameters.count - 1] = b
        biasPending = false
    }

    mutating func addLayer(_ n: ONNXNode, _ spec: any LayerSpec) throws {
        if !started { throw fail(n, "comes before the first convolution or dense layer; nn-model's networks start with one") }
        layers.append(spec)
        biasPending = false
    }

    /// Our BatchNorm computes (x - mean) / sqrt(var + 1e-7): another epsilon e is folded into the
    /// variance (var + e - 1e-7), exact in real arithmetic.
    mutating func addBatchNorm(_ n: ONNXNode, gamma: Matrix<Float>, beta: Matrix<Float>, mean: Matrix<Float>, variance: Matrix<Float>,
                               epsilon: Double) throws {
        try addLayer(n, BatchNormSpec(features: gamma.cols))
        var v = variance
        if Float(epsilon) != Float(1e-7) {
            for j in 0..<v.count { v.storage[j] = Float(Double(v.storage[j]) + epsilon - 1e-7) }
        }
        if let k = v.storage.firstIndex(where: { $0 < 0 }) {
            throw fail(n, "variance \(variance.storage[k]) + epsilon \(epsilon) at feature \(k) is below the 1e-7 nn-model's batch norm adds")
        }
        parameters += [gamma, beta, mean, v]
    }

    /// Flatten / Reshape to [N, features] before the first dense layer: a flatten layer after the spatial
    /// part, nothing (a change of shape) before any layer.
    mutating func flatten(_ n: ONNXNode, to features: Int?) throws {
        if sawDense { throw fail(n, "reshapes after the first dense layer; nn-model reads them only before it") }
        let known = sampleDims.map { $0.reduce(1, *) }
        if let features, let known, features != known {
            throw fail(n, "reshapes \(known) values per sample to \(features)")
        }
        if sawSpatial {
            if sampleDims?.count == 1 { return }   // flat already
            layers.append(FlattenSpec())
        }
        width = features ?? known
        sampleDims = width.map { [$0] }
    }

    /// The image [C, H, W] the value holds, for a convolution or pooling node.
    func image(_ n: ONNXNode) throws -> [Int] {
        if sawDense { throw fail(n, "comes after a dense layer; nn-model's convolutions and pooling come before them") }
        guard let dims = sampleDims, dims.count == 3 else {
            let shown = sampleDims.map { "[N, " + $0.map(String.init).joined(separator: ", ") + "]" } ?? "of unknown shape"
            throw fail(n, "needs 4-D data [N, C, H, W] of known size, the value before it is \(shown)")
        }
        return dims
    }

    /// A convolution or pooling layer on the current image; its output shape comes from the layer kind.
    mutating func addSpatial(_ n: ONNXNode, _ spec: any LayerSpec, tensors: [Matrix<Float>] = []) throws {
        let dims = try image(n)
        let out: [Int]
        do { out = try spec.outputShape(for: dims) } catch { throw fail(n, "\(spec) \(error.message)") }
        guard let count = ONNXFormat.elementCount(out), count > 0, count <= SizeLimits.maxSampleValues else {
            throw fail(n, "gives \(out) values per sample, more than nn-model's ceiling")
        }
        layers.append(spec)
        parameters += tensors
        sampleDims = out
        width = nil
        sawSpatial = true
        biasPending = false
    }

    /// The number of values a per-feature constant needs: features of flat data, channels of an image.
    var featureCount: Int { sampleDims?.count == 3 ? sampleDims![0] : (width ?? 0) }

    mutating func setOutput(_ n: ONNXNode, _ kind: OutputKind, axis: Int64) throws {
        if !sawDense { throw fail(n, "comes before the first dense layer") }
        if axis != 1 && axis != -1 { throw fail(n, "axis \(axis); nn-model reads it over the features (axis 1 or -1)") }
        output = (kind, label(n))
    }
}

public enum ONNXImport {
    /// Reads an .onnx file as a model.
    public static func read(_ path: String, options: ONNXImportOptions = ONNXImportOptions()) throws -> Model {
        try model(ONNXFile.read(path), path: path, options: options)
    }

    public static func model(_ proto: ONNXModelProto, path: String, options: ONNXImportOptions = ONNXImportOptions()) throws -> Model {
        func fail(_ m: String) -> FormatError { FormatError(path, m) }
        let graph = proto.graph
        guard let opset = proto.defaultOpset else { throw fail("imports no opset of the default ONNX domain") }
        if opset < 7 { throw fail("opset \(opset) is older than the oldest nn-model reads (7)") }

        // Constants: initializers and Constant nodes.
        var constants: [String: ONNXTensor] = [:]
        for t in graph.initializers { constants[t.name] = t }
        var work: [ONNXNode] = []
        for n in graph.nodes {
            if n.opType == "Constant" && (n.domain == "" || n.domain == "ai.onnx") {
                constants[n.outputs.first ?? ""] = try constantNode(n, path: path)
            } else {
                work.append(n)
            }
        }

        // The one data input.
        let dataInputs = graph.inputs.filter { constants[$0.name] == nil }
        guard let input = dataInputs.first else { throw fail("the graph has no data input") }
        if dataInputs.count > 1 {
            throw fail("the graph has \(dataInputs.count) data inputs (\(dataInputs.map { "'\($0.name)'" }.joined(separator: ", "))); nn-model reads models with one")
        }
        guard let type = input.elementType else { throw fail("graph input '\(input.name)' is not a tensor") }
        if type != ONNXFormat.float && type != 0 {
            throw fail("graph input '\(input.name)' is \(ONNXFormat.dataTypeName(type)); nn-model feeds FLOAT")
        }
        var state = ONNXImportState(path: path, opset: opset, constants: constants, current: input.name)
        var inputDims: [Int]? = nil
        if let shape = input.shape {
            if shape.count < 2 { throw fail("graph input '\(input.name)' has \(shape.count) dimensions; nn-model needs [batch, ...]") }
            var dims: [Int] = []
            for d in shape.dropFirst() {
                guard case .value(let v) = d, v > 0, v <= Int64(ONNXFormat.maxTensorElements) else { dims = []; break }
                dims.append(Int(v))
            }
            if dims.count == shape.count - 1, let n = ONNXFormat.elementCount(dims), n <= ONNXFormat.maxTensorElements {
                inputDims = dims
                state.sampleDims = dims
                state.width = dims.count == 1 ? dims[0] : nil
            }
        }

        // Walk the chain.
        var consumers: [String: [Int]] = [:]
        for (i, n) in work.enumerated() { for v in Set(n.inputs) where !v.isEmpty { consumers[v, default: []].append(i) } }
        var visited = Set<Int>()
        var chainValues = [input.name]
        while let next = consumers[state.current], !next.isEmpty {
            let n = work[next[0]]
            if next.count > 1 {
                let names = next.map { "'\(work[$0].name)' (\(work[$0].opType))" }.joined(separator: ", ")
                throw state.fail(n, "the graph branches: value '\(state.current)' feeds \(names); nn-model reads a chain of layers")
            }
            if visited.contains(next[0]) { throw state.fail(n, "the graph has a cycle") }
            visited.insert(next[0])
            if !(n.domain == "" || n.domain == "ai.onnx") { throw state.fail(n, "operator of the custom domain '\(n.domain)' is not supported") }
            if let (kind, at) = state.output {
                if n.opType != "Identity" { throw state.fail(n, "follows the output \(kind == .softmaxCrossEntropy ? "softmax" : "node") \(at); nn-model reads it as the last node") }
            }
            if n.inputs.filter({ $0 == state.current }).count > 1 { throw state.fail(n, "takes the data twice") }
            guard try ONNXLayerTable.importNode(n, into: &state) else {
                throw state.fail(n, "operator not supported (nn-model reads \(ONNXLayerTable.importedOperators))")
            }
            guard let out = n.outputs.first, !out.isEmpty else { throw state.fail(n, "has no output") }
            for extra in n.outputs.dropFirst() where !extra.isEmpty && (consumers[extra] != nil || graph.outputs.contains { $0.name == extra }) {
                throw state.fail(n, "its second output '\(extra)' is used; nn-model reads single-output nodes")
            }
            state.current = out
            chainValues.append(out)
        }
        if !state.sawDense { throw fail("the graph has no dense layer (Gemm or MatMul) on its path from '\(input.name)'") }
        guard graph.outputs.contains(where: { $0.name == state.current }) else {
            throw fail("the chain from '\(input.name)' ends at '\(state.current)', which is not a graph output")
        }
        for (i, n) in work.enumerated() where !visited.contains(i) {
            throw state.fail(n, "is not on the path from input '\(input.name)' to output '\(state.current)'")
        }
        for o in graph.outputs where !chainValues.contains(o.name) {
            throw fail("graph output '\(o.name)' is not on the path from input '\(input.name)'")
        }

        // The output kind: the graph's trailing Softmax / Sigmoid, or the caller's.
        var layers = state.layers
        let trailingSigmoid = (layers.last as? ActivationSpec)?.function == .sigmoid
        // nn-model's own files say their loss (an mse model ends without an output node)
        let ownLoss = proto.metadataValue(ONNXExport.metadataPrefix + "loss").flatMap(OutputKind.init(rawValue:))
        let output: OutputKind
        switch (state.output?.kind, options.loss ?? ownLoss) {
        case (let g?, let o?) where g != o:
            throw fail("the graph ends in \(state.output!.node), which is \(g.rawValue), not the \(o.rawValue) --loss asks for")
        case (let g?, _):
            output = g
        case (nil, let o?):
            output = o
            if trailingSigmoid && o == .sigmoidBinaryCrossEntropy { layers.removeLast() }
        case (nil, nil):
            if trailingSigmoid {
                output = .sigmoidBinaryCrossEntropy
                layers.removeLast()
            } else {
                throw fail("the graph ends without Softmax or Sigmoid: say what its outputs are with --loss softmax-ce (class scores), sigmoid-bce or mse (values)")
            }
        }
        let architectureInput: [Int]
        if state.sawSpatial, let dims = inputDims {
            architectureInput = dims   // [C, H, W]: the convolutions need it as it is
        } else if let first = layers.first as? AffineSpec {
            architectureInput = [first.inputs]
        } else {
            throw fail("not a network nn-model can run: it does not start with a convolution or a dense layer")
        }
        let architecture = Architecture(inputShape: architectureInput, layers: layers, output: output)
        if let problem = architecture.validate() { throw fail("not a network nn-model can run: \(problem)") }
        let inputSize = architecture.inputSize
        if let dims = inputDims, dims.reduce(1, *) != inputSize {
            throw fail("graph input '\(input.name)' has \(dims.reduce(1, *)) values per sample, the first dense layer takes \(inputSize)")
        }

        // nn-toolkit's own metadata, when the file came from nn-model.
        let p = ONNXExport.metadataPrefix
        let own = proto.metadataProps.contains { $0.key.hasPrefix(p) }
        var scaling = InputScaling(scale: state.scale, offset: state.offset)
        if let given = options.inputScaling {
            if !state.scalingNodes.isEmpty {
                throw fail("the graph scales its input already (\(state.scalingNodes.joined(separator: ", "))); --input-scale would scale it twice")
            }
            scaling = given
        } else if let text = proto.metadataValue(p + "input-scaling") {
            let parts = text.split(separator: " ").compactMap { Double($0) }
            if parts.count == 2, Float(parts[0]) == Float(scaling.scale), Float(parts[1]) == Float(scaling.offset) {
                scaling = InputScaling(scale: parts[0], offset: parts[1])   // the exact doubles behind the graph's floats
            }
        }
        if state.sawSpatial, let given = options.inputShape, given != architectureInput {
            throw fail("--input-shape \(given.map(String.init).joined(separator: "x")) differs from the graph input's \(architectureInput.map(String.init).joined(separator: "x")), which its convolutions are built for")
        }
        var shape = state.sawSpatial ? architectureInput : options.inputShape ?? defaultShape(inputDims ?? [inputSize])
        if options.inputShape == nil, !state.sawSpatial, let text = proto.metadataValue(p + "input-shape") {
            let dims = text.split(separator: "x").compactMap { Int($0) }
            if dims.count == text.split(separator: "x").count, !dims.isEmpty, dims.allSatisfy({ $0 > 0 }),
               ONNXFormat.elementCount(dims) == inputSize {
                shape = dims
            }
        }
        if ONNXFormat.elementCount(shape) != inputSize {
            throw fail("--input-shape \(shape.map(String.init).joined(separator: "x")) has \(ONNXFormat.elementCount(shape).map(String.init) ?? "too many") values, the first dense layer takes \(inputSize)")
        }
        var recipe: ImageRecipe? = nil
        if let text = proto.metadataValue(p + "image-recipe") {
            let words = text.split(separator: " ").map(String.init)
            var params: [String: Double] = [:]
            for w in words.dropFirst() {
                let kv = w.split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 2, let v = Double(kv[1]) { params[kv[0]] = v }
            }
            if let name = words.first { recipe = ImageRecipe(name: name, parameters: params) }
        }
        let classNames = proto.metadataValue(p + "class-names").flatMap(parseJSONStringArray) ?? []
        let positive = proto.metadataValue(p + "positive-class").flatMap { Int32($0) }.flatMap { $0 >= 0 ? Int($0) : nil }
        var metadata: [MetadataEntry] = []
        for e in proto.metadataProps where e.key.hasPrefix(p + "meta.") {
            metadata.append(MetadataEntry(String(e.key.dropFirst((p + "meta.").count)), e.value))
        }
        if !own {
            let producer = [proto.producerName, proto.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
            metadata.append(MetadataEntry("source-format", "onnx (IR \(proto.irVersion), opset \(opset)\(producer.isEmpty ? "" : ", from \(producer)"))"))
            for e in proto.metadataProps { metadata.append(MetadataEntry("onnx." + e.key, e.value)) }
        }
        if shape.count == 3 && layers.first is AffineSpec {
            // a dense network on an image [C, H, W]: flattened first, as the --layers grammar builds it
            layers.insert(FlattenSpec(), at: 0)
        }
        let model = Model(architecture: Architecture(inputShape: shape, layers: layers, output: output), parameters: state.parameters, inputShape: shape,
                          scaling: scaling, positiveClass: positive, imageRecipe: recipe, classNames: classNames, metadata: metadata)
        if let problem = model.problem { throw FormatError(path, problem) }
        return model
    }

    /// Per-sample dimensions without size-1 ones (channels of a grayscale image); a flat 784 is 28x28.
    static func defaultShape(_ dims: [Int]) -> [Int] {
        var d = dims.filter { $0 != 1 }
        if d.isEmpty { d = [1] }
        return d == [784] ? [28, 28] : d
    }

    /// A Constant node's value: attribute value (a tensor), value_float(s) or value_int(s).
    static func constantNode(_ n: ONNXNode, path: String) throws -> ONNXTensor {
        let name = n.outputs.first ?? ""
        guard let a = n.attributes.first else { throw FormatError(path, "node '\(n.name)' (Constant): has no value") }
        switch (a.name, a.kind) {
        case ("value", .tensor?):
            guard var t = a.t else { throw FormatError(path, "node '\(n.name)' (Constant): has no value") }
            t.name = name
            return t
        case ("value_float", .float?): return ONNXTensor(name: name, dims: [], data: .float([a.f]))
        case ("value_floats", .floats?): return ONNXTensor(name: name, dims: [a.floats.count], data: .float(a.floats))
        case ("value_int", .int?): return ONNXTensor(name: name, dims: [], data: .int64([a.i]))
        case ("value_ints", .ints?): return ONNXTensor(name: name, dims: [a.ints.count], data: .int64(a.ints))
        default:
            throw FormatError(path, "node '\(n.name)' (Constant): attribute '\(a.name)' is not a value nn-model reads")
        }
    }
}
