import Foundation

extension CronExpression {
    /// The first fire time strictly after `instant`, in `timeZone`'s wall-clock time.
    ///
    /// Daylight-saving rules: a wall time that does not exist (the hour skipped in spring) fires
    /// once, at the transition; a wall time that occurs twice (the hour repeated in autumn) fires
    /// once, at its first occurrence. Returns nil when the expression never fires within 5 years.
    public func next(after instant: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = calendar.dateComponents([.year, .month, .day], from: instant)
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        guard var day = utc.date(from: DateComponents(year: start.year, month: start.month, day: start.day)) else { return nil }
        for _ in 0..<(366 * 5) {
            let c = utc.dateComponents([.year, .month, .day, .weekday], from: day)
            if matches(year: c.year!, month: c.month!, day: c.day!, weekday: c.weekday! - 1) {
                let midnight = day.timeIntervalSince1970  // wall-clock midnight, as if UTC
                for h in hours {
                    for m in minutes {
                        let wall = midnight + Double(h * 3600 + m * 60)
                        let fire = CronExpression.instant(wall: wall, in: timeZone)
                        if fire > instant { return fire }
                    }
                }
            }
            day = utc.date(byAdding: .day, value: 1, to: day)!
        }
        return nil
    }

    /// All fire times in `(after, through]`.
    public func fires(after: Date, through: Date, in timeZone: TimeZone, limit: Int = 100_000) -> [Date] {
        var out: [Date] = []
        var t = after
        while out.count < limit, let n = next(after: t, in: timeZone), n <= through {
            out.append(n)
            t = n
        }
        return out
    }

    /// The instant at which wall-clock time `wall` (seconds since 1970 as if in UTC) happens in `zone`:
    /// its first occurrence when repeated, the end of the gap when skipped.
    static func instant(wall: Double, in zone: TimeZone) -> Date {
        let before = zone.secondsFromGMT(for: Date(timeIntervalSince1970: wall - 86_400))
        let after = zone.secondsFromGMT(for: Date(timeIntervalSince1970: wall + 86_400))
        var candidates: [Double] = []
        for offset in Set([before, after]) {
            let t = wall - Double(offset)
            if zone.secondsFromGMT(for: Date(timeIntervalSince1970: t)) == offset { candidates.append(t) }
        }
        if let first = candidates.min() { return Date(timeIntervalSince1970: first) }
        // Skipped by a transition: fire when the clock jumps past it.
        let low = wall - Double(max(before, after))
        if let transition = zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: low - 1)) {
            return transition
        }
        return Date(timeIntervalSince1970: wall - Double(before))
    }
}
