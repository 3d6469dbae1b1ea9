// FuzzCheckpoint.swift: libFuzzer target for the checkpoint reader: CheckpointCodec.decode(_:path:) (the
// model part, then the conf/prog typed fields and the opts/best/hist sections), then Checkpoint.validate
// against the run and against training sets of 1, 40 and Int.max samples. Every input must decode or
// throw a FormatError, and validation must refuse or pass without trapping; anything else is a bug. A
// decoded checkpoint must re-encode to bytes that decode and re-encode to the same bytes.
import NNCore
import NNFormats

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let c = try CheckpointCodec.decode(bytes, path: "fuzz.ckpt")
        let encoded = CheckpointCodec.encode(c)
        if CheckpointCodec.encode(try CheckpointCodec.decode(encoded, path: "re.ckpt")) != encoded {
            fatalError("a decoded checkpoint does not survive re-encoding")
        }
        try c.validate(path: "fuzz.ckpt")
        for samples in [1, 40, Int.max] {
            do { try c.validate(trainingSamples: samples, path: "fuzz.ckpt") } catch is FormatError {}
        }
    } catch is FormatError {
        // expected for bad input
    } catch {
        fatalError("unexpected error type: \(error)")
    }
    return 0
}
