public import MeteringCore

/// HEPv3 (the Homer encapsulation protocol): `HEP3`, a big-endian u16 total
/// length, then chunks of vendor (u16), type (u16), length (u16, header
/// included) and value (SIP-FORMATS.md). Emitters: sngrep `-H`, Kamailio
/// siptrace, FreeSWITCH, heplify.
public enum HEP {
    /// One decoded packet.
    public struct Packet: Sendable {
        public var message: CapturedMessage
        /// Chunk 0x0c, when sent.
        public var captureID: UInt32?
        /// Chunk 0x0b: 1 is SIP.
        public var protocolType: UInt8?
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notHEP
        case truncated
        case badChunk(type: UInt16)
        case noPayload

        public var description: String {
            switch self {
            case .notHEP: "not a HEPv3 packet"
            case .truncated: "HEPv3 packet shorter than its length"
            case .badChunk(let type): "HEPv3 chunk 0x\(String(type, radix: 16)) has a bad length"
            case .noPayload: "HEPv3 packet without a payload chunk"
            }
        }
    }

    /// The total length a frame announces, once its 6-byte header is in
    /// `bytes` (for framing a TCP stream); nil when more bytes are needed.
    public static func frameLength(_ bytes: ArraySlice<UInt8>) throws(Failure) -> Int? {
        guard bytes.count >= 6 else { return nil }
        let b = bytes.startIndex
        guard bytes[b] == 0x48, bytes[b + 1] == 0x45, bytes[b + 2] == 0x50, bytes[b + 3] == 0x33 else { throw .notHEP }
        let length = Int(bytes[b + 4]) << 8 | Int(bytes[b + 5])
        guard length >= 6 else { throw .notHEP }
        return length
    }

    public static func decode(_ bytes: ArraySlice<UInt8>) throws(Failure) -> Packet {
        guard let length = try frameLength(bytes) else { throw .truncated }
        guard bytes.count >= length else { throw .truncated }
        var i = bytes.startIndex + 6
        let end = bytes.startIndex + length
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }
        func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) << 16 | UInt32(u16(at + 2)) }
        var seconds: UInt32?
        var micros: UInt32 = 0
        var src4: UInt32?
        var dst4: UInt32?
        var src6: (UInt64, UInt64)?
        var dst6: (UInt64, UInt64)?
        var srcPort: UInt16 = 0
        var dstPort: UInt16 = 0
        var ipProtocol: UInt8?
        var payload: [UInt8]?
        var packet = Packet(message: CapturedMessage(time: Timestamp(microseconds: 0), bytes: []))
        func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) << 32 | UInt64(u32(at + 4)) }
        while i + 6 <= end {
            let type = u16(i + 2)
            let chunkLength = Int(u16(i + 4))
            guard chunkLength >= 6, i + chunkLength <= end else { throw .badChunk(type: type) }
            let value = i + 6
            let valueLength = chunkLength - 6
            func need(_ n: Int) throws(Failure) { guard valueLength >= n else { throw .badChunk(type: type) } }
            // Only generic chunks (vendor 0) carry these meanings.
            if u16(i) == 0 {
                switch type {
                case 0x02: try need(1); ipProtocol = bytes[value]
                case 0x03: try need(4); src4 = u32(value)
                case 0x04: try need(4); dst4 = u32(value)
                case 0x05: try need(16); src6 = (u64(value), u64(value + 8))
                case 0x06: try need(16); dst6 = (u64(value), u64(value + 8))
                case 0x07: try need(2); srcPort = u16(value)
                case 0x08: try need(2); dstPort = u16(value)
                case 0x09: try need(4); seconds = u32(value)
                case 0x0a: try need(4); micros = u32(value)
                case 0x0b: try need(1); packet.protocolType = bytes[value]
                case 0x0c: try need(4); packet.captureID = u32(value)
                case 0x0f: payload = Array(bytes[value..<(value + valueLength)])
                default: break
                }
            }
            i += chunkLength
        }
        guard let payload else { throw .noPayload }
        packet.message.bytes = payload
        if let seconds {
            packet.message.time = Timestamp(seconds: Int64(seconds), microseconds: Int64(min(micros, 999_999)))
        } else {
            packet.message.timeMissing = true
        }
        if let s = src4 { packet.message.source = Endpoint(ipv4: s, port: srcPort) }
        if let d = dst4 { packet.message.destination = Endpoint(ipv4: d, port: dstPort) }
        if let s = src6 { packet.message.source = Endpoint(ipv6High: s.0, low: s.1, port: srcPort) }
        if let d = dst6 { packet.message.destination = Endpoint(ipv6High: d.0, low: d.1, port: dstPort) }
        packet.message.transport = ipProtocol == 6 ? .tcp : ipProtocol == 17 ? .udp : .unknown
        return packet
    }
}
