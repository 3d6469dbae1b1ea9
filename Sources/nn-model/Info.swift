// nn-model info: what a model file (.nnm, checkpoint), ONNX file or .npz archive holds, as aligned text
// or one JSON object.
import ArgumentParser
import NNCommandLine
import NNCore
import NNFormats
import NNInterchange

enum InfoFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a model file holds (.nnm, checkpoints, .onnx, .npz).",
        discussion: "The format is recognised from the content (the model file's signature, a zip's), else ONNX.")

    @Argument(help: "Model file (- for stdin).") var file: String
    @Option(help: "Output: text or json.") var format: InfoFormat = .text

    func run() throws {
        // the rules every tool's files follow (RunFiles): the report on stdout may not be the input file
        var runFiles = RunFiles()
        runFiles.input("the argument", file)
        runFiles.output("the report (stdout)", "-")
        try runFiles.check()
        let bytes = try readWholeFile(file, limit: SizeLimits.maxCheckpointFileBytes, kind: "a model file")
        var fields: [(String, JSON)] = [("file", .string(file == "-" ? "<stdin>" : file))]
        switch FileKind.sniff(bytes) {
        case .nnm:
            fields += try nnmFields(bytes)
        case .npz:
            fields += try npzFields(bytes)
        case .onnx:
            do {
                fields += try onnxFields(ONNXFile.decode(bytes, path: file))
            } catch let e as FormatError where FileKind.of(file) != .onnx {
                throw FormatError(file, "not a model file (.nnm), an ONNX model or an .npz archive (as ONNX: \(e.message))")
            }
        }
        emit(format == .json ? JSON.object(fields).text : text(fields))
    }

    func nnmFields(_ bytes: [UInt8]) throws -> [(String, JSON)] {
        let model = try ModelFileReader.decode(bytes, path: file)
        let layout = try ModelFileReader.layout(bytes, path: file)
        var out: [(String, JSON)] = [("format", .string("nnm")), ("format_version", .string("\(layout.major).\(layout.minor)"))]
        let types = Set(layout.sections.map(\.type))
        if types.contains("conf") {
            let c = try CheckpointCodec.decode(bytes, path: file)
            // progress.epoch is the epoch in progress (1-based), or the next one when position is 0
            out.append(("checkpoint", .object([("epochs_finished", .int(c.progress.epoch - 1)), ("samples_into_next_epoch", .int(c.progress.position)),
                                               ("epochs", .int(c.run.config.epochs)), ("optimizer_step", .int(c.optimizer.step))])))
            out.append(("checkpoint_run", .object([
                ("directory", .string(c.run.workingDirectory)), ("data", .string(c.run.dataSource.rawValue)),
                ("files", .array(c.run.dataFiles.map { .object([("role", .string($0.role.rawValue)), ("path", .string($0.path)),
                                                               ("bytes", .int($0.fingerprint.size))]) })),
                ("output", .string(c.run.output)), ("checkpoint", .string(c.run.checkpoint)),
            ])))
        } else if types.contains("ckpt") {
            out.append(("checkpoint", .string("of an earlier nn-train (settings as a command line): it cannot be resumed")))
        }
        out += modelFields(model)
        out.append(("sections", .array(layout.sections.map { .object([("type", .string($0.type)), ("bytes", .int($0.bytes))]) })))
        return out
    }

    func onnxFields(_ proto: ONNXModelProto) throws -> [(String, JSON)] {
        func value(_ v: ONNXValueInfo) -> JSON {
            let dims: [JSON] = (v.shape ?? []).map {
                switch $0 {
                case .value(let d): return .int(Int(d))
                case .param(let p): return .string(p)
                case .unknown: return .null
                }
            }
            return .object([("name", .string(v.name)), ("type", .string(v.elementType.map(onnxTypeName) ?? "not a tensor")),
                            ("shape", v.shape == nil ? .null : .array(dims))])
        }
        var counts: [(String, Int)] = []
        for n in proto.graph.nodes {
            if let i = counts.firstIndex(where: { $0.0 == n.opType }) { counts[i].1 += 1 } else { counts.append((n.opType, 1)) }
        }
        var out: [(String, JSON)] = [
            ("format", .string("onnx")), ("ir_version", .int(Int(proto.irVersion))),
            ("opsets", .object(proto.opsetImport.map { ($0.domain.isEmpty ? "ai.onnx" : $0.domain, .int(Int($0.version))) })),
            ("producer", .string([proto.producerName, proto.producerVersion].filter { !$0.isEmpty }.joined(separator: " "))),
            ("graph", .string(proto.graph.name)),
            ("inputs", .array(proto.graph.inputs.filter { i in !proto.graph.initializers.contains { $0.name == i.name } }.map(value))),
            ("outputs", .array(proto.graph.outputs.map(value))),
            ("operators", .object(counts.map { ($0.0, .int($0.1)) })),
            ("initializers", .int(proto.graph.initializers.count)),
            ("initializer_values", .int(proto.graph.initializers.reduce(0) { $0 + $1.data.count })),
            ("metadata_props", .object(proto.metadataProps.map { ($0.key, .string($0.value)) })),
        ]
        do {
            let model = try ONNXImport.model(proto, path: file)
            out.append(("as_model", .object(modelFields(model))))
        } catch let e as FormatError {
            out.append(("import", .string("needs options or is not supported: \(e.message)")))
        }
        return out
    }

    func npzFields(_ bytes: [UInt8]) throws -> [(String, JSON)] {
        let arrays = try NPZFile.decode(bytes, path: file)
        return [("format", .string("npz")),
                ("arrays", .array(arrays.map { .object([("name", .string($0.name)), ("dtype", .string($0.array.descr)),
                                                        ("shape", .array($0.array.shape.map { .int($0) }))]) })),
                ("values", .int(arrays.reduce(0) { $0 + $1.array.count }))]
    }

    func modelFields(_ m: Model) -> [(String, JSON)] {
        let layers: [JSON] = m.architecture.layers.map { .string($0.description) }
        var out: [(String, JSON)] = [
            ("architecture", .string(m.architecture.summary)),
            ("layers", .array(layers)),
            ("parameters", .int(m.parameters.reduce(0) { $0 + $1.count })),
            ("loss", .string(m.architecture.output.rawValue)),
            ("input_shape", .array(m.inputShape.map { .int($0) })),
            ("input_scaling", .object([("scale", .number(m.scaling.scale)), ("offset", .number(m.scaling.offset))])),
        ]
        if let p = m.positiveClass { out.append(("positive_class", .int(p))) }
        if let r = m.imageRecipe {
            out.append(("image_recipe", .object([("name", .string(r.name)),
                                                 ("parameters", .object(r.parameters.keys.sorted().map { ($0, .number(r.parameters[$0]!)) }))])))
        }
        if !m.classNames.isEmpty { out.append(("class_names", .array(m.classNames.map { .string($0) }))) }
        out.append(("metadata", .object(m.metadata.map { ($0.key, .string($0.value)) })))
        return out
    }

    /// "key  value" lines; nested objects and arrays of objects are indented below their key.
    func text(_ fields: [(String, JSON)], indent: String = "") -> String {
        let width = (fields.map { $0.0.count }.max() ?? 0) + 2
        var lines: [String] = []
        for (rawKey, value) in fields {
            let key = String(rawKey.map { $0 == "_" ? " " : $0 })
            let label = indent + key + String(repeating: " ", count: width - key.count)
            switch value {
            case .object(let o) where !o.isEmpty:
                lines.append(indent + key)
                lines.append(text(o, indent: indent + "  "))
            case .array(let a) where a.contains(where: { if case .object = $0 { return true } else { return false } }):
                lines.append(indent + key)
                for item in a { lines.append(indent + "  " + plain(item)) }
            case .array(let a) where rawKey.hasSuffix("shape"):
                lines.append(label + a.map { plain($0) }.joined(separator: "x"))
            default:
                lines.append(label + plain(value))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A value without JSON quoting: strings as they are, arrays joined by spaces, objects as key=value.
    func plain(_ v: JSON, key: String = "") -> String {
        switch v {
        case .array(let a) where key.hasSuffix("shape"): return a.map { plain($0) }.joined(separator: "x")
        case .string(let s): return s
        case .number(let d): return "\(d)"
        case .array(let a): return a.map { plain($0) }.joined(separator: a.contains { if case .object = $0 { return true } else { return false } } ? ", " : " ")
        case .object(let o) where o.isEmpty: return "none"
        case .object(let o): return o.map { "\($0.0)=\(plain($0.1, key: $0.0))" }.joined(separator: " ")
        case .null: return "-"
        default: return v.text
        }
    }
}

func onnxTypeName(_ t: Int32) -> String {
    [1: "FLOAT", 2: "UINT8", 3: "INT8", 6: "INT32", 7: "INT64", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 16: "BFLOAT16"][t] ?? "type \(t)"
}
