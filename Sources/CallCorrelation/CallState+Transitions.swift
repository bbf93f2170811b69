import MeteringCore
import SIPParsing

/// How one call's state moves with each message (RFC 3261 §12, §13, §17).
/// Pure value-type transitions: the tracker routes messages and keeps time.
extension CallState {
    /// Applies an in-dialog request or a response (`m` is `observed`'s
    /// message, passed borrowed so no transition copies it). Returns false
    /// when the message was a retransmission (nothing changed but the flag).
    func apply(_ observed: ObservedMessage, _ m: SIPMessage) -> Bool {
        lastActivity = observed.time
        if observed.truncated { flags.insert(.truncated) }
        if observed.timeMissing { flags.insert(.noTimestamp) }
        switch m.startLine {
        case .request(let method, _, _):
            let key = RequestKey(branch: observed.tokens.branchOrFromTag, method: method, cseq: m.cseq)
            guard seenRequests.insert(key).inserted else { return retransmitted() }
            request(method, observed, m)
        case .response(let status, _):
            let key = ResponseKey(
                branch: observed.tokens.branchOrEmpty, cseq: m.cseq, method: m.cseqMethod, status: status,
                toTag: observed.tokens.toTag)
            guard seenResponses.insert(key).inserted else { return retransmitted() }
            response(status, observed, m)
        }
        return true
    }

    /// A new INVITE without To-tag from the same caller on this Call-ID.
    /// Returns false when it was a retransmission.
    func repeatedInvite(_ observed: ObservedMessage, _ m: SIPMessage) -> Bool {
        let key = RequestKey(branch: observed.tokens.branchOrEmpty, method: .invite, cseq: m.cseq)
        guard seenRequests.insert(key).inserted else { return retransmitted() }
        lastActivity = observed.time
        // The proxy's forwarded copy carries one Via more: not a new attempt.
        guard m.viaCount <= callerViaCount, answerTime == nil, endTime == nil else { return true }
        // The caller tries again: after a 401/407 challenge (RFC 3261 §22.2)
        // or another retry.
        if let failure, failure.status == 401 || failure.status == 407 {
            flags.insert(.authChallenged)
        }
        failure = nil
        phase = .setup
        latestInviteTime = observed.time
        if let branch = observed.tokens.branch { callerBranches.insert(branch) }
        return true
    }

    private func retransmitted() -> Bool {
        flags.insert(.retransmissions)
        return false
    }

    /// Whether a message belongs to the caller's INVITE transactions: same
    /// top Via branch (RFC 3261 §17.1.3), else the same Via depth.
    private func onCallerLeg(_ observed: ObservedMessage, _ m: SIPMessage) -> Bool {
        observed.tokens.branch.map { callerBranches.contains($0) } ?? (m.viaCount <= callerViaCount)
    }

    private func request(_ method: SIPMethod, _ observed: ObservedMessage, _ m: SIPMessage) {
        switch method {
        case .cancel:
            // RFC 3261 §9.1: a CANCEL carries the branch of the INVITE it
            // cancels; only the caller's counts (a proxy also cancels the
            // losing branches of a fork).
            if onCallerLeg(observed, m), answerTime == nil, cancelTime == nil { cancelTime = observed.time }
        case .bye:
            // The end is the BYE as the caller's hop carried it; a proxy
            // relays a callee's BYE to the caller a little later.
            let callerHop = callerLeg == nil || observed.leg == nil || observed.leg == callerLeg
            if endTime != nil {
                if callerHop, !endOnCallerLeg {
                    endTime = observed.time
                    endOnCallerLeg = true
                }
                return
            }
            endOnCallerLeg = callerHop
            endTime = observed.time
            endedBy = observed.tokens.fromTag == fromTagToken ? .caller : .callee
            if let cause = m.q850Cause { q850Cause = cause }
            if answerTime == nil { flags.insert(.byeWithoutAnswer) }
            phase = .ended
        default:
            break
        }
    }

    private func response(_ status: Int, _ observed: ObservedMessage, _ m: SIPMessage) {
        switch m.cseqMethod {
        case .invite where onCallerLeg(observed, m):
            inviteResponse(status, observed, m)
        case .bye where status >= 200 && endTime != nil:
            if callerLeg == nil || observed.leg == nil || observed.leg == callerLeg { byeCompleted = true }
        case .invite, .update:
            // 2xx to a re-INVITE or UPDATE refreshes the session (RFC 4028 §7.4).
            if (200..<300).contains(status), let answer = answerTime, observed.time > answer {
                lastRefresh = observed.time
                if let se = m.sessionExpires { sessionExpires = se }
            }
        default:
            break
        }
    }

    private func inviteResponse(_ status: Int, _ observed: ObservedMessage, _ m: SIPMessage) {
        switch status {
        case 100..<200:
            guard status > 100, answerTime == nil, failure == nil else { return }
            if progressTime == nil { progressTime = observed.time }
            if let tag = observed.tokens.toTag {
                earlyToTags.insert(tag)
                if earlyToTags.count > 1 { flags.insert(.forked) }
            }
        case 200..<300:
            if answerTime == nil {
                // A 2xx wins over a CANCEL or a 487 seen out of order (RFC 3261 §9.1).
                answerTime = observed.time
                answerToTag = m.toTag
                answerToTagToken = observed.tokens.toTag
                answerStatus = status
                failure = nil
                phase = endTime == nil ? .answered : .ended
                lastRefresh = observed.time
                sessionExpires = m.sessionExpires
                if let tag = observed.tokens.toTag, !earlyToTags.isEmpty, !earlyToTags.contains(tag) || earlyToTags.count > 1 {
                    flags.insert(.forked)
                }
            } else if observed.tokens.toTag != answerToTagToken {
                // A second branch answered too (RFC 3261 §13.2.2.4): bill the first.
                flags.insert(.forked)
            }
        default:
            guard answerTime == nil else { return }
            failure = (status, observed.time)
            phase = .ended
            if let cause = m.q850Cause { q850Cause = cause }
        }
    }

    /// Where an answered call with no BYE stops being billable: the session
    /// timer's expiry when one was negotiated (RFC 4028 §10), else the
    /// maximum duration.
    func answeredBound(maxDuration: Int64) -> (time: Timestamp, flag: CallFlag) {
        let answer = answerTime ?? setupTime
        if let se = sessionExpires, se > 0 {
            return ((lastRefresh ?? answer).adding(seconds: Int64(se)), .sessionExpired)
        }
        return (answer.adding(seconds: maxDuration), .maxDuration)
    }

    /// When the call closes if nothing else happens.
    func nextDeadline(_ settings: CorrelationSettings) -> Timestamp {
        switch phase {
        case .setup:
            return lastActivity.adding(seconds: settings.setupTimeout)
        case .answered:
            return answeredBound(maxDuration: settings.maxDuration).time
        case .ended:
            if byeCompleted { return lastActivity }
            let challenged = failure.map { $0.status == 401 || $0.status == 407 } ?? false
            return lastActivity.adding(seconds: challenged ? settings.authLinger : settings.linger)
        }
    }
}
