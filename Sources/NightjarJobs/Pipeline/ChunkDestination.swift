import Foundation
import NightjarCore
import NightjarIO

/// Where a run's rows go. Every destination commits a chunk's rows together with its checkpoint
/// (or flushes the rows before the checkpoint is recorded), so a resumed run neither loses nor
/// repeats rows.
protocol ChunkDestination: AnyObject {
    /// The run's committed checkpoints (of one shard, when given), as the destination knows them (authoritative).
    func committed(runID: String, shard: Int?) throws -> [ChunkRecord]
    /// True when the run's rows were already published (a crash came after the last step).
    func isPublished(runID: String) throws -> Bool
    /// Writes a chunk (and the rows of other writers: shadow tables, a split's challenger side) and
    /// its checkpoint, in one transaction.
    func commit(_ chunk: ScoredChunk, layout: OutputLayout, keyTypes: [String]?, extras: [ExtraRows], checkpoint: inout ChunkRecord) throws
    /// Makes the run's rows visible (replace_partition) and closes.
    func finish(runID: String, date: String) throws
    /// Adds a writer that shares the destination's transactions: into `table` (nil: the main table,
    /// with another lineage) and published with the main table. Returns its index for `ExtraRows`.
    func addWriter(table: String?, layout: OutputLayout, lineage: OutputLineage) throws -> Int
    /// The keys (columns `keys`) of the rows the run committed to its main table, so a resumed
    /// run tells duplicates across the restart; nil where the destination cannot read them back.
    func committedKeys(runID: String, keys: [String]) throws -> KeySet?
}

extension ChunkDestination {
    func committedKeys(runID: String, keys: [String]) throws -> KeySet? { nil }
}

/// Rows for one of a destination's added writers.
struct ExtraRows {
    var writer: Int
    var layout: OutputLayout
    var chunk: ScoredChunk
}
