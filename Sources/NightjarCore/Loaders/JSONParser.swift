import Foundation

/// A JSON reader for model files, producing the loosely typed tree `JSONNode` walks: objects as
/// `[String: Any]`, strings as `String`, `true`/`false` as `Bool`, `null` as `NSNull`, numbers as
/// `Double`, and arrays holding only numbers as one `[Double]` (an XGBoost model is mostly such
/// arrays: one allocation each instead of one boxed number per element, as `JSONSerialization` makes).
///
/// Numbers are read with `NumberParser`, correctly rounded as `strtod` reads them.
enum JSONParser {
    struct Failure: Error, CustomStringConvertible {
        let offset: Int
        let message: String
        var description: String { "\(message) at byte \(offset)" }
    }

    static func parse(_ data: Data) throws(Failure) -> Any {
        let result: Result<Any, Failure> = data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var reader = Reader(p: bytes, i: 0)
            do throws(Failure) {
                reader.skipSpace()
                let value = try reader.value(depth: 0)
                reader.skipSpace()
                guard reader.i == bytes.count else { throw reader.fail("unexpected data after the top-level value") }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private struct Reader {
        let p: UnsafeBufferPointer<UInt8>
        var i: Int

        func fail(_ message: String) -> Failure { Failure(offset: i, message: message) }

        @inline(__always) mutating func skipSpace() {
            while i < p.count, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
        }

        mutating func value(depth: Int) throws(Failure) -> Any {
            guard depth < 512 else { throw fail("nesting too deep") }
            guard i < p.count else { throw fail("unexpected end of data") }
            switch p[i] {
            case 0x7B: return try object(depth: depth)
            case 0x5B: return try array(depth: depth)
            case 0x22: return try string()
            case 0x74: try literal("true"); return true
            case 0x66: try literal("false"); return false
            case 0x6E: try literal("null"); return NSNull()
            default: return try number()
            }
        }

        mutating func literal(_ word: StaticString) throws(Failure) {
            let n = word.utf8CodeUnitCount
            guard i + n <= p.count else { throw fail("unexpected end of data") }
            for k in 0..<n where p[i + k] != word.utf8Start[k] { throw fail("invalid literal") }
            i += n
        }

        mutating func number() throws(Failure) -> Double {
            let start = i
            // Digits, sign, decimal point, exponent: the bytes below 64 by a bit mask, then 'E'/'e'.
            let allowed: UInt64 = (1 << 0x2B) | (1 << 0x2D) | (1 << 0x2E) | (0x3FF << 0x30)
            let base = p.baseAddress!
            var j = i
            while j < p.count {
                let c = base[j]
                guard c < 64 ? (allowed >> UInt64(c)) & 1 != 0 : c | 0x20 == 0x65 else { break }
                j += 1
            }
            i = j
            guard i > start else { throw fail("unexpected character") }
            let field = UnsafeBufferPointer(start: base + start, count: i - start)
            // A model file's numbers have no spaces or missing-value tokens: the exact fast path
            // first, without `parse`'s other shapes (a quarter of an XGBoost model's load, callgrind).
            // The rest (long mantissas, large exponents) is `strtod`'s; the bytes scanned cannot be
            // spaces or a missing-value token, so `parse` would only try the fast path again.
            if let v = NumberParser.fastPath(field) { return v }
            guard case .number(let v) = NumberParser.slowPath(field) else {
                i = start
                throw fail("invalid number")
            }
            return v
        }

        mutating func string() throws(Failure) -> String {
            i += 1  // opening quote
            let start = i
            // Fast path: no escapes.
            while i < p.count, p[i] != 0x22, p[i] != 0x5C { i += 1 }
            guard i < p.count else { throw fail("unterminated string") }
            if p[i] == 0x22 {
                let s = String(decoding: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            var bytes = Array(UnsafeBufferPointer(rebasing: p[start..<i]))
            while true {
                guard i < p.count else { throw fail("unterminated string") }
                let c = p[i]
                if c == 0x22 { i += 1; break }
                if c != 0x5C { bytes.append(c); i += 1; continue }
                i += 1
                guard i < p.count else { throw fail("unterminated string") }
                let e = p[i]
                i += 1
                switch e {
                case 0x22, 0x5C, 0x2F: bytes.append(e)
                case 0x62: bytes.append(0x08)
                case 0x66: bytes.append(0x0C)
                case 0x6E: bytes.append(0x0A)
                case 0x72: bytes.append(0x0D)
                case 0x74: bytes.append(0x09)
                case 0x75:
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        // A surrogate pair: \uD8xx\uDCxx.
                        guard i + 1 < p.count, p[i] == 0x5C, p[i + 1] == 0x75 else { throw fail("unpaired surrogate") }
                        i += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw fail("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                    bytes.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    throw fail("invalid escape")
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard i + 4 <= p.count else { throw fail("unterminated string") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = p[i]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw fail("invalid \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        mutating func array(depth: Int) throws(Failure) -> Any {
            i += 1
            skipSpace()
            if i < p.count && p[i] == 0x5D { i += 1; return [Double]() }
            var numbers: [Double] = []
            var items: [Any]? = nil
            while true {
                skipSpace()
                guard i < p.count else { throw fail("unexpected end of data") }
                let c = p[i]
                let isNumber = (c >= 0x30 && c <= 0x39) || c == 0x2D
                if items == nil && isNumber {
                    numbers.append(try number())
                } else {
                    if items == nil { items = numbers.map { $0 as Any } }
                    items!.append(try value(depth: depth + 1))
                }
                skipSpace()
                guard i < p.count else { throw fail("unexpected end of data") }
                if p[i] == 0x2C { i += 1; continue }
                if p[i] == 0x5D { i += 1; break }
                throw fail("expected ',' or ']'")
            }
            if let items { return items }
            return numbers
        }

        mutating func object(depth: Int) throws(Failure) -> Any {
            i += 1
            var result: [String: Any] = [:]
            skipSpace()
            if i < p.count && p[i] == 0x7D { i += 1; return result }
            while true {
                skipSpace()
                guard i < p.count, p[i] == 0x22 else { throw fail(i < p.count ? "expected a key" : "unexpected end of data") }
                let key = try string()
                skipSpace()
                guard i < p.count, p[i] == 0x3A else { throw fail(i < p.count ? "expected ':'" : "unexpected end of data") }
                i += 1
                skipSpace()
                result[key] = try value(depth: depth + 1)
                skipSpace()
                guard i < p.count else { throw fail("unexpected end of data") }
                if p[i] == 0x2C { i += 1; continue }
                if p[i] == 0x7D { i += 1; break }
                throw fail("expected ',' or '}'")
            }
            return result
        }
    }
}
