// Network.swift: an ordered list of layers and an output layer (the book's MultiLayerNet).
// gradient() is forward through the list, the loss, then backward through the list in reverse.

/// A feed-forward network generic over its float type.
public final class Network<Scalar: NNFloat> {
    /// The shape of one input sample.
    public let inputShape: [Int]
    public let layers: [any Layer<Scalar>]
    public let output: any OutputLayer<Scalar>
    /// Weight decay strength lambda: the loss gains lambda/2 * sum W^2 over weights (not biases).
    public var weightDecay: Scalar = 0

    public init(inputShape: [Int], layers: [any Layer<Scalar>], output: any OutputLayer<Scalar>) {
        self.inputShape = inputShape
        self.layers = layers
        self.output = output
        (layers.first as? any SkippableInputGradient)?.computesInputGradient = false
    }

    /// Builds the layers of a validated `architecture` with the given tensor values, in the order of
    /// `architecture.tensors` (the model file's order).
    public convenience init(architecture: Architecture, parameterValues: [Matrix<Scalar>]) {
        let shapes: [[Int]]
        do { shapes = try architecture.shapes() } catch { preconditionFailure("invalid architecture: \(error)") }
        var values = parameterValues[...]
        var layers: [any Layer<Scalar>] = []
        var index = 0
        for (i, spec) in architecture.layers.enumerated() {
            if spec.startsNewIndex { index += 1 }
            let expected = spec.tensors(for: shapes[i])
            precondition(values.count >= expected.count, "fewer parameter tensors than the architecture has")
            let mine = Array(values.prefix(expected.count))
            values = values.dropFirst(expected.count)
            for (t, v) in zip(expected, mine) {
                precondition(v.rows == t.rows && v.cols == t.cols, "tensor \(t.stem)\(index) is \(v.rows)x\(v.cols), \(spec) needs \(t.rows)x\(t.cols)")
            }
            layers.append(spec.makeLayer(input: shapes[i], tensors: mine, index: index))
        }
        precondition(values.isEmpty, "more parameter tensors than the architecture has")
        self.init(inputShape: architecture.inputShape, layers: layers, output: Network.makeOutput(architecture.output))
    }

    /// A freshly initialised network: weights normal with the initialiser's deviation (fan-in: inputs,
    /// or input channels x kernel area), biases zero, batch norm's scales one.
    public convenience init(architecture: Architecture, initializer: WeightInit, rng: inout SeededGenerator) {
        let values: [Matrix<Scalar>] = architecture.tensors.map { $0.spec.initialValue(initializer, rng: &rng) }
        self.init(architecture: architecture, parameterValues: values)
    }

    static func makeOutput(_ kind: OutputKind) -> any OutputLayer<Scalar> {
        switch kind {
        case .softmaxCrossEntropy: return SoftmaxCrossEntropy<Scalar>()
        case .sigmoidBinaryCrossEntropy: return SigmoidBinaryCrossEntropy<Scalar>()
        case .identityMeanSquaredError: return IdentityMeanSquaredError<Scalar>()
        }
    }

    public var architecture: Architecture { Architecture(inputShape: inputShape, layers: layers.map { $0.spec }, output: output.kind) }

    /// Samples per inference batch (the default of `evaluate`) that keep the activations of a batch, which
    /// every layer keeps until the next one, near 32 MB: 500 for dense networks, about 80 for the README
    /// CNN (100,000 values per sample). Results do not depend on it.
    public var inferenceBatchSize: Int {
        let perSample = ((try? architecture.shapes()) ?? []).reduce(0) { $0 + (CheckedSize.productOrNil($1) ?? 0) }
        return max(16, min(500, (8 << 20) / max(perSample, 1)))
    }

    /// Every trainable tensor, in layer order (W1, b1, W2, b2, ...).
    public var parameters: [Parameter<Scalar>] { layers.flatMap { $0.parameters } }

    /// Every stored tensor, layer by layer: its parameters, then its buffers (the model file's order).
    public var allTensors: [Parameter<Scalar>] { layers.flatMap { $0.storedTensors } }

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

    /// One training step: forward, the loss, then backward with the optimizer's update of each layer's
    /// parameters as soon as that layer's backward is done (its gradients still in cache; the layer below
    /// never reads them). The result equals `gradient(x, t, decayInGradients: false)` followed by
    /// `optimizer.update(parameters, weightDecay: weightDecay)`, to the bit. A non-finite loss is returned
    /// before anything is updated. `parameters` must be this network's `parameters`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func trainStep(_ x: Matrix<Scalar>, _ t: Targets<Scalar>, optimizer: any Optimizer<Scalar>,
                          parameters: [Parameter<Scalar>]) -> Scalar {
        let s = scores(x, mode: .training)
        let loss = output.forward(s, targets: t) + decayTerm()
        guard loss.isFinite else { return loss }
        optimizer.beginStep(parameters)
        var d = output.backward()
        var end = parameters.count
        for layer in layers.reversed() {
            d = layer.backward(d)
            let start = end - layer.parameters.count
            if start < end { optimizer.apply(parameters, start..<end, weightDecay: weightDecay) }
            end = start
        }
        precondition(end == 0, "trainStep: `parameters` is not this network's parameter list")
        return loss
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
