internal import GRDB
public import MeteringCore

/// The monthly reports. Figures come from the rollups kept at ingest
/// (`spend_daily`, `bundle_usage`) and from the money tables, so a Summary
/// costs the same with ten calls or a million.
extension SQLiteStore {
    public func summaryReport(group: Int64, month: Int, scope: ReportScope) async throws -> SummaryReport {
        try await writer.read { db in
            let info = try Self.groupInfo(db, group)
            let (from, to) = (Timestamp.monthStart(month).microseconds, Timestamp.monthEnd(month).microseconds)
            var spend: [Int64: (calls: Int64, seconds: Int64, amount: Int64)] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT s.profile_id, SUM(s.calls), SUM(s.seconds), SUM(s.amount) FROM spend_daily s
                    JOIN profile p ON p.id = s.profile_id
                    WHERE p.group_id = ? AND s.day BETWEEN ? AND ? GROUP BY s.profile_id
                    """, arguments: [group, month * 100 + 1, month * 100 + 31])
            {
                spend[row[0]] = (row[1], row[2], row[3])
            }
            var allocatedToMember: [Int64: Int64] = [:]
            var allocatedToProfile: [Int64: Int64] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT member_id, profile_id, SUM(amount) FROM allocation
                    WHERE group_id = ? AND created_at >= ? AND created_at < ? GROUP BY 1, 2
                    """, arguments: [group, from, to])
            {
                if let m: Int64 = row[0] { allocatedToMember[m, default: 0] += row[2] }
                if let p: Int64 = row[1] { allocatedToProfile[p, default: 0] += row[2] }
            }
            var bundles: [Int64: (minutes: Int64, used: Int64)] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT b.profile_id, SUM(b.minutes), SUM(COALESCE(u.seconds_used, 0)) FROM bundle b
                    JOIN profile p ON p.id = b.profile_id
                    LEFT JOIN bundle_usage u ON u.bundle_id = b.id AND u.month = ?
                    WHERE p.group_id = ? GROUP BY b.profile_id
                    """, arguments: [month, group])
            {
                bundles[row[0]] = (row[1], row[2])
            }
            var channels: [Int64: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT profile_id, channels FROM limits WHERE group_id = ? AND profile_id IS NOT NULL",
                arguments: [group])
            {
                if let c: Int = row[1] { channels[row[0]] = c }
            }
            var profilesOf: [Int64: [SummaryReport.ProfileLine]] = [:]
            var ownBalances: [Int64: Int64] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT p.id, p.name, p.member_id, p.own_credit, a.balance FROM profile p
                    JOIN account a ON a.id = p.account_id WHERE p.group_id = ? ORDER BY p.name
                    """, arguments: [group])
            {
                let id: Int64 = row[0]
                let own: Bool = row[3]
                let s = spend[id] ?? (0, 0, 0)
                let b = bundles[id] ?? (0, 0)
                if own { ownBalances[row[2], default: 0] += row[4] }
                profilesOf[row[2], default: []].append(
                    .init(
                        name: row[1], allocated: own ? Money(units: allocatedToProfile[id] ?? 0) : nil,
                        remaining: own ? Money(units: row[4]) : nil, used: Money(units: s.amount), calls: s.calls,
                        billedSeconds: s.seconds, bundleMinutes: b.minutes, bundleSecondsUsed: b.used, channels: channels[id]))
                allocatedToMember[row[2], default: 0] += own ? 0 : allocatedToProfile[id] ?? 0
            }
            var sql = """
                SELECT m.id, m.name, m.kind, a.balance FROM member m JOIN account a ON a.id = m.account_id
                WHERE m.group_id = ?
                """
            var args: StatementArguments = [group]
            if case .member(let id) = scope {
                sql += " AND m.id = ?"
                args += [id]
            }
            var members: [SummaryReport.MemberLine] = []
            for row in try Row.fetchAll(db, sql: sql + " ORDER BY m.name", arguments: args) {
                let id: Int64 = row[0]
                let profiles = profilesOf[id] ?? []
                let ownAllocated = profiles.compactMap(\.allocated).reduce(Money.zero, +)
                members.append(
                    .init(
                        name: row[1], kind: MemberKind(rawValue: row[2]) ?? .business,
                        allocated: Money(units: allocatedToMember[id] ?? 0) + ownAllocated,
                        used: profiles.reduce(.zero) { $0 + $1.used }, remaining: Money(units: row[3] + (ownBalances[id] ?? 0)),
                        calls: profiles.reduce(0) { $0 + $1.calls }, billedSeconds: profiles.reduce(0) { $0 + $1.billedSeconds },
                        profiles: profiles))
            }
            let isGroup = scope == .group
            let purchases =
                isGroup
                ? try Int64.fetchOne(
                    db,
                    sql:
                        "SELECT COALESCE(SUM(amount), 0) FROM purchase WHERE group_id = ? AND created_at >= ? AND created_at < ?",
                    arguments: [group, from, to]) ?? 0 : 0
            let groupBalance = isGroup ? try Self.balance(db, account: try Self.groupAccount(db, group: group)).units : 0
            return SummaryReport(
                group: info.name, currency: info.currency, month: month, groupBalance: Money(units: groupBalance),
                purchases: Money(units: purchases), members: members)
        }
    }

    public func purchasesReport(group: Int64, month: Int) async throws -> PurchasesReport {
        try await writer.read { db in
            let info = try Self.groupInfo(db, group)
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, amount, reference, created_at FROM purchase
                    WHERE group_id = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, id
                    """,
                arguments: [group, Timestamp.monthStart(month).microseconds, Timestamp.monthEnd(month).microseconds])
            return PurchasesReport(
                group: info.name, currency: info.currency, month: month,
                purchases: rows.map {
                    PurchaseInfo(
                        id: $0[0], amount: Money(units: $0[1]), reference: $0[2], createdAt: Timestamp(microseconds: $0[3]))
                })
        }
    }

    static func groupInfo(_ db: Database, _ group: Int64) throws -> GroupInfo {
        guard let row = try Row.fetchOne(db, sql: #"SELECT name, currency FROM "group" WHERE id = ?"#, arguments: [group])
        else { throw StoreError.notFound("no such group") }
        return GroupInfo(id: group, name: row[0], currency: row[1])
    }
}
