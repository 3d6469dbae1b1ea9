// FuzzONNX.swift: libFuzzer target for the ONNX reader and importer: ONNXFile.decode(_:path:), then
// ONNXImport.model (with and without a --loss). Every input must decode or throw a FormatError; anything
// else (a trap, an ASan report, a hang) is a bug. An imported model is exported again and re-imported:
// the architecture, the scaling and every weight bit must survive.
import NNCore
import NNFormats
import NNInterchange

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let proto = try ONNXFile.decode(bytes, path: "fuzz.onnx")
        for loss in [nil, OutputKind.softmaxCrossEntropy] {
            let model: Model
            do {
                model = try ONNXImport.model(proto, path: "fuzz.onnx", options: ONNXImportOptions(loss: loss))
            } catch is FormatError {
                continue
            }
            let again = try ONNXImport.model(ONNXFile.decode(try ONNXExport.encode(model, producerVersion: "fuzz"), path: "re.onnx"), path: "re.onnx")
            if again.architecture != model.architecture || again.scaling != model.scaling
                || again.parameters.map({ $0.storage.map(\.bitPattern) }) != model.parameters.map({ $0.storage.map(\.bitPattern) }) {
                fatalError("an imported model does not survive export and import")
            }
        }
    } catch is FormatError {
        // expected for bad input
    } catch {
        fatalError("unexpected error type: \(error)")
    }
    return 0
}
