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

    /// The value of `data`. The values of object members named in `skipping` (at any depth) are
    /// read with every check and error as any other value, but not kept: the member is absent
    /// from its object. A loader names the bulky members it never reads, so that their numbers
    /// are checked but not converted (see `Reader.skip`).
    static func parse(_ data: Data, skipping: [String] = []) throws(Failure) -> Any {
        let result: Result<Any, Failure> = data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var reader = Reader(p: bytes, i: 0, skipping: skipping)
            defer { reader.scratch.deallocate() }
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
        /// The numbers of the array being read while it holds only numbers, reused by every array
        /// (one is read at a time: an array copies them out before it reads a nested value).
        /// Appending to a `[Double]` per array instead (growth, a uniqueness check per append):
        /// `array(depth:)` cost 98 M instructions on the 500-tree benchmark model, 70 M with this
        /// (callgrind).
        var scratch = UnsafeMutablePointer<Double>.allocate(capacity: 1024)
        var scratchCapacity = 1024

        /// Member names whose values are skipped (`parse(_:skipping:)`).
        let skipping: [String]

        init(p: UnsafeBufferPointer<UInt8>, i: Int, skipping: [String]) {
            self.p = p
            self.i = i
            self.skipping = skipping
        }

        mutating func growScratch() {
            let bigger = UnsafeMutablePointer<Double>.allocate(capacity: 2 * scratchCapacity)
            bigger.moveInitialize(from: scratch, count: scratchCapacity)
            scratch.deallocate()
            scratch = bigger
            scratchCapacity *= 2
        }

        func fail(_ message: String) -> Failure { Failure(offset: i, message: message) }

        /// Twice per value; a model file has no spaces there, so any byte above ' ' returns at the
        /// first comparison (four comparisons each time instead: the 500-tree XGBoost benchmark
        /// model's load took 398 M instructions, now 388 M, callgrind).
        @inline(__always) mutating func skipSpace() {
            while i < p.count {
                let c = p[i]
                guard c <= 0x20, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
                i += 1
            }
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

        /// Reads a value as `value(depth:)` does, with the same checks and the same errors at the
        /// same bytes, and keeps nothing. Arrays of numbers (all an XGBoost tree's per-node
        /// statistics are) are checked without converting their numbers (`skipNumber`); anything
        /// else is read by `value(depth:)` and dropped.
        mutating func skip(depth: Int) throws(Failure) {
            guard depth < 512 else { throw fail("nesting too deep") }
            guard i < p.count else { throw fail("unexpected end of data") }
            guard p[i] == 0x5B else {
                _ = try value(depth: depth)
                return
            }
            // `array(depth:)` without the values: numbers read directly until the first other
            // item, every item after that through the depth check of `value(depth:)`.
            i += 1
            skipSpace()
            if i < p.count && p[i] == 0x5D { i += 1; return }
            var onlyNumbers = true
            while true {
                skipSpace()
                guard i < p.count else { throw fail("unexpected end of data") }
                let c = p[i]
                let isNumber = (c >= 0x30 && c <= 0x39) || c == 0x2D
                if onlyNumbers && isNumber {
                    try skipNumber()
                } else {
                    onlyNumbers = false
                    try skip(depth: depth + 1)
                }
                skipSpace()
                guard i < p.count else { throw fail("unexpected end of data") }
                if p[i] == 0x2C { i += 1; continue }
                if p[i] == 0x5D { i += 1; break }
                throw fail("expected ',' or ']'")
            }
        }

        /// Moves past a number that `number()` would accept, and fails where it would fail.
        /// A number in JSON's grammar, under 512 bytes and followed by a byte that cannot extend
        /// its field, is one `anyNumber` accepts (`NumberParser.fastPath` or `strtod` reads it
        /// whole; `1e999` is infinity): only its bytes are checked. Anything else goes through
        /// `anyNumber`.
        @inline(__always)
        mutating func skipNumber() throws(Failure) {
            let base = p.baseAddress!
            let end = base + p.count
            var q = base + i
            if q < end && q.pointee == 0x2D { q += 1 }
            var start = q
            while q < end && q.pointee &- 0x30 <= 9 { q += 1 }
            var ok = q > start
            if ok && q < end && q.pointee == 0x2E {
                q += 1
                start = q
                while q < end && q.pointee &- 0x30 <= 9 { q += 1 }
                ok = q > start
            }
            if ok && q < end && q.pointee | 0x20 == 0x65 {
                q += 1
                if q < end && (q.pointee == 0x2D || q.pointee == 0x2B) { q += 1 }
                start = q
                while q < end && q.pointee &- 0x30 <= 9 { q += 1 }
                ok = q > start
            }
            if ok && q < end {
                let c = q.pointee
                ok = c < 64 ? (Self.numberBytes >> UInt64(c)) & 1 == 0 : c | 0x20 != 0x65
            }
            if ok && q - (base + i) < 512 {
                i = q - base
                return
            }
            _ = try anyNumber()
        }

        mutating func literal(_ word: StaticString) throws(Failure) {
            let n = word.utf8CodeUnitCount
            guard i + n <= p.count else { throw fail("unexpected end of data") }
            for k in 0..<n where p[i + k] != word.utf8Start[k] { throw fail("invalid literal") }
            i += n
        }

        @inline(__always)
        mutating func number() throws(Failure) -> Double {
            if let v = plainNumber() { return v }
            return try anyNumber()
        }

        /// A number in JSON's own grammar (`-?digits(.digits)?([eE][+-]?digits)?`) with at most 19
        /// digits, a mantissa up to 2^53 and a power of ten within ±22, read in one pass: exact
        /// (Clinger, as `NumberParser.fastPath`), so the same value `anyNumber` gives. Nil, with
        /// `i` unmoved, for anything else, and when the bytes after it are ones `anyNumber` would
        /// take into the field (`1.5.2`, `1e5e5`): those go the old way, errors included.
        ///
        /// An XGBoost model is mostly such numbers (1.3 million of 5 bytes on average in the
        /// 500-tree benchmark model): scanning the field, then parsing it again with
        /// `NumberParser.fastPath`, cost 217 instructions a number (callgrind); this, 141.
        @inline(__always)
        mutating func plainNumber() -> Double? {
            let base = p.baseAddress!
            let end = base + p.count
            var q = base + i
            let negative = q < end && q.pointee == 0x2D
            if negative { q += 1 }
            var mantissa: UInt64 = 0
            let intStart = q
            while q < end {
                let d = q.pointee &- 0x30
                if d > 9 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                q += 1
            }
            guard q > intStart else { return nil }
            var digits = q - intStart
            // An integer then ',' or ']' (most of an XGBoost model: child and feature indices,
            // split types, default flags): up to 15 digits are exact as they are. Returning here
            // takes the benchmark model's load from 410 M to 398 M instructions (callgrind).
            if q < end && (q.pointee == 0x2C || q.pointee == 0x5D) && digits <= 15 {
                i = q - base
                return negative ? -Double(mantissa) : Double(mantissa)
            }
            var exponent = 0
            if q < end && q.pointee == 0x2E {
                q += 1
                let fractionStart = q
                while q < end {
                    let d = q.pointee &- 0x30
                    if d > 9 { break }
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    q += 1
                }
                guard q > fractionStart else { return nil }
                digits += q - fractionStart
                exponent = fractionStart - q
            }
            if q < end && q.pointee | 0x20 == 0x65 {
                q += 1
                var expNegative = false
                if q < end && (q.pointee == 0x2D || q.pointee == 0x2B) { expNegative = q.pointee == 0x2D; q += 1 }
                let expStart = q
                var x = 0
                while q < end && x < 1000 {
                    let d = q.pointee &- 0x30
                    if d > 9 { break }
                    x = x &* 10 &+ Int(d)
                    q += 1
                }
                guard q > expStart else { return nil }
                exponent &+= expNegative ? -x : x
            }
            if q < end {
                let c = q.pointee
                guard c < 64 ? (Self.numberBytes >> UInt64(c)) & 1 == 0 : c | 0x20 != 0x65 else { return nil }
            }
            // At most 19 digits cannot have wrapped the 64-bit mantissa.
            guard digits <= 19, mantissa <= 1 << 53, exponent >= -22, exponent <= 22 else { return nil }
            var v = Double(mantissa)  // exact: mantissa ≤ 2^53
            if exponent < 0 {
                v /= NumberParser.exactPowerOfTen(-exponent)
            } else if exponent > 0 {
                v *= NumberParser.exactPowerOfTen(exponent)
            }
            i = q - base
            return Double(bitPattern: v.bitPattern | UInt64(negative ? 1 : 0) << 63)
        }

        /// The bytes below 64 a number's field may hold: digits, sign, decimal point (and 'E'/'e').
        @inline(__always) static var numberBytes: UInt64 { (1 << 0x2B) | (1 << 0x2D) | (1 << 0x2E) | (0x3FF << 0x30) }

        /// Any number: the field of number bytes, then `NumberParser`'s fast path or `strtod`.
        mutating func anyNumber() throws(Failure) -> Double {
            let start = i
            // Digits, sign, decimal point, exponent: the bytes below 64 by a bit mask, then 'E'/'e'.
            let allowed = Self.numberBytes
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
            var count = 0  // numbers in `scratch` while `items` is nil
            var items: [Any]? = nil
            while true {
                skipSpace()
                guard i < p.count else { throw fail("unexpected end of data") }
                let c = p[i]
                let isNumber = (c >= 0x30 && c <= 0x39) || c == 0x2D
                if items == nil && isNumber {
                    let v = try number()
                    if count == scratchCapacity { growScratch() }
                    scratch[count] = v
                    count += 1
                } else {
                    if items == nil { items = UnsafeBufferPointer(start: scratch, count: count).map { $0 as Any } }
                    items!.append(try value(depth: depth + 1))
                }
                skipSpace()
                guard i < p.count else { throw fail("unexpected end of data") }
                if p[i] == 0x2C { i += 1; continue }
                if p[i] == 0x5D { i += 1; break }
                throw fail("expected ',' or ']'")
            }
            if let items { return items }
            return Array(UnsafeBufferPointer(start: scratch, count: count))
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
                if !skipping.isEmpty && skipping.contains(key) {
                    try skip(depth: depth + 1)
                } else {
                    result[key] = try value(depth: depth + 1)
                }
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
