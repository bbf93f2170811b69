import Foundation

/// Writes small classic pcap files for tests of link types, fragments and
/// TCP framing that real captures on loopback cannot show.
struct PcapBuilder {
    var linkType: UInt32
    private(set) var data = Data()
    private var packets = 0

    init(linkType: UInt32) {
        self.linkType = linkType
        append32(0xA1B2_C3D4)
        append16(2)
        append16(4)
        append32(0)
        append32(0)
        append32(65535)
        append32(linkType)
    }

    mutating func add(_ frame: [UInt8], seconds: UInt32 = 1_795_410_000, micros: UInt32 = 0) {
        append32(seconds + UInt32(packets))
        append32(micros)
        append32(UInt32(frame.count))
        append32(UInt32(frame.count))
        data.append(contentsOf: frame)
        packets += 1
    }

    private mutating func append32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    private mutating func append16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }

    func write() throws -> String {
        let path = NSTemporaryDirectory() + "sipmeter-test-\(UUID().uuidString).pcap"
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    /// IPv4 header (no checksum: readers don't verify it) + payload.
    static func ipv4(proto: UInt8, payload: [UInt8], id: Int = 1, fragmentOffset: Int = 0, more: Bool = false) -> [UInt8] {
        let flags = (more ? 0x2000 : 0) | (fragmentOffset / 8)
        return [0x45, 0] + be16(20 + payload.count) + be16(id) + be16(flags) + [64, proto, 0, 0]
            + [127, 0, 0, 1] + [127, 0, 0, 2] + payload
    }

    static func ipv6(proto: UInt8, payload: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0] + be16(payload.count) + [proto, 64] + [UInt8](repeating: 0, count: 15) + [1]
            + [UInt8](repeating: 0, count: 15) + [1] + payload
    }

    static func udp(_ payload: [UInt8], src: Int = 5080, dst: Int = 5060) -> [UInt8] {
        be16(src) + be16(dst) + be16(8 + payload.count) + [0, 0] + payload
    }

    static func tcp(_ payload: [UInt8], seq: UInt32, flags: UInt8 = 0x18, src: Int = 5080, dst: Int = 5060) -> [UInt8] {
        be16(src) + be16(dst) + be32(seq) + be32(0) + [0x50, flags] + be16(65535) + [0, 0, 0, 0] + payload
    }

    static func ethernet(_ ip: [UInt8], v6: Bool = false, vlan: Bool = false) -> [UInt8] {
        let macs = [UInt8](repeating: 0, count: 12)
        let type = be16(v6 ? 0x86DD : 0x0800)
        return macs + (vlan ? be16(0x8100) + [0, 5] : []) + type + ip
    }
}

enum SampleSIP {
    static func invite(callID: String, branch: String = "z9hG4bK-1", body: String = "") -> [UInt8] {
        Array(
            """
            INVITE sip:442071234567@127.0.0.1 SIP/2.0\r
            Via: SIP/2.0/UDP 127.0.0.1:5080;branch=\(branch)\r
            From: <sip:alice-trunk@127.0.0.1>;tag=t1\r
            To: <sip:442071234567@127.0.0.1>\r
            Call-ID: \(callID)\r
            CSeq: 1 INVITE\r
            Content-Length: \(body.utf8.count)\r
            \r
            \(body)
            """.utf8)
    }
}
