// FuzzNPZ.swift: libFuzzer target for the .npz reader (zip directory, raw inflate, .npy headers) and the
// book's-params importer: NPZFile.decode(_:path:), then NPZImport.model. Every input must decode or throw
// FormatError / FormatErrors; anything else is a bug. An imported model must survive the model file.
import NNCore
import NNFormats
import NNInterchange

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let arrays = try NPZFile.decode(bytes, path: "fuzz.npz")
        for a in arrays where a.array.count != a.array.shape.reduce(1, *) {
            fatalError("array \(a.name) has \(a.array.count) values, its shape \(a.array.shape) says otherwise")
        }
        let (model, _) = try NPZImport.model(arrays, path: "fuzz.npz", options: NPZImportOptions(activation: .relu))
        let again = try ModelFileReader.decode(ModelFileWriter.encode(model), path: "re.nnm")
        if again != model { fatalError("an imported model does not survive the model file") }
    } catch is FormatError {
    } catch is FormatErrors {
    } catch {
        fatalError("unexpected error type: \(error)")
    }
    return 0
}
