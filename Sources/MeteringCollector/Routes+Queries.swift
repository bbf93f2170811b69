internal import Hummingbird
internal import MeteringCore
internal import MeteringStore

extension Collector {
    /// Balances and rated calls.
    func addQueryRoutes(to v1: RouterGroup<CollectorContext>) {
        // An admin sees every balance; a member token its own and its profiles'.
        v1.get("balances") { _, context in
            let principal = try context.requirePrincipal()
            guard principal.role != .agent else { throw APIError.forbidden("this needs an admin or member token") }
            let group = try await store.group(id: principal.groupID)
            var b = try await store.balances(group: principal.groupID)
            let isAdmin = principal.role == .admin
            if !isAdmin {
                let me = try await store.members(group: principal.groupID).first { $0.id == principal.memberID }?.name
                let mine = Set(try await store.profiles(group: principal.groupID).filter { $0.member == me }.map(\.name))
                b.members.removeAll { $0.name != me }
                b.profiles.removeAll { !mine.contains($0.name) }
            }
            func entries(_ list: [Balances.Entry]) -> [BalancesJSON.Entry] {
                list.map { .init(name: $0.name, balance: $0.balance.description, exhausted: $0.exhausted) }
            }
            return try json(
                BalancesJSON(
                    group: .init(name: group.name, currency: group.currency, balance: isAdmin ? b.group.description : nil),
                    members: entries(b.members), profiles: entries(b.profiles)))
        }
        v1.get("calls") { request, context in
            let admin = try context.requireAdmin()
            let q = request.uri.queryParameters
            let month = try monthParameter(request)
            var limit = 100
            if let text = q.get("limit") {
                guard let n = Int(text), (1...1000).contains(n) else {
                    throw APIError.badRequest("limit must be a whole number from 1 to 1000")
                }
                limit = n
            }
            var cursor: CallCursor?
            if let text = q.get("cursor") {
                guard let c = CallCursor(text: text) else { throw APIError.badRequest("cursor is not one this API returned") }
                cursor = c
            }
            let query = CallQuery(
                from: .monthStart(month), to: .monthEnd(month), member: q.get("member"), profile: q.get("profile"),
                limit: limit, after: cursor)
            let (calls, next) = try await store.calls(group: admin.groupID, query: query)
            return try json(CallsJSON(calls: calls.map { CallJSON(call: $0) }, next_cursor: next?.text))
        }
    }
}
