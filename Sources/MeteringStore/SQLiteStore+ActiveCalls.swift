internal import GRDB
public import MeteringCore

extension SQLiteStore {
    public func recordCallEvents(_ events: [CallEvent], agent: Principal, expiresAfter seconds: Int64, now: Timestamp)
        async throws -> (accepted: Int, rejected: [IngestResult.Rejection])
    {
        guard agent.role == .agent, let agentID = agent.agentID else {
            throw StoreError.invalid("only an agent token can send call events")
        }
        let group = agent.groupID
        defer { changed() }
        return try await writer.write { db in
            var bound: [String: Int64] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT p.name, p.id FROM agent_profile ap JOIN profile p ON p.id = ap.profile_id WHERE ap.agent_id = ?",
                arguments: [agentID])
            {
                bound[row[0]] = row[1]
            }
            var accepted = 0
            var rejected: [IngestResult.Rejection] = []
            // One statement per event: stored unless the call was already rated.
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO active_call (group_id, id, profile_id, agent_id, call_id, callee, answer_time, expires_at)
                    SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
                    WHERE NOT EXISTS (SELECT 1 FROM rated_call WHERE group_id = ?1 AND id = ?2)
                    ON CONFLICT (group_id, id) DO NOTHING
                    """)
            for e in events {
                guard let profile = bound[e.profile] else {
                    rejected.append(.init(id: e.id, error: "this agent's token is not bound to SIP Profile \(e.profile)"))
                    continue
                }
                try insert.execute(arguments: [
                    group, e.id, profile, agentID, e.callID, e.callee, e.answerTime.microseconds,
                    // From when it was answered or heard of, whichever is later.
                    max(e.answerTime, now).adding(seconds: seconds).microseconds,
                ])
                accepted += 1
            }
            try db.execute(sql: "DELETE FROM active_call WHERE expires_at <= ?", arguments: [now.microseconds])
            try db.execute(sql: "UPDATE agent SET last_seen_at = ? WHERE id = ?", arguments: [now.microseconds, agentID])
            return (accepted, rejected)
        }
    }

    public func activeCalls(group: Int64, now: Timestamp) async throws -> [ActiveCall] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, p.name, a.callee, a.answer_time, a.expires_at FROM active_call a
                    JOIN profile p ON p.id = a.profile_id
                    WHERE a.group_id = ? AND a.expires_at > ? ORDER BY p.name, a.answer_time
                    """, arguments: [group, now.microseconds]
            ).map {
                ActiveCall(
                    id: $0[0], profile: $0[1], callee: $0[2], answerTime: Timestamp(microseconds: $0[3]),
                    expiresAt: Timestamp(microseconds: $0[4]))
            }
        }
    }
}
