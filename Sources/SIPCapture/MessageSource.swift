/// A reader that yields framed SIP messages from one input, in file order.
public protocol MessageSource: AnyObject {
    var path: String { get }
    var stats: CaptureStats { get }
    /// What `CapturedMessage.position` counts: "packet" or "offset".
    var positionUnit: String { get }
    /// True when the source lists messages call by call rather than in
    /// time order (sngrep text exports).
    var groupedByCall: Bool { get }
    /// When set, messages call correlation never reads (see
    /// `SIPBytes.isNeededForMetering`) are counted in `stats.filtered` and
    /// not handed on, before any copy is made of them.
    var onlyNeededForMetering: Bool { get set }
    /// The next message, or nil at the end. Throws only when the input is
    /// unusable from here on (the messages already read stay valid).
    func next() throws(CaptureError) -> CapturedMessage?
}

extension MessageSource {
    public var groupedByCall: Bool { false }
}
