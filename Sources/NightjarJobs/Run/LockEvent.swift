import Foundation

/// Something done to a (job, date) lock other than a run taking a free one and releasing it
/// (`nightjar_lock_events`, `nightjar.lock_events`): a run taking over a dead holder's lock, or an
/// operator removing one with `nightjar unlock`.
public struct LockEvent: Sendable, Equatable {
    public enum Action: String, Sendable, CaseIterable {
        /// A run took over a lock whose holder was gone (process ended, lease expired).
        case takeover
        /// `nightjar unlock` removed a lock whose holder was gone.
        case unlock
        /// `nightjar unlock --force` removed a lock whose holder may have been alive.
        case forceUnlock = "force_unlock"
    }

    public var at: String
    public var job: String
    public var logicalDate: String
    public var action: Action
    /// The holder's run, host, pid, since and lease expiry.
    public var runID: String?
    public var holderHost: String?
    public var holderPID: Int?
    public var holderSince: String?
    public var holderExpiresAt: String?
    /// Who did it: host, pid and user of the process that took over or unlocked.
    public var byHost: String
    public var byPID: Int
    public var byUser: String?
    public var reason: String?

    public init(action: Action, holder: RunLockHolder, reason: String?, at: String? = nil) {
        self.at = at ?? Timestamp.now()
        self.job = holder.job
        self.logicalDate = holder.logicalDate
        self.action = action
        self.runID = holder.runID
        self.holderHost = holder.host
        self.holderPID = holder.pid
        self.holderSince = holder.acquiredAt
        self.holderExpiresAt = holder.expiresAt
        self.byHost = Host.name
        self.byPID = Int(getpid())
        self.byUser = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"]
        self.reason = reason
    }

    public init(at: String, job: String, logicalDate: String, action: Action, runID: String?, holderHost: String?, holderPID: Int?,
                holderSince: String?, holderExpiresAt: String?, byHost: String, byPID: Int, byUser: String?, reason: String?) {
        self.at = at
        self.job = job
        self.logicalDate = logicalDate
        self.action = action
        self.runID = runID
        self.holderHost = holderHost
        self.holderPID = holderPID
        self.holderSince = holderSince
        self.holderExpiresAt = holderExpiresAt
        self.byHost = byHost
        self.byPID = byPID
        self.byUser = byUser
        self.reason = reason
    }
}
