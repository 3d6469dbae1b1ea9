// MisclassifiedGrid.swift: `nn-eval --errors FILE.png` and `--errors-list`, the test images a model got
// wrong, grouped by their true class.
//
// Layout of the grid (all sizes in pixels; s = scale, tile = width*s x height*s):
//
//   +--+-----+--+------+--+------+--+ ...      separators are `separator` (2) px wide, grey 96
//   |  |  3  |  | tile |  | tile |  |          the label column shows the true class in a 3x5 digit font,
//   +--+-----+--+------+--+------+--+ ...      white on black, on the first row of each class only
//   |  |     |  | tile |  |      |  |          a class with more than `columns` errors wraps onto more rows
//   +==+=====+==+======+==+======+==+ ...      the separator above a new class is white (255), not grey
//   |  |  7  |  | tile |  | tile |  |          slots after a class's last error stay separator-grey
//
// Tiles are the stored images (bright ink on black, as in IDX), enlarged by nearest neighbour. Within a
// class, images are in index order. The grid is as wide as its longest row: min(columns, largest class).

import NNImage

/// Misclassified samples, ordered by true class, then index: the order of both the grid and the list.
func orderedErrors(_ entries: [(index: Int, truth: Int, predicted: Int)]) -> [(index: Int, truth: Int, predicted: Int)] {
    entries.sorted { ($0.truth, $0.index, $0.predicted) < ($1.truth, $1.index, $1.predicted) }
}

/// `nn-eval --errors-list`: one line per misclassified sample, "index<TAB>truth<TAB>predicted", ordered
/// by true class, then index (the order of the grid's tiles).
public func misclassifiedList(_ entries: [(index: Int, truth: Int, predicted: Int)]) -> String {
    orderedErrors(entries).map { "\($0.index)\t\($0.truth)\t\($0.predicted)\n" }.joined()
}

/// Where things go in the grid; shared by the drawing code and the tests.
struct GridLayout {
    static let separator = 2
    static let separatorGray: UInt8 = 96
    static let groupSeparatorGray: UInt8 = 255

    let tileWidth: Int, tileHeight: Int
    /// Pixel size of one cell of the 3x5 digit font.
    let glyph: Int
    let labelWidth: Int
    let columns: Int
    /// Each row: the true class, whether it is the class's first row, and its entries.
    let rows: [(truth: Int, first: Bool, entries: [(index: Int, truth: Int, predicted: Int)])]

    init(width: Int, height: Int, scale: Int, columns requested: Int, entries: [(index: Int, truth: Int, predicted: Int)]) {
        tileWidth = width * scale
        tileHeight = height * scale
        glyph = max(1, min(2 * scale, tileHeight / 7))
        let ordered = orderedErrors(entries)
        var rows: [(truth: Int, first: Bool, entries: [(index: Int, truth: Int, predicted: Int)])] = []
        var start = 0
        let perRow = max(1, requested)
        while start < ordered.count {
            var end = start
            while end < ordered.count && ordered[end].truth == ordered[start].truth { end += 1 }
            var rowStart = start
            while rowStart < end {
                let rowEnd = min(end, rowStart + perRow)
                rows.append((ordered[start].truth, rowStart == start, Array(ordered[rowStart..<rowEnd])))
                rowStart = rowEnd
            }
            start = end
        }
        self.rows = rows
        columns = max(1, rows.map(\.entries.count).max() ?? 1)
        let digits = rows.map { String($0.truth).count }.max() ?? 1
        labelWidth = (digits * 4 + 1) * glyph
    }

    var imageWidth: Int { Self.separator + labelWidth + Self.separator + columns * (tileWidth + Self.separator) }
    var imageHeight: Int { Self.separator + max(1, rows.count) * (tileHeight + Self.separator) }

    /// Top-left corner of tile `column` in row `row`.
    func tileOrigin(row: Int, column: Int) -> (x: Int, y: Int) {
        (2 * Self.separator + labelWidth + column * (tileWidth + Self.separator), Self.separator + row * (tileHeight + Self.separator))
    }
}

/// `nn-eval --errors`: the misclassified images in a grid, one block of rows per true class (layout
/// above). `images` are all samples, `width * height` bytes each; `entries` index into them.
/// With no entries the result is one empty grey row, still a valid image.
public func misclassifiedGrid(images: [[UInt8]], width: Int, height: Int,
                              entries: [(index: Int, truth: Int, predicted: Int)],
                              columns: Int = 20, scale: Int = 3) -> GrayImage {
    precondition(width > 0 && height > 0 && scale > 0, "misclassifiedGrid: empty tiles")
    let layout = GridLayout(width: width, height: height, scale: scale, columns: columns, entries: entries)
    var image = GrayImage(width: layout.imageWidth, height: layout.imageHeight, fill: GridLayout.separatorGray)
    let sep = GridLayout.separator
    for (r, row) in layout.rows.enumerated() {
        let (_, top) = layout.tileOrigin(row: r, column: 0)
        if row.first && r > 0 {
            for y in (top - sep)..<top { for x in 0..<image.width { image[x, y] = GridLayout.groupSeparatorGray } }
        }
        // Label cell: black, with the class number on the class's first row.
        for y in top..<(top + layout.tileHeight) { for x in sep..<(sep + layout.labelWidth) { image[x, y] = 0 } }
        if row.first {
            drawNumber(row.truth, into: &image, x: sep + layout.glyph, y: top + layout.glyph, cell: layout.glyph)
        }
        for (c, entry) in row.entries.enumerated() {
            precondition(images.indices.contains(entry.index), "misclassifiedGrid: no image \(entry.index)")
            let source = images[entry.index]
            precondition(source.count == width * height,
                         "misclassifiedGrid: image \(entry.index) has \(source.count) bytes, not \(width)x\(height)")
            let (x0, y0) = layout.tileOrigin(row: r, column: c)
            for y in 0..<layout.tileHeight {
                let sourceRow = (y / scale) * width
                let base = (y0 + y) * image.width + x0
                for x in 0..<layout.tileWidth { image.pixels[base + x] = source[sourceRow + x / scale] }
            }
        }
    }
    return image
}

/// 3x5 bitmaps of 0-9, one row per 3 bits (most significant bit = left column).
private let digitGlyphs: [[UInt8]] = [
    [0b111, 0b101, 0b101, 0b101, 0b111], [0b010, 0b110, 0b010, 0b010, 0b111],
    [0b111, 0b001, 0b111, 0b100, 0b111], [0b111, 0b001, 0b111, 0b001, 0b111],
    [0b101, 0b101, 0b111, 0b001, 0b001], [0b111, 0b100, 0b111, 0b001, 0b111],
    [0b111, 0b100, 0b111, 0b101, 0b111], [0b111, 0b001, 0b010, 0b010, 0b010],
    [0b111, 0b101, 0b111, 0b101, 0b111], [0b111, 0b101, 0b111, 0b001, 0b111],
]

/// Writes `value` in white, each font cell `cell` x `cell` pixels, digits 1 cell apart; clipped to the image.
private func drawNumber(_ value: Int, into image: inout GrayImage, x: Int, y: Int, cell: Int) {
    for (i, ch) in String(value).enumerated() {
        guard let d = ch.wholeNumberValue else { continue }  // a minus sign is left out
        for (gy, bits) in digitGlyphs[d].enumerated() {
            for gx in 0..<3 where bits & (0b100 >> gx) != 0 {
                let px0 = x + (i * 4 + gx) * cell, py0 = y + gy * cell
                for py in py0..<(py0 + cell) where py < image.height {
                    for px in px0..<(px0 + cell) where px < image.width { image[px, py] = 255 }
                }
            }
        }
    }
}
