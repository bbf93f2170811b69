import Testing
import MeteringCore
import SIPCapture
import SIPParsing
import CallCorrelation

/// Races and reordering, made by rearranging real captured messages.
@Suite("Races and reordering on real messages")
struct RaceTests {
    static func observed(_ name: String, legs: Bool = false) throws -> [ObservedMessage] {
        let source = try CaptureInput.open(path: Traces.path(name))
        var out: [ObservedMessage] = []
        while let c = try source.next() {
            let m = try SIPParser.parse(c.bytes).get()
            var leg: Int?
            if legs, let a = c.source, let b = c.destination { leg = a.hashValue ^ b.hashValue }
            out.append(ObservedMessage(message: m, time: c.time, sequence: out.count, leg: leg))
        }
        return out
    }

    static func stream(_ messages: [ObservedMessage], settings: CorrelationSettings, advanceBy micros: Int64) throws
        -> [CallRecord]
    {
        var c = Correlator(settings: settings, profiles: try Traces.profiles())
        var out: [CallRecord] = []
        for m in messages { c.add(m, into: &out) }
        c.advance(to: messages.last!.time.adding(microseconds: micros), into: &out)
        return out
    }

    @Test("a call closes once its BYE is answered on the caller's hop, without waiting for the linger")
    func closesAtByeResponse() throws {
        var settings = CorrelationSettings()
        settings.reorderWindowMs = 0
        // basic.pcap was captured on a proxy: every BYE and its 200 cross two hops.
        let messages = try Self.observed("basic.pcap", legs: true)
        let complete = try Self.correlate(messages)
        #expect(complete.count == 5)
        #expect(try Self.stream(messages, settings: settings, advanceBy: 1000) == complete)

        // Without the caller's hop's 200 to each BYE, every call waits for the linger.
        let callerHop200 = Set(
            messages.indices.filter { i in
                let m = messages[i].message
                guard m.status == 200, m.cseqMethod == .bye else { return false }
                return !messages[(i + 1)...].contains { $0.message.callID == m.callID && $0.message.cseqMethod == .bye }
            })
        #expect(callerHop200.count == 5)
        let unanswered = messages.indices.filter { !callerHop200.contains($0) }.map { messages[$0] }
        #expect(try Self.stream(unanswered, settings: settings, advanceBy: 1000).count < 5)
        let lingered = try Self.stream(unanswered, settings: settings, advanceBy: (settings.linger + 1) * 1_000_000)
        #expect(lingered == complete)
    }

    static func correlate(_ messages: [ObservedMessage]) throws -> [CallRecord] {
        var c = Correlator(profiles: try Traces.profiles())
        var out: [CallRecord] = []
        for (i, var m) in messages.enumerated() {
            m.sequence = i
            c.add(m, into: &out)
        }
        c.finish(into: &out)
        return out
    }

    @Test(
        "the same traffic replayed a day later (same Call-IDs, tags and CSeqs, as SIPp restarted with the same pid makes) is new calls, also when the day before left a call to its timeout"
    )
    func replayedNextDay() throws {
        // no-bye.pcap's answered call has no BYE: it closes at its bound when the next day's traffic arrives.
        for name in ["basic.pcap", "no-bye.pcap", "cancel.pcap"] {
            let day = try Self.observed(name)
            var days: [ObservedMessage] = []
            for d in 0..<3 {
                for var m in day {
                    m.time = m.time.adding(seconds: Int64(d) * 86_400)
                    m.sequence = days.count
                    days.append(m)
                }
            }
            let once = try Self.correlate(day)
            let thrice = try Self.correlate(days)
            #expect(once.count > 0)
            #expect(thrice.count == 3 * once.count, "\(name)")
            #expect(Set(thrice.map(\.id)).count == thrice.count)
        }
    }

    @Test("messages up to a second out of order give the same records")
    func reorderWindow() throws {
        for name in ["basic.pcap", "cancel.pcap", "auth.pcap", "fork.pcap"] {
            let messages = try Self.observed(name)
            var shuffled = messages
            // Swap neighbours closer than one second, as a mirror port would.
            var i = 0
            while i + 1 < shuffled.count {
                if shuffled[i + 1].time.microseconds - shuffled[i].time.microseconds < 1_000_000 {
                    shuffled.swapAt(i, i + 1)
                }
                i += 3
            }
            #expect(shuffled.map(\.sequence) != messages.map(\.sequence))
            #expect(try Self.correlate(shuffled) == Self.correlate(messages), "\(name)")
        }
    }

    @Test("a 487 that overtakes the 200 to the CANCEL changes nothing")
    func cancel487First() throws {
        let messages = try Self.observed("cancel.pcap")
        var swapped = messages
        // For each CANCEL's 200, move the caller's 487 in front of it.
        for i in swapped.indices where swapped[i].message.status == 200 && swapped[i].message.cseqMethod == .cancel {
            if let j = swapped[(i + 1)...].firstIndex(where: {
                $0.message.status == 487 && $0.message.callID == swapped[i].message.callID
            }) {
                let moved = swapped.remove(at: j)
                var early = moved
                early.time = swapped[i].time
                swapped.insert(early, at: i)
            }
        }
        let a = try Self.correlate(messages)
        let b = try Self.correlate(swapped)
        #expect(a.map(\.disposition) == b.map(\.disposition))
        #expect(a.map(\.finalStatus) == b.map(\.finalStatus))
        #expect(b.allSatisfy { $0.endedBy == .caller })
    }

    @Test("a 200 that crosses the caller's CANCEL: the call is answered")
    func answerAfterCancel() throws {
        var messages = try Self.observed("basic.pcap")
        // Insert a CANCEL from the caller, built from its INVITE (same
        // branch, RFC 3261 §9.1), just before each call's first 200 OK.
        var i = 0
        while i < messages.count {
            let m = messages[i].message
            if m.status == 200, m.cseqMethod == .invite,
                let invite = messages[..<i].first(where: { $0.message.callID == m.callID && $0.message.method == .invite }),
                !messages[..<i].contains(where: { $0.message.callID == m.callID && $0.message.method == .cancel })
            {
                var cancel = invite
                cancel.message.startLine = .request(method: .cancel, uriUser: invite.message.requestUser, uriHost: nil)
                cancel.message.cseqMethod = .cancel
                cancel.time = messages[i].time.adding(microseconds: -1)
                messages.insert(cancel, at: i)
                i += 1
            }
            i += 1
        }
        let records = try Self.correlate(messages)
        #expect(records.count == 5)
        #expect(records.allSatisfy { $0.disposition == .answered && $0.endedBy == .caller && $0.durationMs > 900 })
    }
}
