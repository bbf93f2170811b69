/// How a call ended, from the caller's point of view (DESIGN.md).
public enum Disposition: String, Sendable, CaseIterable, Codable {
    case answered, busy
    case noAnswer = "no_answer"
    case cancelled, rejected, redirected, congestion, failed

    /// The disposition of a call whose caller received `status` as the final
    /// response to its INVITE. `sawProgress` tells whether an 18x preceded it
    /// (a 487 after ringing is `no_answer`, before any 18x `cancelled`).
    public static func classify(finalStatus status: Int, sawProgress: Bool) -> Disposition {
        switch status {
        case 200..<300: return .answered
        case 300..<400: return .redirected
        case 486, 600: return .busy
        case 408, 480: return .noAnswer
        case 487: return sawProgress ? .noAnswer : .cancelled
        case 401, 402, 403, 407, 603: return .rejected
        case 500, 503, 504: return .congestion
        default: return .failed
        }
    }
}

public enum Direction: String, Sendable, Codable, CaseIterable {
    case outbound, inbound, unknown
}

public enum EndedBy: String, Sendable, Codable, CaseIterable {
    case caller, callee, timeout
}

/// Conditions a biller must know about a record. Closed set, stable names.
public enum CallFlag: String, Sendable, CaseIterable, Comparable, Codable {
    case authChallenged = "auth_challenged"
    case retransmissions
    case noBye = "no_bye"
    case sessionExpired = "session_expired"
    case maxDuration = "max_duration"
    case endOfInput = "end_of_input"
    case noFinalResponse = "no_final_response"
    case truncated
    case forked
    case noTimestamp = "no_timestamp"
    case reordered
    case byeWithoutAnswer = "bye_without_answer"

    public static func < (lhs: CallFlag, rhs: CallFlag) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One call as the agent saw it: the wire contract of DESIGN.md.
public struct CallRecord: Sendable, Hashable {
    public var id: String
    public var profile: String?
    public var direction: Direction
    public var callID: String
    public var fromTag: String
    public var toTag: String?
    public var caller: String
    public var callee: String
    public var setupTime: Timestamp
    public var progressTime: Timestamp?
    public var answerTime: Timestamp?
    public var endTime: Timestamp
    public var durationMs: Int64
    public var disposition: Disposition
    public var finalStatus: Int?
    public var endedBy: EndedBy?
    public var flags: [CallFlag]
    /// Optional keys.
    public var q850Cause: Int?
    public var pddMs: Int64?
    public var source: String?

    /// Inlinable: the record is built where the caller wants it, not in
    /// a local that an opaque call copied out and destroyed.
    @inlinable
    public init(
        id: String, profile: String?, direction: Direction, callID: String, fromTag: String, toTag: String?,
        caller: String, callee: String, setupTime: Timestamp, progressTime: Timestamp?, answerTime: Timestamp?,
        endTime: Timestamp, durationMs: Int64, disposition: Disposition, finalStatus: Int?, endedBy: EndedBy?,
        flags: [CallFlag], q850Cause: Int? = nil, pddMs: Int64? = nil, source: String? = nil
    ) {
        self.id = id
        self.profile = profile
        self.direction = direction
        self.callID = callID
        self.fromTag = fromTag
        self.toTag = toTag
        self.caller = caller
        self.callee = callee
        self.setupTime = setupTime
        self.progressTime = progressTime
        self.answerTime = answerTime
        self.endTime = endTime
        self.durationMs = durationMs
        self.disposition = disposition
        self.finalStatus = finalStatus
        self.endedBy = endedBy
        self.flags = flags
        self.q850Cause = q850Cause
        self.pddMs = pddMs
        self.source = source
    }
}

extension CallRecord {
    /// The deterministic record id of DESIGN.md: MD5 over (profile, Call-ID,
    /// From tag, first INVITE time), hex. Same input, same id.
    public static func makeID(profile: String?, callID: String, fromTag: String, setupTime: Timestamp) -> String {
        // profile US callID US fromTag US microseconds, built in a scratch
        // buffer without interpolation (one of these per record).
        var profile = profile ?? ""
        var callID = callID
        var fromTag = fromTag
        return profile.withUTF8 { p in
            callID.withUTF8 { c in
                fromTag.withUTF8 { f in
                    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: p.count + c.count + f.count + 24) { key in
                        var n = 0
                        func append(_ part: UnsafeBufferPointer<UInt8>) {
                            _ = UnsafeMutableBufferPointer(rebasing: key[n..<(n + part.count)]).initialize(from: part)
                            n += part.count
                            key[n] = 0x1F
                            n += 1
                        }
                        append(p)
                        append(c)
                        append(f)
                        var us = setupTime.microseconds
                        if us < 0 {
                            key[n] = 0x2D
                            n += 1
                        }
                        // Digits from the end of the buffer, then moved down.
                        var d = key.count
                        repeat {
                            let digit = us % 10
                            d -= 1
                            key[d] = UInt8(0x30 + (digit < 0 ? -digit : digit))
                            us /= 10
                        } while us != 0
                        for k in d..<key.count {
                            key[n] = key[k]
                            n += 1
                        }
                        return Digest.md5Hex(UnsafeBufferPointer(rebasing: key[0..<n]))
                    }
                }
            }
        }
    }
}
