internal import GRDB
public import MeteringCore

extension SQLiteStore {
    public func allocationsReport(group: Int64, month: Int, scope: ReportScope) async throws -> AllocationsReport {
        try await writer.read { db in
            let info = try Self.groupInfo(db, group)
            let end = Timestamp.monthEnd(month).microseconds
            var memberFilter = ""
            var args: StatementArguments = [group, Timestamp.monthStart(month).microseconds, end]
            if case .member(let id) = scope {
                memberFilter = " AND COALESCE(a.member_id, p.member_id) = ?"
                args += [id]
            }
            let credit = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.created_at, m.name, p.name, a.amount, a.auto FROM allocation a
                    LEFT JOIN profile p ON p.id = a.profile_id
                    JOIN member m ON m.id = COALESCE(a.member_id, p.member_id)
                    WHERE a.group_id = ? AND a.created_at >= ? AND a.created_at < ?\(memberFilter)
                    ORDER BY a.created_at, a.id
                    """, arguments: args
            ).map { row -> AllocationsReport.Credit in
                let amount = Money(units: row[3])
                let kind: AllocationsReport.Kind = row[4] ? .autoRecharge : amount < .zero ? .takeBack : .allocation
                return .init(
                    createdAt: Timestamp(microseconds: row[0]), member: row[1], profile: row[2], kind: kind, amount: amount)
            }
            var scoped: StatementArguments = [group]
            var bundleFilter = ""
            var limitsFilter = ""
            if case .member(let id) = scope {
                bundleFilter = " AND p.member_id = ?"
                limitsFilter = " AND COALESCE(l.member_id, p.member_id) = ?"
                scoped += [id]
            }
            let bundles = try Row.fetchAll(
                db,
                sql: """
                    SELECT m.name, p.name, b.name, b.minutes, b.prefixes, b.created_at FROM bundle b
                    JOIN profile p ON p.id = b.profile_id JOIN member m ON m.id = p.member_id
                    WHERE p.group_id = ?\(bundleFilter) AND b.created_at < \(end) ORDER BY m.name, p.name, b.name
                    """, arguments: scoped
            ).map { row -> AllocationsReport.Bundle in
                let prefixes: String = row[4]
                return .init(
                    member: row[0], profile: row[1], name: row[2], minutes: row[3],
                    prefixes: prefixes.split(separator: ",").map(String.init), createdAt: Timestamp(microseconds: row[5]))
            }
            let channels = try Row.fetchAll(
                db,
                sql: """
                    SELECT m.name, p.name, l.channels, l.burst_percent FROM limits l
                    LEFT JOIN profile p ON p.id = l.profile_id
                    JOIN member m ON m.id = COALESCE(l.member_id, p.member_id)
                    WHERE l.group_id = ?\(limitsFilter) AND l.channels IS NOT NULL ORDER BY m.name, p.name
                    """, arguments: scoped
            ).map { AllocationsReport.Channels(member: $0[0], profile: $0[1], channels: $0[2], burstPercent: $0[3]) }
            return AllocationsReport(
                group: info.name, currency: info.currency, month: month, credit: credit, bundles: bundles, channels: channels)
        }
    }

    /// Whose call detail `member` or `profile` is (a profile's owner), with
    /// that member's consent as it stands.
    public func detailSubject(group: Int64, member: String?, profile: String?) async throws -> DetailSubject {
        try await writer.read { db in
            let memberID: Int64
            if let profile {
                memberID = try Self.id(
                    db, "SELECT member_id FROM profile WHERE group_id = ? AND name = ?", [group, profile],
                    missing: "no SIP Profile named \(profile)")
            } else if let member {
                memberID = try Self.memberRow(db, group: group, name: member).id
            } else {
                throw StoreError.invalid("a Usage report is for one member or one SIP Profile: give member or profile")
            }
            guard let row = try Row.fetchOne(db, sql: "SELECT name, kind FROM member WHERE id = ?", arguments: [memberID])
            else { throw StoreError.notFound("no such member") }
            let consented = try Bool.fetchOne(
                db, sql: "SELECT granted FROM consent WHERE member_id = ? ORDER BY id DESC LIMIT 1", arguments: [memberID])
            return DetailSubject(
                memberID: memberID, member: row[0], kind: MemberKind(rawValue: row[1]) ?? .business, consented: consented)
        }
    }

    /// The calls of one member or SIP Profile in a month, filtered, a page at
    /// a time (keyset on setup time), with the totals of every matching call.
    public func usageReport(group: Int64, query q: UsageQuery) async throws -> UsageReport {
        try await writer.read { db in
            let info = try Self.groupInfo(db, group)
            var profileIDs: [Int64]
            let member: String
            if let profile = q.profile {
                let row = try Row.fetchOne(
                    db,
                    sql:
                        "SELECT p.id, m.name FROM profile p JOIN member m ON m.id = p.member_id WHERE p.group_id = ? AND p.name = ?",
                    arguments: [group, profile])
                guard let row else { throw StoreError.notFound("no SIP Profile named \(profile)") }
                profileIDs = [row[0]]
                member = row[1]
            } else if let name = q.member {
                let id = try Self.memberRow(db, group: group, name: name).id
                profileIDs = try Int64.fetchAll(db, sql: "SELECT id FROM profile WHERE member_id = ?", arguments: [id])
                member = name
            } else {
                throw StoreError.invalid("a Usage report is for one member or one SIP Profile: give member or profile")
            }
            let days = q.days ?? 1...31
            let from = Timestamp.monthStart(q.month).adding(seconds: Int64(days.lowerBound - 1) * 86_400)
            let to = min(Timestamp.monthStart(q.month).adding(seconds: Int64(days.upperBound) * 86_400), .monthEnd(q.month))
            let ids = profileIDs.isEmpty ? "NULL" : profileIDs.map(String.init).joined(separator: ",")
            var filter = "c.profile_id IN (\(ids)) AND c.setup_time >= ? AND c.setup_time < ?"
            var args: StatementArguments = [from.microseconds, to.microseconds]
            if let d = q.disposition {
                filter += " AND c.disposition = ?"
                args += [d]
            }
            if let d = q.direction {
                filter += " AND c.direction = ?"
                args += [d]
            }
            if let digits = q.destinationPrefix {
                // The dialled number as recorded may carry + or 00 before the country code.
                filter += " AND (c.callee LIKE ? OR c.callee LIKE ? OR c.callee LIKE ?)"
                args += [digits + "%", "+" + digits + "%", "00" + digits + "%"]
            }
            if let m = q.minimumCost {
                filter += " AND c.price >= ?"
                args += [m.units]
            }
            let totals: UsageReport.Totals
            if q.isUnfiltered {
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT COALESCE(SUM(calls), 0), COALESCE(SUM(seconds), 0), COALESCE(SUM(amount), 0) FROM spend_daily
                        WHERE profile_id IN (\(ids)) AND day BETWEEN ? AND ?
                        """, arguments: [from.dayKey, to.adding(microseconds: -1).dayKey])
                totals = .init(calls: row?[0] ?? 0, billedSeconds: row?[1] ?? 0, cost: Money(units: row?[2] ?? 0))
            } else {
                let row = try Row.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*), COALESCE(SUM(billed_seconds), 0), COALESCE(SUM(price), 0) FROM rated_call c WHERE \(filter)",
                    arguments: args)
                totals = .init(calls: row?[0] ?? 0, billedSeconds: row?[1] ?? 0, cost: Money(units: row?[2] ?? 0))
            }
            var page = filter
            var pageArgs = args
            if let after = q.after {
                page += " AND (c.setup_time > ? OR (c.setup_time = ? AND c.seq > ?))"
                pageArgs += [after.setupTime.microseconds, after.setupTime.microseconds, after.seq]
            }
            var sql = "\(Self.ratedCallSelect) WHERE \(page) ORDER BY c.setup_time, c.seq"
            if let limit = q.limit {
                sql += " LIMIT ?"
                pageArgs += [limit + 1]
            }
            var calls = try Row.fetchAll(db, sql: sql, arguments: pageArgs).map(Self.ratedCall)
            var next: CallCursor?
            if let limit = q.limit, calls.count > limit {
                calls.removeLast()
                if let last = calls.last { next = CallCursor(setupTime: last.setupTime, seq: last.seq) }
            }
            return UsageReport(
                group: info.name, currency: info.currency, month: q.month, member: member, profile: q.profile, calls: calls,
                totals: totals, next: next)
        }
    }
}
