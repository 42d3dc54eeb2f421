import Foundation

/// Time as the scheduler sees it; tests substitute a clock they move by hand.
public protocol SchedulerClock: Sendable {
    func now() -> Date
    /// Waits until `date` or until woken earlier; may return early.
    func sleep(until date: Date)
}

public struct SystemClock: SchedulerClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(until date: Date) {
        let seconds = date.timeIntervalSinceNow
        if seconds > 0 { Thread.sleep(forTimeInterval: min(seconds, 1)) }
    }
}
