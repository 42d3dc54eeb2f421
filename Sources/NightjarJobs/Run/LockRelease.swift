import Foundation
import NightjarCore

/// `nightjar unlock JOB --date D`: removes the (job, date) locks (the job's own and its shards')
/// whose holders are gone, so the next run starts at once instead of waiting for a lease to run
/// out. A lock whose holder may be alive (its process on this host exists, its lease is being
/// renewed from another host, a PostgreSQL session holds it) is refused unless `force`; forced,
/// that holder stops at its next lease renewal (a quarter of the lease), before committing more,
/// or, in PostgreSQL, loses its session. What was removed is recorded in `nightjar_lock_events`, and a run left `running` by
/// the holder is stored as `interrupted`.
public enum LockRelease {
    /// Returns one line per removed lock (or one saying there was none).
    public static func unlock(job: JobSpec, date: LogicalDate, force: Bool, statePath: String? = nil) throws -> [String] {
        let store = try RunStores.open(for: job, override: statePath)
        let ds = date.description
        let holders = try store.lockHolders(job: job.name, date: ds)
        if holders.isEmpty { return ["job \(job.name) for \(ds) holds no lock in \(store.location); nothing to unlock"] }
        if !force, let live = holders.first(where: { $0.isLive }) {
            throw UnlockRefused(job: job.name, date: ds, holder: live)
        }
        var lines: [String] = []
        let user = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "uid \(getuid())"
        for holder in holders {
            let dead = holder.deadReason()
            let event = LockEvent(action: dead == nil ? .forceUnlock : .unlock, holder: holder,
                                  reason: dead ?? "forced with --force while the holder may be alive")
            try store.removeLock(holder, force: dead == nil)
            try store.recordLockEvent(event)
            if let run = try? store.run(id: holder.runID), run.status == .running, holder.job == job.name {
                var stopped = run
                stopped.status = .interrupted
                stopped.error = "unlocked by \(user) on \(Host.name) at \(event.at) (\(event.reason ?? "")); `nightjar run` for the date resumes it"
                try store.update(stopped)
            }
            lines.append("removed the lock \(holder.job) for \(ds) (\(holder.summary)): \(event.reason ?? ""); recorded as \(event.action.rawValue) in the run store's lock events")
        }
        return lines
    }
}
