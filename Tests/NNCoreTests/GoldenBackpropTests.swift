import Testing
@testable import NNCore

/// The 2-3-2 network of the issue: ReLU hidden layer, softmax cross-entropy output.
struct GoldenBackpropTests {
    func network<T: NNFloat>(_: T.Type) -> Network<T> {
        let arch = Architecture.mlp(sizes: [2, 3, 2], activation: .relu, output: .softmaxCrossEntropy)
        return Network<T>(architecture: arch, parameterValues: [
            Matrix([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]), Matrix([[0.1, 0.2, 0.3]]),
            Matrix([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]), Matrix([[0.1, 0.2]]),
        ])
    }

    func expectClose<T: NNFloat>(_ m: Matrix<T>, _ expected: [[Double]], _ tol: Double = 1e-8, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(m.rows == expected.count && m.cols == expected[0].count, sourceLocation: sourceLocation)
        for r in 0..<m.rows { for c in 0..<m.cols {
            #expect(abs(Double(m[r, c]) - expected[r][c]) < tol, "[\(r),\(c)] \(m[r, c]) vs \(expected[r][c])", sourceLocation: sourceLocation)
        } }
    }

    /// The gradients are the book's (y - t)/B. Ours is the exact gradient of the reported loss
    /// -log(y_t + 1e-7), which carries the factor y_t/(y_t + 1e-7) = 1 - 1.1e-7 here: the values differ
    /// by at most 0.34 * 1.1e-7 = 3.7e-8, so gradients are compared to 5e-8 (their 8 printed digits).
    @Test func forwardAndGradients() {
        let net = network(Double.self)
        let x = Matrix<Double>([[1.0, 5.0]])
        expectClose(net.predict(x), [[0.08706577, 0.91293423]])
        net.gradient(x, .values(Matrix([[0.0, 1.0]])))
        let p = net.parameters
        expectClose(p[2].grad, [[0.10447893, -0.10447893], [0.21766443, -0.21766443], [0.33084994, -0.33084994]], 5e-8)
        expectClose(p[3].grad, [[0.08706577, -0.08706577]], 5e-8)
        expectClose(p[1].grad, [[-0.02611973, -0.02611973, -0.02611973]], 5e-8)
        expectClose(p[0].grad, [[-0.02611973, -0.02611973, -0.02611973], [-0.13059866, -0.13059866, -0.13059866]], 5e-8)
        let oneHot = p.map(\.grad)
        // label index and one-hot targets give the same gradients
        net.gradient(x, .labels([1]))
        #expect(p.map(\.grad) == oneHot)
        // and the factor is exactly the one described above
        let yt = net.predict(x)[0, 1]
        #expect(abs(p[2].grad[2, 0] - 0.33084994 * yt / (yt + 1e-7)) < 1e-8)
    }

    @Test func secondInputLoss() {
        let net = network(Double.self)
        let x = Matrix<Double>([[5.0, 1.0]])
        expectClose(net.predict(x), [[0.12025686, 0.87974314]])
        #expect(abs(net.loss(x, .labels([1])) - 0.12812518961618194) < 1e-12)
        #expect(abs(net.loss(x, .values(Matrix([[0.0, 1.0]]))) - 0.12812518961618194) < 1e-12)
    }

    @Test func float32AgreesWithFloat64() {
        let net = network(Float.self)
        let x = Matrix<Float>([[1.0, 5.0]])
        net.gradient(x, .labels([1]))
        expectClose(net.parameters[2].grad, [[0.10447893, -0.10447893], [0.21766443, -0.21766443], [0.33084994, -0.33084994]], 1e-6)
    }
}
