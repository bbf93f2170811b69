import Testing
import MeteringCore
import CallCorrelation
import SIPCapture
import SIPParsing

/// The correlation rules of the issue, each shown on a real trace.
@Suite("Correlation rules on real traffic")
struct ScenarioRuleTests {
    @Test("INVITE retransmissions never create a call")
    func retransmissions() throws {
        let (records, summary) = try Traces.parse(["retrans.pcap"])
        #expect(records.count == 2)
        #expect(summary.retransmissions > 0)
        #expect(records.allSatisfy { $0.flags.contains(.retransmissions) })
    }

    @Test("a 407 challenge and the authenticated INVITE are one call")
    func authChallenge() throws {
        let (records, _) = try Traces.parse(["auth.pcap"])
        #expect(records.count == 3)
        #expect(records.allSatisfy { $0.flags.contains(.authChallenged) && $0.disposition == .answered })
    }

    @Test("both proxy legs with one Call-ID give one record; a downstream 503 is the caller's 500")
    func proxyLegs() throws {
        let (records, _) = try Traces.parse(["busy-fail.pcap"])
        #expect(records.count == 6)
        let congestion = records.filter { $0.disposition == .congestion }
        #expect(congestion.count == 3)
        #expect(congestion.allSatisfy { $0.finalStatus == 500 })
    }

    @Test("forking: the answered branch's To-tag is billed")
    func forking() throws {
        let (records, _) = try Traces.parse(["fork.pcap"])
        #expect(records.count == 2)
        for r in records {
            #expect(r.disposition == .answered)
            #expect(r.flags.contains(.forked))
            #expect(r.toTag != nil)
        }
    }

    @Test("183 early media is never billed: the answer is the 200")
    func earlyMedia() throws {
        let (records, _) = try Traces.parse(["early-media.pcap"])
        for r in records {
            let progress = try #require(r.progressTime)
            let answer = try #require(r.answerTime)
            #expect(answer.microseconds - progress.microseconds > 900_000)
            #expect(r.durationMs < 1_100)
        }
    }

    @Test("re-INVITE mid-call never moves the answer time")
    func reinvite() throws {
        let expected = try Traces.expected("reinvite")
        let (records, _) = try Traces.parse(["reinvite.pcap"])
        for (r, e) in zip(records, expected) {
            #expect(r.answerTime?.microseconds == e.answer)
        }
    }

    @Test("BYE from the callee: ended_by callee, profile from the initial INVITE")
    func calleeBye() throws {
        let (records, _) = try Traces.parse(["callee-bye.pcap"])
        #expect(records.count == 3)
        #expect(records.allSatisfy { $0.endedBy == .callee && $0.profile == "alice-trunk" && $0.direction == .outbound })
    }

    @Test("no BYE: closed at end of input, or at Session-Expires / max duration when the input goes on")
    func noBye() throws {
        let (records, _) = try Traces.parse(["no-bye.pcap"])
        #expect(records.count == 3)
        #expect(records.allSatisfy { $0.flags.contains(.noBye) && $0.flags.contains(.endOfInput) && $0.endedBy == .timeout })

    }

    @Test("no BYE: closed at Session-Expires when negotiated, else at the maximum duration")
    func noByeBounds() throws {
        var settings = CorrelationSettings()
        settings.maxDuration = 10
        let records = try Traces.correlate("no-bye.pcap", settings: settings, thenAdvanceBy: 3600)
        #expect(records.count == 3)
        let expired = records.filter { $0.flags.contains(.sessionExpired) }
        let capped = records.filter { $0.flags.contains(.maxDuration) }
        #expect(expired.count == 2)
        #expect(capped.count == 1)
        #expect(capped.first?.durationMs == 10_000)
        // Session-Expires: 90 from the 200 OK (RFC 4028 §10).
        #expect(expired.allSatisfy { $0.durationMs == 90_000 && $0.endedBy == .timeout && $0.flags.contains(.noBye) })
    }

    @Test("CANCEL: 487 after 180 is no_answer, before any 18x cancelled, ended by the caller")
    func cancel() throws {
        let (records, _) = try Traces.parse(["cancel.pcap"])
        #expect(records.filter { $0.disposition == .noAnswer }.count == 3)
        #expect(records.filter { $0.disposition == .cancelled }.count == 2)
        #expect(records.allSatisfy { $0.endedBy == .caller && $0.finalStatus == 487 && $0.durationMs == 0 })
    }

    @Test("output is identical however the input is split across files")
    func mergedInputs() throws {
        let (one, _) = try Traces.parse(["basic.pcap", "cancel.pcap"])
        let (two, _) = try Traces.parse(["cancel.pcap", "basic.pcap"])
        #expect(one == two)
        #expect(one.count == 10)
    }
}

@Suite("Live call state")
struct LiveStateTests {
    /// A live call event is due only while a call is answered and up: not
    /// before its 2xx, and not once its BYE was seen (its record follows).
    /// The trace holds both legs of each call through a proxy: the callee's
    /// 200 reaches the proxy before the caller's leg carries it.
    @Test("pending until the caller's 2xx, answered while up (with the final record's id), over from the BYE")
    func liveState() throws {
        let source = try CaptureInput.open(path: Traces.path("basic.pcap"))
        var tracker = CallTracker(settings: .init(), profiles: try Traces.profiles())
        var records: [CallRecord] = []
        /// Per call, its states after each message, runs collapsed: "p", "a", "o".
        var states: [String: String] = [:]
        var answeredIDs: [String: String] = [:]
        var last = Timestamp(microseconds: 0)
        var sequence = 0
        while let captured = try source.next() {
            guard case .success(let message) = SIPParser.parse(captured.bytes) else { continue }
            let callID = message.callID
            tracker.handle(ObservedMessage(message: message, time: captured.time, sequence: sequence), into: &records)
            sequence += 1
            last = captured.time
            let letter: String
            switch tracker.liveState(callID: callID) {
            case .pending: letter = "p"
            case .answered(let call):
                letter = "a"
                #expect(call.callID == callID)
                answeredIDs[callID] = call.id
            case .over: letter = "o"
            }
            if case .request(.bye, _, _) = message.startLine { #expect(letter == "o", "\(callID): a BYE") }
            if states[callID]?.last.map(String.init) != letter { states[callID, default: ""] += letter }
        }
        tracker.advance(to: last.adding(seconds: 10), into: &records)
        // Every call of the trace was answered (expected/basic.tsv, from tshark).
        let expected = try Traces.expected("basic").filter { $0.answer != nil }.map(\.callID)
        #expect(Set(answeredIDs.keys) == Set(expected))
        for (callID, path) in states where answeredIDs[callID] != nil {
            #expect(path == "pao", "\(callID)")
            // Closed, and remembered for retransmissions: still over.
            #expect(tracker.liveState(callID: callID) == .over)
        }
        #expect(tracker.liveState(callID: "never-seen@example.com") == .pending)
        // The event's id is the id of the record that supersedes it.
        let recordIDs = Dictionary(records.map { ($0.callID, $0.id) }, uniquingKeysWith: { a, _ in a })
        for (callID, id) in answeredIDs { #expect(recordIDs[callID] == id) }
    }
}
