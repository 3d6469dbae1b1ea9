// consumer MODEL PNG...: classifies each PNG with the library, as the README's "Use from Swift" shows.
import Foundation
import NNToolkit

let arguments = CommandLine.arguments
let model = try Classifier(contentsOf: arguments[1])
for path in arguments.dropFirst(2) {
    let prediction = try model.predict(png: Data(contentsOf: URL(fileURLWithPath: path)), topK: 3)
    print(([path] + prediction.top.map { "\($0.name)\t\(String(format: "%.6f", $0.probability))" }).joined(separator: "\t"))
}
