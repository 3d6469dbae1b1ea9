// Classify MODEL PNG...: classifies each PNG with the library, as the README's "Use from Swift" shows:
// path, then the three most likely classes and their probabilities.
import Foundation
import NNToolkit

let arguments = CommandLine.arguments
let model = try Classifier(contentsOf: arguments[1])
for path in arguments.dropFirst(2) {
    let prediction = try model.predict(png: Data(contentsOf: URL(fileURLWithPath: path)), topK: 3)
    print(([path] + prediction.top.map { "\($0.name)\t\(String(format: "%.9f", $0.probability))" }).joined(separator: "\t"))
}
