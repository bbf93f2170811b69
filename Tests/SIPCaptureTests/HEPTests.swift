import MeteringCore
import SIPCapture
import Testing

@Suite("HEPv3 decoding")
struct HEPTests {
    /// Builds a HEPv3 frame the way heplify's encoder does.
    static func frame(_ chunks: [(UInt16, [UInt8])], vendor: UInt16 = 0) -> [UInt8] {
        var body: [UInt8] = []
        for (type, value) in chunks {
            let length = UInt16(6 + value.count)
            body += [
                UInt8(vendor >> 8), UInt8(vendor & 0xFF), UInt8(type >> 8), UInt8(type & 0xFF), UInt8(length >> 8),
                UInt8(length & 0xFF),
            ]
            body += value
        }
        let total = UInt16(6 + body.count)
        return Array("HEP3".utf8) + [UInt8(total >> 8), UInt8(total & 0xFF)] + body
    }

    static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }

    static let sip = Array(
        "BYE sip:bob@192.0.2.2 SIP/2.0\r\nCall-ID: a@b\r\nCSeq: 2 BYE\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nContent-Length: 0\r\n\r\n"
            .utf8)

    @Test("a full IPv4 SIP packet: time, addresses, transport, capture id, payload")
    func ipv4() throws {
        let bytes = Self.frame([
            (0x01, [2]), (0x02, [17]), (0x03, [192, 0, 2, 1]), (0x04, [192, 0, 2, 2]), (0x07, Self.be16(5060)),
            (0x08, Self.be16(5080)), (0x09, Self.be32(1_795_000_000)), (0x0a, Self.be32(123_456)), (0x0b, [1]),
            (0x0c, Self.be32(2001)), (0x0f, Self.sip),
        ])
        let packet = try HEP.decode(bytes[...])
        #expect(packet.message.bytes == Self.sip)
        #expect(packet.message.time == Timestamp(seconds: 1_795_000_000, microseconds: 123_456))
        #expect(packet.message.source?.description == "192.0.2.1:5060")
        #expect(packet.message.destination?.description == "192.0.2.2:5080")
        #expect(packet.message.transport == .udp)
        #expect(packet.captureID == 2001)
        #expect(packet.protocolType == 1)
        #expect(try HEP.frameLength(bytes.prefix(6)) == bytes.count)
    }

    @Test("IPv6 addresses, TCP, and vendor chunks ignored")
    func ipv6() throws {
        var v6 = [UInt8](repeating: 0, count: 16)
        v6[15] = 1
        let bytes =
            Self.frame([(0x02, [6]), (0x05, v6), (0x06, v6), (0x07, Self.be16(5060)), (0x08, Self.be16(5061)), (0x0f, Self.sip)])
            + []
        let packet = try HEP.decode(bytes[...])
        #expect(packet.message.transport == .tcp)
        #expect(packet.message.source?.address == "::1")
        #expect(packet.message.timeMissing)
        let vendor = Self.frame([(0x0f, Array("not this".utf8))], vendor: 0x0003)
        #expect(throws: HEP.Failure.noPayload) { try HEP.decode(vendor[...]) }
    }

    @Test("malformed packets are refused with a reason, never a crash")
    func malformed() {
        let good = Self.frame([(0x0f, Self.sip)])
        #expect(throws: HEP.Failure.notHEP) { try HEP.decode(Array("HEP2\u{0}\u{10}".utf8)[...]) }
        #expect(throws: HEP.Failure.truncated) { try HEP.decode(good.dropLast(3)) }
        var badChunk = good
        badChunk[10] = 0
        badChunk[11] = 3
        #expect(throws: HEP.Failure.badChunk(type: 0x0f)) { try HEP.decode(badChunk[...]) }
        #expect(throws: HEP.Failure.badChunk(type: 0x09)) {
            try HEP.decode(Self.frame([(0x09, [1, 2]), (0x0f, Self.sip)])[...])
        }
        // Every prefix and every single-byte corruption of a real-shaped packet.
        let full = Self.frame([(0x03, [127, 0, 0, 1]), (0x07, Self.be16(5060)), (0x09, Self.be32(1)), (0x0f, Self.sip)])
        for n in 0..<full.count { _ = try? HEP.decode(full.prefix(n)) }
        for i in 0..<full.count {
            var copy = full
            copy[i] ^= 0xA5
            _ = try? HEP.decode(copy[...])
        }
    }
}
