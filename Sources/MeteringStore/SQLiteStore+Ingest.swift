internal import GRDB
public import MeteringCore
internal import RatingEngine
internal import SQLiteSupport

extension SQLiteStore {
    /// A SIP Profile an agent may send records for, with what rating needs.
    private struct BoundProfile {
        var id: Int64
        var memberID: Int64
        var account: Int64
        var deckID: Int64
        var deckVersion: Int
    }

    private struct BundleKey: Hashable {
        var profile: Int64
        var month: Int
    }

    private struct SpendKey: Hashable {
        var profile: Int64
        var day: Int
    }

    /// Rates and charges a batch. Batches that arrive while another commits
    /// are committed together (group commit: one fsync for several
    /// requests), each in its own savepoint so one failing batch fails alone.
    /// Nobody is answered before the transaction holding their batch commits.
    public func ingest(records: [CallRecord], agent: Principal, decks: RateDeckCache, now: Timestamp) async throws -> IngestResult
    {
        guard agent.role == .agent, agent.agentID != nil else {
            throw StoreError.invalid("only an agent token can send call records")
        }
        defer { changed() }
        return try await ingestQueue.submit(IngestQueue.Job(records: records, agent: agent, now: now)) { jobs in
            try await self.writer.writeWithoutTransaction { db in
                // Every row ingest inserts refers to rows it read in the same
                // transaction (the agent's bound profiles, their member,
                // account and bundles; the call it just stored), so SQLite's
                // per-row foreign key lookups (nine per call) are skipped
                // here, and only here: the pragma can change only outside a
                // transaction, and is back on before the next write.
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                defer { try? db.execute(sql: "PRAGMA foreign_keys = ON") }
                var results: [Result<IngestResult, any Error>] = []
                try db.inTransaction {
                    results = jobs.map { job in
                        Result {
                            var result = IngestResult()
                            try db.inSavepoint {
                                result = try Self.ingestBatch(db, job.records, agent: job.agent, decks: decks, now: job.now)
                                return .commit
                            }
                            return result
                        }
                    }
                    return .commit
                }
                return results
            }
        }
    }

    /// One batch inside the caller's transaction: each record is rated and
    /// stored unless its id is already there (a duplicate), then charged;
    /// balances and bundle usage move once per batch, so a batch is all or
    /// nothing and a retried batch finds its records already there.
    static func ingestBatch(
        _ db: Database, _ records: [CallRecord], agent: Principal, decks: RateDeckCache, now: Timestamp
    ) throws -> IngestResult {
        guard let agentID = agent.agentID else { throw StoreError.invalid("only an agent token can send call records") }
        let group = agent.groupID
        let bound = try Self.boundProfiles(db, agent: agentID)
        // The calls in progress (live call events): a few per channel in
        // use, read once per batch, so that only a record that supersedes
        // one pays for a DELETE.
        let activeIDs = try Set(
            String.fetchAll(db.cachedStatement(sql: "SELECT id FROM active_call WHERE group_id = ?"), arguments: [group]))
        var result = IngestResult()
        var bundles: [BundleKey: (original: [BundleAllowance], current: [BundleAllowance])] = [:]
        var deltas: [Int64: Int64] = [:]
        var spend: [SpendKey: (calls: Int64, seconds: Int64, amount: Int64)] = [:]
        let insertCall = try db.cachedStatement(
            sql: """
                INSERT INTO rated_call (id, group_id, profile_id, member_id, account_id, agent_id, call_id, direction,
                    caller, callee, setup_time, answer_time, end_time, duration_ms, disposition, final_status, flags,
                    billed_seconds, prefix, destination, rate_per_minute, connect_fee, bundle_id, bundle_seconds, price,
                    received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (group_id, id) DO NOTHING
                """)
        let insertLedger = try db.cachedStatement(
            sql: """
                INSERT INTO ledger (group_id, account_id, kind, amount, call_seq, created_at)
                VALUES (?, ?, 'call_charge', ?, ?, ?)
                """)
        for record in records {
            if let problem = RecordValidation.problem(with: record, now: now) {
                result.rejected.append(.init(id: record.id, error: problem))
                continue
            }
            guard let name = record.profile else {
                result.rejected.append(.init(id: record.id, error: "profile is null: the call matched no SIP Profile"))
                continue
            }
            guard let profile = bound[name] else {
                result.rejected.append(.init(id: record.id, error: "this agent's token is not bound to SIP Profile \(name)"))
                continue
            }
            let deck = try? decks.deck(id: profile.deckID, version: profile.deckVersion) {
                (try? String.fetchOne(db, sql: "SELECT csv FROM rate_deck WHERE id = ?", arguments: [profile.deckID])) ?? ""
            }
            let key = BundleKey(profile: profile.id, month: record.setupTime.monthKey)
            if bundles[key] == nil {
                let loaded = try Self.bundleAllowances(db, profile: profile.id, month: key.month)
                bundles[key] = (loaded, loaded)
            }
            // Rate against a copy of the allowances: they are spent only
            // if the insert below stores the call (not a duplicate).
            var allowances = bundles[key]!.current
            let charge = Rating.rate(RatingInput(record), deck: deck, bundles: &allowances)
            var row = SQLiteBinder(insertCall, db)
            row.text(record.id)
            row.int(group)
            row.int(profile.id)
            row.int(profile.memberID)
            row.int(profile.account)
            row.int(agentID)
            row.text(record.callID)
            row.text(record.direction.rawValue)
            row.text(record.caller)
            row.text(record.callee)
            row.int(record.setupTime.microseconds)
            row.int(record.answerTime?.microseconds)
            row.int(record.endTime.microseconds)
            row.int(record.durationMs)
            row.text(record.disposition.rawValue)
            row.int(record.finalStatus)
            row.text(record.flags.map(\.rawValue).joined(separator: ","))
            row.int(charge.billedSeconds)
            row.text(charge.entry?.prefix)
            row.text(charge.entry?.description)
            row.int(charge.entry?.ratePerMinute.micros)
            row.int(charge.entry?.connectFee.micros)
            row.int(charge.bundleID)
            row.int(charge.bundleSeconds)
            row.int(charge.price?.units)
            row.int(now.microseconds)
            let stored = try row.run()
            guard stored == 1 else {
                result.duplicates += 1
                continue
            }
            bundles[key]!.current = allowances
            result.accepted += 1
            let day = SpendKey(profile: profile.id, day: record.setupTime.dayKey)
            spend[day, default: (0, 0, 0)].calls += 1
            spend[day, default: (0, 0, 0)].seconds += charge.billedSeconds
            spend[day, default: (0, 0, 0)].amount += charge.price?.units ?? 0
            // The final record supersedes the live call event.
            if activeIDs.contains(record.id) {
                var row = SQLiteBinder(try db.cachedStatement(sql: "DELETE FROM active_call WHERE group_id = ? AND id = ?"), db)
                row.int(group)
                row.text(record.id)
                _ = try row.run()
            }
            guard let price = charge.price else {
                result.unrated += 1
                continue
            }
            if price > .zero {
                let seq = db.lastInsertedRowID
                var entry = SQLiteBinder(insertLedger, db)
                entry.int(group)
                entry.int(profile.account)
                entry.int(-price.units)
                entry.int(seq)
                entry.int(now.microseconds)
                _ = try entry.run()
                deltas[profile.account, default: 0] -= price.units
            }
        }
        for (account, delta) in deltas {
            try db.cachedStatement(
                sql: "UPDATE account SET balance = balance + ?1, exhausted = (balance + ?1 <= 0) WHERE id = ?2"
            ).execute(arguments: [delta, account])
            if try Bool.fetchOne(db.cachedStatement(sql: "SELECT exhausted FROM account WHERE id = ?"), arguments: [account])
                == true
            {
                result.exhaustedAccounts += 1
            }
        }
        let addSpend = try db.cachedStatement(
            sql: """
                INSERT INTO spend_daily (profile_id, day, calls, seconds, amount) VALUES (?1, ?2, ?3, ?4, ?5)
                ON CONFLICT (profile_id, day) DO UPDATE SET calls = calls + ?3, seconds = seconds + ?4, amount = amount + ?5
                """)
        for (key, s) in spend {
            try addSpend.execute(arguments: [key.profile, key.day, s.calls, s.seconds, s.amount])
        }
        try db.cachedStatement(sql: "UPDATE agent SET last_seen_at = ? WHERE id = ?").execute(arguments: [
            now.microseconds, agentID,
        ])
        for (key, state) in bundles where state.original != state.current {
            for (before, after) in zip(state.original, state.current) where before != after {
                try db.execute(
                    sql: """
                        INSERT INTO bundle_usage (bundle_id, month, seconds_used) VALUES (?1, ?2, ?3)
                        ON CONFLICT (bundle_id, month) DO UPDATE SET seconds_used = seconds_used + ?3
                        """,
                    arguments: [after.id, key.month, before.secondsLeft - after.secondsLeft])
            }
        }
        return result
    }

    private static func boundProfiles(_ db: Database, agent: Int64) throws -> [String: BoundProfile] {
        var out: [String: BoundProfile] = [:]
        // Cached: this and the other per-batch queries were parsed and
        // planned again for every batch.
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT p.name, p.id, p.member_id, p.own_credit, p.account_id, m.account_id, d.id, d.version
                    FROM agent_profile ap JOIN profile p ON p.id = ap.profile_id JOIN member m ON m.id = p.member_id
                    JOIN rate_deck d ON d.id = p.rate_deck_id WHERE ap.agent_id = ?
                    """), arguments: [agent])
        for row in rows {
            let ownCredit: Bool = row[3]
            out[row[0]] = BoundProfile(
                id: row[1], memberID: row[2], account: ownCredit ? row[4] : row[5], deckID: row[6], deckVersion: row[7])
        }
        return out
    }

    static func bundleAllowances(_ db: Database, profile: Int64, month: Int) throws -> [BundleAllowance] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT b.id, b.minutes, b.prefixes, COALESCE(u.seconds_used, 0) FROM bundle b
                    LEFT JOIN bundle_usage u ON u.bundle_id = b.id AND u.month = ?
                    WHERE b.profile_id = ? ORDER BY b.id
                    """), arguments: [month, profile]
        ).map { row in
            let minutes: Int64 = row[1]
            let used: Int64 = row[3]
            return BundleAllowance(
                id: row[0], prefixes: (row[2] as String).split(separator: ",").map(String.init),
                secondsLeft: max(0, minutes * 60 - used))
        }
    }
}
