// TrainingCurves.swift: `nn-train --plot FILE.svg`, loss and accuracy per epoch as one self-contained SVG.
//
// Layout (960 x 400): the title on top, two panels side by side: loss on the left, accuracy (or, for
// regression, the validation/test MSE) on the right. Each panel has its own axes, ticks, grid and a legend
// under the plot. Train is blue, validation orange, test green in both panels.
// Non-finite values (a diverged run) are left out of the line and of the axis range; a series with a single
// point shows as a marker alone. Every element a test may count carries a class attribute:
// `g.series` (with `data-name`) holds one `polyline` and one `circle` per point, `text.axis-title`,
// `g.legend-entry`, `text.tick-label`.

import NNCore

/// The data behind `trainingCurvesSVG`: two panels of named series over epochs.
public struct TrainingCurves: Sendable, Equatable {
    /// One line on a chart: finite (epoch, value) points in epoch order.
    public struct Series: Sendable, Equatable {
        public var name: String
        /// An SVG colour, e.g. "#1f77b4".
        public var color: String
        public var points: [Point]
        public init(name: String, color: String, points: [Point]) {
            self.name = name
            self.color = color
            self.points = points.filter { $0.x.isFinite && $0.y.isFinite }
        }
    }

    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public init(x: Double, y: Double) { self.x = x; self.y = y }
    }

    /// One chart: a y-axis title, optional hard limits for the y range (accuracy stays within 0...100),
    /// and its series.
    public struct Panel: Sendable, Equatable {
        public var yTitle: String
        public var yLimits: ClosedRange<Double>?
        public var series: [Series]
        public init(yTitle: String, yLimits: ClosedRange<Double>? = nil, series: [Series]) {
            self.yTitle = yTitle
            self.yLimits = yLimits
            self.series = series
        }
    }

    public var loss: Panel
    /// Accuracy in percent for classifiers, MSE for regression.
    public var quality: Panel

    public static let trainColor = "#1f77b4"
    public static let validationColor = "#ff7f0e"
    public static let testColor = "#2ca02c"

    public init(loss: Panel, quality: Panel) {
        self.loss = loss
        self.quality = quality
    }

    /// Series from a training history. Loss: train, validation and test when present. Accuracy (%): the
    /// same three when any epoch has an accuracy; otherwise (regression) validation and test MSE.
    /// Series with no finite point are dropped.
    public init(_ epochs: [EpochStats]) {
        func series(_ name: String, _ color: String, _ value: (EpochStats) -> Double?) -> Series? {
            let points = epochs.compactMap { e in value(e).map { Point(x: Double(e.epoch), y: $0) } }
            let s = Series(name: name, color: color, points: points)
            return s.points.isEmpty ? nil : s
        }
        let c = TrainingCurves.self
        loss = Panel(yTitle: "loss", series: [
            series("train", c.trainColor) { $0.trainLoss },
            series("validation", c.validationColor) { $0.validation?.loss },
            series("test", c.testColor) { $0.test?.loss },
        ].compactMap { $0 })
        let isClassifier = epochs.contains {
            $0.trainAccuracy != nil || $0.validation?.accuracy != nil || $0.test?.accuracy != nil
        }
        if isClassifier {
            quality = Panel(yTitle: "accuracy (%)", yLimits: 0...100, series: [
                series("train", c.trainColor) { $0.trainAccuracy.map { $0 * 100 } },
                series("validation", c.validationColor) { $0.validation?.accuracy.map { $0 * 100 } },
                series("test", c.testColor) { $0.test?.accuracy.map { $0 * 100 } },
            ].compactMap { $0 })
        } else {
            func mse(_ r: EvaluationReport?) -> Double? {
                if case .regression(let r)? = r { return r.mse }
                return nil
            }
            quality = Panel(yTitle: "MSE", series: [
                series("validation", c.validationColor) { mse($0.validation) },
                series("test", c.testColor) { mse($0.test) },
            ].compactMap { $0 })
        }
    }

    /// The chart as a standalone SVG document.
    public func svg(title: String) -> String {
        var canvas = SVGCanvas(width: 960, height: 400, title: title)
        draw(on: &canvas, title: title)
        return canvas.document
    }

    /// The chart as an SVG document or a PNG image.
    public func picture(title: String, format: PictureFormat) throws -> [UInt8] {
        switch format {
        case .svg: return Array(svg(title: title).utf8)
        case .png:
            var canvas = RasterCanvas(width: 960, height: 400)
            draw(on: &canvas, title: title)
            return try canvas.png()
        }
    }

    private func draw(on canvas: inout some Canvas, title: String) {
        let width = 960.0, height = 400.0
        // A title longer than the picture is set smaller, down to 10 px, then shortened: it never clips.
        var titleSize = 16.0
        while titleSize > 10 && textWidth(title, size: titleSize, bold: true) > width - 20 { titleSize -= 1 }
        canvas.text(fitted(title, size: titleSize, maxWidth: width - 20, bold: true), x: width / 2, y: 26, size: titleSize,
                    anchor: .middle, bold: true, class: "title")
        render(loss, id: "loss", in: PanelFrame(left: 0, top: 36, width: width / 2, height: height - 36), on: &canvas)
        render(quality, id: "quality", in: PanelFrame(left: width / 2, top: 36, width: width / 2, height: height - 36), on: &canvas)
    }

    private struct PanelFrame { var left, top, width, height: Double }

    private func render(_ panel: Panel, id: String, in frame: PanelFrame, on canvas: inout some Canvas) {
        // Plot area inside the panel; the margins hold tick labels, axis titles and the legend.
        let left = frame.left + 70, right = frame.left + frame.width - 20
        let top = frame.top + 14, bottom = frame.top + frame.height - 84
        let all = panel.series.flatMap(\.points)
        let xs = niceTicks(lo: all.map(\.x).min() ?? 1, hi: all.map(\.x).max() ?? 1, target: 6, minStep: 1)
        var ys = niceTicks(lo: all.map(\.y).min() ?? 0, hi: all.map(\.y).max() ?? 1, target: 5)
        if let limits = panel.yLimits {
            // A constant 100% accuracy would otherwise get an axis up to 110.
            ys.values = ys.values.filter { limits.contains($0) }
            if ys.values.count < 2 { ys.values = [limits.lowerBound, limits.upperBound] }
            ys.lo = ys.values.first!
            ys.hi = ys.values.last!
        }
        func X(_ x: Double) -> Double { left + (x - xs.lo) / (xs.hi - xs.lo) * (right - left) }
        func Y(_ y: Double) -> Double { bottom - (y - ys.lo) / (ys.hi - ys.lo) * (bottom - top) }

        canvas.beginGroup([("class", "panel"), ("id", id)])
        // Clip to the plot area plus a marker radius, so points on the edges stay whole.
        canvas.defineClip(id: "clip-\(id)", x: left - 4, y: top - 4, width: right - left + 8, height: bottom - top + 8)
        // Grid and ticks.
        canvas.beginGroup([("class", "grid")])
        for v in xs.values { canvas.line(x1: X(v), y1: top, x2: X(v), y2: bottom, stroke: "#dddddd", width: 1) }
        for v in ys.values { canvas.line(x1: left, y1: Y(v), x2: right, y2: Y(v), stroke: "#dddddd", width: 1) }
        canvas.endGroup()
        canvas.beginGroup([("class", "axis x")])
        canvas.line(x1: left, y1: bottom, x2: right, y2: bottom, stroke: "black", width: 1)
        for v in xs.values {
            canvas.line(x1: X(v), y1: bottom, x2: X(v), y2: bottom + 5, stroke: "black", width: 1)
            canvas.text(xs.label(v), x: X(v), y: bottom + 18, anchor: .middle, class: "tick-label")
        }
        canvas.text("epoch", x: (left + right) / 2, y: bottom + 38, anchor: .middle, class: "axis-title")
        canvas.endGroup()
        canvas.beginGroup([("class", "axis y")])
        canvas.line(x1: left, y1: top, x2: left, y2: bottom, stroke: "black", width: 1)
        for v in ys.values {
            canvas.line(x1: left - 5, y1: Y(v), x2: left, y2: Y(v), stroke: "black", width: 1)
            canvas.text(ys.label(v), x: left - 8, y: Y(v) + 4, anchor: .end, class: "tick-label")
        }
        let yMid = (top + bottom) / 2, yTitleX = frame.left + 16
        canvas.text(panel.yTitle, x: yTitleX, y: yMid, anchor: .middle, vertical: true, class: "axis-title")
        canvas.endGroup()
        // Data.
        if panel.series.isEmpty {
            canvas.text("no data", x: (left + right) / 2, y: yMid, anchor: .middle, fill: "#777777", class: "no-data")
        }
        for series in panel.series {
            canvas.beginGroup([("class", "series"), ("data-name", series.name)], clip: "clip-\(id)")
            canvas.polyline(series.points.map { (X($0.x), Y($0.y)) }, stroke: series.color, width: 2)
            for p in series.points { canvas.circle(cx: X(p.x), cy: Y(p.y), r: 3, fill: series.color) }
            canvas.endGroup()
        }
        // Legend: one row under the x-axis title.
        canvas.beginGroup([("class", "legend")])
        var x = left
        let ly = bottom + 62
        for series in panel.series {
            canvas.beginGroup([("class", "legend-entry")])
            canvas.line(x1: x, y1: ly - 4, x2: x + 24, y2: ly - 4, stroke: series.color, width: 2)
            canvas.circle(cx: x + 12, cy: ly - 4, r: 3, fill: series.color)
            canvas.text(series.name, x: x + 30, y: ly)
            canvas.endGroup()
            x += 30 + textWidth(series.name, size: 12) + 20
        }
        canvas.endGroup()
        canvas.endGroup()
    }
}

/// `nn-train --plot`: loss and accuracy (or MSE) per epoch, train / validation / test, as an SVG document.
public func trainingCurvesSVG(_ epochs: [EpochStats], title: String) -> String {
    TrainingCurves(epochs).svg(title: title)
}

/// `nn-train --plot FILE`: the same chart as SVG or PNG.
public func trainingCurves(_ epochs: [EpochStats], title: String, format: PictureFormat) throws -> [UInt8] {
    try TrainingCurves(epochs).picture(title: title, format: format)
}
