import Foundation
import NightjarCore

/// The lease of a (job, date) lock, renewed by a background thread while the run works.
///
/// A lock row alone cannot tell a live run from one whose host went away or whose PID was
/// reused, so a lock is held for a lease: `RunLease.seconds` (60 s by default), renewed every
/// quarter of it. A run that crashed on another machine (a Kubernetes pod rescheduled with a new
/// host name, a shared volume) blocks its date for at most one lease, well inside any retry
/// back-off; a live run must miss three renewals in a row (a stalled disk, a paused VM) before
/// another may take over. A process on this host that is gone is taken over at once.
///
/// The holder fences itself: before every commit and before publishing it checks that the lease
/// is still its own and unexpired by its own clock, so a run that was paused past its lease, or
/// whose lock an operator removed (`nightjar unlock --force`), stops (exit 75) instead of writing
/// next to the run that took over.
///
/// `NIGHTJAR_LOCK_LEASE_SECONDS` overrides the length (tests use a second or two).
public final class RunLease: @unchecked Sendable {
    /// Renews the lease: the new expiry, or nil when the lock is no longer this process's.
    public typealias Renew = () throws -> Date?

    public static var seconds: Double {
        if let text = ProcessInfo.processInfo.environment["NIGHTJAR_LOCK_LEASE_SECONDS"], let v = Double(text), v > 0 { return v }
        return 60
    }

    public static var renewInterval: Double { max(0.05, seconds / 4) }

    let job: String
    let date: String
    let renew: Renew
    private let lock = NSLock()
    private var expires: Date
    private var lost: String?
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)
    private var thread: Thread?

    /// Starts renewing a lock just taken (valid until `expires`).
    public init(job: String, date: String, expires: Date, renew: @escaping Renew) {
        self.job = job
        self.date = date
        self.expires = expires
        self.renew = renew
        let t = Thread { [weak self] in self?.loop() }
        t.name = "nightjar-lease"
        thread = t
        t.start()
    }

    deinit { stop() }

    private func loop() {
        let interval = RunLease.renewInterval
        while true {
            if done.wait(timeout: .now() + interval) == .success { return }
            do {
                if let until = try renew() {
                    lock.lock(); expires = until; lock.unlock()
                } else {
                    lock.lock()
                    if lost == nil { lost = "its lock was removed or taken over by another process" }
                    lock.unlock()
                    return
                }
            } catch {
                // Not renewed this time (a busy or full disk): the next tick tries again; the
                // expiry check below stops the run if it never succeeds.
            }
        }
    }

    /// Stops renewing (the lock is released by the caller).
    public func stop() {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        if first { done.signal() }
    }

    /// Throws when the run may no longer write: its lock was taken from it, or its lease ran out.
    public func check(runID: String) throws {
        lock.lock(); defer { lock.unlock() }
        if let lost { throw LeaseLost(job: job, date: date, runID: runID, reason: lost) }
        if Date() > expires {
            throw LeaseLost(job: job, date: date, runID: runID,
                            reason: "its lease expired at \(Timestamp.format(expires)) without being renewed (the process was paused or the run store could not be written)")
        }
    }
}
