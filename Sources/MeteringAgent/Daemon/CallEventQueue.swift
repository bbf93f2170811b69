public import CallCorrelation
internal import Synchronization

/// Live call events waiting to be sent. Bounded: the final record carries
/// everything an event does, so an overflow drops events (counted), never
/// records.
public final class CallEventQueue: Sendable {
    private let state = Mutex<(events: [CallTracker.AnsweredCall], dropped: Int)>(([], 0))
    let capacity: Int

    public init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func add(_ events: [CallTracker.AnsweredCall]) {
        guard !events.isEmpty else { return }
        state.withLock { s in
            let room = max(0, capacity - s.events.count)
            s.events.append(contentsOf: events.prefix(room))
            s.dropped += max(0, events.count - room)
        }
    }

    /// Up to `limit` events, oldest first.
    func take(limit: Int) -> [CallTracker.AnsweredCall] {
        state.withLock { s in
            let batch = Array(s.events.prefix(limit))
            s.events.removeFirst(batch.count)
            return batch
        }
    }

    /// Puts a batch that could not be sent back in front.
    func putBack(_ events: [CallTracker.AnsweredCall]) {
        state.withLock { s in
            let room = max(0, capacity - s.events.count)
            s.events.insert(contentsOf: events.prefix(room), at: 0)
            s.dropped += max(0, events.count - room)
        }
    }

    public var dropped: Int { state.withLock { $0.dropped } }
}
