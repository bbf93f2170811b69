import Foundation
import Testing
@testable import SIPCapture

@Suite("input detection and bad input")
struct InputTests {
    @Test(
        "formats are detected from content, gzip included",
        arguments: [
            ("basic.pcap", InputFormat.pcap), ("basic.pcapng", .pcap), ("basic.pcap.gz", .pcap),
            ("basic.sipp.log", .sipp), ("basic.sipp.log.gz", .sipp), ("basic.sipdump.txt", .sipdump),
            ("basic.sngrep.txt", .sngrep), ("basic.freeswitch.log", .freeswitch), ("basic.asterisk.log", .asterisk),
            ("basic.asterisk-noprefix.log", .asterisk),
        ])
    func detection(_ name: String, _ format: InputFormat) throws {
        #expect(try CaptureInput.detect(path: PcapReaderTests.trace(name)) == format)
    }

    static func temp(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "sipmeter-bad-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("unreadable and unknown inputs give one line naming the file")
    func unusable() throws {
        let garbage = try Self.temp((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) })
        for path in ["/nonexistent/x.pcap", NSTemporaryDirectory(), garbage] {
            do {
                _ = try CaptureInput.open(path: path)
                Issue.record("opened \(path)")
            } catch {
                #expect(error.description.hasPrefix(path))
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test("a 10 MB line inside a log is skipped with a warning; the records around it survive")
    func overlongLine() throws {
        let log = try String(contentsOfFile: PcapReaderTests.trace("basic.sipdump.txt"), encoding: .utf8)
        let marker = "CSeq: 1 INVITE\r\n"
        let range = try #require(log.range(of: marker))
        let huge = "X-Huge: " + String(repeating: "A", count: 10 * 1024 * 1024) + "\r\n"
        let mangled = log.replacingCharacters(in: range, with: marker + huge)
        let path = try Self.temp(Array(mangled.utf8))
        let source = try CaptureInput.open(path: path, format: .sipdump)
        var count = 0
        while try source.next() != nil { count += 1 }
        #expect(count == 69)
        #expect(source.stats.malformed == 1)
        #expect(source.stats.warnings.first?.contains("offset") == true)
    }

    /// SIPp's reader takes a message's lines in one run up to the next
    /// record: a 10 MB line, and a record grown past 256 KiB of ordinary
    /// lines, each cost that record alone.
    @Test("SIPp log: an overlong line or an oversized record is skipped; the records around it survive")
    func sippOversized() throws {
        let log = try String(contentsOfFile: PcapReaderTests.trace("basic.sipp.log"), encoding: .utf8)
        let records = log.components(separatedBy: "\n").filter { $0.hasPrefix(String(repeating: "-", count: 47)) }.count
        let marker = "CSeq: 1 INVITE\r\n"
        let range = try #require(log.range(of: marker))
        let huge = "X-Huge: " + String(repeating: "A", count: 10 * 1024 * 1024) + "\r\n"
        let many = String(repeating: "X-Filler: " + String(repeating: "B", count: 1000) + "\r\n", count: 300)
        for insert in [huge, many] {
            let path = try Self.temp(Array(log.replacingCharacters(in: range, with: marker + insert).utf8))
            let source = try CaptureInput.open(path: path, format: .sipp)
            var count = 0
            while try source.next() != nil { count += 1 }
            #expect(count == records - 1)
            #expect(source.stats.malformed == 1)
            #expect(source.stats.warnings.first?.contains("offset") == true)
        }
    }

    @Test("LF-only text logs are restored to CRLF so Content-Length holds")
    func lfRestored() throws {
        let source = try CaptureInput.open(path: PcapReaderTests.trace("basic.freeswitch.log"))
        var withBody = 0
        while let m = try source.next() {
            #expect(!m.truncated)
            let text = String(decoding: m.bytes, as: UTF8.self)
            #expect(text.contains("\r\n\r\n"))
            if !text.hasSuffix("\r\n\r\n") { withBody += 1 }
        }
        #expect(withBody > 0)
    }

    @Test("a log whose last body is cut short is flagged truncated")
    func truncatedLog() throws {
        var log = try String(contentsOfFile: PcapReaderTests.trace("basic.sngrep.txt"), encoding: .utf8)
        let cut = try #require(log.range(of: "m=audio", options: .backwards))
        log = String(log[..<cut.lowerBound])
        let source = try CaptureInput.open(path: try Self.temp(Array(log.utf8)))
        var last: CapturedMessage?
        while let m = try source.next() { last = m }
        #expect(last?.truncated == true)
    }
}

@Suite("SIPp Dead call blocks")
struct SIPpDeadCallTests {
    @Test("a Dead call block (no timestamp) keeps the previous time and adds no call")
    func deadCall() throws {
        let log = try String(contentsOfFile: PcapReaderTests.trace("basic.sipp.log"), encoding: .utf8)
        // SIPp's deadcall.cpp writes 47 dashes, "Dead call <id> received a
        // UDP message:", a blank line and the message. Repeat the first
        // 200 OK the caller received, as a late retransmission would be.
        let blocks = log.components(separatedBy: "----------------------------------------------- ")
        let ok = try #require(blocks.first { $0.contains("SIP/2.0 200 OK") && $0.contains("CSeq: 1 INVITE") })
        let message = try #require(ok.range(of: "\n\n")).upperBound
        let dead =
            "-----------------------------------------------\nDead call 1-9688@127.0.0.1 received a UDP message:\n\n"
            + ok[message...]
        let path = try InputTests.temp(Array((log + dead).utf8))
        let source = try CaptureInput.open(path: path)
        var messages: [CapturedMessage] = []
        while let m = try source.next() { messages.append(m) }
        #expect(messages.count == 36)
        let last = try #require(messages.last)
        #expect(last.time == messages[messages.count - 2].time)
        #expect(!last.timeMissing)
    }
}
