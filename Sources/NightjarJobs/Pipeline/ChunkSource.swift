import Foundation
import NightjarCore
import NightjarIO

/// Where a run's rows come from, chunk by chunk, with the position each chunk's checkpoint records.
protocol ChunkSource: AnyObject {
    /// Column names of the rows being read (may change between CSV files).
    var header: [String] { get }
    /// Changes whenever `header` does.
    var headerVersion: Int { get }
    /// PostgreSQL types of the key columns, when the source knows them.
    var keyTypes: [String]? { get }
    /// Share of the input read, when known.
    var fraction: Double? { get }
    /// Reads the next chunk; fills the checkpoint's position. False at the end.
    func next(maxRows: Int, into batch: inout TextBatch, checkpoint: inout ChunkRecord) throws -> Bool
    /// File and line of a row of the last chunk, for error messages.
    func location(row: Int) -> (file: String, line: Int?)
    func close()
}
