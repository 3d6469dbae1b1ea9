// swift-tools-version:6.0
// DigitReader: the two ways to use nn-toolkit from Swift, as a package that depends on it by version.
//   DigitReader: reads digits from PNG files with a model embedded at build time by the EmbedModel plugin
//                (Sources/DigitReader/Digits.nnm becomes the type `Digits`; no file is read at run time);
//   Classify:    loads any model file and classifies PNGs with the NNToolkit library.
// Tests/EndToEndTests/ConsumerTests.swift builds both against a tagged clone and compares with nn-predict.
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
        .executableTarget(name: "Classify", dependencies: [.product(name: "NNToolkit", package: "nn-toolkit")]),
    ]
)
