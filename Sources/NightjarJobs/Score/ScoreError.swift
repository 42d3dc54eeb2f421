/// A scoring run that cannot start or cannot finish; one line, actionable.
public struct ScoreError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
