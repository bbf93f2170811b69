import Testing
import MeteringCore
import CallCorrelation

/// Every scenario captured from SIPp through Kamailio, read from each of
/// its sources, must give the calls that tshark and the scenario plan say.
@Suite("Real traces against tshark-derived expectations")
struct RealTraceTests {
    static let scenarios = [
        "basic", "busy-fail", "auth", "cancel", "early-media", "reinvite", "callee-bye", "no-bye", "fork", "tcp",
        "retrans", "ipv6",
    ]

    /// The pcap is the reference: times equal tshark's to the microsecond.
    /// sipdump and SIPp logs stamp a message where that program handled it,
    /// so their times may differ by a few milliseconds.
    static let sources: [(suffix: String, tolerance: Int64)] = [
        ("pcap", 0), ("sipdump.txt", 5_000), ("sipp.log", 15_000),
    ]

    @Test("records match the expected calls", arguments: scenarios, [0, 1, 2])
    func scenario(_ scenario: String, sourceIndex: Int) throws {
        let source = Self.sources[sourceIndex]
        let expected = try Traces.expected(scenario)
        let (records, summary) = try Traces.parse(["\(scenario).\(source.suffix)"])
        #expect(summary.malformed == 0)
        #expect(summary.unusable.isEmpty)
        #expect(records.count == expected.count, "\(scenario).\(source.suffix): \(records.count) records")
        let byCallID = Dictionary(records.map { ($0.callID, $0) }, uniquingKeysWith: { a, _ in a })
        for e in expected {
            guard let r = byCallID[e.callID] else {
                Issue.record("\(scenario).\(source.suffix): no record for \(e.callID)")
                continue
            }
            check(r, e, tolerance: source.tolerance, label: "\(scenario).\(source.suffix) \(e.callID)")
        }
        let setups = records.map(\.setupTime)
        #expect(setups == setups.sorted(), "records are sorted by setup time")
    }

    @Test(
        "text formats converted from the same capture give the same calls",
        arguments: [
            "basic.freeswitch.log", "basic.sngrep.txt", "basic.asterisk.log",
        ])
    func textSamples(_ name: String) throws {
        let expected = try Traces.expected("text-samples")
        let (records, summary) = try Traces.parse([name])
        #expect(summary.malformed == 0)
        #expect(records.count == expected.count)
        // The Asterisk logger prefix has whole seconds only.
        let tolerance: Int64 = name.contains("asterisk") ? 1_000_000 : 0
        let byCallID = Dictionary(records.map { ($0.callID, $0) }, uniquingKeysWith: { a, _ in a })
        for e in expected {
            guard let r = byCallID[e.callID] else {
                Issue.record("\(name): no record for \(e.callID)")
                continue
            }
            check(r, e, tolerance: tolerance, label: "\(name) \(e.callID)")
        }
    }

    @Test("Linux cooked captures (SLL, SLL2) from dumpcap -i any", arguments: ["any-sll", "any-sll2"])
    func cookedCaptures(_ scenario: String) throws {
        let expected = try Traces.expected(scenario)
        let (records, summary) = try Traces.parse(["\(scenario).pcap"])
        #expect(summary.malformed == 0 && summary.nonSIP == 0)
        #expect(records.count == expected.count)
        for (r, e) in zip(records, expected) {
            #expect(r.callID == e.callID)
            check(r, e, tolerance: 0, label: "\(scenario).pcap \(e.callID)")
        }
    }

    @Test("Asterisk output without a logger prefix is flagged no_timestamp")
    func asteriskWithoutPrefix() throws {
        let (records, _) = try Traces.parse(["basic.asterisk-noprefix.log"])
        #expect(records.count == 10)
        #expect(records.allSatisfy { $0.flags.contains(.noTimestamp) })
    }

    private func check(_ r: CallRecord, _ e: Traces.Expected, tolerance: Int64, label: String) {
        func near(_ a: Timestamp?, _ b: Int64?) -> Bool {
            switch (a, b) {
            case (nil, nil): return true
            case let (a?, b?): return abs(a.microseconds - b) <= tolerance
            default: return false
            }
        }
        #expect(r.caller == e.caller, "\(label)")
        #expect(r.callee == e.callee, "\(label)")
        #expect(near(r.setupTime, e.setup), "\(label): setup \(r.setupTime.rfc3339)")
        #expect(near(r.answerTime, e.answer), "\(label): answer \(r.answerTime?.rfc3339 ?? "nil")")
        if let end = e.end {
            #expect(near(r.endTime, end), "\(label): end \(r.endTime.rfc3339)")
        } else {
            #expect(r.flags.contains(.noBye), "\(label): a call with no BYE is flagged")
        }
        #expect(r.finalStatus == e.finalStatus, "\(label)")
        #expect(r.disposition.rawValue == e.disposition, "\(label)")
        #expect(r.endedBy?.rawValue == e.endedBy, "\(label)")
        if let answer = r.answerTime {
            #expect(r.durationMs == r.endTime.milliseconds(since: answer))
        } else {
            #expect(r.durationMs == 0)
        }
    }
}
