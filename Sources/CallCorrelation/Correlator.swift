public import MeteringCore

/// The whole correlation stage: reorder window → call tracker → records in
/// setup-time order. Streaming: a record is released as soon as no open or
/// future call can start before it, so memory stays bounded by the calls
/// in flight, and output is the same however the input was chunked.
public struct Correlator {
    private var reorder: ReorderBuffer
    public private(set) var tracker: CallTracker
    private var ready = SetupOrderedRecords()
    /// Optional so that each is moved out to the tracker: one lent from
    /// the array's memory was copied first (the compiler cannot tell that
    /// the tracker leaves that memory alone).
    private var released: [ObservedMessage?] = []
    private var closed: [CallRecord] = []

    public init(settings: CorrelationSettings = .init(), profiles: [SIPProfile] = []) {
        reorder = ReorderBuffer(windowMs: settings.reorderWindowMs)
        tracker = CallTracker(settings: settings, profiles: profiles)
    }

    public var reorderedMessages: Int { reorder.reordered }

    /// Adds one message; appends records that are final and in order.
    public mutating func add(_ message: consuming ObservedMessage, into out: inout [CallRecord]) {
        reorder.add(consume message, into: &released)
        guard !released.isEmpty else { return }
        handleReleased()
        flush(into: &out)
    }

    /// Hands the released messages to the tracker, each moved out.
    private mutating func handleReleased() {
        for i in released.indices { tracker.handle(released[i].take()!, into: &closed) }
        released.removeAll(keepingCapacity: true)
    }

    /// Moves the closed records into the ordered queue, in closing order.
    private mutating func queueClosed() {
        // Reversed through a buffer pointer, whose swaps move the records;
        // the array's own swaps copied each one (a dozen retains).
        closed.withUnsafeMutableBufferPointer { $0.reverse() }
        while let r = closed.popLast() { ready.insert(r) }
    }

    /// Moves time forward with no message (a live source gone quiet):
    /// calls whose bounds have passed are closed and released.
    public mutating func advance(to time: Timestamp, into out: inout [CallRecord]) {
        reorder.drain(into: &released)
        handleReleased()
        tracker.advance(to: time, into: &closed)
        release(watermark: time, into: &out)
    }

    /// The earliest time whose messages still matter: the setup of a call
    /// still open, of a record not yet released, or a message held back for
    /// reordering. Replaying the input from the first message at or before
    /// this time rebuilds everything not yet released (a follower's resume
    /// point after a restart); nil when nothing is pending.
    public mutating func pendingSince() -> Timestamp? {
        var candidates: [Timestamp] = []
        for m in released { if let m { candidates.append(m.time) } }
        if let t = tracker.earliestOpenSetup() { candidates.append(t) }
        if let t = ready.earliestSetup { candidates.append(t) }
        for r in closed { candidates.append(r.setupTime) }
        if let t = reorder.earliestHeld { candidates.append(t) }
        return candidates.min()
    }

    /// Ends the input: every open call is closed and every record released.
    public mutating func finish(into out: inout [CallRecord]) {
        reorder.drain(into: &released)
        handleReleased()
        tracker.finish(into: &closed)
        queueClosed()
        ready.releaseAll(into: &out)
    }

    private mutating func flush(into out: inout [CallRecord]) {
        release(watermark: reorder.lastReleased, into: &out)
    }

    /// Releases records that no open or future call can precede.
    private mutating func release(watermark limit: Timestamp, into out: inout [CallRecord]) {
        queueClosed()
        guard !ready.isEmpty else { return }
        var watermark = limit
        if let open = tracker.earliestOpenSetup(), open < watermark { watermark = open }
        ready.release(before: watermark, into: &out)
    }
}
