import Foundation
import NightjarCore

/// A run stopped because it no longer holds its (job, date) lock: nothing more is committed; the
/// chunks it committed are kept and the run that holds the lock now (or the next one) resumes.
public struct LeaseLost: ClassifiedError, CustomStringConvertible, Sendable {
    public var job: String
    public var date: String
    public var runID: String
    public var reason: String

    public var failureKind: FailureKind { .temporary }

    public var description: String {
        "run \(runID) of job \(job) for \(date) stopped: \(reason); its committed chunks are kept and `nightjar run` for the date resumes it"
    }
}
