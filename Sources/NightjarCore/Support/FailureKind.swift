/// What kind of failure an error is, for whoever decides what happens next: `nightjar run` and the
/// scheduler retry only `.temporary` failures, and the CLI maps each kind to its exit status (the
/// contract in the README: 78 configuration, 65 input, 3 quality gate, 75 temporary, 70 internal).
public enum FailureKind: String, Sendable, CaseIterable {
    /// The job file, model, bundle or registry is wrong: fix it; retrying cannot help.
    case configuration
    /// The input breaks the model's contract or cannot be read as CSV: fix the data.
    case input
    /// The run scored its rows but a quality gate (drift, rejected rows) stopped it before
    /// publishing: a human should look.
    case qualityGate = "quality_gate"
    /// Something outside Nightjar is not available yet (database, input file, a lock another run
    /// holds, a full disk): retry later.
    case temporary
    /// A bug in Nightjar: report it.
    case `internal`
}

/// An error that knows its `FailureKind`.
public protocol ClassifiedError: Error {
    var failureKind: FailureKind { get }
}

extension FailureKind {
    /// The kind of any error: its own when it is a `ClassifiedError`, a missing file read through
    /// Foundation as `.configuration` (a model or bundle file), `.internal` otherwise.
    public static func of(_ error: Error) -> FailureKind {
        if let classified = error as? ClassifiedError { return classified.failureKind }
        return .internal
    }
}
