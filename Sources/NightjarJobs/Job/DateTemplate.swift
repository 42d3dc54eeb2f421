import Foundation

/// `{{ ds }}` (YYYY-MM-DD) and `{{ ds_nodash }}` (YYYYMMDD) in paths, replaced by the logical date.
public enum DateTemplate {
    static let pattern = try! NSRegularExpression(pattern: #"\{\{\s*([A-Za-z_]+)\s*\}\}"#)
    static let names = ["ds", "ds_nodash"]

    /// Refuses unknown template variables.
    static func check(_ text: String, file: String, line: Int?, key: String) throws(JobFileError) {
        let range = NSRange(text.startIndex..., in: text)
        for m in pattern.matches(in: text, range: range) {
            let name = String(text[Range(m.range(at: 1), in: text)!])
            guard names.contains(name) else {
                throw JobFileError(file: file, line: line, key: key, message: "unknown template variable '{{ \(name) }}' (known: {{ ds }}, {{ ds_nodash }})")
            }
        }
    }

    /// As `render(_:date:)`, each value as an SQL string literal (`'2026-11-28'`): for queries
    /// that are not bound (a labels query); the values are digits and dashes, nothing to escape.
    public static func renderSQL(_ text: String, date: LogicalDate) -> String {
        render(text, date: date, quote: "'")
    }

    public static func render(_ text: String, date: LogicalDate) -> String {
        render(text, date: date, quote: "")
    }

    static func render(_ text: String, date: LogicalDate, quote: String) -> String {
        var out = text
        let range = NSRange(out.startIndex..., in: out)
        for m in pattern.matches(in: text, range: range).reversed() {
            let name = String(text[Range(m.range(at: 1), in: text)!])
            let value = name == "ds" ? date.description : date.description.replacingOccurrences(of: "-", with: "")
            out.replaceSubrange(Range(m.range, in: out)!, with: quote + value + quote)
        }
        return out
    }
}

/// A calendar date a run is for (YYYY-MM-DD), independent of time zones.
public struct LogicalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int, month: Int, day: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        var c = DateComponents(calendar: LogicalDate.utc, year: y, month: m, day: d)
        c.timeZone = TimeZone(identifier: "UTC")
        guard c.isValidDate else { return nil }
        year = y; month = m; day = d
    }

    public init(year: Int, month: Int, day: Int) {
        self.year = year; self.month = month; self.day = day
    }

    /// The date of `instant` in `timeZone`.
    public init(_ instant: Date, in timeZone: TimeZone) {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        let c = cal.dateComponents([.year, .month, .day], from: instant)
        self.init(year: c.year!, month: c.month!, day: c.day!)
    }

    static let utc: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    /// `YYYY-MM-DD`, `today` or `yesterday` (the calendar days of `now` in `timeZone`, the job's).
    /// The one logical-date rule, for every launcher (`schedule`, `run` and `validate` without
    /// `--date`), as Airflow's: a run for date D covers D's data and starts after D ended, so a
    /// run starting at `time` is for the calendar day before, in the job's time zone. A cron that
    /// fires at 02:30 on the 29th scores the 28th.
    public static func forRun(startingAt time: Date, in timeZone: TimeZone) -> LogicalDate {
        LogicalDate(time, in: timeZone).adding(days: -1)
    }

    public init?(argument: String, in timeZone: TimeZone, now: Date = Date()) {
        switch argument.lowercased() {
        case "today": self = LogicalDate(now, in: timeZone)
        case "yesterday": self = LogicalDate(now, in: timeZone).adding(days: -1)
        default:
            guard let d = LogicalDate(argument) else { return nil }
            self = d
        }
    }

    public func adding(days: Int) -> LogicalDate {
        let d = LogicalDate.utc.date(from: DateComponents(year: year, month: month, day: day))!
        return LogicalDate(LogicalDate.utc.date(byAdding: .day, value: days, to: d)!, in: TimeZone(identifier: "UTC")!)
    }

    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

    public static func < (a: LogicalDate, b: LogicalDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }
}
