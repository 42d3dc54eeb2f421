/// Replaces the `$1`, `$2`, … placeholders of a SQL text by other text (quoted literals), for
/// statements that cannot take bind parameters (`COPY (query) TO STDOUT`).
///
/// Only real placeholders are replaced: the scan skips string constants ('…', E'…' with backslash
/// escapes), quoted identifiers ("…"), dollar-quoted strings ($tag$…$tag$) and comments (-- and
/// nested /* */), where `$1` is just text.
public enum PostgresPlaceholders {
    /// `replacements[i]` replaces `$(i+1)`. A placeholder without a replacement is an error.
    public static func replace(in sql: String, with replacements: [String]) throws -> String {
        let s = Array(sql.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.count + replacements.reduce(0) { $0 + $1.utf8.count })
        var i = 0
        func isIdentifierByte(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b >= 0x80
        }
        /// Copies through the end of a quoted run closed by `quote` (doubled quote = escaped); with
        /// `backslashes`, a backslash escapes the next byte.
        func copyQuoted(_ quote: UInt8, backslashes: Bool) {
            out.append(s[i]); i += 1
            while i < s.count {
                let b = s[i]
                out.append(b); i += 1
                if backslashes && b == 0x5C, i < s.count { out.append(s[i]); i += 1; continue }
                if b == quote {
                    if i < s.count && s[i] == quote { out.append(s[i]); i += 1; continue }
                    return
                }
            }
        }
        while i < s.count {
            let b = s[i]
            let next: UInt8 = i + 1 < s.count ? s[i + 1] : 0
            switch b {
            case UInt8(ascii: "'"):
                // E'…' takes backslash escapes: the E was copied already, just before.
                let escaped = i > 0 && (s[i - 1] == UInt8(ascii: "E") || s[i - 1] == UInt8(ascii: "e"))
                    && (i < 2 || !isIdentifierByte(s[i - 2]))
                copyQuoted(b, backslashes: escaped)
            case UInt8(ascii: "\""):
                copyQuoted(b, backslashes: false)
            case UInt8(ascii: "-") where next == UInt8(ascii: "-"):
                while i < s.count && s[i] != 0x0A { out.append(s[i]); i += 1 }
            case UInt8(ascii: "/") where next == UInt8(ascii: "*"):
                var depth = 0
                repeat {
                    if s[i] == UInt8(ascii: "/") && i + 1 < s.count && s[i + 1] == UInt8(ascii: "*") {
                        depth += 1; out.append(contentsOf: s[i...i + 1]); i += 2
                    } else if s[i] == UInt8(ascii: "*") && i + 1 < s.count && s[i + 1] == UInt8(ascii: "/") {
                        depth -= 1; out.append(contentsOf: s[i...i + 1]); i += 2
                    } else {
                        out.append(s[i]); i += 1
                    }
                } while depth > 0 && i < s.count
            case UInt8(ascii: "$") where i > 0 && isIdentifierByte(s[i - 1]):
                // Part of an identifier (PostgreSQL allows `$` inside names): not a placeholder.
                out.append(b); i += 1
            case UInt8(ascii: "$") where next >= 0x30 && next <= 0x39:
                var j = i + 1
                var n = 0
                while j < s.count && s[j] >= 0x30 && s[j] <= 0x39 { n = n * 10 + Int(s[j] - 0x30); j += 1 }
                guard n >= 1 && n <= replacements.count else {
                    throw PlaceholderError(message: "the query uses $\(n), but only \(replacements.count) value(s) can be bound")
                }
                out.append(contentsOf: Array(replacements[n - 1].utf8))
                i = j
            case UInt8(ascii: "$"):
                // A dollar quote $tag$ … $tag$ (tag: letters, digits after the first, underscores), or a lone `$`.
                var j = i + 1
                while j < s.count && isIdentifierByte(s[j]) && s[j] != UInt8(ascii: "$") { j += 1 }
                if j < s.count && s[j] == UInt8(ascii: "$") {
                    let tag = Array(s[i...j])
                    out.append(contentsOf: tag); i = j + 1
                    while i < s.count {
                        if s[i] == UInt8(ascii: "$") && i + tag.count <= s.count && Array(s[i..<i + tag.count]) == tag {
                            out.append(contentsOf: tag); i += tag.count
                            break
                        }
                        out.append(s[i]); i += 1
                    }
                } else {
                    out.append(b); i += 1
                }
            default:
                out.append(b); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public struct PlaceholderError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }
}
