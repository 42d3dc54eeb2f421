import NightjarCore

/// The layout of the rows a run writes: identifying columns, then the prediction columns.
public struct OutputLayout: Sendable {
    /// Input columns copied to the output (the key), by name and position in the input batch.
    public var keyColumns: [(name: String, index: Int)]
    /// When there is no key: a 1-based `row` column numbering the input's data rows.
    public var rowNumberColumn: Bool { keyColumns.isEmpty }
    public var predictions: [OutputColumn]
    /// Predictions computed in float32 (XGBoost) are written with float32's shortest text.
    public var float32Values: Bool

    public init(keyColumns: [(name: String, index: Int)], predictions: [OutputColumn], float32Values: Bool) {
        self.keyColumns = keyColumns
        self.predictions = predictions
        self.float32Values = float32Values
    }

    public var columnNames: [String] {
        (rowNumberColumn ? ["row"] : keyColumns.map(\.name)) + predictions.map(\.name)
    }
}

extension OutputLayout {
    /// Per key column: true when every value in `chunk` is a plain integer (the column can be typed
    /// as one); false for an empty chunk.
    func keyColumnsAreIntegers(in chunk: ScoredChunk) -> [Bool] {
        let batch = chunk.batch
        return keyColumns.map { key in
            batch.rowCount > 0 && (0..<batch.rowCount).allSatisfy {
                SQLiteSink.isCanonicalInteger(batch.bytes[batch.fieldRange(row: $0, column: key.index)])
            }
        }
    }

    /// Appends the text of a non-NaN prediction value of column `c`: labels as integers, float32
    /// predictions with float32's shortest text, others with double's.
    func appendValue(_ v: Double, column c: Int, to out: inout [UInt8]) {
        if let names = predictions[c].names {
            // A text column (reasons name features): quoted when the name needs it (RFC 4180).
            let name = names[Int(v)]
            if name.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }) {
                out.append(UInt8(ascii: "\""))
                for b in name.utf8 {
                    if b == UInt8(ascii: "\"") { out.append(b) }
                    out.append(b)
                }
                out.append(UInt8(ascii: "\""))
            } else {
                out.append(contentsOf: name.utf8)
            }
        } else if predictions[c].isInteger {
            out.append(contentsOf: String(Int64(v)).utf8)
        } else if float32Values {
            out.append(contentsOf: Float(v).description.utf8)
        } else {
            out.append(contentsOf: v.description.utf8)
        }
    }
}

/// One chunk of scored rows on its way to a sink.
public struct ScoredChunk {
    public var batch: TextBatch
    /// Row-major, `rows × layout.predictions.count`.
    public var values: [Double]
    /// 1-based number of the chunk's first data row in the input.
    public var firstRowNumber: Int64

    public init(batch: TextBatch, values: [Double], firstRowNumber: Int64) {
        self.batch = batch
        self.values = values
        self.firstRowNumber = firstRowNumber
    }
}

/// Where predictions go. A sink writes chunks and makes them visible all at once on `commit`;
/// `abort` leaves the destination as it was before `open`.
public protocol PredictionSink: AnyObject {
    func write(_ chunk: ScoredChunk) throws
    func commit() throws
    func abort()
    /// Human-readable destination, e.g. `out/churn.db (table churn_scores)`.
    var destination: String { get }
}
