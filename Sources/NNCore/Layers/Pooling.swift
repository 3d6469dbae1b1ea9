// Pooling.swift: what max pooling and average pooling share: a window over each channel of a
// [C, H, W] input, with a stride and zero padding. (Each kind is its own file: MaxPool2D.swift,
// AvgPool2D.swift.)

/// The fields of a pooling layer: window, stride, padding (each height then width).
public struct PoolingGeometry: Sendable, Equatable {
    public var windowHeight: Int, windowWidth: Int
    public var strideY: Int, strideX: Int
    public var padY: Int, padX: Int

    /// A square window with stride = window (the windows tile the input) and no padding, unless given.
    public init(window: Int, stride: Int? = nil, padding: Int = 0) {
        self.init(windowHeight: window, windowWidth: window, strideY: stride ?? window, strideX: stride ?? window, padY: padding, padX: padding)
    }

    public init(windowHeight: Int, windowWidth: Int, strideY: Int, strideX: Int, padY: Int, padX: Int) {
        self.windowHeight = windowHeight
        self.windowWidth = windowWidth
        self.strideY = strideY
        self.strideX = strideX
        self.padY = padY
        self.padX = padX
    }

    static let fieldKinds: [LayerField.Kind] = Array(repeating: .count, count: 6)
    var fields: [LayerField] { [windowHeight, windowWidth, strideY, strideX, padY, padX].map { .count($0) } }

    init(fields: [LayerField], kind: String) throws(LayerSpecError) {
        let v = fields.compactMap { f -> Int? in if case .count(let n) = f { return n } else { return nil } }
        guard v.count == 6, v[0] > 0, v[1] > 0, v[2] > 0, v[3] > 0 else {
            throw LayerSpecError("\(kind) needs a positive window and stride")
        }
        guard v[4] < v[0], v[5] < v[1] else { throw LayerSpecError("\(kind) padding must be smaller than its window") }
        self.init(windowHeight: v[0], windowWidth: v[1], strideY: v[2], strideX: v[3], padY: v[4], padX: v[5])
    }

    /// "2" for the grammar's maxpool2 (square, stride = window, no padding); nil otherwise.
    var token: String? {
        windowHeight == windowWidth && strideY == windowHeight && strideX == windowWidth && padY == 0 && padX == 0
            ? String(windowHeight) : nil
    }

    var text: String {
        "\(windowHeight)x\(windowWidth)" + (strideY == windowHeight && strideX == windowWidth ? "" : " stride \(strideY)x\(strideX)")
            + (padY == 0 && padX == 0 ? "" : " padding \(padY)x\(padX)")
    }

    func outputShape(for input: [Int], kind: String) throws(LayerSpecError) -> [Int] {
        guard input.count == 3 else { throw LayerSpecError("needs an image input [C, H, W], not \(CheckedSize.shape(input))") }
        let h = input[1] + 2 * padY, w = input[2] + 2 * padX
        guard h >= windowHeight, w >= windowWidth else {
            throw LayerSpecError("has a \(windowHeight)x\(windowWidth) window, larger than its \(h)x\(w) input")
        }
        return [input[0], (h - windowHeight) / strideY + 1, (w - windowWidth) / strideX + 1]
    }

    func window(_ input: [Int]) -> Window {
        Window(channels: input[0], height: input[1], width: input[2], kernelHeight: windowHeight, kernelWidth: windowWidth,
               strideY: strideY, strideX: strideX, padY: padY, padX: padX)
    }
}
