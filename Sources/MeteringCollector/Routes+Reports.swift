internal import Foundation
internal import Hummingbird
internal import MeteringCore
internal import MeteringReports
internal import MeteringStore

/// The monthly reports (`/v1/reports/…`), consent and the access log.
///
/// Who reads what: an admin token reads the group's reports; a member token
/// reads its own Summary, Allocations and Usage and nothing else. Call
/// detail (the Usage report) of a member of kind `personal` is shown to an
/// admin only while that member consents; every view of call detail is
/// written to the access log, which the member can read.
extension Collector {
    enum ReportKind: String, CaseIterable {
        case summary, purchases, allocations, usage
    }

    enum ReportFormat: String {
        case json, csv, pdf
    }

    /// A rendered report: its table (CSV and PDF) and its JSON.
    struct RenderedReport {
        var name: String
        var table: ReportTable
        var json: @Sendable () throws -> Response
    }

    func addReportRoutes(to v1: RouterGroup<CollectorContext>) {
        for kind in ReportKind.allCases {
            v1.get("reports/\(kind.rawValue)") { request, context in
                let principal = try context.requirePrincipal()
                let format = try formatParameter(request, allowed: [.json, .csv, .pdf])
                let report = try await report(kind, request, principal: principal, format: format)
                return format == .json ? try report.json() : try download(report, format: format)
            }
        }
        // Skype Manager's "Download Reports": tick several, choose CSV or PDF, one zip.
        v1.get("reports/download") { request, context in
            let principal = try context.requirePrincipal()
            let format = try formatParameter(request, allowed: [.csv, .pdf])
            let names = (request.uri.queryParameters.get("reports") ?? "").split(separator: ",").map(String.init)
            guard !names.isEmpty else {
                throw APIError.badRequest("reports must list one or more of summary, purchases, allocations, usage")
            }
            var kinds: [ReportKind] = []
            for name in names {
                guard let kind = ReportKind(rawValue: name) else {
                    throw APIError.badRequest("\(name) is not a report; reports are summary, purchases, allocations, usage")
                }
                if !kinds.contains(kind) { kinds.append(kind) }
            }
            var zip = ZipWriter(modified: clock())
            for kind in kinds {
                let report = try await report(kind, request, principal: principal, format: format)
                let bytes = format == .csv ? Array(report.table.csv().utf8) : try pdf(report.table)
                zip.add(name: "\(report.name).\(format.rawValue)", bytes: bytes)
            }
            let month = ReportTables.monthText(try monthParameter(request))
            return file(zip.finish(), name: "sipmeter-reports-\(month).zip", type: "application/zip")
        }
        v1.post("consent") { request, context in
            let principal = try context.requirePrincipal()
            guard principal.role == .member, let member = principal.memberID else {
                throw APIError.forbidden("consent is given or withdrawn by the member, with the member's own token")
            }
            let body = try await decodeBody(ConsentJSON.self, request, context)
            try await store.recordConsent(group: principal.groupID, memberID: member, granted: body.granted, now: clock())
            return try json(body)
        }
        v1.get("consent") { _, context in
            let principal = try context.requirePrincipal()
            let history = try await store.consentHistory(group: principal.groupID, memberID: try ownMember(principal))
            return try json(
                ConsentHistoryJSON(consent: history.map { .init(member: $0.member, granted: $0.granted, at: $0.at.rfc3339) }))
        }
        v1.get("access-log") { _, context in
            let principal = try context.requirePrincipal()
            let log = try await store.accessLog(group: principal.groupID, memberID: try ownMember(principal), limit: 1000)
            return try json(
                AccessLogJSON(
                    access_log: log.map { .init(member: $0.member, viewer: $0.viewer, report: $0.report, at: $0.at.rfc3339) }))
        }
    }

    /// nil for an admin (every member); the member itself for a member token.
    private func ownMember(_ principal: Principal) throws -> Int64? {
        switch principal.role {
        case .admin: return nil
        case .member: return principal.memberID
        case .agent: throw APIError.forbidden("this needs an admin or member token")
        }
    }

    /// Builds one report for `principal`, enforcing who may read what.
    /// `viewedAs` names how call detail was seen, in the access log
    /// (default: the format).
    func report(
        _ kind: ReportKind, _ request: Request, principal: Principal, format: ReportFormat, viewedAs: String? = nil
    ) async throws -> RenderedReport {
        let q = request.uri.queryParameters
        let month = try monthParameter(request)
        let monthText = ReportTables.monthText(month)
        let scope: ReportScope
        switch principal.role {
        case .admin: scope = .group
        case .member:
            guard let id = principal.memberID else { throw APIError.forbidden("this token names no member") }
            scope = .member(id)
        case .agent: throw APIError.forbidden("reports need an admin or member token")
        }
        let group = principal.groupID
        switch kind {
        case .summary:
            let r = try await store.summaryReport(group: group, month: month, scope: scope)
            return RenderedReport(name: "summary-\(monthText)", table: ReportTables.summary(r)) {
                try json(SummaryJSON(r, scope: scope))
            }
        case .purchases:
            guard scope == .group else { throw APIError.forbidden("purchases are the group's: they need an admin token") }
            let r = try await store.purchasesReport(group: group, month: month)
            return RenderedReport(name: "purchases-\(monthText)", table: ReportTables.purchases(r)) {
                try json(PurchasesReportJSON(r))
            }
        case .allocations:
            let r = try await store.allocationsReport(group: group, month: month, scope: scope)
            return RenderedReport(name: "allocations-\(monthText)", table: ReportTables.allocations(r)) {
                try json(AllocationsReportJSON(r))
            }
        case .usage:
            var query = try usageQuery(request, month: month)
            if principal.role == .member, query.member == nil, query.profile == nil {
                query.member = try await store.members(group: group).first { $0.id == principal.memberID }?.name
            }
            guard query.member != nil || query.profile != nil else {
                throw APIError.badRequest("a Usage report is for one member or one SIP Profile: give member or profile")
            }
            let subject = try await detailAccess(principal, member: query.member, profile: query.profile)
            if format != .json { query.limit = nil }
            let r = try await store.usageReport(group: group, query: query)
            let mask = q.get("mask") == "true"
            try await store.logDetailAccess(
                group: group, memberID: subject.memberID, viewer: principal.role == .admin ? "admin" : "member",
                report:
                    "usage \(monthText) \(query.profile.map { "profile \($0)" } ?? "member \(subject.member)") \(viewedAs ?? format.rawValue)",
                now: clock())
            let name = "usage-\(query.profile ?? subject.member)-\(monthText)"
            return RenderedReport(name: name, table: ReportTables.usage(r, mask: mask)) { try json(UsageJSON(r, mask: mask)) }
        }
    }

    /// Whose call detail is asked for, and whether `principal` may see it:
    /// a member only its own; an admin a personal member's only with consent.
    func detailAccess(_ principal: Principal, member: String?, profile: String?) async throws -> DetailSubject {
        let subject = try await store.detailSubject(group: principal.groupID, member: member, profile: profile)
        switch principal.role {
        case .member:
            guard subject.memberID == principal.memberID else {
                throw APIError.forbidden("a member token reads only its own call detail")
            }
        case .admin:
            if subject.kind == .personal, subject.consented != true {
                throw APIError.forbidden(
                    "\(subject.member) has a personal account and has not consented to share call detail; "
                        + "the Summary report shows their balance and totals")
            }
        case .agent:
            throw APIError.forbidden("reports need an admin or member token")
        }
        return subject
    }

    private func usageQuery(_ request: Request, month: Int) throws -> UsageQuery {
        let q = request.uri.queryParameters
        var query = UsageQuery(month: month, member: q.get("member"), profile: q.get("profile"))
        if query.member != nil, query.profile != nil {
            throw APIError.badRequest("give member or profile, not both")
        }
        query.limit = 100
        if let text = q.get("limit") {
            guard let n = Int(text), (1...1000).contains(n) else {
                throw APIError.badRequest("limit must be a whole number from 1 to 1000")
            }
            query.limit = n
        }
        if let text = q.get("cursor") {
            guard let c = CallCursor(text: text) else { throw APIError.badRequest("cursor is not one this API returned") }
            query.after = c
        }
        let lastDay = Timestamp.monthEnd(month).adding(seconds: -1).dayKey % 100
        func day(_ key: String, _ fallback: Int) throws -> Int {
            guard let text = q.get(key) else { return fallback }
            guard let d = Int(text), (1...lastDay).contains(d) else {
                throw APIError.badRequest("\(key) must be a day of the month, 1 to \(lastDay)")
            }
            return d
        }
        let (first, last) = (try day("from_day", 1), try day("to_day", lastDay))
        guard first <= last else { throw APIError.badRequest("from_day must not be after to_day") }
        if first != 1 || last != lastDay { query.days = first...last }
        if let d = q.get("disposition") {
            let known = ["answered", "busy", "no_answer", "cancelled", "rejected", "redirected", "congestion", "failed"]
            guard known.contains(d) else {
                throw APIError.badRequest("disposition must be one of \(known.joined(separator: ", "))")
            }
            query.disposition = d
        }
        if let d = q.get("direction") {
            guard ["outbound", "inbound", "unknown"].contains(d) else {
                throw APIError.badRequest("direction must be outbound, inbound or unknown")
            }
            query.direction = d
        }
        if let p = q.get("prefix") {
            let digits = PhoneNumber.normalise(p)
            guard !digits.isEmpty else { throw APIError.badRequest("prefix must hold digits, for example 44 or +4420") }
            query.destinationPrefix = digits
        }
        if let text = q.get("min_cost") {
            guard let m = Money(decimal: text), m >= .zero else {
                throw APIError.badRequest("min_cost must be an amount like 0.05")
            }
            query.minimumCost = m
        }
        return query
    }

    private func formatParameter(_ request: Request, allowed: [ReportFormat]) throws -> ReportFormat {
        let text = request.uri.queryParameters.get("format") ?? allowed[0].rawValue
        guard let f = ReportFormat(rawValue: text), allowed.contains(f) else {
            throw APIError.badRequest("format must be \(allowed.map(\.rawValue).joined(separator: ", "))")
        }
        return f
    }

    /// The CSV or PDF file of a report, as an attachment.
    func download(_ report: RenderedReport, format: ReportFormat) throws -> Response {
        format == .pdf
            ? file(try pdf(report.table), name: "\(report.name).pdf", type: "application/pdf")
            : file(Array(report.table.csv().utf8), name: "\(report.name).csv", type: "text/csv; charset=utf-8")
    }

    private func pdf(_ table: ReportTable) throws -> [UInt8] {
        do {
            return try PDFRenderer().render(table, creationDate: String(clock().rfc3339.prefix(19)) + "Z")
        } catch {
            throw APIError(.internalServerError, "the PDF could not be drawn: \(error)")
        }
    }

    private func file(_ bytes: [UInt8], name: String, type: String) -> Response {
        Response(
            status: .ok,
            // Reports are private data: no cache on the way keeps them.
            headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(name)\"", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
