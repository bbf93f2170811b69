import MeteringCore

/// Closed records waiting to be written in setup-time order. Calls mostly
/// close in the order they started, so records sit in one sorted array:
/// inserted by binary search near the end, released from the front
/// (moved out, never copied).
struct SetupOrderedRecords {
    private var items: [CallRecord?] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }

    /// The earliest setup time waiting to be released.
    var earliestSetup: Timestamp? { head < items.count ? items[head]!.setupTime : nil }

    mutating func insert(_ record: consuming CallRecord) {
        if head < items.count, Self.less(record, items[items.count - 1]!) {
            var lo = head
            var hi = items.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if Self.less(items[mid]!, record) { lo = mid + 1 } else { hi = mid }
            }
            insertMoving(record, at: lo)
        } else {
            items.append(record)
        }
    }

    /// `items.insert(_:at:)`, with the records after `at` moved up a slot
    /// and `record` moved in: the array's own insert copied `record` in
    /// through a one-element collection, then destroyed the original.
    private mutating func insertMoving(_ record: consuming CallRecord, at index: Int) {
        items.append(nil)
        items.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            // The new last slot holds nil: nothing to destroy before it is overwritten.
            (base + index + 1).moveInitialize(from: base + index, count: buf.count - 1 - index)
            (base + index).initialize(to: record)
        }
    }

    /// Appends to `out`, in order, every record that started before `watermark`.
    mutating func release(before watermark: Timestamp, into out: inout [CallRecord]) {
        while head < items.count, items[head]!.setupTime < watermark {
            out.append(items[head].take()!)
            head += 1
        }
        compact()
    }

    mutating func releaseAll(into out: inout [CallRecord]) {
        while head < items.count {
            out.append(items[head].take()!)
            head += 1
        }
        items.removeAll()
        head = 0
    }

    private mutating func compact() {
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 4096, head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
    }

    private static func less(_ a: CallRecord, _ b: CallRecord) -> Bool {
        a.setupTime != b.setupTime ? a.setupTime < b.setupTime : a.id < b.id
    }
}
