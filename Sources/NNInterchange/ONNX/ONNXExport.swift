// ONNXExport.swift: a model as an ONNX graph that any runtime can run on raw pixels.
//
//   input   pixels         FLOAT [N, 784]: the values a PNG or IDX file holds, 0-255; [N, C, H, W] for a
//                          model whose input shape is an image [C, H, W] (convolutional models)
//           Mul(pixels, input_scale) [then Add(input_offset)]: the model's input scaling, folded in
//           the layers (ONNXLayerTable.export)
//   output  probabilities  FLOAT [N, K]: Softmax (softmax-ce) or Sigmoid (sigmoid-bce) of the scores
//           scores         FLOAT [N, K]: the last layer's raw outputs (logits)
//           values         FLOAT [N, K]: regression (mse) models, instead of both
//
// IR version 7 and opset 13 (onnx 1.8, 2020): Softmax's axis semantics are the current ones from 13 on,
// and every runtime of the last five years reads the pair. Weights are float32 raw_data, bit for bit.
// Everything else the model file holds (input shape and exact scaling, loss, image recipe, class names,
// training metadata) goes into metadata_props under "nn-toolkit.", so nn-model can import it back whole.
import NNCore
import NNFormats

/// Builds a graph as a chain: each node consumes the current value and becomes it.
struct ONNXGraphBuilder {
    var nodes: [ONNXNode] = []
    var initializers: [ONNXTensor] = []
    /// The value the next node consumes.
    var current: String
    private var usedNames: Set<String> = []

    init(input: String) {
        current = input
        usedNames.insert(input)
    }

    /// A unique name starting with `base`.
    private mutating func unique(_ base: String) -> String {
        var name = base, k = 2
        while usedNames.contains(name) {
            name = "\(base)_\(k)"
            k += 1
        }
        usedNames.insert(name)
        return name
    }

    /// Adds a float32 initializer; returns its name.
    mutating func initializer(_ name: String, dims: [Int], _ values: [Float]) -> String {
        let n = unique(name)
        initializers.append(ONNXTensor(name: n, dims: dims, data: .float(values)))
        return n
    }

    /// Adds `op(current, constants...)`; its output (named like the node) becomes the current value.
    mutating func node(_ op: String, _ name: String, constants: [String] = [], attributes: [ONNXAttribute] = []) {
        let n = unique(name)
        nodes.append(ONNXNode(op, name: n, inputs: [current] + constants, outputs: [n], attributes: attributes))
        current = n
    }

    /// Renames the current value (the last node's output) to `name`.
    mutating func renameCurrent(_ name: String) {
        guard let last = nodes.indices.last, nodes[last].outputs == [current] else { return }
        usedNames.insert(name)
        nodes[last].outputs = [name]
        current = name
    }
}

public enum ONNXExport {
    public static let irVersion: Int64 = 7
    public static let opset: Int64 = 13
    public static let inputName = "pixels"
    public static let probabilitiesName = "probabilities"
    public static let scoresName = "scores"
    public static let valuesName = "values"
    /// metadata_props keys.
    public static let metadataPrefix = "nn-toolkit."

    /// The ONNX model of `model`; `producerVersion` is the toolkit's version. Throws, naming the layer,
    /// for a layer kind the table cannot export.
    public static func proto(_ model: Model, producerVersion: String) throws -> ONNXModelProto {
        let arch = model.architecture
        let inputs = arch.inputSize, outputs = arch.outputSize
        var g = ONNXGraphBuilder(input: inputName)
        // The scaling in float32, as nn-eval and nn-predict apply it (x * Float(scale) + Float(offset)).
        if model.scaling.scale != 1 {
            g.node("Mul", "scale_input", constants: [g.initializer("input_scale", dims: [], [Float(model.scaling.scale)])])
        }
        if model.scaling.offset != 0 {
            g.node("Add", "shift_input", constants: [g.initializer("input_offset", dims: [], [Float(model.scaling.offset)])])
        }
        var tensors = model.parameters[...]
        var index = 0
        let shapes = try arch.shapes()
        for (i, spec) in arch.layers.enumerated() {
            if spec.startsNewIndex { index += 1 }
            let n = spec.tensors(for: shapes[i]).count
            // Gemm takes [N, features]: a dense layer straight on an image (no flatten layer) gets one.
            if spec is AffineSpec && shapes[i].count == 3 { g.node("Flatten", "flatten\(index)", attributes: [.int("axis", 1)]) }
            guard ONNXLayerTable.export(spec, input: shapes[i], tensors: Array(tensors.prefix(n)), index: index, into: &g) else {
                throw LayerSpecError("layer \(i + 1) (\(spec)) has no ONNX export yet")
            }
            tensors = tensors.dropFirst(n)
        }
        let batch = ONNXValueInfo.Dimension.param("N")
        func value(_ name: String, _ width: Int) -> ONNXValueInfo {
            ONNXValueInfo(name: name, elementType: ONNXFormat.float, shape: [batch, .value(Int64(width))])
        }
        var graphOutputs: [ONNXValueInfo]
        if let op = ONNXLayerTable.outputOperator(arch.output) {
            g.renameCurrent(scoresName)
            g.node(op, "output", attributes: op == "Softmax" ? [.int("axis", 1)] : [])
            g.renameCurrent(probabilitiesName)
            graphOutputs = [value(probabilitiesName, outputs), value(scoresName, outputs)]
        } else {
            if g.nodes.last?.outputs != [g.current] || g.current == inputName { g.node("Identity", "output") }
            g.renameCurrent(valuesName)
            graphOutputs = [value(valuesName, outputs)]
        }

        var m = ONNXModelProto()
        m.irVersion = irVersion
        m.opsetImport = [ONNXOperatorSetID(version: opset)]
        m.producerName = "nn-toolkit"
        m.producerVersion = producerVersion
        // [N, C, H, W] for an image input, else [N, values] (a [28, 28] MLP input is read row after row)
        let inputDims = arch.inputShape.count == 3 ? arch.inputShape : [inputs]
        m.docString = "nn-toolkit \(arch.summary). Input \(inputName): raw pixel values 0-255 [N, \(inputDims.map(String.init).joined(separator: ", "))]; "
            + (graphOutputs.count == 2 ? "outputs \(probabilitiesName) and \(scoresName) (before \(ONNXLayerTable.outputOperator(arch.output)!)) [N, \(outputs)]."
                                       : "output \(valuesName) [N, \(outputs)].")
        m.graph.name = "nn-toolkit"
        m.graph.nodes = g.nodes
        m.graph.initializers = g.initializers
        m.graph.inputs = [ONNXValueInfo(name: inputName, elementType: ONNXFormat.float, shape: [batch] + inputDims.map { .value(Int64($0)) })]
        m.graph.outputs = graphOutputs
        m.metadataProps = metadata(model, producerVersion: producerVersion)
        return m
    }

    public static func encode(_ model: Model, producerVersion: String) throws -> [UInt8] {
        ONNXFile.encode(try proto(model, producerVersion: producerVersion))
    }

    /// What the model file holds besides the graph, as metadata_props (keys under "nn-toolkit.").
    static func metadata(_ model: Model, producerVersion: String) -> [ONNXStringEntry] {
        let p = metadataPrefix
        var out = [ONNXStringEntry(p + "version", producerVersion),
                   ONNXStringEntry(p + "loss", model.architecture.output.rawValue),
                   ONNXStringEntry(p + "input-shape", model.inputShape.map(String.init).joined(separator: "x")),
                   // exact doubles (the graph holds them as float32)
                   ONNXStringEntry(p + "input-scaling", "\(model.scaling.scale) \(model.scaling.offset)")]
        if let c = model.positiveClass { out.append(ONNXStringEntry(p + "positive-class", String(c))) }
        if let r = model.imageRecipe {
            out.append(ONNXStringEntry(p + "image-recipe", ([r.name] + r.parameters.keys.sorted().map { "\($0)=\(r.parameters[$0]!)" }).joined(separator: " ")))
        }
        if !model.classNames.isEmpty { out.append(ONNXStringEntry(p + "class-names", jsonStringArray(model.classNames))) }
        var seen = Set<String>()
        for e in model.metadata where seen.insert(e.key).inserted {   // metadata_props keys must be unique
            out.append(ONNXStringEntry(p + "meta." + e.key, e.value))
        }
        return out
    }
}

// MARK: - JSON string arrays (class names)
// Plain loops over UTF-8 bytes: the first version, over unicode scalars with nested functions, took the
// optimizer ten seconds of every release build.

/// ["a","b"] with JSON escapes.
func jsonStringArray(_ strings: [String]) -> String {
    let hex = Array("0123456789abcdef".utf8)
    var out: [UInt8] = [UInt8(ascii: "[")]
    for (k, s) in strings.enumerated() {
        if k > 0 { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), b]
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
    out.append(UInt8(ascii: "]"))
    return String(decoding: out, as: UTF8.self)
}

/// Parses a JSON array of strings (nil if the text is anything else).
func parseJSONStringArray(_ text: String) -> [String]? {
    let b = Array(text.utf8)
    var i = 0
    var out: [String] = []
    var expectValue = true   // after "[" or ","
    while i < b.count && (b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x09 || b[i] == 0x0D) { i += 1 }
    guard i < b.count, b[i] == UInt8(ascii: "[") else { return nil }
    i += 1
    while true {
        while i < b.count && (b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x09 || b[i] == 0x0D) { i += 1 }
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "]") {
            if expectValue && !out.isEmpty { return nil }   // "[\"a\",]"
            i += 1
            break
        }
        if !expectValue {
            guard b[i] == UInt8(ascii: ",") else { return nil }
            expectValue = true
            i += 1
            continue
        }
        guard b[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        var s: [UInt8] = []
        var closed = false
        while i < b.count {
            let c = b[i]
            i += 1
            if c == UInt8(ascii: "\"") { closed = true; break }
            if c != UInt8(ascii: "\\") { s.append(c); continue }
            guard i < b.count else { return nil }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): s.append(e)
            case UInt8(ascii: "n"): s.append(0x0A)
            case UInt8(ascii: "r"): s.append(0x0D)
            case UInt8(ascii: "t"): s.append(0x09)
            case UInt8(ascii: "b"): s.append(0x08)
            case UInt8(ascii: "f"): s.append(0x0C)
            case UInt8(ascii: "u"):
                guard i + 4 <= b.count, var v = UInt32(String(decoding: b[i..<(i + 4)], as: UTF8.self), radix: 16) else { return nil }
                i += 4
                if v >= 0xD800 && v < 0xDC00 {   // a surrogate pair
                    guard i + 6 <= b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u"),
                          let lo = UInt32(String(decoding: b[(i + 2)..<(i + 6)], as: UTF8.self), radix: 16), lo >= 0xDC00 && lo < 0xE000
                    else { return nil }
                    i += 6
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                }
                guard let u = Unicode.Scalar(v) else { return nil }
                s += Array(String(Character(u)).utf8)
            default: return nil
            }
        }
        guard closed, let string = String(validating: s, as: UTF8.self) else { return nil }
        out.append(string)
        expectValue = false
    }
    while i < b.count && (b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x09 || b[i] == 0x0D) { i += 1 }
    return i == b.count ? out : nil
}
