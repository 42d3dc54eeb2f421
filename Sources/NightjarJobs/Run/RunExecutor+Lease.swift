import Foundation
import NightjarCore

extension RunExecutor {
    /// Starts renewing the lock `tryLock` just took (nil where the store's lock needs no lease:
    /// PostgreSQL), and logs it when taking it meant taking over from a holder that was gone.
    func startLease(_ store: RunStore, job name: String, date: String, askedAt: Date) throws -> RunLease? {
        logTakeover(store, job: name, date: date, since: askedAt)
        guard let renew = try store.leaseRenewer(job: name, date: date) else { return nil }
        return RunLease(job: name, date: date, expires: Date().addingTimeInterval(RunLease.seconds), renew: renew)
    }

    /// Logs the takeover this process recorded when it took the lock (at or after `since`).
    func logTakeover(_ store: RunStore, job name: String, date: String, since: Date) {
        let pid = Int(getpid())
        guard let events = try? store.lockEvents(job: name),
              let e = events.last(where: {
                  $0.action == .takeover && $0.job == name && $0.logicalDate == date && $0.byHost == Host.name && $0.byPID == pid
                      && (Timestamp.parse($0.at).map { $0 >= since.addingTimeInterval(-0.01) } ?? false)
              })
        else { return }
        logger.warning("took over the lock of a run whose holder is gone", metadata: [
            "job": "\(name)", "logical_date": "\(date)", "holder_run_id": "\(e.runID ?? "?")",
            "holder": "pid \(e.holderPID.map(String.init) ?? "?") on \(e.holderHost ?? "?")", "reason": "\(e.reason ?? "")",
        ])
    }
}
