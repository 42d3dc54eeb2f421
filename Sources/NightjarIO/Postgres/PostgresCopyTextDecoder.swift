import NightjarCore

/// Decodes rows of PostgreSQL's text COPY format into a `TextBatch`: fields separated by tabs,
/// `\N` alone for NULL, backslash escapes (`\b \f \n \r \t \v`, one to three octal digits,
/// `\x` with one or two hex digits, and a backslash before any other byte stands for that byte).
///
/// NULL becomes an empty field (as an empty CSV field: a missing value to the feature encoder);
/// booleans (`t`/`f`) become `1`/`0`, the numbers the models were trained on. Fields without a
/// backslash — nearly all of them — are copied in one go.
public struct PostgresCopyTextDecoder: Sendable {
    public enum Failure: Error, Sendable {
        /// The key column is NULL in a row.
        case nullKey
        /// The row does not have the expected number of fields.
        case fieldCount
    }

    public let booleanColumns: [Bool]
    public let keyIndex: Int

    public init(booleanColumns: [Bool], keyIndex: Int) {
        self.booleanColumns = booleanColumns
        self.keyIndex = keyIndex
    }

    /// Appends one COPY line (its trailing newline optional) to `batch` as a row; returns the key
    /// field's byte range in `batch.bytes`.
    public func decode(_ line: UnsafeRawBufferPointer, into batch: inout TextBatch) throws(Failure) -> Range<Int> {
        let tab: UInt8 = 0x09, backslash: UInt8 = 0x5C
        let columns = booleanColumns.count
        var end = line.count
        if end > 0 && line[end - 1] == 0x0A { end -= 1 }
        var p = 0
        var keyRange = 0..<0
        for c in 0..<columns {
            if c > 0 {
                guard p < end && line[p] == tab else { throw .fieldCount }
                p += 1
            }
            let fieldStart = batch.bytes.count
            if p + 2 <= end, line[p] == backslash, line[p + 1] == UInt8(ascii: "N"), p + 2 == end || line[p + 2] == tab {
                p += 2
                if c == keyIndex { throw .nullKey }
                batch.endField()
                continue
            }
            var start = p
            while p < end && line[p] != tab {
                if line[p] != backslash { p += 1; continue }
                // An escape: copy what came before it, then the byte it stands for.
                if start < p { batch.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[start..<p])) }
                p += 1
                guard p < end else { start = p; break }
                let e = line[p]
                p += 1
                switch e {
                case UInt8(ascii: "b"): batch.bytes.append(0x08)
                case UInt8(ascii: "f"): batch.bytes.append(0x0C)
                case UInt8(ascii: "n"): batch.bytes.append(0x0A)
                case UInt8(ascii: "r"): batch.bytes.append(0x0D)
                case UInt8(ascii: "t"): batch.bytes.append(0x09)
                case UInt8(ascii: "v"): batch.bytes.append(0x0B)
                case UInt8(ascii: "0")...UInt8(ascii: "7"):
                    var v = Int(e - 0x30)
                    var n = 1
                    while n < 3 && p < end && line[p] >= 0x30 && line[p] <= 0x37 { v = v * 8 + Int(line[p] - 0x30); p += 1; n += 1 }
                    batch.bytes.append(UInt8(truncatingIfNeeded: v))
                case UInt8(ascii: "x") where p < end && PostgresCopyTextDecoder.hexValue(line[p]) != nil:
                    var v = PostgresCopyTextDecoder.hexValue(line[p])!
                    p += 1
                    if p < end, let h = PostgresCopyTextDecoder.hexValue(line[p]) { v = v &* 16 &+ h; p += 1 }
                    batch.bytes.append(v)
                default:
                    batch.bytes.append(e)
                }
                start = p
            }
            if start < p { batch.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[start..<p])) }
            if booleanColumns[c] && batch.bytes.count > fieldStart {
                let value = batch.bytes[fieldStart] == UInt8(ascii: "t") ? UInt8(ascii: "1") : UInt8(ascii: "0")
                batch.bytes.removeLast(batch.bytes.count - fieldStart)
                batch.bytes.append(value)
            }
            if c == keyIndex { keyRange = fieldStart..<batch.bytes.count }
            batch.endField()
        }
        guard p == end else { throw .fieldCount }
        batch.endRow()
        return keyRange
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }
}
