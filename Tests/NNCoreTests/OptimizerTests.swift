import Testing
@testable import NNCore

/// One or two steps of each optimizer against values computed by hand.
struct OptimizerTests {
    func param(_ w: Double, grad g: Double) -> Parameter<Double> {
        let p = Parameter(name: "w", value: Matrix([[w]]), role: .weight(fanIn: 1))
        p.grad = Matrix([[g]])
        return p
    }

    @Test func sgd() {
        let p = param(1.0, grad: 0.5)
        SGD(learningRate: 0.1).update([p])
        #expect(abs(p.value[0, 0] - 0.95) < 1e-15)
    }

    @Test func momentum() {
        let p = param(1.0, grad: 0.5)
        let opt = Momentum<Double>(learningRate: 0.1, momentum: 0.9)
        opt.update([p])        // v = -0.05, w = 0.95
        #expect(abs(p.value[0, 0] - 0.95) < 1e-15)
        opt.update([p])        // v = 0.9 * -0.05 - 0.05 = -0.095, w = 0.855
        #expect(abs(p.value[0, 0] - 0.855) < 1e-15)
    }

    @Test func adagrad() {
        let p = param(1.0, grad: 0.5)
        let opt = AdaGrad<Double>(learningRate: 0.1)
        opt.update([p])        // h = 0.25, w = 1 - 0.1 * 0.5 / (0.5 + 1e-7)
        #expect(abs(p.value[0, 0] - (1 - 0.05 / (0.5 + 1e-7))) < 1e-15)
        opt.update([p])        // h = 0.5
        #expect(abs(p.value[0, 0] - (1 - 0.05 / (0.5 + 1e-7) - 0.05 / (0.5.squareRoot() + 1e-7))) < 1e-14)
    }

    @Test func adam() {
        let p = param(1.0, grad: 0.5)
        let opt = Adam<Double>(learningRate: 0.001)
        opt.update([p])
        // t=1: lr_t = 0.001 * sqrt(0.001) / 0.1; m = 0.05; v = 0.00025; step = lr_t * m / (sqrt(v) + 1e-7)
        let lrT = 0.001 * 0.001.squareRoot() / 0.1
        let expected = 1 - lrT * 0.05 / (0.00025.squareRoot() + 1e-7)
        #expect(abs(p.value[0, 0] - expected) < 1e-12)
        #expect(abs(p.value[0, 0] - 0.999) < 1e-6)  // Adam's first step is about lr
    }

    @Test func initialisersHaveTheirDeviation() {
        var rng = SeededGenerator(seed: 5)
        for (kind, expected) in [(WeightInit.he, (2.0 / 400).squareRoot()), (.xavier, (1.0 / 400).squareRoot()), (.std001, 0.01)] {
            let arch = Architecture.mlp(sizes: [400, 300], activation: .relu, output: .identityMeanSquaredError)
            let w = Network<Double>(architecture: arch, initializer: kind, rng: &rng).parameters[0].value.storage
            let mean = w.reduce(0, +) / Double(w.count)
            let std = (w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(w.count)).squareRoot()
            #expect(abs(std / expected - 1) < 0.01, "\(kind): \(std) vs \(expected)")
            #expect(abs(mean) < expected * 0.01)
        }
        #expect(WeightInit.default(for: .relu) == .he)
        #expect(WeightInit.default(for: .sigmoid) == .xavier)
        #expect(WeightInit.default(for: .tanh) == .xavier)
    }
}
