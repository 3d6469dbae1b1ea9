// ONNXLayerTable.swift: how each layer kind maps to ONNX operators and back. The one place that knows
// both a LayerSpec and an op type; ONNXExport.swift and ONNXImport.swift only walk graphs and call it.
// When a layer kind is added (conv, pooling), its export case and its import rules go here.
//
//   layer kind          export (opset 13)                              import (importNode)
//   affine(i, o)        Gemm(x, W [i, o], b [o])                       Gemm (transA 0; transB, alpha, beta folded
//                                                                      into W and b), MatMul (+ Add: the bias)
//   activation          Relu / Sigmoid / Tanh                          Relu / Sigmoid / Tanh
//   batchNorm(n)        BatchNormalization(x, gamma, beta, mean, var,  BatchNormalization (inference form; another
//                       epsilon 1e-7)                                  epsilon is folded into the variance)
//   dropout(r)          nothing (identity at inference)                Dropout, Identity: skipped
//   input scaling       Mul(pixels, scale) [, Add(offset)]             leading Mul / Div / Add / Sub by a scalar
//   input shape         -                                              Flatten / Reshape before the first dense layer
//   output kind         Softmax / Sigmoid, or none (mse)               trailing Softmax, LogSoftmax, Sigmoid
import NNCore
import NNFormats

enum ONNXLayerTable {
    // MARK: export

    /// Appends the nodes of one layer; `tensors` are its stored tensors (model-file order), `index` numbers
    /// them like the model file does (W1, b1, gamma1, ...). False for a kind this table cannot export.
    static func export(_ spec: any LayerSpec, tensors: [Matrix<Float>], index k: Int, into g: inout ONNXGraphBuilder) -> Bool {
        switch spec {
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
            if s.sawDense {
                try s.setBias(n, try s.constantVector(n, input: k, length: s.width ?? 0))
            } else {
                try s.scaleInput(n, multiply: 1, add: try s.scalar(n, input: k))
            }
        case "Sub":
            try s.requireData(n, at: 0, "subtracting the data from a constant is not an input scaling nn-model reads")
            if s.sawDense { throw s.fail(n, "only a leading Sub (input scaling) is supported") }
            try s.scaleInput(n, multiply: 1, add: -(try s.scalar(n, input: 1)))
        case "Mul":
            if s.sawDense { throw s.fail(n, "only a leading Mul (input scaling) is supported") }
            try s.scaleInput(n, multiply: try s.scalar(n, input: try s.constantInput(n)), add: 0)
        case "Div":
            try s.requireData(n, at: 0, "dividing a constant by the data is not an input scaling nn-model reads")
            if s.sawDense { throw s.fail(n, "only a leading Div (input scaling) is supported") }
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
            let width = s.width ?? 0
            let gamma = try s.constantVector(n, input: 1, length: width), beta = try s.constantVector(n, input: 2, length: width)
            let mean = try s.constantVector(n, input: 3, length: width), variance = try s.constantVector(n, input: 4, length: width)
            try s.addBatchNorm(n, gamma: gamma, beta: beta, mean: mean, variance: variance, epsilon: Double(n.floatAttribute("epsilon", 1e-5)))
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
    static let importedOperators = "Add, BatchNormalization, Div, Dropout, Flatten, Gemm, Identity, LogSoftmax, MatMul, Mul, Relu, Reshape, Sigmoid, Softmax, Sub, Tanh"
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
