import Foundation
import NightjarCore

/// Another live run holds the (job, date) lock (or one shard's): a temporary failure (exit 75);
/// `--wait` waits for it, `nightjar unlock` removes a lock whose holder is gone.
public struct LockHeld: ClassifiedError, CustomStringConvertible, Sendable {
    public var job: String
    public var date: String
    public var holder: RunLockHolder
    /// `I/N` when the lock is one shard's.
    public var shard: String?

    public init(job: String, date: String, holder: RunLockHolder, shard: String? = nil) {
        self.job = job
        self.date = date
        self.holder = holder
        self.shard = shard
    }

    public var failureKind: FailureKind { .temporary }

    public var description: String {
        let what = shard.map { "shard \($0) of job \(job)" } ?? "job \(job)"
        let lease = holder.sessionHolds == true ? "held by its database session" : holder.expiresAt.map { "lease until \($0)" } ?? "no lease"
        return "\(what) for \(date) is already running (run \(holder.runID), pid \(holder.pid) on \(holder.host), since \(holder.acquiredAt), \(lease)); pass --wait to wait for it"
    }
}
