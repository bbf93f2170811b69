internal import Foundation
internal import Hummingbird
internal import MeteringCore
internal import MeteringStore
internal import RatingEngine

extension Collector {
    /// Members, SIP Profiles, rate decks, bundles, agents, purchases and
    /// allocations: the admin's side of the API.
    func addAdminRoutes(to v1: RouterGroup<CollectorContext>) {
        v1.post("members") { request, context in
            let admin = try context.requireAdmin()
            let body = try await decodeBody(MemberRequest.self, request, context)
            let member = try await store.addMember(
                group: admin.groupID, name: try validName(body.name, "name"), kind: body.kind, now: clock())
            return try json(MemberJSON(member), status: .created)
        }
        v1.get("members") { _, context in
            let admin = try context.requireAdmin()
            return try json(["members": try await store.members(group: admin.groupID).map(MemberJSON.init)])
        }
        v1.post("members/:name/tokens") { _, context in
            let admin = try context.requireAdmin()
            let name = try pathName(context)
            let token = try await store.issueMemberToken(group: admin.groupID, member: name, now: clock())
            return try json(TokenJSON(token: token), status: .created)
        }
        v1.post("profiles") { request, context in
            let admin = try context.requireAdmin()
            let body = try await decodeBody(ProfileRequest.self, request, context)
            let profile = try await store.addProfile(
                group: admin.groupID, name: try validName(body.name, "name"), member: body.member,
                rateDeck: body.rateDeck, now: clock())
            return try json(ProfileJSON(profile), status: .created)
        }
        v1.get("profiles") { _, context in
            let admin = try context.requireAdmin()
            return try json(["profiles": try await store.profiles(group: admin.groupID).map(ProfileJSON.init)])
        }
        v1.put("rate-decks/:name") { request, context in
            let admin = try context.requireAdmin()
            let name = try validName(try pathName(context), "rate deck name")
            let buffer = try await request.body.collect(upTo: 32 * 1024 * 1024)
            let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
            let deck: RateDeck
            do {
                deck = try RateDeck(csv: text)
            } catch let error as RateDeckError {
                throw APIError.unprocessable(error.description)
            }
            let info = try await store.putRateDeck(
                group: admin.groupID, name: name, csv: deck.csv, entries: deck.entries.count, now: clock())
            return try json(RateDeckJSON(info))
        }
        v1.get("rate-decks") { _, context in
            let admin = try context.requireAdmin()
            return try json(["rate_decks": try await store.rateDecks(group: admin.groupID).map(RateDeckJSON.init)])
        }
        v1.post("profiles/:name/bundles") { request, context in
            let admin = try context.requireAdmin()
            let profile = try pathName(context)
            let body = try await decodeBody(BundleRequest.self, request, context)
            guard (1...1_000_000).contains(body.minutes) else {
                throw APIError.unprocessable("minutes must be 1 to 1000000")
            }
            let prefixes = body.prefixes.map { PhoneNumber.normalise($0) }
            guard !prefixes.isEmpty, prefixes.allSatisfy({ !$0.isEmpty && $0.count <= 24 }) else {
                throw APIError.unprocessable("prefixes must be a non-empty list of digit prefixes")
            }
            let bundle = try await store.addBundle(
                group: admin.groupID, profile: profile, name: try validName(body.name, "name"), minutes: body.minutes,
                prefixes: prefixes, now: clock())
            return try json(BundleJSON(bundle), status: .created)
        }
        v1.get("bundles") { request, context in
            let admin = try context.requireAdmin()
            let month = try monthParameter(request)
            return try json(["bundles": try await store.bundles(group: admin.groupID, month: month).map(BundleJSON.init)])
        }
        v1.post("agents") { request, context in
            let admin = try context.requireAdmin()
            let body = try await decodeBody(AgentRequest.self, request, context)
            let (agent, token) = try await store.addAgent(
                group: admin.groupID, name: try validName(body.name, "name"), profiles: body.profiles, now: clock())
            return try json(AgentJSON(name: agent.name, profiles: agent.profiles, token: token), status: .created)
        }
        v1.get("agents") { _, context in
            let admin = try context.requireAdmin()
            let agents = try await store.agents(group: admin.groupID)
            return try json(["agents": agents.map { AgentJSON(name: $0.name, profiles: $0.profiles, token: nil) }])
        }
        v1.post("purchases") { request, context in
            let admin = try context.requireAdmin()
            let body = try await decodeBody(PurchaseRequest.self, request, context)
            guard let amount = Money(decimal: body.amount), amount > .zero else {
                throw APIError.unprocessable("amount must be a decimal string greater than 0 with at most 4 decimals")
            }
            let purchase = try await store.recordPurchase(
                group: admin.groupID, amount: amount, reference: body.reference ?? "", now: clock())
            dirty.insert(admin.groupID)
            return try json(PurchaseJSON(purchase), status: .created)
        }
        v1.get("purchases") { _, context in
            let admin = try context.requireAdmin()
            return try json(["purchases": try await store.purchases(group: admin.groupID).map(PurchaseJSON.init)])
        }
        v1.post("allocations") { request, context in
            let admin = try context.requireAdmin()
            let body = try await decodeBody(AllocationRequest.self, request, context)
            guard let amount = Money(decimal: body.amount), amount != .zero else {
                throw APIError.unprocessable("amount must be a non-zero decimal string with at most 4 decimals")
            }
            let target: AllocationTarget
            switch (body.member, body.profile) {
            case (let member?, nil): target = .member(member)
            case (nil, let profile?): target = .profile(profile)
            default: throw APIError.unprocessable("give exactly one of member or profile")
            }
            let allocation = try await store.allocate(group: admin.groupID, to: target, amount: amount, now: clock())
            dirty.insert(admin.groupID)
            return try json(AllocationJSON(allocation), status: .created)
        }
        v1.get("allocations") { _, context in
            let admin = try context.requireAdmin()
            return try json(["allocations": try await store.allocations(group: admin.groupID).map(AllocationJSON.init)])
        }
    }

    /// The `{name}` path segment, percent-decoded ("Alice%20Smith" is "Alice Smith").
    func pathName(_ context: CollectorContext) throws -> String {
        let raw = try context.parameters.require("name")
        guard let name = raw.removingPercentEncoding else {
            throw APIError.badRequest("the name in the path is not valid percent-encoding")
        }
        return name
    }

    /// `month=YYYY-MM` (default: the current UTC month) as YYYYMM.
    func monthParameter(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("month") else { return clock().monthKey }
        guard let key = Timestamp.monthKey(text: text) else {
            throw APIError.badRequest("month must be YYYY-MM, for example 2026-11")
        }
        return key
    }
}
