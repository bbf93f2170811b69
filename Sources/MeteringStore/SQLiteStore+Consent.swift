internal import GRDB
public import MeteringCore

/// A personal member's consent to show call detail to the admins, and the
/// log of every view of a member's call detail.
extension SQLiteStore {
    /// Grants (or withdraws) the member's consent; the history is kept.
    public func recordConsent(group: Int64, memberID: Int64, granted: Bool, now: Timestamp) async throws {
        try await write(conflict: "the consent could not be stored") { db in
            try db.execute(
                sql: "INSERT INTO consent (group_id, member_id, granted, created_at) VALUES (?, ?, ?, ?)",
                arguments: [group, memberID, granted, now.microseconds])
        }
    }

    /// Every grant and withdrawal, oldest first; of one member when given.
    public func consentHistory(group: Int64, memberID: Int64?) async throws -> [ConsentEntry] {
        try await writer.read { db in
            var sql = """
                SELECT m.name, c.granted, c.created_at FROM consent c JOIN member m ON m.id = c.member_id
                WHERE c.group_id = ?
                """
            var args: StatementArguments = [group]
            if let memberID {
                sql += " AND c.member_id = ?"
                args += [memberID]
            }
            return try Row.fetchAll(db, sql: sql + " ORDER BY c.id", arguments: args).map {
                ConsentEntry(member: $0[0], granted: $0[1], at: Timestamp(microseconds: $0[2]))
            }
        }
    }

    /// Notes that `viewer` saw the member's call detail (`report`: what and how).
    public func logDetailAccess(group: Int64, memberID: Int64, viewer: String, report: String, now: Timestamp) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO access_log (group_id, member_id, viewer, report, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [group, memberID, viewer, report, now.microseconds])
        }
    }

    /// Views of call detail, newest first (at most `limit`); of one member when given.
    public func accessLog(group: Int64, memberID: Int64?, limit: Int) async throws -> [AccessLogEntry] {
        try await writer.read { db in
            var sql = """
                SELECT m.name, l.viewer, l.report, l.created_at FROM access_log l JOIN member m ON m.id = l.member_id
                WHERE l.group_id = ?
                """
            var args: StatementArguments = [group]
            if let memberID {
                sql += " AND l.member_id = ?"
                args += [memberID]
            }
            args += [limit]
            return try Row.fetchAll(db, sql: sql + " ORDER BY l.id DESC LIMIT ?", arguments: args).map {
                AccessLogEntry(member: $0[0], viewer: $0[1], report: $0[2], at: Timestamp(microseconds: $0[3]))
            }
        }
    }
}
