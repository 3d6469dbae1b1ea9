// FuzzModel.swift: libFuzzer target for the model-file decoder, ModelFileReader.decode(_:path:).
// Every input must either decode or throw a FormatError; anything else (a trap, an ASan report, a hang)
// is a bug. A decoded model is also re-encoded and decoded again: the writer must round-trip it.
import NNFormats

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let model = try ModelFileReader.decode(bytes, path: "fuzz.nnm")
        let again = try ModelFileReader.decode(ModelFileWriter.encode(model), path: "re-encoded.nnm")
        if again.architecture != model.architecture || again.parameters != model.parameters {
            fatalError("a decoded model does not survive re-encoding")
        }
    } catch is FormatError {
        // expected for bad input
    } catch {
        fatalError("unexpected error type: \(error)")
    }
    return 0
}
