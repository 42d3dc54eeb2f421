/// A metrics export that did not happen; one line, saying where and what to check.
public struct MetricsError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
