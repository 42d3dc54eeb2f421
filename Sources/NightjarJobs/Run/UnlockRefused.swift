import Foundation
import NightjarCore

/// `nightjar unlock` without `--force` on a lock whose holder may be alive (exit 75: the lock is
/// held; retry when the run ended, or force it).
public struct UnlockRefused: ClassifiedError, CustomStringConvertible, Sendable {
    public var job: String
    public var date: String
    public var holder: RunLockHolder

    public var failureKind: FailureKind { .temporary }

    public var description: String {
        let why: String
        if holder.sessionHolds == true {
            why = "a PostgreSQL session holds its advisory lock"
        } else if holder.host == Host.name {
            why = "its process is alive on this host"
        } else {
            why = "its lease is being renewed from \(holder.host) (last \(holder.heartbeatAt ?? holder.acquiredAt)), so the run is probably alive"
        }
        return "job \(job) for \(date) is locked by a live run (\(holder.summary)): \(why); stop that run, wait for it, or pass --force (the run then stops at its next lease renewal, before committing more)"
    }
}
