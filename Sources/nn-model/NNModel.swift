// nn-model: what a model file holds (info), and conversion between nn-toolkit models (.nnm), ONNX
// (.onnx) and the book's NumPy weights (.npz). The formats themselves live in NNFormats.
import ArgumentParser
import NNCommandLine
import NNCore
import NNFormats
import NNInterchange

struct NNModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nn-model",
        abstract: "Inspect model files and convert them: .nnm, .onnx, .npz.",
        usage: "nn-model info FILE | nn-model convert FILE -o FILE [options]",
        version: toolVersion,
        subcommands: [Info.self, Convert.self])
}

/// The file formats nn-model knows.
enum FileKind: String, ExpressibleByArgument, CaseIterable {
    case nnm, onnx, npz

    /// From a file name's extension (checkpoints, .ckpt, are model files).
    static func of(_ path: String) -> FileKind? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "nnm", "ckpt": return .nnm
        case "onnx": return .onnx
        case "npz": return .npz
        default: return nil
        }
    }

    /// From the first bytes: the model file's signature, a zip's, else ONNX (protobuf has no signature).
    static func sniff(_ bytes: [UInt8]) -> FileKind {
        if bytes.starts(with: ModelFormat.magic) { return .nnm }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .npz }
        return .onnx
    }
}

// MARK: - convert

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a model: .nnm <-> .onnx, .npz -> .nnm (or .onnx).",
        discussion: """
            Formats come from the extensions (.nnm or .ckpt, .onnx, .npz); --from and --to override them \
            and are required for - (stdin, stdout). The output is written atomically (a device in place) \
            and is never the input file, through any name. ONNX export: input 'pixels' [N, 784], raw pixel values 0-255 with the model's \
            scaling folded in; outputs 'probabilities' and 'scores' (or 'values' for mse models). An .npz \
            holds the book's params (W1, b1, W2, b2, ..., gamma1, beta1, ...) and no activation: give \
            --activation.
            """)

    @Argument(help: "Input model (- for stdin).") var input: String
    @Option(name: .short, help: "Output file (- for stdout).") var output: String
    @Option(help: "Input format: nnm, onnx, npz (default: from the extension).") var from: FileKind?
    @Option(help: "Output format: nnm, onnx (default: from the extension).") var to: FileKind?
    @Option(help: ".npz input: the hidden activation (relu, sigmoid, tanh); the book's ch5 TwoLayerNet uses relu.")
    var activation: Activation?
    @Option(help: ".npz input: the output layer and loss (default softmax-ce); .onnx input: needed when the graph ends without Softmax or Sigmoid.")
    var loss: OutputKind?
    @Option(help: ".npz / .onnx input: input scaling, a factor like 0.00392 or 1/255 (default: .npz 1/255, .onnx the graph's leading Mul/Div, else 1).")
    var inputScale: String?
    @Option(help: ".npz / .onnx input: the shape of one input, like 28x28 (default: from the graph; a flat 784 is 28x28).")
    var inputShape: String?

    func run() throws {
        guard let source = from ?? FileKind.of(input) else {
            throw ToolError(input == "-" ? "reading stdin needs --from nnm|onnx|npz" : "\(input): cannot tell the format from the extension; give --from nnm|onnx|npz")
        }
        guard let target = to ?? FileKind.of(output) else {
            throw ToolError(output == "-" ? "writing stdout needs --to nnm|onnx" : "\(output): cannot tell the format from the extension; give --to nnm|onnx")
        }
        if target == .npz { throw ToolError("\(output): writing .npz is not supported; convert to .nnm or .onnx") }
        if activation != nil && source != .npz { throw ToolError("--activation is for .npz input; a .\(source) file says its activations") }
        if source == .nnm {
            for (flag, given) in [("--loss", loss != nil), ("--input-scale", inputScale != nil), ("--input-shape", inputShape != nil)] where given {
                throw ToolError("\(flag) is for .onnx and .npz input; a model file says it")
            }
        }
        let scaling = try inputScale.map(parseScale)
        let shape = try inputShape.map(parseShape)
        // the rules every tool's files follow (RunFiles): the output is not the input (by inode, so not
        // through a link either), a device is written in place, a pipe on stdin is never an output
        var runFiles = RunFiles()
        runFiles.input("the argument", input)
        runFiles.output("-o", output)
        try runFiles.check()

        let model: Model
        switch source {
        case .nnm:
            model = try ModelFileReader.read(input)
        case .onnx:
            let proto = try ONNXFile.read(input)
            model = try ONNXImport.model(proto, path: input, options: ONNXImportOptions(loss: loss, inputScaling: scaling, inputShape: shape))
            if scaling == nil && model.scaling == InputScaling(scale: 1, offset: 0) && !proto.metadataProps.contains(where: { $0.key.hasPrefix(ONNXExport.metadataPrefix) }) {
                printError("nn-model: note: \(input) does not scale its input: nn-eval and nn-predict will feed it pixel values 0-255; if it expects 0-1, convert with --input-scale 1/255")
            }
        case .npz:
            guard let activation else {
                throw ToolError("an .npz holds no activation: give --activation relu, sigmoid or tanh (the book's ch5 TwoLayerNet uses relu, ch4 sigmoid)")
            }
            let (m, notes) = try NPZImport.read(input, options: NPZImportOptions(activation: activation, loss: loss ?? .softmaxCrossEntropy,
                                                                                 inputScaling: scaling ?? InputScaling(), inputShape: shape))
            for n in notes { printError("nn-model: note: \(input): \(n)") }
            model = m
        }
        let bytes: [UInt8]
        do {
            bytes = target == .onnx ? try ONNXExport.encode(model, producerVersion: toolVersion) : ModelFileWriter.encode(model)
        } catch let e as LayerSpecError {
            throw FormatError(input, "cannot export to ONNX: \(e.message)")
        }
        try writeFileAtomically(bytes, to: output)
    }

    func parseScale(_ text: String) throws -> InputScaling {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let numbers = parts.map { Double($0) }
        guard parts.count <= 2, numbers.allSatisfy({ $0 != nil && $0!.isFinite }), parts.count == 1 || numbers[1]! != 0 else {
            throw ToolError("--input-scale '\(text)' is not a number like 0.00392 or a fraction like 1/255")
        }
        let scale = parts.count == 1 ? numbers[0]! : numbers[0]! / numbers[1]!
        guard scale != 0 else { throw ToolError("--input-scale must not be 0") }
        return InputScaling(scale: scale, offset: 0)
    }

    func parseShape(_ text: String) throws -> [Int] {
        let parts = text.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.count <= 8, parts.allSatisfy({ $0 != nil && $0! > 0 && $0! <= 1 << 20 }) else {
            throw ToolError("--input-shape '\(text)' is not a shape like 28x28")
        }
        return parts.map { $0! }
    }
}
