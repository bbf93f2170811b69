internal import Hummingbird
internal import MeteringCore
internal import MeteringReports
internal import MeteringStore

/// The Summary, Purchases, Allocations, Balances and Alerts pages.
extension Collector {
    /// The month's Summary with the chart of daily spend per SIP Profile;
    /// member and profile names link to their Usage page.
    func summaryPage(_ viewer: DashboardViewer, _ query: DashboardQuery) async throws -> DashboardContent {
        let month = try monthParameter(query.request())
        let monthText = ReportTables.monthText(month)
        let report = try await report(
            .summary, query.request(), principal: viewer.principal, format: .json, viewedAs: "dashboard")
        let spend = try await store.dailySpend(group: viewer.principal.groupID, month: month, scope: viewer.scope)
        let chart = SpendChart(month: month, currency: viewer.group.currency, points: spend)
        let usage = DashboardQuery(items: [.init(name: "month", value: monthText)])
        let table = report.table.tableHTML { row, column in
            switch column {
            case 0: usage.setting("member", row[0]).url(DashboardSection.usage.path)
            case 1 where row[1] != "": usage.setting("profile", row[1]).url(DashboardSection.usage.path)
            default: nil
            }
        }
        let body =
            report.table.headingHTML() + monthBar(.summary, query, month: month, download: .summary) + table + """
                <h2>Daily spend per SIP Profile</h2>
                <figure class="chart">\(chart.svg())</figure>

                """
        return .page(body)
    }

    /// Purchases or Allocations: the month's report table.
    func monthlyReportPage(_ kind: ReportKind, _ viewer: DashboardViewer, _ query: DashboardQuery) async throws
        -> DashboardContent
    {
        let month = try monthParameter(query.request())
        let section: DashboardSection = kind == .purchases ? .purchases : .allocations
        let report = try await report(kind, query.request(), principal: viewer.principal, format: .json, viewedAs: "dashboard")
        let bar = monthBar(section, query, month: month, download: kind)
        return .page(report.table.headingHTML() + bar + report.table.tableHTML())
    }

    /// Balances now: the group's (admin only), each member's and each
    /// own-credit profile's — a member sees its own, as `GET /v1/balances`.
    func balancesPage(_ viewer: DashboardViewer) async throws -> DashboardContent {
        let principal = viewer.principal
        var b = try await store.balances(group: principal.groupID)
        if let me = viewer.member {
            let mine = Set(try await store.profiles(group: principal.groupID).filter { $0.member == me }.map(\.name))
            b.members.removeAll { $0.name != me }
            b.profiles.removeAll { !mine.contains($0.name) }
        }
        var rows: [[String]] = []
        if principal.role == .admin { rows.append(["group", viewer.group.name, b.group.description, ""]) }
        rows += b.members.map { ["member", $0.name, $0.balance.description, $0.exhausted ? "exhausted" : ""] }
        rows += b.profiles.map { ["SIP Profile", $0.name, $0.balance.description, $0.exhausted ? "exhausted" : ""] }
        let table = ReportTable(
            title: "Balances — \(viewer.group.name)", period: "Now: \(String(clock().rfc3339.prefix(16)).replacingT()) UTC",
            notes: ["Currency \(viewer.group.currency)", "SIP Profiles appear once they hold credit of their own"],
            columns: [.init("Account"), .init("Name"), .init("Balance", alignment: .right), .init("State")], rows: rows)
        return .page(table.html())
    }

    /// The newest alerts (admin only, as `GET /v1/alerts`).
    func alertsPage(_ viewer: DashboardViewer) async throws -> DashboardContent {
        guard viewer.principal.role == .admin else {
            throw APIError.forbidden("alerts are the group's: they need an admin token")
        }
        let alerts = try await store.alerts(group: viewer.principal.groupID, limit: 200)
        let table = ReportTable(
            title: "Alerts — \(viewer.group.name)", period: "The newest 200, newest first",
            notes: ["Webhook: delivered, pending, or — when no webhook was set when the alert fired"],
            columns: [
                .init("Time (UTC)"), .init("Type"), .init("Subject"), .init("Message", weight: 3), .init("Webhook"),
            ],
            rows: alerts.map {
                [
                    String($0.createdAt.rfc3339.prefix(19)).replacingT(), $0.type.rawValue, $0.subject, $0.message,
                    $0.delivered.map { $0 ? "delivered" : "pending" } ?? "—",
                ]
            })
        return .page(table.html())
    }

    /// The month picker (previous, a month field, next) and the CSV and PDF
    /// buttons for the same report with the same filters.
    func monthBar(_ section: DashboardSection, _ query: DashboardQuery, month: Int, download kind: ReportKind?) -> String {
        let (previous, next) = DashboardQuery.neighbours(of: month)
        let base = query.removing("cursor")
        func monthLink(_ m: Int, _ label: String, _ rel: String) -> String {
            let href = base.setting("month", ReportTables.monthText(m)).url(section.path)
            return "<a class=\"button\" rel=\"\(rel)\" data-nav=\"\(rel)\" href=\"\(html(href))\">\(label)</a>"
        }
        let hidden = base.removing("month").items.map {
            "<input type=\"hidden\" name=\"\(html($0.name))\" value=\"\(html($0.value))\">"
        }
        var out = "<div class=\"toolbar\">"
        out += monthLink(previous, "‹ \(ReportTables.monthText(previous))", "prev")
        out += "<form method=\"get\" action=\"\(section.path)\">\(hidden.joined())"
        out += "<input type=\"month\" name=\"month\" aria-label=\"Month\" value=\"\(ReportTables.monthText(month))\">"
        out += "<button type=\"submit\">Show</button></form>"
        out += monthLink(next, "\(ReportTables.monthText(next)) ›", "next")
        if let kind {
            let files = base.removing("limit").setting("month", ReportTables.monthText(month))
            for format in ["csv", "pdf"] {
                let href = files.url("/dashboard/download/\(kind.rawValue).\(format)")
                out +=
                    "<a class=\"button primary\" data-download=\"\(format)\" href=\"\(html(href))\">Download \(format.uppercased())</a>"
            }
        }
        return out + "</div>\n"
    }
}

extension String {
    /// "2026-11-18T09:30" → "2026-11-18 09:30".
    fileprivate func replacingT() -> String {
        guard count > 10 else { return self }
        var copy = self
        let t = copy.index(copy.startIndex, offsetBy: 10)
        if copy[t] == "T" { copy.replaceSubrange(t...t, with: " ") }
        return copy
    }
}
