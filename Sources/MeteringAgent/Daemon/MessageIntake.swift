public import CallCorrelation
public import MeteringCore
public import SIPCapture
internal import SIPParsing
internal import Dispatch

/// Disjoint slots written from `concurrentPerform` (each index by one thread).
private struct UncheckedBuffer<Element>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Element>
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}

/// A live source's correlation: captured messages are parsed and
/// correlated; when the source goes quiet, time moves on by its own clock
/// extrapolated by the wall clock, so calls whose bounds passed close.
struct MessageIntake {
    private var correlator: Correlator
    let settings: CorrelationSettings
    private var sequence = 0
    private var lastMessage: (time: Timestamp, wall: Timestamp)?
    private(set) var messages = 0
    private(set) var malformed = 0
    /// Answered calls not yet reported as live call events.
    private(set) var events: [CallTracker.AnsweredCall] = []
    /// Record ids already reported, until their record is released.
    private var reported: Set<String> = []
    /// Call-IDs with a 2xx to an INVITE not yet seen answered by the tracker.
    private var answeredCallIDs: Set<String> = []
    /// A network source keeps each message it correlates in the spool's
    /// journal until no open call needs it (see `JournalUpdate`).
    private var journaling: Bool
    private var journalSeq: Int64 = 0
    private var journalAppend: [(seq: Int64, message: CapturedMessage)] = []

    /// Whether a profile names hosts: only then does a message carry its
    /// addresses as text (two strings made per message otherwise unused).
    let needsHosts: Bool

    init(settings: CorrelationSettings, profiles: [SIPProfile], journaling: Bool = false) {
        self.settings = settings
        self.needsHosts = profiles.contains { !$0.hosts.isEmpty }
        self.journaling = journaling
        self.correlator = Correlator(settings: settings, profiles: profiles)
        SIPParser.initialize()
    }

    /// Parses and correlates one message; false when it is malformed.
    mutating func take(_ captured: CapturedMessage, now: Timestamp, into records: inout [CallRecord]) -> Bool {
        take(captured, observed: Self.observe(captured, needsHosts: needsHosts), now: now, into: &records)
    }

    /// Parses a message and makes it ready for the correlator (its Call-ID
    /// and tags hashed), on whatever thread calls it; `take` numbers it.
    static func observe(_ captured: CapturedMessage, needsHosts: Bool) -> ObservedMessage? {
        var error = SIPParseError.malformed(code: -2)
        return captured.bytes.withUnsafeBytes {
            ParsePipeline.observe($0, of: captured, needsHosts: needsHosts, error: &error)
        }
    }

    /// libosip2 on the machine's cores at once (it is thread-safe once set
    /// up; `threads: 1` parses on the calling thread): a poll's messages are
    /// parsed (`observe`) in parallel, then correlated in order by
    /// `take(_:observed:now:into:)`.
    static func parseAll(_ messages: [CapturedMessage], needsHosts: Bool, threads: Int = 2) -> [ObservedMessage?] {
        guard threads > 1, messages.count >= 256 else { return messages.map { observe($0, needsHosts: needsHosts) } }
        var out = [ObservedMessage?](repeating: nil, count: messages.count)
        // In runs of 128, handed out as threads come free: when the other
        // core is busy (the shipper, a collector on the same host), the
        // calling thread parses on instead of waiting for a fixed half.
        let run = 128
        let runs = (messages.count + run - 1) / run
        out.withUnsafeMutableBufferPointer { slots in
            let results = UncheckedBuffer(slots)
            DispatchQueue.concurrentPerform(iterations: runs) { r in
                for i in (r * run)..<min(messages.count, (r + 1) * run) {
                    results.buffer[i] = observe(messages[i], needsHosts: needsHosts)
                }
            }
        }
        return out
    }

    /// Correlates a message made by `observe`/`parseAll` (nil: malformed).
    mutating func take(
        _ captured: CapturedMessage, observed: consuming ObservedMessage?, now: Timestamp,
        into records: inout [CallRecord]
    ) -> Bool {
        guard var observed = consume observed else {
            malformed += 1
            return false
        }
        observed.sequence = sequence
        sequence += 1
        messages += 1
        if journaling {
            journalSeq += 1
            journalAppend.append((journalSeq, captured))
        }
        var answeredCallID: String?
        if case .response(let status, _) = observed.message.startLine, (200..<300).contains(status),
            observed.message.cseqMethod == .invite
        {
            answeredCallID = observed.message.callID
        }
        let before = records.count
        correlator.add(consume observed, into: &records)
        lastMessage = (captured.time, now)
        if let callID = answeredCallID {
            // The tracker sees it once the reorder window lets it go.
            answeredCallIDs.insert(callID)
        }
        forget(records[before...])
        return true
    }

    /// No message this round: move the source's clock on.
    mutating func quiet(now: Timestamp, into records: inout [CallRecord]) {
        guard let last = lastMessage else { return }
        let before = records.count
        correlator.advance(to: last.time.adding(microseconds: now.microseconds - last.wall.microseconds), into: &records)
        forget(records[before...])
    }

    private mutating func collectEvents() {
        guard !answeredCallIDs.isEmpty else { return }
        for callID in answeredCallIDs {
            switch correlator.tracker.liveState(callID: callID) {
            case .pending:
                continue
            case .over:
                // Its BYE came in the same poll: the record says it all.
                answeredCallIDs.remove(callID)
            case .answered(let call):
                answeredCallIDs.remove(callID)
                if call.profile != nil, reported.insert(call.id).inserted { events.append(call) }
            }
        }
        // Bounded: a 2xx for a call the tracker never opens is not kept forever.
        if answeredCallIDs.count > 10_000 { answeredCallIDs.removeAll() }
    }

    /// Hands over the live call events gathered since the last call.
    mutating func takeEvents() -> [CallTracker.AnsweredCall] {
        // Once per poll, not per message: the candidates can number thousands.
        collectEvents()
        defer { events.removeAll() }
        return events
    }

    /// A released record supersedes its event: stop remembering it.
    private mutating func forget(_ released: ArraySlice<CallRecord>) {
        guard !reported.isEmpty else { return }
        for r in released { reported.remove(r.id) }
    }

    /// What to add to and keep in the journal since the last call; nil for
    /// a source that keeps none.
    mutating func takeJournal() -> JournalUpdate? {
        guard journaling else { return nil }
        defer { journalAppend.removeAll() }
        return JournalUpdate(append: journalAppend, keepFrom: resumeThreshold())
    }

    /// Rebuilds the calls that were open when the agent stopped, from the
    /// journal; records they close come out again with their own ids (the
    /// spool and the collector drop those already seen).
    mutating func replay(_ journal: [(seq: Int64, message: CapturedMessage)], now: Timestamp, into records: inout [CallRecord]) {
        let wasJournaling = journaling
        journaling = false
        for (seq, message) in journal {
            _ = take(message, now: now, into: &records)
            journalSeq = max(journalSeq, seq)
        }
        journaling = wasJournaling
    }

    /// Messages from this time on still matter (see `Correlator.pendingSince`),
    /// with the reorder window's margin.
    mutating func resumeThreshold() -> Timestamp? {
        correlator.pendingSince()?.adding(microseconds: -settings.reorderWindowMs * 1000)
    }
}

/// A source the daemon polls: text logs, a capture directory, HEP, live capture.
public protocol SourceFollower: AnyObject {
    var name: String { get }
    var messages: Int { get }
    var malformed: Int { get }
    var bytesRead: Int64 { get }
    /// The last poll stopped at its read limit: poll again without waiting.
    var moreWaiting: Bool { get }
    func poll(now: Timestamp) -> (records: [CallRecord], checkpoints: [Checkpoint])
    /// Calls answered since the last call (live call events).
    func takeEvents() -> [CallTracker.AnsweredCall]
    /// The journal change to commit with the last poll's records (network
    /// sources only).
    func takeJournal() -> JournalUpdate?
    /// Replays a network source's journal at start.
    func restore(journal: [(seq: Int64, message: CapturedMessage)])
}

extension SourceFollower {
    public func takeJournal() -> JournalUpdate? { nil }
    public func restore(journal: [(seq: Int64, message: CapturedMessage)]) {}
}
