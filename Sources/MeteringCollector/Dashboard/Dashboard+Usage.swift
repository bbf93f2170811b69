internal import Foundation
internal import Hummingbird
internal import MeteringCore
internal import MeteringReports
internal import MeteringStore

/// The Usage page: one member's or one SIP Profile's calls of a month, with
/// the API's filters as a form, previous/next month and page links.
extension Collector {
    func usagePage(_ viewer: DashboardViewer, _ query: DashboardQuery) async throws -> DashboardContent {
        let month = try monthParameter(query.request())
        let form = try await usageFilters(viewer, query, month: month)
        let subject = query["profile"] ?? query["member"] ?? viewer.member
        guard subject != nil else {
            let bar = monthBar(.usage, query, month: month, download: nil)
            return .page(
                "<h1>Usage</h1>\n" + bar + form + "<p class=\"muted\">Choose a member or a SIP Profile to see its calls.</p>\n")
        }
        let report: RenderedReport
        do {
            report = try await self.report(
                .usage, query.request(), principal: viewer.principal, format: .json, viewedAs: "dashboard")
        } catch {
            // Keep the month bar and the form, so the viewer can pick someone else.
            let e = APIError.from(error)
            let bar = monthBar(.usage, query, month: month, download: nil)
            let summary = DashboardQuery(items: [.init(name: "month", value: ReportTables.monthText(month))])
            let back = "<p><a href=\"\(html(summary.url(DashboardSection.summary.path)))\">Back to the Summary</a></p>\n"
            return .page(
                "<h1>Usage — \(html(subject ?? ""))</h1>\n" + bar + form + DashboardPage.errorBlock(e) + back, status: e.status)
        }
        // The page's cursor and total count come from the same report's JSON.
        let json = try await Self.jsonObject(report.json())
        let next = json["next_cursor"] as? String
        let total = (json["totals"] as? [String: Any])?["calls"] as? Int ?? report.table.rows.count
        var pager = "<p class=\"pager\">\(report.table.rows.count) of \(total) calls shown"
        if query["cursor"] != nil {
            pager += " · <a href=\"\(html(query.removing("cursor").url(DashboardSection.usage.path)))\">First page</a>"
        }
        if let next {
            let href = query.setting("cursor", next).url(DashboardSection.usage.path)
            pager += " · <a rel=\"next\" data-nav=\"next-page\" href=\"\(html(href))\">Next page ›</a>"
        }
        pager += "</p>\n"
        let bar = monthBar(.usage, query, month: month, download: .usage)
        let paged = next != nil || query["cursor"] != nil
        return .page(report.table.headingHTML() + bar + form + pager + report.table.tableHTML() + (paged ? pager : ""))
    }

    /// The filter form: whose calls (one select of members and SIP Profiles),
    /// days, disposition, direction, number prefix, minimum cost, masking, page size.
    private func usageFilters(_ viewer: DashboardViewer, _ query: DashboardQuery, month: Int) async throws -> String {
        let group = viewer.principal.groupID
        var members = try await store.members(group: group).map(\.name)
        var profiles = try await store.profiles(group: group)
        if let me = viewer.member {
            members = [me]
            profiles = profiles.filter { $0.member == me }
        }
        let selected = query["profile"].map { "profile:\($0)" } ?? query["member"].map { "member:\($0)" }
        func option(_ value: String, _ label: String, _ chosen: Bool) -> String {
            "<option value=\"\(html(value))\"\(chosen ? " selected" : "")>\(html(label))</option>"
        }
        func choice(_ name: String, _ label: String, _ values: [String]) -> String {
            let options = [option("", "any", query[name] == nil)] + values.map { option($0, $0, query[name] == $0) }
            return "<label>\(label)<select name=\"\(name)\">\(options.joined())</select></label>"
        }
        func field(_ name: String, _ label: String, type: String = "text", extra: String = "") -> String {
            let value = query[name].map { " value=\"\(html($0))\"" } ?? ""
            return "<label>\(label)<input type=\"\(type)\" name=\"\(name)\"\(value)\(extra)></label>"
        }
        var who = viewer.member == nil ? [option("", "Choose…", selected == nil)] : []
        who.append("<optgroup label=\"Members\">")
        who += members.map { option("member:\($0)", $0, selected == "member:\($0)") }
        who.append("</optgroup><optgroup label=\"SIP Profiles\">")
        who += profiles.map { option("profile:\($0.name)", "\($0.name) (\($0.member))", selected == "profile:\($0.name)") }
        who.append("</optgroup>")
        let lastDay = Timestamp.monthEnd(month).adding(seconds: -1).dayKey % 100
        let monthText = ReportTables.monthText(month)
        let keep = DashboardQuery(items: [.init(name: "month", value: monthText)])
        let clear =
            selected.map { s in keep.setting("view", s).url(DashboardSection.usage.path) }
            ?? keep.url(DashboardSection.usage.path)
        let sizes = ["25", "100", "500"].map { option($0, "\($0) per page", (query["limit"] ?? "100") == $0) }
        return """
            <form class="filters" method="get" action="\(DashboardSection.usage.path)">
            <input type="hidden" name="month" value="\(monthText)">
            <label>Member or SIP Profile<select name="view">\(who.joined())</select></label>
            \(field("from_day", "From day", type: "number", extra: " min=\"1\" max=\"\(lastDay)\""))
            \(field("to_day", "To day", type: "number", extra: " min=\"1\" max=\"\(lastDay)\""))
            \(choice("disposition", "Disposition", Disposition.allCases.map(\.rawValue)))
            \(choice("direction", "Direction", Direction.allCases.map(\.rawValue)))
            \(field("prefix", "Number starts with", extra: " placeholder=\"44 or +4420\""))
            \(field("min_cost", "Cost at least", extra: " inputmode=\"decimal\" placeholder=\"0.05\""))
            <label>Page size<select name="limit">\(sizes.joined())</select></label>
            <label class="actions"><input type="checkbox" name="mask" value="true"\(query["mask"] == "true" ? " checked" : "")>\
            Hide last digits</label>
            <div class="actions"><button class="primary" type="submit">Apply</button>\
            <a class="button" href="\(html(clear))">Clear filters</a></div>
            </form>

            """
    }

    /// The JSON object a report's `json()` response holds.
    static func jsonObject(_ response: Response) async throws -> [String: Any] {
        final class Sink {
            var buffer = ByteBuffer()
        }
        struct Collector: ResponseBodyWriter {
            let sink: Sink
            mutating func write(_ buffer: ByteBuffer) async throws {
                var buffer = buffer
                sink.buffer.writeBuffer(&buffer)
            }
            consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
        }
        let sink = Sink()
        try await response.body.write(Collector(sink: sink))
        let object = try JSONSerialization.jsonObject(with: Data(sink.buffer.readableBytesView))
        return object as? [String: Any] ?? [:]
    }
}
