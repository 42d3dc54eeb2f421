import NightjarCore

/// Rows read from a CSV file: their fields, and where each came from.
public struct CSVChunk: Sendable {
    public var batch: TextBatch
    /// 1-based line on which each row starts.
    public var lines: [Int] = []
    /// Byte offset (in the decompressed stream) of the first row, and just past the last.
    public var startOffset: Int64 = 0
    public var endOffset: Int64 = 0

    public init(columnCount: Int) {
        batch = TextBatch(columnCount: columnCount)
    }

    public var rowCount: Int { batch.rowCount }

    mutating func removeAll() {
        batch.removeAll()
        lines.removeAll(keepingCapacity: true)
    }
}
