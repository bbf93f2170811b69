import MeteringCore

/// A binary min-heap.
struct Heap<Element: Comparable> {
    private var items: [Element] = []

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var min: Element? { items.first }

    mutating func push(_ element: Element) {
        items.append(element)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i] < items[parent] else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    @discardableResult
    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        siftDown(0)
        return top
    }

    /// Drops the elements `isStale` picks and restores heap order (Floyd's
    /// bottom-up heapify, O(n)).
    mutating func removeAll(where isStale: (Element) -> Bool) {
        items.removeAll(where: isStale)
        var i = items.count / 2 - 1
        while i >= 0 {
            siftDown(i)
            i -= 1
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var smallest = i
            if l < items.count, items[l] < items[smallest] { smallest = l }
            if r < items.count, items[r] < items[smallest] { smallest = r }
            if smallest == i { break }
            items.swapAt(i, smallest)
            i = smallest
        }
    }
}

/// A call's slot keyed by a time (a deadline, a setup time). The slot's
/// generation tells whether the slot still holds the same call: plain
/// integers, so the heaps never hash or retain a Call-ID.
struct TimedCall: Comparable {
    var time: Timestamp
    var slot: Int32
    var generation: UInt32

    static func < (a: TimedCall, b: TimedCall) -> Bool { a.time < b.time }
}
