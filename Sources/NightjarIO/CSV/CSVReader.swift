import NightjarCore

/// Streams an RFC 4180 CSV file in chunks of rows: a header row, fields optionally quoted (with
/// embedded commas, doubled quotes and newlines), LF or CRLF line ends, an optional UTF-8 BOM.
/// Blank lines are skipped. Memory holds one read block plus one chunk, whatever the file size.
///
/// Hand-written (not a CSV package): parsing is the first stage of every run and must not
/// allocate per field; fields land directly in a `TextBatch`.
public final class CSVReader {
    public let path: String
    public private(set) var header: [String]
    public var columnCount: Int { header.count }

    private let input: any ByteInput
    /// `capacity` bytes of room for data plus `padding` readable bytes after it.
    private var buffer: [UInt8]
    private var capacity: Int
    private var start = 0
    private var end = 0
    private var eof = false
    /// Offset in the stream of `buffer[0]`.
    private var bufferOffset: Int64 = 0
    /// Line number of the byte at `start`.
    public private(set) var line = 1

    static let blockSize = 1 << 20

    /// Opens `path` (LZ4 when it ends in `.lz4`) and reads its header row.
    public convenience init(path: String) throws {
        try self.init(path: path, blockSize: CSVReader.blockSize)
    }

    /// `blockSize`: bytes read at a time (small ones let tests put rows across read blocks).
    init(path: String, blockSize: Int) throws {
        self.path = path
        self.input = try openByteInput(path: path)
        self.capacity = blockSize
        self.buffer = [UInt8](repeating: 0, count: blockSize + CSVReader.padding)
        self.header = []
        // Header row.
        var headerBatch = CSVChunk(columnCount: 0)
        try fill()
        // UTF-8 byte order mark.
        if end - start >= 3 && buffer[start] == 0xEF && buffer[start + 1] == 0xBB && buffer[start + 2] == 0xBF { start += 3 }
        var count = 0
        guard try readRows(maxRows: 1, into: &headerBatch.batch, lines: &headerBatch.lines, expected: nil,
                           fieldsOfLastRow: &count) == 1 else {
            throw InputError(path: path, message: "the file is empty; expected a header row naming the columns")
        }
        var names: [String] = []
        for c in 0..<count {
            let r = headerBatch.batch.fieldEnds
            let lo = c == 0 ? 0 : Int(r[c - 1]), hi = Int(r[c])
            names.append(String(decoding: headerBatch.batch.bytes[lo..<hi], as: UTF8.self).trimmingSpaces())
        }
        if names.contains(where: \.isEmpty) && names.count == 1 {
            throw InputError(path: path, line: 1, message: "the header row is empty")
        }
        // A name twice would silently read the first of the two columns.
        var seen: [String: Int] = [:]
        for (c, name) in names.enumerated() where !name.isEmpty {
            if let first = seen[name] {
                throw InputError(path: path, line: 1, column: c + 1, columnName: name,
                                 message: "the header names this column twice (also column \(first + 1)); rename one of them")
            }
            seen[name] = c
        }
        self.header = names
        self.dataOffset = offset
    }

    deinit { input.close() }

    /// Continues reading at byte `offset` (a row start recorded by a checkpoint), which is on `line`.
    public func resume(at offset: Int64, line: Int) throws {
        guard offset >= self.offset else {
            throw InputError(path: path, message: "cannot resume at byte \(offset): before the current position")
        }
        if let file = input as? FileInput {
            try file.seek(to: offset)
            bufferOffset = offset
            start = 0
            end = 0
            eof = false
        } else {
            // Compressed: decompress and drop bytes up to the offset.
            while self.offset < offset {
                if start == end {
                    if eof { throw InputError(path: path, message: "the file ends before the checkpoint at byte \(offset); was it replaced?") }
                    try fill()
                    continue
                }
                start += Int(min(Int64(end - start), offset - self.offset))
            }
        }
        self.line = line
    }

    /// Byte offset of the next unread row.
    public var offset: Int64 { bufferOffset + Int64(start) }

    /// Reads up to `maxRows` rows into `chunk` (replacing its content). Returns false at the end of the file.
    /// Rows starting at or past this byte offset are not read (a shard's byte range).
    public var stopOffset: Int64? = nil

    /// Byte offset of the first row after the header.
    public private(set) var dataOffset: Int64 = 0

    public func readChunk(maxRows: Int, into chunk: inout CSVChunk) throws -> Bool {
        chunk.removeAll()
        if chunk.batch.columnCount != header.count { chunk = CSVChunk(columnCount: header.count) }
        chunk.startOffset = offset
        var fields = 0
        let rows = try readRows(maxRows: maxRows, into: &chunk.batch, lines: &chunk.lines, expected: header.count,
                                fieldsOfLastRow: &fields)
        chunk.batch.endRows(rows)
        chunk.endOffset = offset
        return chunk.rowCount > 0
    }

    // MARK: Parsing

    private func fill() throws {
        if eof { return }
        if start > 0 {
            let remaining = end - start
            buffer.withUnsafeMutableBytes { b in
                b.baseAddress!.copyMemory(from: b.baseAddress! + start, byteCount: remaining)
            }
            bufferOffset += Int64(start)
            end = remaining
            start = 0
        }
        if end == capacity {
            // One row is larger than the buffer: grow.
            capacity *= 2
            buffer.append(contentsOf: repeatElement(0, count: capacity + CSVReader.padding - buffer.count))
        }
        let n = try buffer.withUnsafeMutableBytes { (b) throws -> Int in
            try input.read(into: UnsafeMutableRawBufferPointer(rebasing: b[end..<capacity]))
        }
        if n == 0 { eof = true }
        end += n
    }

    /// Reads rows into `batch` and `lines` until `maxRows` rows, the stop offset or the end of the
    /// file. Returns the number of rows read; `fieldsOfLastRow` is the field count of the last one.
    private func readRows(maxRows: Int, into batch: inout TextBatch, lines: inout [Int], expected: Int?,
                          fieldsOfLastRow: inout Int) throws -> Int {
        // The arrays are taken out of the batch so that the parser writes through pointers into
        // their spare room; `count` of each is the logical size again before returning.
        var out = RowSink(bytes: batch.bytes, ends: batch.fieldEnds)
        batch.bytes = []
        batch.fieldEnds = []
        defer {
            out.finish()
            batch.bytes = out.bytes
            batch.fieldEnds = out.ends
        }
        var rows = 0
        // Rows starting at or past the stop offset are not read; a row whose start was checked
        // and that is finished after more input (or room) is not checked again.
        var checkFirst = true
        while rows < maxRows {
            var stopIndex = Int.max
            if let stop = stopOffset {
                let relative = stop - bufferOffset
                stopIndex = relative > Int64(end) ? Int.max : Int(Swift.max(relative, 0))
            }
            let result = buffer.withUnsafeBufferPointer { p in
                out.withPointers { bytes, ends in
                    CSVReader.parseRows(p.baseAddress!, from: start, end: end, atEOF: eof, out: bytes, ends: ends,
                                        maxRows: maxRows - rows, expected: expected ?? -1, stopIndex: stopIndex, checkFirst: checkFirst,
                                        line: &line, lines: &lines)
                }
            }
            out.byteCount = result.byteCount
            out.fieldCount = result.fieldCount
            start = result.next
            rows += result.rows
            if result.rows > 0 { fieldsOfLastRow = result.lastRowFields }
            switch result.status {
            case .done:
                return rows
            case .needMore:
                checkFirst = false
                if eof { return rows }  // cannot happen: at the end of the file a row always completes
                try fill()
            case .needSpace:
                checkFirst = false
                out.grow(bytes: result.needBytes)
            case .end:
                return rows
            case .wrongFieldCount:
                throw InputError(path: path, line: line, message: "expected \(expected ?? 0) fields as in the header, found \(result.lastRowFields)")
            case .unterminatedQuote:
                throw InputError(path: path, line: line, column: result.errorField + 1, columnName: columnName(result.errorField),
                                 message: "unterminated quoted field (a '\"' opens it but none closes it before the end of the file)")
            case .junkAfterQuote:
                throw InputError(path: path, line: line + result.errorNewlines, column: result.errorField + 1, columnName: columnName(result.errorField),
                                 message: "unexpected character after a closing quote; a quote inside a quoted field must be doubled (\"\")")
            }
        }
        return rows
    }

    private func columnName(_ field: Int) -> String? {
        field < header.count ? header[field] : nil
    }

    /// Readable bytes past the data in the read buffer, and spare bytes past the last field in the
    /// output: block loads (64 bytes, `fastRow`) and word stores (16 bytes) may run over without a
    /// bounds check.
    static let padding = 64

    /// Output arrays of one `readRows` call with a logical size below their `count`.
    private struct RowSink {
        var bytes: [UInt8]
        var ends: [Int32]
        var byteCount: Int
        var fieldCount: Int

        init(bytes: [UInt8], ends: [Int32]) {
            self.bytes = bytes
            self.ends = ends
            byteCount = bytes.count
            fieldCount = ends.count
        }

        /// Doubles the room (at least to `bytes` bytes, plus the padding) so that the retried row
        /// progresses. Spare room is zero-filled as it grows: a `memset` of at most twice the
        /// bytes a chunk holds, cheap next to parsing them.
        mutating func grow(bytes needBytes: Int) {
            let byteTarget = Swift.max(needBytes + 2 * CSVReader.padding, 2 * bytes.count, 256)
            bytes.append(contentsOf: repeatElement(0, count: byteTarget - bytes.count))
            let fieldTarget = Swift.max(2 * ends.count, 64)
            ends.append(contentsOf: repeatElement(0, count: fieldTarget - ends.count))
        }

        mutating func finish() {
            bytes.removeLast(bytes.count - byteCount)
            ends.removeLast(ends.count - fieldCount)
        }

        mutating func withPointers<R>(_ body: (Output<UInt8>, Output<Int32>) -> R) -> R {
            let (byteCount, fieldCount) = (self.byteCount, self.fieldCount)
            return bytes.withUnsafeMutableBufferPointer { b in
                ends.withUnsafeMutableBufferPointer { e in
                    // No room for the padding yet (an empty array): no base, so the parser asks for room.
                    body(Output(base: b.count >= CSVReader.padding ? b.baseAddress : nil, count: byteCount,
                                limit: Swift.max(0, b.count - CSVReader.padding)),
                         Output(base: e.baseAddress, count: fieldCount, limit: e.count))
                }
            }
        }
    }

    /// Where the parser writes: `base[count...]` up to `limit` (plus padding for the bytes).
    struct Output<T> {
        var base: UnsafeMutablePointer<T>?
        var count: Int
        var limit: Int
    }

    enum Status {
        case done, needMore, needSpace, end, wrongFieldCount, unterminatedQuote, junkAfterQuote
    }

    struct ParseResult {
        var status: Status
        /// Buffer index of the first byte not consumed (the start of an unfinished row).
        var next: Int
        var rows: Int
        var byteCount: Int
        var fieldCount: Int
        var lastRowFields: Int = 0
        var errorField = 0
        var errorNewlines = 0
        /// With `.needSpace`: the byte count the unfinished field needs.
        var needBytes = 0
    }

    /// Byte mask with the high bit set in each byte of `w` equal to `c` (splatted in `pattern`),
    /// exact up to the first match (higher bytes may be false positives after a borrow).
    @inline(__always)
    static func matches(_ w: UInt64, _ pattern: UInt64) -> UInt64 {
        let x = w ^ pattern
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }

    /// Parses rows starting at `from` into `out`/`ends`. Pure function over the bytes.
    ///
    /// Word at a time: each unquoted field is found with one 8-byte load per 8 bytes (SWAR search
    /// for ',' and '\n') and copied with 8-byte stores. Measured on the 1M-row, 28-float benchmark
    /// file (callgrind, 100,000 rows): the byte-by-byte loop with `Array.append(contentsOf:)` per
    /// field cost about 7,500 instructions per row; this one about 3,450.
    static func parseRows(_ p: UnsafePointer<UInt8>, from: Int, end: Int, atEOF: Bool,
                          out: Output<UInt8>, ends: Output<Int32>, maxRows: Int, expected: Int, stopIndex: Int,
                          checkFirst: Bool, line: inout Int, lines: inout [Int]) -> ParseResult {
        let comma: UInt8 = 0x2C, quote: UInt8 = 0x22, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D
        let commas: UInt64 = 0x2C2C_2C2C_2C2C_2C2C, lfs: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
        let raw = UnsafeRawPointer(p)
        var byteCount = out.count, fieldCount = ends.count
        var rows = 0
        var rowStart = from
        var result = ParseResult(status: .done, next: from, rows: 0, byteCount: byteCount, fieldCount: fieldCount)
        // Stores nothing past the limits: a row needing more room returns `.needSpace` and is redone.
        // The stop check comes first: the caller asks for room below, then retries with the first
        // row taken as checked.
        if checkFirst && from >= stopIndex { return result }
        guard let ob = out.base, let eb = ends.base else {
            result.status = from >= end && atEOF ? .end : .needSpace
            return result
        }
        let outRaw = UnsafeMutableRawPointer(ob)
        @inline(__always) func finish(_ status: Status, next: Int) -> ParseResult {
            result.status = status
            result.next = next
            result.rows = rows
            result.byteCount = byteCount
            result.fieldCount = fieldCount
            return result
        }
        var check = checkFirst
        while rows < maxRows {
            if check && rowStart >= stopIndex { break }
            check = true
            // Blank lines.
            while true {
                if rowStart >= end { return finish(atEOF ? .end : .needMore, next: rowStart) }
                if p[rowStart] == lf { rowStart += 1; line += 1; continue }
                if p[rowStart] == cr {
                    if rowStart + 1 < end {
                        if p[rowStart + 1] == lf { rowStart += 2; line += 1; continue }
                    } else if !atEOF {
                        return finish(.needMore, next: rowStart)
                    }
                }
                break
            }
            let rowByteMark = byteCount, rowFieldMark = fieldCount
            var i = rowStart
            var fields = 0
            var newlines = 0
            // Most rows: no quote, no carriage return, all in the buffer (`fastRow`); else field by field.
            let fastNext = fastRow(p, rowStart: rowStart, end: end, out: outRaw, outLimit: out.limit, ends: eb,
                                   endsLimit: ends.limit, byteCount: &byteCount, fieldCount: &fieldCount, fields: &fields)
            if fastNext >= 0 {
                i = fastNext
            } else {
                fieldLoop: while true {
                    if fieldCount >= ends.limit {
                        byteCount = rowByteMark; fieldCount = rowFieldMark
                        return finish(.needSpace, next: rowStart)
                    }
                    if i < end && p[i] == quote {
                        // Quoted field, byte by byte (rare): copy segments between doubled quotes.
                        i += 1
                        while true {
                            while i < end && p[i] != quote {
                                if p[i] == lf { newlines += 1 }
                                if byteCount >= out.limit {
                                    result.needBytes = byteCount + 1
                                    byteCount = rowByteMark; fieldCount = rowFieldMark
                                    return finish(.needSpace, next: rowStart)
                                }
                                ob[byteCount] = p[i]
                                byteCount += 1
                                i += 1
                            }
                            if i >= end {
                                if atEOF {
                                    result.errorField = fields
                                    result.errorNewlines = newlines
                                    byteCount = rowByteMark; fieldCount = rowFieldMark
                                    return finish(.unterminatedQuote, next: rowStart)
                                }
                                byteCount = rowByteMark; fieldCount = rowFieldMark
                                return finish(.needMore, next: rowStart)
                            }
                            // p[i] is a quote: doubled, or the closing one?
                            if i + 1 >= end && !atEOF {
                                byteCount = rowByteMark; fieldCount = rowFieldMark
                                return finish(.needMore, next: rowStart)
                            }
                            if i + 1 < end && p[i + 1] == quote {
                                if byteCount >= out.limit {
                                    result.needBytes = byteCount + 1
                                    byteCount = rowByteMark; fieldCount = rowFieldMark
                                    return finish(.needSpace, next: rowStart)
                                }
                                ob[byteCount] = quote
                                byteCount += 1
                                i += 2
                                continue
                            }
                            i += 1  // past the closing quote
                            break
                        }
                        eb[fieldCount] = Int32(truncatingIfNeeded: byteCount)
                        fieldCount += 1
                        fields += 1
                        if i >= end {
                            if atEOF { i = end; break fieldLoop }
                            byteCount = rowByteMark; fieldCount = rowFieldMark
                            return finish(.needMore, next: rowStart)
                        }
                        let c = p[i]
                        if c == comma { i += 1; continue fieldLoop }
                        if c == lf { i += 1; break fieldLoop }
                        if c == cr {
                            if i + 1 < end {
                                if p[i + 1] == lf { i += 2; break fieldLoop }
                            } else if !atEOF {
                                byteCount = rowByteMark; fieldCount = rowFieldMark
                                return finish(.needMore, next: rowStart)
                            } else {
                                i += 1
                                break fieldLoop
                            }
                        }
                        result.errorField = fields - 1
                        result.errorNewlines = newlines
                        byteCount = rowByteMark; fieldCount = rowFieldMark
                        return finish(.junkAfterQuote, next: rowStart)
                    }
                    // Unquoted field: up to a comma or the end of the line, 8 bytes per step (the
                    // buffer is padded, so loads past `end` are readable; matches there are ignored).
                    let fieldStart = i
                    var j = i
                    var found = false
                    while j < end {
                        let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: j, as: UInt64.self))
                        let m = matches(w, commas) | matches(w, lfs)
                        if m != 0 {
                            j += m.trailingZeroBitCount >> 3
                            found = j < end
                            break
                        }
                        j += 8
                    }
                    if !found {
                        if !atEOF {
                            byteCount = rowByteMark; fieldCount = rowFieldMark
                            return finish(.needMore, next: rowStart)
                        }
                        j = end
                    }
                    var fieldEnd = j
                    if fieldEnd > fieldStart && p[fieldEnd - 1] == cr && (j >= end || p[j] == lf) { fieldEnd -= 1 }
                    let length = fieldEnd - fieldStart
                    if byteCount + length > out.limit {
                        result.needBytes = byteCount + length
                        byteCount = rowByteMark; fieldCount = rowFieldMark
                        return finish(.needSpace, next: rowStart)
                    }
                    // Copy in 8-byte words; the last one may spill into the padding.
                    var k = 0
                    while k < length {
                        outRaw.storeBytes(of: raw.loadUnaligned(fromByteOffset: fieldStart + k, as: UInt64.self),
                                          toByteOffset: byteCount + k, as: UInt64.self)
                        k += 8
                    }
                    byteCount += length
                    eb[fieldCount] = Int32(truncatingIfNeeded: byteCount)
                    fieldCount += 1
                    fields += 1
                    if j >= end { i = end; break fieldLoop }
                    if p[j] == lf { i = j + 1; break fieldLoop }
                    i = j + 1  // comma
                    if i >= end {
                        if !atEOF {
                            byteCount = rowByteMark; fieldCount = rowFieldMark
                            return finish(.needMore, next: rowStart)
                        }
                        // Trailing comma at the end of the file: one more empty field.
                        if fieldCount >= ends.limit {
                            byteCount = rowByteMark; fieldCount = rowFieldMark
                            return finish(.needSpace, next: rowStart)
                        }
                        eb[fieldCount] = Int32(truncatingIfNeeded: byteCount)
                        fieldCount += 1
                        fields += 1
                        break fieldLoop
                    }
                }
            }
            result.lastRowFields = fields
            if expected >= 0 && fields != expected {
                byteCount = rowByteMark; fieldCount = rowFieldMark
                return finish(.wrongFieldCount, next: rowStart)
            }
            lines.append(line)
            line += newlines + 1
            rows += 1
            rowStart = i
        }
        return finish(.done, next: rowStart)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
