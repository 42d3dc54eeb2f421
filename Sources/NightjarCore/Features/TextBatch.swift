/// A block of rows whose fields are still text, as read from a source (CSV, PostgreSQL text COPY).
///
/// All field bytes (unquoted, unescaped) are stored back to back in `bytes`; `fieldEnds` holds,
/// row by row, the end offset of each field, so field i spans `fieldEnds[i-1] ..< fieldEnds[i]`.
/// One allocation per chunk, none per field.
public struct TextBatch: Sendable {
    public let columnCount: Int
    public private(set) var rowCount: Int = 0
    public var bytes: [UInt8] = []
    public var fieldEnds: [Int32] = []

    public init(columnCount: Int) {
        self.columnCount = columnCount
    }

    /// Forgets all rows, keeping capacity.
    public mutating func removeAll() {
        rowCount = 0
        bytes.removeAll(keepingCapacity: true)
        fieldEnds.removeAll(keepingCapacity: true)
    }

    /// Appends the end of one field whose bytes were already appended to `bytes`.
    @inlinable
    public mutating func endField() {
        fieldEnds.append(Int32(truncatingIfNeeded: bytes.count))
    }

    /// Marks the fields appended since the last row as a row. The caller checks the field count.
    public mutating func endRow() {
        rowCount += 1
    }

    /// Marks `count` more rows whose fields were all appended (by a reader writing the arrays directly).
    public mutating func endRows(_ count: Int) {
        rowCount += count
    }

    /// Drops the trailing fields and bytes of an incomplete row.
    public mutating func truncate(fields: Int, bytes byteCount: Int) {
        fieldEnds.removeLast(fieldEnds.count - fields)
        bytes.removeLast(bytes.count - byteCount)
    }

    @inlinable
    public func fieldRange(row: Int, column: Int) -> Range<Int> {
        let i = row * columnCount + column
        let start = i == 0 ? 0 : Int(fieldEnds[i - 1])
        return start..<Int(fieldEnds[i])
    }

    public func string(row: Int, column: Int) -> String {
        let r = fieldRange(row: row, column: column)
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[r]), as: UTF8.self) }
    }
}
