public import CreditLedger
internal import Foundation
internal import Hummingbird
public import MeteringCore
public import MeteringStore
internal import Synchronization

/// Group ids waiting for alert evaluation.
final class GroupSet: Sendable {
    private let ids = Mutex<Set<Int64>>([])
    func insert(_ id: Int64) { ids.withLock { _ = $0.insert(id) } }
    func take() -> Set<Int64> {
        ids.withLock { s in
            defer { s = [] }; return s
        }
    }
}

private struct LimitsJSON: Codable {
    var member: String?
    var profile: String?
    var overdraft: String?
    var daily_cap: String?
    var monthly_cap: String?
    var max_call_seconds: Int64?
    var channels: Int?
    var burst_percent: Int?
    var burst_window_seconds: Int64?
    var allowed_prefixes: [String]?
    var barred_prefixes: [String]?
    var calls_per_second: Int?
    var suspended: Bool?
}

private struct AutoRechargeJSON: Codable {
    var member: String?
    var profile: String?
    var amount: String
    var threshold: String
    var monthly_limit: String
    var recharged_this_month: String?
}

private struct AlertRuleJSON: Codable {
    var type: String
    var member: String?
    var profile: String?
    var amount: String?
    var percent: Int?
    var minutes: Int64?
}

private struct WebhookJSON: Codable {
    var url: String
    var secret: String?
}

private struct AlertJSON: Encodable {
    var id: Int64
    var type: String
    var subject: String
    var message: String
    var created_at: String
    var delivered: Bool?
}

private func money(_ text: String?, _ field: String) throws -> Money? {
    guard let text else { return nil }
    guard let m = Money(decimal: text) else {
        throw APIError.unprocessable("\(field) must be a decimal string with at most 4 decimals")
    }
    return m
}

private func target(_ member: String?, _ profile: String?) -> AllocationTarget? {
    member.map { .member($0) } ?? profile.map { .profile($0) }
}

extension Collector {
    func addEnforcementRoutes(to v1: RouterGroup<CollectorContext>) {
        for kind in ["members", "profiles"] {
            v1.put("limits/\(kind)/:name") { request, context in
                let admin = try context.requireAdmin()
                let name = try pathName(context)
                let b = try await decodeBody(LimitsJSON.self, request, context)
                var l = Limits()
                l.overdraft = try money(b.overdraft, "overdraft") ?? .zero
                l.dailyCap = try money(b.daily_cap, "daily_cap")
                l.monthlyCap = try money(b.monthly_cap, "monthly_cap")
                l.maxCallSeconds = b.max_call_seconds
                l.channels = b.channels
                l.burstPercent = b.burst_percent ?? 0
                l.burstWindowSeconds = b.burst_window_seconds ?? 0
                l.allowedPrefixes = (b.allowed_prefixes ?? []).map { PhoneNumber.normalise($0) }
                l.barredPrefixes = (b.barred_prefixes ?? []).map { PhoneNumber.normalise($0) }
                l.callsPerSecond = b.calls_per_second
                l.suspended = b.suspended ?? false
                guard l.overdraft >= .zero, (l.channels ?? 0) >= 0, (l.maxCallSeconds ?? 1) > 0, (l.callsPerSecond ?? 1) > 0,
                    l.burstPercent >= 0, l.burstWindowSeconds >= 0
                else { throw APIError.unprocessable("limits must not be negative (max_call_seconds and calls_per_second > 0)") }
                try await store.setLimits(
                    group: admin.groupID, target: kind == "members" ? .member(name) : .profile(name), limits: l, now: clock())
                return Response(status: .noContent)
            }
            v1.put("auto-recharge/\(kind)/:name") { request, context in
                let admin = try context.requireAdmin()
                let name = try pathName(context)
                let b = try await decodeBody(AutoRechargeJSON.self, request, context)
                guard let amount = try money(b.amount, "amount"), let threshold = try money(b.threshold, "threshold"),
                    let limit = try money(b.monthly_limit, "monthly_limit")
                else { throw APIError.unprocessable("amount, threshold and monthly_limit are required") }
                try await store.setAutoRecharge(
                    group: admin.groupID,
                    AutoRechargeInfo(
                        target: kind == "members" ? .member(name) : .profile(name), amount: amount, threshold: threshold,
                        monthlyLimit: limit), now: clock())
                dirty.insert(admin.groupID)
                return Response(status: .noContent)
            }
        }
        v1.get("limits") { _, context in
            let admin = try context.requireAdmin()
            let all = try await store.limits(group: admin.groupID).map { info -> LimitsJSON in
                let l = info.limits
                var member: String?
                var profile: String?
                switch info.target {
                case .member(let n): member = n
                case .profile(let n): profile = n
                }
                return LimitsJSON(
                    member: member, profile: profile, overdraft: l.overdraft.description, daily_cap: l.dailyCap?.description,
                    monthly_cap: l.monthlyCap?.description, max_call_seconds: l.maxCallSeconds, channels: l.channels,
                    burst_percent: l.burstPercent, burst_window_seconds: l.burstWindowSeconds,
                    allowed_prefixes: l.allowedPrefixes,
                    barred_prefixes: l.barredPrefixes, calls_per_second: l.callsPerSecond, suspended: l.suspended)
            }
            return try json(["limits": all])
        }
        v1.get("auto-recharge") { _, context in
            let admin = try context.requireAdmin()
            let all = try await store.autoRecharges(group: admin.groupID, now: clock()).map { r -> AutoRechargeJSON in
                var member: String?
                var profile: String?
                switch r.target {
                case .member(let n): member = n
                case .profile(let n): profile = n
                }
                return AutoRechargeJSON(
                    member: member, profile: profile, amount: r.amount.description, threshold: r.threshold.description,
                    monthly_limit: r.monthlyLimit.description, recharged_this_month: r.rechargedThisMonth.description)
            }
            return try json(["auto_recharges": all])
        }
        v1.put("alert-rules") { request, context in
            let admin = try context.requireAdmin()
            let body = try await decodeBody([String: [AlertRuleJSON]].self, request, context)
            var rules: [AlertRuleInfo] = []
            for r in body["rules"] ?? [] {
                guard let type = AlertType(rawValue: r.type) else {
                    throw APIError.unprocessable(
                        "type \(r.type) is not one of \(AlertType.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                rules.append(
                    AlertRuleInfo(
                        target: target(r.member, r.profile),
                        rule: AlertRule(type: type, amount: try money(r.amount, "amount"), percent: r.percent, minutes: r.minutes)
                    ))
            }
            try await store.setAlertRules(group: admin.groupID, rules)
            dirty.insert(admin.groupID)
            return Response(status: .noContent)
        }
        v1.get("alert-rules") { _, context in
            let admin = try context.requireAdmin()
            let rules = try await store.alertRules(group: admin.groupID).map { r -> AlertRuleJSON in
                var member: String?
                var profile: String?
                switch r.target {
                case .member(let n)?: member = n
                case .profile(let n)?: profile = n
                case nil: break
                }
                return AlertRuleJSON(
                    type: r.rule.type.rawValue, member: member, profile: profile, amount: r.rule.amount?.description,
                    percent: r.rule.percent, minutes: r.rule.minutes)
            }
            return try json(["rules": rules])
        }
        v1.put("webhook") { request, context in
            let admin = try context.requireAdmin()
            let b = try await decodeBody(WebhookJSON.self, request, context)
            guard let url = URL(string: b.url), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw APIError.unprocessable("url must be an http or https URL")
            }
            guard let secret = b.secret, secret.utf8.count >= 16 else {
                throw APIError.unprocessable("secret must be at least 16 characters (it signs every delivery)")
            }
            try await store.setWebhook(group: admin.groupID, url: b.url, secret: secret, now: clock())
            return Response(status: .noContent)
        }
        v1.get("webhook") { _, context in
            let admin = try context.requireAdmin()
            return try json(["url": try await store.webhookURL(group: admin.groupID)])
        }
        v1.get("alerts") { request, context in
            let admin = try context.requireAdmin()
            let limit = request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 100
            let alerts = try await store.alerts(group: admin.groupID, limit: min(max(limit, 1), 1000)).map {
                AlertJSON(
                    id: $0.id, type: $0.type.rawValue, subject: $0.subject, message: $0.message, created_at: $0.createdAt.rfc3339,
                    delivered: $0.delivered)
            }
            return try json(["alerts": alerts])
        }
    }

    /// Evaluates the alerts (and auto-recharges) of one group now.
    public func evaluateAlerts(group: Int64, now: Timestamp) async throws -> [AlertInfo] {
        let live = try await authorizer.liveFigures(group: group, now: now)
        let fired = try await store.evaluateAlerts(group: group, live: live, now: now)
        for a in fired { metrics.alertFired(a.type.rawValue) }
        return fired
    }

    /// One round of the alert service: groups whose money moved, or every
    /// group when `all` (time-based rules: time to empty, silent agents).
    public func evaluateAlerts(all: Bool, now: Timestamp) async throws -> [AlertInfo] {
        var groups = dirty.take()
        if all { groups.formUnion(try await store.groupIDs()) }
        var out: [AlertInfo] = []
        for g in groups.sorted() { out += try await evaluateAlerts(group: g, now: now) }
        return out
    }
}
