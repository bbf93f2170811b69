internal import GRDB
public import MeteringCore

extension SQLiteStore {
    /// Rated calls by setup time, a page at a time (keyset paging, so a page
    /// stays stable while new calls arrive).
    public func calls(group: Int64, query: CallQuery) async throws -> (calls: [RatedCallInfo], next: CallCursor?) {
        try await writer.read { db in
            var sql = "\(Self.ratedCallSelect) WHERE c.group_id = ? AND c.setup_time >= ? AND c.setup_time < ?"
            var args: StatementArguments = [group, query.from.microseconds, query.to.microseconds]
            if let profile = query.profile {
                let id = try Self.profileRow(db, group: group, name: profile).id
                sql += " AND c.profile_id = ?"
                args += [id]
            }
            if let member = query.member {
                let id = try Self.memberRow(db, group: group, name: member).id
                sql += " AND c.member_id = ?"
                args += [id]
            }
            if let after = query.after {
                sql += " AND (c.setup_time > ? OR (c.setup_time = ? AND c.seq > ?))"
                args += [after.setupTime.microseconds, after.setupTime.microseconds, after.seq]
            }
            sql += " ORDER BY c.setup_time, c.seq LIMIT ?"
            args += [query.limit + 1]
            var calls = try Row.fetchAll(db, sql: sql, arguments: args).map(Self.ratedCall)
            var next: CallCursor?
            if calls.count > query.limit {
                calls.removeLast()
                if let last = calls.last { next = CallCursor(setupTime: last.setupTime, seq: last.seq) }
            }
            return (calls, next)
        }
    }

    /// The columns `ratedCall` reads, from `rated_call c` with its profile `p` and member `m`.
    static let ratedCallSelect = """
        SELECT c.seq, c.id, c.call_id, p.name, m.name, c.direction, c.caller, c.callee, c.setup_time,
            c.answer_time, c.duration_ms, c.billed_seconds, c.prefix, c.destination, c.rate_per_minute,
            c.bundle_seconds, c.price, c.disposition
        FROM rated_call c JOIN profile p ON p.id = c.profile_id JOIN member m ON m.id = c.member_id
        """

    static func ratedCall(_ row: Row) -> RatedCallInfo {
        RatedCallInfo(
            seq: row[0], id: row[1], callID: row[2], profile: row[3], member: row[4], direction: row[5],
            caller: row[6], callee: row[7], setupTime: Timestamp(microseconds: row[8]),
            answerTime: (row[9] as Int64?).map(Timestamp.init(microseconds:)), durationMs: row[10],
            billedSeconds: row[11], prefix: row[12], destination: row[13],
            ratePerMinute: (row[14] as Int64?).map(Rate.init(micros:)), bundleSeconds: row[15],
            price: (row[16] as Int64?).map(Money.init(units:)), disposition: row[17])
    }
}
