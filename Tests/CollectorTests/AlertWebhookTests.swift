import Foundation
import MeteringCollector
import Testing

/// The real `sipmeter-collector` binary, a real HTTP receiver (Python's
/// http.server) for the webhook, and `sipmeterctl` for everything else.
@Suite("alerts delivered to a webhook, end to end", .serialized)
struct AlertWebhookTests {
    typealias CLI = CollectorCLITests

    /// A receiver that appends `signature<TAB>body` per POST to `file`.
    static func receiver(port: Int, file: String) throws -> Process {
        let script = """
            import http.server, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers['Content-Length']))
                    with open(sys.argv[2], 'a') as f:
                        f.write(self.headers.get('X-Sipmeter-Signature', '') + '\\t' + body.decode() + '\\n')
                    self.send_response(204)
                    self.end_headers()
                def log_message(self, *a): pass
            http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, "\(port)", file]
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        for _ in 0..<100 where !CLI.canConnect(port: port) { usleep(50_000) }
        return p
    }

    @Test("low balance, then exhaustion: both reach the webhook signed, in that order; sipmeterctl alerts lists them")
    func lowThenExhausted() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sipmeter-hook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("c.db").path
        let initRun = try CLI.run("sipmeter-collector", ["init", "--db", db, "--group", "acme"])
        let adminToken = dir.appendingPathComponent("admin.token")
        try (initRun.stdout.split(separator: "\n").last.map(String.init) ?? "").write(
            to: adminToken, atomically: true, encoding: .utf8)
        let (server, port) = try CLI.startServer(db: db)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let hookPort = CLI.freePort()
        let received = dir.appendingPathComponent("received.txt").path
        let hook = try Self.receiver(port: hookPort, file: received)
        defer {
            // Python's http.server sits in serve_forever: kill it outright.
            kill(hook.processIdentifier, SIGKILL)
            hook.waitUntilExit()
        }
        let auth = ["--url", "http://127.0.0.1:\(port)", "--token-file", adminToken.path]
        @discardableResult
        func ctl(_ args: [String]) throws -> CLI.Run {
            let run = try CLI.run("sipmeterctl", args + auth)
            #expect(run.status == 0, "\(args): \(run.stderr)")
            return run
        }
        func put(_ path: String, _ json: String) throws {
            let run = try CLI.runTool(
                "/usr/bin/curl",
                [
                    "-sf", "-X", "PUT", "-H", "Authorization: Bearer \(try String(contentsOf: adminToken, encoding: .utf8))",
                    "-H", "Content-Type: application/json", "--data", json, "http://127.0.0.1:\(port)\(path)",
                ])
            #expect(run.status == 0, "PUT \(path)")
        }
        try ctl(["rates", "import", "standard", "Samples/rates.csv"])
        try ctl(["members", "add", "alice"])
        try ctl(["profiles", "add", "alice-trunk", "--member", "alice", "--rate-deck", "standard"])
        try ctl(["purchase", "10"])
        try ctl(["allocate", "--member", "alice", "0.10"])
        let agentRun = try ctl(["agents", "add", "edge", "--profile", "alice-trunk"])
        let agentToken = dir.appendingPathComponent("agent.token")
        try (agentRun.stdout.split(separator: "\n").last.map(String.init) ?? "").write(
            to: agentToken, atomically: true, encoding: .utf8)
        let secret = "s3cret-s3cret-s3cret"
        try put("/v1/webhook", #"{"url":"http://127.0.0.1:\#(hookPort)/alerts","secret":"\#(secret)"}"#)
        try put("/v1/alert-rules", #"{"rules":[{"type":"low_balance","amount":"0.05"},{"type":"credit_exhausted"}]}"#)

        // A switch asks before each call: allowed while credit lasts.
        let asked = try CLI.run(
            "sipmeterctl",
            [
                "authorize", "alice-trunk", "+442071234567", "--json", "--url", "http://127.0.0.1:\(port)", "--token-file",
                agentToken.path,
            ])
        #expect(asked.stdout.contains(#""allow":true"#))

        // Calls from the sample traces, rated against the sample deck, spend the credit in two steps.
        func send(_ records: [String]) throws {
            let file = dir.appendingPathComponent("r-\(UUID().uuidString).jsonl")
            try (records.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
            let run = try CLI.run(
                "sipmeterctl",
                ["records", "send", file.path, "--url", "http://127.0.0.1:\(port)", "--token-file", agentToken.path])
            #expect(run.status == 0, "\(run.stderr)")
        }
        func record(_ id: String, seconds: Int) -> String {
            let setup = "2026-11-23T05:00:00.000000Z"
            return
                #"{"id":"\#(id)","profile":"alice-trunk","direction":"outbound","call_id":"\#(id)@t","from_tag":"f","to_tag":"t","caller":"alice-trunk","callee":"442071234567","setup_time":"\#(setup)","progress_time":null,"answer_time":"\#(setup)","end_time":"2026-11-23T05:\#(String(format: "%02d", seconds / 60)):\#(String(format: "%02d", seconds % 60)).000000Z","duration_ms":\#(seconds * 1000),"disposition":"answered","final_status":200,"ended_by":"caller","flags":[]}"#
        }
        func waitForLines(_ n: Int) -> [String] {
            var lines: [String] = []
            for _ in 0..<100 {
                lines = ((try? String(contentsOfFile: received, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
                if lines.count >= n { break }
                usleep(100_000)
            }
            return lines
        }
        try send([record("a1", seconds: 180)])
        let first = waitForLines(1)
        #expect(first.count == 1)
        #expect(first.first?.contains(#""type":"low_balance""#) ?? false)
        try send([record("a2", seconds: 600)])
        let both = waitForLines(2)
        #expect(both.count == 2)
        #expect(both.last?.contains(#""type":"credit_exhausted""#) ?? false)
        // Each delivery is signed with the webhook's secret.
        for line in both {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            #expect(parts.count == 2)
            #expect(parts[0] == WebhookDeliverer.signature(body: Array(parts[1].utf8), secret: secret))
        }
        // Exhausted: the switch is now refused.
        let denied = try CLI.run(
            "sipmeterctl",
            [
                "authorize", "alice-trunk", "+442071234567", "--json", "--url", "http://127.0.0.1:\(port)", "--token-file",
                agentToken.path,
            ])
        #expect(denied.stdout.contains(#""reason":"credit_exhausted""#))
        let listed = try ctl(["alerts"])
        #expect(listed.stdout.contains("low_balance") && listed.stdout.contains("credit_exhausted"))
    }
}
