import Testing
@testable import NNCore

/// The fast paths of the convolution and max pooling (Float block copies, the 2x2 pooling loop, samples
/// over threads, per-group weight-gradient partials) against plain definitions and against themselves.
struct ConvolutionTests {
    static func random<T: NNFloat>(_ rows: Int, _ cols: Int, _ rng: inout SeededGenerator, levels: Int? = nil) -> Matrix<T> {
        var m = Matrix<T>(rows: rows, cols: cols)
        for i in 0..<m.count {
            // with `levels`, few distinct values: max-pool windows with ties
            m.storage[i] = levels.map { T(Int(rng.nextUnit() * Double($0))) } ?? T(rng.nextNormal())
        }
        return m
    }

    /// Geometries: the README network's two layers, odd sizes, stride 2 in both directions, no padding.
    static let geometries: [(spec: Conv2DSpec, input: [Int])] = [
        (Conv2DSpec(inputChannels: 1, filters: 8, kernel: 5), [1, 28, 28]),
        (Conv2DSpec(inputChannels: 6, filters: 5, kernel: 3), [6, 14, 14]),
        (Conv2DSpec(inputChannels: 3, filters: 4, kernelHeight: 3, kernelWidth: 2, strideY: 2, strideX: 2, padY: 1, padX: 0), [3, 9, 7]),
        (Conv2DSpec(inputChannels: 2, filters: 3, kernel: 3, stride: 1, padding: 0), [2, 11, 5]),
    ]

    struct Pass<T: NNFloat> {
        var y: Matrix<T>, dx: Matrix<T>, dW: Matrix<T>, db: Matrix<T>
    }

    /// Forward and backward of one convolution on `x` with upstream gradient `dout`.
    static func run<T: NNFloat>(_ spec: Conv2DSpec, _ input: [Int], w: Matrix<T>, b: Matrix<T>, x: Matrix<T>, dout: Matrix<T>) -> Pass<T> {
        let conv = Conv2D(spec: spec, input: input, weight: w, bias: b, index: 1)
        let y = conv.forward(x, mode: .training)
        let dx = conv.backward(dout)
        return Pass(y: y, dx: dx, dW: conv.weight.grad, db: conv.bias.grad)
    }

    /// The Float path (SIMD block copies and adds) agrees with the Double path (plain loops), which the
    /// gradient checks hold against central differences; a batch of 37 spans several weight-gradient groups.
    @Test(arguments: 0..<geometries.count)
    func floatAgreesWithDouble(_ g: Int) throws {
        let (spec, input) = Self.geometries[g]
        let out = try spec.outputShape(for: input)
        var rng = SeededGenerator(seed: UInt64(10 + g))
        let batch = 37
        let w: Matrix<Double> = Self.random(spec.filters, spec.inputChannels * spec.kernelHeight * spec.kernelWidth, &rng)
        let b: Matrix<Double> = Self.random(1, spec.filters, &rng)
        let x: Matrix<Double> = Self.random(batch, input.reduce(1, *), &rng)
        let dout: Matrix<Double> = Self.random(batch, out.reduce(1, *), &rng)
        let d = Self.run(spec, input, w: w, b: b, x: x, dout: dout)
        let f = Self.run(spec, input, w: w.converted(to: Float.self), b: b.converted(), x: x.converted(), dout: dout.converted())
        for (name, exact, single) in [("y", d.y, f.y), ("dx", d.dx, f.dx), ("dW", d.dW, f.dW), ("db", d.db, f.db)] {
            #expect(exact.rows == single.rows && exact.cols == single.cols, "\(name) shape")
            let scale = exact.storage.map(abs).max() ?? 0
            let worst = zip(exact.storage, single.storage).map { abs($0 - Double($1)) }.max() ?? 0
            #expect(scale > 0.1, "\(name) is vacuous")
            #expect(worst <= 1e-5 * scale, "\(name): Float differs from Double by \(worst) (scale \(scale))")
        }
    }

    /// One thread or two, and batches that split into different task counts: the same bits.
    @Test func threadCountDoesNotChangeBits() throws {
        var rng = SeededGenerator(seed: 3)
        let arch = Architecture(inputShape: [1, 12, 12], layers: [
            Conv2DSpec(inputChannels: 1, filters: 4, kernel: 3), ActivationSpec(.relu), MaxPool2DSpec(PoolingGeometry(window: 2)),
            Conv2DSpec(inputChannels: 4, filters: 6, kernel: 3), ActivationSpec(.relu), MaxPool2DSpec(PoolingGeometry(window: 2)),
            FlattenSpec(), AffineSpec(inputs: 54, outputs: 10),
        ], output: .softmaxCrossEntropy)
        let net = Network<Float>(architecture: arch, initializer: .he, rng: &rng)
        let x: Matrix<Float> = Self.random(50, 144, &rng)
        let labels = (0..<50).map { $0 % 10 }
        func gradients(threads: Int) -> [[Float]] {
            Parallelism.threadCount = threads
            defer { Parallelism.threadCount = 1 }
            let (loss, scores) = net.gradient(x, .labels(labels))
            return [[loss], scores.storage] + net.parameters.map(\.grad.storage)
        }
        let one = gradients(threads: 1), two = gradients(threads: 2), three = gradients(threads: 3)
        #expect(one == two)
        #expect(one == three)
        #expect(one[2].contains { $0 != 0 }, "W1's gradient is all zero")
    }

    /// Max pooling against its definition, with many ties: the value is the window's maximum and the
    /// winner the first maximal input in row-major order within the window (padding never wins).
    @Test(arguments: [(2, 2, 0, [3, 8, 8]), (2, 2, 0, [2, 7, 9]), (3, 2, 1, [2, 7, 6]), (3, 3, 0, [1, 9, 9])])
    func maxPoolMatchesDefinition(window: Int, stride: Int, padding: Int, input: [Int]) throws {
        let spec = MaxPool2DSpec(PoolingGeometry(window: window, stride: stride, padding: padding))
        let out = try spec.outputShape(for: input)
        var rng = SeededGenerator(seed: 5)
        let x: Matrix<Float> = Self.random(3, input.reduce(1, *), &rng, levels: 3)
        let pool = MaxPool2D<Float>(spec: spec, input: input)
        let y = pool.forward(x, mode: .training)
        let winners = pool.kinkState
        let (c, h, w) = (input[0], input[1], input[2])
        var ties = 0
        for s in 0..<3 {
            for ch in 0..<c {
                for oy in 0..<out[1] {
                    for ox in 0..<out[2] {
                        var best: Float = -.infinity, at = -1, count = 0
                        for ky in 0..<window {
                            for kx in 0..<window {
                                let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
                                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                let i = (ch * h + iy) * w + ix, v = x[s, i]
                                if at < 0 || v > best { best = v; at = i; count = 1 } else if v == best { count += 1 }
                            }
                        }
                        if count > 1 { ties += 1 }
                        let o = (ch * out[1] + oy) * out[2] + ox
                        #expect(y[s, o] == best)
                        #expect(Int(winners[s * y.cols + o]) == at)
                    }
                }
            }
        }
        #expect(ties > 0, "no tied window: the test data should have some")
        // backward routes each dout to its winner (summed where windows overlap)
        let dout: Matrix<Float> = Self.random(3, y.cols, &rng)
        let dx = pool.backward(dout)
        var expected = Matrix<Float>(rows: 3, cols: x.cols)
        for s in 0..<3 { for o in 0..<y.cols { expected[s, Int(winners[s * y.cols + o])] += dout[s, o] } }
        #expect(dx == expected)
    }
}
