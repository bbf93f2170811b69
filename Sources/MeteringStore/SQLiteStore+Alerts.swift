public import CreditLedger
internal import Foundation
internal import GRDB
public import MeteringCore

extension SQLiteStore {
    // MARK: - Rules and webhook

    /// Replaces the group's alert rules (defaults and overrides).
    public func setAlertRules(group: Int64, _ rules: [AlertRuleInfo]) async throws {
        try await write(conflict: "the alert rules could not be stored") { db in
            try db.execute(sql: "DELETE FROM alert_rule WHERE group_id = ?", arguments: [group])
            for r in rules {
                let (member, profile) = try r.target.map { try Self.targetIDs(db, group: group, $0) } ?? (nil, nil)
                try db.execute(
                    sql: """
                        INSERT INTO alert_rule (group_id, member_id, profile_id, type, amount, percent, minutes)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        group, member, profile, r.rule.type.rawValue, r.rule.amount?.units, r.rule.percent, r.rule.minutes,
                    ])
            }
        }
    }

    public func alertRules(group: Int64) async throws -> [AlertRuleInfo] {
        try await writer.read { db in try Self.alertRules(db, group: group).map(\.info) }
    }

    struct RuleRow {
        var info: AlertRuleInfo
        var memberID: Int64?
        var profileID: Int64?
    }

    static func alertRules(_ db: Database, group: Int64) throws -> [RuleRow] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT r.type, r.amount, r.percent, r.minutes, m.name, p.name, r.member_id, r.profile_id FROM alert_rule r
                LEFT JOIN member m ON m.id = r.member_id LEFT JOIN profile p ON p.id = r.profile_id
                WHERE r.group_id = ? ORDER BY r.id
                """, arguments: [group]
        ).compactMap { row in
            guard let type = AlertType(rawValue: row[0]) else { return nil }
            let rule = AlertRule(
                type: type, amount: (row[1] as Int64?).map(Money.init(units:)), percent: row[2], minutes: row[3])
            let target: AllocationTarget? = (row[4] as String?).map { .member($0) } ?? (row[5] as String?).map { .profile($0) }
            return RuleRow(info: AlertRuleInfo(target: target, rule: rule), memberID: row[6], profileID: row[7])
        }
    }

    public func setWebhook(group: Int64, url: String, secret: String, now: Timestamp) async throws {
        try await write(conflict: "the webhook could not be stored") { db in
            try db.execute(
                sql: """
                    INSERT INTO webhook (group_id, url, secret, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (group_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, updated_at = excluded.updated_at
                    """, arguments: [group, url, secret, now.microseconds])
        }
    }

    public func webhookURL(group: Int64) async throws -> String? {
        try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT url FROM webhook WHERE group_id = ?", arguments: [group])
        }
    }

    public func alerts(group: Int64, limit: Int) async throws -> [AlertInfo] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, a.type, a.subject, a.message, a.created_at,
                        (SELECT MAX(o.delivered_at IS NOT NULL) FROM webhook_outbox o WHERE o.alert_id = a.id)
                    FROM alert a WHERE a.group_id = ? ORDER BY a.id DESC LIMIT ?
                    """, arguments: [group, limit]
            ).compactMap { row in
                guard let type = AlertType(rawValue: row[1]) else { return nil }
                return AlertInfo(
                    id: row[0], type: type, subject: row[2], message: row[3], createdAt: Timestamp(microseconds: row[4]),
                    delivered: row[5])
            }
        }
    }

    public func groupIDs() async throws -> [Int64] {
        try await writer.read { db in try Int64.fetchAll(db, sql: #"SELECT id FROM "group" ORDER BY id"#) }
    }

    // MARK: - Evaluation

    /// Runs the group's auto-recharges, then checks every alert rule
    /// against the group, its members, its SIP Profiles and its agents, in
    /// one transaction: alerts that fire are stored with their webhook
    /// deliveries, latches are set and released. Returns the new alerts.
    public func evaluateAlerts(group: Int64, live: LiveFigures, now: Timestamp) async throws -> [AlertInfo] {
        defer { changed() }
        return try await writer.write { db in
            let failedRecharges = try Self.applyAutoRecharges(db, group: group, now: now)
            let rules = try Self.alertRules(db, group: group)
            let defaults = rules.filter { $0.memberID == nil && $0.profileID == nil }.map(\.info.rule)
            guard !rules.isEmpty else { return [] }
            let observations = try Self.observations(db, group: group, live: live, failedRecharges: failedRecharges, now: now)
            var checks: [AlertCheck] = []
            for (o, member, profile) in observations {
                let overrides = rules.filter { r in
                    (member != nil && r.memberID == member) || (profile != nil && r.profileID == profile)
                }.map(\.info.rule)
                checks += Alerts.checks(o, rules: Alerts.effective(defaults: defaults, overrides: overrides), now: now)
            }
            let fired = Set(try String.fetchAll(db, sql: "SELECT key FROM alert_latch WHERE group_id = ?", arguments: [group]))
            let (fire, rearm) = Alerts.latch(checks, fired: fired)
            for key in rearm {
                try db.execute(sql: "DELETE FROM alert_latch WHERE group_id = ? AND key = ?", arguments: [group, key])
            }
            let hook = try Row.fetchOne(db, sql: "SELECT url FROM webhook WHERE group_id = ?", arguments: [group])
            let groupName = try String.fetchOne(db, sql: #"SELECT name FROM "group" WHERE id = ?"#, arguments: [group]) ?? ""
            var out: [AlertInfo] = []
            for check in fire {
                try db.execute(
                    sql: "INSERT INTO alert_latch (group_id, key, fired_at) VALUES (?, ?, ?)",
                    arguments: [group, check.key, now.microseconds])
                try db.execute(
                    sql: "INSERT INTO alert (group_id, type, subject, message, created_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [group, check.type.rawValue, check.subject, check.message, now.microseconds])
                let id = db.lastInsertedRowID
                if let hook {
                    let body = Self.alertJSON(
                        id: id, group: groupName, type: check.type.rawValue, subject: check.subject, message: check.message,
                        at: now)
                    try db.execute(
                        sql: "INSERT INTO webhook_outbox (group_id, alert_id, url, body, next_attempt_at) VALUES (?, ?, ?, ?, ?)",
                        arguments: [group, id, hook[0] as String, Data(body), now.microseconds])
                }
                out.append(
                    AlertInfo(
                        id: id, type: check.type, subject: check.subject, message: check.message, createdAt: now,
                        delivered: hook == nil ? nil : false))
            }
            return out
        }
    }

    static func alertJSON(id: Int64, group: String, type: String, subject: String, message: String, at: Timestamp) -> [UInt8] {
        var w = JSONObjectWriter()
        w.int("id", id)
        w.string("group", group)
        w.string("type", type)
        w.string("subject", subject)
        w.string("message", message)
        w.time("created_at", at)
        return w.finish()
    }

    /// Every subject alert rules look at, with the member or profile id its overrides use.
    static func observations(
        _ db: Database, group: Int64, live: LiveFigures, failedRecharges: [AllocationTarget], now: Timestamp
    ) throws -> [(AlertObservation, member: Int64?, profile: Int64?)] {
        var out: [(AlertObservation, member: Int64?, profile: Int64?)] = []
        let spend = try profileSpend(db, group: group, now: now)
        var limitsByMember: [Int64: Limits] = [:]
        var limitsByProfile: [Int64: Limits] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM limits WHERE group_id = ?", arguments: [group]) {
            if let m: Int64 = row["member_id"] { limitsByMember[m] = limits(row) }
            if let p: Int64 = row["profile_id"] { limitsByProfile[p] = limits(row) }
        }
        func capReached(_ limits: Limits?, today: Money, month: Money) -> String? {
            if let cap = limits?.dailyCap, today >= cap { return "daily" }
            if let cap = limits?.monthlyCap, month >= cap { return "monthly" }
            return nil
        }
        func lastAllocation(member: Int64?, profile: Int64?) throws -> Money? {
            try Int64.fetchOne(
                db,
                sql:
                    "SELECT amount FROM allocation WHERE member_id IS ? AND profile_id IS ? AND amount > 0 ORDER BY id DESC LIMIT 1",
                arguments: [member, profile]
            ).map(Money.init(units:))
        }
        // The group balance and the auto-recharges it must cover.
        let groupBalance = try balance(db, account: try groupAccount(db, group: group))
        var g = AlertObservation(subject: "group")
        g.balance = groupBalance
        let recharges = try autoRecharges(db, group: group, now: now)
        if !recharges.isEmpty {
            g.autoRechargeNeed = recharges.reduce(Money.zero) { $0 + $1.info.amount }
            g.autoRechargeFailed = !failedRecharges.isEmpty
        }
        out.append((g, nil, nil))
        // Members: their account, and the profiles they own.
        let profiles = try Row.fetchAll(
            db, sql: "SELECT id, name, member_id, own_credit, account_id FROM profile WHERE group_id = ?", arguments: [group])
        for row in try Row.fetchAll(
            db,
            sql:
                "SELECT m.id, m.name, a.id, a.balance, a.exhausted FROM member m JOIN account a ON a.id = m.account_id WHERE m.group_id = ?",
            arguments: [group])
        {
            let id: Int64 = row[0]
            var o = AlertObservation(subject: "member:\(row[1] as String)")
            o.balance = Money(units: row[3])
            o.exhausted = row[4]
            o.burnPerMinute = live.burnPerMinute[row[2]] ?? .zero
            o.lastAllocation = try lastAllocation(member: id, profile: nil)
            let owned = profiles.filter { ($0[2] as Int64) == id }.map { $0[0] as Int64 }
            let today = owned.reduce(Money.zero) { $0 + (spend[$1]?.today ?? .zero) }
            let thisMonth = owned.reduce(Money.zero) { $0 + (spend[$1]?.month ?? .zero) }
            o.capReached = capReached(limitsByMember[id], today: today, month: thisMonth)
            if let channels = limitsByMember[id]?.channels {
                o.channels = channels
                o.channelsInUse = owned.reduce(0) { $0 + (live.channelsInUse[$1] ?? 0) }
            }
            out.append((o, id, nil))
        }
        // Profiles: their own credit (once allocated), caps and channels.
        for row in profiles {
            let id: Int64 = row[0]
            var o = AlertObservation(subject: "profile:\(row[1] as String)")
            if row[3] as Bool {
                let account: Int64 = row[4]
                let a = try Row.fetchOne(db, sql: "SELECT balance, exhausted FROM account WHERE id = ?", arguments: [account])
                o.balance = Money(units: a?[0] ?? 0)
                o.exhausted = a?[1] ?? false
                o.burnPerMinute = live.burnPerMinute[account] ?? .zero
                o.lastAllocation = try lastAllocation(member: nil, profile: id)
            }
            o.capReached = capReached(limitsByProfile[id], today: spend[id]?.today ?? .zero, month: spend[id]?.month ?? .zero)
            if let channels = limitsByProfile[id]?.channels {
                o.channels = channels
                o.channelsInUse = live.channelsInUse[id] ?? 0
            }
            out.append((o, nil, id))
        }
        for row in try Row.fetchAll(
            db, sql: "SELECT name, COALESCE(last_seen_at, created_at) FROM agent WHERE group_id = ?", arguments: [group])
        {
            var o = AlertObservation(subject: "agent:\(row[0] as String)")
            o.lastSeen = Timestamp(microseconds: row[1])
            out.append((o, nil, nil))
        }
        return out
    }

    // MARK: - Webhook outbox

    /// Deliveries due at `now`, oldest first.
    public func dueWebhooks(now: Timestamp, limit: Int) async throws -> [WebhookDelivery] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT o.id, o.url, w.secret, o.body, o.attempts FROM webhook_outbox o JOIN webhook w ON w.group_id = o.group_id
                    WHERE o.delivered_at IS NULL AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT ?
                    """, arguments: [now.microseconds, limit]
            ).map { WebhookDelivery(id: $0[0], url: $0[1], secret: $0[2], body: [UInt8]($0[3] as Data), attempts: $0[4]) }
        }
    }

    /// Records a delivery attempt: delivered, or retried at `retryAt`.
    public func webhookAttempted(id: Int64, delivered: Bool, error: String?, retryAt: Timestamp, now: Timestamp) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ?,
                        delivered_at = CASE WHEN ? THEN ? ELSE NULL END, next_attempt_at = ? WHERE id = ?
                    """, arguments: [error, delivered, now.microseconds, retryAt.microseconds, id])
        }
    }
}
