// swift-tools-version:6.0
// nn-toolkit: five Unix tools (nn-train, nn-eval, nn-predict, nn-gradcheck, nn-model) over one core library.
import PackageDescription

let package = Package(
    name: "nn-toolkit",
    products: [
        .library(name: "NNCore", targets: ["NNCore"]),
        .library(name: "NNFormats", targets: ["NNFormats"]),
        // The library for apps: load a model, classify PNGs, pixels or values, evaluate, train (NNToolkit.docc).
        .library(name: "NNToolkit", targets: ["NNToolkit"]),
        .executable(name: "nn-train", targets: ["nn-train"]),
        .executable(name: "nn-eval", targets: ["nn-eval"]),
        .executable(name: "nn-predict", targets: ["nn-predict"]),
        .executable(name: "nn-gradcheck", targets: ["nn-gradcheck"]),
        .executable(name: "nn-model", targets: ["nn-model"]),
        .plugin(name: "DownloadDatasets", targets: ["DownloadDatasets"]),
        // Embeds each .nnm of a target as a Swift type (depends on NNToolkit at run time).
        .plugin(name: "EmbedModel", targets: ["EmbedModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation --target NNToolkit` (the DocC catalog; CI fails on warnings)
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // tests only: the property-based hostile-input test (Tests/HostileInputTests)
        .package(url: "https://github.com/x-sheep/swift-property-based", exact: "2.0.1"),
    ],
    targets: [
        // C libraries from Debian, through pkg-config.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng16", providers: [.apt(["libpng-dev"])]),
        // GEMM micro-kernels: AVX2/FMA code paths selected at run time, portable fallback otherwise.
        .target(name: "CKernels"),
        // The math: tensors, layers, losses, network, optimizers, training loop. No I/O.
        .target(name: "NNCore", dependencies: ["CKernels"]),
        // File formats: IDX (gzipped or raw), the model file, ONNX (hand-written protobuf codec) and .npz.
        .target(name: "NNFormats", dependencies: ["NNCore", "NNDigest", "CZlib"]),
        // SHA-256 without Foundation: nn-fetch's digests and the data fingerprints of checkpoints.
        .target(name: "NNDigest"),
        // Other runtimes' formats: ONNX (a hand-written protobuf codec) and NumPy .npz. Only nn-model links
        // it, so the other tools do not wait for it to compile.
        .target(name: "NNInterchange", dependencies: ["NNFormats", "NNCore", "CZlib"]),
        // PNG decoding/encoding and MNIST-style normalisation of digit images.
        // libpng's full API behind a C function: its longjmp never crosses a Swift frame.
        .target(name: "CPNGReader", dependencies: ["CPNG"]),
        .target(name: "NNImage", dependencies: ["NNCore", "CPNGReader", "CZlib"]),
        // The library apps use: a small documented surface over the core, the formats and PNG reading.
        .target(name: "NNToolkit", dependencies: ["NNCore", "NNFormats", "NNImage"]),
        // Pictures, as SVG or PNG: training curves, confusion heat maps, grids of misclassified images.
        // make_font.py writes FontData.swift, the glyphs of PNG pictures.
        .target(name: "NNReport", dependencies: ["NNCore", "NNImage", "NNToolkit"], exclude: ["make_font.py"]),
        // What the four tools share: diagnostics, atomic output, data discovery, common options.
        .target(name: "NNCommandLine", dependencies: [
            "NNCore", "NNFormats",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "nn-train", dependencies: ["NNCommandLine", "NNImage", "NNReport", "NNToolkit"]),
        .executableTarget(name: "nn-eval", dependencies: ["NNCommandLine", "NNReport", "NNImage", "NNToolkit"]),
        // nn-predict links the Swift runtime statically in release builds: one PNG is a whole process, and
        // resolving the runtime's shared libraries was ~3 ms of its ~19 ms (bench/RESULTS.md). Debug builds
        // (and with them the sanitizer runs) link it dynamically: the sanitizers' runtimes need that.
        .executableTarget(name: "nn-predict", dependencies: ["NNCommandLine", "NNImage", "NNToolkit"],
                          linkerSettings: [.unsafeFlags(["-static-stdlib", "-l_FoundationCShims", "-l_FoundationCollections"],
                                                        .when(platforms: [.linux], configuration: .release))]),
        .executableTarget(name: "nn-gradcheck", dependencies: ["NNCommandLine", "NNReport", "NNToolkit"]),
        // Model files: info, and conversion to and from ONNX and the book's NumPy weights (.npz).
        .executableTarget(name: "nn-model", dependencies: ["NNCommandLine", "NNInterchange"]),
        // Benchmarks and test-data generation (not installed for users).
        .executableTarget(name: "nn-bench", dependencies: ["NNCommandLine", "NNImage"]),
        // Small helper the download plugin runs (SHA-256, gunzip-verify) at release speed.
        .executableTarget(name: "nn-fetch", dependencies: ["CZlib", "NNDigest"]),
        .plugin(
            name: "DownloadDatasets",
            capability: .command(
                intent: .custom(verb: "download-datasets", description: "Download and verify MNIST / Fashion-MNIST"),
                permissions: [
                    .allowNetworkConnections(scope: .all(), reason: "Downloads the data sets from their mirrors"),
                    .writeToPackageDirectory(reason: "Writes the data sets into data/"),
                ]),
            dependencies: ["nn-fetch"]),
        // The EmbedModel plugin's worker: checks a model and writes the Swift type that carries it.
        .executableTarget(name: "nn-embed", dependencies: ["NNFormats"]),
        .plugin(name: "EmbedModel", capability: .buildTool(), dependencies: ["nn-embed"]),
        .testTarget(name: "NNCoreTests", dependencies: ["NNCore"]),
        .testTarget(name: "NNFormatsTests", dependencies: ["NNFormats", "NNInterchange", "NNCore", "NNDigest"]),
        .testTarget(name: "NNImageTests", dependencies: ["NNImage"]),
        .testTarget(name: "EndToEndTests", dependencies: [
            "NNFormats", "NNCore", "NNImage", "NNToolkit", .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "PluginTests"),
        .testTarget(name: "NNReportTests", dependencies: ["NNReport", "NNCore", "NNImage", "NNToolkit"]),
        // Every tool's parser and every file reader driven with random and boundary values, in process
        // (the tools' command types are imported from their executable targets), plus a sample of runs.
        .testTarget(name: "HostileInputTests", dependencies: [
            "nn-train", "nn-eval", "nn-predict", "nn-gradcheck", "NNCommandLine", "NNFormats", "NNImage", "NNCore",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
