/// A value from the data, as error messages quote it: control characters and invalid UTF-8
/// escaped, and at most `limit` bytes of it (a 10 MB field must not become a 10 MB error line).
public enum QuotedValue {
    /// The bytes of a value quoted at most.
    public static let limit = 200

    /// `'value'`, escaped, cut to `limit` bytes with the total size said.
    public static func quote(_ value: String, limit: Int = QuotedValue.limit) -> String {
        var out = ""
        var bytes = 0
        for scalar in value.unicodeScalars {
            let piece: String
            switch scalar {
            case "\n": piece = "\\n"
            case "\r": piece = "\\r"
            case "\t": piece = "\\t"
            case "\\": piece = "\\\\"
            case "'": piece = "\\'"
            case "\u{FFFD}": piece = "\\u{FFFD}"
            default:
                piece = scalar.value < 0x20 || scalar.value == 0x7F ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
            }
            if bytes + piece.utf8.count > limit {
                return "'\(out)…' (\(value.utf8.count) bytes)"
            }
            out += piece
            bytes += piece.utf8.count
        }
        return "'\(out)'"
    }

    /// An error's text on one line of at most `limit` characters (whatever an error carries).
    public static func line(_ text: String, limit: Int = 2000) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count > limit ? String(line.prefix(limit)) + "… (\(line.utf8.count) bytes in all)" : line
    }
}
