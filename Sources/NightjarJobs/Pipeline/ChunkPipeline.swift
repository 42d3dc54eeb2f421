import Foundation
import NightjarCore
import NightjarIO

/// The one chunk pipeline of `nightjar score`, `run`, `backfill` and shards, as three overlapped
/// stages: read + contract check + encode (`ChunkReader`, on the read thread) → score
/// (`ChunkScorer`, on the calling thread, each chunk spread over the predictor's workers) →
/// commit (`ChunkCommitter`, on the commit thread). Each stage hands one chunk on at a time, so the
/// slowest sets the pace and memory stays at a few chunks whatever the input size.
///
/// A one-off `score` is this pipeline into a destination without checkpoints; a run adds its
/// checkpoints, run record and rejects through the destination and the commit hooks.
struct ChunkPipeline {
    let reader: ChunkReader
    let scorer: ChunkScorer
    let destination: ChunkDestination
    var hooks = ChunkCommitter.Hooks()
    /// Called before each chunk is taken: throws to stop (cancellation, a job's timeout).
    var check: () throws -> Void = {}

    /// Runs every chunk through. Returns what committed — `before` included — and the error that
    /// stopped the pipeline, if one did; every stage has stopped either way.
    func run(before: ChunkCommitter.Counts = ChunkCommitter.Counts()) -> (counts: ChunkCommitter.Counts, error: (any Error)?) {
        let prefetcher = ChunkPrefetcher { batch, matrix in try reader.next(batch: &batch, matrix: &matrix) }
        let committer = ChunkCommitter(destination: destination, counts: before, hooks: hooks) {
            prefetcher.recycle(batch: $0, matrix: $1)
        }
        var failure: (any Error)?
        do {
            var chunkIndex = before.chunks
            var rows = before.rowsRead
            loop: while true {
                try check()
                let item: ChunkPrefetcher.Item
                switch prefetcher.next() {
                case .end: break loop
                case .failure(let error): throw error
                case .chunk(let i): item = i
                }
                try committer.submit(try scorer.score(item, chunkIndex: chunkIndex, rowsBefore: rows))
                chunkIndex += 1
                rows += item.rowsRead
            }
        } catch {
            failure = error
        }
        // The reader first (it may wait for buffers the committer hands back), then the committer.
        prefetcher.stop()
        committer.stop()
        return (committer.counts, failure ?? committer.error)
    }
}
