// MisclassifiedGridTests.swift: the PNG of `nn-eval --errors`, encoded and decoded through libpng.

import Testing
import NNImage
@testable import NNReport

struct MisclassifiedGridTests {
    /// Five 4x3 images with distinct pixel values (image k pixel p = 10k + p + 1).
    let images: [[UInt8]] = (0..<5).map { k in (0..<12).map { UInt8(10 * k + $0 + 1) } }
    let entries: [(index: Int, truth: Int, predicted: Int)] = [
        (index: 4, truth: 7, predicted: 1), (index: 3, truth: 2, predicted: 3),
        (index: 0, truth: 7, predicted: 9), (index: 1, truth: 2, predicted: 8), (index: 2, truth: 7, predicted: 2),
    ]

    @Test func listIsOrderedByTruthThenIndex() {
        #expect(misclassifiedList(entries) == "1\t2\t8\n3\t2\t3\n0\t7\t9\n2\t7\t2\n4\t7\t1\n")
        #expect(misclassifiedList([]) == "")
    }

    @Test func gridRoundTripsThroughPNG() throws {
        let scale = 3, columns = 2
        let grid = misclassifiedGrid(images: images, width: 4, height: 3, entries: entries, columns: columns, scale: scale)
        let decoded = try decodePNG(try encodePNG(grid))
        #expect(decoded == grid)
        // Rows: class 2 (indices 1, 3), class 7 (0, 2), class 7 again (4). Two columns.
        let tileW = 4 * scale, tileH = 3 * scale, sep = GridLayout.separator
        let layout = GridLayout(width: 4, height: 3, scale: scale, columns: columns, entries: entries)
        #expect(decoded.width == 2 * sep + layout.labelWidth + columns * (tileW + sep))
        #expect(decoded.height == sep + 3 * (tileH + sep))
        // Each tile equals its image enlarged by nearest neighbour.
        let expected = [[1, 3], [0, 2], [4]]
        for (r, row) in expected.enumerated() {
            for (c, index) in row.enumerated() {
                let (x0, y0) = layout.tileOrigin(row: r, column: c)
                for y in 0..<tileH {
                    for x in 0..<tileW where decoded[x0 + x, y0 + y] != images[index][(y / scale) * 4 + x / scale] {
                        Issue.record("tile (\(r), \(c)) differs at (\(x), \(y))")
                        return
                    }
                }
            }
        }
        // The first tile is right after the label column, below the top border.
        #expect(layout.tileOrigin(row: 0, column: 0) == (x: 2 * sep + layout.labelWidth, y: sep))
        // The empty slot in the last row stays separator grey; a white line separates class 2 from class 7.
        let (ex, ey) = layout.tileOrigin(row: 2, column: 1)
        #expect(decoded[ex + 1, ey + 1] == GridLayout.separatorGray)
        let (_, row1Top) = layout.tileOrigin(row: 1, column: 0)
        #expect(decoded[0, row1Top - 1] == 255)
        let (_, row2Top) = layout.tileOrigin(row: 2, column: 0)
        #expect(decoded[0, row2Top - 1] == GridLayout.separatorGray)
    }

    /// The label column carries white pixels (the class number) on a class's first row only.
    @Test func classLabels() throws {
        let grid = misclassifiedGrid(images: images, width: 4, height: 3, entries: entries, columns: 2, scale: 3)
        let layout = GridLayout(width: 4, height: 3, scale: 3, columns: 2, entries: entries)
        func whitePixelsInLabel(row: Int) -> Int {
            let (_, top) = layout.tileOrigin(row: row, column: 0)
            var n = 0
            for y in top..<(top + layout.tileHeight) {
                for x in GridLayout.separator..<(GridLayout.separator + layout.labelWidth) where grid[x, y] == 255 { n += 1 }
            }
            return n
        }
        // "2" and "7" in the 3x5 font: 11 and 7 cells.
        let cell = layout.glyph * layout.glyph
        #expect(whitePixelsInLabel(row: 0) == 11 * cell)
        #expect(whitePixelsInLabel(row: 1) == 7 * cell)
        #expect(whitePixelsInLabel(row: 2) == 0)
    }

    @Test func mnistSizedDefaults() throws {
        let digits = (0..<30).map { k in [UInt8](repeating: UInt8(k), count: 784) }
        let errors = (0..<30).map { (index: $0, truth: $0 % 10, predicted: ($0 + 1) % 10) }
        let grid = misclassifiedGrid(images: digits, width: 28, height: 28, entries: errors)
        let decoded = try decodePNG(try encodePNG(grid))
        // 10 classes of 3 errors: 10 rows of 3 tiles of 84 px.
        #expect(decoded.height == 2 + 10 * 86)
        #expect(decoded.width == 2 + GridLayout(width: 28, height: 28, scale: 3, columns: 20, entries: errors).labelWidth + 2 + 3 * 86)
        #expect(decoded == grid)
    }

    @Test func noErrorsIsStillAnImage() throws {
        let grid = misclassifiedGrid(images: [], width: 28, height: 28, entries: [])
        let decoded = try decodePNG(try encodePNG(grid))
        #expect(decoded.width > 0 && decoded.height > 0)
    }
}
