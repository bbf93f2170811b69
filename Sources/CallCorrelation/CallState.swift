import MeteringCore
import SIPParsing

/// Everything the tracker knows about one call, keyed by Call-ID. Both legs
/// of a call through a proxy share the Call-ID; the caller's leg is the one
/// that carried the first INVITE, and its INVITEs are told apart from the
/// proxy's forwarded copies by their Via depth (a proxy adds one Via,
/// RFC 3261 §16.6 step 8).
///
/// A class: the tracker reaches a call through its slot on every message,
/// and a reference is read and changed in place where a struct of a dozen
/// strings and arrays was copied (retaining each) by the optimizer. Only
/// the tracker holds calls, so no two owners ever share one.
final class CallState {
    enum Phase {
        case setup, answered, ended
    }

    struct RequestKey: Hashable {
        var branch: Token
        var method: SIPMethod
        var cseq: UInt32
    }

    struct ResponseKey: Hashable {
        var branch: Token
        var cseq: UInt32
        var method: SIPMethod
        var status: Int
        var toTag: Token?
    }

    let key: CallKey
    var callID: String { key.id }
    let fromTag: String
    /// `fromTag` as a token, for matching messages' tags.
    let fromTagToken: Token
    let caller: String
    let callee: String
    let setupTime: Timestamp
    let profile: String?
    let direction: Direction
    /// Via count of the caller's INVITEs.
    let callerViaCount: Int
    /// The hop of the first INVITE, when addresses are known.
    let callerLeg: Int?
    /// Whether `endTime` came from a BYE on the caller's hop.
    var endOnCallerLeg = false
    /// A BYE got its final response on the caller's hop: nothing more is
    /// expected but retransmissions, and the call can close at once.
    var byeCompleted = false

    var phase = Phase.setup
    /// Top Via branches of the caller's initial INVITEs (one per auth round).
    var callerBranches: SmallSet<Token> = SmallSet()
    var latestInviteTime: Timestamp
    var seenRequests: SmallSet<RequestKey> = SmallSet()
    var seenResponses: SmallSet<ResponseKey> = SmallSet()
    var progressTime: Timestamp?
    var answerTime: Timestamp?
    var answerToTag: String?
    var answerToTagToken: Token?
    var answerStatus: Int?
    var earlyToTags: SmallSet<Token> = SmallSet()
    var failure: (status: Int, time: Timestamp)?
    var cancelTime: Timestamp?
    var endTime: Timestamp?
    var endedBy: EndedBy?
    var flags: Set<CallFlag> = []
    var q850Cause: Int?
    /// RFC 4028 session timer: interval and last refresh.
    var sessionExpires: Int?
    var lastRefresh: Timestamp?
    var lastActivity: Timestamp
    /// When this call is finalised if nothing else happens.
    var deadline: Timestamp
    /// The earliest deadline this call has in the tracker's heap.
    var scheduled = Timestamp(microseconds: Int64.max)

    init(
        invite: ObservedMessage, caller: String, callee: String, profile: String?, direction: Direction,
        settings: CorrelationSettings
    ) {
        let m = invite.message
        key = invite.callKey
        fromTag = m.fromTag ?? ""
        fromTagToken = invite.tokens.fromTag
        self.caller = caller
        self.callee = callee
        setupTime = invite.time
        self.profile = profile
        self.direction = direction
        callerViaCount = m.viaCount
        callerLeg = invite.leg
        latestInviteTime = invite.time
        lastActivity = invite.time
        deadline = Timestamp(microseconds: Int64.min)
        if let branch = invite.tokens.branch { callerBranches.insert(branch) }
    }
}
