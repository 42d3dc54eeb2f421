import Foundation
import Testing
@testable import NightjarJobs

@Suite struct CronExpressionTests {
    static func instant(_ iso: String) -> Date {
        let f = ISO8601DateFormatter()
        return f.date(from: iso)!
    }

    static func iso(_ d: Date) -> String {
        ISO8601DateFormatter().string(from: d)
    }

    /// expression, time zone, after (UTC), expected next fire times (UTC).
    static let table: [(String, String, String, [String])] = [
        ("*/15 * * * *", "UTC", "2026-11-29T10:07:00Z", ["2026-11-29T10:15:00Z", "2026-11-29T10:30:00Z"]),
        ("0 2 * * *", "UTC", "2026-11-29T02:00:00Z", ["2026-11-30T02:00:00Z"]),
        ("30 2 * * mon-fri", "UTC", "2026-11-27T03:00:00Z", ["2026-11-30T02:30:00Z", "2026-12-01T02:30:00Z"]),  // Fri → Mon
        ("0 0 1 jan,jul *", "UTC", "2026-03-01T00:00:00Z", ["2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"]),
        ("0 12 13 * 5", "UTC", "2026-11-01T00:00:00Z", ["2026-11-06T12:00:00Z", "2026-11-13T12:00:00Z", "2026-11-20T12:00:00Z"]),  // 13th or Friday
        ("5-10/5 8 * * 7", "UTC", "2026-11-28T00:00:00Z", ["2026-11-29T08:05:00Z", "2026-11-29T08:10:00Z"]),  // 7 = Sunday
        ("@hourly", "UTC", "2026-11-29T10:00:00Z", ["2026-11-29T11:00:00Z"]),
        ("@daily", "America/New_York", "2026-11-29T10:00:00Z", ["2026-11-30T05:00:00Z"]),
        ("@weekly", "UTC", "2026-11-25T00:00:00Z", ["2026-11-29T00:00:00Z"]),
        ("@monthly", "UTC", "2026-11-25T00:00:00Z", ["2026-12-01T00:00:00Z"]),
        ("0 0 29 2 *", "UTC", "2026-03-01T00:00:00Z", ["2028-02-29T00:00:00Z"]),
        // Europe/Berlin, spring forward 2026-03-29 02:00 CET → 03:00 CEST: 02:30 does not exist, runs once at the jump.
        ("30 2 * * *", "Europe/Berlin", "2026-03-28T02:00:00Z", ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]),
        // Every 15 minutes in the skipped hour: one run at the jump, then 03:00 local is the same instant (not twice).
        ("*/15 2,3 * * *", "Europe/Berlin", "2026-03-29T00:50:00Z", ["2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z"]),
        // Fall back 2026-10-25 03:00 CEST → 02:00 CET: 02:30 happens twice, runs once (the first).
        ("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]),
        ("0 * * * *", "Europe/Berlin", "2026-10-24T23:30:00Z", ["2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"]),
        // America/New_York: spring forward 2026-03-08 02:00 EST → 03:00 EDT; fall back 2026-11-01 02:00 EDT → 01:00 EST.
        ("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", ["2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"]),
        ("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]),
        ("0 9 * * *", "America/New_York", "2026-11-01T12:00:00Z", ["2026-11-01T14:00:00Z"]),
    ]

    @Test(arguments: table)
    func nextFireTimes(_ row: (String, String, String, [String])) throws {
        let (text, zone, after, expected) = row
        let cron = try CronExpression(text)
        let tz = TimeZone(identifier: zone)!
        var t = Self.instant(after)
        var got: [String] = []
        for _ in expected {
            guard let n = cron.next(after: t, in: tz) else { break }
            got.append(Self.iso(n))
            t = n
        }
        #expect(got == expected, "\(text) in \(zone) after \(after)")
    }

    @Test(arguments: ["", "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "*/0 * * * *",
                      "5-1 * * * *", "a * * * *", "@sometimes", "1,,2 * * * *"])
    func invalidExpressions(_ text: String) {
        #expect(throws: CronError.self) { try CronExpression(text) }
    }
}
