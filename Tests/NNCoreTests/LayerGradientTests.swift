import Testing
@testable import NNCore

/// Every layer's backward against a central-difference numerical gradient, in Float64.
struct LayerGradientTests {
    /// Random [rows, cols] matrix from a seeded generator, values in [-1, 1).
    func random(_ rows: Int, _ cols: Int, _ rng: inout SeededGenerator) -> Matrix<Double> {
        var m = Matrix<Double>(rows: rows, cols: cols)
        for i in 0..<m.count { m.storage[i] = 2 * rng.nextUnit() - 1 }
        return m
    }

    /// Checks d(sum(forward(x) * w))/dx for a parameter-free layer.
    func checkActivation(_ layer: any Layer<Double>) {
        var rng = SeededGenerator(seed: 7)
        let x = random(4, 5, &rng), w = random(4, 5, &rng)
        func f(_ x: Matrix<Double>) -> Double {
            let y = layer.forward(x, mode: .training)
            return zip(y.storage, w.storage).reduce(0) { $0 + $1.0 * $1.1 }
        }
        _ = layer.forward(x, mode: .training)
        let dx = layer.backward(w)
        let h = 1e-6
        for i in 0..<x.count where abs(x.storage[i]) > 1e-3 {
            var xp = x, xm = x
            xp.storage[i] += h
            xm.storage[i] -= h
            let numeric = (f(xp) - f(xm)) / (2 * h)
            #expect(abs(numeric - dx.storage[i]) < 1e-8, "\(layer.spec) index \(i): \(numeric) vs \(dx.storage[i])")
        }
    }

    @Test func relu() { checkActivation(ReLU<Double>()) }
    @Test func sigmoidLayer() { checkActivation(Sigmoid<Double>()) }
    @Test func tanhLayer() { checkActivation(Tanh<Double>()) }

    @Test func affine() {
        var rng = SeededGenerator(seed: 3)
        let layer = Affine(weight: random(5, 3, &rng), bias: random(1, 3, &rng), index: 1)
        let x = random(4, 5, &rng), w = random(4, 3, &rng)
        func f() -> Double { zip(layer.forward(x, mode: .training).storage, w.storage).reduce(0) { $0 + $1.0 * $1.1 } }
        _ = layer.forward(x, mode: .training)
        let dx = layer.backward(w)
        let h = 1e-6
        for p in layer.parameters {
            let analytic = p.grad
            for i in 0..<p.value.count {
                let old = p.value.storage[i]
                p.value.storage[i] = old + h
                let fp = f()
                p.value.storage[i] = old - h
                let fm = f()
                p.value.storage[i] = old
                #expect(abs((fp - fm) / (2 * h) - analytic.storage[i]) < 1e-8, "\(p.name)[\(i)]")
            }
        }
        // dx
        for i in 0..<x.count {
            var xp = x, xm = x
            xp.storage[i] += h
            xm.storage[i] -= h
            let fp = zip(layer.forward(xp, mode: .training).storage, w.storage).reduce(0) { $0 + $1.0 * $1.1 }
            let fm = zip(layer.forward(xm, mode: .training).storage, w.storage).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(abs((fp - fm) / (2 * h) - dx.storage[i]) < 1e-8, "dx[\(i)]")
        }
    }

    /// Output layers: d(loss)/dx against central differences.
    @Test(arguments: OutputKind.allCases)
    func outputLayer(kind: OutputKind) {
        var rng = SeededGenerator(seed: 11)
        let x = random(3, 4, &rng)
        let layer = Network<Double>.makeOutput(kind)
        let targets: Targets<Double>
        switch kind {
        case .softmaxCrossEntropy: targets = .labels([0, 3, 1])
        case .sigmoidBinaryCrossEntropy: targets = .values(Matrix([[1, 0, 1, 1], [0, 0, 1, 0], [1, 1, 0, 0]]))
        case .identityMeanSquaredError: targets = .values(random(3, 4, &rng))
        }
        _ = layer.forward(x, targets: targets)
        let dx = layer.backward()
        let h = 1e-6
        for i in 0..<x.count {
            var xp = x, xm = x
            xp.storage[i] += h
            xm.storage[i] -= h
            let numeric = (layer.forward(xp, targets: targets) - layer.forward(xm, targets: targets)) / (2 * h)
            #expect(abs(numeric - dx.storage[i]) < 1e-9, "\(kind) dx[\(i)]: \(numeric) vs \(dx.storage[i])")
        }
    }

    @Test func weightDecayAddsLambdaW() {
        let arch = Architecture.mlp(sizes: [2, 2], activation: .relu, output: .identityMeanSquaredError)
        let net = Network<Double>(architecture: arch, parameterValues: [Matrix([[1, 2], [3, 4]]), Matrix([[0.5, -0.5]])])
        let x = Matrix<Double>([[0, 0]]), t = Targets<Double>.values(Matrix([[0.5, -0.5]]))
        // zero input and exact bias: the data loss and its gradient are 0, only the decay remains
        net.weightDecay = 0.1
        let (loss, _) = net.gradient(x, t)
        #expect(abs(loss - 0.1 / 2 * 30) < 1e-12)
        #expect(zip(net.parameters[0].grad.storage, [0.1, 0.2, 0.3, 0.4]).allSatisfy { abs($0 - $1) < 1e-15 })
        #expect(net.parameters[1].grad == Matrix([[0, 0]]))
    }
}
