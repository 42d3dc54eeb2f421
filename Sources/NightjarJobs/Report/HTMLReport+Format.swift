import Foundation

/// Escaping and number formatting for the HTML report.
///
/// Formatting is done by hand rather than with locale-aware formatters so that a report looks the
/// same whichever machine renders it, and so that tests can compare exact text.
extension HTMLReport {
    /// What the report shows for a missing or non-finite number.
    static let missing = "–"

    /// Escapes text for HTML element content and quoted attribute values alike: every value in the
    /// report comes from job files, data or error messages, none of which we control.
    /// A data table: header cells (`numeric` ones right-aligned) and rows given as their rendered `<td>` cells.
    static func dataTable(_ headers: [(String, numeric: Bool)], rows: [String]) -> String {
        var s = "<table class=\"data\">\n<thead><tr>"
        for (h, numeric) in headers { s += numeric ? "<th class=\"num\">\(escape(h))</th>" : "<th>\(escape(h))</th>" }
        s += "</tr></thead>\n<tbody>\n"
        for r in rows { s += "<tr>" + r + "</tr>\n" }
        return s + "</tbody>\n</table>\n"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// 1234567 → "1,234,567".
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return n < 0 ? "-" + out : out
    }

    /// A statistic (mean, min, max) with as many decimals as its size warrants: 52,631.4, 3.27, 0.042.
    static func number(_ value: Double?) -> String {
        guard let v = value, v.isFinite else { return missing }
        let a = abs(v)
        let decimals = a >= 1000 ? 1 : a >= 100 ? 1 : a >= 1 ? 2 : a == 0 ? 0 : 3
        var text = String(format: "%.\(decimals)f", a)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
        let whole = Int(parts[0]).map(grouped) ?? parts[0]
        let body = parts.count == 2 ? whole + "." + parts[1] : whole
        return (v < 0 && body != "0" ? "-" : "") + body
    }

    /// A PSI value: three decimals, enough to compare against thresholds like 0.1 and 0.25.
    static func psi(_ value: Double?) -> String {
        guard let v = value, v.isFinite else { return missing }
        return String(format: "%.3f", v)
    }

    /// A share 0...1 as a percentage: 0.0234 → "2.3%".
    static func percent(_ value: Double?, decimals: Int = 1) -> String {
        guard let v = value, v.isFinite else { return missing }
        return String(format: "%.\(decimals)f%%", v * 100)
    }

    /// 4.2 → "4.2 s", 754 → "12 min 34 s", 7384 → "2 h 03 min".
    static func duration(_ seconds: Double?) -> String {
        guard let s = seconds, s.isFinite, s >= 0 else { return missing }
        if s < 60 { return String(format: s < 10 ? "%.2f s" : "%.1f s", s) }
        let total = Int(s.rounded())
        if total < 3600 { return "\(total / 60) min \(String(format: "%02d", total % 60)) s" }
        return "\(total / 3600) h \(String(format: "%02d", (total % 3600) / 60)) min"
    }

    /// A coordinate for SVG attributes: short, and never "nan" or "inf", which browsers reject.
    static func coord(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
    }

    /// The CSS class suffix for a status word; anything unknown is shown neutrally.
    static func tone(_ status: String) -> String {
        switch status.lowercased() {
        case "succeeded", "ok": return "ok"
        case "warn", "interrupted": return "warn"
        case "failed", "fail": return "fail"
        case "running": return "info"
        default: return "neutral"
        }
    }
}
