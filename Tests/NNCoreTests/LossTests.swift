import Testing
@testable import NNCore

/// The book's worked examples (chapters 3-4), to the digits the issue gives.
struct LossTests {
    let y: [Double] = [0.1, 0.05, 0.6, 0, 0.05, 0.1, 0, 0.1, 0, 0]

    @Test func softmaxSubtractsTheMax() {
        let p = softmax(Matrix<Double>([[1010, 1000, 990]]))
        #expect(p.storage.allSatisfy { $0.isFinite })
        #expect(abs(p.storage.reduce(0, +) - 1) < 1e-12)
        #expect(abs(p[0, 0] - 0.999954600070331) < 1e-12)
        let f = softmax(Matrix<Float>([[1010, 1000, 990]]))
        #expect(f.storage.allSatisfy { $0.isFinite })
        #expect(abs(f.storage.reduce(0, +) - 1) < 1e-6)
    }

    @Test func crossEntropyLabelIndex() {
        #expect(abs(crossEntropyError(Matrix([y]), labels: [2]) - 0.510825457099338) < 1e-12)
        var moved = y
        moved.swapAt(2, 7)
        #expect(abs(crossEntropyError(Matrix([moved]), labels: [2]) - 2.302584092994546) < 1e-12)
    }

    @Test func crossEntropyOneHotMatchesLabels() {
        var t = [Double](repeating: 0, count: 10)
        t[2] = 1
        #expect(abs(crossEntropyError(Matrix([y]), oneHot: Matrix([t])) - 0.510825457099338) < 1e-12)
    }

    @Test func crossEntropyBatchMean() {
        var moved = y
        moved.swapAt(2, 7)
        let uniform = [Double](repeating: 0.1, count: 10)
        let batch = Matrix([y, uniform, moved])
        #expect(abs(crossEntropyError(batch, labels: [2, 8, 2]) - 1.70533121436281) < 1e-12)
        // Float32 agrees to its precision
        #expect(abs(Double(crossEntropyError(batch.converted(to: Float.self), labels: [2, 8, 2])) - 1.70533121436281) < 1e-6)
    }

    @Test func identityMSEIsHalfSumOfSquaresPerSample() {
        let mse = IdentityMeanSquaredError<Double>()
        // E = 1/2 sum (y - t)^2 over the book's example, one sample
        var t = [Double](repeating: 0, count: 10)
        t[2] = 1
        let loss = mse.forward(Matrix([y]), targets: .values(Matrix([t])))
        #expect(abs(loss - 0.0975) < 1e-12)
        let g = mse.backward()
        #expect(abs(g[0, 2] - (-0.4)) < 1e-12)
        // two samples: mean over the batch
        let two = mse.forward(Matrix([y, y]), targets: .values(Matrix([t, t])))
        #expect(abs(two - 0.0975) < 1e-12)
        #expect(abs(mse.backward()[1, 2] - (-0.2)) < 1e-12)
    }

    @Test func sigmoidBCEFromScores() {
        let bce = SigmoidBinaryCrossEntropy<Double>()
        // x = 0: y = 0.5, loss = log 2 per output
        let l0 = bce.forward(Matrix([[0.0]]), targets: .values(Matrix([[1.0]])))
        #expect(abs(l0 - 0.6931471805599453) < 1e-12)
        // x = 2, t = 1: -log(sigmoid(2)) = 0.12692801104297263; x = -3, t = 0: -log(1 - sigmoid(-3)) = 0.04858735157374206
        let l = bce.forward(Matrix([[2.0], [-3.0]]), targets: .values(Matrix([[1.0], [0.0]])))
        #expect(abs(l - (0.12692801104297263 + 0.04858735157374206) / 2) < 1e-12)
        let g = bce.backward()
        #expect(abs(g[0, 0] - (sigmoid(2.0) - 1) / 2) < 1e-12)
        #expect(abs(g[1, 0] - sigmoid(-3.0) / 2) < 1e-12)
        // large scores stay finite
        let big = bce.forward(Matrix([[1000.0], [-1000.0]]), targets: .values(Matrix([[0.0], [1.0]])))
        #expect(abs(big - 1000) < 1e-9)
    }
}
