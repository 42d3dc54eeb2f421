import Foundation
import NightjarCore
import NightjarIO

/// Golden rows: input rows and the training library's own predictions for them. Nightjar scores
/// the rows and compares, output column by output column, within the bundle's tolerance.
public struct GoldenRows: Sendable {
    /// One compared value.
    public struct Difference: Sendable, Equatable, CustomStringConvertible {
        public var key: String
        public var line: Int
        public var column: String
        public var actual: Double
        public var expected: Double
        public var absolute: Double { actual.isNaN || expected.isNaN ? (actual.isNaN && expected.isNaN ? 0 : .infinity) : abs(actual - expected) }

        public var description: String {
            "key \(key) (line \(line)): \(column) = \(actual) from Nightjar, \(expected) expected (difference \(absolute))"
        }
    }

    /// The outcome of a comparison.
    public struct Check: Sendable {
        public var rows: Int
        public var maxAbsoluteDifference: Double
        /// Values outside the tolerance, worst first.
        public var failures: [Difference]
        /// The largest differences, inside the tolerance or not (up to 5), worst first.
        public var worst: [Difference]
        public var passed: Bool { failures.isEmpty }
    }

    public var input: CSVTable
    public var expected: CSVTable
    public var key: [String]
    /// Model output column → expected file column.
    public var columns: [(output: String, expected: String)]

    public init(input: CSVTable, expected: CSVTable, key: [String], columns: [(output: String, expected: String)]) {
        self.input = input
        self.expected = expected
        self.key = key
        self.columns = columns
    }

    /// Pairs of (input row, expected row) with the same key, in input order.
    public func join() throws -> [(input: Int, expected: Int)] {
        func indices(_ table: CSVTable) throws -> [Int] {
            try key.map { k in
                guard let i = table.column(k) else {
                    throw InputError(path: table.path, line: 1, message: "key column '\(k)' is missing (columns: \(table.header.joined(separator: ", "))); pass --key")
                }
                return i
            }
        }
        let ik = try indices(input)
        let ek = try indices(expected)
        var byKey: [String: Int] = [:]
        for r in 0..<expected.rowCount {
            let k = ek.map { expected.string(row: r, column: $0) }.joined(separator: "\u{1F}")
            if byKey[k] != nil {
                throw InputError(path: expected.path, line: expected.lines[r], message: "key \(k.replacingOccurrences(of: "\u{1F}", with: ", ")) appears twice; golden rows need a unique key")
            }
            byKey[k] = r
        }
        var pairs: [(input: Int, expected: Int)] = []
        for r in 0..<input.rowCount {
            if let e = byKey[ik.map { input.string(row: r, column: $0) }.joined(separator: "\u{1F}")] { pairs.append((r, e)) }
        }
        return pairs
    }

    /// The input rows `rows` encoded for `model` (errors name the file, line and column).
    public static func encode(_ model: ScoringModel, table: CSVTable, rows: [Int]) throws -> FeatureMatrix {
        let encoder: FeatureEncoder
        do throws(MissingColumnsError) {
            encoder = try FeatureEncoder(features: model.features, header: table.header)
        } catch {
            throw InputError(path: table.path, line: 1, message: error.description)
        }
        let batch = rows.count == table.rowCount && rows.enumerated().allSatisfy({ $0.offset == $0.element }) ? table.batch : table.selecting(rows: rows)
        var matrix = FeatureMatrix(rows: 0, features: model.features.count)
        do throws(EncodingError) {
            try encoder.encode(batch, into: &matrix)
        } catch {
            let column = encoder.columnIndex[encoder.features.firstIndex { $0.name == error.column } ?? 0]
            throw InputError(path: table.path, line: table.lines[rows[error.row]], column: column + 1, columnName: error.column,
                             message: error.description.replacingOccurrences(of: "column '\(error.column)': ", with: ""))
        }
        return matrix
    }

    /// Scores `matrix` with `model`: the predictor's columns and values (rows × columns).
    public static func score(_ model: ScoringModel, matrix: FeatureMatrix, includeMargin: Bool) -> (columns: [OutputColumn], values: [Double]) {
        let predictor = Predictor(model: model, includeMargin: includeMargin, threads: 1)
        var values: [Double] = []
        predictor.score(matrix, into: &values)
        return (predictor.columns, values)
    }

    /// Scores the golden rows with `model` and compares with the expected values.
    public func check(_ model: ScoringModel, tolerance: BundleManifest.Golden, limit: Int = .max) throws -> Check {
        var pairs = try join()
        guard !pairs.isEmpty else {
            throw ScoreError("no key of \(expected.path) matches a row of \(input.path) (key: \(key.joined(separator: ", "))); the expected predictions must be of these input rows (pass --golden-input with the file they were made from)")
        }
        if pairs.count > limit { pairs.removeLast(pairs.count - limit) }
        let includeMargin = columns.contains { $0.output.hasPrefix("margin") }
        let (outputs, values) = GoldenRows.score(model, matrix: try GoldenRows.encode(model, table: input, rows: pairs.map(\.input)),
                                                 includeMargin: includeMargin)
        let width = outputs.count
        var compared: [(output: Int, expected: Int, name: String)] = []
        for c in columns {
            guard let o = outputs.firstIndex(where: { $0.name == c.output }) else {
                throw ScoreError("'\(c.output)' is not an output of this model (it has: \(outputs.map(\.name).joined(separator: ", ")))")
            }
            guard let e = expected.column(c.expected) else {
                throw InputError(path: expected.path, line: 1, message: "column '\(c.expected)' is missing (columns: \(expected.header.joined(separator: ", ")))")
            }
            compared.append((o, e, c.output))
        }
        let keyColumns = key.map { input.column($0)! }
        var failures: [Difference] = []
        var worst: [Difference] = []
        var maxDiff = 0.0
        for (i, pair) in pairs.enumerated() {
            for c in compared {
                let text = expected.string(row: pair.expected, column: c.expected).trimmingCharacters(in: .whitespaces)
                guard let want = text.isEmpty ? Double.nan : Double(text) else {
                    throw InputError(path: expected.path, line: expected.lines[pair.expected], column: c.expected + 1,
                                     columnName: expected.header[c.expected], message: "'\(text)' is not a number")
                }
                let got = values[i * width + c.output]
                let d = Difference(key: keyColumns.map { input.string(row: pair.input, column: $0) }.joined(separator: ","),
                                   line: input.lines[pair.input], column: c.name, actual: got, expected: want)
                maxDiff = max(maxDiff, d.absolute)
                if !tolerance.agrees(got, want) { failures.append(d) }
                if worst.count < 5 || d.absolute > worst.last!.absolute {
                    worst.append(d)
                    worst.sort { $0.absolute > $1.absolute }
                    if worst.count > 5 { worst.removeLast() }
                }
            }
        }
        failures.sort { $0.absolute > $1.absolute }
        return Check(rows: pairs.count, maxAbsoluteDifference: maxDiff, failures: failures, worst: worst)
    }
}
