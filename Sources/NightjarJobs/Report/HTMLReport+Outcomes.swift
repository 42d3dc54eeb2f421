import Foundation
import NightjarCore

extension HTMLReport {
    /// The series colours of arms and versions, in order (champion first).
    static let seriesColours = ["#2f6fde", "#d98a00", "#2f9e5b", "#9b51e0", "#d64545", "#00a3a3"]

    /// Outcomes of the rows this run published: a table per model version and arm, and the
    /// calibration (reliability) plot of binary classifiers. "Not yet evaluated" until labels came.
    static func outcomesSection(_ d: RunReportData) -> String {
        var s = "<section id=\"outcomes\">\n<h2>Outcomes</h2>\n"
        guard let first = d.evaluations.first else {
            s += "<p class=\"empty\">Not yet evaluated: once the outcomes of \(escape(d.logicalDate)) are known, run <code>nightjar evaluate JOB.yaml --date \(escape(d.logicalDate)) --labels LABELS --label-column COLUMN</code>.</p>\n</section>\n"
            return s
        }
        s += "<p class=\"lede\">\(escape(grouped(first.labelsRead))) label rows from <code>\(escape(first.labelsSource))</code> (column <code>\(escape(first.labelColumn))</code>), evaluated \(escape(String(first.evaluatedAt.prefix(19)))): "
        s += "\(escape(grouped(first.labelsMissing))) empty, \(escape(grouped(first.labelsDuplicate))) repeating a key, \(escape(grouped(first.labelsConflicting))) key(s) with conflicting labels (left out), \(escape(grouped(first.labelsUnscored))) for keys never scored.</p>\n"
        // The binary table is wide: it scrolls inside its card on a narrow page instead of overflowing.
        s += "<div style=\"overflow-x: auto\">\n"
        switch first.task {
        case "binary":
            s += dataTable([("Model", false), ("Arm", false), ("Matched / scored", true), ("Positives", true), ("AUC", true), ("Log loss", true),
                            ("Brier", true), ("ECE", true), ("Accuracy", true), ("Precision", true), ("Recall", true)],
                           rows: d.evaluations.map { r in
                "<td><code>\(escape(r.modelName))@\(escape(r.modelVersion))</code></td><td>\(escape(r.arm.rawValue))</td>"
                    + "<td class=\"num\">\(escape(grouped(r.rowsMatched))) / \(escape(grouped(r.rowsScored)))</td><td class=\"num\">\(escape(r.positives.map(grouped) ?? missing))</td>"
                    + [r.auc, r.logLoss, r.brier, r.ece, r.accuracy, r.precision, r.recall].map { "<td class=\"num\">\(escape(metricText($0)))</td>" }.joined()
            })
            s += "</div>\n" + comparisonTable(d.evaluations)
            s += "<h3>Calibration</h3>\n<p class=\"note\">Observed rate of positives against the mean predicted probability, in ten bins; the diagonal is perfect calibration.</p>\n"
            s += calibrationSVG(d.evaluations)
        case "multiclass":
            s += dataTable([("Model", false), ("Arm", false), ("Matched / scored", true), ("Log loss", true), ("Accuracy", true), ("Macro AUC", true)],
                           rows: d.evaluations.map { r in
                "<td><code>\(escape(r.modelName))@\(escape(r.modelVersion))</code></td><td>\(escape(r.arm.rawValue))</td>"
                    + "<td class=\"num\">\(escape(grouped(r.rowsMatched))) / \(escape(grouped(r.rowsScored)))</td>"
                    + [r.logLoss, r.accuracy, r.auc].map { "<td class=\"num\">\(escape(metricText($0)))</td>" }.joined()
            })
        default:
            s += dataTable([("Model", false), ("Arm", false), ("Matched / scored", true), ("RMSE", true), ("MAE", true), ("R²", true)],
                           rows: d.evaluations.map { r in
                "<td><code>\(escape(r.modelName))@\(escape(r.modelVersion))</code></td><td>\(escape(r.arm.rawValue))</td>"
                    + "<td class=\"num\">\(escape(grouped(r.rowsMatched))) / \(escape(grouped(r.rowsScored)))</td>"
                    + [r.rmse, r.mae, r.r2].map { "<td class=\"num\">\(escape(metricText($0)))</td>" }.joined()
            })
        }
        if first.task != "binary" { s += "</div>\n" + comparisonTable(d.evaluations) }
        s += "</section>\n"
        return s
    }

    /// Each challenger and split arm against the champion: the difference and its 95% interval.
    static func comparisonTable(_ records: [EvaluationRecord]) -> String {
        let compared = records.filter { $0.arm != .champion && $0.difference != nil }
        guard !compared.isEmpty else { return "" }
        var s = "<h3>Against the champion</h3>\n<p class=\"note\">This arm minus the champion, with a 95% confidence interval: paired on the same rows for a shadow challenger, independent samples for a split (DeLong for AUC).</p>\n"
        s += dataTable([("Model", false), ("Arm", false), ("Compared with", false), ("Metric", false), ("Difference", true), ("95% interval", true), ("", false)],
                       rows: compared.map { r in
            let verdict = r.significant == true ? badge("significant", tone: "info") : badge("not significant", tone: "neutral")
            return "<td><code>\(escape(r.modelName))@\(escape(r.modelVersion))</code></td><td>\(escape(r.arm.rawValue))</td>"
                + "<td>\(escape(r.comparedWith ?? missing))</td><td>\(escape(r.differenceMetric ?? missing))</td>"
                + "<td class=\"num\">\(escape(String(format: "%+.4f", r.difference ?? .nan)))</td>"
                + "<td class=\"num\">\(escape(String(format: "[%+.4f, %+.4f]", r.differenceLow ?? .nan, r.differenceHigh ?? .nan)))</td><td>\(verdict)</td>"
        })
        return s
    }

    /// A reliability diagram: one polyline of (mean predicted, observed rate) per arm over its non-empty bins.
    static func calibrationSVG(_ records: [EvaluationRecord]) -> String {
        let size = 320.0, left = 52.0, bottom = 36.0, pad = 10.0
        let plot = size - left - pad
        let x = { (v: Double) in left + v * plot }
        let y = { (v: Double) in pad + (1 - v) * plot }
        var s = "<svg class=\"chart\" id=\"calibration-chart\" viewBox=\"0 0 \(coord(size + 220)) \(coord(size + bottom))\" style=\"max-width: 560px\" role=\"img\" aria-label=\"Calibration: observed rate against mean predicted probability\">\n"
        for v in stride(from: 0.0, through: 1.0, by: 0.25) {
            s += "<line class=\"grid\" x1=\"\(coord(x(0)))\" y1=\"\(coord(y(v)))\" x2=\"\(coord(x(1)))\" y2=\"\(coord(y(v)))\"/>"
            s += "<text class=\"axis\" x=\"\(coord(left - 6))\" y=\"\(coord(y(v)))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(escape(number(v)))</text>"
            s += "<text class=\"axis\" x=\"\(coord(x(v)))\" y=\"\(coord(y(0) + 16))\" text-anchor=\"middle\">\(escape(number(v)))</text>\n"
        }
        s += "<line x1=\"\(coord(x(0)))\" y1=\"\(coord(y(0)))\" x2=\"\(coord(x(1)))\" y2=\"\(coord(y(1)))\" stroke=\"#9aa5b1\" stroke-dasharray=\"4 4\"/>\n"
        for (i, r) in records.enumerated() {
            let colour = seriesColours[i % seriesColours.count]
            let points = r.calibration.compactMap { b -> (Double, Double, CalibrationBin)? in
                guard let p = b.meanPredicted, let o = b.observedRate else { return nil }
                return (p, o, b)
            }
            let name = "\(r.modelName)@\(r.modelVersion) (\(r.arm.rawValue))"
            s += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points.map { "\(coord(x($0.0))),\(coord(y($0.1)))" }.joined(separator: " "))\"/>\n"
            for (p, o, b) in points {
                s += "<circle cx=\"\(coord(x(p)))\" cy=\"\(coord(y(o)))\" r=\"3\" fill=\"\(colour)\"><title>\(escape(name)): predicted \(escape(number(p))), observed \(escape(number(o))), \(escape(grouped(b.rows))) rows in \(escape(number(b.lower)))–\(escape(number(b.upper)))</title></circle>"
            }
            s += "<rect x=\"\(coord(size + 10))\" y=\"\(coord(pad + Double(i) * 20))\" width=\"12\" height=\"12\" fill=\"\(colour)\"/>"
            s += "<text class=\"axis\" x=\"\(coord(size + 28))\" y=\"\(coord(pad + Double(i) * 20 + 10))\">\(escape(name))</text>\n"
        }
        s += "<text class=\"axis title\" x=\"\(coord(x(0.5)))\" y=\"\(coord(size + bottom - 4))\" text-anchor=\"middle\">mean predicted probability</text>\n"
        s += "<text class=\"axis title\" x=\"12\" y=\"\(coord(y(0.5)))\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(coord(y(0.5))))\">observed rate</text>\n"
        s += "</svg>\n"
        return s
    }
}

extension HTMLReport {
    /// A metric to four decimals (AUC 0.8423), or the missing mark.
    static func metricText(_ v: Double?) -> String {
        guard let v, v.isFinite else { return missing }
        return String(format: "%.4f", v)
    }

    /// The headline metric of a task over time: AUC (binary, macro for multi-class), RMSE (regression).
    static func headline(_ task: String) -> (name: String, value: (EvaluationRecord) -> Double?) {
        task == "regression" ? ("RMSE", { $0.rmse }) : ("AUC", { $0.auc })
    }

    /// The outcomes of a job over a range of dates: the headline metric per night per model version
    /// and arm (a line each), then every evaluation as a table. Self-contained like the run report.
    public static func renderOutcomes(job: String, from: String, to: String, records: [EvaluationRecord]) -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(job)) · \(escape(from)) – \(escape(to)) · Nightjar outcomes</title>
        <style>\(stylesheet)</style>
        </head>
        <body>
        <main>
        <section id="summary">
        <p class="eyebrow">Nightjar outcomes report</p>
        <h1>\(escape(job))</h1>
        <p class="meta">Logical dates <strong>\(escape(from))</strong> to <strong>\(escape(to))</strong>: \(escape(grouped(Set(records.map(\.logicalDate)).count))) evaluated.</p>
        </section>

        """
        let (name, value) = headline(records.first?.task ?? "binary")
        html += "<section id=\"over-time\">\n<h2>\(escape(name)) per night</h2>\n"
        if records.isEmpty {
            html += "<p class=\"empty\">No date in this range has been evaluated yet (nightjar evaluate).</p>\n"
        } else {
            html += timeSVG(records, from: from, to: to, value: value, name: name)
        }
        html += "</section>\n<section id=\"evaluations\">\n<h2>Every evaluation</h2>\n"
        html += dataTable([("Date", false), ("Model", false), ("Arm", false), ("Matched / scored", true), ("AUC", true), ("Log loss", true),
                           ("Brier", true), ("RMSE", true), ("Against the champion (95% CI)", false)], rows: records.map { r in
            let diff = r.differenceSummary ?? missing
            return "<td style=\"white-space: nowrap\">\(escape(r.logicalDate))</td><td><code>\(escape(r.modelName))@\(escape(r.modelVersion))</code></td><td>\(escape(r.arm.rawValue))</td>"
                + "<td class=\"num\">\(escape(grouped(r.rowsMatched))) / \(escape(grouped(r.rowsScored)))</td>"
                + [r.auc, r.logLoss, r.brier, r.rmse].map { "<td class=\"num\">\(escape(metricText($0)))</td>" }.joined() + "<td>\(escape(diff))</td>"
        })
        html += "</section>\n</main>\n</body>\n</html>\n"
        return html
    }

    /// One line per (model version, arm) over the range's dates; a gap where a date is missing.
    static func timeSVG(_ records: [EvaluationRecord], from: String, to: String, value: (EvaluationRecord) -> Double?, name: String) -> String {
        var dates: [String] = []
        if var d = LogicalDate(from), let end = LogicalDate(to) {
            while d <= end && dates.count < 3660 { dates.append(d.description); d = d.adding(days: 1) }
        }
        if dates.isEmpty { dates = Array(Set(records.map(\.logicalDate))).sorted() }
        let values = records.compactMap(value)
        let lo = max(0, (values.min() ?? 0) - 0.02), hi = (values.max() ?? 1) + 0.02
        let width = 920.0, height = 280.0, left = 56.0, right = 200.0, top = 12.0, bottom = 40.0
        let plotW = width - left - right, plotH = height - top - bottom
        let x = { (i: Int) in left + (dates.count > 1 ? Double(i) / Double(dates.count - 1) : 0.5) * plotW }
        let y = { (v: Double) in top + (hi > lo ? (hi - v) / (hi - lo) : 0.5) * plotH }
        var s = "<svg class=\"chart\" id=\"outcomes-chart\" viewBox=\"0 0 \(coord(width)) \(coord(height))\" role=\"img\" aria-label=\"\(escape(name)) per night per model version\">\n"
        for k in 0...4 {
            let v = lo + (hi - lo) * Double(k) / 4
            s += "<line class=\"grid\" x1=\"\(coord(left))\" y1=\"\(coord(y(v)))\" x2=\"\(coord(left + plotW))\" y2=\"\(coord(y(v)))\"/>"
            s += "<text class=\"axis\" x=\"\(coord(left - 6))\" y=\"\(coord(y(v)))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(escape(String(format: "%.3f", v)))</text>\n"
        }
        let step = max(1, dates.count / 8)
        for (i, d) in dates.enumerated() where i % step == 0 || i == dates.count - 1 {
            s += "<text class=\"axis\" x=\"\(coord(x(i)))\" y=\"\(coord(top + plotH + 18))\" text-anchor=\"middle\">\(escape(String(d.dropFirst(5))))</text>\n"
        }
        let index = Dictionary(dates.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var seriesOrder: [String] = []
        var series: [String: [(Int, Double)]] = [:]
        for r in records {
            let key = "\(r.modelName)@\(r.modelVersion) (\(r.arm.rawValue))"
            if series[key] == nil { seriesOrder.append(key); series[key] = [] }
            if let i = index[r.logicalDate], let v = value(r) { series[key]!.append((i, v)) }
        }
        for (n, key) in seriesOrder.enumerated() {
            let colour = seriesColours[n % seriesColours.count]
            let points = series[key]!.sorted { $0.0 < $1.0 }
            // Consecutive dates joined; a missing date breaks the line.
            var runs: [[(Int, Double)]] = []
            for p in points {
                if let last = runs.last?.last, last.0 == p.0 - 1 { runs[runs.count - 1].append(p) } else { runs.append([p]) }
            }
            for run in runs where run.count > 1 {
                s += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(run.map { "\(coord(x($0.0))),\(coord(y($0.1)))" }.joined(separator: " "))\"/>\n"
            }
            for (i, v) in points {
                s += "<circle cx=\"\(coord(x(i)))\" cy=\"\(coord(y(v)))\" r=\"3\" fill=\"\(colour)\"><title>\(escape(key)) \(escape(dates[i])): \(escape(name)) \(escape(String(format: "%.4f", v)))</title></circle>"
            }
            s += "<rect x=\"\(coord(width - right + 12))\" y=\"\(coord(top + Double(n) * 20))\" width=\"12\" height=\"12\" fill=\"\(colour)\"/>"
            s += "<text class=\"axis\" x=\"\(coord(width - right + 30))\" y=\"\(coord(top + Double(n) * 20 + 10))\">\(escape(key))</text>\n"
        }
        s += "</svg>\n"
        return s
    }
}

extension HTMLReport {
    /// Which features moved tonight's scores (jobs with `explain:`): next to drift, the mean
    /// |contribution| per feature and how often each was the first reason, over the champion's rows.
    static func explanationsSection(_ d: RunReportData) -> String {
        var s = "<section id=\"explanations\">\n<h2>What moved the scores</h2>\n"
        if d.explanations.isEmpty, let note = d.explanationsNote {
            return s + "<p class=\"lede\">Not shown: \(escape(note)).</p>\n</section>\n"
        }
        s += "<p class=\"lede\">Over this run's rows scored by \(escape(d.model.name))@\(escape(d.model.version)): the mean absolute exact contribution of each feature (margin space), and the share of rows whose first reason it was.</p>\n"
        let top = d.explanations.compactMap(\.meanAbsContribution).max() ?? 0
        s += dataTable([("Feature", false), ("Mean |contribution|", true), ("", false), ("First reason", true)], rows: d.explanations.map { e in
            let bar = e.meanAbsContribution.map { v in
                "<svg width=\"160\" height=\"10\" role=\"img\" aria-label=\"\(escape(metricText(v)))\"><rect x=\"0\" y=\"1\" height=\"8\" width=\"\(coord(top > 0 ? v / top * 160 : 0))\" fill=\"#2f6fde\"/></svg>"
            } ?? ""
            return "<td><code>\(escape(e.feature))</code></td><td class=\"num\">\(escape(metricText(e.meanAbsContribution)))</td><td>\(bar)</td>"
                + "<td class=\"num\">\(escape(percent(e.firstReasonShare)))</td>"
        })
        s += "</section>\n"
        return s
    }
}
