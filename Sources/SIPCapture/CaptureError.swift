/// Why an input could not be read. Each renders as one line naming the
/// file and, where known, the position.
public enum CaptureError: Error, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case unknownFormat(path: String)
    case corrupt(path: String, position: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): cannot read: \(reason)"
        case .unknownFormat(let path):
            "\(path): unknown input format (not pcap/pcapng or a known SIP text log); use --input-format"
        case .corrupt(let path, let position, let reason): "\(path): \(position): \(reason)"
        }
    }
}

/// Problems a reader skipped past, counted (never silent, never fatal).
public struct CaptureStats: Sendable, Equatable {
    /// Packets or log records the reader looked at.
    public var units: Int = 0
    /// SIP messages framed and handed on.
    public var messages: Int = 0
    /// Candidates that could not be framed as SIP (garbage, absurd lengths,
    /// overlong lines, unfinished TCP streams).
    public var malformed: Int = 0
    /// Packets that were not SIP (RTP, other protocols), skipped quietly.
    public var nonSIP: Int = 0
    public var truncatedMessages: Int = 0
    /// Framed SIP messages not handed on because metering never reads them.
    public var filtered: Int = 0
    public var fragmentsReassembled: Int = 0
    /// IPv4 fragments given up (incomplete after 30 s, or the table full).
    public var fragmentsDropped: Int = 0
    /// Holes in TCP streams that were skipped (the framer resynchronised).
    public var tcpGaps: Int = 0
    /// Warnings worth a line on stderr (a truncated capture, a gap).
    public var warnings: [String] = []

    public init() {}

    public mutating func warn(_ line: String) {
        if warnings.count < 20 { warnings.append(line) }
    }
}
