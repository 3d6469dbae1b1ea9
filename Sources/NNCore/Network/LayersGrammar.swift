// LayersGrammar.swift: the architecture as one line of text, the --layers flag of the tools.
//
//   784-300-10                                        a dense network on 784 inputs
//   1x28x28-conv32k5-maxpool2-conv64k3-maxpool2-128-10  a convolutional one on 1-channel 28x28 images
//
// Tokens, separated by '-':
//   first      N (N input features) or CxHxW (an image of C channels)
//   convFkK    F filters of KxK, stride 1, padding (K-1)/2 ('same' for odd K); suffixes sS (stride) and
//              pP (padding) in that order: conv64k3s2p0
//   maxpoolK   KxK max pooling with stride K;  avgpoolK  the same with the mean
//   N          a dense layer of N units (the last one is the output layer)
// Each convolution and each dense layer but the last is a hidden layer, numbered from 1 in order; the
// hidden activation follows it. Batch norm, when chosen for a hidden layer, sits between it and its
// activation (per channel after a convolution); dropout follows the activation and any pooling right
// after it. A flatten step is added where the first dense layer follows the spatial part.

/// A parsed --layers line, before the hidden activation, batch norm and dropout are chosen.
public struct LayersPlan: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        case conv(filters: Int, kernel: Int, stride: Int, padding: Int)
        case maxPool(Int)
        case avgPool(Int)
        case dense(Int)
    }

    public var inputShape: [Int]
    public var steps: [Step]

    /// Convolutions and dense layers before the output layer.
    public var hiddenLayerCount: Int {
        steps.filter { if case .maxPool = $0 { return false } else if case .avgPool = $0 { return false } else { return true } }.count - 1
    }

    /// Sizes are capped so that no token can ask for an absurd network before the architecture's own
    /// ceilings are checked (and so that products never overflow).
    public static let maxTokenValue = 1 << 24

    /// Parses `text`; an error names the token at fault.
    public init(parsing text: String) throws(LayerSpecError) {
        let tokens = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard tokens.count >= 2 else {
            throw LayerSpecError("'\(text)' needs an input and at least one layer, like 784-100-10 or 1x28x28-conv8k3-10")
        }
        func number(_ s: Substring, _ token: String) throws(LayerSpecError) -> Int {
            guard !s.isEmpty, s.allSatisfy(\.isASCII), s.allSatisfy(\.isNumber), let n = Int(s), n >= 1, n <= LayersPlan.maxTokenValue else {
                throw LayerSpecError("token '\(token)': '\(s)' is not a size between 1 and \(LayersPlan.maxTokenValue)")
            }
            return n
        }
        let first = tokens[0]
        let dims = first.split(separator: "x", omittingEmptySubsequences: false)
        guard dims.count == 1 || dims.count == 3 else {
            throw LayerSpecError("token '\(first)': the input is N features or CxHxW (e.g. 1x28x28)")
        }
        inputShape = []
        for d in dims { inputShape.append(try number(d, first)) }
        steps = []
        for token in tokens.dropFirst() {
            if token.hasPrefix("conv") {
                // convFkK[sS][pP]
                var rest = Substring(token.dropFirst(4))
                func take(until marker: Character?) -> Substring {
                    guard let marker, let i = rest.firstIndex(of: marker) else { defer { rest = "" }; return rest }
                    defer { rest = rest[rest.index(after: i)...] }
                    return rest[..<i]
                }
                guard rest.contains("k") else { throw LayerSpecError("token '\(token)': a convolution is convFkK, e.g. conv32k5") }
                let filters = try number(take(until: "k"), token)
                let hasStride = rest.contains("s"), hasPadding = rest.contains("p")
                let kernel = try number(take(until: hasStride ? "s" : hasPadding ? "p" : nil), token)
                let stride = hasStride ? try number(take(until: hasPadding ? "p" : nil), token) : 1
                var padding = (kernel - 1) / 2
                if hasPadding {
                    let p = take(until: nil)
                    guard p.allSatisfy(\.isNumber), let v = Int(p), v >= 0 else { throw LayerSpecError("token '\(token)': padding '\(p)' is not a number") }
                    padding = v
                }
                guard rest.isEmpty else { throw LayerSpecError("token '\(token)': unexpected '\(rest)'") }
                guard padding < kernel else { throw LayerSpecError("token '\(token)': padding \(padding) must be smaller than the kernel \(kernel)") }
                steps.append(.conv(filters: filters, kernel: kernel, stride: stride, padding: padding))
            } else if token.hasPrefix("maxpool") {
                steps.append(.maxPool(try number(token.dropFirst(7), token)))
            } else if token.hasPrefix("avgpool") {
                steps.append(.avgPool(try number(token.dropFirst(7), token)))
            } else if token.first?.isNumber == true {
                steps.append(.dense(try number(Substring(token), token)))
            } else {
                throw LayerSpecError("token '\(token)' is not a size, convFkK, maxpoolK or avgpoolK")
            }
        }
        guard case .dense = steps.last else {
            throw LayerSpecError("the last token '\(tokens.last!)' must be the output layer's size")
        }
        var spatial = inputShape.count == 3
        for (token, step) in zip(tokens.dropFirst(), steps) {
            switch step {
            case .dense: spatial = false
            case .conv, .maxPool, .avgPool:
                guard spatial else {
                    throw LayerSpecError("token '\(token)': convolution and pooling need an image input (start with CxHxW, e.g. 1x28x28) and come before the dense layers")
                }
            }
        }
    }

    /// The network: `batchNorm` and `dropout` by hidden layer index (0 = first hidden layer).
    public func architecture(activation: Activation, output: OutputKind, batchNorm: Set<Int> = [],
                             dropout: [Int: Double] = [:]) throws(LayerSpecError) -> Architecture {
        var layers: [any LayerSpec] = []
        var shape = inputShape
        var hidden = 0
        var pendingDropout: Double? = nil
        func add(_ spec: any LayerSpec) throws(LayerSpecError) {
            do { shape = try spec.outputShape(for: shape) } catch {
                throw LayerSpecError("layer \(layers.count + 1) (\(spec)) \(error.message)")
            }
            layers.append(spec)
        }
        func flushDropout() throws(LayerSpecError) {
            if let r = pendingDropout, r > 0 { try add(DropoutSpec(ratio: r)) }
            pendingDropout = nil
        }
        for (i, step) in steps.enumerated() {
            let isOutput = i == steps.count - 1
            switch step {
            case .conv(let f, let k, let s, let p):
                try flushDropout()
                try add(Conv2DSpec(inputChannels: shape[0], filters: f, kernel: k, stride: s, padding: p))
            case .maxPool(let k):
                try add(MaxPool2DSpec(PoolingGeometry(window: k)))
                continue
            case .avgPool(let k):
                try add(AvgPool2DSpec(PoolingGeometry(window: k)))
                continue
            case .dense(let n):
                try flushDropout()
                if shape.count != 1 { try add(FlattenSpec()) }
                try add(AffineSpec(inputs: shape[0], outputs: n))
            }
            if isOutput { break }
            if batchNorm.contains(hidden) { try add(BatchNormSpec(features: shape[0])) }
            try add(ActivationSpec(activation))
            pendingDropout = dropout[hidden]
            hidden += 1
        }
        return Architecture(inputShape: inputShape, layers: layers, output: output)
    }
}
