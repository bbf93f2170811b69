public import MeteringCore
import SIPParsing

/// Correlates SIP messages, in time order, into call records (DESIGN.md).
/// A value-type state machine: time comes only from the messages and from
/// `advance(to:)`; it performs no I/O. Each call's own transitions live in
/// `CallState`; the tracker finds the call, keeps the clock and closes
/// calls at their deadlines.
public struct CallTracker {
    public struct Counters: Sendable, Equatable {
        public var calls = 0
        public var retransmissions = 0
        /// Messages for no call this tracker knows (in-dialog requests or
        /// responses whose INVITE was not seen, REGISTER, OPTIONS, …).
        public var unrelated = 0
        /// Messages that arrived for a call already closed (a late 200 to
        /// a BYE, an ACK): expected, not counted as unrelated.
        public var late = 0
    }

    /// What is remembered of a closed call (RFC 3261 §17: retransmissions
    /// can trail a transaction by 64·T1).
    private struct Closed {
        var fromTag: Token
        var highestInviteCSeq: UInt32
        var until: Timestamp
    }

    let settings: CorrelationSettings
    private let matcher: ProfileMatcher
    /// Open calls live in slots, found by Call-ID, and change in place.
    private var index: [CallKey: Int] = [:]
    private var slots: [CallState?] = []
    /// Bumped each time a slot is emptied (see `TimedCall`).
    private var generations: [UInt32] = []
    private var freeSlots: [Int] = []
    private var deadlines = Heap<TimedCall>()
    private var openSetups = Heap<TimedCall>()
    private var closed: [CallKey: Closed] = [:]
    private var closedOrder: [(CallKey, Timestamp)] = []
    private var closedHead = 0
    public private(set) var counters = Counters()
    public private(set) var now = Timestamp(microseconds: Int64.min)

    public init(settings: CorrelationSettings = .init(), profiles: [SIPProfile] = []) {
        self.settings = settings
        self.matcher = ProfileMatcher(profiles: profiles)
    }

    public var openCount: Int { index.count }

    /// An open call that has been answered, as a live call event describes it.
    public struct AnsweredCall: Sendable, Hashable {
        public var id: String
        public var profile: String?
        public var callID: String
        public var callee: String
        public var answerTime: Timestamp
    }

    /// Where a call stands for live call events.
    public enum LiveState: Sendable, Equatable {
        /// Not open yet (its INVITE may still be in the reorder window), or
        /// open and not answered.
        case pending
        /// Answered and still up: the event to send (its record id is the
        /// one the final record will carry).
        case answered(AnsweredCall)
        /// Ended (BYE seen, or failed) or closed: it holds no channel, and
        /// its record follows; an event would only announce a call that is
        /// already over.
        case over
    }

    public func liveState(callID: String) -> LiveState {
        let key = CallKey(callID)
        guard let slot = index[key], let call = slots[slot] else {
            return closed[key] != nil ? .over : .pending
        }
        if call.endTime != nil || call.phase == .ended { return .over }
        guard let answer = call.answerTime else { return .pending }
        return .answered(
            AnsweredCall(
                id: CallRecord.makeID(
                    profile: call.profile, callID: call.callID, fromTag: call.fromTag, setupTime: call.setupTime),
                profile: call.profile, callID: call.callID, callee: call.callee, answerTime: answer))
    }

    /// Handles one message; closed calls are appended to `out`.
    public mutating func handle(_ observed: ObservedMessage, into out: inout [CallRecord]) {
        advance(to: observed.time, into: &out)
        route(observed, observed.message, into: &out)
    }

    /// `m` is `observed`'s message, borrowed: no step copies it.
    private mutating func route(_ observed: ObservedMessage, _ m: SIPMessage, into out: inout [CallRecord]) {
        if case .request(.invite, _, _) = m.startLine, m.toTag == nil {
            initialInvite(observed, m, into: &out)
            return
        }
        guard let slot = index[observed.callKey] else {
            if let gone = closed[observed.callKey], gone.until > now { counters.late += 1 } else { counters.unrelated += 1 }
            return
        }
        let call = slots[slot]!
        if call.apply(observed, m) {
            schedule(slot, call)
        } else {
            counters.retransmissions += 1
        }
    }

    /// Closes every call whose deadline is at or before `time`.
    public mutating func advance(to time: Timestamp, into out: inout [CallRecord]) {
        if time > now { now = time }
        while let next = deadlines.min, next.time <= now {
            deadlines.pop()
            let slot = Int(next.slot)
            guard generations[slot] == next.generation, let call = slots[slot], call.scheduled == next.time else { continue }
            let deadline = call.deadline
            if deadline > now {
                // The call's bound moved later since this entry was pushed.
                call.scheduled = deadline
                deadlines.push(TimedCall(time: deadline, slot: next.slot, generation: next.generation))
                continue
            }
            out.append(retire(remove(slot), at: deadline, endOfInput: false))
        }
        while closedHead < closedOrder.count, closedOrder[closedHead].1 <= now {
            let (key, until) = closedOrder[closedHead]
            if closed[key]?.until == until { closed[key] = nil }
            closedHead += 1
        }
        if closedHead >= 4096, closedHead * 2 >= closedOrder.count {
            closedOrder.removeFirst(closedHead)
            closedHead = 0
        }
    }

    /// Closes all calls at the end of the input.
    public mutating func finish(into out: inout [CallRecord]) {
        let remaining = slots.compactMap { $0 }
            .sorted { $0.setupTime != $1.setupTime ? $0.setupTime < $1.setupTime : $0.callID < $1.callID }
        index.removeAll()
        slots.removeAll()
        generations.removeAll()
        freeSlots.removeAll()
        deadlines = Heap()
        openSetups = Heap()
        for call in remaining {
            let endOfInput = call.deadline > now
            out.append(close(call, at: min(call.deadline, now), endOfInput: endOfInput))
        }
        closed.removeAll()
        closedOrder.removeAll()
        closedHead = 0
    }

    /// Entries in the two heaps (for tests: bounded by the calls open).
    var heapEntries: Int { deadlines.count + openSetups.count }

    /// The earliest setup time among calls still open, if any.
    public mutating func earliestOpenSetup() -> Timestamp? {
        while let top = openSetups.min {
            if generations[Int(top.slot)] == top.generation, slots[Int(top.slot)]?.setupTime == top.time { return top.time }
            openSetups.pop()
        }
        return nil
    }

    // MARK: - Calls

    private mutating func initialInvite(_ observed: ObservedMessage, _ m: SIPMessage, into out: inout [CallRecord]) {
        if let slot = index[observed.callKey] {
            let call = slots[slot]!
            if observed.tokens.fromTag == call.fromTagToken {
                if call.repeatedInvite(observed, m) {
                    schedule(slot, call)
                } else {
                    counters.retransmissions += 1
                }
                return
            }
            // A different caller reuses the Call-ID: the old call is over.
            let old = remove(slot)
            out.append(retire(old, at: old.endTime ?? old.lastActivity, endOfInput: false))
        } else if let gone = closed[observed.callKey], gone.until > now, gone.fromTag == observed.tokens.fromTag,
            m.cseq <= gone.highestInviteCSeq
        {
            // A retransmission of an INVITE whose call is already closed.
            counters.retransmissions += 1
            return
        }
        let hosts = [observed.sourceHost, observed.destinationHost].compactMap { $0 }
        let (profile, direction) = matcher.match(
            fromUser: m.fromUser, assertedUser: m.assertedUser, requestUser: m.requestUser, toUser: m.toUser, hosts: hosts
        )
        let call = CallState(
            invite: observed, caller: m.fromUser ?? "", callee: m.requestUser ?? m.toUser ?? "", profile: profile,
            direction: direction, settings: settings
        )
        call.seenRequests.insert(CallState.RequestKey(branch: observed.tokens.branchOrEmpty, method: .invite, cseq: m.cseq))
        if observed.truncated { call.flags.insert(.truncated) }
        if observed.timeMissing { call.flags.insert(.noTimestamp) }
        counters.calls += 1
        let slot = insert(call)
        openSetups.push(TimedCall(time: call.setupTime, slot: Int32(slot), generation: generations[slot]))
        schedule(slot, call)
        compactHeaps()
    }

    /// Both heaps drop an entry lazily, when it reaches the top: one whose
    /// call closed, or (deadlines) whose bound moved. Most calls leave such
    /// an entry behind (the INVITE's setup timeout, minutes away), so at
    /// thousands of calls a second the heaps grew to every call of those
    /// minutes, mostly stale. Past twice the calls open (plus a margin),
    /// the stale entries go at once: each heap then holds about one entry
    /// per open call, and this costs O(1) per call amortised.
    private mutating func compactHeaps() {
        let open = slots.count - freeSlots.count
        let limit = 2 * open + 4096
        guard deadlines.count > limit || openSetups.count > limit else { return }
        // Read through copies (no copying: the arrays are shared until the
        // next write, after this returns) while the heaps are written.
        let generations = self.generations
        let slots = self.slots
        if deadlines.count > limit {
            deadlines.removeAll { entry in
                let slot = Int(entry.slot)
                return generations[slot] != entry.generation || slots[slot]?.scheduled != entry.time
            }
        }
        if openSetups.count > limit {
            openSetups.removeAll { entry in
                let slot = Int(entry.slot)
                return generations[slot] != entry.generation || slots[slot]?.setupTime != entry.time
            }
        }
    }

    private mutating func insert(_ call: CallState) -> Int {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = call
        } else {
            slot = slots.count
            slots.append(call)
            generations.append(0)
        }
        index[call.key] = slot
        return slot
    }

    private mutating func remove(_ slot: Int) -> CallState {
        let call = slots[slot].take()!
        generations[slot] &+= 1
        index[call.key] = nil
        freeSlots.append(slot)
        return call
    }

    /// Closes a call and remembers its Call-ID for a while.
    /// Retransmissions trail the call's last message by at most 64·T1, so
    /// the memory runs from that message, not from when the close was
    /// noticed: a call closed by a timeout long after its last message is
    /// not remembered at all, and a new call that reuses its Call-ID (SIPp
    /// restarted with the same pid, in a container) is a new call.
    private mutating func retire(_ call: CallState, at time: Timestamp, endOfInput: Bool) -> CallRecord {
        let until = call.lastActivity.adding(seconds: settings.retransmissionMemory)
        if until > now {
            var highest: UInt32 = 0
            for key in call.seenRequests where key.method == .invite { highest = max(highest, key.cseq) }
            closed[call.key] = Closed(fromTag: call.fromTagToken, highestInviteCSeq: highest, until: until)
            closedOrder.append((call.key, until))
        }
        return close(call, at: time, endOfInput: endOfInput)
    }

    /// One heap entry per call at a time, unless the bound moves earlier;
    /// a bound that moves later is re-pushed when the old one is reached.
    private mutating func schedule(_ slot: Int, _ call: CallState) {
        let deadline = call.nextDeadline(settings)
        call.deadline = deadline
        if deadline < call.scheduled {
            call.scheduled = deadline
            deadlines.push(TimedCall(time: deadline, slot: Int32(slot), generation: generations[slot]))
        }
    }
}
