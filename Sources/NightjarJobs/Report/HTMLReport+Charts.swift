import Foundation

/// The two charts of the report, drawn as inline SVG so the page needs no script or library.
///
/// Charts carry `<title>` elements on their marks: browsers show them as tooltips, which gives exact
/// values on hover without any script.
extension HTMLReport {
    // MARK: Score histogram

    static func histogramSection(_ d: RunReportData) -> String {
        var s = "<section id=\"histogram\">\n<h2>Score distribution</h2>\n"
        guard let h = d.histogram else {
            s += "<p class=\"empty\">No score histogram for this run: no training reference was recorded for the model's predictions.</p>\n</section>\n"
            return s
        }
        let bins = h.edges.count + 1
        let refTotal = h.reference.reduce(0, +), curTotal = h.current.reduce(0, +)
        guard h.reference.count == bins, h.current.count == bins else {
            s += "<p class=\"empty\">The score histogram of <code>\(escape(h.column))</code> is inconsistent (\(bins) bins, \(h.reference.count) reference and \(h.current.count) current counts) and is not drawn.</p>\n</section>\n"
            return s
        }
        guard refTotal > 0 || curTotal > 0 else {
            s += "<p class=\"empty\">The score histogram of <code>\(escape(h.column))</code> has no rows.</p>\n</section>\n"
            return s
        }
        s += "<p class=\"lede\">Share of rows per bin of <code>\(escape(h.column))</code>: the training reference (\(escape(grouped(refTotal))) rows) against this run (\(escape(grouped(curTotal))) rows)"
        if let p = d.predictionPSI { s += ", PSI \(escape(psi(p)))" }
        s += ".</p>\n"
        s += "<div class=\"legend\"><span class=\"key ref\"></span>Training reference<span class=\"key cur\"></span>This run</div>\n"
        s += histogramSVG(h, refTotal: refTotal, curTotal: curTotal)
        s += "</section>\n"
        return s
    }

    /// The label of bin `i`: "< 0.1", "0.1 – 0.2", "≥ 0.9".
    static func binLabel(_ edges: [Double], _ i: Int) -> String {
        if edges.isEmpty { return "all" }
        if i == 0 { return "< " + number(edges[0]) }
        if i == edges.count { return "≥ " + number(edges[i - 1]) }
        return number(edges[i - 1]) + " – " + number(edges[i])
    }

    static func histogramSVG(_ h: ScoreHistogram, refTotal: Int, curTotal: Int) -> String {
        let bins = h.edges.count + 1
        let share = { (counts: [Int], total: Int) -> [Double] in
            counts.map { total > 0 ? Double($0) / Double(total) : 0 }
        }
        let ref = share(h.reference, refTotal), cur = share(h.current, curTotal)
        let scale = niceScale(max(ref.max() ?? 0, cur.max() ?? 0))
        let top = scale.top
        let width = 920.0, left = 52.0, right = 12.0, plotTop = 12.0, plotHeight = 220.0
        let rotate = bins > 10
        let height = plotTop + plotHeight + (rotate ? 86 : 44)
        let plotWidth = width - left - right
        let slot = plotWidth / Double(bins)
        let barWidth = min(slot * 0.38, 40)
        let y = { (v: Double) in plotTop + plotHeight - (top > 0 ? v / top : 0) * plotHeight }

        var s = "<svg class=\"chart\" id=\"histogram-chart\" viewBox=\"0 0 \(coord(width)) \(coord(height))\" role=\"img\" aria-label=\"Score histogram, training reference against this run\">\n"
        // Grid lines and y axis labels (shares as percentages) at round steps.
        for v in ticks(scale) {
            let gy = coord(y(v))
            s += "<line class=\"grid\" x1=\"\(coord(left))\" y1=\"\(gy)\" x2=\"\(coord(width - right))\" y2=\"\(gy)\"/>"
            s += "<text class=\"axis\" x=\"\(coord(left - 6))\" y=\"\(gy)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(escape(percent(v, decimals: max(tickDecimals(scale.step) - 2, 0))))</text>\n"
        }
        for i in 0..<bins {
            let center = left + slot * (Double(i) + 0.5)
            let label = escape(binLabel(h.edges, i))
            for (series, values, counts, x) in [("ref", ref, h.reference, center - barWidth - 1), ("cur", cur, h.current, center + 1)] {
                let v = values[i]
                let by = y(v)
                let name = series == "ref" ? "Training reference" : "This run"
                s += "<rect class=\"bar \(series)\" x=\"\(coord(x))\" y=\"\(coord(by))\" width=\"\(coord(barWidth))\" height=\"\(coord(plotTop + plotHeight - by))\">"
                s += "<title>\(label): \(name) \(escape(percent(v))) (\(escape(grouped(counts[i]))) rows)</title></rect>\n"
            }
            let ly = plotTop + plotHeight + 16
            if rotate {
                s += "<text class=\"axis\" x=\"\(coord(center))\" y=\"\(coord(ly))\" text-anchor=\"end\" transform=\"rotate(-40 \(coord(center)) \(coord(ly)))\">\(label)</text>\n"
            } else {
                s += "<text class=\"axis\" x=\"\(coord(center))\" y=\"\(coord(ly))\" text-anchor=\"middle\">\(label)</text>\n"
            }
        }
        s += "<line class=\"baseline\" x1=\"\(coord(left))\" y1=\"\(coord(plotTop + plotHeight))\" x2=\"\(coord(width - right))\" y2=\"\(coord(plotTop + plotHeight))\"/>\n"
        s += "<text class=\"axis title\" x=\"\(coord(left + plotWidth / 2))\" y=\"\(coord(height - 6))\" text-anchor=\"middle\">\(escape(h.column)) (bin range)</text>\n"
        s += "</svg>\n"
        return s
    }

    /// An axis from 0 to at least `v` in about four round steps (1, 2 or 5 × 10ⁿ), so grid lines
    /// land on numbers a reader can take in at a glance: 0, 10, 20, 30, 40%.
    static func niceScale(_ v: Double, steps: Double = 4) -> (top: Double, step: Double) {
        guard v.isFinite, v > 0 else { return (1, 0.25) }
        let raw = v / steps
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * 0.999_999 } ?? 10 * magnitude
        let count = (v / step * 0.999_999).rounded(.up)
        return (max(count, 1) * step, step)
    }

    /// Tick values 0, step, 2·step … top.
    static func ticks(_ scale: (top: Double, step: Double)) -> [Double] {
        let n = Int((scale.top / scale.step).rounded())
        return (0...n).map { Double($0) * scale.step }
    }

    /// Decimals that show every tick of a scale distinctly: step 0.05 → 2, step 10 → 0.
    static func tickDecimals(_ step: Double) -> Int {
        guard step.isFinite, step > 0, step < 1 else { return 0 }
        return Int((-log10(step)).rounded(.up))
    }

    // MARK: Feature drift

    /// Features by PSI, largest first; features whose PSI is not a number go last.
    static func sortedByPSI(_ features: [FeatureDriftRow]) -> [FeatureDriftRow] {
        features.sorted { a, b in
            switch (a.psi.isNaN, b.psi.isNaN) {
            case (false, false): return a.psi != b.psi ? a.psi > b.psi : a.name < b.name
            case (true, true): return a.name < b.name
            case (false, true): return true
            case (true, false): return false
            }
        }
    }

    static func driftSection(_ d: RunReportData) -> String {
        var s = "<section id=\"drift\">\n<h2>Feature drift</h2>\n"
        guard !d.features.isEmpty else {
            s += "<p class=\"empty\">No feature statistics were recorded for this run.</p>\n</section>\n"
            return s
        }
        let features = sortedByPSI(d.features)
        s += "<p class=\"lede\">Population stability index of each feature against the training reference. Warn at \(escape(number(d.driftWarn))), fail at \(escape(number(d.driftFail))).</p>\n"
        s += "<div class=\"legend\"><span class=\"key ok\"></span>ok<span class=\"key warn\"></span>warn<span class=\"key fail\"></span>fail"
        s += "<span class=\"key line warn\"></span>warn threshold<span class=\"key line fail\"></span>fail threshold</div>\n"
        s += driftSVG(features, warn: d.driftWarn, fail: d.driftFail)
        s += dataTable([("Feature", false), ("Status", false), ("Null rate", true), ("Reference", true), ("Mean", true), ("Min", true),
                        ("Max", true), ("PSI", true)], rows: features.map { f in
            "<td><code>\(escape(f.name))</code></td><td>\(badge(f.status, tone: tone(f.status)))</td>"
                + "<td class=\"num\">\(escape(percent(f.nullRate)))</td><td class=\"num\">\(escape(percent(f.referenceNullRate)))</td>"
                + "<td class=\"num\">\(escape(number(f.mean)))</td><td class=\"num\">\(escape(number(f.min)))</td>"
                + "<td class=\"num\">\(escape(number(f.max)))</td><td class=\"num strong\">\(escape(psi(f.psi)))</td>"
        })
        s += "</section>\n"
        return s
    }

    /// Horizontal PSI bars, one `<rect>` per feature and no other rect, with the thresholds as lines.
    static func driftSVG(_ features: [FeatureDriftRow], warn: Double, fail: Double) -> String {
        let finite = features.map(\.psi).filter(\.isFinite)
        let thresholds = [warn, fail].filter { $0.isFinite && $0 > 0 }
        let scale = niceScale(max((finite.max() ?? 0), (thresholds.max() ?? 0) * 1.2))
        let top = scale.top
        let width = 920.0, left = 170.0, right = 60.0, rowHeight = 26.0, plotTop = 22.0
        let plotWidth = width - left - right
        let height = plotTop + rowHeight * Double(features.count) + 28
        let x = { (v: Double) in left + min(max(v, 0), top) / top * plotWidth }

        var s = "<svg class=\"chart\" id=\"drift-chart\" viewBox=\"0 0 \(coord(width)) \(coord(height))\" role=\"img\" aria-label=\"PSI per feature\">\n"
        let axisY = plotTop + rowHeight * Double(features.count)
        for v in ticks(scale) {
            s += "<line class=\"grid\" x1=\"\(coord(x(v)))\" y1=\"\(coord(plotTop))\" x2=\"\(coord(x(v)))\" y2=\"\(coord(axisY))\"/>"
            s += "<text class=\"axis\" x=\"\(coord(x(v)))\" y=\"\(coord(axisY + 16))\" text-anchor=\"middle\">\(escape(String(format: "%.\(tickDecimals(scale.step))f", v)))</text>\n"
        }
        // Thresholds first, so bars and value labels are drawn over them.
        for (value, kind, anchor) in [(warn, "warn", "end"), (fail, "fail", "start")] where value.isFinite && value > 0 && value <= top {
            let tx = coord(x(value))
            s += "<line class=\"threshold \(kind)\" x1=\"\(tx)\" y1=\"\(coord(plotTop - 6))\" x2=\"\(tx)\" y2=\"\(coord(axisY))\"/>"
            let labelX = anchor == "end" ? x(value) - 4 : x(value) + 4
            s += "<text class=\"threshold-label \(kind)\" x=\"\(coord(labelX))\" y=\"\(coord(plotTop - 10))\" text-anchor=\"\(anchor)\">\(kind) \(escape(number(value)))</text>\n"
        }
        for (i, f) in features.enumerated() {
            let rowY = plotTop + rowHeight * Double(i)
            // About 20 monospace characters fit left of the axis; the full name is in the tooltip and the table.
            let name = f.name.count > 20 ? String(f.name.prefix(19)) + "…" : f.name
            s += "<text class=\"label\" x=\"\(coord(left - 8))\" y=\"\(coord(rowY + rowHeight / 2))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(escape(name))<title>\(escape(f.name))</title></text>\n"
            // An infinite PSI (a bin empty in the reference) is as drifted as it gets: a full bar.
            let drawn = f.psi.isFinite || f.psi == .infinity
            let barWidth = drawn ? max(x(f.psi) - left, 1.5) : 0
            s += "<rect class=\"bar \(tone(f.status))\" x=\"\(coord(left))\" y=\"\(coord(rowY + 5))\" width=\"\(coord(barWidth))\" height=\"\(coord(rowHeight - 10))\" rx=\"2\">"
            s += "<title>\(escape(f.name)): PSI \(escape(psi(f.psi))), \(escape(f.status))</title></rect>\n"
            s += "<text class=\"value\" x=\"\(coord(left + barWidth + 6))\" y=\"\(coord(rowY + rowHeight / 2))\" dominant-baseline=\"middle\">\(escape(psi(f.psi)))</text>\n"
        }
        s += "<line class=\"baseline\" x1=\"\(coord(left))\" y1=\"\(coord(plotTop - 4))\" x2=\"\(coord(left))\" y2=\"\(coord(axisY))\"/>\n"
        s += "</svg>\n"
        return s
    }
}
