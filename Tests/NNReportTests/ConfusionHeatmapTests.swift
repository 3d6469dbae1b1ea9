// ConfusionHeatmapTests.swift: the SVG of `nn-eval --confusion`, parsed back as XML.

import Testing
import NNCore
import NNImage
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

/// Titles never clip: the heat map widens for a long title, the training curves set it smaller and then
/// shorten it; both formats follow the output name.
struct PictureLayoutTests {
    @Test(arguments: [10, 60, 120, 240])
    func heatmapTitleFits(length: Int) throws {
        var r = ClassificationReport(classCount: 3)
        r.confusion = [[3, 1, 0], [0, 2, 0], [1, 0, 5]]
        let title = String(String(repeating: "784-512-256-10 relu softmax-ce, batch-norm x2 ", count: 6).prefix(length))
        let svg = try SVGDocument(confusionHeatmapSVG(r, classNames: [], title: title))
        let width = Double(svg.root[attribute: "width"]!)!
        let t = svg.elements("text", class: "title")[0]
        let x = Double(t[attribute: "x"]!)!, half = textWidth(title, size: 16, bold: true) / 2
        #expect(x - half >= 0 && x + half <= width, "title of \(length) characters in \(width) px")
        // the PNG has the same size
        let png = try decodePNG(try confusionHeatmap(r, classNames: [], title: title, format: .png))
        #expect(Double(png.width) == width)
    }

    @Test func curvesTitleShrinksThenShortens() throws {
        let long = String(repeating: "x", count: 400)
        let svg = try SVGDocument(trainingCurvesSVG([], title: long))
        let t = svg.elements("text", class: "title")[0]
        let shown = t.stringValue ?? ""
        let size = Double(t[attribute: "font-size"] ?? "12")!
        #expect(size == 10)
        #expect(shown.hasSuffix("\u{2026}") && textWidth(shown, size: size, bold: true) <= 940)
        let png = try decodePNG(try trainingCurves([], title: long, format: .png))
        #expect(png.width == 960 && png.height == 400)
    }

    @Test func formatFollowsTheName() {
        #expect(PictureFormat.forOutput("a/b.PNG", fallback: .svg) == .png)
        #expect(PictureFormat.forOutput("curves.svg", fallback: .png) == .svg)
        #expect(PictureFormat.forOutput("x.jpg", fallback: .svg) == nil)
        #expect(PictureFormat.forOutput("model", fallback: .svg) == nil)
        #expect(PictureFormat.forOutput(".png", fallback: .svg) == nil)
        #expect(PictureFormat.forOutput("-", fallback: .png) == .png)
        #expect(PictureFormat.forOutput("/dev/null", fallback: .svg) == .svg)
    }

    /// The raster canvas: a 1 px line on a pixel row paints that row only; text lands in its box.
    @Test func rasterLinesAndText() throws {
        var c = RasterCanvas(width: 40, height: 20)
        c.line(x1: 0, y1: 10.5, x2: 40, y2: 10.5, stroke: "black", width: 1)
        let img = try decodePNG(try c.png())
        #expect((0..<40).map { [img[$0, 9], img[$0, 10], img[$0, 11]] } == Array(repeating: [255, 0, 255], count: 40))
        var t = RasterCanvas(width: 100, height: 40)
        t.text("Hello", x: 10, y: 30, size: 12)
        let text = try decodePNG(try t.png())
        var inside = 0, outside = 0
        let right = 10 + Int(textWidth("Hello", size: 12).rounded(.up)) + 1
        for y in 0..<40 {
            for x in 0..<100 where text[x, y] < 250 {
                if x >= 10 && x <= right && y >= 30 - 12 && y <= 30 + 3 { inside += 1 } else { outside += 1 }
            }
        }
        #expect(inside > 30 && outside == 0)
    }
}
