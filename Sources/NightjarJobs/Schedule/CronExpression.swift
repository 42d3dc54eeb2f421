import Foundation

/// A standard 5-field cron expression: minute, hour, day of month, month, day of week.
/// Supports `*`, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, month and weekday names
/// (`jan`, `mon`), 7 as Sunday, and the macros `@yearly`, `@monthly`, `@weekly`, `@daily`, `@hourly`.
/// As in Vixie cron, when both day of month and day of week are restricted, either may match.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    let minutes: [Int]
    let hours: [Int]
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>  // 0 = Sunday
    let domRestricted: Bool
    let dowRestricted: Bool

    public var description: String { text }

    public init(_ text: String) throws(CronError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let macros = ["@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                      "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"]
        let expanded = trimmed.hasPrefix("@") ? macros[trimmed.lowercased()] : trimmed
        guard let expanded else { throw CronError("unknown macro '\(trimmed)' (known: \(macros.keys.sorted().joined(separator: ", ")))") }
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CronError("expected 5 fields (minute hour day-of-month month day-of-week), found \(fields.count) in '\(trimmed)'")
        }
        let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        self.text = trimmed
        minutes = try CronExpression.field(fields[0], name: "minute", range: 0...59, names: [:]).sorted()
        hours = try CronExpression.field(fields[1], name: "hour", range: 0...23, names: [:]).sorted()
        daysOfMonth = Set(try CronExpression.field(fields[2], name: "day of month", range: 1...31, names: [:]))
        var monthMap: [String: Int] = [:]
        for (i, n) in monthNames.enumerated() { monthMap[n] = i + 1 }
        months = Set(try CronExpression.field(fields[3], name: "month", range: 1...12, names: monthMap))
        var dayMap: [String: Int] = [:]
        for (i, n) in dayNames.enumerated() { dayMap[n] = i }
        daysOfWeek = Set(try CronExpression.field(fields[4], name: "day of week", range: 0...7, names: dayMap).map { $0 % 7 })
        domRestricted = !fields[2].hasPrefix("*")
        dowRestricted = !fields[4].hasPrefix("*")
    }

    private static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String: Int]) throws(CronError) -> [Int] {
        // Digits only: Int("+5") would take a sign no cron takes (and schemas/job.schema.json refuses).
        func digits(_ s: Substring) -> Int? { !s.isEmpty && s.allSatisfy({ $0 >= "0" && $0 <= "9" }) ? Int(s) : nil }
        func value(_ s: Substring) throws(CronError) -> Int {
            if let v = digits(s) {
                guard range.contains(v) else { throw CronError("\(name) value \(v) is outside \(range.lowerBound)-\(range.upperBound)") }
                return v
            }
            if let v = names[s.lowercased()] { return v }
            throw CronError("'\(s)' is not a valid \(name)")
        }
        var out = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw CronError("empty item in \(name) field '\(text)'") }
            var base = part
            var step = 1
            if let slash = part.firstIndex(of: "/") {
                base = part[..<slash]
                guard let s = digits(part[part.index(after: slash)...]), s >= 1 else {
                    throw CronError("step in '\(part)' must be a positive number")
                }
                step = s
            }
            var lo: Int, hi: Int
            if base == "*" {
                lo = range.lowerBound; hi = range.upperBound
                if name == "day of week" { hi = 6 }
            } else if let dash = base.firstIndex(of: "-") {
                lo = try value(base[..<dash]); hi = try value(base[base.index(after: dash)...])
                guard lo <= hi else { throw CronError("range '\(base)' in \(name) runs backwards") }
            } else {
                lo = try value(base)
                hi = part.contains("/") ? (name == "day of week" ? 6 : range.upperBound) : lo
            }
            for v in stride(from: lo, through: hi, by: step) { out.insert(v) }
        }
        return Array(out)
    }

    func matches(year: Int, month: Int, day: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        let domOK = daysOfMonth.contains(day)
        let dowOK = daysOfWeek.contains(weekday)
        if domRestricted && dowRestricted { return domOK || dowOK }
        if domRestricted { return domOK }
        if dowRestricted { return dowOK }
        return true
    }
}

public struct CronError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
