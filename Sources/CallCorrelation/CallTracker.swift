public import MeteringCore
import SIPParsing

/// Correlates SIP messages, in time order, into call records (DESIGN.md).
/// A value-type state machine: time comes only from the messages and from
/// `advance(to:)`; it performs no I/O.
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
        var fromTag: String
        var highestInviteCSeq: UInt32
        var until: Timestamp
    }

    let settings: CorrelationSettings
    private let matcher: ProfileMatcher
    var calls: [String: CallState] = [:]
    private var deadlines = Heap<TimedCall>()
    private var closed: [String: Closed] = [:]
    private var closedOrder: [(String, Timestamp)] = []
    private var closedHead = 0
    public private(set) var counters = Counters()
    public private(set) var now = Timestamp(microseconds: Int64.min)

    public init(settings: CorrelationSettings = .init(), profiles: [SIPProfile] = []) {
        self.settings = settings
        self.matcher = ProfileMatcher(profiles: profiles)
    }

    public var openCount: Int { calls.count }

    /// Handles one message; closed calls are appended to `out`.
    public mutating func handle(_ observed: ObservedMessage, into out: inout [CallRecord]) {
        advance(to: observed.time, into: &out)
        let m = observed.message
        if case .request(.invite, _, _) = m.startLine, m.toTag == nil {
            initialInvite(observed, into: &out)
            return
        }
        // Moved out of the dictionary while it changes, so its arrays are
        // uniquely referenced and never copied (put back below).
        guard var call = calls.removeValue(forKey: m.callID) else {
            if closed[m.callID] != nil { counters.late += 1 } else { counters.unrelated += 1 }
            return
        }
        call.lastActivity = observed.time
        if observed.truncated { call.flags.insert(.truncated) }
        if observed.timeMissing { call.flags.insert(.noTimestamp) }
        switch m.startLine {
        case .request(let method, _, _):
            request(method, observed, &call)
        case .response(let status, _):
            response(status, observed, &call)
        }
        schedule(&call)
        calls[m.callID] = call
    }

    /// Closes every call whose deadline is at or before `time`.
    public mutating func advance(to time: Timestamp, into out: inout [CallRecord]) {
        if time > now { now = time }
        while let next = deadlines.min, next.time <= now {
            let deadline = next.time, callID = next.callID
            deadlines.pop()
            guard let scheduled = calls[callID]?.scheduled, scheduled == deadline,
                  var call = calls.removeValue(forKey: callID)
            else { continue }
            if call.deadline > now {
                // The call's bound moved later since this entry was pushed.
                call.scheduled = call.deadline
                deadlines.push(TimedCall(time: call.deadline, callID: callID))
                calls[callID] = call
                continue
            }
            out.append(retire(call, at: call.deadline, endOfInput: false))
        }
        while closedHead < closedOrder.count, closedOrder[closedHead].1 <= now {
            let (callID, until) = closedOrder[closedHead]
            if closed[callID]?.until == until { closed[callID] = nil }
            closedHead += 1
        }
        if closedHead >= 4096, closedHead * 2 >= closedOrder.count {
            closedOrder.removeFirst(closedHead)
            closedHead = 0
        }
    }

    /// Closes a call and remembers its Call-ID for a while.
    private mutating func retire(_ call: CallState, at time: Timestamp, endOfInput: Bool) -> CallRecord {
        let until = now.adding(seconds: settings.retransmissionMemory)
        let highest = call.seenRequests.filter { $0.method == .invite }.map(\.cseq).max() ?? 0
        closed[call.callID] = Closed(fromTag: call.fromTag, highestInviteCSeq: highest, until: until)
        closedOrder.append((call.callID, until))
        return close(call, at: time, endOfInput: endOfInput)
    }

    /// Closes all calls at the end of the input.
    public mutating func finish(into out: inout [CallRecord]) {
        let remaining = calls.values.sorted { $0.setupTime != $1.setupTime ? $0.setupTime < $1.setupTime : $0.callID < $1.callID }
        calls.removeAll()
        for call in remaining {
            let endOfInput = call.deadline > now
            out.append(close(call, at: min(call.deadline, now), endOfInput: endOfInput))
        }
        closed.removeAll()
        closedOrder.removeAll()
        closedHead = 0
    }

    private var openSetups = Heap<TimedCall>()

    /// The earliest setup time among calls still open, if any.
    public mutating func earliestOpenSetup() -> Timestamp? {
        while let top = openSetups.min {
            if calls[top.callID]?.setupTime == top.time { return top.time }
            openSetups.pop()
        }
        return nil
    }

    // MARK: - Requests

    private mutating func initialInvite(_ observed: ObservedMessage, into out: inout [CallRecord]) {
        let m = observed.message
        let key = CallState.RequestKey(branch: m.viaBranch ?? "", method: .invite, cseq: m.cseq)
        if var call = calls.removeValue(forKey: m.callID) {
            if call.seenRequests.contains(key) {
                counters.retransmissions += 1
                call.flags.insert(.retransmissions)
                calls[m.callID] = call
                return
            }
            let sameCaller = (m.fromTag ?? "") == call.fromTag
            if sameCaller {
                call.seenRequests.insert(key)
                call.lastActivity = observed.time
                if m.viaCount <= call.callerViaCount, call.answerTime == nil, call.endTime == nil {
                    // The caller tries again on the same Call-ID: after a
                    // 401/407 challenge (RFC 3261 §22.2) or another retry.
                    if let failure = call.failure, failure.status == 401 || failure.status == 407 {
                        call.flags.insert(.authChallenged)
                    }
                    call.failure = nil
                    call.phase = .setup
                    call.latestInviteTime = observed.time
                    if let branch = m.viaBranch { call.callerBranches.insert(branch) }
                }
                schedule(&call)
                calls[m.callID] = call
                return
            }
            // A different caller reuses the Call-ID: the old call is over.
            out.append(retire(call, at: call.endTime ?? call.lastActivity, endOfInput: false))
        } else if let gone = closed[m.callID], gone.fromTag == (m.fromTag ?? ""), m.cseq <= gone.highestInviteCSeq {
            // A retransmission of an INVITE whose call is already closed.
            counters.retransmissions += 1
            return
        }
        let hosts = [observed.sourceHost, observed.destinationHost].compactMap { $0 }
        let (profile, direction) = matcher.match(
            fromUser: m.fromUser, assertedUser: m.assertedUser, requestUser: m.requestUser, toUser: m.toUser, hosts: hosts
        )
        var call = CallState(
            invite: observed, caller: m.fromUser ?? "", callee: m.requestUser ?? m.toUser ?? "", profile: profile,
            direction: direction, settings: settings
        )
        call.seenRequests.insert(key)
        if observed.truncated { call.flags.insert(.truncated) }
        if observed.timeMissing { call.flags.insert(.noTimestamp) }
        counters.calls += 1
        openSetups.push(TimedCall(time: call.setupTime, callID: call.callID))
        schedule(&call)
        calls[m.callID] = call
    }

    private mutating func request(_ method: SIPMethod, _ observed: ObservedMessage, _ call: inout CallState) {
        let m = observed.message
        let key = CallState.RequestKey(branch: m.viaBranch ?? "\(m.fromTag ?? "")", method: method, cseq: m.cseq)
        guard call.seenRequests.insert(key).inserted else {
            counters.retransmissions += 1
            call.flags.insert(.retransmissions)
            return
        }
        switch method {
        case .cancel:
            // RFC 3261 §9.1: a CANCEL carries the branch of the INVITE it
            // cancels; only the caller's counts (a proxy also cancels the
            // losing branches of a fork).
            let fromCaller = m.viaBranch.map { call.callerBranches.contains($0) } ?? (m.viaCount <= call.callerViaCount)
            if fromCaller, call.answerTime == nil, call.cancelTime == nil { call.cancelTime = observed.time }
        case .bye:
            // The end is the BYE as the caller's hop carried it; a proxy
            // relays a callee's BYE to the caller a little later.
            let onCallerLeg = call.callerLeg == nil || observed.leg == nil || observed.leg == call.callerLeg
            if call.endTime != nil {
                if onCallerLeg, !call.endOnCallerLeg {
                    call.endTime = observed.time
                    call.endOnCallerLeg = true
                }
                return
            }
            call.endOnCallerLeg = onCallerLeg
            call.endTime = observed.time
            call.endedBy = (m.fromTag ?? "") == call.fromTag ? .caller : .callee
            if let cause = m.q850Cause { call.q850Cause = cause }
            if call.answerTime == nil { call.flags.insert(.byeWithoutAnswer) }
            call.phase = .ended
        default:
            break
        }
    }

    // MARK: - Responses

    private mutating func response(_ status: Int, _ observed: ObservedMessage, _ call: inout CallState) {
        let m = observed.message
        let key = CallState.ResponseKey(branch: m.viaBranch ?? "", cseq: m.cseq, method: m.cseqMethod, status: status, toTag: m.toTag)
        guard call.seenResponses.insert(key).inserted else {
            counters.retransmissions += 1
            call.flags.insert(.retransmissions)
            return
        }
        let onCallerLeg = m.viaBranch.map { call.callerBranches.contains($0) } ?? (m.viaCount <= call.callerViaCount)
        switch m.cseqMethod {
        case .invite where onCallerLeg:
            inviteResponse(status, observed, &call)
        case .invite, .update:
            // 2xx to a re-INVITE or UPDATE refreshes the session (RFC 4028 §7.4).
            if (200..<300).contains(status), call.answerTime != nil, observed.time > (call.answerTime ?? observed.time) {
                call.lastRefresh = observed.time
                if let se = m.sessionExpires { call.sessionExpires = se }
            }
        default:
            break
        }
    }

    private mutating func inviteResponse(_ status: Int, _ observed: ObservedMessage, _ call: inout CallState) {
        let m = observed.message
        switch status {
        case 100..<200:
            guard status > 100 else { return }
            if call.answerTime == nil, call.failure == nil {
                if call.progressTime == nil { call.progressTime = observed.time }
                if let tag = m.toTag {
                    call.earlyToTags.insert(tag)
                    if call.earlyToTags.count > 1 { call.flags.insert(.forked) }
                }
            }
        case 200..<300:
            if call.answerTime == nil {
                // A 2xx wins over a CANCEL or a 487 seen out of order (RFC 3261 §9.1).
                call.answerTime = observed.time
                call.answerToTag = m.toTag
                call.answerStatus = status
                call.failure = nil
                call.phase = call.endTime == nil ? .answered : .ended
                call.lastRefresh = observed.time
                call.sessionExpires = m.sessionExpires
                if let tag = m.toTag, !call.earlyToTags.isEmpty, !call.earlyToTags.contains(tag) || call.earlyToTags.count > 1 {
                    call.flags.insert(.forked)
                }
            } else if m.toTag != call.answerToTag {
                // A second branch answered too (RFC 3261 §13.2.2.4): bill the first.
                call.flags.insert(.forked)
            }
        default:
            guard call.answerTime == nil else { return }
            call.failure = (status, observed.time)
            call.phase = .ended
            if let cause = m.q850Cause { call.q850Cause = cause }
        }
    }

    // MARK: - Closing

    private mutating func schedule(_ call: inout CallState) {
        let deadline: Timestamp
        switch call.phase {
        case .setup:
            deadline = call.lastActivity.adding(seconds: settings.setupTimeout)
        case .answered:
            deadline = answeredBound(call).time
        case .ended:
            let challenged = call.failure.map { $0.status == 401 || $0.status == 407 } ?? false
            deadline = call.lastActivity.adding(seconds: challenged ? settings.authLinger : settings.linger)
        }
        call.deadline = deadline
        // One heap entry per call at a time, unless the bound moves
        // earlier; a bound that moves later is re-pushed when reached.
        if deadline < call.scheduled {
            call.scheduled = deadline
            deadlines.push(TimedCall(time: deadline, callID: call.callID))
        }
    }
}
