import Foundation
import Testing

/// The sample Kamailio configuration against the real collector and agent:
/// `Samples/kamailio/e2e-credit.sh` runs Kamailio (asking `POST /v1/authorize`
/// at each INVITE, limiting each call with a dialog timeout), SIPp on both
/// sides, the agent following Kamailio's sipdump files, and a webhook
/// receiver, until the credit runs out mid-run.
@Suite("Kamailio sample config: pre-call authorization until the credit runs out", .serialized)
struct KamailioAuthorizeTests {
    typealias CLI = CollectorCLITests

    /// `key value` lines of the script's summary.
    static func summary(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            if parts.count == 2 { out[parts[0]] = parts[1] }
        }
        return out
    }

    @Test("calls are allowed while credit lasts, then 402; low balance alert before credit exhausted")
    func creditRunsOutMidRun() throws {
        let script = CLI.root.appendingPathComponent("Samples/kamailio/e2e-credit.sh").path
        let binDir = CLI.binary("sipmeter-collector").deletingLastPathComponent().path
        let run = try CLI.runTool("/bin/bash", [script, binDir])
        let s = Self.summary(run.stdout)
        func int(_ key: String) -> Int { Int(s[key] ?? "") ?? -1 }
        let context = Comment(rawValue: "exit \(run.status)\n\(run.stdout)\n\(run.stderr)")

        #expect(run.status == 0, context)
        #expect(int("calls_total") == 20, context)
        #expect(int("calls_other") == 0, context)
        // Some calls got through, later ones were refused…
        #expect(int("calls_200") >= 1, context)
        #expect(int("calls_402") >= 1, context)
        // …and once the first 402 came, no call got 200 again.
        #expect(int("first_402_index") > int("last_200_index"), context)
        #expect(int("calls_200") == int("last_200_index"), context)
        // Kamailio asked for every call and enforced the authorized duration
        // on the long ones (BYE both ways from the dialog timeout).
        #expect(int("proxy_allowed") == int("calls_200"), context)
        #expect(int("proxy_denied") == int("calls_402"), context)
        #expect(int("ended_by_proxy") >= 1, context)
        #expect(int("ended_by_proxy") + int("ended_by_caller") == int("calls_200"), context)
        // Every answered call was metered by the agent and rated, spending the credit to zero.
        #expect(int("records_rated") == int("calls_200"), context)
        #expect(s["balance"] == "0.0000", context)
        // The webhook got low_balance first, credit_exhausted after it, both signed.
        #expect(int("webhook_low_balance_line") >= 1, context)
        #expect(int("webhook_exhausted_line") > int("webhook_low_balance_line"), context)
        #expect(int("webhook_signatures_ok") == int("webhook_lines"), context)
        #expect(s["invariants_ok"] == "yes", context)
    }
}
