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
        let width = 960.0, height = 400.0
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <title>\(xmlEscaped(title))</title>
            <rect width="100%" height="100%" fill="white"/>
            <text class="title" x="\(px(width / 2))" y="26" text-anchor="middle" font-size="16" \
            font-weight="bold">\(xmlEscaped(title))</text>

            """
        let frame = PanelFrame(left: 0, top: 36, width: width / 2, height: height - 36)
        out += render(loss, id: "loss", in: frame)
        out += render(quality, id: "quality", in: PanelFrame(left: width / 2, top: 36, width: width / 2,
                                                             height: height - 36))
        out += "</svg>\n"
        return out
    }

    private struct PanelFrame { var left, top, width, height: Double }

    private func render(_ panel: Panel, id: String, in frame: PanelFrame) -> String {
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

        var s = "<g class=\"panel\" id=\"\(id)\">\n"
        // Clip to the plot area plus a marker radius, so points on the edges stay whole.
        s += "<clipPath id=\"clip-\(id)\"><rect x=\"\(px(left - 4))\" y=\"\(px(top - 4))\" "
            + "width=\"\(px(right - left + 8))\" height=\"\(px(bottom - top + 8))\"/></clipPath>\n"
        // Grid and ticks.
        s += "<g class=\"grid\" stroke=\"#dddddd\" stroke-width=\"1\">\n"
        for v in xs.values { s += "<line x1=\"\(px(X(v)))\" y1=\"\(px(top))\" x2=\"\(px(X(v)))\" y2=\"\(px(bottom))\"/>\n" }
        for v in ys.values { s += "<line x1=\"\(px(left))\" y1=\"\(px(Y(v)))\" x2=\"\(px(right))\" y2=\"\(px(Y(v)))\"/>\n" }
        s += "</g>\n"
        s += "<g class=\"axis x\">\n"
        s += "<line x1=\"\(px(left))\" y1=\"\(px(bottom))\" x2=\"\(px(right))\" y2=\"\(px(bottom))\" stroke=\"black\"/>\n"
        for v in xs.values {
            s += "<line x1=\"\(px(X(v)))\" y1=\"\(px(bottom))\" x2=\"\(px(X(v)))\" y2=\"\(px(bottom + 5))\" stroke=\"black\"/>\n"
            s += "<text class=\"tick-label\" x=\"\(px(X(v)))\" y=\"\(px(bottom + 18))\" text-anchor=\"middle\">"
                + "\(xs.label(v))</text>\n"
        }
        s += "<text class=\"axis-title\" x=\"\(px((left + right) / 2))\" y=\"\(px(bottom + 38))\" "
            + "text-anchor=\"middle\">epoch</text>\n"
        s += "</g>\n<g class=\"axis y\">\n"
        s += "<line x1=\"\(px(left))\" y1=\"\(px(top))\" x2=\"\(px(left))\" y2=\"\(px(bottom))\" stroke=\"black\"/>\n"
        for v in ys.values {
            s += "<line x1=\"\(px(left - 5))\" y1=\"\(px(Y(v)))\" x2=\"\(px(left))\" y2=\"\(px(Y(v)))\" stroke=\"black\"/>\n"
            s += "<text class=\"tick-label\" x=\"\(px(left - 8))\" y=\"\(px(Y(v) + 4))\" text-anchor=\"end\">"
                + "\(ys.label(v))</text>\n"
        }
        let yMid = (top + bottom) / 2, yTitleX = frame.left + 16
        s += "<text class=\"axis-title\" x=\"\(px(yTitleX))\" y=\"\(px(yMid))\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 \(px(yTitleX)) \(px(yMid)))\">\(xmlEscaped(panel.yTitle))</text>\n"
        s += "</g>\n"
        // Data.
        if panel.series.isEmpty {
            s += "<text class=\"no-data\" x=\"\(px((left + right) / 2))\" y=\"\(px(yMid))\" text-anchor=\"middle\" "
                + "fill=\"#777777\">no data</text>\n"
        }
        for series in panel.series {
            let color = xmlEscaped(series.color)
            s += "<g class=\"series\" data-name=\"\(xmlEscaped(series.name))\" clip-path=\"url(#clip-\(id))\">\n"
            let points = series.points.map { "\(px(X($0.x))),\(px(Y($0.y)))" }.joined(separator: " ")
            s += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            for p in series.points {
                s += "<circle cx=\"\(px(X(p.x)))\" cy=\"\(px(Y(p.y)))\" r=\"3\" fill=\"\(color)\"/>\n"
            }
            s += "</g>\n"
        }
        // Legend: one row under the x-axis title.
        s += "<g class=\"legend\">\n"
        var x = left
        let ly = bottom + 62
        for series in panel.series {
            let color = xmlEscaped(series.color)
            s += "<g class=\"legend-entry\">"
            s += "<line x1=\"\(px(x))\" y1=\"\(px(ly - 4))\" x2=\"\(px(x + 24))\" y2=\"\(px(ly - 4))\" "
                + "stroke=\"\(color)\" stroke-width=\"2\"/>"
            s += "<circle cx=\"\(px(x + 12))\" cy=\"\(px(ly - 4))\" r=\"3\" fill=\"\(color)\"/>"
            s += "<text x=\"\(px(x + 30))\" y=\"\(px(ly))\">\(xmlEscaped(series.name))</text></g>\n"
            // Rough width of the name at 12 px sans-serif, so entries do not overlap.
            x += 30 + 7 * Double(series.name.count) + 20
        }
        s += "</g>\n</g>\n"
        return s
    }
}

/// `nn-train --plot`: loss and accuracy (or MSE) per epoch, train / validation / test, as an SVG document.
public func trainingCurvesSVG(_ epochs: [EpochStats], title: String) -> String {
    TrainingCurves(epochs).svg(title: title)
}
