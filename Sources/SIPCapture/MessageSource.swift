/// A reader that yields framed SIP messages from one input, in file order.
public protocol MessageSource: AnyObject {
    var path: String { get }
    var stats: CaptureStats { get }
    /// What `CapturedMessage.position` counts: "packet" or "offset".
    var positionUnit: String { get }
    /// True when the source lists messages call by call rather than in
    /// time order (sngrep text exports).
    var groupedByCall: Bool { get }
    /// Which messages are handed on; the others are counted in
    /// `stats.filtered`, before any copy is made of them.
    var filter: MessageFilter { get set }
    /// The next message, or nil at the end. Throws only when the input is
    /// unusable from here on (the messages already read stay valid).
    func next() throws(CaptureError) -> CapturedMessage?
}

/// Which framed messages a reader hands on to libosip2.
public enum MessageFilter: Sendable {
    /// Every message (`parse --parse-all`: malformed ones are counted).
    case all
    /// Only what call correlation reads (`SIPBytes.isNeededForMetering`).
    case metering
    /// That, and the final responses to BYE: a followed source closes a
    /// call as soon as its BYE is answered instead of after the linger.
    case live

    /// Whether the message in `bytes` is handed on.
    public func keeps(_ bytes: UnsafeRawBufferPointer) -> Bool {
        switch self {
        case .all: true
        case .metering: SIPBytes.isNeededForMetering(bytes)
        case .live: SIPBytes.isNeededForMetering(bytes, byeResponses: true)
        }
    }
}

extension MessageSource {
    public var groupedByCall: Bool { false }
}
