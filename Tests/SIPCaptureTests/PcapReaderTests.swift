import Foundation
import Testing
@testable import SIPCapture
import SIPParsing
import MeteringAgent

@Suite("pcap reader: link types, IP versions, fragments, TCP")
struct PcapReaderTests {
    static func messages(_ path: String) throws -> [CapturedMessage] {
        let source = try CaptureInput.open(path: path)
        var out: [CapturedMessage] = []
        while let m = try source.next() { out.append(m) }
        return out
    }

    static func callIDs(_ messages: [CapturedMessage]) throws -> [String] {
        try messages.map { try SIPParser.parse($0.bytes).get().callID }
    }

    @Test("Ethernet (with and without VLAN), SLL, SLL2, raw IP, null and loop links")
    func linkTypes() throws {
        let ip = PcapBuilder.ipv4(proto: 17, payload: PcapBuilder.udp(SampleSIP.invite(callID: "link")))
        let cases: [(UInt32, [UInt8])] = [
            (1, PcapBuilder.ethernet(ip)),
            (1, PcapBuilder.ethernet(ip, vlan: true)),
            (113, [0, 0, 0, 1, 0, 6] + [UInt8](repeating: 0, count: 8) + [0x08, 0x00] + ip),
            (276, [0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6] + [UInt8](repeating: 0, count: 8) + ip),
            (101, ip),
            (0, [2, 0, 0, 0] + ip),
            (108, [0, 0, 0, 2] + ip),
        ]
        for (link, frame) in cases {
            var b = PcapBuilder(linkType: link)
            b.add(frame)
            let messages = try Self.messages(try b.write())
            #expect(try Self.callIDs(messages) == ["link"], "link type \(link)")
            #expect(messages.first?.source?.description == "127.0.0.1:5080")
        }
    }

    @Test("IPv6 over Ethernet")
    func ipv6() throws {
        var b = PcapBuilder(linkType: 1)
        b.add(
            PcapBuilder.ethernet(PcapBuilder.ipv6(proto: 17, payload: PcapBuilder.udp(SampleSIP.invite(callID: "v6"))), v6: true))
        let messages = try Self.messages(try b.write())
        #expect(try Self.callIDs(messages) == ["v6"])
        #expect(messages.first?.source?.description == "[::1]:5080")
    }

    @Test("a UDP datagram in three IPv4 fragments, out of order, is reassembled")
    func fragments() throws {
        let body = String(repeating: "a=x-padding:0123456789\r\n", count: 120)
        let datagram = PcapBuilder.udp(SampleSIP.invite(callID: "frag", body: body))
        let cut1 = 1480
        let cut2 = 2960
        let pieces = [
            PcapBuilder.ipv4(proto: 17, payload: Array(datagram[cut2...]), id: 7, fragmentOffset: cut2, more: false),
            PcapBuilder.ipv4(proto: 17, payload: Array(datagram[..<cut1]), id: 7, fragmentOffset: 0, more: true),
            PcapBuilder.ipv4(proto: 17, payload: Array(datagram[cut1..<cut2]), id: 7, fragmentOffset: cut1, more: true),
        ]
        var b = PcapBuilder(linkType: 101)
        for p in pieces { b.add(p) }
        let messages = try Self.messages(try b.write())
        let parsed = try #require(messages.first.map { try SIPParser.parse($0.bytes).get() })
        #expect(parsed.callID == "frag")
        #expect(messages.first?.bytes == Array(datagram[8...]))
        #expect(messages.count == 1)
        let source = try CaptureInput.open(path: try b.write())
        while try source.next() != nil {}
        #expect(source.stats.fragmentsReassembled == 1)
        #expect(source.stats.fragmentsDropped == 0)
    }

    @Test("TCP: several messages in one segment, one message across segments, retransmitted and out-of-order segments")
    func tcpFraming() throws {
        let a = SampleSIP.invite(callID: "tcp-a", body: "v=0\r\n")
        let b2 = SampleSIP.invite(callID: "tcp-b", branch: "z9hG4bK-2")
        let c = SampleSIP.invite(callID: "tcp-c", branch: "z9hG4bK-3", body: String(repeating: "x", count: 300))
        let stream = a + b2 + c
        let seq0: UInt32 = 1000
        var b = PcapBuilder(linkType: 101)
        b.add(PcapBuilder.ipv4(proto: 6, payload: PcapBuilder.tcp([], seq: seq0 - 1, flags: 0x02)))
        let split1 = a.count + b2.count + 40
        let split2 = split1 + 100
        // a and b and the start of c; then a retransmission of the first
        // segment; then c's tail before its middle.
        b.add(PcapBuilder.ipv4(proto: 6, payload: PcapBuilder.tcp(Array(stream[..<split1]), seq: seq0)))
        b.add(PcapBuilder.ipv4(proto: 6, payload: PcapBuilder.tcp(Array(stream[..<split1]), seq: seq0)))
        b.add(PcapBuilder.ipv4(proto: 6, payload: PcapBuilder.tcp(Array(stream[split2...]), seq: seq0 + UInt32(split2))))
        b.add(PcapBuilder.ipv4(proto: 6, payload: PcapBuilder.tcp(Array(stream[split1..<split2]), seq: seq0 + UInt32(split1))))
        let messages = try Self.messages(try b.write())
        #expect(try Self.callIDs(messages) == ["tcp-a", "tcp-b", "tcp-c"])
        #expect(messages.allSatisfy { $0.transport == .tcp })
    }

    @Test("a capture cut short keeps what was read and says where it stopped")
    func truncatedCapture() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.trace("basic.pcap")))
        let path = NSTemporaryDirectory() + "sipmeter-cut-\(UUID().uuidString).pcap"
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        let source = try CaptureInput.open(path: path)
        var count = 0
        while try source.next() != nil { count += 1 }
        #expect(count > 10)
        #expect(source.stats.warnings.contains { $0.contains(path) && $0.contains("after packet") })
    }

    @Test("a non-SIP UDP packet is skipped, an absurd Content-Length is counted as malformed")
    func skips() throws {
        var b = PcapBuilder(linkType: 101)
        b.add(PcapBuilder.ipv4(proto: 17, payload: PcapBuilder.udp([0x80, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])))
        var absurd = SampleSIP.invite(callID: "big")
        absurd = Array(
            String(decoding: absurd, as: UTF8.self).replacingOccurrences(
                of: "Content-Length: 0", with: "Content-Length: 99999999999"
            ).utf8)
        b.add(PcapBuilder.ipv4(proto: 17, payload: PcapBuilder.udp(absurd)))
        let source = try CaptureInput.open(path: try b.write())
        while try source.next() != nil {}
        #expect(source.stats.nonSIP == 1)
        #expect(source.stats.malformed == 1)
    }

    @Test("a body shorter than its Content-Length is re-framed and flagged truncated")
    func shortBody() throws {
        var text = String(decoding: SampleSIP.invite(callID: "short", body: "v=0\r\n"), as: UTF8.self)
        text = text.replacingOccurrences(of: "Content-Length: 5", with: "Content-Length: 500")
        var b = PcapBuilder(linkType: 101)
        b.add(PcapBuilder.ipv4(proto: 17, payload: PcapBuilder.udp(Array(text.utf8))))
        let messages = try Self.messages(try b.write())
        #expect(messages.count == 1)
        #expect(messages.first?.truncated == true)
        #expect(try Self.callIDs(messages) == ["short"])
    }

    static func trace(_ name: String) -> String {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
        }
        return url.appendingPathComponent("Samples/traces/\(name)").path
    }
}

@Suite("bad input through the whole pipeline")
struct BadInputPipelineTests {
    @Test("a message without Call-ID is counted as malformed with file and packet; the others still correlate")
    func missingCallID() throws {
        var noCallID = String(decoding: SampleSIP.invite(callID: "gone"), as: UTF8.self)
        noCallID = noCallID.replacingOccurrences(of: "Call-ID: gone\r\n", with: "")
        var b = PcapBuilder(linkType: 101)
        b.add(PcapBuilder.ipv4(proto: 17, payload: PcapBuilder.udp(Array(noCallID.utf8))))
        b.add(PcapBuilder.ipv4(proto: 17, payload: PcapBuilder.udp(SampleSIP.invite(callID: "kept"))))
        let path = try b.write()
        var records: [String] = []
        let summary = ParsePipeline.run(paths: [path], options: ParseOptions()) { records.append($0.callID) }
        #expect(summary.malformed == 1)
        #expect(
            summary.warnings.contains {
                $0.hasPrefix("\(path): packet 1: malformed SIP skipped: the message has no Call-ID header")
            })
        #expect(records == ["kept"])
    }

    @Test("a 10 MB header line in a TCP stream is dropped; the next message is framed; the buffer stays bounded")
    func hugeLineInStream() {
        var framer = SIPStreamFramer()
        var out: [[UInt8]] = []
        let chunk = [UInt8]("INVITE sip:x@y SIP/2.0\r\nX-Huge: ".utf8) + [UInt8](repeating: 0x41, count: 64 * 1024)
        framer.append(chunk, into: &out)
        var maxPending = framer.pendingCount
        for _ in 0..<(10 * 16) {
            framer.append([UInt8](repeating: 0x41, count: 64 * 1024), into: &out)
            maxPending = max(maxPending, framer.pendingCount)
        }
        framer.append([0x0D, 0x0A] + SampleSIP.invite(callID: "after"), into: &out)
        #expect(out.count == 1)
        #expect(out.first.map { (try? SIPParser.parse($0).get())?.callID } == "after")
        #expect(maxPending <= 320 * 1024)
        #expect(framer.malformed >= 1)
    }
}
