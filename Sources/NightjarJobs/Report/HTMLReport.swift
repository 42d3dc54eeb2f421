/// The run report: one self-contained HTML page for people looking at a run after the fact.
///
/// Self-contained means inline CSS and inline SVG only, with no scripts and nothing fetched from
/// elsewhere: the file gets mailed, attached to tickets and opened from disk or from an artifact
/// store long after the run, often where no network or script execution is allowed. Every section
/// has a stable `id` (`summary`, `histogram`, `drift`, `explanations`, `rejects`, `shadows`, `outcomes`, `lineage`) so links and tests can
/// address them.
public enum HTMLReport {
    public static func render(_ data: RunReportData) -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(data.job)) · \(escape(data.logicalDate)) · Nightjar run report</title>
        <style>\(stylesheet)</style>
        </head>
        <body>
        <main>

        """
        html += summarySection(data)
        html += histogramSection(data)
        html += driftSection(data)
        if !data.explanations.isEmpty || data.explanationsNote != nil { html += explanationsSection(data) }
        html += rejectsSection(data)
        if !data.shadows.isEmpty { html += shadowsSection(data) }
        if data.status == "succeeded" { html += outcomesSection(data) }
        html += lineageSection(data)
        html += """
        <footer>Nightjar \(escape(data.model.nightjarVersion)) · run \(escape(data.runID))</footer>
        </main>
        </body>
        </html>

        """
        return html
    }

    static func badge(_ text: String, tone: String) -> String {
        "<span class=\"badge \(tone)\">\(escape(text))</span>"
    }

    static func summarySection(_ d: RunReportData) -> String {
        var s = "<section id=\"summary\">\n<header class=\"title\">\n<div>\n"
        s += "<p class=\"eyebrow\">Nightjar run report</p>\n"
        s += "<h1>\(escape(d.job))</h1>\n"
        s += "<p class=\"meta\">Logical date <strong>\(escape(d.logicalDate))</strong> · run <code>\(escape(d.runID))</code></p>\n"
        s += "</div>\n<div class=\"badges\">\n"
        s += badge(d.status, tone: tone(d.status)) + "\n"
        s += badge("drift " + d.driftStatus, tone: tone(d.driftStatus)) + "\n"
        s += "</div>\n</header>\n"

        if let error = d.error, !error.isEmpty {
            s += "<div class=\"error\"><strong>Error</strong><pre>\(escape(error))</pre></div>\n"
        }

        let rejectShare = d.rowsRead > 0 ? percent(Double(d.rowsRejected) / Double(d.rowsRead), decimals: 2) + " of read" : ""
        let stats: [(String, String, String)] = [
            ("Rows read", grouped(d.rowsRead), ""),
            ("Rows scored", grouped(d.rowsScored), ""),
            ("Rows written", grouped(d.rowsWritten), ""),
            ("Rows rejected", grouped(d.rowsRejected), rejectShare),
            ("Duration", duration(d.durationSeconds), ""),
            ("Prediction PSI", psi(d.predictionPSI), ""),
        ]
        s += "<div class=\"stats\">\n"
        for (label, value, note) in stats {
            s += "<div class=\"stat\"><div class=\"label\">\(escape(label))</div><div class=\"value\">\(escape(value))</div>"
            if !note.isEmpty { s += "<div class=\"note\">\(escape(note))</div>" }
            s += "</div>\n"
        }
        s += "</div>\n"
        s += "<p class=\"times\">Started \(escape(d.startedAt)) · ended \(escape(d.endedAt ?? missing))</p>\n"
        s += "</section>\n"
        return s
    }

    static func rejectsSection(_ d: RunReportData) -> String {
        var s = "<section id=\"rejects\">\n<h2>Rejected rows</h2>\n"
        if d.rowsRejected == 0 && d.rejectReasons.isEmpty && d.sampleRejects.isEmpty {
            s += "<p class=\"empty\">No rejected rows.</p>\n</section>\n"
            return s
        }
        let reasons = d.rejectReasons.sorted {
            ($0.count, $1.column, $1.reason) > ($1.count, $0.column, $0.reason)
        }
        if reasons.isEmpty {
            s += "<p class=\"empty\">\(escape(grouped(d.rowsRejected))) rows rejected; no breakdown by reason was recorded.</p>\n"
        } else {
            let total = max(d.rowsRejected, reasons.reduce(0) { $0 + $1.count })
            s += dataTable([("Column", false), ("Reason", false), ("Rows", true), ("Share", true)], rows: reasons.map { r in
                let share = total > 0 ? percent(Double(r.count) / Double(total)) : missing
                return "<td><code>\(escape(r.column))</code></td><td>\(escape(r.reason))</td>"
                    + "<td class=\"num\">\(escape(grouped(r.count)))</td><td class=\"num\">\(escape(share))</td>"
            })
        }
        if !d.sampleRejects.isEmpty {
            s += "<h3>Sample of rejected rows</h3>\n"
            s += dataTable([("Key", false), ("Column", false), ("Value", false), ("Reason", false)], rows: d.sampleRejects.map { r in
                "<td><code>\(escape(r.key))</code></td><td><code>\(escape(r.column))</code></td>"
                    + "<td><code class=\"value\">\(escape(r.value))</code></td><td>\(escape(r.reason))</td>"
            })
        }
        s += "</section>\n"
        return s
    }

    /// Shadow challengers against this run's champion (only when the job had any).
    static func shadowsSection(_ d: RunReportData) -> String {
        var s = "<section id=\"shadows\">\n<h2>Shadow challengers</h2>\n"
        s += "<p class=\"note\">Scored on the same rows as \(escape(d.model.name))@\(escape(d.model.version)); their rows are in the shadow table. Time per row: champion → challenger.</p>\n"
        s += dataTable([("Challenger", false), ("Version", false), ("Rows", true), ("Mean |Δ|", true), ("Max |Δ|", true),
                        ("Correlation", true), ("Flipped", true), ("PSI", true), ("Time / row", true)], rows: d.shadows.map { c in
            "<td><code>\(escape(c.challenger))</code></td><td>\(escape(c.modelVersion))</td><td class=\"num\">\(escape(grouped(c.rows)))</td>"
                + "<td class=\"num\">\(escape(number(c.meanAbsDiff)))</td><td class=\"num\">\(escape(number(c.maxAbsDiff)))</td>"
                + "<td class=\"num\">\(escape(number(c.correlation)))</td><td class=\"num\">\(escape(percent(c.flipRate, decimals: 2)))</td>"
                + "<td class=\"num\">\(escape(psi(c.predictionPSI)))</td>"
                + "<td class=\"num\">\(escape(number(c.championMicrosPerRow))) µs → \(escape(number(c.challengerMicrosPerRow))) µs</td>"
        })
        s += "</section>\n"
        return s
    }

    static func lineageSection(_ d: RunReportData) -> String {
        let m = d.model
        let libraries = m.libraries.sorted { $0.key < $1.key }
            .map { "\(escape($0.key)) \(escape($0.value))" }
            .joined(separator: "<br>")
        func text(_ v: String?) -> String {
            guard let v, !v.isEmpty else { return missing }
            return escape(v)
        }
        let rows: [(String, String)] = [
            ("Model", text(m.name)),
            ("Version", text(m.version)),
            ("Alias", text(m.alias)),
            ("SHA-256", "<code class=\"hash\">\(text(m.sha256))</code>"),
            ("Path", "<code>\(text(m.path))</code>"),
            ("Format", text(m.format)),
            ("Created", text(m.createdAt)),
            ("Verified by", text(m.verifiedBy)),
            ("Libraries", libraries.isEmpty ? missing : libraries),
            ("Nightjar", text(m.nightjarVersion)),
        ]
        var s = "<section id=\"lineage\">\n<h2>Model lineage</h2>\n<dl class=\"lineage\">\n"
        for (label, value) in rows { s += "<dt>\(escape(label))</dt><dd>\(value)</dd>\n" }
        s += "</dl>\n</section>\n"
        return s
    }
}
