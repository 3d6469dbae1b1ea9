// ResizeNormalizerTests.swift: the resize recipe (nn-train --png-recipe resize) and the recipe table.

import Testing
import NNImage

struct ResizeNormalizerTests {
    /// A picture already in the training form (the input's size, dark background) is used as it is.
    @Test func trainingFormIsKept() {
        var image = GrayImage(width: 28, height: 28, fill: 0)
        for y in 10..<14 { for x in 3..<9 { image[x, y] = 200 } }   // off-centre, small: would be refitted otherwise
        #expect(ResizeNormalizer(width: 28, height: 28).normalize(image) == image)
    }

    /// A dark object on white paper: inverted, the background trimmed, the object's longer side filling the
    /// input with its aspect ratio kept, centred.
    @Test func photoIsInvertedTrimmedAndFitted() {
        var photo = GrayImage(width: 200, height: 150, fill: 250)
        for y in 40..<100 { for x in 120..<150 { photo[x, y] = 10 } }   // 30 wide, 60 tall, off-centre
        let out = ResizeNormalizer(width: 28, height: 28).normalize(photo)
        #expect(out.width == 28 && out.height == 28)
        var lit: [(Int, Int)] = []
        for y in 0..<28 { for x in 0..<28 where out[x, y] > 128 { lit.append((x, y)) } }
        // 14 x 28 pixels, centred: columns 7-20, all rows
        #expect(Set(lit.map(\.0)) == Set(7...20) && Set(lit.map(\.1)) == Set(0...27))
        #expect(out[0, 0] == 5 && out[27, 27] == 5)   // the background, inverted: 255 - 250
    }

    /// A noisy light background does not count as the object; a blank picture becomes the background.
    @Test func noiseIsNotTheObject() {
        var photo = GrayImage(width: 100, height: 100, fill: 240)
        for i in 0..<100 { photo[(i * 37) % 100, (i * 53) % 100] = 225 }   // specks 15 levels off the background
        for y in 45..<55 { for x in 30..<70 { photo[x, y] = 0 } }            // a 40 x 10 bar
        let out = ResizeNormalizer(width: 20, height: 20).normalize(photo)
        var rows = Set<Int>()
        for y in 0..<20 { for x in 0..<20 where out[x, y] > 128 { rows.insert(y) } }
        #expect(rows == Set(7...11), "the bar fills the width: 20 x 5 rows")
        let blank = ResizeNormalizer(width: 20, height: 20).normalize(GrayImage(width: 50, height: 30, fill: 255))
        #expect(blank.pixels.allSatisfy { $0 == 0 })
    }

    @Test func recipesByName() {
        let resize = ResizeNormalizer(width: 32, height: 24)
        #expect(PictureRecipe(name: "resize-v1", parameters: resize.parameters, inputSize: (1, 1)) == .resize(resize))
        #expect(PictureRecipe(name: "mnist-com-v1", parameters: [:], inputSize: (28, 28)) == .digit(.standard))
        #expect(PictureRecipe(name: "resize-v2", parameters: [:], inputSize: (28, 28)) == nil)
        // missing sizes are the model's; absurd ones are clamped
        let odd = PictureRecipe(name: "resize-v1", parameters: ["width": 1e300, "height": .nan, "trimThreshold": -3], inputSize: (20, 10))
        #expect(odd == .resize({ var r = ResizeNormalizer(width: 4096, height: 10); r.trimThreshold = 0; return r }()))
        #expect(PictureRecipe.resize(resize).outputSize == (width: 32, height: 24))
    }

    /// MNIST's digits fit 20x20 (all of them); a set of larger shapes does not.
    @Test func digitLikeness() throws {
        let digits = try #require(loadT10k(count: 200))
        #expect(DigitNormalizer.looksLikeDigits(digits.flatMap { $0 }, count: 200) == (true, 1.0))
        var wide = [UInt8](repeating: 0, count: 784 * 10)
        for i in 0..<10 { for x in 2..<26 { wide[i * 784 + 14 * 28 + x] = 255 } }   // 24 px wide lines
        let (looks, share) = DigitNormalizer.looksLikeDigits(wide, count: 10)
        #expect(!looks && share == 0)
    }
}
