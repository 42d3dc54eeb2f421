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
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    /// Offset in the stream of `buffer[0]`.
    private var bufferOffset: Int64 = 0
    /// Line number of the byte at `start`.
    public private(set) var line = 1

    static let blockSize = 1 << 20

    /// Opens `path` (LZ4 when it ends in `.lz4`) and reads its header row.
    public init(path: String) throws {
        self.path = path
        self.input = try openByteInput(path: path)
        self.buffer = [UInt8](repeating: 0, count: CSVReader.blockSize)
        self.header = []
        // Header row.
        var headerBatch = CSVChunk(columnCount: 0)
        try fill()
        // UTF-8 byte order mark.
        if end - start >= 3 && buffer[start] == 0xEF && buffer[start + 1] == 0xBB && buffer[start + 2] == 0xBF { start += 3 }
        guard let count = try readRow(into: &headerBatch.batch, lines: &headerBatch.lines, expected: nil) else {
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
        while chunk.rowCount < maxRows {
            if let stop = stopOffset, offset >= stop { break }
            guard try readRow(into: &chunk.batch, lines: &chunk.lines, expected: header.count) != nil else { break }
        }
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
        if end == buffer.count {
            // One row is larger than the buffer: grow.
            buffer.append(contentsOf: repeatElement(0, count: buffer.count))
        }
        let n = try buffer.withUnsafeMutableBytes { (b) throws -> Int in
            try input.read(into: UnsafeMutableRawBufferPointer(rebasing: b[end...]))
        }
        if n == 0 { eof = true }
        end += n
    }

    private enum Outcome {
        case row(next: Int, newlines: Int, fields: Int)
        case blank(next: Int)
        case needMore
        case end
        case unterminatedQuote(newlines: Int, field: Int)
        case junkAfterQuote(newlines: Int, field: Int)
    }

    /// Reads one row into `batch`. Returns its field count, or nil at the end of the file.
    private func readRow(into batch: inout TextBatch, lines: inout [Int], expected: Int?) throws -> Int? {
        while true {
            let fieldMark = batch.fieldEnds.count
            let byteMark = batch.bytes.count
            let outcome = buffer.withUnsafeBufferPointer { p in
                CSVReader.parseRow(p, from: start, end: end, atEOF: eof, batch: &batch)
            }
            switch outcome {
            case .needMore:
                batch.truncate(fields: fieldMark, bytes: byteMark)
                try fill()
            case .end:
                return nil
            case let .blank(next):
                start = next
                line += 1
            case let .row(next, newlines, fields):
                if let expected, fields != expected {
                    batch.truncate(fields: fieldMark, bytes: byteMark)
                    throw InputError(path: path, line: line, message: "expected \(expected) fields as in the header, found \(fields)")
                }
                batch.endRow()
                lines.append(line)
                start = next
                line += newlines + 1
                return fields
            case let .unterminatedQuote(_, field):
                throw InputError(path: path, line: line, column: field + 1, columnName: columnName(field),
                                 message: "unterminated quoted field (a '\"' opens it but none closes it before the end of the file)")
            case let .junkAfterQuote(newlines, field):
                throw InputError(path: path, line: line + newlines, column: field + 1, columnName: columnName(field),
                                 message: "unexpected character after a closing quote; a quote inside a quoted field must be doubled (\"\")")
            }
        }
    }

    private func columnName(_ field: Int) -> String? {
        field < header.count ? header[field] : nil
    }

    /// Parses one row starting at `from`. Pure function over the bytes; appends fields to `batch`.
    private static func parseRow(_ p: UnsafeBufferPointer<UInt8>, from: Int, end: Int, atEOF: Bool, batch: inout TextBatch) -> Outcome {
        let comma: UInt8 = 0x2C, quote: UInt8 = 0x22, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D
        if from >= end { return atEOF ? .end : .needMore }
        // Blank line.
        if p[from] == lf { return .blank(next: from + 1) }
        if p[from] == cr {
            if from + 1 < end { if p[from + 1] == lf { return .blank(next: from + 2) } } else if !atEOF { return .needMore }
        }
        var i = from
        var fields = 0
        var newlines = 0
        while true {
            // One field starting at i.
            if i < end && p[i] == quote {
                i += 1
                var segment = i
                while true {
                    // Scan to the next quote.
                    while i < end && p[i] != quote {
                        if p[i] == lf { newlines += 1 }
                        i += 1
                    }
                    if i >= end {
                        return atEOF ? .unterminatedQuote(newlines: newlines, field: fields) : .needMore
                    }
                    // p[i] is a quote: doubled, or the closing one?
                    if i + 1 >= end && !atEOF { return .needMore }
                    batch.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[segment..<i]))
                    if i + 1 < end && p[i + 1] == quote {
                        batch.bytes.append(quote)
                        i += 2
                        segment = i
                        continue
                    }
                    i += 1  // past the closing quote
                    break
                }
                batch.endField()
                fields += 1
                if i >= end {
                    if atEOF { return .row(next: i, newlines: newlines, fields: fields) }
                    return .needMore
                }
                let c = p[i]
                if c == comma { i += 1; continue }
                if c == lf { return .row(next: i + 1, newlines: newlines, fields: fields) }
                if c == cr {
                    if i + 1 < end { if p[i + 1] == lf { return .row(next: i + 2, newlines: newlines, fields: fields) } }
                    else if !atEOF { return .needMore }
                    else { return .row(next: i + 1, newlines: newlines, fields: fields) }
                }
                return .junkAfterQuote(newlines: newlines, field: fields - 1)
            }
            // Unquoted field: up to a comma or the end of the line.
            let fieldStart = i
            while i < end {
                let c = p[i]
                if c == comma || c == lf { break }
                i += 1
            }
            if i >= end && !atEOF { return .needMore }
            var fieldEnd = i
            if fieldEnd > fieldStart && p[fieldEnd - 1] == cr && (i >= end || p[i] == lf) { fieldEnd -= 1 }
            batch.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[fieldStart..<fieldEnd]))
            batch.endField()
            fields += 1
            if i >= end { return .row(next: i, newlines: newlines, fields: fields) }
            if p[i] == lf { return .row(next: i + 1, newlines: newlines, fields: fields) }
            i += 1  // comma
            if i >= end && !atEOF { return .needMore }
            if i >= end {
                // Trailing comma at the end of the file: one more empty field.
                batch.endField()
                fields += 1
                return .row(next: i, newlines: newlines, fields: fields)
            }
        }
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
