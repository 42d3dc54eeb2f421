import Foundation

/// A blocking first-in first-out hand-over between pipeline stages running on their own threads.
/// `close()` wakes every waiter: `push` then refuses and `pop` returns what is left, then nil.
final class StageQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var closed = false

    /// False when the queue is closed (the element is dropped).
    @discardableResult
    func push(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        items.append(item)
        condition.signal()
        return true
    }

    /// The next element; nil once the queue is closed and empty.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        return items.isEmpty ? nil : items.removeFirst()
    }

    /// The next element if one is waiting, without blocking.
    func tryPop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        return items.isEmpty ? nil : items.removeFirst()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// A thread running one stage, joined with `wait()`.
final class StageThread: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)

    init(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [done] in
            body()
            done.signal()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    func wait() { done.wait() }
}

/// Moves a value that one thread hands to another, never sharing it (the pipeline's stages own
/// their buffers in turn).
struct Handover<T>: @unchecked Sendable {
    var value: T
}
