import Foundation
import NightjarCore
import NightjarIO

/// The pipeline's last stage: commits each scored chunk (its rows, its rejects and its checkpoint)
/// on a thread of its own, in order, while the next chunk is scored. One chunk waits at most
/// (`submit` blocks until the previous one is taken), so memory stays bounded.
///
/// Between `init` and `finish()`/`stop()` the committer owns the run record, the destination and
/// the run store: the calling thread touches none of them.
final class ChunkCommitter: @unchecked Sendable {
    /// Everything one chunk's commit needs, handed over by `ChunkScorer`.
    struct Pending {
        var chunk: ScoredChunk
        var layout: OutputLayout
        var keyTypes: [String]?
        var extras: [ExtraRows]
        var checkpoint: ChunkRecord
        var rejects: [RejectRecord]
        /// Rows read from the source, rejected ones included.
        var rowsRead: Int
        var fraction: Double?
        var started: Date
        /// The read buffers, handed back to the reader once the chunk is committed.
        var batch: TextBatch
        var matrix: FeatureMatrix
    }

    private var record: RunRecord
    private let destination: ChunkDestination
    private let store: RunStore
    private let quality: RunQuality
    private let shard: Shard?
    private let progress: RunProgress?
    private let recycle: (TextBatch, FeatureMatrix) -> Void
    private let delay: Double
    private let queue = StageQueue<Handover<Pending>>()
    private let room = DispatchSemaphore(value: 1)
    private let lock = NSLock()
    private var failure: (any Error)?
    private var thread: StageThread?

    /// - Parameters:
    ///   - record: the run record with the counts of the chunks committed before (a resumed run).
    ///   - recycle: takes a committed chunk's read buffers back (called on the commit thread).
    ///   - delayMilliseconds: a pause after each commit (tests that kill a run mid-way).
    init(record: RunRecord, destination: ChunkDestination, store: RunStore, quality: RunQuality, shard: Shard?,
         progress: RunProgress?, delayMilliseconds: Double, recycle: @escaping (TextBatch, FeatureMatrix) -> Void) {
        self.record = record
        self.destination = destination
        self.store = store
        self.quality = quality
        self.shard = shard
        self.progress = progress
        self.delay = delayMilliseconds
        self.recycle = recycle
        thread = StageThread(name: "nightjar.commit") { [self] in
            while let pending = queue.pop() {
                if currentFailure == nil {
                    do { try commit(pending.value) } catch { fail(error) }
                }
                room.signal()
            }
        }
    }

    private var currentFailure: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    private func fail(_ error: any Error) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
    }

    /// Queues a chunk for commit once the previous one is taken. Throws the error of an earlier
    /// commit, if one failed (the chunk is then not committed).
    func submit(_ pending: Pending) throws {
        if let failure = currentFailure { throw failure }
        room.wait()
        if let failure = currentFailure {
            room.signal()
            throw failure
        }
        queue.push(Handover(value: pending))
    }

    /// The run record with the counts of every committed chunk (read after `stop()`).
    var committedRecord: RunRecord { record }

    /// The error of the commit that failed, if one did (read after `stop()`).
    var error: (any Error)? { currentFailure }

    /// Lets the queued chunks commit and ends the thread (idempotent).
    func stop() {
        queue.close()
        thread?.wait()
        thread = nil
    }

    private func commit(_ pending: Pending) throws {
        var p = pending
        var checkpoint = p.checkpoint
        checkpoint.committedAt = Timestamp.now()
        checkpoint.seconds = Date().timeIntervalSince(p.started)
        let shardIndex = shard?.index ?? 0
        if !p.rejects.isEmpty {
            // Before the chunk commits: a crash in between redoes the chunk, which replaces these.
            try store.replaceRejects(runID: record.runID, shard: shardIndex, chunk: checkpoint.chunk, p.rejects)
        }
        try destination.commit(p.chunk, layout: p.layout, keyTypes: p.keyTypes, extras: p.extras, checkpoint: &checkpoint)
        // The buffers go back to the reader with no other reference left to them (no copy on reuse).
        p.chunk.batch = TextBatch(columnCount: 0)
        p.extras = []
        var batch = TextBatch(columnCount: 0), matrix = FeatureMatrix(rows: 0, features: 0)
        swap(&batch, &p.batch)
        swap(&matrix, &p.matrix)
        recycle(batch, matrix)

        record.chunks += 1
        record.rowsRead += p.rowsRead
        record.rowsRejected += checkpoint.rowsRejected
        record.rowsScored = record.rowsRead - record.rowsRejected
        record.rowsWritten = record.rowsScored
        if let shard {
            try store.updateShard(ShardRecord(runID: record.runID, shard: shard.index, shards: shard.count, status: .running,
                                              rows: record.rowsRead, chunks: record.chunks, host: Host.name, pid: Int(getpid()),
                                              startedAt: record.startedAt))
        } else {
            try store.update(record)
        }
        progress?.update(runID: record.runID, chunk: record.chunks, rows: record.rowsRead, fraction: p.fraction)
        try quality.checkRejects(rejected: record.rowsRejected, read: record.rowsRead, final: false, store: store, runID: record.runID)
        if delay > 0 { Thread.sleep(forTimeInterval: delay / 1000) }
    }
}
