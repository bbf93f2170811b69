public import CreditLedger
internal import GRDB
public import MeteringCore
internal import RatingEngine

extension SQLiteStore {
    // MARK: - Limits

    public func setLimits(group: Int64, target: AllocationTarget, limits: Limits, now: Timestamp) async throws {
        try await write(conflict: "the limits could not be stored") { db in
            let (member, profile) = try Self.targetIDs(db, group: group, target)
            try db.execute(
                sql: "DELETE FROM limits WHERE member_id IS ? AND profile_id IS ?", arguments: [member, profile])
            try db.execute(
                sql: """
                    INSERT INTO limits (group_id, member_id, profile_id, overdraft, daily_cap, monthly_cap, max_call_seconds,
                        channels, burst_percent, burst_window_seconds, allowed_prefixes, barred_prefixes, calls_per_second,
                        suspended, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    group, member, profile, limits.overdraft.units, limits.dailyCap?.units, limits.monthlyCap?.units,
                    limits.maxCallSeconds, limits.channels, limits.burstPercent, limits.burstWindowSeconds,
                    limits.allowedPrefixes.joined(separator: ","), limits.barredPrefixes.joined(separator: ","),
                    limits.callsPerSecond, limits.suspended, now.microseconds,
                ])
        }
        changed()
    }

    public func limits(group: Int64) async throws -> [LimitsInfo] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT m.name, p.name, l.* FROM limits l LEFT JOIN member m ON m.id = l.member_id
                    LEFT JOIN profile p ON p.id = l.profile_id WHERE l.group_id = ? ORDER BY m.name, p.name
                    """, arguments: [group]
            ).map { row in
                let target: AllocationTarget = (row[0] as String?).map { .member($0) } ?? .profile(row[1] ?? "")
                return LimitsInfo(target: target, limits: Self.limits(row))
            }
        }
    }

    static func limits(_ row: Row) -> Limits {
        var l = Limits()
        l.overdraft = Money(units: row["overdraft"])
        l.dailyCap = (row["daily_cap"] as Int64?).map(Money.init(units:))
        l.monthlyCap = (row["monthly_cap"] as Int64?).map(Money.init(units:))
        l.maxCallSeconds = row["max_call_seconds"]
        l.channels = row["channels"]
        l.burstPercent = row["burst_percent"]
        l.burstWindowSeconds = row["burst_window_seconds"]
        l.allowedPrefixes = (row["allowed_prefixes"] as String).split(separator: ",").map(String.init)
        l.barredPrefixes = (row["barred_prefixes"] as String).split(separator: ",").map(String.init)
        l.callsPerSecond = row["calls_per_second"]
        l.suspended = row["suspended"]
        return l
    }

    static func targetIDs(_ db: Database, group: Int64, _ target: AllocationTarget) throws -> (member: Int64?, profile: Int64?) {
        switch target {
        case .member(let name): (try memberRow(db, group: group, name: name).id, nil)
        case .profile(let name): (nil, try profileRow(db, group: group, name: name).id)
        }
    }

    // MARK: - Auto-recharge

    public func setAutoRecharge(group: Int64, _ config: AutoRechargeInfo, now: Timestamp) async throws {
        guard config.amount > .zero, config.monthlyLimit > .zero else {
            throw StoreError.invalid("amount and monthly_limit must be greater than 0")
        }
        try await write(conflict: "the auto-recharge could not be stored") { db in
            let (member, profile) = try Self.targetIDs(db, group: group, config.target)
            try db.execute(
                sql: "DELETE FROM auto_recharge WHERE member_id IS ? AND profile_id IS ?", arguments: [member, profile])
            try db.execute(
                sql: """
                    INSERT INTO auto_recharge (group_id, member_id, profile_id, amount, threshold, monthly_limit, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    group, member, profile, config.amount.units, config.threshold.units, config.monthlyLimit.units,
                    now.microseconds,
                ])
        }
    }

    public func autoRecharges(group: Int64, now: Timestamp) async throws -> [AutoRechargeInfo] {
        try await writer.read { db in try Self.autoRecharges(db, group: group, now: now).map(\.info) }
    }

    struct AutoRechargeRow {
        var info: AutoRechargeInfo
        var memberID: Int64?
        var profileID: Int64?
        var account: Int64
    }

    static func autoRecharges(_ db: Database, group: Int64, now: Timestamp) throws -> [AutoRechargeRow] {
        let month = now.monthKey
        return try Row.fetchAll(
            db,
            sql: """
                SELECT m.name, p.name, r.amount, r.threshold, r.monthly_limit, r.member_id, r.profile_id,
                    COALESCE(m.account_id, p.account_id),
                    (SELECT COALESCE(SUM(a.amount), 0) FROM allocation a WHERE a.auto = 1
                        AND a.member_id IS r.member_id AND a.profile_id IS r.profile_id AND a.created_at >= ? AND a.created_at < ?)
                FROM auto_recharge r LEFT JOIN member m ON m.id = r.member_id LEFT JOIN profile p ON p.id = r.profile_id
                WHERE r.group_id = ? ORDER BY m.name, p.name
                """,
            arguments: [Timestamp.monthStart(month).microseconds, Timestamp.monthEnd(month).microseconds, group]
        ).map { row in
            let target: AllocationTarget = (row[0] as String?).map { .member($0) } ?? .profile(row[1] ?? "")
            var info = AutoRechargeInfo(
                target: target, amount: Money(units: row[2]), threshold: Money(units: row[3]), monthlyLimit: Money(units: row[4]))
            info.rechargedThisMonth = Money(units: row[8])
            return AutoRechargeRow(info: info, memberID: row[5], profileID: row[6], account: row[7])
        }
    }

    /// Recharges every configured account below its threshold, from the
    /// group balance, as allocations marked `auto` (two ledger entries
    /// each). Returns the targets it could not recharge.
    static func applyAutoRecharges(_ db: Database, group: Int64, now: Timestamp) throws -> [AllocationTarget] {
        var failed: [AllocationTarget] = []
        let groupAccount = try groupAccount(db, group: group)
        for r in try autoRecharges(db, group: group, now: now) {
            guard try balance(db, account: r.account) < r.info.threshold else { continue }
            guard r.info.rechargedThisMonth + r.info.amount <= r.info.monthlyLimit,
                try balance(db, account: groupAccount) >= r.info.amount
            else {
                failed.append(r.info.target)
                continue
            }
            try db.execute(
                sql: """
                    INSERT INTO allocation (group_id, member_id, profile_id, amount, created_at, auto) VALUES (?, ?, ?, ?, ?, 1)
                    """, arguments: [group, r.memberID, r.profileID, r.info.amount.units, now.microseconds])
            let id = db.lastInsertedRowID
            try post(
                db, group: group, account: groupAccount, kind: "allocation", amount: -r.info.amount.units, allocation: id,
                now: now)
            try post(
                db, group: group, account: r.account, kind: "allocation", amount: r.info.amount.units, allocation: id, now: now)
            if let profile = r.profileID {
                try db.execute(sql: "UPDATE profile SET own_credit = 1 WHERE id = ?", arguments: [profile])
            }
        }
        return failed
    }

    // MARK: - Authorization snapshot

    public func enforcementSnapshot(group: Int64, now: Timestamp) async throws -> EnforcementSnapshot {
        let version = enforcementVersion
        return try await writer.read { db in
            var memberLimits: [Int64: Limits] = [:]
            var profileLimits: [Int64: Limits] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM limits WHERE group_id = ?", arguments: [group]) {
                if let m: Int64 = row["member_id"] { memberLimits[m] = Self.limits(row) }
                if let p: Int64 = row["profile_id"] { profileLimits[p] = Self.limits(row) }
            }
            var balances: [Int64: Money] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, balance FROM account WHERE group_id = ?", arguments: [group]) {
                balances[row[0]] = Money(units: row[1])
            }
            let month = now.monthKey
            let spent = try Self.profileSpend(db, group: group, now: now)
            var active: [Int64: [String: String]] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT profile_id, call_id, callee FROM active_call WHERE group_id = ? AND expires_at > ?",
                arguments: [group, now.microseconds])
            {
                active[row[0], default: [:]][row[1]] = row[2]
            }
            var profiles: [String: EnforcementSnapshot.Profile] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT p.id, p.name, p.member_id, p.own_credit, p.account_id, m.account_id, d.id, d.version
                    FROM profile p JOIN member m ON m.id = p.member_id JOIN rate_deck d ON d.id = p.rate_deck_id
                    WHERE p.group_id = ?
                    """, arguments: [group])
            {
                let id: Int64 = row[0]
                let memberID: Int64 = row[2]
                let ownCredit: Bool = row[3]
                let limits = profileLimits[id] ?? Limits()
                profiles[row[1]] = EnforcementSnapshot.Profile(
                    id: id, name: row[1], memberID: memberID, account: ownCredit ? row[4] : row[5],
                    overdraft: ownCredit ? limits.overdraft : (memberLimits[memberID] ?? Limits()).overdraft,
                    deckID: row[6], deckVersion: row[7], limits: limits, spentToday: spent[id]?.today ?? .zero,
                    spentMonth: spent[id]?.month ?? .zero, bundles: try Self.bundleAllowances(db, profile: id, month: month))
            }
            var agentProfiles: [Int64: Set<String>] = [:]
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT ap.agent_id, p.name FROM agent_profile ap JOIN profile p ON p.id = ap.profile_id WHERE p.group_id = ?",
                arguments: [group])
            {
                agentProfiles[row[0], default: []].insert(row[1])
            }
            return EnforcementSnapshot(
                version: version, loadedAt: now, profiles: profiles, memberLimits: memberLimits, balances: balances,
                activeCalls: active, agentProfiles: agentProfiles)
        }
    }

    /// What each profile of the group spent today and this month (UTC), from the daily rollup.
    static func profileSpend(_ db: Database, group: Int64, now: Timestamp) throws -> [Int64: (today: Money, month: Money)] {
        let month = now.monthKey
        var spent: [Int64: (today: Money, month: Money)] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT s.profile_id, SUM(CASE WHEN s.day = ? THEN s.amount ELSE 0 END), SUM(s.amount)
                FROM spend_daily s JOIN profile p ON p.id = s.profile_id
                WHERE p.group_id = ? AND s.day >= ? AND s.day < ? GROUP BY s.profile_id
                """, arguments: [now.dayKey, group, month * 100, month * 100 + 100])
        {
            spent[row[0]] = (Money(units: row[1]), Money(units: row[2]))
        }
        return spent
    }

    /// The canonical CSV of a rate deck (for the deck cache).
    public func rateDeckCSV(id: Int64) async throws -> String {
        try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT csv FROM rate_deck WHERE id = ?", arguments: [id]) ?? ""
        }
    }
}
