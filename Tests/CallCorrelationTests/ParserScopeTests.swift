import Foundation
import Testing
import SIPCapture
import SIPParsing

/// The metering scope splits a message's lines itself and hands libosip2
/// the start line and each header it reads; its reference copies the same
/// lines into a message of their own for libosip2's whole-message parse.
/// Over every message of every sample trace, and the same messages with
/// bare LF line ends and with their headers folded, both must read the
/// same fields or both reject.
@Suite("Metering parse against its reference")
struct ParserScopeTests {
    static let traceFiles: [String] = {
        let dir = Traces.root.appendingPathComponent("traces").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let kinds = [".pcap", ".pcapng", ".pcap.gz", ".log", ".log.gz", ".txt"]
        return names.filter { name in kinds.contains { name.hasSuffix($0) } }.sorted()
    }()

    /// Folds every header line after its first word: "Via: a b" becomes
    /// "Via: a\r\n b" (a legal SIP continuation).
    static func folded(_ bytes: [UInt8]) -> [UInt8] {
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return bytes }
        var out: [UInt8] = []
        var firstLine = true
        for line in bytes[..<end.lowerBound].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            var line = Array(line)
            if !firstLine, let colon = line.firstIndex(of: UInt8(ascii: ":")), colon + 2 < line.count,
                let space = line[(colon + 2)...].firstIndex(of: UInt8(ascii: " "))
            {
                line.insert(contentsOf: Array("\r\n\t".utf8), at: space)
            }
            firstLine = false
            out += line + [UInt8(ascii: "\n")]
        }
        out.removeLast()
        return out + bytes[end.lowerBound...]
    }

    @Test("every sample message reads the same through the metering scope and its reference")
    func sampleMessagesAgree() throws {
        #expect(Self.traceFiles.count >= 20)
        var compared = 0
        var accepted = 0
        for name in Self.traceFiles {
            let source = try CaptureInput.open(path: Traces.path(name), options: ReaderOptions(date: (2026, 11, 23)))
            source.filter = .all
            while let captured = try source.next() {
                let lf = captured.bytes.filter { $0 != UInt8(ascii: "\r") }
                for bytes in [captured.bytes, lf, Self.folded(captured.bytes)] {
                    let direct = SIPParser.parse(bytes, scope: .metering)
                    let reference = SIPParser.parse(bytes, scope: .meteringReference)
                    compared += 1
                    switch (direct, reference) {
                    case (.success(let a), .success(let b)):
                        accepted += 1
                        #expect(a == b, "\(name): \(String(decoding: bytes.prefix(60), as: UTF8.self))")
                    case (.failure, .failure): break
                    default:
                        Issue.record("\(name): metering \(direct) but its reference \(reference)")
                    }
                }
            }
        }
        // The traces hold a few thousand messages; nearly all are well formed.
        #expect(compared > 3000)
        #expect(accepted * 10 > compared * 9)
    }
}
