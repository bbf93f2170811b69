import MeteringCore

/// How an open call becomes a record: its bound, end time, disposition and flags.
extension CallTracker {
    func close(_ call: CallState, at time: Timestamp, endOfInput: Bool) -> CallRecord {
        var flags = call.flags
        var endTime: Timestamp
        var endedBy = call.endedBy
        var disposition: Disposition
        var finalStatus: Int?
        if let answer = call.answerTime {
            disposition = .answered
            finalStatus = call.answerStatus
            if let end = call.endTime {
                endTime = end
            } else {
                flags.insert(.noBye)
                endedBy = .timeout
                let bound = call.answeredBound(maxDuration: settings.maxDuration)
                if endOfInput, time < bound.time {
                    flags.insert(.endOfInput)
                    endTime = time
                } else {
                    flags.insert(bound.flag)
                    endTime = bound.time
                }
            }
            endTime = max(endTime, answer)
        } else if let failure = call.failure {
            finalStatus = failure.status
            disposition = Disposition.classify(finalStatus: failure.status, sawProgress: call.progressTime != nil)
            endTime = failure.time
            // Nobody hung up a call that never connected; a CANCEL is the caller's.
            endedBy = call.cancelTime != nil ? .caller : nil
        } else {
            flags.insert(.noFinalResponse)
            if endOfInput { flags.insert(.endOfInput) }
            disposition = call.progressTime != nil ? .noAnswer : .failed
            endTime = call.endTime ?? call.lastActivity
            endedBy = call.cancelTime != nil ? .caller : (call.endedBy ?? .timeout)
        }
        let duration = call.answerTime.map { endTime.milliseconds(since: $0) } ?? 0
        let pddEnd = call.progressTime ?? call.answerTime ?? call.failure?.time
        let pdd = pddEnd.map { $0.milliseconds(since: call.latestInviteTime) }
        return CallRecord(
            id: CallRecord.makeID(profile: call.profile, callID: call.callID, fromTag: call.fromTag, setupTime: call.setupTime),
            profile: call.profile, direction: call.direction, callID: call.callID, fromTag: call.fromTag,
            toTag: call.answerToTag, caller: call.caller, callee: call.callee, setupTime: call.setupTime,
            progressTime: call.progressTime, answerTime: call.answerTime, endTime: max(endTime, call.setupTime),
            durationMs: duration, disposition: disposition, finalStatus: finalStatus, endedBy: endedBy,
            flags: flags.sorted(), q850Cause: call.q850Cause, pddMs: pdd
        )
    }
}
