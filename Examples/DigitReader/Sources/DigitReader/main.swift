// DigitReader PNG...: one line per file, "path<TAB>digit<TAB>probability", with the model embedded at
// build time (Digits.nnm -> `Digits`): no model file is read at run time.
import Foundation
import NNToolkit

let digits = try Digits()
var failed = false
for path in CommandLine.arguments.dropFirst() {
    do {
        let png = try Data(contentsOf: URL(fileURLWithPath: path))
        let best = try digits.predict(png: png).best!
        print("\(path)\t\(best.name)\t\(String(format: "%.9f", best.probability))")
    } catch {
        FileHandle.standardError.write(Data("digit-reader: \(path): \(error)\n".utf8))
        failed = true
    }
}
exit(failed ? 1 : 0)
