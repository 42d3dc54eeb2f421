import Foundation
import NightjarCore

/// A small CSV file held whole in memory: golden rows, expected predictions, training samples.
/// Big inputs stream through `CSVReader` instead.
public struct CSVTable: Sendable {
    public var path: String
    public var header: [String]
    public var batch: TextBatch
    /// 1-based line on which each row starts, for messages.
    public var lines: [Int]

    public var rowCount: Int { batch.rowCount }

    /// Reads `path` (plain or `.lz4`), at most `maxRows` rows.
    public static func read(path: String, maxRows: Int = .max) throws -> CSVTable {
        let reader = try CSVReader(path: path)
        var table = CSVTable(path: path, header: reader.header, batch: TextBatch(columnCount: reader.columnCount), lines: [])
        var chunk = CSVChunk(columnCount: reader.columnCount)
        while table.rowCount < maxRows, try reader.readChunk(maxRows: min(65_536, maxRows - table.rowCount), into: &chunk) {
            table.append(chunk.batch, lines: chunk.lines)
        }
        return table
    }

    public init(path: String, header: [String], batch: TextBatch, lines: [Int]) {
        self.path = path
        self.header = header
        self.batch = batch
        self.lines = lines
    }

    mutating func append(_ other: TextBatch, lines more: [Int]) {
        for r in 0..<other.rowCount {
            for c in 0..<other.columnCount {
                batch.bytes.append(contentsOf: other.bytes[other.fieldRange(row: r, column: c)])
                batch.endField()
            }
            batch.endRow()
        }
        lines.append(contentsOf: more)
    }

    public func column(_ name: String) -> Int? { header.firstIndex(of: name) }

    public func string(row: Int, column: Int) -> String { batch.string(row: row, column: column) }

    /// The rows `rows` (in that order) as a new batch.
    public func selecting(rows: [Int]) -> TextBatch {
        var out = TextBatch(columnCount: batch.columnCount)
        for r in rows {
            for c in 0..<batch.columnCount {
                out.bytes.append(contentsOf: batch.bytes[batch.fieldRange(row: r, column: c)])
                out.endField()
            }
            out.endRow()
        }
        return out
    }

    /// Writes a CSV file (RFC 4180 quoting where needed), replacing `path`.
    public static func write(header: [String], rows: [[String]], to path: String) throws {
        var text = header.map(field).joined(separator: ",") + "\n"
        for row in rows { text += row.map(field).joined(separator: ",") + "\n" }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || s.hasPrefix(" ") || s.hasSuffix(" ") else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
