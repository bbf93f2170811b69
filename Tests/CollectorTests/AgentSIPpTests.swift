import Foundation
import Testing

/// Issue 4's two "must show" tests as live SIPp runs (`Samples/e2e/`): the
/// agent follows the caller SIPp's `-trace_msg` log while dumpcap captures
/// the same calls on lo, and the collector's calls are compared with the
/// INVITE Call-IDs tshark finds in the capture (and with SIPp's own
/// statistics and per-call log): none missing, none twice, dispositions and
/// durations as on the wire. `AgentDaemonTests` has the faster replayed-trace
/// versions of both.
@Suite("sipmeter-agent run against live SIPp traffic", .serialized)
struct AgentSIPpTests {
    typealias CLI = CollectorCLITests

    static func run(_ name: String) throws -> (summary: [String: String], status: Int32, context: Comment) {
        let script = CLI.root.appendingPathComponent("Samples/e2e/\(name)").path
        let binDir = CLI.binary("sipmeter-collector").deletingLastPathComponent().path
        let run = try CLI.runTool("/bin/bash", [script, binDir])
        return (
            KamailioAuthorizeTests.summary(run.stdout), run.status,
            Comment(rawValue: "exit \(run.status)\n\(run.stdout)\n\(run.stderr)")
        )
    }

    /// The comparison both scripts make (compare.py).
    static func expectExactlyOnce(_ s: [String: String], calls: Int, _ context: Comment) {
        func int(_ key: String) -> Int { Int(s[key] ?? "") ?? -1 }
        // What happened: SIPp made every call, the wire shows each INVITE once per call.
        #expect(int("sipp_calls_created") == calls, context)
        #expect(int("sipp_calls_failed") == 0, context)
        #expect(int("tshark_calls") == calls, context)
        #expect(int("sipp_calls_logged") == calls, context)
        #expect(int("sipp_vs_tshark_diff") == 0, context)
        #expect(int("trace_vs_tshark_diff") == 0, context)
        #expect(int("tshark_no_final") == 0, context)
        // What the collector holds: exactly those calls, once each.
        #expect(int("collector_calls") == int("tshark_calls"), context)
        #expect(int("collector_records") == int("tshark_calls"), context)
        #expect(int("missing") == 0, context)
        #expect(int("extra") == 0, context)
        #expect(int("duplicates") == 0, context)
        #expect(int("collector_answered") == int("tshark_answered"), context)
        #expect(int("tshark_answered") > 0 && int("tshark_busy") > 0 && int("tshark_congestion") > 0, context)
        #expect(int("collector_unpriced") == 0, context)
        // Each call as on the wire.
        #expect(int("disposition_mismatches") == 0, context)
        #expect(int("sipp_status_mismatches") == 0, context)
        #expect(int("durations_checked") == int("tshark_answered"), context)
        // Durations: as in SIPp's trace (the agent's input) to the millisecond, and
        // as on the wire (BYE minus 200 OK) within 50 ms plus SIPp's own lag in
        // stamping those messages (it can log a 200 OK 100+ ms after it crossed lo).
        #expect(int("duration_mismatches_vs_trace") == 0, context)
        #expect(int("duration_mismatches_vs_wire") == 0, context)
        // Each record accepted once, nothing rejected, nothing left behind.
        #expect(int("collector_records_accepted") == int("collector_records"), context)
        #expect(int("collector_records_rejected") == 0, context)
        #expect(int("agent_spool_waiting") == 0, context)
        #expect(int("agent_dead_letters") == 0, context)
        #expect(s["drained"] == "yes", context)
        #expect(s["agent_term_status"] == "0", context)
        #expect(s["compare_ok"] == "yes", context)
        #expect(s["invariants_ok"] == "yes", context)
    }

    @Test(
        "the collector is down for the first minute of a SIPp run, then starts: every call arrives exactly once",
        .timeLimit(.minutes(4)))
    func collectorDownFirstMinute() throws {
        let (s, status, context) = try Self.run("collector-down.sh")
        func int(_ key: String) -> Int { Int(s[key] ?? "") ?? -1 }
        #expect(status == 0, context)
        Self.expectExactlyOnce(s, calls: 750, context)
        // The calls waited in the spool while nothing listened, and none was shipped then.
        #expect(int("spool_before_collector") > 0, context)
        #expect(int("shipped_before_collector") == 0, context)
        #expect((Double(s["collector_started_at_s"] ?? "") ?? 0) >= 60, context)
    }

    @Test(
        "kill -9 of the agent at 10 random moments of a 2,000-call SIPp run: the collector ends with exactly the calls on the wire",
        .timeLimit(.minutes(4)))
    func killNineDuringRun() throws {
        let (s, status, context) = try Self.run("agent-kill9.sh")
        func int(_ key: String) -> Int { Int(s[key] ?? "") ?? -1 }
        #expect(status == 0, context)
        Self.expectExactlyOnce(s, calls: 2000, context)
        #expect(int("kills") == 10, context)
        #expect(int("agent_restarts") == 10, context)
        #expect(int("agent_unexpected_exits") == 0, context)
        #expect((s["kill_moments_s"] ?? "").split(separator: ",").count == 10, context)
    }
}
