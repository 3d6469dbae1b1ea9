// swift-tools-version:6.0
// Consumer: a package that uses nn-toolkit as a versioned dependency (Tests/EndToEndTests/ConsumerTests.swift
// builds it against a tagged clone, NN_TOOLKIT_GIT=file:///...).
import PackageDescription

let toolkit = Context.environment["NN_TOOLKIT_GIT"] ?? "https://github.com/nn-toolkit/nn-toolkit"

let package = Package(
    name: "Consumer",
    dependencies: [.package(url: toolkit, from: "0.1.0")],
    targets: [
        .executableTarget(name: "Consumer", dependencies: [.product(name: "NNToolkit", package: "nn-toolkit")]),
    ]
)
