// swift-tools-version:6.0
// DigitReader: reads digits from PNG files with a model embedded at build time by nn-toolkit's EmbedModel
// plugin (Sources/DigitReader/Digits.nnm becomes the type `Digits`).
//
// It depends on nn-toolkit by git URL and version. Set NN_TOOLKIT_GIT to the repository's URL (a tagged
// clone: `file:///path/to/nn-toolkit`), or replace the URL below with where you get nn-toolkit from.
import PackageDescription

let toolkit = Context.environment["NN_TOOLKIT_GIT"] ?? "https://github.com/nn-toolkit/nn-toolkit"

let package = Package(
    name: "DigitReader",
    dependencies: [.package(url: toolkit, from: "0.1.0")],
    targets: [
        .executableTarget(
            name: "DigitReader",
            dependencies: [.product(name: "NNToolkit", package: "nn-toolkit")],
            plugins: [.plugin(name: "EmbedModel", package: "nn-toolkit")]),
    ]
)
