internal import MeteringCore
internal import MeteringReports
internal import MeteringStore

/// JSON of the four reports (amounts as exact decimal strings).
struct SummaryJSON: Encodable {
    struct Profile: Encodable {
        var name: String
        var allocated: String?
        var used: String
        var remaining: String?
        var calls: Int64
        var billed_seconds: Int64
        var bundle_minutes: Int64
        var bundle_seconds_used: Int64
        var channels: Int?
    }

    struct Member: Encodable {
        var name: String
        var kind: String
        var allocated: String
        var used: String
        var remaining: String
        var calls: Int64
        var billed_seconds: Int64
        var profiles: [Profile]
    }

    var group: String
    var currency: String
    var month: String
    var group_balance: String?
    var purchases: String?
    var allocated: String
    var used: String
    var calls: Int64
    var members: [Member]

    init(_ r: SummaryReport, scope: ReportScope) {
        group = r.group
        currency = r.currency
        month = ReportTables.monthText(r.month)
        // A member token sees its own lines, not the group's money.
        group_balance = scope == .group ? r.groupBalance.description : nil
        purchases = scope == .group ? r.purchases.description : nil
        allocated = r.allocated.description
        used = r.used.description
        calls = r.calls
        members = r.members.map { m in
            Member(
                name: m.name, kind: m.kind.rawValue, allocated: m.allocated.description, used: m.used.description,
                remaining: m.remaining.description, calls: m.calls, billed_seconds: m.billedSeconds,
                profiles: m.profiles.map { p in
                    Profile(
                        name: p.name, allocated: p.allocated?.description, used: p.used.description,
                        remaining: p.remaining?.description, calls: p.calls, billed_seconds: p.billedSeconds,
                        bundle_minutes: p.bundleMinutes, bundle_seconds_used: p.bundleSecondsUsed, channels: p.channels)
                })
        }
    }
}

struct PurchasesReportJSON: Encodable {
    struct Line: Encodable {
        var id: Int64
        var created_at: String
        var reference: String
        var amount: String
    }

    var group: String
    var currency: String
    var month: String
    var purchases: [Line]
    var total: String

    init(_ r: PurchasesReport) {
        group = r.group
        currency = r.currency
        month = ReportTables.monthText(r.month)
        purchases = r.purchases.map {
            Line(id: $0.id, created_at: $0.createdAt.rfc3339, reference: $0.reference, amount: $0.amount.description)
        }
        total = r.total.description
    }
}

struct AllocationsReportJSON: Encodable {
    struct Credit: Encodable {
        var created_at: String
        var member: String
        var profile: String?
        var kind: String
        var amount: String
    }

    struct Bundle: Encodable {
        var member: String
        var profile: String
        var name: String
        var minutes: Int64
        var prefixes: [String]
        var created_at: String
    }

    struct Channels: Encodable {
        var member: String
        var profile: String?
        var channels: Int
        var burst_percent: Int
    }

    var group: String
    var currency: String
    var month: String
    var credit: [Credit]
    var bundles: [Bundle]
    var channels: [Channels]
    var totals: [String: String]

    init(_ r: AllocationsReport) {
        group = r.group
        currency = r.currency
        month = ReportTables.monthText(r.month)
        credit = r.credit.map {
            Credit(
                created_at: $0.createdAt.rfc3339, member: $0.member, profile: $0.profile, kind: $0.kind.rawValue,
                amount: $0.amount.description)
        }
        bundles = r.bundles.map {
            Bundle(
                member: $0.member, profile: $0.profile, name: $0.name, minutes: $0.minutes, prefixes: $0.prefixes,
                created_at: $0.createdAt.rfc3339)
        }
        channels = r.channels.map {
            Channels(member: $0.member, profile: $0.profile, channels: $0.channels, burst_percent: $0.burstPercent)
        }
        totals = [
            "allocation": r.total(.allocation).description, "take_back": r.total(.takeBack).description,
            "auto_recharge": r.total(.autoRecharge).description, "net": r.net.description,
        ]
    }
}

struct UsageJSON: Encodable {
    struct Totals: Encodable {
        var calls: Int64
        var billed_seconds: Int64
        var cost: String
    }

    var group: String
    var currency: String
    var month: String
    var member: String
    var profile: String?
    var calls: [CallJSON]
    var totals: Totals
    var next_cursor: String?

    enum CodingKeys: String, CodingKey { case group, currency, month, member, profile, calls, totals, next_cursor }

    init(_ r: UsageReport, mask: Bool) {
        group = r.group
        currency = r.currency
        month = ReportTables.monthText(r.month)
        member = r.member
        profile = r.profile
        calls = r.calls.map { c in
            var c = c
            if mask { c.callee = ReportTables.maskNumber(c.callee) }
            return CallJSON(call: c, bundled: c.bundleSeconds > 0 && (c.price ?? .zero) == .zero)
        }
        totals = Totals(calls: r.totals.calls, billed_seconds: r.totals.billedSeconds, cost: r.totals.cost.description)
        next_cursor = r.next?.text
    }

    // Explicit nulls for profile and next_cursor.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(group, forKey: .group)
        try c.encode(currency, forKey: .currency)
        try c.encode(month, forKey: .month)
        try c.encode(member, forKey: .member)
        try c.encode(profile, forKey: .profile)
        try c.encode(calls, forKey: .calls)
        try c.encode(totals, forKey: .totals)
        try c.encode(next_cursor, forKey: .next_cursor)
    }
}

struct ConsentJSON: Codable {
    var granted: Bool
}

struct ConsentHistoryJSON: Encodable {
    struct Entry: Encodable {
        var member: String
        var granted: Bool
        var at: String
    }

    var consent: [Entry]
}

struct AccessLogJSON: Encodable {
    struct Entry: Encodable {
        var member: String
        var viewer: String
        var report: String
        var at: String
    }

    var access_log: [Entry]
}
