import Foundation

extension JobSpec.CatchUp {
    /// The fire times to run now, out of those in `(since, now]`.
    ///
    /// Fires older than `grace` were missed (the scheduler was down or busy): `none` drops them,
    /// `latest` keeps only the newest fire, `all` keeps the newest `limit`.
    public func dueFires(cron: CronExpression, timeZone: TimeZone, since: Date, now: Date, grace: TimeInterval = 60) -> [Date] {
        let fires = cron.fires(after: since, through: now, in: timeZone)
        switch self {
        case .none:
            return fires.filter { now.timeIntervalSince($0) <= grace }
        case .latest:
            return fires.last.map { [$0] } ?? []
        case .all(let limit):
            return Array(fires.suffix(limit))
        }
    }
}
