import MeteringCore

/// Puts messages back in time order within a window (SIP-FORMATS.md:
/// mirrored or merged sources deliver a little out of order). A message is
/// released once the newest time seen is `window` seconds past it.
///
/// Most input is already in order, so messages sit in one array sorted by
/// (time, arrival): an in-order message is appended, a late one inserted
/// by binary search, and released messages leave from the front.
struct ReorderBuffer {
    /// Released entries are moved out (nil), never copied.
    private var items: [ObservedMessage?] = []
    private var head = 0
    private let window: Int64
    private(set) var newest = Timestamp(microseconds: Int64.min)
    private(set) var lastReleased = Timestamp(microseconds: Int64.min)
    /// Messages that arrived after a later one had been seen.
    private(set) var reordered = 0

    /// The earliest time of a message still held back.
    var earliestHeld: Timestamp? { head < items.count ? time(at: head) : nil }

    /// The time of a held message, read in place (the array's getter would
    /// hand out a retained copy of the whole message).
    private func time(at i: Int) -> Timestamp {
        items.withUnsafeBufferPointer { $0[i]!.time }
    }

    init(windowMs: Int64) {
        self.window = windowMs * 1000
    }

    /// Adds a message; appends those now safe to process, in order.
    mutating func add(_ message: consuming ObservedMessage, into out: inout [ObservedMessage?]) {
        if message.time < newest {
            reordered += 1
            let at = insertionIndex(message)
            items.insert(consume message, at: at)
        } else {
            newest = message.time
            items.append(consume message)
        }
        let limit = newest.adding(microseconds: -window)
        while head < items.count, time(at: head) <= limit {
            out.append(release(items[head].take()!))
            head += 1
        }
        if head >= 4096, head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
    }

    mutating func drain(into out: inout [ObservedMessage?]) {
        while head < items.count {
            out.append(release(items[head].take()!))
            head += 1
        }
        items.removeAll(keepingCapacity: true)
        head = 0
    }

    private func insertionIndex(_ m: ObservedMessage) -> Int {
        var lo = head
        var hi = items.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let (time, sequence) = items.withUnsafeBufferPointer { ($0[mid]!.time, $0[mid]!.sequence) }
            if time < m.time || (time == m.time && sequence < m.sequence) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private mutating func release(_ message: consuming ObservedMessage) -> ObservedMessage {
        // Later than even the window allows: keep its place in arrival
        // order, at the time of what came before it (never backwards).
        var m = consume message
        if m.time < lastReleased { m.time = lastReleased }
        lastReleased = m.time
        return m
    }
}
