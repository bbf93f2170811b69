import Foundation
import Hummingbird
import HummingbirdTesting
import MeteringCore
import MeteringStore
import NIOCore
import Testing

@testable import MeteringCollector

/// The dashboard: sign-in and its cookie, consent, downloads, and the pages
/// as headless Chromium renders them, checked figure by figure against the API.
@Suite("Dashboard: sign-in, pages, downloads, headless Chromium")
struct DashboardTests {
    typealias R = RouteTests
    typealias Reports = ReportRouteTests

    static func cookie(_ token: String) -> HTTPFields { [.cookie: "\(Collector.dashboardCookie)=\(token)"] }

    static func get(_ client: some TestClientProtocol, _ uri: String, cookie token: String? = nil) async throws -> TestResponse {
        try await client.executeRequest(uri: uri, method: .get, headers: token.map(cookie) ?? [:], body: nil)
    }

    static func signIn(_ client: some TestClientProtocol, _ form: String) async throws -> TestResponse {
        try await client.executeRequest(
            uri: "/dashboard/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: form))
    }

    @Test("a page without a valid cookie sends the browser to sign in, and sign-in brings it back")
    func signInFlow() async throws {
        let (f, bob) = try await Reports.seeded()
        try await R.app(f).test(.router) { client in
            let page = try await Self.get(client, "/dashboard/usage?month=2026-11&member=alice")
            #expect(page.status == .seeOther)
            #expect(page.headers[.location] == "/?next=%2Fdashboard%2Fusage%3Fmonth%3D2026-11%26member%3Dalice")
            let form = try await Self.get(client, "/?next=%2Fdashboard%2Fusage")
            #expect(form.status == .ok)
            #expect(String(buffer: form.body).contains(#"name="next" value="/dashboard/usage""#))

            let signed = try await Self.signIn(client, "token=\(f.adminToken)&next=%2Fdashboard%2Fusage%3Fmember%3Dalice")
            #expect(signed.status == .seeOther)
            #expect(signed.headers[.location] == "/dashboard/usage?member=alice")
            let setCookie = signed.headers[.setCookie] ?? ""
            #expect(setCookie.hasPrefix("\(Collector.dashboardCookie)=\(f.adminToken);"))
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
            // From a form on another site the browser gets a page of ours that moves on (see `landing`).
            let crossSite = try await client.executeRequest(
                uri: "/dashboard/sign-in", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .init("Sec-Fetch-Site")!: "cross-site"],
                body: ByteBuffer(string: "token=\(f.adminToken)&next=%2Fdashboard%2Falerts"))
            #expect(crossSite.status == .ok && crossSite.headers[.setCookie] != nil)
            #expect(String(buffer: crossSite.body).contains(#"<meta http-equiv="refresh" content="0; url=/dashboard/alerts">"#))

            #expect(try await Self.signIn(client, "token=smk_nope").status == .unauthorized)
            let agent = try await Self.signIn(client, "token=\(f.agentToken)")
            #expect(agent.status == .forbidden)
            #expect(agent.headers[.setCookie] == nil)
            // An agent's token in a cookie is no session either.
            #expect(try await Self.get(client, "/dashboard/summary", cookie: f.agentToken).status == .seeOther)
            // A member signs in too, and sees only its own.
            #expect(try await Self.signIn(client, "token=\(bob)").status == .seeOther)
            let own = try await Self.get(client, "/dashboard/summary?month=2026-11", cookie: bob)
            #expect(own.status == .ok)
            #expect(!String(buffer: own.body).contains("alice"))
            let purchases = try await Self.get(client, "/dashboard/purchases?month=2026-11", cookie: bob)
            #expect(purchases.status == .forbidden)
            #expect(String(buffer: purchases.body).contains("purchases are the group&#39;s: they need an admin token"))
            #expect(try await Self.get(client, "/dashboard/alerts", cookie: bob).status == .forbidden)
            #expect(try await Self.get(client, "/dashboard/alerts", cookie: f.adminToken).status == .ok)

            let out = try await client.executeRequest(
                uri: "/dashboard/sign-out", method: .post, headers: Self.cookie(bob), body: nil)
            #expect(out.status == .seeOther)
            #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true)
            let put = try await client.executeRequest(uri: "/dashboard/summary", method: .put, headers: [:], body: nil)
            #expect(put.status == .methodNotAllowed)
            let getOut = try await client.executeRequest(uri: "/dashboard/sign-out", method: .get, headers: [:], body: nil)
            #expect(getOut.status == .methodNotAllowed && getOut.headers[.allow] == "POST")
        }
    }

    @Test(
        "sign-in lands only on dashboard pages",
        arguments: [
            ("/dashboard/usage?member=alice", "/dashboard/usage?member=alice"), ("/dashboard/alerts", "/dashboard/alerts"),
            ("https://evil.example/", "/dashboard/summary"), ("//evil.example/dashboard/", "/dashboard/summary"),
            ("/dashboard/../v1/balances", "/dashboard/summary"), ("/dashboard//evil.example", "/dashboard/summary"),
            ("/dashboard/x\r\nSet-Cookie: a=b", "/dashboard/summary"), ("/dashboard/sign-out", "/dashboard/summary"),
            ("/dashboard\\evil", "/dashboard/summary"), ("", "/dashboard/summary"),
        ])
    func safeNext(next: String, lands: String) {
        #expect(Collector.safeNext(next) == lands)
    }

    @Test("the form's query is read as browsers send it: + is a space, empty fields dropped, view= is member= or profile=")
    func formQuery() {
        let q = DashboardQuery(rawQuery: "month=2026-11&view=member%3AAlice+Smith&prefix=&min_cost=+&disposition=busy")
        #expect(q.url("/x") == "/x?month=2026-11&member=Alice%20Smith&disposition=busy")
        #expect(
            q.setting("view", nil).setting("month", "2026-12").url("/x")
                == "/x?month=2026-12&member=Alice%20Smith&disposition=busy")
        let profile = DashboardQuery(rawQuery: "member=bob&view=profile%3Abob-trunk")
        #expect(profile["profile"] == "bob-trunk" && profile["member"] == nil)
        #expect(DashboardQuery.neighbours(of: 202_601) == (202_512, 202_602))
    }

    @Test("the download buttons give the API's CSV and PDF bytes; consent holds on downloads")
    func downloads() async throws {
        let (f, _) = try await Reports.seeded()
        try await R.app(f).test(.router) { client in
            for (file, api) in [
                ("usage.csv?month=2026-11&member=alice", "usage?month=2026-11&member=alice&format=csv"),
                ("usage.pdf?month=2026-11&profile=alice-trunk", "usage?month=2026-11&profile=alice-trunk&format=pdf"),
                ("summary.csv?month=2026-11", "summary?month=2026-11&format=csv"),
                ("allocations.pdf?month=2026-11", "allocations?month=2026-11&format=pdf"),
            ] {
                let page = try await Self.get(client, "/dashboard/download/\(file)", cookie: f.adminToken)
                let json = try await Reports.get(client, "/v1/reports/\(api)", f.adminToken)
                #expect(page.status == .ok && json.status == .ok, "\(file)")
                #expect(page.body == json.body, "\(file)")
                #expect(page.headers[.contentDisposition] == json.headers[.contentDisposition], "\(file)")
            }
            let bob = try await Self.get(client, "/dashboard/download/usage.csv?month=2026-11&member=bob", cookie: f.adminToken)
            #expect(bob.status == .forbidden)
            #expect(String(buffer: bob.body).contains("bob has a personal account and has not consented"))
            let bad = try await Self.get(client, "/dashboard/download/usage.zip", cookie: f.adminToken)
            #expect(bad.status == .notFound)
        }
    }

    @Test("text from the database is escaped on every page")
    func escaping() async throws {
        let (f, _) = try await Reports.seeded()
        _ = try await f.store.recordPurchase(
            group: f.group, amount: Money(units: 10_000), reference: #"<script>alert("x")</script> & 'co'"#, now: Fixture.now)
        try await R.app(f).test(.router) { client in
            let page = String(buffer: try await Self.get(client, "/dashboard/purchases?month=2026-11", cookie: f.adminToken).body)
            #expect(!page.contains("<script>"))
            #expect(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;"))
        }
        #expect(html(#"<a href="x">'&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
    }

    @Test("the chart's axis is round and its labels exact")
    func chartScale() {
        #expect(SpendChart.scale(maximum: 0) == (100, 5))
        #expect(SpendChart.scale(maximum: 450) == (100, 5))
        #expect(SpendChart.scale(maximum: 12_345) == (5000, 3))
        #expect(SpendChart.axisLabel(500) == "0.05")
        #expect(SpendChart.axisLabel(25) == "0.0025")
        #expect(SpendChart.axisLabel(20_000) == "2.00")
    }
}

// MARK: - In headless Chromium

extension DashboardTests {
    @Test("headless Chromium: Summary, chart and Usage show the API's figures; consent holds until bob consents")
    func inChromium() async throws {
        let (f, bob) = try await Reports.seeded()
        try await R.app(f).test(.live) { client in
            let port = try #require(client.port)
            let browser = try HeadlessChromium(port: port)
            defer { browser.removeFiles() }
            let admin = f.adminToken
            func api(_ uri: String, _ token: String) async throws -> [String: Any] {
                R.object(try await Reports.get(client, uri, token).body)
            }
            func totalCost(_ usage: [String: Any]) -> String? { (usage["totals"] as? [String: Any])?["cost"] as? String }

            // Summary: each member's Used and Calls, the totals, and one chart series per profile.
            let summary = try await browser.dom(token: admin, page: "/dashboard/summary?month=2026-11")
            let summaryJSON = try await api("/v1/reports/summary?month=2026-11", admin)
            let members = summaryJSON["members"] as? [[String: Any]] ?? []
            #expect(members.count == 2)
            let rows = Page.rows(summary)
            for member in members {
                let name = member["name"] as? String
                let row = rows.first { $0["Member"] == name && $0["SIP Profile"] == "" }
                #expect(row?["Used"] != nil && row?["Used"] == member["used"] as? String, "\(name ?? "")")
                #expect(row?["Calls"] == (member["calls"] as? Int).map(String.init), "\(name ?? "")")
            }
            let totals = rows.first { $0["Member"] == "Total" }
            #expect(totals?["Used"] != nil && totals?["Used"] == summaryJSON["used"] as? String)
            #expect(totals?["Allocated"] == summaryJSON["allocated"] as? String)
            let profiles = members.flatMap { $0["profiles"] as? [[String: Any]] ?? [] }
            let series = Page.chartSeries(summary)
            #expect(series.keys.sorted() == profiles.compactMap { $0["name"] as? String }.sorted())
            for p in profiles {
                let name = p["name"] as? String ?? ""
                let drawn: Money? = series[name]?.reduce(Money.zero, +)
                #expect(drawn?.description == p["used"] as? String, "chart of \(name)")
            }

            // Usage of alice (business): the page's rows and totals are the API's.
            let usage = try await browser.dom(token: admin, page: "/dashboard/usage?month=2026-11&member=alice")
            let usageJSON = try await api("/v1/reports/usage?month=2026-11&member=alice", admin)
            let usageRows = Page.rows(usage)
            let usageTotal = usageRows.first { $0["Date"] == "Total" }?["Cost"]
            #expect(usageTotal != nil && usageTotal == totalCost(usageJSON))
            #expect(usageRows.count - 1 == (usageJSON["calls"] as? [Any])?.count)

            // The page's CSV button gives the API's CSV.
            let csvLink = try #require(Page.link(usage, attribute: #"data-download="csv""#))
            let csv = try await client.executeRequest(uri: csvLink, method: .get, headers: Self.cookie(admin), body: nil)
            let apiCSV = try await Reports.get(client, "/v1/reports/usage?month=2026-11&member=alice&format=csv", admin)
            #expect(csv.status == .ok && csv.body == apiCSV.body)

            // bob is personal and hasn't consented: a 403 on Usage, his totals still on Summary.
            let refused = try await browser.dom(token: admin, page: "/dashboard/usage?month=2026-11&member=bob")
            #expect(refused.contains(#"data-status="403""#))
            #expect(refused.contains("bob has a personal account and has not consented to share call detail"))
            #expect(Page.rows(refused).isEmpty)
            #expect(rows.first { $0["Member"] == "bob" && $0["SIP Profile"] == "" }?["Calls"] == "2")
            try await Self.screenshots(browser, admin, [("usage-403", "/dashboard/usage?month=2026-11&member=bob")])
            let grant = try await client.executeRequest(
                uri: "/v1/consent", method: .post, headers: R.bearer(bob), body: ByteBuffer(string: #"{"granted":true}"#))
            #expect(grant.status == .ok)
            let shown = try await browser.dom(token: admin, page: "/dashboard/usage?month=2026-11&member=bob")
            let bobJSON = try await api("/v1/reports/usage?month=2026-11&member=bob", admin)
            let bobRows = Page.rows(shown)
            #expect(!shown.contains(#"data-status="403""#))
            #expect(bobRows.count == 3)
            // bob's access log names the dashboard as where the admin saw his calls.
            let log = R.object(try await Reports.get(client, "/v1/access-log", bob).body)["access_log"] as? [[String: Any]] ?? []
            #expect(log.contains { ($0["report"] as? String)?.hasSuffix("member bob dashboard") ?? false })
            #expect(bobRows.last?["Cost"] != nil && bobRows.last?["Cost"] == totalCost(bobJSON))

            // bob signed in himself: his Usage without naming him, and his balance as /v1/balances gives it.
            let own = Page.rows(try await browser.dom(token: bob, page: "/dashboard/usage?month=2026-11"))
            #expect(own.last?["Cost"] == totalCost(bobJSON))
            let balances = try await api("/v1/balances", bob)
            let bobBalance: String? = (balances["members"] as? [[String: Any]])?.first?["balance"] as? String
            let balanceRows: [[String: String]] = Page.rows(try await browser.dom(token: bob, page: "/dashboard/balances"))
            let shownBalance: String? = balanceRows.first { $0["Name"] == "bob" }?["Balance"]
            #expect(shownBalance != nil && shownBalance == bobBalance)
            #expect(!balanceRows.contains { $0["Account"] == "group" })

            try await Self.screenshots(
                browser, admin,
                [
                    ("summary", "/dashboard/summary?month=2026-11"),
                    ("usage", "/dashboard/usage?month=2026-11&profile=alice-trunk"),
                ])
        }
    }

    /// Screenshots of `pages` (name, path), checked to be PNGs and copied to
    /// /tmp/sipmeter-dashboard-NAME.png for a person to look at.
    static func screenshots(_ browser: HeadlessChromium, _ token: String, _ pages: [(String, String)]) async throws {
        for (name, page) in pages {
            let png = try await browser.screenshot(token: token, page: page, name: name)
            #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(name)")
            let copy = URL(fileURLWithPath: "/tmp/sipmeter-dashboard-\(name).png")
            try? FileManager.default.removeItem(at: copy)
            try? png.write(to: copy)
        }
    }
}

/// Headless Chromium (Debian's `chromium`) against a live collector. Each
/// run signs in afresh through a local file whose form posts the token to
/// `/dashboard/sign-in` with `next` naming the page, in a profile directory
/// of its own, and is killed if it takes longer than a minute.
struct HeadlessChromium {
    static let executable = "/usr/bin/chromium"
    let port: Int
    let directory: URL

    init(port: Int) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "install Debian's chromium (make deps)"])
        }
        self.port = port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sipmeter-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func removeFiles() { try? FileManager.default.removeItem(at: directory) }

    /// The DOM of `page` once signed in with `token`.
    func dom(token: String, page: String) async throws -> String {
        String(decoding: try await run(token: token, page: page, ["--dump-dom"]), as: UTF8.self)
    }

    /// A 1280×1600 PNG of `page`.
    func screenshot(token: String, page: String, name: String) async throws -> Data {
        let file = directory.appendingPathComponent("\(name).png")
        _ = try await run(
            token: token, page: page, ["--screenshot=\(file.path)", "--window-size=1280,1600", "--hide-scrollbars"])
        return try Data(contentsOf: file)
    }

    private func run(token: String, page: String, _ arguments: [String]) async throws -> Data {
        let id = UUID().uuidString
        let signIn = directory.appendingPathComponent("sign-in-\(id).html")
        // The form is submitted while the file is parsed, not on load: headless
        // Chromium waits for a navigation begun before the first page's load
        // event, whereas one begun in `onload` races the virtual-time budget and
        // sometimes leaves an empty DOM.
        try """
        <!DOCTYPE html><html><body>
        <form method="post" action="http://127.0.0.1:\(port)/dashboard/sign-in">
        <input type="hidden" name="token" value="\(html(token))"><input type="hidden" name="next" value="\(html(page))">
        </form><script>document.forms[0].submit()</script></body></html>
        """.write(to: signIn, atomically: true, encoding: .utf8)
        let (output, log) = (
            directory.appendingPathComponent("out-\(id)").path, directory.appendingPathComponent("log-\(id)").path
        )
        // timeout(1) kills a run that hangs, so the test never waits more than a minute.
        let status = try await Self.spawn(
            [
                "/usr/bin/timeout", "--kill-after=5", "60", Self.executable, "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--disable-extensions", "--disable-dev-shm-usage", "--virtual-time-budget=5000",
                "--user-data-dir=\(directory.appendingPathComponent("profile-\(id)").path)",
            ] + arguments + [signIn.absoluteString], stdout: output, stderr: log)
        if status != 0 {
            let tail = (try? String(contentsOfFile: log, encoding: .utf8))?.suffix(2000) ?? ""
            Issue.record("chromium on \(page) ended with status \(status)\(status == 124 ? " (killed after 60 s)" : ""): \(tail)")
        }
        return try Data(contentsOf: URL(fileURLWithPath: output))
    }

    /// Runs `arguments` (the first is the program's path) with stdin from
    /// /dev/null and stdout and stderr to files; its exit status, or 128 + the signal.
    /// (posix_spawn and waitpid on a thread of its own: plain, and nothing else reaps the child.)
    static func spawn(_ arguments: [String], stdout: String, stderr: String) async throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
        let child = pid
        return await withCheckedContinuation { (done: CheckedContinuation<Int32, Never>) in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(child, &status, 0) == -1, errno == EINTR {}
                let signal = status & 0x7F
                done.resume(returning: signal == 0 ? (status >> 8) & 0xFF : 128 + signal)
            }
        }
    }
}

/// Reading the dashboard's DOM as Chromium serialised it.
enum Page {
    /// Every row of the report tables: column name (`data-col`) → cell text.
    static func rows(_ dom: String) -> [[String: String]] {
        matches(#"<tr[^>]*>(.*?)</tr>"#, in: dom).compactMap { row in
            let cells = matches(#"<td[^>]*data-col="([^"]*)"[^>]*>(.*?)</td>"#, in: row[1])
            guard !cells.isEmpty else { return nil }
            return Dictionary(cells.map { (unescaped($0[1]), unescaped(text($0[2]))) }) { a, _ in a }
        }
    }

    /// Each chart series (`data-profile`) and the amounts of its bars.
    static func chartSeries(_ dom: String) -> [String: [Money]] {
        var out: [String: [Money]] = [:]
        for g in matches(#"<g class="series" data-profile="([^"]*)"[^>]*>(.*?)</g>"#, in: dom) {
            out[unescaped(g[1])] = matches(#"data-amount="([^"]*)""#, in: g[2]).compactMap { Money(decimal: $0[1]) }
        }
        return out
    }

    /// The `href` of the first link carrying `attribute`.
    static func link(_ dom: String, attribute: String) -> String? {
        matches(#"<a [^>]*\#(attribute)[^>]*href="([^"]*)""#, in: dom).first.map { unescaped($0[1]) }
    }

    private static func matches(_ pattern: String, in text: String) -> [[String]] {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]) else { return [] }
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { m in
            (0..<m.numberOfRanges).map { m.range(at: $0).location == NSNotFound ? "" : ns.substring(with: m.range(at: $0)) }
        }
    }

    private static func text(_ html: String) -> String {
        html.replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
    }

    private static func unescaped(_ s: String) -> String {
        s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
