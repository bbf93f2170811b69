public import MeteringCore

/// A transport address seen on the wire: IPv4 or IPv6 and a port.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// IPv4 addresses use the last 4 bytes with `isIPv6 == false`.
    public var high: UInt64
    public var low: UInt64
    public var isIPv6: Bool
    public var port: UInt16

    public init(ipv4: UInt32, port: UInt16) {
        self.high = 0
        self.low = UInt64(ipv4)
        self.isIPv6 = false
        self.port = port
    }

    public init(ipv6High: UInt64, low: UInt64, port: UInt16) {
        self.high = ipv6High
        self.low = low
        self.isIPv6 = true
        self.port = port
    }

    /// Parses `1.2.3.4`, `[::1]` or `::1` (without the port).
    public init?(host: some StringProtocol, port: UInt16) {
        var text = Substring(host)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if let v4 = IPText.parseIPv4(text) {
            self.init(ipv4: v4, port: port)
        } else if let (h, l) = IPText.parseIPv6(text) {
            self.init(ipv6High: h, low: l, port: port)
        } else {
            return nil
        }
    }

    public var address: String {
        isIPv6 ? IPText.formatIPv6(high: high, low: low) : IPText.formatIPv4(UInt32(truncatingIfNeeded: low))
    }

    public var description: String {
        isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

public enum TransportProtocol: String, Sendable {
    case udp, tcp, tls, sctp, ws, unknown
}

/// One SIP message as a source delivered it, framed but not yet parsed.
public struct CapturedMessage: Sendable {
    /// When it was seen; nil when the source gave no time (the reader then
    /// fills in the previous message's time and sets `timeMissing`).
    public var time: Timestamp
    public var bytes: [UInt8]
    public var source: Endpoint?
    public var destination: Endpoint?
    public var transport: TransportProtocol
    /// The body was shorter than Content-Length and was cut (the message
    /// was re-framed to what is present).
    public var truncated: Bool
    public var timeMissing: Bool
    /// Where in its file the message started (byte offset, or packet number
    /// for captures), for error messages.
    public var position: Int64

    public init(
        time: Timestamp, bytes: [UInt8], source: Endpoint? = nil, destination: Endpoint? = nil,
        transport: TransportProtocol = .unknown, truncated: Bool = false, timeMissing: Bool = false, position: Int64 = 0
    ) {
        self.time = time
        self.bytes = bytes
        self.source = source
        self.destination = destination
        self.transport = transport
        self.truncated = truncated
        self.timeMissing = timeMissing
        self.position = position
    }
}
