import Foundation

/// Set when the process is asked to stop (SIGINT/SIGTERM); runs check it between chunks.
public final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var signal: Int32? = nil

    public init() {}

    public func cancel(signal: Int32) {
        lock.lock(); defer { lock.unlock() }
        if self.signal == nil { self.signal = signal }
    }

    public var requested: Int32? {
        lock.lock(); defer { lock.unlock() }
        return signal
    }
}

/// The run stopped because the process was asked to; the current chunk was rolled back.
public struct RunInterrupted: Error, CustomStringConvertible, Sendable {
    public var signal: Int32
    public var runID: String
    public var description: String {
        let name = signal == SIGTERM ? "SIGTERM" : signal == SIGINT ? "SIGINT" : "signal \(signal)"
        return "run \(runID) interrupted by \(name); committed chunks are kept, `nightjar run` for the same date resumes it"
    }
}
