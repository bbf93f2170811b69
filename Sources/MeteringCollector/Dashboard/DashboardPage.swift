internal import Hummingbird
internal import MeteringStore

/// Escapes `text` for HTML element content and quoted attribute values
/// (and for inline SVG, which is parsed the same way). Every piece of text
/// the dashboard writes that did not come from a literal in this module goes
/// through here: names, notes, cells, messages, links.
func html(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for c in text.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// The dashboard's pages, in the order of the nav bar.
enum DashboardSection: String, CaseIterable, Sendable {
    case summary, usage, purchases, allocations, balances, alerts

    var title: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }

    var path: String { "/dashboard/\(rawValue)" }

    /// Purchases and alerts are the group's: only an admin sees them.
    func isVisible(to role: Principal.Role) -> Bool {
        role == .admin || (self != .purchases && self != .alerts)
    }
}

/// One HTML page of the dashboard: the shell (head, inline CSS, nav bar)
/// around a body the page builders wrote with `html(_:)`.
struct DashboardPage {
    var title: String
    /// The nav entry to highlight; nil on pages outside the nav (errors).
    var section: DashboardSection?
    /// Who is signed in ("acme · admin"), and their role for the nav; nil on the sign-in page.
    var signedIn: (label: String, role: Principal.Role)?
    /// The page content, already escaped.
    var body: String

    /// The whole document.
    func render() -> String {
        var nav = ""
        if let signedIn {
            let links = DashboardSection.allCases.filter { $0.isVisible(to: signedIn.role) }.map { s in
                "<a href=\"\(s.path)\"\(s == section ? " class=\"current\" aria-current=\"page\"" : "")>\(s.title)</a>"
            }
            nav = """
                <nav>\(links.joined())</nav>
                <span class="who">\(html(signedIn.label))</span>
                <form method="post" action="/dashboard/sign-out"><button type="submit">Sign out</button></form>
                """
        }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(html(title)) · sipmeter</title>
            <style>\(Self.css)</style>
            </head>
            <body>
            <header><span class="brand">sipmeter</span>\(nav)</header>
            <main>
            \(body)
            </main>
            </body>
            </html>

            """
    }

    /// The page as a response. Pages hold balances and call detail: never cached,
    /// never framed, and nothing loaded from anywhere (no scripts at all).
    func response(status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                .xContentTypeOptions: "nosniff",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: render())))
    }

    /// A page showing an API error: its status and its one sentence.
    static func error(_ error: APIError, signedIn: (label: String, role: Principal.Role)?, section: DashboardSection?)
        -> Response
    {
        let title = "\(error.status.code) \(error.status.reasonPhrase)"
        return DashboardPage(title: title, section: section, signedIn: signedIn, body: errorBlock(error))
            .response(status: error.status)
    }

    /// An API error as a block of a page: the status (also in `data-status`) and the message.
    static func errorBlock(_ error: APIError) -> String {
        let code = Int(error.status.code)
        return """
            <div class="error" role="alert" data-status="\(code)">
            <h2>\(code) \(html(error.status.reasonPhrase))</h2>
            <p class="message">\(html(error.message))</p>
            </div>

            """
    }

    /// One small stylesheet: readable type, numbers right-aligned in tabular figures.
    static let css = """
        body{margin:0;font:15px/1.45 "DejaVu Sans",system-ui,sans-serif;color:#1c2330;background:#f5f6f8}
        header{display:flex;flex-wrap:wrap;align-items:center;gap:1rem;padding:.55rem 1.2rem;background:#1f3a5f;color:#fff}
        header .brand{font-weight:700;letter-spacing:.02em;margin-right:.5rem}
        header nav{display:flex;gap:.25rem;flex:1}
        header nav a{color:#fff;text-decoration:none;padding:.25rem .6rem;border-radius:4px}
        header nav a.current{background:#fff;color:#1f3a5f;font-weight:600}
        header .who{opacity:.85}
        header form{margin:0}
        main{padding:1rem 1.2rem 2rem;max-width:1240px}
        h1{font-size:1.35rem;margin:.3rem 0}
        h2{font-size:1.1rem;margin:1.2rem 0 .4rem}
        .period{color:#4a5568;margin:0 0 .3rem}
        ul.notes{color:#4a5568;margin:.2rem 0 .8rem;padding-left:1.2rem}
        .toolbar{display:flex;flex-wrap:wrap;align-items:center;gap:.6rem;margin:.7rem 0}
        .toolbar form{display:flex;gap:.4rem;align-items:center;margin:0}
        a.button,button{display:inline-block;padding:.3rem .7rem;border:1px solid #1f3a5f;border-radius:4px;
        background:#fff;color:#1f3a5f;text-decoration:none;font:inherit;cursor:pointer}
        a.button.primary,button.primary{background:#1f3a5f;color:#fff}
        input,select{font:inherit;padding:.2rem .35rem;border:1px solid #b8c0cc;border-radius:4px}
        .filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:.5rem .9rem;
        background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:.7rem .9rem}
        .filters label{display:flex;flex-direction:column;font-size:.85rem;color:#4a5568}
        .filters .actions{display:flex;flex-direction:row;align-items:end;gap:.5rem}
        .filters label.actions{align-items:center;padding-top:1.2rem}
        table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde2e8}
        th,td{padding:.32rem .6rem;border-bottom:1px solid #e6e9ee;text-align:left;white-space:nowrap}
        th{background:#edf1f6;font-weight:600}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        tr.totals td{font-weight:700;border-top:2px solid #1f3a5f;background:#f8fafc}
        .chart{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:.5rem;margin:.5rem 0 1rem}
        .chart svg{display:block;width:100%;height:auto}
        .error{background:#fdeeee;border:1px solid #e8b4b4;border-radius:6px;padding:.8rem 1.1rem;margin:1rem 0}
        .error h2{color:#9b1c1c;margin:.1rem 0 .3rem}
        .signin{max-width:420px;margin:3rem auto;background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:1.4rem}
        .signin input{width:100%;box-sizing:border-box;margin:.3rem 0 .9rem}
        .muted{color:#6b7585}
        """
}
