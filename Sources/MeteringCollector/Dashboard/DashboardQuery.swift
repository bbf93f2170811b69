internal import Foundation
internal import Hummingbird
internal import MeteringCore
internal import MeteringStore

/// A dashboard page's query string, cleaned for the report API.
///
/// Browsers submit GET forms form-encoded (`+` is a space) and send every
/// field, empty or not; the report API reads `%20` and treats an empty
/// `prefix=` as a mistake. So the query is decoded once here, empty fields
/// are dropped, and the Usage form's `view=member:NAME` / `view=profile:NAME`
/// becomes the API's `member=` / `profile=`. Links the dashboard writes are
/// built from the same items, so every link round-trips.
struct DashboardQuery: Sendable, Equatable {
    private(set) var items: [Item]

    struct Item: Sendable, Equatable {
        var name: String
        var value: String
    }

    init(items: [Item] = []) {
        self.items = items
    }

    /// The cleaned query of `request`.
    init(_ request: Request) {
        self.init(rawQuery: request.uri.query ?? "")
    }

    /// The cleaned query of a raw, form-encoded query string (no leading `?`).
    init(rawQuery: String) {
        var items: [Item] = []
        for pair in rawQuery.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.formDecoded(parts[0])
            let value = parts.count > 1 ? Self.formDecoded(parts[1]) : ""
            guard !name.isEmpty, !value.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            if name == "view" {
                // "member:alice" or "profile:alice-trunk" from the Usage form's one select.
                let kind = value.prefix { $0 != ":" }
                let subject = value.dropFirst(kind.count + 1)
                if kind == "member" || kind == "profile", !subject.isEmpty {
                    items.removeAll { $0.name == "member" || $0.name == "profile" }
                    items.append(Item(name: String(kind), value: String(subject)))
                }
                continue
            }
            items.append(Item(name: name, value: value))
        }
        self.items = items
    }

    /// The first value of `name`.
    subscript(_ name: String) -> String? { items.first { $0.name == name }?.value }

    /// A copy with `name` set to `value` (or removed when nil).
    func setting(_ name: String, _ value: String?) -> DashboardQuery {
        var copy = DashboardQuery(items: items.filter { $0.name != name })
        if let value {
            let at = items.firstIndex { $0.name == name } ?? copy.items.count
            copy.items.insert(Item(name: name, value: value), at: min(at, copy.items.count))
        }
        return copy
    }

    /// A copy without `names`.
    func removing(_ names: String...) -> DashboardQuery {
        DashboardQuery(items: items.filter { !names.contains($0.name) })
    }

    /// `path` with this query, percent-encoded (`%20` for spaces, as the API reads it).
    func url(_ path: String) -> String {
        guard !items.isEmpty else { return path }
        return path + "?" + items.map { "\(Self.encoded($0.name))=\(Self.encoded($0.value))" }.joined(separator: "&")
    }

    /// A GET request for `path` with this query, for the report functions the API uses.
    func request(path: String = "/dashboard") -> Request {
        Request(
            head: HTTPRequest(method: .get, scheme: nil, authority: nil, path: url(path)),
            body: RequestBody(buffer: ByteBuffer()))
    }

    /// The month before and after `month` (YYYYMM).
    static func neighbours(of month: Int) -> (previous: Int, next: Int) {
        (Timestamp.monthStart(month).adding(seconds: -1).monthKey, Timestamp.monthEnd(month).monthKey)
    }

    private static let unreserved = CharacterSet(
        charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// `application/x-www-form-urlencoded` decoding: `+` is a space, then `%XX`.
    /// Text that isn't valid percent-encoding is kept as written.
    static func formDecoded(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
