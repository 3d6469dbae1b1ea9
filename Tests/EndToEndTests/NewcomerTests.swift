// NewcomerTests.swift: what a new user meets first (issue 15): per-model PNG recipes and class names,
// messages, pictures by extension, the progress bar on a terminal.
import Foundation
import Testing
@testable import NNFormats
import NNImage

@Suite(.serialized) struct NewcomerTests {
    static let fashion = Tools.packageRoot + "/Tests/Fixtures/fashion"
    static let fashionNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// A Fashion-MNIST model (the README's recipe, smaller: Tests/Fixtures/fashion/make.sh) reads 100 t10k
    /// images saved as PNG files exactly as nn-eval scores them from IDX, printing class names; the same
    /// garments as product photos (dark on white, enlarged, off-centre in a wider canvas) read about as well.
    @Test func fashionModelReadsFashionPNGs() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = Self.fashion + "/fashion-32.nnm"
        let files = DataFiles(images: Self.fashion + "/t10k-100-images-idx3-ubyte.gz", labels: Self.fashion + "/t10k-100-labels-idx1-ubyte.gz")
        let set = try IDXDataset.load(files)
        #expect(set.dataset.count == 100)
        var plain: [String] = [], photos: [String] = []
        for i in 0..<100 {
            let pixels = Array(set.dataset.features[(i * 784)..<((i + 1) * 784)])
            plain.append("\(dir)/\(i).png")
            try writeFileAtomically(try encodePNG(GrayImage(width: 28, height: 28, pixels: pixels)), to: plain[i])
            // a product photo: dark garment on white paper, 3x, in a 120x100 canvas
            var photo = GrayImage(width: 120, height: 100, fill: 255)
            for y in 0..<84 { for x in 0..<84 { photo[18 + x, 8 + y] = 255 - pixels[(y / 3) * 28 + x / 3] } }
            photos.append("\(dir)/photo-\(i).png")
            try writeFileAtomically(try encodePNG(photo), to: photos[i])
        }
        let eval = try Tools.sh("nn-eval -m \(model) --images \(files.images) --labels \(files.labels) --format json")
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try JSONSerialization.jsonObject(with: eval.stdout) as! [String: Any]
        let idxAccuracy = report["accuracy"] as! Double
        #expect(report["classes"] as? [String] == Self.fashionNames)
        func accuracy(_ paths: [String]) throws -> Double {
            let r = try Tools.sh("nn-predict -m \(model) " + paths.joined(separator: " "))
            #expect(r.status == 0, "\(r.stderr)")
            let lines = r.out.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
            #expect(lines.count == 100)
            #expect(lines.allSatisfy { Self.fashionNames.contains($0[1]) }, "class names, not numbers: \(lines.prefix(3))")
            return Double(zip(lines, set.dataset.labels).filter { $0.0[1] == Self.fashionNames[Int($0.1)] }.count) / 100
        }
        let pngAccuracy = try accuracy(plain)
        #expect(abs(pngAccuracy - idxAccuracy) <= 0.01, "PNG \(pngAccuracy) vs IDX \(idxAccuracy)")
        #expect(idxAccuracy >= 0.8)
        let photoAccuracy = try accuracy(photos)
        #expect(photoAccuracy >= idxAccuracy - 0.05, "photos \(photoAccuracy) vs IDX \(idxAccuracy)")
        // the digit recipe, which Fashion models used to get, crops garments into blobs
        #expect(try Tools.sh("nn-model info \(model)").out.contains("resize-v1"))
    }

    /// nn-train picks the recipe from the data and says so: digit for MNIST's digits, resize for 28x28
    /// images whose ink does not fit 20x20; --png-recipe and --class-names are stored and used.
    @Test func recipeDefaultsAndClassNames() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 10, into: dir)
        let digits = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --layers 784-16-10 --epochs 1 -o \(dir)/d.nnm")
        #expect(digits.status == 0, "\(digits.stderr)")
        #expect(digits.stderr.contains("nn-predict will read PNGs with the digit recipe (ink inside 20x20 in 100.00% of the images"))
        #expect(try ModelFileReader.read("\(dir)/d.nnm").imageRecipe?.name == "mnist-com-v1")
        // the same digits enlarged 1.6x about the centre: ink beyond 20x20, not MNIST-style
        let set = try IDXDataset.load(DataFiles(images: trI, labels: trL))
        var big = [UInt8](repeating: 0, count: set.dataset.features.count)
        for i in 0..<set.dataset.count {
            for y in 0..<28 {
                for x in 0..<28 {
                    let sx = Int((Double(x) - 13.5) / 1.6 + 13.5), sy = Int((Double(y) - 13.5) / 1.6 + 13.5)
                    big[i * 784 + y * 28 + x] = set.dataset.features[i * 784 + sy * 28 + sx]
                }
            }
        }
        try writeFileAtomically([0, 0, 8, 3, 0, 0, 1, 244, 0, 0, 0, 28, 0, 0, 0, 28] + big, to: "\(dir)/big.idx")
        try writeFileAtomically(Data((0..<10).map { "class \($0)\n" }.joined().utf8).map { $0 }, to: "\(dir)/names.txt")
        let resized = try Tools.sh("nn-train --train-images \(dir)/big.idx --train-labels \(trL) --layers 784-16-10 --epochs 1 "
            + "--class-names \(dir)/names.txt -o \(dir)/r.nnm")
        #expect(resized.status == 0, "\(resized.stderr)")
        #expect(resized.stderr.contains("with the resize recipe (ink inside 20x20 in only "), "\(resized.stderr)")
        let r = try ModelFileReader.read("\(dir)/r.nnm")
        #expect(r.imageRecipe?.name == "resize-v1")
        #expect(r.classNames == (0..<10).map { "class \($0)" })
        // the names reach nn-predict's output and nn-eval's report
        let predicted = try Tools.sh("nn-predict -m \(dir)/r.nnm \(Tools.packageRoot)/Tests/BadInputs/digit.png")
        #expect(predicted.status == 0 && predicted.out.split(separator: "\t")[1].hasPrefix("class "), "\(predicted.out)\(predicted.stderr)")
        let report = try Tools.sh("nn-eval -m \(dir)/r.nnm --images \(dir)/big.idx --labels \(trL)")
        #expect(report.out.contains("class 9"))
        // explicit choices, and the refusals
        let chosen = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --layers 784-16-10 --epochs 1 --png-recipe resize "
            + "--class-names zero,one,two,three,four,five,six,seven,eight,nine -o \(dir)/c.nnm")
        #expect(chosen.status == 0 && chosen.stderr.contains("the resize recipe (--png-recipe resize)"), "\(chosen.stderr)")
        #expect(try ModelFileReader.read("\(dir)/c.nnm").classNames.last == "nine")
        for (args, message) in [("--class-names a,b,c", "--class-names: 3 names for 10 classes"),
                                ("--class-names a,b,c,d,e,f,g,h,i,a", "'a' names two classes"),
                                ("--png-recipe square", "--png-recipe"),
                                ("--loss mse --layers 784-1 --class-names a", "--class-names is for classifiers")] {
            let bad = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --layers 784-16-10 --epochs 1 \(args) -o \(dir)/x.nnm")
            #expect(bad.status == 2 && bad.stderr.contains(message), "\(args): \(bad.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/x.nnm"))
        }
    }

    /// One style for every tool: "tool: message" with a suggestion for the common slips, then a short usage
    /// line; defaults in --help; a diverged run described in words.
    @Test func messagesForCommonSlips() throws {
        let digit = Tools.packageRoot + "/Tests/BadInputs/digit.png"
        let cases: [(String, [String])] = [
            ("nn-eval model.nnm", ["nn-eval: unexpected argument 'model.nnm': did you mean -m model.nnm?",
                                   "Usage: nn-eval [-m MODEL] [--data DIR | --images FILE --labels FILE] [options] (nn-eval --help for every option)"]),
            ("nn-gradcheck \(Tools.packageRoot)/datasets/default", ["did you mean --data \(Tools.packageRoot)/datasets/default?"]),
            ("nn-train --learning-rat 0.1", ["nn-train: unknown option '--learning-rat': did you mean --learning-rate?", "Usage: nn-train ["]),
            ("nn-eval --images \(digit) --labels \(digit)", ["--images \(digit): a PNG picture, but --images takes IDX data", "to classify a picture: nn-predict \(digit)"]),
            ("nn-predict --images \(digit)", ["give pictures as arguments: nn-predict \(digit)"]),
            ("nn-eval \(digit)", ["nn-eval reads labelled IDX data; to classify a picture: nn-predict \(digit)"]),
            ("nn-eval --confusion c.jpg", ["--confusion c.jpg: name a .png or .svg file"]),
            ("nn-predict model.nnm \(digit)", ["nn-predict: model.nnm: a model file among the pictures; did you mean -m model.nnm?"]),
        ]
        for (command, expected) in cases {
            let r = try Tools.sh(command)
            #expect(r.status == 2, "\(command)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count <= 2 && !r.stderr.contains("Error:"), "\(command): \(r.stderr)")
            for text in expected { #expect(r.stderr.contains(text), "\(command): \(r.stderr)") }
        }
        let help = try Tools.sh("nn-train --help")
        #expect(help.out.contains("Default: 784-300-10 (nn-train)") && help.out.contains("USAGE: nn-train [--data DIR"))
        #expect(help.out.contains("--png-recipe <digit|resize>") && help.out.contains("--class-names <names|file>"))
    }

    /// The progress bar on a terminal: speed and time left when there is room, one line cut to the
    /// terminal's width when there is not; nothing but the epoch lines when stderr is not a terminal.
    @Test func progressBarFitsTheTerminal() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // an epoch long enough (5,000 samples in steps of 2 on one thread) for the bar to be drawn mid-pass
        // with a measured speed, however fast the kernels are
        let (trI, trL) = try Tools.subset("train", stride: 1, into: dir)
        let train = "nn-train --train-images \(trI) --train-labels \(trL) --layers 784-64-10 --epochs 2 --batch-size 2 --threads 1 -o \(dir)/m.nnm"
        // python's pty: the child's stderr is a terminal of the given width
        let script = """
            import os, pty, sys, struct, fcntl, termios
            cols = int(sys.argv[1])
            pid, fd = pty.fork()
            if pid == 0:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 24, cols, 0, 0))
                os.execvp('sh', ['sh', '-c', sys.argv[2]])
            out = b''
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            os.waitpid(pid, 0)
            sys.stdout.buffer.write(out)
            """
        try writeFileAtomically(Array(script.utf8), to: "\(dir)/ttyrun.py")
        for cols in [120, 40, 24] {
            let r = try Tools.sh("python3 \(dir)/ttyrun.py \(cols) '\(train)'")
            #expect(r.status == 0, "\(r.stderr)")
            // each redraw starts with \r and ends with ESC[K; the terminal turns \n into \r\n
            let segments = r.out.replacingOccurrences(of: "\u{1B}[K", with: "").replacingOccurrences(of: "\r\n", with: "\n")
                .split(whereSeparator: { $0 == "\r" || $0 == "\n" }).map(String.init)
            let bars = segments.filter { $0.hasPrefix("epoch ") && !$0.contains("  train ") }
            #expect(!bars.isEmpty, "\(cols) columns: no progress drawn: \(r.out.prefix(300))")
            #expect(bars.allSatisfy { $0.count <= cols - 1 }, "\(cols) columns: \(bars.filter { $0.count >= cols })")
            if cols == 120 {
                #expect(bars.contains { $0.contains(" samples/s") && $0.hasSuffix(" left") && $0.contains("[") }, "\(bars)")
            }
        }
        let plain = try Tools.sh(train)
        #expect(!plain.stderr.contains("\r") && !plain.stderr.contains("\u{1B}"))
        #expect(plain.stderr.split(separator: "\n").filter { $0.hasPrefix("epoch ") }.count == 2)
    }
}
