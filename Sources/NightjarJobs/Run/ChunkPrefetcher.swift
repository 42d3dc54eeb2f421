import Foundation
import NightjarCore
import NightjarIO

/// Reads and encodes the next chunks of a run on its own thread while the current chunk is scored
/// and committed, so that reading (CSV parsing, PostgreSQL fetches) overlaps scoring and writing.
/// At most `depth` chunks are read ahead, so memory stays bounded.
final class ChunkPrefetcher: @unchecked Sendable {
    struct Item {
        var batch: TextBatch
        var matrix: FeatureMatrix
        var checkpoint: ChunkRecord
        var layout: OutputLayout
        var keyTypes: [String]?
        var fraction: Double?
        var started: Date
    }

    enum Next {
        case chunk(Item)
        case failure(Error)
        case end
    }

    private let queue = StageQueue<Next>()
    private let slots: DispatchSemaphore
    private let stopped = Cancellation()
    private var thread: StageThread?

    /// - Parameters:
    ///   - prepare: reads the next chunk into an item (nil at the end); runs on the prefetch thread.
    init(depth: Int = 2, prepare: @escaping () throws -> Item?) {
        // Created at 0 and raised to `depth`: libdispatch traps when a semaphore is released with a
        // value below the one it was created with.
        slots = DispatchSemaphore(value: 0)
        for _ in 0..<depth { slots.signal() }
        let box = Handover(value: prepare)
        thread = StageThread(name: "nightjar.read") { [queue, slots, stopped] in
            while true {
                slots.wait()
                if stopped.requested != nil { break }
                do {
                    guard let item = try box.value() else {
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

    /// Stops reading ahead and waits for the thread (before the source is closed).
    func stop() {
        stopped.cancel(signal: 0)
        queue.close()
        slots.signal()
        thread?.wait()
        thread = nil
    }
}
