// FuzzPNG.swift: libFuzzer target for decodePNG(_:maxPixels:) followed by DigitNormalizer.standard.normalize.
// maxPixels is 1,000,000 here (the tools default to 40,000,000) so that a header claiming a large image
// costs milliseconds, not a second, per execution; the limit check itself is the same code either way.
import NNImage

let maxPixels = 1_000_000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let image = try decodePNG(bytes, maxPixels: maxPixels)
        if image.width < 1 || image.height < 1 || image.width * image.height > maxPixels {
            fatalError("decodePNG returned a \(image.width)x\(image.height) image")
        }
        let out = DigitNormalizer.standard.normalize(image)
        if out.width != 28 || out.height != 28 || out.pixels.count != 28 * 28 {
            fatalError("normalize returned \(out.width)x\(out.height)")
        }
    } catch is ImageError {
    } catch {
        fatalError("unexpected error type: \(error)")
    }
    return 0
}
