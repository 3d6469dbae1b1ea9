// ONNXLayerTable.swift: how each layer kind maps to ONNX operators and back. The one place that knows
// both a LayerSpec and an op type; ONNXExport.swift and ONNXImport.swift only walk graphs and call it.
// A new layer kind gets its export case and its import rules here, and a row in this table.
//
//   layer kind          export (opset 13)                              import (importNode)
//   affine(i, o)        Gemm(x, W [i, o], b [o])                       Gemm (transA 0; transB, alpha, beta folded
//                                                                      into W and b), MatMul (+ Add: the bias)
//   activation          Relu / Sigmoid / Tanh                          Relu / Sigmoid / Tanh
//   batchNorm(n)        BatchNormalization(x, gamma, beta, mean, var,  BatchNormalization (inference form; another
//                       epsilon 1e-7)                                  epsilon is folded into the variance)
//   conv(F, C, KHxKW,   Conv(x, W [F, C, KH, KW], b [F]; kernel_shape,  Conv with group 1, dilations 1, symmetric
//     stride, pad)      strides, pads [pY, pX, pY, pX], dilations 1,   pads (or auto_pad VALID / SAME_* that comes
//                       group 1)                                       out symmetric), pad < kernel; no bias: 0
//   maxpool(window,     MaxPool(kernel_shape, strides, pads,           MaxPool with dilations 1, storage_order 0,
//     stride, pad)      ceil_mode 0)                                   symmetric pads < window, ceil_mode 0 (or 1
//                                                                      when it gives the same output size)
//   avgpool(...)        AveragePool(... , count_include_pad 0)         AveragePool, the same; count_include_pad 1
//                                                                      only without padding
//   flatten             Flatten(axis 1)                                Flatten (axis 1) / Reshape [-1 or 0, n] after
//                                                                      the spatial part
//   batchNorm(n)        on [N, C, H, W] after a convolution: the same  the same, per channel on 4-D data
//   dropout(r)          nothing (identity at inference)                Dropout, Identity: skipped
//   input scaling       Mul(pixels, scale) [, Add(offset)]             leading Mul / Div / Add / Sub by a scalar
//   input shape         -                                              Flatten / Reshape before the first dense layer
//   output kind         Softmax / Sigmoid, or none (mse)               trailing Softmax, LogSoftmax, Sigmoid
import NNCore
import NNFormats

enum ONNXLayerTable {
    // MARK: export

    /// Appends the nodes of one layer; `input` is its input shape (one sample), `tensors` its stored tensors
    /// (model-file order), `index` numbers them like the model file does (W1, b1, gamma1, ...). False for a
    /// kind this table cannot export.
    static func export(_ spec: any LayerSpec, input: [Int], tensors: [Matrix<Float>], index k: Int, into g: inout ONNXGraphBuilder) -> Bool {
        switch spec {
        case let c as Conv2DSpec:
            // W [F, C*KH*KW] is [F, C, KH, KW] in row-major order already: the same floats, 4-D dims.
            let w = g.initializer("W\(k)", dims: [c.filters, c.inputChannels, c.kernelHeight, c.kernelWidth], tensors[0].storage)
            let b = g.initializer("b\(k)", dims: [c.filters], tensors[1].storage)
            g.node("Conv", "conv\(k)", constants: [w, b], attributes: [
                .ints("dilations", [1, 1]), .int("group", 1), .ints("kernel_shape", [c.kernelHeight, c.kernelWidth].map { Int64($0) }),
                .ints("pads", [c.padY, c.padX, c.padY, c.padX].map { Int64($0) }), .ints("strides", [c.strideY, c.strideX].map { Int64($0) }),
            ])
        case let p as MaxPool2DSpec:
            // Padding never wins a window: ONNX MaxPool pads with -inf, the same.
            g.node("MaxPool", "maxpool\(k)", attributes: poolAttributes(p.geometry))
        case let p as AvgPool2DSpec:
            // The divisor counts only the input values in the window (AvgPool2D.swift).
            g.node("AveragePool", "avgpool\(k)", attributes: poolAttributes(p.geometry) + [.int("count_include_pad", 0)])
        case is FlattenSpec:
            g.node("Flatten", "flatten\(k)", attributes: [.int("axis", 1)])
        case let a as AffineSpec:
            let w = g.initializer("W\(k)", dims: [a.inputs, a.outputs], tensors[0].storage)
            let b = g.initializer("b\(k)", dims: [a.outputs], tensors[1].storage)
            g.node("Gemm", "gemm\(k)", constants: [w, b])
        case let a as ActivationSpec:
            let op = [Activation.relu: "Relu", .sigmoid: "Sigmoid", .tanh: "Tanh"][a.function]!
            g.node(op, "\(a.function.rawValue)\(k)")
        case let b as BatchNormSpec:
            let names = ["gamma", "beta", "mean", "var"].enumerated().map { j, name in
                g.initializer("\(name)\(k)", dims: [b.features], tensors[j].storage)
            }
            // Our BatchNorm's epsilon (Layers/BatchNorm.swift), as the Float it computes with.
            g.node("BatchNormalization", "batchnorm\(k)", constants: names, attributes: [.float("epsilon", 1e-7)])
        case is DropoutSpec:
            break
        default:
            return false
        }
        return true
    }

    /// kernel_shape, strides, pads (top, left, bottom, right) and ceil_mode 0 (the output size rounds down).
    static func poolAttributes(_ p: PoolingGeometry) -> [ONNXAttribute] {
        [.int("ceil_mode", 0), .ints("kernel_shape", [p.windowHeight, p.windowWidth].map { Int64($0) }),
         .ints("pads", [p.padY, p.padX, p.padY, p.padX].map { Int64($0) }), .ints("strides", [p.strideY, p.strideX].map { Int64($0) })]
    }

    /// The output node after the scores: Softmax or Sigmoid, none for regression.
    static func outputOperator(_ kind: OutputKind) -> String? {
        switch kind {
        case .softmaxCrossEntropy: return "Softmax"
        case .sigmoidBinaryCrossEntropy: return "Sigmoid"
        case .identityMeanSquaredError: return nil
        }
    }

    // MARK: import

    /// Reads one node into the import `s` (ONNXImport.swift); false when its op type is not one of these.
    static func importNode(_ n: ONNXNode, into s: inout ONNXImportState) throws -> Bool {
        switch n.opType {
        case "Gemm":
            try s.requireData(n, at: 0, "the data must be Gemm's first input (A)")
            if n.intAttribute("transA", 0) != 0 { throw s.fail(n, "transA = 1 transposes the data; nn-model reads [batch, features] rows") }
            let b = try s.constantMatrix(n, input: 1)
            var w = n.intAttribute("transB", 0) != 0 ? b.transposed() : b
            let alpha = n.floatAttribute("alpha", 1), beta = n.floatAttribute("beta", 1)
            if alpha != 1 { for j in 0..<w.count { w.storage[j] *= alpha } }
            var bias: Matrix<Float>? = nil
            if n.inputs.count > 2 && !n.inputs[2].isEmpty {
                var c = try s.constantVector(n, input: 2, length: w.cols)
                if beta != 1 { for j in 0..<c.count { c.storage[j] *= beta } }
                bias = c
            }
            try s.addAffine(n, weight: w, bias: bias)
        case "MatMul":
            try s.requireData(n, at: 0, "the data must be MatMul's first input")
            try s.addAffine(n, weight: try s.constantMatrix(n, input: 1), bias: nil)
        case "Add":
            let k = try s.constantInput(n)
            if s.started {
                try s.setBias(n, try s.constantVector(n, input: k, length: s.width ?? 0))
            } else {
                try s.scaleInput(n, multiply: 1, add: try s.scalar(n, input: k))
            }
        case "Sub":
            try s.requireData(n, at: 0, "subtracting the data from a constant is not an input scaling nn-model reads")
            if s.started { throw s.fail(n, "only a leading Sub (input scaling) is supported") }
            try s.scaleInput(n, multiply: 1, add: -(try s.scalar(n, input: 1)))
        case "Mul":
            if s.started { throw s.fail(n, "only a leading Mul (input scaling) is supported") }
            try s.scaleInput(n, multiply: try s.scalar(n, input: try s.constantInput(n)), add: 0)
        case "Div":
            try s.requireData(n, at: 0, "dividing a constant by the data is not an input scaling nn-model reads")
            if s.started { throw s.fail(n, "only a leading Div (input scaling) is supported") }
            let d = try s.scalar(n, input: 1)
            if d == 0 { throw s.fail(n, "divides by zero") }
            try s.scaleInput(n, multiply: 1 / d, add: 0)
        case "Relu":
            try s.addLayer(n, ActivationSpec(.relu))
        case "Sigmoid":
            try s.addLayer(n, ActivationSpec(.sigmoid))   // a trailing one becomes the output kind
        case "Tanh":
            try s.addLayer(n, ActivationSpec(.tanh))
        case "BatchNormalization":
            try s.requireData(n, at: 0, "the data must be BatchNormalization's first input")
            if n.intAttribute("training_mode", 0) != 0 { throw s.fail(n, "training_mode = 1; nn-model reads the inference form") }
            if n.outputs.count > 1 && n.outputs[1...].contains(where: { !$0.isEmpty }) {
                throw s.fail(n, "has running-statistics outputs (training form); nn-model reads the inference form")
            }
            let width = s.featureCount
            let gamma = try s.constantVector(n, input: 1, length: width), beta = try s.constantVector(n, input: 2, length: width)
            let mean = try s.constantVector(n, input: 3, length: width), variance = try s.constantVector(n, input: 4, length: width)
            try s.addBatchNorm(n, gamma: gamma, beta: beta, mean: mean, variance: variance, epsilon: Double(n.floatAttribute("epsilon", 1e-5)))
        case "Conv":
            try s.requireData(n, at: 0, "the data must be Conv's first input (X)")
            let image = try s.image(n)
            let w = try s.constant(n, input: 1)
            guard w.dims.count == 4, w.dims.allSatisfy({ $0 > 0 }) else {
                throw s.fail(n, "weight '\(w.name)' has shape \(w.dims); nn-model needs [filters, channels, kernel height, kernel width]")
            }
            let group = n.intAttribute("group", 1)
            if group != 1 { throw s.fail(n, "group = \(group) (grouped or depthwise convolution); nn-model convolves every channel with every filter (group 1)") }
            if w.dims[1] != image[0] { throw s.fail(n, "weight '\(w.name)' takes \(w.dims[1]) channels, the data has \(image[0])") }
            let kernel = [w.dims[2], w.dims[3]]
            if let k = n.attribute("kernel_shape"), k.ints != kernel.map(Int64.init) {
                throw s.fail(n, "kernel_shape \(k.ints) disagrees with weight '\(w.name)' of shape \(w.dims)")
            }
            let (stride, pad) = try s.window(n, kernel: kernel, image: image)
            let filters = w.dims[0]
            let weight = Matrix(rows: filters, cols: w.dims[1] * kernel[0] * kernel[1], storage: try s.floats(n, w))
            let bias = n.inputs.count > 2 && !n.inputs[2].isEmpty ? try s.constantVector(n, input: 2, length: filters) : Matrix(rows: 1, cols: filters)
            try s.addSpatial(n, Conv2DSpec(inputChannels: image[0], filters: filters, kernelHeight: kernel[0], kernelWidth: kernel[1],
                                           strideY: stride[0], strideX: stride[1], padY: pad[0], padX: pad[1]), tensors: [weight, bias])
        case "MaxPool", "AveragePool":
            let image = try s.image(n)
            try s.requireData(n, at: 0, "the data must be \(n.opType)'s first input")
            guard let k = n.attribute("kernel_shape")?.ints, k.count == 2, k.allSatisfy({ $0 > 0 && $0 <= Int64(SizeLimits.maxSampleValues) }) else {
                throw s.fail(n, "kernel_shape \(n.attribute("kernel_shape")?.ints ?? []) is not a window nn-model reads (two sizes, each 1 to \(SizeLimits.maxSampleValues))")
            }
            let kernel = k.map { Int($0) }
            let (stride, pad) = try s.window(n, kernel: kernel, image: image)
            if n.opType == "MaxPool" && n.intAttribute("storage_order", 0) != 0 && n.outputs.count > 1 {
                throw s.fail(n, "storage_order 1 with an Indices output; nn-model reads MaxPool's values only")
            }
            if n.opType == "AveragePool" && n.intAttribute("count_include_pad", 0) != 0 && pad != [0, 0] {
                throw s.fail(n, "count_include_pad = 1 with padding; nn-model's average pooling divides by the input values in the window only")
            }
            let geometry = PoolingGeometry(windowHeight: kernel[0], windowWidth: kernel[1], strideY: stride[0], strideX: stride[1], padY: pad[0], padX: pad[1])
            try s.addSpatial(n, n.opType == "MaxPool" ? MaxPool2DSpec(geometry) as any LayerSpec : AvgPool2DSpec(geometry))
        case "Dropout", "Identity":
            break   // inference: nothing to do
        case "Flatten":
            let axis = n.intAttribute("axis", 1)
            if axis != 1 { throw s.fail(n, "axis \(axis); nn-model reads Flatten with axis 1 (keep the batch dimension)") }
            try s.flatten(n, to: nil)
        case "Reshape":
            let shape = try s.constant(n, input: 1)
            guard case .int64(let v) = shape.data, v.count == 2, v[0] == -1 || v[0] == 0, v[1] == -1 || v[1] > 0 else {
                throw s.fail(n, "reshapes to \(shape.data.doubles.map { Int64($0) }); nn-model reads a reshape to [-1 or 0, features] (flattening each sample)")
            }
            try s.flatten(n, to: v[1] > 0 ? Int(v[1]) : nil)
        case "Softmax", "LogSoftmax":
            try s.setOutput(n, .softmaxCrossEntropy, axis: n.attribute("axis")?.i ?? (s.opset >= 13 ? -1 : 1))
        default:
            return false
        }
        return true
    }

    /// The op types `importNode` reads, for messages.
    static let importedOperators = "Add, AveragePool, BatchNormalization, Conv, Div, Dropout, Flatten, Gemm, Identity, LogSoftmax, MatMul, MaxPool, Mul, Relu, Reshape, Sigmoid, Softmax, Sub, Tanh"
}

extension ONNXNode {
    func intAttribute(_ name: String, _ fallback: Int64) -> Int64 { attribute(name)?.i ?? fallback }
    func floatAttribute(_ name: String, _ fallback: Float) -> Float { attribute(name)?.f ?? fallback }
}

extension Matrix where Scalar == Float {
    func transposed() -> Matrix<Float> {
        var t = Matrix<Float>(rows: cols, cols: rows)
        for r in 0..<rows { for c in 0..<cols { t[c, r] = self[r, c] } }
        return t
    }
}

extension ONNXImportState {
    /// Strides and symmetric padding (height, width) of a Conv, MaxPool or AveragePool node with this
    /// kernel over this image, from strides, pads, auto_pad, dilations and ceil_mode; refuses what
    /// nn-model's layers cannot do, naming the attribute.
    func window(_ n: ONNXNode, kernel: [Int], image: [Int]) throws -> (stride: [Int], pad: [Int]) {
        let limit = Int64(SizeLimits.maxSampleValues)   // no value beyond it makes sense; keeps sums exact
        let strides = n.attribute("strides")?.ints ?? [1, 1]
        guard strides.count == 2, strides.allSatisfy({ $0 > 0 && $0 <= limit }) else {
            throw fail(n, "strides \(strides); nn-model needs two strides, each 1 to \(limit)")
        }
        let stride = strides.map { Int($0) }
        if let d = n.attribute("dilations")?.ints, d.contains(where: { $0 != 1 }) {
            throw fail(n, "dilations \(d); nn-model's kernels are dense (dilations 1)")
        }
        let autoPad = String(decoding: n.attribute("auto_pad")?.s ?? [], as: UTF8.self)
        let given = n.attribute("pads")?.ints
        var pad: [Int]
        switch autoPad {
        case "", "NOTSET":
            let p = given ?? [0, 0, 0, 0]
            guard p.count == 4, p.allSatisfy({ $0 >= 0 && $0 <= limit }) else {
                throw fail(n, "pads \(p); nn-model needs four paddings (top, left, bottom, right), each 0 to \(limit)")
            }
            guard p[0] == p[2], p[1] == p[3] else {
                throw fail(n, "pads \(p) are asymmetric (top, left, bottom, right); nn-model pads both sides of each axis alike")
            }
            pad = [Int(p[0]), Int(p[1])]
        case "VALID":
            pad = [0, 0]
        case "SAME_UPPER", "SAME_LOWER":
            // Total padding so that the output is ceil(input / stride); symmetric only when it is even.
            pad = []
            for a in 0..<2 {
                let out = (image[a + 1] + stride[a] - 1) / stride[a]
                let total = max(0, (out - 1) * stride[a] + kernel[a] - image[a + 1])
                if total % 2 != 0 { throw fail(n, "auto_pad \(autoPad) pads one side more than the other (\(total) in all); nn-model pads both sides alike") }
                pad.append(total / 2)
            }
        default:
            throw fail(n, "auto_pad '\(autoPad)' is not one nn-model reads (NOTSET, VALID, SAME_UPPER, SAME_LOWER)")
        }
        if autoPad != "" && autoPad != "NOTSET", let given, given.contains(where: { $0 != 0 }) {
            throw fail(n, "has both auto_pad \(autoPad) and pads \(given)")
        }
        for a in 0..<2 where pad[a] >= kernel[a] {
            throw fail(n, "padding \(pad[a]) is not smaller than the \(kernel[a]) kernel; nn-model's layers need it smaller")
        }
        if n.intAttribute("ceil_mode", 0) != 0 {
            // ceil_mode rounds the output size up; it is the same as rounding down when the windows fit exactly.
            for a in 0..<2 where (image[a + 1] + 2 * pad[a] - kernel[a]) % stride[a] != 0 && image[a + 1] + 2 * pad[a] >= kernel[a] {
                throw fail(n, "ceil_mode = 1 adds a partial window at the edge; nn-model's output size rounds down (ceil_mode 0)")
            }
        }
        return (stride, pad)
    }
}
