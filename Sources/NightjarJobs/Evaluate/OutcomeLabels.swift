import Foundation
import NightjarCore
import NightjarIO

/// The outcomes of one logical date, by key: read from a CSV file or a PostgreSQL query, counted
/// so that nothing is dropped silently. A key given twice with the same label counts as a
/// duplicate (used once); a key given different labels counts as conflicting and is left out of
/// every metric (its rows are "unlabelled"); an empty label (or NULL) counts as missing.
///
/// Memory: one entry per labelled key (a dictionary from the key's text to its label).
public struct OutcomeLabels: Sendable {
    /// How a label's text is read.
    public enum Kind: Sendable, Equatable {
        /// 0/1, true/false, t/f, yes/no (any case); 0.0 and 1.0.
        case binary
        /// A class index 0 … classes − 1.
        case multiclass(classes: Int)
        /// Any finite number.
        case regression
    }

    /// Where the labels come from, for messages and the run store.
    public var source: String
    public var column: String
    /// Label by key (keys of several columns joined by 0x1F). Conflicting keys are not in it.
    public var byKey: [String: Double] = [:]
    public var rowsRead = 0
    public var missing = 0
    public var duplicate = 0
    public var conflicting = 0
    /// Keys given different labels.
    var conflictingKeys: Set<String> = []

    public init(source: String, column: String) {
        self.source = source
        self.column = column
    }

    /// Adds one row's label (`nil`: empty or NULL). `place` names the row in an error.
    mutating func add(key: String, text: String?, kind: Kind, place: @autoclosure () -> String) throws {
        rowsRead += 1
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { missing += 1; return }
        guard let value = OutcomeLabels.parse(text, kind) else {
            throw ScoreError("\(place()): column \(column): \(QuotedValue.quote(text)) is not \(OutcomeLabels.expected(kind))", kind: .input)
        }
        if conflictingKeys.contains(key) { duplicate += 1; return }
        if let previous = byKey[key] {
            if previous == value {
                duplicate += 1
            } else {
                // The second label of the key: it was counted once as a label; now the key conflicts.
                byKey[key] = nil
                conflictingKeys.insert(key)
                conflicting += 1
                duplicate += 1
            }
            return
        }
        byKey[key] = value
    }

    static func parse(_ raw: String, _ kind: Kind) -> Double? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        switch kind {
        case .binary:
            switch text.lowercased() {
            case "1", "true", "t", "yes", "y": return 1
            case "0", "false", "f", "no", "n": return 0
            default:
                guard let v = Double(text), v == 0 || v == 1 else { return nil }
                return v
            }
        case .multiclass(let classes):
            guard let v = Double(text), v == v.rounded(), v >= 0, v < Double(classes) else { return nil }
            return v
        case .regression:
            guard let v = Double(text), v.isFinite else { return nil }
            return v
        }
    }

    static func expected(_ kind: Kind) -> String {
        switch kind {
        case .binary: "a binary label (0 or 1, true or false)"
        case .multiclass(let k): "a class index from 0 to \(k - 1)"
        case .regression: "a finite number"
        }
    }
}

extension OutcomeLabels {
    /// Reads the labels of a CSV file (plain or LZ4): the job's key columns and `column`.
    public static func readCSV(path: String, keys: [String], column: String, kind: Kind) throws -> OutcomeLabels {
        let reader = try CSVReader(path: path)
        var positions: [Int] = []
        for name in keys + [column] {
            guard let i = reader.header.firstIndex(of: name) else {
                throw ScoreError("\(path): no column '\(name)' (\(keys.contains(name) ? "a key of the job" : "--label-column")); the file has \(reader.header.joined(separator: ", "))", kind: .input)
            }
            positions.append(i)
        }
        var labels = OutcomeLabels(source: path, column: column)
        var chunk = CSVChunk(columnCount: reader.columnCount)
        while try reader.readChunk(maxRows: 65_536, into: &chunk) {
            let batch = chunk.batch
            for r in 0..<batch.rowCount {
                func field(_ c: Int) -> String { String(decoding: batch.bytes[batch.fieldRange(row: r, column: c)], as: UTF8.self) }
                let key = positions.dropLast().map { field($0) }.joined(separator: "\u{1F}")
                try labels.add(key: key, text: field(positions[positions.count - 1]), kind: kind,
                               place: "\(path):\(chunk.lines[r])")
            }
        }
        return labels
    }

    /// Reads the labels a PostgreSQL query returns: the job's key columns and `column` by name.
    public static func readPostgres(conninfo: String, name: String, query: String, keys: [String], column: String, kind: Kind) throws -> OutcomeLabels {
        let connection = try PostgresConnection(conninfo: conninfo, name: name)
        let result = try connection.execute(query)
        let columns = (0..<result.columnCount).map { result.columnName($0) }
        var positions: [Int] = []
        for key in keys + [column] {
            guard let i = columns.firstIndex(of: key) else {
                throw ScoreError("labels query: no column '\(key)' (\(keys.contains(key) ? "a key of the job" : "--label-column")); it returns \(columns.joined(separator: ", "))", kind: .input)
            }
            positions.append(i)
        }
        var labels = OutcomeLabels(source: "postgres:" + query, column: column)
        for r in 0..<result.rowCount {
            let key = positions.dropLast().map { result.string(r, $0) ?? "" }.joined(separator: "\u{1F}")
            try labels.add(key: key, text: result.string(r, positions[positions.count - 1]), kind: kind,
                           place: "labels query, row \(r + 1)")
        }
        return labels
    }
}
