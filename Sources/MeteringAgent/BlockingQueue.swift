import Foundation

/// A bounded FIFO between threads: `put` waits while full, `take` waits
/// while empty, and returns nil once closed and drained.
final class BlockingQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private let capacity: Int
    private var closed = false

    init(capacity: Int) {
        self.capacity = capacity
    }

    func put(_ item: Element) {
        condition.lock()
        while items.count - head >= capacity, !closed { condition.wait() }
        items.append(item)
        condition.broadcast()
        condition.unlock()
    }

    func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count, !closed { condition.wait() }
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head > 64, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return item
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Results that finish out of order, handed out strictly by index.
/// Bounded: a producer ahead of the consumer by `window` items waits.
final class OrderedSlots<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var slots: [Int: Element] = [:]
    private var next = 0
    private var total: Int?
    private let window: Int

    init(window: Int) {
        self.window = window
    }

    func put(_ index: Int, _ item: Element) {
        condition.lock()
        while index >= next + window { condition.wait() }
        slots[index] = item
        condition.broadcast()
        condition.unlock()
    }

    /// Declares how many items there will be in all.
    func finish(total: Int) {
        condition.lock()
        self.total = total
        condition.broadcast()
        condition.unlock()
    }

    func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while slots[next] == nil {
            if let total, next >= total { return nil }
            condition.wait()
        }
        let item = slots.removeValue(forKey: next)
        next += 1
        condition.broadcast()
        return item
    }
}
