// TrainingCurvesTests.swift: the SVG of `nn-train --plot`, parsed back as XML.

import Testing
import NNCore
@testable import NNReport

private func classificationReport(accuracy: Double, loss: Double) -> EvaluationReport {
    // 1000 samples of 2 classes with round(1000 * accuracy) correct.
    var r = ClassificationReport(classCount: 2, loss: loss)
    let correct = Int((accuracy * 1000).rounded())
    r.confusion = [[correct, 1000 - correct], [0, 0]]
    return .classification(r)
}

private func stats(_ epoch: Int, loss: Double, accuracy: Double?, validation: EvaluationReport? = nil,
                   test: EvaluationReport? = nil) -> EpochStats {
    EpochStats(epoch: epoch, trainLoss: loss, trainAccuracy: accuracy, validation: validation, test: test,
               seconds: 1, samplesPerSecond: 1000, learningRate: 0.1)
}

struct TrainingCurvesTests {
    let history: [EpochStats] = (1...5).map { e in
        let d = Double(e)
        return stats(e, loss: 1 / d, accuracy: 0.80 + 0.03 * d,
                     validation: classificationReport(accuracy: 0.78 + 0.03 * d, loss: 1.1 / d),
                     test: classificationReport(accuracy: 0.77 + 0.03 * d, loss: 1.2 / d))
    }

    @Test func panelsSeriesAndPointCounts() throws {
        let svg = try SVGDocument(trainingCurvesSVG(history, title: "MNIST <mlp> & friends"))
        let panels = svg.elements("g", class: "panel")
        #expect(panels.map { $0[attribute: "id"] } == ["loss", "quality"])
        for panel in panels {
            let series = svg.elements("g", class: "series", in: panel)
            #expect(series.map { $0[attribute: "data-name"] } == ["train", "validation", "test"])
            for s in series {
                let polyline = try #require(svg.elements("polyline", in: s).first)
                let vertices = (polyline[attribute: "points"] ?? "").split(separator: " ")
                #expect(vertices.count == 5)
                #expect(svg.elements("circle", in: s).count == 5)
            }
            let legend = svg.elements("g", class: "legend-entry", in: panel).map { $0.stringValue ?? "" }
            #expect(legend == ["train", "validation", "test"])
        }
        #expect(svg.texts(class: "axis-title") == ["epoch", "loss", "epoch", "accuracy (%)"])
        #expect(svg.texts(class: "title") == ["MNIST <mlp> & friends"])
    }

    @Test func ticksAreNiceAndLabelled() throws {
        let svg = try SVGDocument(trainingCurvesSVG(history, title: "t"))
        let loss = try #require(svg.elements("g", class: "panel").first)
        let xAxis = try #require(svg.elements("g", class: "x", in: loss).first)
        #expect(svg.texts(class: "tick-label", in: xAxis) == ["1", "2", "3", "4", "5"])
        // Loss spans 0.2 ... 1.2: steps of 0.2.
        let yAxis = try #require(svg.elements("g", class: "y", in: loss).first)
        #expect(svg.texts(class: "tick-label", in: yAxis) == ["0.2", "0.4", "0.6", "0.8", "1.0", "1.2"])
        // Accuracy spans 80 ... 95 %.
        let quality = try #require(svg.elements("g", class: "panel").last)
        let qAxis = try #require(svg.elements("g", class: "y", in: quality).first)
        #expect(svg.texts(class: "tick-label", in: qAxis) == ["80", "85", "90", "95"])
    }

    /// Points sit on the plot: the first train-loss vertex is at the left end of the x axis and the
    /// highest loss (epoch 1) at the top of the y axis.
    @Test func pointsMapOntoAxes() throws {
        let svg = try SVGDocument(trainingCurvesSVG(history, title: "t"))
        let loss = try #require(svg.elements("g", class: "panel").first)
        let train = try #require(svg.elements("g", class: "series", in: loss).first)
        let circles = svg.elements("circle", in: train)
        let xAxisLine = try #require(svg.elements("line", in: svg.elements("g", class: "x", in: loss)[0]).first)
        #expect(circles[0][attribute: "cx"] == xAxisLine[attribute: "x1"])
        #expect(circles[4][attribute: "cx"] == xAxisLine[attribute: "x2"])
        let cy = circles.map { Double($0[attribute: "cy"]!)! }
        #expect(cy == cy.sorted())  // falling loss: y grows downwards in SVG
    }

    @Test func singleEpochIsOnePointWithFiniteCoordinates() throws {
        let text = trainingCurvesSVG([stats(1, loss: 0.5, accuracy: 0.9)], title: "one")
        #expect(!text.contains("nan") && !text.contains("inf"))
        let svg = try SVGDocument(text)
        let series = svg.elements("g", class: "series")
        #expect(series.count == 2)
        for s in series { #expect(svg.elements("circle", in: s).count == 1) }
    }

    @Test func nonFiniteValuesAreSkipped() throws {
        let h = [stats(1, loss: 0.9, accuracy: 0.5), stats(2, loss: .nan, accuracy: 0.6),
                 stats(3, loss: .infinity, accuracy: 0.7), stats(4, loss: 0.4, accuracy: 0.8)]
        let text = trainingCurvesSVG(h, title: "diverged")
        #expect(!text.contains("nan") && !text.contains("inf"))
        let svg = try SVGDocument(text)
        let series = svg.elements("g", class: "series")
        #expect(series.map { svg.elements("circle", in: $0).count } == [2, 4])
    }

    @Test func constantSeriesGetsAnAxis() throws {
        let h = (1...3).map { stats($0, loss: 0.25, accuracy: 1.0) }
        let svg = try SVGDocument(trainingCurvesSVG(h, title: "flat"))
        let panels = svg.elements("g", class: "panel")
        let lossTicks = svg.texts(class: "tick-label", in: svg.elements("g", class: "y", in: panels[0])[0])
        // 0.25 +- 10%, in steps of 0.02.
        #expect(lossTicks == ["0.22", "0.24", "0.26", "0.28"])
        // 100% accuracy: the axis stops at 100.
        let accTicks = svg.texts(class: "tick-label", in: svg.elements("g", class: "y", in: panels[1])[0])
        #expect(accTicks.last == "100")
    }

    @Test func regressionShowsMSE() throws {
        let h = (1...3).map { e in
            stats(e, loss: 1 / Double(e), accuracy: nil,
                  validation: .regression(RegressionReport(sampleCount: 10, loss: 0.5, mse: 0.3 / Double(e), mae: 0.2)))
        }
        let svg = try SVGDocument(trainingCurvesSVG(h, title: "regression"))
        #expect(svg.texts(class: "axis-title") == ["epoch", "loss", "epoch", "MSE"])
        let quality = svg.elements("g", class: "panel")[1]
        #expect(svg.elements("g", class: "series", in: quality).map { $0[attribute: "data-name"] } == ["validation"])
    }

    @Test func emptyHistoryStillParses() throws {
        let svg = try SVGDocument(trainingCurvesSVG([], title: "nothing"))
        #expect(svg.elements("g", class: "series").isEmpty)
        #expect(svg.texts(class: "no-data").count == 2)
    }

    @Test func outputIsDeterministic() {
        #expect(trainingCurvesSVG(history, title: "t") == trainingCurvesSVG(history, title: "t"))
    }
}

struct SVGTextTests {
    @Test func fixedDecimals() {
        #expect(fixed(0.1 + 0.2, 2) == "0.30")
        #expect(fixed(-0.004, 2) == "0.00")
        #expect(fixed(-1.25, 1) == "-1.3")
        #expect(fixed(0.05, 3) == "0.050")
        #expect(fixed(12, 0) == "12")
    }

    @Test func escaping() {
        #expect(xmlEscaped("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;")
        #expect(xmlEscaped("bell\u{7}") == "bell\u{FFFD}")
    }

    @Test func niceSteps() {
        #expect(niceTicks(lo: 0.13, hi: 0.97).values.map { fixed($0, 1) } == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(niceTicks(lo: 1, hi: 1, minStep: 1).values == [0, 1, 2])
        #expect(niceTicks(lo: 1, hi: 100, target: 6, minStep: 1).values == [0, 20, 40, 60, 80, 100])
        #expect(niceTicks(lo: 0, hi: 0).values.count >= 2)
    }
}
