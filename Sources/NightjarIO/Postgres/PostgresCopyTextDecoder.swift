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
    /// field's byte range in `batch.bytes`. On a failure `batch` is left as it was.
    ///
    /// The line is copied into `batch.bytes` in one go and decoded in place (an escape only ever
    /// shortens a field, so the write position never passes the read position): no per-field or
    /// per-byte array append, which was ~10% of a PostgreSQL → PostgreSQL run's CPU.
    public func decode(_ line: UnsafeRawBufferPointer, into batch: inout TextBatch) throws(Failure) -> Range<Int> {
        var end = line.count
        if end > 0 && line[end - 1] == 0x0A { end -= 1 }
        let columns = booleanColumns.count
        let base = batch.bytes.count
        let fieldBase = batch.fieldEnds.count
        if end > 0 {  // typed, so the append is one memcpy (a raw buffer was copied byte by byte)
            batch.bytes.append(contentsOf: UnsafeBufferPointer(start: line.baseAddress!.assumingMemoryBound(to: UInt8.self), count: end))
        }
        batch.fieldEnds.append(contentsOf: repeatElement(0, count: columns))
        var failure: Failure? = nil
        var keyRange = 0..<0
        var written = base
        booleanColumns.withUnsafeBufferPointer { booleans in
            batch.bytes.withUnsafeMutableBufferPointer { bytes in
                batch.fieldEnds.withUnsafeMutableBufferPointer { ends in
                    (written, keyRange, failure) = decodeInPlace(bytes.baseAddress!, from: base, to: base + end,
                                                                 ends: ends.baseAddress! + fieldBase, booleans: booleans)
                }
            }
        }
        if let failure {
            batch.truncate(fields: fieldBase, bytes: base)
            throw failure
        }
        batch.bytes.removeLast(batch.bytes.count - written)
        batch.endRow()
        return keyRange
    }

    /// Decodes the fields in `bytes[start..<stop]` in place; returns the end of the decoded bytes,
    /// the key's range and the failure, if any. Field ends go to `ends[0..<columns]`.
    @inline(__always)
    private func decodeInPlace(_ bytes: UnsafeMutablePointer<UInt8>, from start: Int, to stop: Int,
                               ends: UnsafeMutablePointer<Int32>, booleans: UnsafeBufferPointer<Bool>) -> (Int, Range<Int>, Failure?) {
        let tab: UInt8 = 0x09, backslash: UInt8 = 0x5C
        var r = start, w = start
        var keyRange = 0..<0
        for c in 0..<booleans.count {
            if c > 0 {
                guard r < stop && bytes[r] == tab else { return (w, keyRange, .fieldCount) }
                r += 1
            }
            let fieldStart = w
            if r + 2 <= stop, bytes[r] == backslash, bytes[r + 1] == UInt8(ascii: "N"), r + 2 == stop || bytes[r + 2] == tab {
                r += 2
                if c == keyIndex { return (w, keyRange, .nullKey) }
                ends[c] = Int32(truncatingIfNeeded: w)
                continue
            }
            while r < stop {
                let b = bytes[r]
                if b == tab { break }
                r += 1
                if b != backslash {
                    bytes[w] = b
                    w += 1
                    continue
                }
                // An escape: the byte it stands for (a backslash ending the line stands for nothing).
                guard r < stop else { break }
                let e = bytes[r]
                r += 1
                var v = e
                switch e {
                case UInt8(ascii: "b"): v = 0x08
                case UInt8(ascii: "f"): v = 0x0C
                case UInt8(ascii: "n"): v = 0x0A
                case UInt8(ascii: "r"): v = 0x0D
                case UInt8(ascii: "t"): v = 0x09
                case UInt8(ascii: "v"): v = 0x0B
                case UInt8(ascii: "0")...UInt8(ascii: "7"):
                    var octal = Int(e - 0x30)
                    var n = 1
                    while n < 3 && r < stop && bytes[r] >= 0x30 && bytes[r] <= 0x37 { octal = octal * 8 + Int(bytes[r] - 0x30); r += 1; n += 1 }
                    v = UInt8(truncatingIfNeeded: octal)
                case UInt8(ascii: "x") where r < stop && PostgresCopyTextDecoder.hexValue(bytes[r]) != nil:
                    v = PostgresCopyTextDecoder.hexValue(bytes[r])!
                    r += 1
                    if r < stop, let h = PostgresCopyTextDecoder.hexValue(bytes[r]) { v = v &* 16 &+ h; r += 1 }
                default:
                    break
                }
                bytes[w] = v
                w += 1
            }
            if booleans[c] && w > fieldStart {
                bytes[fieldStart] = bytes[fieldStart] == UInt8(ascii: "t") ? UInt8(ascii: "1") : UInt8(ascii: "0")
                w = fieldStart + 1
            }
            if c == keyIndex { keyRange = fieldStart..<w }
            ends[c] = Int32(truncatingIfNeeded: w)
        }
        return (w, keyRange, r == stop ? nil : .fieldCount)
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
