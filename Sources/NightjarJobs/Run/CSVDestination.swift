import Foundation
import NightjarCore
import NightjarIO

final class CSVDestination: ChunkDestination {
    let path: String
    let store: RunStore
    let layout: OutputLayout
    let lineage: OutputLineage
    var writer: CSVPartitionWriter?

    init(path: String, layout: OutputLayout, lineage: OutputLineage, store: RunStore) {
        self.path = path
        self.layout = layout
        self.lineage = lineage
        self.store = store
    }

    func committed(runID: String, shard: Int?) throws -> [ChunkRecord] { try store.chunks(runID: runID).filter { shard == nil || $0.shard == shard } }

    func isPublished(runID: String) throws -> Bool {
        guard let last = try store.chunks(runID: runID).last, let offset = last.outputOffset else { return false }
        let partial = try CSVPartitionWriter.partialPath(path: path, runID: runID)
        guard !FileManager.default.fileExists(atPath: partial),
              let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int else { return false }
        return Int64(size) == offset  // renamed into place before the process died
    }

    func open(runID: String, resumeAt: Int64?) throws {
        writer = try CSVPartitionWriter(path: path, runID: runID, layout: layout, metadata: lineage.columnValues, resumeAt: resumeAt)
    }

    func commit(_ chunk: ScoredChunk, layout: OutputLayout, keyTypes: [String]?, extras: [ExtraRows], checkpoint: inout ChunkRecord) throws {
        precondition(extras.isEmpty, "a CSV sink has no shadow or split writers")
        checkpoint.outputOffset = try writer!.write(chunk, layout: layout)
        try store.record(checkpoint)
    }

    func addWriter(table: String?, layout: OutputLayout, lineage: OutputLineage) throws -> Int {
        throw ScoreError("a CSV sink cannot hold shadow or split outputs; write to SQLite or PostgreSQL")
    }

    func finish(runID: String, date: String) throws {
        try writer!.finish()
    }

    /// Removes the partial file of an unfinished run before a new run starts over.
    static func abandon(runID: String, path: String) throws {
        unlink(try CSVPartitionWriter.partialPath(path: path, runID: runID))
    }
}
