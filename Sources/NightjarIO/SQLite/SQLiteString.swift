/// SQL text for values that must appear in statement text (DDL, which takes no parameters).
public enum SQLiteString {
    /// A single-quoted SQL string literal.
    public static func literal(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
}
