import MeteringCore

/// Puts messages back in time order within a window (SIP-FORMATS.md:
/// mirrored or merged sources deliver a little out of order). A message is
/// released once the newest time seen is `window` seconds past it.
struct ReorderBuffer {
    private var heap = Heap<ObservedMessage> { a, b in
        a.time != b.time ? a.time < b.time : a.sequence < b.sequence
    }
    private let window: Int64
    private(set) var newest = Timestamp(microseconds: Int64.min)
    private(set) var lastReleased = Timestamp(microseconds: Int64.min)
    /// Messages that arrived after a later one had been seen.
    private(set) var reordered = 0

    init(window: Int64) {
        self.window = window * 1_000_000
    }

    /// Adds a message; returns those now safe to process, in order.
    mutating func add(_ message: ObservedMessage, into out: inout [ObservedMessage]) {
        if message.time < newest { reordered += 1 }
        newest = max(newest, message.time)
        heap.push(message)
        let limit = newest.adding(microseconds: -window)
        while let top = heap.min, top.time <= limit {
            heap.pop()
            out.append(release(top))
        }
    }

    mutating func drain(into out: inout [ObservedMessage]) {
        while let top = heap.pop() { out.append(release(top)) }
    }

    private mutating func release(_ message: ObservedMessage) -> ObservedMessage {
        // Too late even for the window: keep going, in arrival position.
        var m = message
        if m.time < lastReleased { m.time = lastReleased }
        lastReleased = m.time
        return m
    }
}
