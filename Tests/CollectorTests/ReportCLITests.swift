import Foundation
import Testing

/// `sipmeterctl report` and `consent` against the real collector binary:
/// the Usage report as a table, CSV and PDF; a personal member's call
/// detail refused until that member consents; the member reads the access log.
@Suite("sipmeterctl report and consent, end to end", .serialized)
struct ReportCLITests {
    typealias CLI = CollectorCLITests

    @Test("report usage as table, CSV and PDF; bob's detail needs bob's consent; bob reads who looked")
    func reportsAndConsent() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sipmeter-rcli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("c.db").path
        let initRun = try CLI.run("sipmeter-collector", ["init", "--db", db, "--group", "acme"])
        let admin = dir.appendingPathComponent("admin.token")
        try (initRun.stdout.split(separator: "\n").last.map(String.init) ?? "").write(
            to: admin, atomically: true, encoding: .utf8)
        let (server, port) = try CLI.startServer(db: db)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let url = ["--url", "http://127.0.0.1:\(port)"]
        func ctl(_ args: [String], token: URL = admin) throws -> CLI.Run {
            try CLI.run("sipmeterctl", args + url + ["--token-file", token.path])
        }
        func save(_ run: CLI.Run, _ name: String) throws -> URL {
            let file = dir.appendingPathComponent(name)
            try (run.stdout.split(separator: "\n").last.map(String.init) ?? "").write(to: file, atomically: true, encoding: .utf8)
            return file
        }
        for args in [
            ["rates", "import", "standard", "Samples/rates.csv"], ["members", "add", "alice"],
            ["members", "add", "bob", "--kind", "personal"],
            ["profiles", "add", "alice-trunk", "--member", "alice", "--rate-deck", "standard"],
            ["profiles", "add", "bob-trunk", "--member", "bob", "--rate-deck", "standard"], ["purchase", "30"],
            ["allocate", "--member", "alice", "20"], ["allocate", "--member", "bob", "5"],
        ] {
            let run = try ctl(args)
            #expect(run.status == 0, "\(args): \(run.stderr)")
        }
        let agent = try save(
            try ctl(["agents", "add", "edge", "--profile", "alice-trunk", "--profile", "bob-trunk"]), "agent.token")
        let bob = try save(try ctl(["members", "token", "bob"]), "bob.token")
        let records = dir.appendingPathComponent("r.jsonl")
        let parsed = try CLI.run(
            "sipmeter-agent",
            ["parse", "--profiles", "Samples/profiles.yaml", "Samples/traces/basic.pcap", "Samples/traces/tcp.pcap"],
            stdout: records)
        #expect(parsed.status == 0)
        #expect(try ctl(["records", "send", records.path], token: agent).status == 0)
        let month = String(try String(contentsOf: records, encoding: .utf8).split(separator: "\"setup_time\":\"")[1].prefix(7))

        // alice (business): 5 calls of basic.pcap, 0.0415 as the collector's CLI test rates them.
        let table = try ctl(["report", "usage", "--profile", "alice-trunk", "--month", month])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("France Paris") && table.stdout.hasSuffix("total 5 calls, 134 s billed, cost 0.0415\n"))
        let csv = dir.appendingPathComponent("u.csv")
        #expect(
            try ctl(["report", "usage", "--profile", "alice-trunk", "--month", month, "--format", "csv", "--out", csv.path])
                .status == 0)
        let csvText = try String(contentsOf: csv, encoding: .utf8)
        #expect(
            csvText.hasPrefix("Date,Time (UTC),Number called,Destination,Duration,Billed s,Rate/min,Cost,Bundle,Disposition\r\n"))
        #expect(csvText.hasSuffix("Total,,5 calls,,,134,,0.0415,,\r\n"))
        let pdf = dir.appendingPathComponent("u.pdf")
        #expect(
            try ctl(["report", "usage", "--profile", "alice-trunk", "--month", month, "--format", "pdf", "--out", pdf.path])
                .status == 0)
        #expect(try CLI.runTool("/usr/bin/pdftotext", [pdf.path, "-"]).stdout.contains("0.0415"))

        // bob (personal): refused on every format until bob consents.
        for format in ["table", "csv", "pdf"] {
            let denied = try ctl([
                "report", "usage", "--member", "bob", "--month", month, "--format", format, "--out",
                dir.appendingPathComponent("b.\(format)").path,
            ])
            #expect(denied.status != 0)
            #expect(
                denied.stderr.contains("collector answered 403: bob has a personal account and has not consented"), "\(format)")
        }
        #expect(try ctl(["consent", "grant"]).status != 0)  // an admin can't consent for bob
        #expect(try ctl(["consent", "grant"], token: bob).stdout == "consent granted\n")
        let allowed = try ctl(["report", "usage", "--member", "bob", "--month", month])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout.contains("Usage — acme") && allowed.stdout.contains("\ntotal "))
        let log = try ctl(["consent", "access-log"], token: bob)
        #expect(log.stdout.contains("admin") && log.stdout.contains("usage \(month) member bob json"))
    }
}
