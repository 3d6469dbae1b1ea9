// MisclassifiedGridTests.swift: the picture of `nn-eval --errors`, as PNG (decoded through libpng) and as
// SVG (parsed back as XML).

import Foundation
import Testing
import NNImage
@testable import NNReport
import NNToolkit

struct MisclassifiedGridTests {
    /// Five 4x3 images with distinct pixel values (image k pixel p = 10k + p + 1).
    let images: [[UInt8]] = (0..<5).map { k in (0..<12).map { UInt8(10 * k + $0 + 1) } }
    let entries: [Misclassification] = [
        Misclassification(index: 4, truth: 2, predicted: 1, probability: 0.5), Misclassification(index: 3, truth: 0, predicted: 1, probability: 0.91),
        Misclassification(index: 0, truth: 2, predicted: 0, probability: 0.666), Misclassification(index: 1, truth: 0, predicted: 2, probability: 1),
        Misclassification(index: 2, truth: 2, predicted: 1, probability: 0.4),
    ]
    let names = ["cat", "dog", "<bird & co>"]

    func grid(_ format: PictureFormat, entries: [Misclassification]? = nil, names: [String]? = nil, title: String = "errors",
              columns: Int = 2) throws -> [UInt8] {
        try misclassifiedGrid(image: { images[$0] }, width: 4, height: 3, entries: entries ?? self.entries, classNames: names ?? self.names,
                              title: title, legend: "rows: true class", format: format, columns: columns, scale: 3)
    }

    @Test func listIsOrderedByTruthThenIndex() {
        #expect(misclassifiedList(entries) == "1\t0\t2\n3\t0\t1\n0\t2\t0\n2\t2\t1\n4\t2\t1\n")
        #expect(misclassifiedList([]) == "")
    }

    /// SVG: a tile and a caption per error in grid order, the predicted class's name and probability in the
    /// caption, one row label per true class, the title and the legend.
    @Test func svgTilesCaptionsAndLabels() throws {
        let svg = try SVGDocument(String(decoding: try grid(.svg), as: UTF8.self))
        let tiles = svg.elements("image", class: "tile")
        #expect(tiles.map { $0[attribute: "data-index"]! } == ["1", "3", "0", "2", "4"])
        #expect(tiles.map { $0[attribute: "data-predicted"]! } == ["2", "1", "0", "1", "1"])
        #expect(tiles.allSatisfy { ($0[attribute: "href"] ?? "").hasPrefix("data:image/png;base64,iVBORw0KGgo") })
        let captions = svg.texts(class: "caption")
        // tiles of 12 px: the longest caption is shortened to its column
        #expect(captions.count == 5 && captions[0].hasPrefix("<bird") && captions[0].hasSuffix("\u{2026}"))
        #expect(captions.dropFirst() == ["dog (91%)", "cat (67%)", "dog (40%)", "dog (50%)"])
        #expect(svg.texts(class: "row-label") == ["cat", "<bird & co>"])
        #expect(svg.texts(class: "error-count") == ["2 errors", "3 errors"])
        let limited = try misclassifiedGrid(image: { images[$0] }, width: 4, height: 3, entries: Array(entries.prefix(2)), classNames: names,
                                            title: "t", legend: "l", totals: [0: 2, 2: 40], format: .svg)
        #expect(try SVGDocument(String(decoding: limited, as: UTF8.self)).texts(class: "error-count") == ["1 of 2 errors", "1 of 40 errors"])
        #expect(svg.texts(class: "title") == ["errors"])
        #expect(svg.texts(class: "legend") == ["rows: true class"])
        // the tile's PNG is the image itself
        let href = tiles[0][attribute: "href"]!
        let png = [UInt8](Data(base64Encoded: String(href.dropFirst("data:image/png;base64,".count)))!)
        #expect(try decodePNG(png) == GrayImage(width: 4, height: 3, pixels: images[1]))
    }

    /// PNG: each tile is its image enlarged by nearest neighbour at the layout's place, with red caption
    /// pixels under it; the picture is exactly the layout's size.
    @Test func pngTilesAtTheirPlaces() throws {
        let png = try grid(.png)
        let decoded = try decodePNG(png)
        let layout = GridLayout(width: 4, height: 3, scale: 3, columns: 2, entries: entries, classNames: names,
                                title: "errors", legend: "rows: true class")
        #expect(decoded.width == layout.width && decoded.height == layout.height)
        // rows: class 0 (indices 1, 3), class 2 (0, 2), class 2 again (4)
        let expected = [[1, 3], [0, 2], [4]]
        for (r, row) in expected.enumerated() {
            for (c, index) in row.enumerated() {
                let (x0, y0) = layout.tileOrigin(row: r, column: c)
                for y in 0..<9 {
                    for x in 0..<12 where decoded[Int(x0) + x, Int(y0) + y] != images[index][(y / 3) * 4 + x / 3] {
                        Issue.record("tile (\(r), \(c)) differs at (\(x), \(y))")
                        return
                    }
                }
                // the caption: ink (not white) in the band under the tile
                let captionTop = Int(y0) + 9 + 4
                var ink = 0
                for y in captionTop..<(captionTop + 12) { for x in Int(x0 - 6)..<Int(x0 + 18) where decoded[x, y] < 200 { ink += 1 } }
                #expect(ink > 10, "caption of tile (\(r), \(c))")
            }
        }
        // the title: ink near the top centre
        var titleInk = 0
        for y in 10..<30 { for x in 0..<decoded.width where decoded[x, y] < 128 { titleInk += 1 } }
        #expect(titleInk > 20)
    }

    /// The picture is at least as wide as its title, and long class names are shortened to their column.
    @Test func longTitlesAndNamesFit() throws {
        let title = String(repeating: "a long architecture name ", count: 8)
        let svg = try SVGDocument(String(decoding: try grid(.svg, title: title), as: UTF8.self))
        let width = Double(svg.root[attribute: "width"]!)!
        #expect(width >= textWidth(title, size: 16, bold: true) + 32)
        let long = ["a class name far longer than any tile", "b", "c"]
        let named = try SVGDocument(String(decoding: try grid(.svg, names: long), as: UTF8.self))
        let captions = named.texts(class: "caption")
        let layout = GridLayout(width: 4, height: 3, scale: 3, columns: 2, entries: entries, classNames: long, title: "t", legend: "l")
        #expect(captions.count == 5)
        #expect(captions.allSatisfy { textWidth($0, size: GridLayout.captionSize) <= layout.columnWidth - 4 })
        #expect(captions[2].hasPrefix("a class") && captions[2].hasSuffix("\u{2026}"))   // predicted class 0, shortened
        #expect(captions[1] == "b (91%)")
    }

    @Test func noErrorsIsStillAPicture() throws {
        let decoded = try decodePNG(try grid(.png, entries: []))
        #expect(decoded.width > 0 && decoded.height > 0)
        let svg = try SVGDocument(String(decoding: try grid(.svg, entries: []), as: UTF8.self))
        #expect(svg.texts(class: "no-data") == ["no misclassified images"])
    }
}
