// ConfusionHeatmapTests.swift: the SVG of `nn-eval --confusion`, parsed back as XML.

import Testing
import NNCore
@testable import NNReport

struct ConfusionHeatmapTests {
    /// 3 classes, 100 samples, 80 correct.
    let report: ClassificationReport = {
        var r = ClassificationReport(classCount: 3)
        r.confusion = [[30, 2, 8], [0, 25, 5], [5, 0, 25]]
        return r
    }()

    @Test func cellsCountsAndLabels() throws {
        let svg = try SVGDocument(confusionHeatmapSVG(report, classNames: ["cat", "dog", "<bird & co>"], title: "pets"))
        let cells = svg.elements("rect", class: "cell")
        #expect(cells.count == 9)
        #expect(svg.texts(class: "count") == ["30", "2", "8", "0", "25", "5", "5", "0", "25"])
        #expect(cells.map { "\($0[attribute: "data-truth"]!)\($0[attribute: "data-predicted"]!)" }
            == ["00", "01", "02", "10", "11", "12", "20", "21", "22"])
        #expect(svg.texts(class: "row-label") == ["cat", "dog", "<bird & co>"])
        #expect(svg.texts(class: "column-label") == ["cat", "dog", "<bird & co>"])
        #expect(svg.texts(class: "axis-title") == ["predicted class", "true class"])
        #expect(svg.texts(class: "title") == ["pets"])
        #expect(svg.texts(class: "subtitle") == ["accuracy 80.00% (80/100)"])
    }

    /// Shading follows the row share; text is white exactly on cells above half, grey on zeros.
    @Test func shadingAndTextColour() throws {
        let svg = try SVGDocument(confusionHeatmapSVG(report, classNames: [], title: "t"))
        let fills = svg.elements("rect", class: "cell").map { $0[attribute: "fill"]! }
        #expect(fills[0] == heatColor(0.75))
        #expect(fills[3] == "#ffffff")                     // 0 of 30
        #expect(heatColor(1) == "#08306b")
        let textFills = svg.elements("text", class: "count").map { $0[attribute: "fill"]! }
        #expect(textFills == ["white", "black", "black", "#999999", "white", "black", "black", "#999999", "white"])
        // Missing names fall back to indices.
        #expect(svg.texts(class: "row-label") == ["0", "1", "2"])
    }

    @Test(arguments: [2, 10, 50])
    func scalesToManyClasses(n: Int) throws {
        var r = ClassificationReport(classCount: n)
        for t in 0..<n { r.confusion[t][t] = 10 + t; r.confusion[t][(t + 1) % n] += 1 }
        let names = (0..<n).map { "class \($0)" }
        let svg = try SVGDocument(confusionHeatmapSVG(r, classNames: names, title: "many"))
        #expect(svg.elements("rect", class: "cell").count == n * n)
        #expect(svg.texts(class: "count").count == n * n)
        #expect(svg.texts(class: "column-label") == names)
        let width = Double(svg.root[attribute: "width"]!)!
        #expect(width <= 1400)
    }

    @Test func emptyRowsAndNoSamples() throws {
        let r = ClassificationReport(classCount: 2)
        let text = confusionHeatmapSVG(r, classNames: ["a", "b"], title: "empty")
        #expect(!text.contains("nan"))
        let svg = try SVGDocument(text)
        #expect(svg.texts(class: "count") == ["0", "0", "0", "0"])
        #expect(svg.texts(class: "subtitle") == ["accuracy 0.00% (0/0)"])
    }
}
