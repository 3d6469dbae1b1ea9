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
    let n = report.classCount
    let names = (0..<n).map { $0 < classNames.count ? classNames[$0] : String($0) }
    let cell = Double(max(20, min(48, 640 / max(1, n))))
    let countFont = max(7.0, (cell * 0.3).rounded())
    let labelFont = max(9.0, min(13.0, cell * 0.45))
    // Rough text widths at a sans-serif font of size f: 0.58 f per character.
    let longest = Double(names.map(\.count).max() ?? 1)
    let labelWidth = longest * labelFont * 0.58
    // Column labels go vertical when they would not fit across a cell.
    let verticalColumns = labelWidth > cell - 4

    let left = 40 + labelWidth + 10                 // y-axis title, row labels
    let top = 56.0                                  // title, subtitle
    let gridSize = cell * Double(n)
    let columnLabelHeight = verticalColumns ? labelWidth + 8 : labelFont + 8
    let scaleWidth = 70.0                           // colour scale on the right
    let width = (left + gridSize + 20 + scaleWidth).rounded(.up)
    let height = (top + gridSize + columnLabelHeight + 34).rounded(.up)

    let accuracy = "accuracy \(fixed(report.accuracy * 100, 2))% (\(report.correct)/\(report.sampleCount))"
    var s = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <title>\(xmlEscaped(title)) (\(accuracy))</title>
        <rect width="100%" height="100%" fill="white"/>
        <text class="title" x="\(px(width / 2))" y="24" text-anchor="middle" font-size="16" \
        font-weight="bold">\(xmlEscaped(title))</text>
        <text class="subtitle" x="\(px(width / 2))" y="42" text-anchor="middle" font-size="13">\(accuracy)</text>

        """
    // Cells, row-major.
    s += "<g class=\"cells\" font-size=\"\(px(countFont))\" text-anchor=\"middle\">\n"
    for t in 0..<n {
        let rowTotal = report.confusion[t].reduce(0, +)
        for p in 0..<n {
            let count = report.confusion[t][p]
            let fraction = rowTotal == 0 ? 0 : Double(count) / Double(rowTotal)
            let x = left + Double(p) * cell, y = top + Double(t) * cell
            // Zeros in grey: with many classes they are most cells, and the errors should stand out.
            let textColor = fraction > 0.5 ? "white" : count == 0 ? "#999999" : "black"
            let attributes = "data-truth=\"\(t)\" data-predicted=\"\(p)\""
            s += "<rect class=\"cell\" \(attributes) x=\"\(px(x))\" y=\"\(px(y))\" width=\"\(px(cell))\" "
                + "height=\"\(px(cell))\" fill=\"\(heatColor(fraction))\" stroke=\"#cccccc\" stroke-width=\"0.5\"/>\n"
            s += "<text class=\"count\" \(attributes) x=\"\(px(x + cell / 2))\" y=\"\(px(y + cell / 2 + countFont * 0.35))\" "
                + "fill=\"\(textColor)\">\(count)</text>\n"
        }
    }
    s += "</g>\n"
    // Class labels.
    s += "<g class=\"labels\" font-size=\"\(px(labelFont))\">\n"
    for (i, name) in names.enumerated() {
        let y = top + (Double(i) + 0.5) * cell + labelFont * 0.35
        s += "<text class=\"row-label\" x=\"\(px(left - 6))\" y=\"\(px(y))\" text-anchor=\"end\">\(xmlEscaped(name))</text>\n"
    }
    let columnTop = top + gridSize + 6
    for (i, name) in names.enumerated() {
        let x = left + (Double(i) + 0.5) * cell
        if verticalColumns {
            let cx = x + labelFont * 0.35
            s += "<text class=\"column-label\" x=\"\(px(cx))\" y=\"\(px(columnTop))\" text-anchor=\"end\" "
                + "transform=\"rotate(-90 \(px(cx)) \(px(columnTop)))\">\(xmlEscaped(name))</text>\n"
        } else {
            s += "<text class=\"column-label\" x=\"\(px(x))\" y=\"\(px(columnTop + labelFont))\" "
                + "text-anchor=\"middle\">\(xmlEscaped(name))</text>\n"
        }
    }
    s += "</g>\n"
    // Axis titles.
    let rowMid = top + gridSize / 2
    s += "<text class=\"axis-title\" x=\"\(px(left + gridSize / 2))\" y=\"\(px(top + gridSize + columnLabelHeight + 22))\" "
        + "text-anchor=\"middle\" font-size=\"13\">predicted class</text>\n"
    s += "<text class=\"axis-title\" x=\"20\" y=\"\(px(rowMid))\" text-anchor=\"middle\" font-size=\"13\" "
        + "transform=\"rotate(-90 20 \(px(rowMid)))\">true class</text>\n"
    // Colour scale: five swatches of the row fraction, 1 on top.
    let scaleLeft = left + gridSize + 20
    let swatch = min(24.0, max(12.0, gridSize / 5))
    s += "<g class=\"scale\" font-size=\"10\">\n"
    s += "<text x=\"\(px(scaleLeft))\" y=\"\(px(top - 4))\">row share</text>\n"
    for k in 0..<5 {
        let fraction = Double(4 - k) / 4
        let y = top + Double(k) * swatch
        s += "<rect x=\"\(px(scaleLeft))\" y=\"\(px(y))\" width=\"14\" height=\"\(px(swatch))\" fill=\"\(heatColor(fraction))\" "
            + "stroke=\"#cccccc\" stroke-width=\"0.5\"/>"
        s += "<text x=\"\(px(scaleLeft + 18))\" y=\"\(px(y + swatch / 2 + 3.5))\">\(fixed(fraction, 2))</text>\n"
    }
    s += "</g>\n</svg>\n"
    return s
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
