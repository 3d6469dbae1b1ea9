import Testing
@testable import NNCore

/// The gradient check itself, in process, with a test-only layer whose backward is wrong.
struct GradientCheckTests {
    /// y = x^2 with a backward that forgets the factor 2.
    final class SquareMissingTwo: Layer {
        var x = Matrix<Double>(rows: 0, cols: 0)
        var spec: any LayerSpec { ActivationSpec(.tanh) }
        var parameters: [Parameter<Double>] { [] }
        func forward(_ x: Matrix<Double>, mode: Mode) -> Matrix<Double> {
            self.x = x
            var y = x
            for i in 0..<y.count { y.storage[i] *= y.storage[i] }
            return y
        }
        func backward(_ dout: Matrix<Double>) -> Matrix<Double> {
            var dx = dout
            for i in 0..<dx.count { dx.storage[i] *= x.storage[i] }   // should be 2x
            return dx
        }
    }

    func problem(_ seed: UInt64) -> (Network<Double>, Matrix<Double>) {
        var rng = SeededGenerator(seed: seed)
        let base = Network<Double>(architecture: .mlp(sizes: [6, 5, 3], activation: .tanh, output: .softmaxCrossEntropy),
                                   initializer: .xavier, rng: &rng)
        var x = Matrix<Double>(rows: 4, cols: 6)
        for i in 0..<x.count { x.storage[i] = rng.nextUnit() }
        return (base, x)
    }

    @Test func correctNetworkPasses() {
        let (net, x) = problem(1)
        var config = GradientCheckConfig()
        config.coordinates = nil
        let r = checkGradients(net, x: x, targets: .labels([0, 2, 1, 1]), config: config)
        #expect(r.map(\.name) == ["W1", "b1", "W2", "b2"])
        #expect(r.allSatisfy { $0.verdict == .pass && $0.maxRelativeError < 1e-6 })
        #expect(r[0].checked == 30 && r[1].checked == 5)
    }

    @Test func wrongBackwardFailsBelowIt() {
        let (base, x) = problem(2)
        var layers = base.layers
        layers[1] = SquareMissingTwo()   // replaces the tanh
        let net = Network(inputShape: base.inputShape, layers: layers, output: base.output)
        var config = GradientCheckConfig()
        config.coordinates = nil
        let r = checkGradients(net, x: x, targets: .labels([1, 0, 2, 2]), config: config)
        #expect(r.map(\.verdict) == [.mismatch, .mismatch, .pass, .pass])
        // the numerical gradient is twice the analytic one
        #expect(abs(r[0].worstNumeric / r[0].worstAnalytic - 2) < 1e-6)
        // threads give the same figures
        config.threads = 2
        let r2 = checkGradients(net, x: x, targets: .labels([1, 0, 2, 2]), config: config, makeReplica: {
            let copy = Network<Double>(architecture: base.architecture, parameterValues: base.parameters.map(\.value))
            var l = copy.layers
            l[1] = SquareMissingTwo()
            return Network(inputShape: copy.inputShape, layers: l, output: copy.output)
        })
        #expect(r2.map(\.maxRelativeError) == r.map(\.maxRelativeError))
    }

    @Test func reluKinksAreSkippedNotFailed() {
        // an input exactly at a kink: hidden pre-activation 0 for unit 0
        let net = Network<Double>(architecture: .mlp(sizes: [2, 2, 2], activation: .relu, output: .softmaxCrossEntropy),
                                  parameterValues: [Matrix([[1, 0.5], [-1, 0.3]]), Matrix([[0, 0.1]]),
                                                    Matrix([[0.2, -0.4], [0.7, 0.1]]), Matrix([[0, 0]])])
        var config = GradientCheckConfig()
        config.coordinates = nil
        let r = checkGradients(net, x: Matrix([[0.5, 0.5]]), targets: .labels([1]), config: config)
        #expect(r[0].skippedAtKinks == 2 && r[1].skippedAtKinks == 1)
        #expect(r.allSatisfy { $0.verdict == .pass })
    }
}
