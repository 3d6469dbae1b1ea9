// ConfusionHeatmap.swift: `nn-eval --confusion FILE.svg`, the confusion matrix as a labelled heat map.
//
// Rows are the true class, columns the predicted class (as in `ClassificationReport.confusion`). Each
// cell is shaded by its share of the row (recall for the diagonal), white (0) to dark blue (1), and shows
// the count, in white on cells darker than half (zeros in grey). Cell size shrinks from 48 px (up to 13 classes) to 20 px
// (from 36 classes), so 50 classes still fit in about 1200 px. Testable elements: `rect.cell` and
// `text.count` in row-major order with `data-truth` / `data-predicted`, `text.row-label`,
// `text.column-label`, `text.axis-title`.

import NNCore

/// `nn-eval --confusion`: a heat map of `report.confusion`, with the accuracy in the title.
/// `classNames` label the classes in order; missing names fall back to the class index.
public func confusionHeatmapSVG(_ report: ClassificationReport, classNames: [String], title: String) -> String {
    let layout = HeatmapLayout(report, classNames: classNames, title: title)
    var canvas = SVGCanvas(width: layout.width, height: layout.height, title: "\(title) (\(layout.accuracy))")
    layout.draw(report, on: &canvas)
    return canvas.document
}

/// `nn-eval --confusion FILE`: the heat map as SVG or PNG.
public func confusionHeatmap(_ report: ClassificationReport, classNames: [String], title: String, format: PictureFormat) throws -> [UInt8] {
    switch format {
    case .svg: return Array(confusionHeatmapSVG(report, classNames: classNames, title: title).utf8)
    case .png:
        let layout = HeatmapLayout(report, classNames: classNames, title: title)
        var canvas = RasterCanvas(width: layout.width, height: layout.height)
        layout.draw(report, on: &canvas)
        return try canvas.png()
    }
}

/// Sizes and positions of the heat map: the picture is as wide as its widest part, the grid with its
/// labels or the title, so nothing is cut.
struct HeatmapLayout {
    let n: Int
    let names: [String]
    let title: String
    let accuracy: String
    let cell, countFont, labelFont, labelWidth: Double
    let verticalColumns: Bool
    let left, top, gridSize, columnLabelHeight: Double
    let width: Int, height: Int

    init(_ report: ClassificationReport, classNames: [String], title: String) {
        n = report.classCount
        names = (0..<n).map { $0 < classNames.count ? classNames[$0] : String($0) }
        self.title = title
        accuracy = "accuracy \(fixed(report.accuracy * 100, 2))% (\(report.correct)/\(report.sampleCount))"
        cell = Double(max(20, min(48, 640 / max(1, n))))
        countFont = max(7.0, (cell * 0.3).rounded())
        labelFont = max(9.0, min(13.0, cell * 0.45))
        let font = labelFont
        labelWidth = names.map { textWidth($0, size: font) }.max() ?? 0
        // Column labels go vertical when they would not fit across a cell.
        verticalColumns = labelWidth > cell - 4
        gridSize = cell * Double(n)
        columnLabelHeight = verticalColumns ? labelWidth + 8 : labelFont + 8
        let scaleWidth = 70.0                                   // colour scale on the right
        let contentWidth = 40 + labelWidth + 10 + gridSize + 20 + scaleWidth
        let titleWidth = max(textWidth(title, size: 16, bold: true), textWidth(accuracy, size: 13)) + 60
        let total = max(contentWidth, titleWidth).rounded(.up)
        // the grid and its labels centred under a title wider than they are
        left = (total - contentWidth) / 2 + 40 + labelWidth + 10
        top = 56
        width = Int(total)
        height = Int((top + gridSize + columnLabelHeight + 34).rounded(.up))
    }

    func draw(_ report: ClassificationReport, on canvas: inout some Canvas) {
        let w = Double(width)
        canvas.text(title, x: w / 2, y: 24, size: 16, anchor: .middle, bold: true, class: "title")
        canvas.text(accuracy, x: w / 2, y: 42, size: 13, anchor: .middle, class: "subtitle")
        // Cells, row-major.
        canvas.beginGroup([("class", "cells")])
        for t in 0..<n {
            let rowTotal = report.confusion[t].reduce(0, +)
            for p in 0..<n {
                let count = report.confusion[t][p]
                let fraction = rowTotal == 0 ? 0 : Double(count) / Double(rowTotal)
                let x = left + Double(p) * cell, y = top + Double(t) * cell
                // Zeros in grey: with many classes they are most cells, and the errors should stand out.
                let textColor = fraction > 0.5 ? "white" : count == 0 ? "#999999" : "black"
                let attributes = [("data-truth", String(t)), ("data-predicted", String(p))]
                canvas.rect(x: x, y: y, width: cell, height: cell, fill: heatColor(fraction), stroke: "#cccccc", strokeWidth: 0.5,
                            attributes: [("class", "cell")] + attributes)
                canvas.text(String(count), x: x + cell / 2, y: y + cell / 2 + countFont * 0.35, size: countFont, anchor: .middle,
                            bold: false, fill: textColor, vertical: false, attributes: [("class", "count")] + attributes)
            }
        }
        canvas.endGroup()
        // Class labels.
        canvas.beginGroup([("class", "labels")])
        for (i, name) in names.enumerated() {
            canvas.text(name, x: left - 6, y: top + (Double(i) + 0.5) * cell + labelFont * 0.35, size: labelFont, anchor: .end,
                        class: "row-label")
        }
        let columnTop = top + gridSize + 6
        for (i, name) in names.enumerated() {
            let x = left + (Double(i) + 0.5) * cell
            if verticalColumns {
                canvas.text(name, x: x + labelFont * 0.35, y: columnTop, size: labelFont, anchor: .end, vertical: true, class: "column-label")
            } else {
                canvas.text(name, x: x, y: columnTop + labelFont, size: labelFont, anchor: .middle, class: "column-label")
            }
        }
        canvas.endGroup()
        // Axis titles.
        let rowMid = top + gridSize / 2
        canvas.text("predicted class", x: left + gridSize / 2, y: top + gridSize + columnLabelHeight + 22, size: 13, anchor: .middle,
                    class: "axis-title")
        let axisX = left - labelWidth - 30
        canvas.text("true class", x: axisX, y: rowMid, size: 13, anchor: .middle, vertical: true, class: "axis-title")
        // Colour scale: five swatches of the row fraction, 1 on top.
        let scaleLeft = left + gridSize + 20
        let swatch = min(24.0, max(12.0, gridSize / 5))
        canvas.beginGroup([("class", "scale")])
        canvas.text("row share", x: scaleLeft, y: top - 4, size: 10)
        for k in 0..<5 {
            let fraction = Double(4 - k) / 4
            let y = top + Double(k) * swatch
            canvas.rect(x: scaleLeft, y: y, width: 14, height: swatch, fill: heatColor(fraction), stroke: "#cccccc", strokeWidth: 0.5)
            canvas.text(fixed(fraction, 2), x: scaleLeft + 18, y: y + swatch / 2 + 3.5, size: 10)
        }
        canvas.endGroup()
    }
}

/// White at 0 to dark blue (#08306b) at 1, linear in sRGB.
func heatColor(_ fraction: Double) -> String {
    let f = min(1, max(0, fraction.isFinite ? fraction : 0))
    func channel(_ dark: Double) -> Int { Int((255 + (dark - 255) * f).rounded()) }
    let hex = [channel(8), channel(48), channel(107)].map { v -> String in
        let h = String(v, radix: 16)
        return h.count == 1 ? "0" + h : h
    }
    return "#" + hex.joined()
}
