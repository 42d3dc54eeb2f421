import Foundation
import NightjarCore
import NightjarIO

/// The pipeline's last stage: commits each scored chunk (its rows and checkpoint) on a thread of
/// its own, in order, while the next chunk is scored. One chunk waits at most (`submit` blocks
/// until the previous one is taken), so memory stays bounded.
///
/// Between `init` and `stop()` the committer owns the destination, and its hooks run on its
/// thread: the calling thread touches neither.
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

    /// What has been committed: the chunks committed before this process (a resumed run) included.
    struct Counts: Sendable {
        var chunks = 0
        var rowsRead = 0
        var rowsRejected = 0
        var rowsWritten: Int { rowsRead - rowsRejected }
    }

    /// Called on the commit thread: before a chunk's transaction (its rejects go first: a crash in
    /// between redoes the chunk, which replaces them), and after it with the new counts.
    struct Hooks {
        var willCommit: (Pending, ChunkRecord) throws -> Void = { _, _ in }
        var didCommit: (Counts, Pending, ChunkRecord) throws -> Void = { _, _, _ in }
    }

    private(set) var counts: Counts
    private let destination: ChunkDestination
    private let hooks: Hooks
    private let recycle: (TextBatch, FeatureMatrix) -> Void
    private let queue = StageQueue<Handover<Pending>>()
    private let room = DispatchSemaphore(value: 1)
    private let lock = NSLock()
    private var failure: (any Error)?
    private var thread: StageThread?

    /// - Parameters:
    ///   - counts: the chunks committed before (a resumed run).
    ///   - recycle: takes a committed chunk's read buffers back (called on the commit thread).
    init(destination: ChunkDestination, counts: Counts = Counts(), hooks: Hooks = Hooks(),
         recycle: @escaping (TextBatch, FeatureMatrix) -> Void) {
        self.destination = destination
        self.counts = counts
        self.hooks = hooks
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
        try hooks.willCommit(p, checkpoint)
        try destination.commit(p.chunk, layout: p.layout, keyTypes: p.keyTypes, extras: p.extras, checkpoint: &checkpoint)
        // The buffers go back to the reader with no other reference left to them (no copy on reuse).
        p.chunk.batch = TextBatch(columnCount: 0)
        p.extras = []
        var batch = TextBatch(columnCount: 0), matrix = FeatureMatrix(rows: 0, features: 0)
        swap(&batch, &p.batch)
        swap(&matrix, &p.matrix)
        recycle(batch, matrix)
        counts.chunks += 1
        counts.rowsRead += p.rowsRead
        counts.rowsRejected += checkpoint.rowsRejected
        try hooks.didCommit(counts, p, checkpoint)
    }
}
