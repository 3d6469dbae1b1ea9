// Network.swift: an ordered list of layers and an output layer (the book's MultiLayerNet).
// gradient() is forward through the list, the loss, then backward through the list in reverse.

/// A feed-forward network generic over its float type.
public final class Network<Scalar: NNFloat> {
    public let layers: [any Layer<Scalar>]
    public let output: any OutputLayer<Scalar>
    /// Weight decay strength lambda: the loss gains lambda/2 * sum W^2 over weights (not biases).
    public var weightDecay: Scalar = 0

    public init(layers: [any Layer<Scalar>], output: any OutputLayer<Scalar>) {
        self.layers = layers
        self.output = output
        (layers.first as? Affine<Scalar>)?.computesInputGradient = false
    }

    /// Builds the layers of `architecture` with the given parameter values, in `parameters` order.
    public convenience init(architecture: Architecture, parameterValues: [Matrix<Scalar>]) {
        var values = parameterValues.makeIterator()
        var layers: [any Layer<Scalar>] = []
        var affineIndex = 0
        for spec in architecture.layers {
            switch spec {
            case .affine(let i, let o):
                affineIndex += 1
                let w = values.next()!, b = values.next()!
                precondition(w.rows == i && w.cols == o && b.rows == 1 && b.cols == o, "parameter shapes do not match \(spec)")
                layers.append(Affine(weight: w, bias: b, index: affineIndex))
            case .batchNorm(let n):
                let t = (0..<4).map { _ in values.next()! }
                precondition(t.allSatisfy { $0.rows == 1 && $0.cols == n }, "batch norm tensors do not match \(spec)")
                layers.append(BatchNorm(gamma: t[0], beta: t[1], runningMean: t[2], runningVar: t[3], index: affineIndex))
            case .dropout(let r):
                layers.append(Dropout<Scalar>(ratio: r))
            case .activation(.relu): layers.append(ReLU<Scalar>())
            case .activation(.sigmoid): layers.append(Sigmoid<Scalar>())
            case .activation(.tanh): layers.append(Tanh<Scalar>())
            }
        }
        precondition(values.next() == nil, "more parameter tensors than the architecture has")
        self.init(layers: layers, output: Network.makeOutput(architecture.output))
    }

    /// A freshly initialised network: weights normal with the initialiser's deviation, biases zero.
    public convenience init(architecture: Architecture, initializer: WeightInit, rng: inout SeededGenerator) {
        var values: [Matrix<Scalar>] = []
        for spec in architecture.layers {
            switch spec {
            case .affine(let i, let o):
                let std = initializer.standardDeviation(fanIn: i)
                var w = Matrix<Scalar>(rows: i, cols: o)
                for k in 0..<w.count { w.storage[k] = Scalar(std * rng.nextNormal()) }
                values.append(w)
                values.append(Matrix(rows: 1, cols: o))
            case .batchNorm(let n):
                values += [Matrix(rows: 1, cols: n, repeating: 1), Matrix(rows: 1, cols: n),
                           Matrix(rows: 1, cols: n), Matrix(rows: 1, cols: n, repeating: 1)]
            case .activation, .dropout:
                break
            }
        }
        self.init(architecture: architecture, parameterValues: values)
    }

    static func makeOutput(_ kind: OutputKind) -> any OutputLayer<Scalar> {
        switch kind {
        case .softmaxCrossEntropy: return SoftmaxCrossEntropy<Scalar>()
        case .sigmoidBinaryCrossEntropy: return SigmoidBinaryCrossEntropy<Scalar>()
        case .identityMeanSquaredError: return IdentityMeanSquaredError<Scalar>()
        }
    }

    public var architecture: Architecture { Architecture(layers: layers.map { $0.spec }, output: output.kind) }

    /// Every trainable tensor, in layer order (W1, b1, W2, b2, ...).
    public var parameters: [Parameter<Scalar>] { layers.flatMap { $0.parameters } }

    /// Every stored tensor, layer by layer: its parameters, then its buffers (the model file's order).
    public var allTensors: [Parameter<Scalar>] { layers.flatMap { $0.parameters + $0.buffers } }

    /// Gives each dropout layer its own generator, derived from the run's seed and the layer's position.
    public func seedRandomLayers(_ seed: UInt64) {
        for (i, layer) in layers.enumerated() {
            (layer as? Dropout<Scalar>)?.rng = SeededGenerator(seed: seed &+ 0x6472_6F70 &+ UInt64(i) &* 0x9E37_79B9)
        }
    }

    /// The dropout layers (their generators are part of a checkpoint).
    public var dropoutLayers: [Dropout<Scalar>] { layers.compactMap { $0 as? Dropout<Scalar> } }

    /// The same network in another float type (Float for training, Double for gradient checks).
    public func converted<Other: NNFloat>(to: Other.Type = Other.self) -> Network<Other> {
        let net = Network<Other>(architecture: architecture, parameterValues: allTensors.map { $0.value.converted() })
        net.weightDecay = Other(weightDecay)
        return net
    }

    /// Scores before the output activation, x [B, inputs] -> [B, outputs].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func scores(_ x: Matrix<Scalar>, mode: Mode = .inference) -> Matrix<Scalar> {
        var h = x
        for layer in layers { h = layer.forward(h, mode: mode) }
        return h
    }

    /// Probabilities (softmax, sigmoid) or values (identity), [B, outputs].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func predict(_ x: Matrix<Scalar>) -> Matrix<Scalar> { output.predict(scores(x)) }

    /// The loss, including the weight-decay term.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func loss(_ x: Matrix<Scalar>, _ t: Targets<Scalar>, mode: Mode = .training) -> Scalar {
        output.forward(scores(x, mode: mode), targets: t) + decayTerm()
    }

    private func decayTerm() -> Scalar {
        if weightDecay == 0 { return 0 }
        var s = 0.0
        for p in parameters where p.decays {
            s += p.value.storage.withUnsafeBufferPointer { sumOfSquares($0) }
        }
        return weightDecay / 2 * Scalar(s)
    }

    /// Forward and backward: fills every parameter's `grad` and returns the loss and the scores. With
    /// `decayInGradients` false the gradients leave out the weight-decay term (the loss keeps it): the
    /// trainer's optimizer adds it inside its update instead (`Optimizer.update(_:weightDecay:)`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @discardableResult
    public func gradient(_ x: Matrix<Scalar>, _ t: Targets<Scalar>, mode: Mode = .training,
                         decayInGradients: Bool = true) -> (loss: Scalar, scores: Matrix<Scalar>) {
        let s = scores(x, mode: mode)
        let loss = output.forward(s, targets: t) + decayTerm()
        var d = output.backward()
        for layer in layers.reversed() { d = layer.backward(d) }
        if weightDecay != 0 && decayInGradients {
            for p in parameters where p.decays {
                for i in 0..<p.grad.count { p.grad.storage[i] += weightDecay * p.value.storage[i] }
            }
        }
        return (loss, s)
    }
}
