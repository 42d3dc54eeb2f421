import NightjarCore

/// A scoring run that cannot start or cannot finish; one line, actionable. Its `failureKind` is
/// `.configuration` unless the thrower says otherwise (a lock held or a missing input is
/// `.temporary`, a quality gate `.qualityGate`).
public struct ScoreError: ClassifiedError, CustomStringConvertible, Sendable {
    public var message: String
    public var failureKind: FailureKind
    public init(_ message: String, kind: FailureKind = .configuration) {
        self.message = message
        self.failureKind = kind
    }
    public var description: String { message }
}
