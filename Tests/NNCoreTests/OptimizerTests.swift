import Testing
@testable import NNCore
import CKernels

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

/// The optimizers' C kernels (CKernels/elementwise.c) against the plain Swift loops they replaced: the same
/// bits after several steps, with and without weight decay, on the AVX2 path and on the portable one, for
/// sizes that leave vector remainders and sizes split across two threads.
struct OptimizerKernelTests {
    /// The update rules as they were written in Swift, with the decay added to the gradient first.
    static func reference(_ kind: OptimizerKind, steps: Int, w: [Float], g: [[Float]], decay: Float, lr: Float) -> [Float] {
        var w = w, s1 = [Float](repeating: 0, count: w.count), s2 = s1
        for t in 1...steps {
            let gr = (0..<w.count).map { g[t - 1][$0] + decay * w[$0] }
            for i in 0..<w.count {
                switch kind {
                case .sgd: w[i] -= lr * gr[i]
                case .momentum:
                    s1[i] = 0.9 * s1[i] - lr * gr[i]
                    w[i] += s1[i]
                case .adagrad:
                    s1[i] += gr[i] * gr[i]
                    w[i] -= lr * gr[i] / (s1[i].squareRoot() + 1e-7)
                case .adam:
                    let b1: Float = 0.9, b2: Float = 0.999, tt = Float(t)
                    let lrT = lr * (1 - Float.exp(tt * Float.log(b2))).squareRoot() / (1 - Float.exp(tt * Float.log(b1)))
                    s1[i] += (1 - b1) * (gr[i] - s1[i])
                    s2[i] += (1 - b2) * (gr[i] * gr[i] - s2[i])
                    w[i] -= lrT * s1[i] / (s2[i].squareRoot() + 1e-7)
                }
            }
        }
        return w
    }

    @Test(arguments: OptimizerKind.allCases)
    func kernelsMatchThePlainLoops(_ kind: OptimizerKind) {
        var rng = SeededGenerator(seed: 3)
        for n in [1, 7, 37, 100_003] {
            let w0 = (0..<n).map { _ in Float(rng.nextNormal()) }
            let grads = (0..<3).map { _ in (0..<n).map { _ in Float(rng.nextNormal() * 0.1) } }
            for decay: Float in [0, 5e-4] {
                let lr: Float = kind == .adam ? 0.001 : 0.05
                let expected = Self.reference(kind, steps: 3, w: w0, g: grads, decay: decay, lr: lr)
                for (portable, threads) in [(0, 1), (0, 2), (1, 1)] {
                    nn_kernels_force_portable(Int32(portable))
                    Parallelism.threadCount = threads
                    defer { nn_kernels_force_portable(0); Parallelism.threadCount = 1 }
                    let p = Parameter(name: "w", value: Matrix(rows: 1, cols: n, storage: w0), role: .weight(fanIn: 1))
                    let opt: any Optimizer<Float> = makeOptimizer(kind, learningRate: lr)
                    for t in 0..<3 {
                        p.grad = Matrix(rows: 1, cols: n, storage: grads[t])
                        opt.update([p], weightDecay: decay)
                    }
                    #expect(p.value.storage == expected, "\(kind) n=\(n) decay \(decay) portable \(portable) threads \(threads)")
                }
            }
        }
    }

    @Test func decayOnlyOnParametersThatDecay() {
        let w = Parameter<Float>(name: "W", value: Matrix([[2]]), role: .weight(fanIn: 1)), b = Parameter<Float>(name: "b", value: Matrix([[2]]), role: .bias)
        w.grad = Matrix([[0]])
        b.grad = Matrix([[0]])
        SGD<Float>(learningRate: 0.5).update([w, b], weightDecay: 0.1)
        let decay: Float = 0.1, lr: Float = 0.5
        #expect(w.value[0, 0] == 2 - lr * (0 + decay * 2), "\(w.value[0, 0].bitPattern)")
        #expect(b.value[0, 0] == 2)
    }

    /// The state a checkpoint keeps, by parameter position: exported, restored into a fresh optimizer,
    /// the next steps are the same as without the interruption.
    @Test func stateRoundTrip() {
        let a = Parameter<Float>(name: "W", value: Matrix([[1, -2, 3]]), role: .weight(fanIn: 1)), b = Parameter<Float>(name: "b", value: Matrix([[0.5]]), role: .bias)
        let opt = Adam<Float>(learningRate: 0.01)
        a.grad = Matrix([[0.1, 0.2, -0.3]])
        b.grad = Matrix([[1]])
        opt.update([a, b], weightDecay: 0.01)
        let saved = opt.state(for: [a, b])
        #expect(saved.step == 1 && saved.slots.count == 2 && saved.slots[0].map(\.count) == [3, 1])
        let copyA = Parameter(name: "W", value: a.value, role: .weight(fanIn: 1)), copyB = Parameter(name: "b", value: b.value, role: .bias)
        copyA.grad = a.grad
        copyB.grad = b.grad
        let resumed = Adam<Float>(learningRate: 0.01)
        resumed.restore(saved, for: [copyA, copyB])
        opt.update([a, b], weightDecay: 0.01)
        resumed.update([copyA, copyB], weightDecay: 0.01)
        #expect(a.value == copyA.value && b.value == copyB.value)
        #expect(opt.state(for: [a, b]) == resumed.state(for: [copyA, copyB]))
    }
}

/// The other element-wise kernels: the same bits on 1 and 2 threads and on the portable path.
struct ElementwiseKernelTests {
    @Test func sumOfSquaresDependsOnTheCountOnly() {
        var rng = SeededGenerator(seed: 11)
        for n in [0, 1, 17, 65_536, 200_003] {
            let x = (0..<n).map { _ in Float(rng.nextNormal()) }
            var results: [Double] = []
            for (portable, threads) in [(0, 1), (0, 2), (1, 2)] {
                nn_kernels_force_portable(Int32(portable))
                Parallelism.threadCount = threads
                results.append(x.withUnsafeBufferPointer { sumOfSquares($0) })
                nn_kernels_force_portable(0)
                Parallelism.threadCount = 1
            }
            #expect(results.allSatisfy { $0.bitPattern == results[0].bitPattern }, "n=\(n): \(results)")
            let plain = x.reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(abs(results[0] - plain) <= 1e-12 * max(plain, 1), "n=\(n)")
        }
    }

    @Test func batchConversionSplitOverThreads() {
        var rng = SeededGenerator(seed: 12)
        let data = Dataset(features: (0..<(300 * 784)).map { _ in UInt8(rng.next() % 256) }, featureCount: 784,
                           labels: [Double](repeating: 0, count: 300))
        let rows = [299, 0, 5, 17, 150, 3, 3] + Array(40..<140)
        let scaling = InputScaling(scale: 1.0 / 255.0, offset: -0.5)
        Parallelism.threadCount = 2
        let two: Matrix<Float> = scaling.batch(data, rows[...])
        Parallelism.threadCount = 1
        let one: Matrix<Float> = scaling.batch(data, rows[...])
        #expect(one == two)
        let s = Float(1.0 / 255.0), o = Float(-0.5)
        #expect((0..<one.count).allSatisfy { one.storage[$0] == Float(data.features[rows[$0 / 784] * 784 + $0 % 784]) * s + o })
    }
}
