import Foundation
import NightjarCore
import NightjarIO

/// Reads and encodes the next chunks of a run on its own thread while the current chunk is scored
/// and committed, so that reading (CSV parsing, PostgreSQL fetches) overlaps scoring and writing.
/// At most `depth` chunks are read ahead (one by default: two chunks in memory), so memory stays bounded.
final class ChunkPrefetcher: @unchecked Sendable {
    struct Item {
        var batch: TextBatch
        var matrix: FeatureMatrix
        var checkpoint: ChunkRecord
        var layout: OutputLayout
        var keyTypes: [String]?
        var fraction: Double?
        var started: Date
        /// Rows read from the source, rejected ones included (the batch holds the others).
        var rowsRead: Int = 0
        var screened = RunQuality.Screened()
        /// Matrices of the shadow challengers that do not share the champion's features (nil: they do).
        var challengerMatrices: [FeatureMatrix?] = []
        /// A split: which rows the challenger scores, and their features.
        var splitMask: [Bool]? = nil
        var splitMatrix: FeatureMatrix? = nil
    }

    enum Next {
        case chunk(Item)
        case failure(Error)
        case end
    }

    private let queue = StageQueue<Next>()
    /// Buffers of chunks already committed, handed back for the next reads.
    private let spares = StageQueue<(TextBatch, FeatureMatrix)>()
    private let slots: DispatchSemaphore
    private let stopped = Cancellation()
    private var thread: StageThread?

    /// - Parameters:
    ///   - prepare: reads the next chunk into an item (nil at the end), reusing the spare buffers it
    ///     is given; runs on the prefetch thread.
    init(depth: Int = 1, prepare: @escaping (inout TextBatch, inout FeatureMatrix) throws -> Item?) {
        // Created at 0 and raised to `depth`: libdispatch traps when a semaphore is released with a
        // value below the one it was created with.
        slots = DispatchSemaphore(value: 0)
        for _ in 0..<depth { slots.signal() }
        let box = Handover(value: prepare)
        thread = StageThread(name: "nightjar.read") { [queue, slots, stopped, spares] in
            while true {
                slots.wait()
                if stopped.requested != nil { break }
                do {
                    var (batch, matrix) = spares.tryPop() ?? (TextBatch(columnCount: 0), FeatureMatrix(rows: 0, features: 0))
                    guard let item = try box.value(&batch, &matrix) else {
                        queue.push(.end)
                        break
                    }
                    guard queue.push(.chunk(item)) else { break }
                } catch {
                    queue.push(.failure(error))
                    break
                }
            }
            queue.close()
        }
    }

    /// The next chunk, in order.
    func next() -> Next {
        let n = queue.pop() ?? .end
        slots.signal()
        return n
    }

    /// Hands a committed chunk's buffers back for reuse.
    func recycle(batch: TextBatch, matrix: FeatureMatrix) {
        spares.push((batch, matrix))
    }

    /// Stops reading ahead and waits for the thread (before the source is closed).
    func stop() {
        stopped.cancel(signal: 0)
        queue.close()
        spares.close()
        slots.signal()
        thread?.wait()
        thread = nil
    }
}
