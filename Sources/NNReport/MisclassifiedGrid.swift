// MisclassifiedGrid.swift: `nn-eval --errors FILE.png|FILE.svg` and `--errors-list`, the test images a
// model got wrong, grouped by their true class.
//
// Layout (GridLayout): a title and a one-line legend on top; then one block of rows per true class, its
// name and error count in the left column, a thin rule above each block. Each tile is the stored image
// (bright ink on black, as in IDX) enlarged by nearest neighbour, framed in grey, with the predicted class
// and the model's probability for it written under it in red. Within a class, images are in index order;
// a class with more errors than `columns` wraps onto more rows. Columns are as wide as the tile or the
// longest caption, whichever is wider; the picture is at least as wide as its title.
//
// SVG elements tests and scripts read: `text.title`, `text.legend`, `text.row-label` and `text.error-count`
// (one per class),
// `image.tile` and `text.caption` with `data-index` / `data-truth` / `data-predicted`, in grid order.

import NNImage
import NNToolkit

/// Misclassified samples, ordered by true class, then index: the order of both the grid and the list.
func orderedErrors(_ entries: [Misclassification]) -> [Misclassification] {
    entries.sorted { ($0.truth, $0.index, $0.predicted) < ($1.truth, $1.index, $1.predicted) }
}

/// `nn-eval --errors-list`: one line per misclassified sample, "index<TAB>truth<TAB>predicted", ordered
/// by true class, then index (the order of the grid's tiles).
public func misclassifiedList(_ entries: [Misclassification]) -> String {
    orderedErrors(entries).map { "\($0.index)\t\($0.truth)\t\($0.predicted)\n" }.joined()
}

/// Where things go in the grid; shared by the drawing code and the tests.
struct GridLayout {
    static let margin = 16.0
    static let captionSize = 11.0
    static let labelSize = 13.0

    let tileWidth: Double, tileHeight: Double
    let names: [String]
    let title: String, legend: String
    let columnWidth: Double, rowHeight: Double, labelWidth: Double
    let columns: Int
    /// Each row: the true class, whether it is the class's first row, and its entries.
    let rows: [(truth: Int, first: Bool, entries: [Misclassification])]
    let counts: [Int: Int]
    /// Errors of each true class in all, when more than `counts` (the shown ones).
    let totals: [Int: Int]
    let width: Int, height: Int

    static let top = 64.0   // title and legend above

    init(width: Int, height: Int, scale: Int, columns requested: Int, entries: [Misclassification], classNames: [String],
         title: String, legend: String, totals: [Int: Int] = [:]) {
        tileWidth = Double(width * scale)
        tileHeight = Double(height * scale)
        self.title = title
        self.legend = legend
        let ordered = orderedErrors(entries)
        let classCount = max(classNames.count, (ordered.map { max($0.truth, $0.predicted) }.max() ?? -1) + 1)
        names = (0..<classCount).map { $0 < classNames.count ? classNames[$0] : String($0) }
        var rows: [(truth: Int, first: Bool, entries: [Misclassification])] = []
        var counts: [Int: Int] = [:]
        var start = 0
        let perRow = max(1, requested)
        while start < ordered.count {
            var end = start
            while end < ordered.count && ordered[end].truth == ordered[start].truth { end += 1 }
            counts[ordered[start].truth] = end - start
            var rowStart = start
            while rowStart < end {
                let rowEnd = min(end, rowStart + perRow)
                rows.append((ordered[start].truth, rowStart == start, Array(ordered[rowStart..<rowEnd])))
                rowStart = rowEnd
            }
            start = end
        }
        self.rows = rows
        self.counts = counts
        self.totals = totals
        columns = max(1, rows.map(\.entries.count).max() ?? 1)
        // the widest caption a tile can get, capped at two tiles (longer names are shortened)
        let widestCaption = names.map { textWidth(Self.caption($0, 0.99), size: Self.captionSize) }.max() ?? 0
        columnWidth = (min(max(tileWidth, widestCaption), max(2 * tileWidth, 60)) + 10).rounded(.up)
        rowHeight = tileHeight + 2 + 16 + 8
        labelWidth = (max(names.map { textWidth($0, size: Self.labelSize, bold: true) }.max() ?? 0,
                          textWidth("100 of 1,000 errors", size: Self.captionSize)) + 16).rounded(.up)
        let gridWidth = 2 * Self.margin + labelWidth + Double(columns) * columnWidth
        let titleWidth = max(textWidth(title, size: 16, bold: true), textWidth(legend, size: 12)) + 2 * Self.margin
        self.width = Int(max(gridWidth, titleWidth).rounded(.up))
        self.height = Int((Self.top + Double(max(1, rows.count)) * rowHeight + Self.margin).rounded(.up))
    }

    /// "Shirt (87%)": what a tile's caption says.
    static func caption(_ name: String, _ probability: Double) -> String { "\(name) (\(fixed(probability * 100, 0))%)" }

    /// Top-left corner of tile `column` in row `row`.
    func tileOrigin(row: Int, column: Int) -> (x: Double, y: Double) {
        (Self.margin + labelWidth + Double(column) * columnWidth + (columnWidth - tileWidth) / 2, Self.top + Double(row) * rowHeight + 6)
    }

    func draw(image: (Int) -> [UInt8], imageWidth: Int, imageHeight: Int, scale: Int, on canvas: inout some Canvas) {
        let w = Double(width)
        canvas.text(title, x: w / 2, y: 26, size: 16, anchor: .middle, bold: true, class: "title")
        canvas.text(legend, x: w / 2, y: 46, size: 12, anchor: .middle, fill: "#444444", class: "legend")
        if rows.isEmpty {
            canvas.text("no misclassified images", x: w / 2, y: Self.top + rowHeight / 2, anchor: .middle, fill: "#777777", class: "no-data")
        }
        for (r, row) in rows.enumerated() {
            let (_, top) = tileOrigin(row: r, column: 0)
            if row.first {
                canvas.line(x1: Self.margin, y1: top - 6, x2: w - Self.margin, y2: top - 6, stroke: r == 0 ? "#888888" : "#bbbbbb", width: 1)
                canvas.text(names[row.truth], x: Self.margin, y: top + 16, size: Self.labelSize, bold: true, class: "row-label")
                let n = counts[row.truth] ?? 0, total = max(n, totals[row.truth] ?? 0)
                canvas.text((total > n ? "\(n) of \(total)" : "\(n)") + " error\(total == 1 ? "" : "s")", x: Self.margin, y: top + 32,
                            size: Self.captionSize, fill: "#666666", class: "error-count")
            }
            for (c, entry) in row.entries.enumerated() {
                let (x0, y0) = tileOrigin(row: r, column: c)
                let attributes = [("data-index", String(entry.index)), ("data-truth", String(entry.truth)),
                                  ("data-predicted", String(entry.predicted))]
                let tile = GrayImage(width: imageWidth, height: imageHeight, pixels: image(entry.index))
                canvas.rect(x: x0 - 1, y: y0 - 1, width: tileWidth + 2, height: tileHeight + 2, fill: "#999999")
                canvas.image(tile, x: x0, y: y0, scale: scale, attributes: [("class", "tile")] + attributes)
                let text = fitted(Self.caption(names[entry.predicted], entry.probability), size: Self.captionSize, maxWidth: columnWidth - 4)
                canvas.text(text, x: x0 + tileWidth / 2, y: y0 + tileHeight + 14, size: Self.captionSize, anchor: .middle, bold: false,
                            fill: "#c62828", vertical: false, attributes: [("class", "caption")] + attributes)
            }
        }
    }
}

/// `nn-eval --errors FILE`: the misclassified images in a grid, one block of rows per true class (layout
/// above), as SVG or PNG. `image(i)` gives sample i's `width * height` bytes, for each entry's index.
/// `classNames` name the classes (missing names: the class number); `totals` are the errors of each true
/// class in all, when only some are shown.
public func misclassifiedGrid(image: (Int) -> [UInt8], width: Int, height: Int, entries: [Misclassification], classNames: [String],
                              title: String, legend: String, totals: [Int: Int] = [:], format: PictureFormat, columns: Int = 12,
                              scale: Int = 3) throws -> [UInt8] {
    precondition(width > 0 && height > 0 && scale > 0, "misclassifiedGrid: empty tiles")
    let layout = GridLayout(width: width, height: height, scale: scale, columns: columns, entries: entries, classNames: classNames,
                            title: title, legend: legend, totals: totals)
    func checked(_ i: Int) -> [UInt8] {
        let pixels = image(i)
        precondition(pixels.count == width * height, "misclassifiedGrid: image \(i) is not \(width)x\(height)")
        return pixels
    }
    switch format {
    case .svg:
        var canvas = SVGCanvas(width: layout.width, height: layout.height, title: title)
        layout.draw(image: checked, imageWidth: width, imageHeight: height, scale: scale, on: &canvas)
        return Array(canvas.document.utf8)
    case .png:
        var canvas = RasterCanvas(width: layout.width, height: layout.height)
        layout.draw(image: checked, imageWidth: width, imageHeight: height, scale: scale, on: &canvas)
        return try canvas.png()
    }
}
