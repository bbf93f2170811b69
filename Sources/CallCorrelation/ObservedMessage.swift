public import MeteringCore
public import SIPParsing

/// A parsed SIP message with what its source told about it.
public struct ObservedMessage: Sendable {
    /// The parsed message lives in an immutable box: a message is copied
    /// several times on its way through the pipeline, and a box copies as
    /// one reference instead of a dozen strings.
    private final class Box: Sendable {
        let message: SIPMessage
        init(_ message: SIPMessage) { self.message = message }
    }

    private var box: Box

    public var message: SIPMessage {
        // Read in place: a reader borrows the boxed message, never copies it.
        _read { yield box.message }
        set { box = Box(newValue) }
    }
    public var time: Timestamp
    /// Addresses as text (`ip`), when the source logged them.
    public var sourceHost: String?
    public var destinationHost: String?
    public var truncated: Bool
    public var timeMissing: Bool
    /// Arrival order, the tie-break for equal times.
    public var sequence: Int
    /// Identifies the hop (the unordered pair of addresses) the message
    /// crossed, when the source logged addresses; nil otherwise.
    public var leg: Int?

    public init(
        message: SIPMessage, time: Timestamp, sourceHost: String? = nil, destinationHost: String? = nil,
        truncated: Bool = false, timeMissing: Bool = false, sequence: Int = 0, leg: Int? = nil
    ) {
        self.box = Box(message)
        self.time = time
        self.sourceHost = sourceHost
        self.destinationHost = destinationHost
        self.truncated = truncated
        self.timeMissing = timeMissing
        self.sequence = sequence
        self.leg = leg
    }
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
