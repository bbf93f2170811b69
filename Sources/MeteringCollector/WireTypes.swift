internal import Foundation
internal import MeteringCore
internal import MeteringStore

// Request and response bodies of the HTTP API (see openapi.yaml). Money is
// always a decimal string with 4 decimals; times are RFC 3339 UTC.

struct MemberRequest: Decodable {
    var name: String
    var kind: MemberKind
}

struct ProfileRequest: Decodable {
    var name: String
    var member: String
    var rateDeck: String

    enum CodingKeys: String, CodingKey {
        case name, member
        case rateDeck = "rate_deck"
    }
}

struct PurchaseRequest: Decodable {
    var amount: String
    var reference: String?
}

struct AllocationRequest: Decodable {
    var member: String?
    var profile: String?
    var amount: String
}

struct BundleRequest: Decodable {
    var name: String
    var minutes: Int64
    var prefixes: [String]
}

struct AgentRequest: Decodable {
    var name: String
    var profiles: [String]
}

struct MemberJSON: Encodable {
    var name: String
    var kind: String
    var balance: String

    init(_ m: MemberInfo) {
        name = m.name
        kind = m.kind.rawValue
        balance = m.balance.description
    }
}

struct ProfileJSON: Encodable {
    var name: String
    var member: String
    var rate_deck: String
    var own_credit: Bool
    var balance: String

    init(_ p: ProfileInfo) {
        name = p.name
        member = p.member
        rate_deck = p.rateDeck
        own_credit = p.ownCredit
        balance = p.balance.description
    }
}

struct RateDeckJSON: Encodable {
    var name: String
    var entries: Int
    var version: Int
    var updated_at: String

    init(_ d: RateDeckInfo) {
        name = d.name
        entries = d.entries
        version = d.version
        updated_at = d.updatedAt.rfc3339
    }
}

struct PurchaseJSON: Encodable {
    var id: Int64
    var amount: String
    var reference: String
    var created_at: String

    init(_ p: PurchaseInfo) {
        id = p.id
        amount = p.amount.description
        reference = p.reference
        created_at = p.createdAt.rfc3339
    }
}

struct AllocationJSON: Encodable {
    var id: Int64
    var member: String?
    var profile: String?
    var amount: String
    var kind: String
    var created_at: String

    init(_ a: AllocationInfo) {
        id = a.id
        switch a.target {
        case .member(let m): member = m
        case .profile(let p): profile = p
        }
        amount = a.amount.description
        kind = a.amount < .zero ? "take_back" : "allocation"
        created_at = a.createdAt.rfc3339
    }
}

struct BundleJSON: Encodable {
    var name: String
    var profile: String
    var minutes: Int64
    var prefixes: [String]
    var seconds_used: Int64
    var seconds_left: Int64

    init(_ b: BundleInfo) {
        name = b.name
        profile = b.profile
        minutes = b.minutes
        prefixes = b.prefixes
        seconds_used = b.secondsUsed
        seconds_left = max(0, b.minutes * 60 - b.secondsUsed)
    }
}

struct AgentJSON: Encodable {
    var name: String
    var profiles: [String]
    var token: String?
}

struct BalancesJSON: Encodable {
    struct Group: Encodable {
        var name: String
        var currency: String
        /// Absent for a member token: the group's money is the admin's.
        var balance: String?
    }

    struct Entry: Encodable {
        var name: String
        var balance: String
        var exhausted: Bool
    }

    var group: Group
    var members: [Entry]
    var profiles: [Entry]
}

struct CallJSON: Encodable {
    var call: RatedCallInfo
    /// Usage reports mark calls a bundle paid for (price 0).
    var bundled: Bool? = nil

    enum Key: String, CodingKey {
        case id, call_id, profile, member, direction, caller, callee, setup_time, answer_time, duration_ms
        case billed_seconds, prefix, destination, rate_per_minute, bundle_seconds, price, disposition, bundled
    }

    // Explicit nulls: an unrated call shows `"price": null`, not a missing key.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(call.id, forKey: .id)
        try c.encode(call.callID, forKey: .call_id)
        try c.encode(call.profile, forKey: .profile)
        try c.encode(call.member, forKey: .member)
        try c.encode(call.direction, forKey: .direction)
        try c.encode(call.caller, forKey: .caller)
        try c.encode(call.callee, forKey: .callee)
        try c.encode(call.setupTime.rfc3339, forKey: .setup_time)
        try c.encode(call.answerTime?.rfc3339, forKey: .answer_time)
        try c.encode(call.durationMs, forKey: .duration_ms)
        try c.encode(call.billedSeconds, forKey: .billed_seconds)
        try c.encode(call.prefix, forKey: .prefix)
        try c.encode(call.destination, forKey: .destination)
        try c.encode(call.ratePerMinute?.description, forKey: .rate_per_minute)
        try c.encode(call.bundleSeconds, forKey: .bundle_seconds)
        try c.encode(call.price?.description, forKey: .price)
        try c.encode(call.disposition, forKey: .disposition)
        try c.encodeIfPresent(bundled, forKey: .bundled)
    }
}

struct CallsJSON: Encodable {
    var calls: [CallJSON]
    var next_cursor: String?

    enum CodingKeys: String, CodingKey { case calls, next_cursor }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(calls, forKey: .calls)
        try c.encode(next_cursor, forKey: .next_cursor)
    }
}

struct IngestJSON: Encodable {
    struct Rejected: Encodable {
        var id: String?
        var error: String
    }

    var accepted: Int
    var duplicates: Int
    var unrated: Int
    var rejected: [Rejected]
}

struct TokenJSON: Encodable {
    var token: String
}
