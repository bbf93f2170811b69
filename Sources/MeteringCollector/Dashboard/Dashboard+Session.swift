internal import Foundation
internal import Hummingbird
internal import MeteringStore

/// Signing in to the dashboard. A browser can't send `Authorization: Bearer`
/// from a link, so the sign-in form trades a token for an HttpOnly,
/// SameSite=Strict cookie holding it; every dashboard request checks that
/// cookie with the same `authenticate(token:)` as the API, so a token works
/// on the dashboard exactly as far as it works on the API. Agent tokens are
/// refused: they only write records.
extension Collector {
    static let dashboardCookie = "sipmeter_token"

    /// Where a sign-in lands when it names nowhere (or somewhere not allowed).
    static let dashboardHome = DashboardSection.summary.path

    func addDashboardSessionRoutes(to router: Router<CollectorContext>) {
        router.get("/") { request, _ in
            let next = Self.safeNext(request.uri.queryParameters.get("next"))
            if try await dashboardPrincipal(request) != nil {
                return Self.redirect(to: next)
            }
            return signInPage(next: next, problem: nil, status: .ok)
        }
        router.post("/dashboard/sign-in") { request, context in
            struct Form: Decodable {
                var token: String?
                var next: String?
            }
            let body = try await request.body.collect(upTo: 16 * 1024)
            let text = String(buffer: body)
            let form = (try? URLEncodedFormDecoder().decode(Form.self, from: text)) ?? Form()
            let next = Self.safeNext(form.next)
            let token = (form.token ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty, let principal = try await store.authenticate(token: token),
                let cookie = try? Cookie.validated(
                    name: Self.dashboardCookie, value: token, path: "/", httpOnly: true, sameSite: .strict)
            else {
                return signInPage(next: next, problem: "That token is not valid.", status: .unauthorized)
            }
            guard principal.role != .agent else {
                return signInPage(
                    next: next, problem: "Agent tokens can't sign in to the dashboard; use an admin or member token.",
                    status: .forbidden)
            }
            // Browsers say where a form was; other clients (curl, tests) get the plain 303.
            let fetchSite = request.headers.first { $0.name.canonicalName == "sec-fetch-site" }?.value
            let sameSite = fetchSite.map { $0 == "same-origin" || $0 == "same-site" } ?? true
            var response = Self.landing(next, crossSite: !sameSite)
            response.setCookie(cookie)
            context.logger.info("dashboard sign-in", metadata: ["role": "\(principal.role.rawValue)"])
            return response
        }
        // POST only (the nav bar's button), so no link or image elsewhere can sign anyone out.
        router.post("/dashboard/sign-out") { _, _ in
            var response = Self.redirect(to: "/")
            response.setCookie(
                Cookie(name: Self.dashboardCookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
    }

    /// The principal of the request's dashboard cookie: nil without a cookie,
    /// with a token that is not valid, or with an agent's token.
    func dashboardPrincipal(_ request: Request) async throws -> Principal? {
        guard let token = request.cookies[Self.dashboardCookie]?.value, !token.isEmpty,
            let principal = try await store.authenticate(token: token), principal.role != .agent
        else { return nil }
        return principal
    }

    /// `next` if it is a dashboard page of this server, else the Summary:
    /// a sign-in link must not be able to send the browser anywhere else.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/dashboard/"),
            next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" })
        else { return dashboardHome }
        let path = next.prefix { $0 != "?" && $0 != "#" }
        guard !path.contains(".."), !path.contains("//"), !path.hasPrefix("/dashboard/sign-") else { return dashboardHome }
        return next
    }

    /// Where a sign-in goes next. From our own sign-in page: 303 See Other.
    /// From a form on another site (a portal, a bookmarked file), a redirect
    /// would still belong to that cross-site navigation and the browser would
    /// not send the new SameSite=Strict cookie with it; so such a sign-in gets
    /// a page of ours that moves on by itself (meta refresh, no script), and
    /// that navigation is same-site.
    static func landing(_ next: String, crossSite: Bool) -> Response {
        guard crossSite else { return redirect(to: next) }
        let body = """
            <meta http-equiv="refresh" content="0; url=\(html(next))">
            <p>Signed in. <a href="\(html(next))">Continue</a></p>
            """
        return DashboardPage(title: "Signed in", section: nil, signedIn: nil, body: body).response()
    }

    /// 303 See Other: after a form POST the browser follows with a GET.
    static func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    private func signInPage(next: String, problem: String?, status: HTTPResponse.Status) -> Response {
        let body = """
            <form class="signin" method="post" action="/dashboard/sign-in">
            <h1>Sign in</h1>
            <p class="muted">Paste an admin or member token. A member sees only its own usage.</p>
            \(problem.map { "<div class=\"error\" role=\"alert\"><p class=\"message\">\(html($0))</p></div>" } ?? "")
            <label for="token">Token</label>
            <input id="token" name="token" type="password" autocomplete="off" required autofocus>
            <input type="hidden" name="next" value="\(html(next))">
            <button class="primary" type="submit">Sign in</button>
            </form>
            """
        return DashboardPage(title: "Sign in", section: nil, signedIn: nil, body: body).response(status: status)
    }
}
