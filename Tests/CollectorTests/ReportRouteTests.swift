import Foundation
import Hummingbird
import HummingbirdTesting
import CreditLedger
import MeteringCollector
import MeteringCore
import MeteringStore
import NIOCore
import Testing

/// The report routes: consent on every path, member self-service, filters,
/// formats, and golden CSV files of a fixed data set.
@Suite("Reports: routes, consent, self-service")
struct ReportRouteTests {
    typealias R = RouteTests

    /// The fixture's group with credit, a bundle, channels and eight calls of
    /// both members in November 2026, and a purchase and an allocation.
    static func seeded() async throws -> (Fixture, bobToken: String) {
        let f = try await Fixture.make()
        let now = Fixture.now
        _ = try await f.store.recordPurchase(group: f.group, amount: Money(decimal: "100")!, reference: "PO-7, Nov", now: now)
        _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: "25")!, now: now)
        _ = try await f.store.allocate(group: f.group, to: .member("bob"), amount: Money(decimal: "10")!, now: now)
        _ = try await f.store.allocate(group: f.group, to: .profile("bob-trunk"), amount: Money(decimal: "5")!, now: now)
        _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: "-2.5")!, now: now)
        _ = try await f.store.addBundle(
            group: f.group, profile: "alice-trunk", name: "uk", minutes: 2, prefixes: ["44"], now: now)
        var limits = Limits()
        limits.channels = 4
        limits.burstPercent = 20
        try await f.store.setLimits(group: f.group, target: .profile("alice-trunk"), limits: limits, now: now)
        let day = Int64(86_400)
        let start = Timestamp(seconds: 1_793_491_200)  // 2026-11-01T00:00:00Z
        let records = [
            Fixture.call("a1", callee: "442079460000", ms: 90_000, setup: start.adding(seconds: 2 * day + 3600)),
            Fixture.call("a2", callee: "+447700900123", ms: 65_000, setup: start.adding(seconds: 3 * day + 7200)),
            Fixture.call("a3", callee: "0033142685300", ms: 61_500, setup: start.adding(seconds: 9 * day)),
            Fixture.call("a4", callee: "15551230001", disposition: .busy, setup: start.adding(seconds: 9 * day + 60)),
            Fixture.call("a5", callee: "442079460001", ms: 200_000, setup: start.adding(seconds: 15 * day)),
            Fixture.call("a6", callee: "15551230002", ms: 10_000, direction: .inbound, setup: start.adding(seconds: 16 * day)),
            Fixture.call("b1", profile: "bob-trunk", callee: "33612345678", ms: 30_000, setup: start.adding(seconds: 4 * day)),
            Fixture.call(
                "b2", profile: "bob-trunk", callee: "15551239999", ms: 125_000, setup: start.adding(seconds: 16 * day + 600)),
        ]
        _ = try await f.store.ingest(records: records, agent: f.agent, decks: RateDeckCache(), now: now)
        let bobToken = try await f.store.issueMemberToken(group: f.group, member: "bob", now: now)
        return (f, bobToken)
    }

    static func get(_ client: some TestClientProtocol, _ uri: String, _ token: String) async throws -> TestResponse {
        try await client.executeRequest(uri: uri, method: .get, headers: R.bearer(token), body: nil)
    }

    @Test(
        "call detail of a personal member: 403 for the admin on JSON, CSV, PDF and zip until consent; the access log records every view"
    )
    func consentOnEveryPath() async throws {
        let (f, bob) = try await Self.seeded()
        try await R.app(f).test(.router) { client in
            let paths = [
                "/v1/reports/usage?month=2026-11&member=bob", "/v1/reports/usage?month=2026-11&profile=bob-trunk&format=csv",
                "/v1/reports/usage?month=2026-11&member=bob&format=pdf",
                "/v1/reports/download?month=2026-11&reports=summary,usage&member=bob&format=csv",
                "/v1/reports/download?month=2026-11&reports=usage&profile=bob-trunk&format=pdf",
            ]
            for path in paths {
                let r = try await Self.get(client, path, f.adminToken)
                #expect(r.status == .forbidden, "\(path)")
                #expect(String(buffer: r.body).contains("bob has a personal account and has not consented"), "\(path)")
            }
            // Without consent the admin still sees bob's balance and totals.
            let summary = R.object(try await Self.get(client, "/v1/reports/summary?month=2026-11", f.adminToken).body)
            let bobLine = (summary["members"] as? [[String: Any]])?.first { $0["name"] as? String == "bob" }
            #expect(bobLine?["calls"] as? Int == 2)
            // The admin can't consent for bob.
            let forged = try await client.executeRequest(
                uri: "/v1/consent", method: .post, headers: R.bearer(f.adminToken), body: ByteBuffer(string: #"{"granted":true}"#)
            )
            #expect(forged.status == .forbidden)
            // alice is a business member: no consent needed.
            #expect(try await Self.get(client, "/v1/reports/usage?month=2026-11&member=alice", f.adminToken).status == .ok)

            let grant = try await client.executeRequest(
                uri: "/v1/consent", method: .post, headers: R.bearer(bob), body: ByteBuffer(string: #"{"granted":true}"#))
            #expect(grant.status == .ok)
            for path in paths {
                let r = try await Self.get(client, path, f.adminToken)
                #expect(r.status == .ok, "\(path)")
            }
            let withdraw = try await client.executeRequest(
                uri: "/v1/consent", method: .post, headers: R.bearer(bob), body: ByteBuffer(string: #"{"granted":false}"#))
            #expect(withdraw.status == .ok)
            #expect(try await Self.get(client, paths[0], f.adminToken).status == .forbidden)

            // bob reads who looked: the admin's five views, and the history of his consent.
            let log = R.object(try await Self.get(client, "/v1/access-log", bob).body)["access_log"] as? [[String: Any]] ?? []
            #expect(log.count == paths.count)
            #expect(log.allSatisfy { $0["viewer"] as? String == "admin" && $0["member"] as? String == "bob" })
            #expect(log.contains { ($0["report"] as? String)?.contains("profile bob-trunk csv") ?? false })
            let history = R.object(try await Self.get(client, "/v1/consent", bob).body)["consent"] as? [[String: Any]] ?? []
            #expect(history.map { $0["granted"] as? Bool } == [true, false])
        }
    }

    @Test("a member token reads its own reports and balances and nothing else")
    func memberSelfService() async throws {
        let (f, bob) = try await Self.seeded()
        try await R.app(f).test(.router) { client in
            let own = try await Self.get(client, "/v1/reports/usage?month=2026-11", bob)
            #expect(own.status == .ok)
            let usage = R.object(own.body)
            #expect((usage["calls"] as? [[String: Any]])?.count == 2)
            #expect(try await Self.get(client, "/v1/reports/usage?month=2026-11&member=alice", bob).status == .forbidden)
            #expect(try await Self.get(client, "/v1/reports/usage?month=2026-11&profile=alice-trunk", bob).status == .forbidden)
            #expect(try await Self.get(client, "/v1/reports/purchases?month=2026-11", bob).status == .forbidden)
            #expect(try await Self.get(client, "/v1/calls?month=2026-11", bob).status == .forbidden)
            #expect(try await Self.get(client, "/v1/reports/summary?month=2026-11", f.agentToken).status == .forbidden)
            let summary = R.object(try await Self.get(client, "/v1/reports/summary?month=2026-11", bob).body)
            #expect((summary["members"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["bob"])
            #expect(summary["group_balance"] == nil && summary["purchases"] == nil)
            let balances = R.object(try await Self.get(client, "/v1/balances", bob).body)
            #expect((balances["members"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["bob"])
            #expect((balances["profiles"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["bob-trunk"])
            #expect((balances["group"] as? [String: Any])?["balance"] == nil)
        }
    }

    @Test("Usage filters, paging and totals; masking hides the last digits")
    func usageFilters() async throws {
        let (f, _) = try await Self.seeded()
        try await R.app(f).test(.router) { client in
            func usage(_ q: String) async throws -> [String: Any] {
                let r = try await Self.get(client, "/v1/reports/usage?month=2026-11&profile=alice-trunk\(q)", f.adminToken)
                #expect(r.status == .ok, "\(q): \(String(buffer: r.body))")
                return R.object(r.body)
            }
            func ids(_ o: [String: Any]) -> [String] {
                (o["calls"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            }
            func totals(_ o: [String: Any]) -> [String: Any] { o["totals"] as? [String: Any] ?? [:] }
            let all = try await usage("")
            #expect(ids(all) == ["a1", "a2", "a3", "a4", "a5", "a6"])
            #expect(totals(all)["calls"] as? Int == 6)
            // The rollup's totals (no filter) equal the scan's (a filter every call passes).
            let scanned = try await usage("&min_cost=0")
            #expect(totals(scanned)["cost"] as? String == totals(all)["cost"] as? String)
            #expect(ids(try await usage("&disposition=busy")) == ["a4"])
            #expect(ids(try await usage("&direction=inbound")) == ["a6"])
            #expect(ids(try await usage("&prefix=%2B44")) == ["a1", "a2", "a5"])
            #expect(ids(try await usage("&prefix=33")) == ["a3"])
            #expect(ids(try await usage("&from_day=4&to_day=10")) == ["a2", "a3", "a4"])
            #expect(ids(try await usage("&min_cost=0.03")) == ["a2", "a5"])
            let page1 = try await usage("&limit=4")
            #expect(ids(page1) == ["a1", "a2", "a3", "a4"])
            let cursor = try #require(page1["next_cursor"] as? String)
            #expect(ids(try await usage("&limit=4&cursor=\(cursor)")) == ["a5", "a6"])
            #expect(totals(page1)["calls"] as? Int == 6)
            // a1 was paid by the bundle: 0 and marked.
            let a1 = (all["calls"] as? [[String: Any]])?.first
            #expect(a1?["price"] as? String == "0.0000" && a1?["bundled"] as? Bool == true)
            let masked = try await usage("&mask=true")
            #expect((masked["calls"] as? [[String: Any]])?.first?["callee"] as? String == "44207946****")
            for bad in ["&disposition=maybe", "&from_day=31", "&from_day=9&to_day=3", "&min_cost=x", "&limit=0", "&member=alice"]
            {
                let r = try await Self.get(client, "/v1/reports/usage?month=2026-11&profile=alice-trunk\(bad)", f.adminToken)
                #expect(r.status == .badRequest, "\(bad)")
            }
            #expect(try await Self.get(client, "/v1/reports/usage?month=2026-11", f.adminToken).status == .badRequest)
            #expect(try await Self.get(client, "/v1/reports/usage?month=2026-11&profile=nope", f.adminToken).status == .notFound)
            #expect(try await Self.get(client, "/v1/reports/summary?format=xml", f.adminToken).status == .badRequest)
            #expect(
                try await Self.get(client, "/v1/reports/download?reports=summary,bills", f.adminToken).status == .badRequest)
        }
    }

    @Test("CSV of a fixed data set equals the golden files", arguments: ["summary", "purchases", "allocations", "usage"])
    func goldenCSV(report: String) async throws {
        let (f, _) = try await Self.seeded()
        try await R.app(f).test(.router) { client in
            let query = report == "usage" ? "&profile=alice-trunk" : ""
            let r = try await Self.get(client, "/v1/reports/\(report)?month=2026-11&format=csv\(query)", f.adminToken)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(
                r.headers[.contentDisposition]
                    == "attachment; filename=\"\(report == "usage" ? "usage-alice-trunk" : report)-2026-11.csv\"")
            let csv = String(buffer: r.body)
            let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Golden/report-\(report).csv")
            if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
                try csv.write(to: golden, atomically: true, encoding: .utf8)
            }
            #expect(csv == (try String(contentsOf: golden, encoding: .utf8)))
        }
    }

    @Test("PDF and zip downloads: pdftotext finds the totals; the zip holds every report ticked")
    func pdfAndZip() async throws {
        let (f, _) = try await Self.seeded()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sipmeter-rep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await R.app(f).test(.router) { client in
            let pdf = try await Self.get(client, "/v1/reports/usage?month=2026-11&profile=alice-trunk&format=pdf", f.adminToken)
            #expect(pdf.headers[.contentType] == "application/pdf")
            let usage = R.object(
                try await Self.get(client, "/v1/reports/usage?month=2026-11&profile=alice-trunk", f.adminToken).body)
            let cost = try #require((usage["totals"] as? [String: Any])?["cost"] as? String)
            let file = dir.appendingPathComponent("u.pdf")
            try Data(pdf.body.readableBytesView).write(to: file)
            let text = try CollectorCLITests.runTool("/usr/bin/pdftotext", ["-layout", file.path, "-"]).stdout
            #expect(text.contains("Usage — alice-trunk"))
            #expect(text.contains("2026-11-01 – 2026-11-30 (UTC)"))
            #expect(text.contains("6 calls") && text.contains(cost))

            let zip = try await Self.get(
                client,
                "/v1/reports/download?month=2026-11&reports=summary,purchases,allocations,usage&profile=alice-trunk&format=csv",
                f.adminToken)
            #expect(zip.headers[.contentType] == "application/zip")
            let zipFile = dir.appendingPathComponent("r.zip")
            try Data(zip.body.readableBytesView).write(to: zipFile)
            let listing = try CollectorCLITests.runTool(
                "/usr/bin/env",
                [
                    "python3", "-c",
                    "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print('\\n'.join(z.namelist())); print(z.read('usage-alice-trunk-2026-11.csv').decode())",
                    zipFile.path,
                ])
            #expect(listing.status == 0, "\(listing.stderr)")
            let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "Golden/report-usage.csv")
            #expect(
                listing.stdout.hasPrefix(
                    "summary-2026-11.csv\npurchases-2026-11.csv\nallocations-2026-11.csv\nusage-alice-trunk-2026-11.csv\n"))
            #expect(listing.stdout.contains(try String(contentsOf: golden, encoding: .utf8)))
        }
    }
}
