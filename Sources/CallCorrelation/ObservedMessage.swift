public import MeteringCore
public import SIPParsing

/// A parsed SIP message with what its source told about it.
public struct ObservedMessage: Sendable {
    /// The parsed message and all that holds references live in one box,
    /// and only plain numbers beside it: a message is copied and moved
    /// several times on its way through the pipeline, and this copies as
    /// one reference and three words instead of a dozen strings.
    /// Unchecked Sendable: its `var`s are only written through a message
    /// holding the only reference (`unique()`).
    @usableFromInline final class Box: @unchecked Sendable {
        let message: SIPMessage
        let key: CallKey
        let tokens: Tokens
        var sourceHost: String?
        var destinationHost: String?
        var truncated: Bool
        var timeMissing: Bool
        var leg: Int?

        @usableFromInline init(
            _ message: consuming SIPMessage, sourceHost: String?, destinationHost: String?, truncated: Bool,
            timeMissing: Bool, leg: Int?
        ) {
            let key = CallKey(message.text)
            let tokens = Tokens(message.text)
            self.key = key
            self.tokens = tokens
            self.message = message
            self.sourceHost = sourceHost
            self.destinationHost = destinationHost
            self.truncated = truncated
            self.timeMissing = timeMissing
            self.leg = leg
        }

        /// The same with another message (or a copy of this one).
        func with(message: SIPMessage? = nil) -> Box {
            Box(
                message ?? self.message, sourceHost: sourceHost, destinationHost: destinationHost, truncated: truncated,
                timeMissing: timeMissing, leg: leg)
        }
    }

    /// The branch and tag hashes the call state keeps, computed where the
    /// message was made (a parser thread), not on the correlator.
    struct Tokens: Sendable {
        /// The top Via branch, if any.
        let branch: Token?
        /// The branch, or "" (transaction keys of INVITEs and responses).
        let branchOrEmpty: Token
        /// The branch, else the From tag, else "" (in-dialog requests).
        let branchOrFromTag: Token
        /// The From tag, or "" when there is none.
        let fromTag: Token
        let toTag: Token?

        init(_ text: SIPMessageText) {
            branch = text.withBytes(.viaBranch, Token.init)
            fromTag = text.withBytes(.fromTag, Token.init) ?? Token.empty
            toTag = text.withBytes(.toTag, Token.init)
            branchOrEmpty = branch ?? Token.empty
            branchOrFromTag = branch ?? fromTag
        }
    }

    @usableFromInline var box: Box

    public var message: SIPMessage {
        // Read in place: a reader borrows the boxed message, never copies it.
        _read { yield box.message }
        set { box = box.with(message: newValue) }
    }
    /// The Call-ID with its hash, computed where the message was made (a
    /// parser thread), not on the correlator.
    var callKey: CallKey { box.key }
    var tokens: Tokens { box.tokens }
    public var time: Timestamp
    /// Arrival order, the tie-break for equal times.
    public var sequence: Int
    /// Addresses as text (`ip`), when the source logged them.
    public var sourceHost: String? {
        get { box.sourceHost }
        set { unique().sourceHost = newValue }
    }
    public var destinationHost: String? {
        get { box.destinationHost }
        set { unique().destinationHost = newValue }
    }
    public var truncated: Bool {
        get { box.truncated }
        set { unique().truncated = newValue }
    }
    public var timeMissing: Bool {
        get { box.timeMissing }
        set { unique().timeMissing = newValue }
    }
    /// Identifies the hop (the unordered pair of addresses) the message
    /// crossed, when the source logged addresses; nil otherwise.
    public var leg: Int? {
        get { box.leg }
        set { unique().leg = newValue }
    }

    /// The box, made this message's own first if another shares it.
    private mutating func unique() -> Box {
        if !isKnownUniquelyReferenced(&box) { box = box.with() }
        return box
    }

    /// Inlinable: built in place in the caller's array, not in a local
    /// that is then copied out and destroyed (as an opaque call did).
    @inlinable
    public init(
        message: consuming SIPMessage, time: Timestamp, sourceHost: String? = nil, destinationHost: String? = nil,
        truncated: Bool = false, timeMissing: Bool = false, sequence: Int = 0, leg: Int? = nil
    ) {
        self.box = Box(
            consume message, sourceHost: sourceHost, destinationHost: destinationHost, truncated: truncated,
            timeMissing: timeMissing, leg: leg)
        self.time = time
        self.sequence = sequence
    }
}

/// A Call-ID with its hash computed once (64-bit FNV-1a): the tracker's
/// tables hash, and rehash when they delete, without reading the string.
/// It refers to the message's text (where the Call-ID already is) rather
/// than holding a string of its own.
struct CallKey: Hashable, Sendable {
    let text: SIPMessageText
    let hash: UInt64

    init(_ text: SIPMessageText) {
        self.hash = text.withBytes(.callID, fnv1a) ?? fnv1a(UnsafeRawBufferPointer(start: nil, count: 0))
        self.text = text
    }

    init(_ id: String) { self.init(SIPMessageText(strings: [id])) }

    var id: String { text.string(.callID) ?? "" }

    static func == (a: CallKey, b: CallKey) -> Bool { a.hash == b.hash && a.text.same(.callID, as: b.text) }
    func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    /// What the tables ask for. The default feeds `hash(into:)` through
    /// SipHash on every lookup; the FNV-1a value only needs the table's
    /// seed mixed in and its bits spread (MurmurHash3's 64-bit finaliser).
    func _rawHashValue(seed: Int) -> Int {
        var x = hash ^ UInt64(bitPattern: Int64(seed))
        x ^= x >> 33
        x &*= 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        x &*= 0xc4ce_b9fe_1a85_ec53
        x ^= x >> 33
        return Int(truncatingIfNeeded: x)
    }
}

/// 64-bit FNV-1a of some bytes.
func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    return h
}

/// A branch or tag as its 64-bit hash: a call remembers the transactions
/// and tags it saw without holding (retaining, then releasing) their
/// strings; two different tokens of one call collide with odds of 2⁻⁶⁴.
struct Token: Hashable, Sendable {
    let bits: UInt64
    init(_ bytes: UnsafeRawBufferPointer) { bits = fnv1a(bytes) }
    /// The token of no text (a missing tag or branch).
    static let empty = Token(UnsafeRawBufferPointer(start: nil, count: 0))
}

/// Tunables of correlation; defaults are what an operator expects.
public struct CorrelationSettings: Sendable {
    /// Messages up to this far out of time order are put back in order
    /// (milliseconds).
    public var reorderWindowMs: Int64 = 2000
    /// An answered call with no BYE and no session timer closes here.
    public var maxDuration: Int64 = 4 * 3600
    /// A call stays open this long after its BYE or final response, for
    /// the messages that finish it (the 200 to the BYE, the ACK). A call
    /// whose BYE got its final response on the caller's hop closes at once.
    public var linger: Int64 = 4
    /// After a 401/407 the call waits this long for the authenticated
    /// INVITE (64·T1, RFC 3261 §17.1.1.2).
    public var authLinger: Int64 = 32
    /// A closed call's Call-ID is remembered this long, so a late INVITE
    /// retransmission never starts a new call (64·T1).
    public var retransmissionMemory: Int64 = 32
    /// An INVITE with no final response is given up after this much silence.
    public var setupTimeout: Int64 = 300

    public init() {}
}
