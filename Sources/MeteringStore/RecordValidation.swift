public import MeteringCore

/// Checks a call record must pass before it is rated: one sentence naming
/// the field, or nil when the record is usable.
public enum RecordValidation {
    /// The earliest setup time accepted (2000-01-01T00:00:00Z).
    static let earliest = Timestamp(seconds: 946_684_800)
    /// Longest call accepted: a week (the agent closes calls at 4 h by default).
    static let longestMs: Int64 = 7 * 86_400_000

    public static func problem(with r: CallRecord, now: Timestamp) -> String? {
        if r.id.isEmpty || r.id.utf8.count > 64
            || !r.id.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) || $0 == 45 || $0 == 95 })
        {
            return "id must be 1 to 64 letters, digits, - or _"
        }
        if r.callID.isEmpty || r.callID.utf8.count > 1024 { return "call_id must be 1 to 1024 bytes" }
        if r.callee.utf8.count > 256 || r.caller.utf8.count > 256 { return "caller and callee must be at most 256 bytes" }
        if r.durationMs < 0 { return "duration_ms must not be negative" }
        if r.durationMs > longestMs { return "duration_ms is longer than a week" }
        if r.setupTime < earliest { return "setup_time is before the year 2000" }
        if r.setupTime > now.adding(seconds: 86_400) { return "setup_time is more than a day in the future" }
        if r.endTime < r.setupTime { return "end_time is before setup_time" }
        if r.endTime.microseconds - r.setupTime.microseconds > (longestMs + 86_400_000) * 1000 {
            return "end_time is more than 8 days after setup_time"
        }
        if let answer = r.answerTime {
            if answer < r.setupTime || answer > r.endTime { return "answer_time is outside setup_time…end_time" }
        }
        if r.disposition == .answered, r.answerTime == nil { return "answer_time is missing for an answered call" }
        if r.disposition != .answered, r.durationMs != 0 { return "duration_ms must be 0 for a call that was not answered" }
        return nil
    }
}
