import MeteringCore

/// SIP request methods the correlator distinguishes (RFC 3261 §7.1 and
/// extensions); anything else is kept by name.
public enum SIPMethod: Hashable, Sendable {
    case invite, ack, bye, cancel, update, prack, options, register, info, refer, notify, subscribe, message
    case other(String)

    public init(_ name: String) {
        switch name {
        case "INVITE": self = .invite
        case "ACK": self = .ack
        case "BYE": self = .bye
        case "CANCEL": self = .cancel
        case "UPDATE": self = .update
        case "PRACK": self = .prack
        case "OPTIONS": self = .options
        case "REGISTER": self = .register
        case "INFO": self = .info
        case "REFER": self = .refer
        case "NOTIFY": self = .notify
        case "SUBSCRIBE": self = .subscribe
        case "MESSAGE": self = .message
        default: self = .other(name)
        }
    }

    public var name: String {
        switch self {
        case .invite: "INVITE"
        case .ack: "ACK"
        case .bye: "BYE"
        case .cancel: "CANCEL"
        case .update: "UPDATE"
        case .prack: "PRACK"
        case .options: "OPTIONS"
        case .register: "REGISTER"
        case .info: "INFO"
        case .refer: "REFER"
        case .notify: "NOTIFY"
        case .subscribe: "SUBSCRIBE"
        case .message: "MESSAGE"
        case .other(let name): name
        }
    }
}

/// The fields of one SIP message that metering needs, copied out of
/// libosip2 so the C message can be freed at once.
public struct SIPMessage: Sendable, Hashable {
    public enum StartLine: Sendable, Hashable {
        case request(method: SIPMethod, uriUser: String?, uriHost: String?)
        case response(status: Int, reason: String)
    }

    public var startLine: StartLine
    public var callID: String
    public var cseq: UInt32
    public var cseqMethod: SIPMethod
    public var fromUser: String?
    public var fromHost: String?
    public var fromTag: String?
    public var toUser: String?
    public var toTag: String?
    /// Branch parameter of the top Via (RFC 3261 §8.1.1.7), the transaction key.
    public var viaBranch: String?
    public var viaCount: Int
    /// User part of P-Asserted-Identity (RFC 3325), when present.
    public var assertedUser: String?
    /// Session-Expires delta-seconds and refresher (RFC 4028 §4), long or compact `x:`.
    public var sessionExpires: Int?
    public var refresher: String?
    /// Q.850 cause from a Reason header (RFC 3326).
    public var q850Cause: Int?
    public var contentLength: Int?
    public var bodyLength: Int

    public init(
        startLine: StartLine, callID: String, cseq: UInt32, cseqMethod: SIPMethod, fromUser: String? = nil,
        fromHost: String? = nil, fromTag: String? = nil, toUser: String? = nil, toTag: String? = nil,
        viaBranch: String? = nil, viaCount: Int = 1, assertedUser: String? = nil, sessionExpires: Int? = nil,
        refresher: String? = nil, q850Cause: Int? = nil, contentLength: Int? = nil, bodyLength: Int = 0
    ) {
        self.startLine = startLine
        self.callID = callID
        self.cseq = cseq
        self.cseqMethod = cseqMethod
        self.fromUser = fromUser
        self.fromHost = fromHost
        self.fromTag = fromTag
        self.toUser = toUser
        self.toTag = toTag
        self.viaBranch = viaBranch
        self.viaCount = viaCount
        self.assertedUser = assertedUser
        self.sessionExpires = sessionExpires
        self.refresher = refresher
        self.q850Cause = q850Cause
        self.contentLength = contentLength
        self.bodyLength = bodyLength
    }

    public var method: SIPMethod? {
        if case .request(let method, _, _) = startLine { return method }
        return nil
    }

    public var status: Int? {
        if case .response(let status, _) = startLine { return status }
        return nil
    }

    public var requestUser: String? {
        if case .request(_, let user, _) = startLine { return user }
        return nil
    }
}
