internal import Foundation
internal import Hummingbird
internal import MeteringCore
internal import MeteringReports
internal import MeteringStore

/// The admin dashboard: HTML pages served by the collector itself at `/`
/// and `/dashboard/…`, with no scripts and nothing loaded from elsewhere.
///
/// Every figure comes from the same functions as the API — `report(…)` for
/// the four reports (with their consent and member-scope rules), the store's
/// balances and alerts — so the page, the CSV, the PDF and the JSON agree.
extension Collector {
    /// The dashboard's paths and methods, for `405 Method Not Allowed`.
    static let dashboardRoutes: [(path: String, methods: [String])] =
        [("/", ["GET"]), ("/dashboard/sign-in", ["POST"]), ("/dashboard/sign-out", ["POST"])]
        + DashboardSection.allCases.map { ($0.path, ["GET"]) } + [("/dashboard/download/:file", ["GET"])]

    /// Who is looking at a page: the cookie's principal and its group.
    struct DashboardViewer: Sendable {
        var principal: Principal
        var group: GroupInfo
        /// The member's name for a member token.
        var member: String?

        var label: String { "\(group.name) · \(member.map { "\($0) (member)" } ?? "admin")" }
        var signedIn: (label: String, role: Principal.Role) { (label, principal.role) }
        var scope: ReportScope { principal.memberID.map { .member($0) } ?? .group }
    }

    /// What a dashboard route answers: a page (its body and status) or a file.
    enum DashboardContent {
        case page(String, status: HTTPResponse.Status = .ok)
        case file(Response)
    }

    /// Registers the sign-in, the pages and the downloads (outside `/v1`:
    /// they authenticate with the cookie, not a bearer header).
    func addDashboardRoutes(to router: Router<CollectorContext>) {
        addDashboardSessionRoutes(to: router)
        for section in DashboardSection.allCases {
            router.get(RouterPath(section.path)) { request, _ in
                await dashboardResponse(request, section: section) { viewer, query in
                    switch section {
                    case .summary: try await summaryPage(viewer, query)
                    case .usage: try await usagePage(viewer, query)
                    case .purchases: try await monthlyReportPage(.purchases, viewer, query)
                    case .allocations: try await monthlyReportPage(.allocations, viewer, query)
                    case .balances: try await balancesPage(viewer)
                    case .alerts: try await alertsPage(viewer)
                    }
                }
            }
        }
        router.get("/dashboard/download/:file") { request, context in
            let file = context.parameters.get("file") ?? ""
            return await dashboardResponse(request, section: nil) { viewer, query in
                .file(try await download(file, viewer, query))
            }
        }
    }

    /// Runs `build` for the signed-in viewer: without a valid cookie the browser
    /// goes to the sign-in page (and comes back here after); any error becomes
    /// an HTML page with its status and message.
    private func dashboardResponse(
        _ request: Request, section: DashboardSection?,
        build: (DashboardViewer, DashboardQuery) async throws -> DashboardContent
    ) async -> Response {
        var viewer: DashboardViewer?
        do {
            guard let principal = try await dashboardPrincipal(request) else {
                let here = request.uri.query.map { "\(request.uri.path)?\($0)" } ?? request.uri.path
                return Self.redirect(to: "/?next=" + DashboardQuery.encoded(here))
            }
            let group = try await store.group(id: principal.groupID)
            var member: String?
            if let id = principal.memberID {
                member = try await store.members(group: principal.groupID).first { $0.id == id }?.name
            }
            let v = DashboardViewer(principal: principal, group: group, member: member)
            viewer = v
            switch try await build(v, DashboardQuery(request)) {
            case .page(let body, let status):
                let title = section?.title ?? "sipmeter"
                return DashboardPage(title: title, section: section, signedIn: v.signedIn, body: body).response(status: status)
            case .file(let response):
                return response
            }
        } catch {
            return DashboardPage.error(APIError.from(error), signedIn: viewer?.signedIn, section: section)
        }
    }

    /// `/dashboard/download/{summary|purchases|allocations|usage}.{csv|pdf}`: the
    /// same bytes as `/v1/reports/{kind}?format=…`, for the cookie's principal.
    private func download(_ file: String, _ viewer: DashboardViewer, _ query: DashboardQuery) async throws -> Response {
        let parts = file.split(separator: ".")
        guard parts.count == 2, let kind = ReportKind(rawValue: String(parts[0])),
            let format = ReportFormat(rawValue: String(parts[1])), format != .json
        else {
            throw APIError.notFound("downloads are summary, purchases, allocations or usage, as .csv or .pdf")
        }
        let report = try await report(
            kind, query.request(), principal: viewer.principal, format: format, viewedAs: "dashboard \(format.rawValue)")
        return try download(report, format: format)
    }
}
