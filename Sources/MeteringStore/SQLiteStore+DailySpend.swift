internal import GRDB
public import MeteringCore

/// Daily spend per SIP Profile, for the dashboard's chart. Read from the
/// `spend_daily` rollup kept at ingest, so it costs the same with ten calls
/// or a million.
extension SQLiteStore {
    /// What each profile's calls cost on each UTC day of `month` (YYYYMM)
    /// that had calls, ordered by profile name then day (`day` is 1–31).
    /// `scope` limits the profiles to one member's.
    public func dailySpend(group: Int64, month: Int, scope: ReportScope) async throws
        -> [(profile: String, day: Int, amount: Money)]
    {
        try await writer.read { db in
            var sql = """
                SELECT p.name, s.day, s.amount FROM spend_daily s
                JOIN profile p ON p.id = s.profile_id
                WHERE p.group_id = ? AND s.day BETWEEN ? AND ?
                """
            var args: StatementArguments = [group, month * 100 + 1, month * 100 + 31]
            if case .member(let id) = scope {
                sql += " AND p.member_id = ?"
                args += [id]
            }
            return try Row.fetchAll(db, sql: sql + " ORDER BY p.name, s.day", arguments: args).map { row in
                let day: Int = row[1]
                let amount: Int64 = row[2]
                return (profile: row[0], day: day % 100, amount: Money(units: amount))
            }
        }
    }
}
