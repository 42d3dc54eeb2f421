import Foundation

/// Who holds a (job, date) lock: the row in `nightjar_locks` (`nightjar.locks`), with its lease.
///
/// A lock is live while its holder can still be working: in SQLite, while its lease has not
/// expired (the holder renews it every `RunLease.renewInterval`) and, when it was taken on this
/// host, while its process exists; in PostgreSQL, while a server session holds the advisory lock
/// (the server releases it when the session ends, wherever the process ran).
public struct RunLockHolder: Sendable, Equatable {
    /// The locked name: the job, or `job#shardI/N` for one shard's lock.
    public var job: String = ""
    public var logicalDate: String = ""
    public var runID: String
    public var host: String
    public var pid: Int
    public var acquiredAt: String
    /// When the holder last renewed its lease, and until when it holds (nil: a lock taken by a
    /// Nightjar before leases, or a PostgreSQL lock, which the session holds).
    public var heartbeatAt: String? = nil
    public var expiresAt: String? = nil
    /// PostgreSQL: whether a server session holds the advisory lock (nil in SQLite).
    public var sessionHolds: Bool? = nil

    public init(job: String = "", logicalDate: String = "", runID: String, host: String, pid: Int, acquiredAt: String,
                heartbeatAt: String? = nil, expiresAt: String? = nil, sessionHolds: Bool? = nil) {
        self.job = job
        self.logicalDate = logicalDate
        self.runID = runID
        self.host = host
        self.pid = pid
        self.acquiredAt = acquiredAt
        self.heartbeatAt = heartbeatAt
        self.expiresAt = expiresAt
        self.sessionHolds = sessionHolds
    }

    /// Why the holder can no longer be working, or nil while it may be.
    public func deadReason(now: Date = Date()) -> String? {
        if let sessionHolds {
            return sessionHolds ? nil : "no server session holds its lock (the process pid \(pid) on \(host) ended or lost its connection)"
        }
        if host == Host.name, !Host.processIsAlive(pid) {
            return "its process (pid \(pid) on \(host)) is not running"
        }
        if let expires = expiresAt.flatMap(Timestamp.parse) {
            if now > expires { return "its lease expired at \(expiresAt ?? "") (pid \(pid) on \(host), last renewed \(heartbeatAt ?? acquiredAt))" }
            return nil
        }
        // A lock from before leases: trusted on this host while its process lives, never on another.
        return host == Host.name ? nil : "it was taken by a Nightjar without leases on another host (pid \(pid) on \(host), since \(acquiredAt))"
    }

    public var isLive: Bool { deadReason() == nil }

    /// `run R, pid P on H, since S, lease until E` for messages.
    public var summary: String {
        var s = "run \(runID), pid \(pid) on \(host), since \(acquiredAt)"
        if let expiresAt { s += ", lease until \(expiresAt)" }
        return s
    }

    /// Whether this lock covers `run`'s work: the run's own (job, date) lock or one of its shards'.
    public func covers(job name: String) -> Bool {
        job == name || job.hasPrefix(name + "#shard")
    }
}
