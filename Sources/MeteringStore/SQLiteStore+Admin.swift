internal import GRDB
public import MeteringCore

extension SQLiteStore {
    public func createGroup(name: String, currency: String, now: Timestamp) async throws -> (GroupInfo, token: String) {
        let token = Tokens.generate()
        let group = try await write(conflict: "a group named \(name) already exists") { db in
            try db.execute(
                sql: #"INSERT INTO "group" (name, currency, created_at) VALUES (?, ?, ?)"#,
                arguments: [name, currency, now.microseconds])
            let id = db.lastInsertedRowID
            let account = try Self.newAccount(db, group: id, kind: "group")
            try db.execute(sql: #"UPDATE "group" SET account_id = ? WHERE id = ?"#, arguments: [account, id])
            try db.execute(
                sql: "INSERT INTO token (hash, group_id, role, created_at) VALUES (?, ?, 'admin', ?)",
                arguments: [Tokens.hash(token), id, now.microseconds])
            return GroupInfo(id: id, name: name, currency: currency)
        }
        return (group, token)
    }

    /// Kept by the token itself, so that a known token costs one lookup and
    /// no SHA-256 (only the hash is ever written to the database).
    public func knownPrincipal(token: String) -> Principal? {
        tokenCache.withLock { $0[token] }
    }

    public func authenticate(token: String) async throws -> Principal? {
        if let known = knownPrincipal(token: token) { return known }
        let hash = Tokens.hash(token)
        let principal = try await writer.read { db -> Principal? in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT group_id, role, agent_id, member_id FROM token WHERE hash = ?", arguments: [hash]),
                let role = Principal.Role(rawValue: row["role"])
            else { return nil }
            return Principal(groupID: row["group_id"], role: role, agentID: row["agent_id"], memberID: row["member_id"])
        }
        if let principal {
            tokenCache.withLock { cache in
                if cache.count >= Self.tokenCacheLimit { cache.removeAll(keepingCapacity: true) }
                cache[token] = principal
            }
        }
        return principal
    }

    public func group(id: Int64) async throws -> GroupInfo {
        try await writer.read { db in
            guard let row = try Row.fetchOne(db, sql: #"SELECT name, currency FROM "group" WHERE id = ?"#, arguments: [id])
            else { throw StoreError.notFound("no such group") }
            return GroupInfo(id: id, name: row[0], currency: row[1])
        }
    }

    public func addMember(group: Int64, name: String, kind: MemberKind, now: Timestamp) async throws -> MemberInfo {
        try await write(conflict: "a member named \(name) already exists") { db in
            let account = try Self.newAccount(db, group: group, kind: "member")
            try db.execute(
                sql: "INSERT INTO member (group_id, name, kind, account_id, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [group, name, kind.rawValue, account, now.microseconds])
            return MemberInfo(id: db.lastInsertedRowID, name: name, kind: kind, balance: .zero)
        }
    }

    public func members(group: Int64) async throws -> [MemberInfo] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT m.id, m.name, m.kind, a.balance FROM member m JOIN account a ON a.id = m.account_id
                    WHERE m.group_id = ? ORDER BY m.name
                    """, arguments: [group]
            ).map { row in
                MemberInfo(
                    id: row[0], name: row[1], kind: MemberKind(rawValue: row[2]) ?? .business, balance: Money(units: row[3]))
            }
        }
    }

    public func addProfile(group: Int64, name: String, member: String, rateDeck: String, now: Timestamp) async throws
        -> ProfileInfo
    {
        try await write(conflict: "a SIP Profile named \(name) already exists") { db in
            let owner = try Self.memberRow(db, group: group, name: member)
            let deck = try Self.id(
                db, "SELECT id FROM rate_deck WHERE group_id = ? AND name = ?", [group, rateDeck],
                missing: "no rate deck named \(rateDeck); upload it with PUT /v1/rate-decks/\(rateDeck) first")
            let account = try Self.newAccount(db, group: group, kind: "profile")
            try db.execute(
                sql: """
                    INSERT INTO profile (group_id, name, member_id, rate_deck_id, account_id, created_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [group, name, owner.id, deck, account, now.microseconds])
            return ProfileInfo(
                id: db.lastInsertedRowID, name: name, member: member, rateDeck: rateDeck, ownCredit: false, balance: .zero)
        }
    }

    public func profiles(group: Int64) async throws -> [ProfileInfo] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT p.id, p.name, m.name, d.name, p.own_credit, a.balance FROM profile p
                    JOIN member m ON m.id = p.member_id JOIN rate_deck d ON d.id = p.rate_deck_id
                    JOIN account a ON a.id = p.account_id
                    WHERE p.group_id = ? ORDER BY p.name
                    """, arguments: [group]
            ).map { row in
                ProfileInfo(
                    id: row[0], name: row[1], member: row[2], rateDeck: row[3], ownCredit: row[4],
                    balance: Money(units: row[5]))
            }
        }
    }

    public func putRateDeck(group: Int64, name: String, csv: String, entries: Int, now: Timestamp) async throws -> RateDeckInfo {
        try await write(conflict: "rate deck \(name) could not be stored") { db in
            try db.execute(
                sql: """
                    INSERT INTO rate_deck (group_id, name, csv, entries, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                    ON CONFLICT (group_id, name) DO UPDATE SET csv = ?3, entries = ?4, updated_at = ?5, version = version + 1
                    """,
                arguments: [group, name, csv, entries, now.microseconds])
            let version =
                try Int.fetchOne(
                    db, sql: "SELECT version FROM rate_deck WHERE group_id = ? AND name = ?", arguments: [group, name]) ?? 1
            return RateDeckInfo(name: name, entries: entries, version: version, updatedAt: now)
        }
    }

    public func rateDecks(group: Int64) async throws -> [RateDeckInfo] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT name, entries, version, updated_at FROM rate_deck WHERE group_id = ? ORDER BY name",
                arguments: [group]
            ).map { RateDeckInfo(name: $0[0], entries: $0[1], version: $0[2], updatedAt: Timestamp(microseconds: $0[3])) }
        }
    }

    public func addBundle(group: Int64, profile: String, name: String, minutes: Int64, prefixes: [String], now: Timestamp)
        async throws -> BundleInfo
    {
        try await write(conflict: "SIP Profile \(profile) already has a bundle named \(name)") { db in
            let owner = try Self.profileRow(db, group: group, name: profile)
            try db.execute(
                sql: "INSERT INTO bundle (profile_id, name, minutes, prefixes, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [owner.id, name, minutes, prefixes.joined(separator: ","), now.microseconds])
            return BundleInfo(
                id: db.lastInsertedRowID, profile: profile, name: name, minutes: minutes, prefixes: prefixes, secondsUsed: 0)
        }
    }

    public func bundles(group: Int64, month: Int) async throws -> [BundleInfo] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT b.id, p.name, b.name, b.minutes, b.prefixes, COALESCE(u.seconds_used, 0) FROM bundle b
                    JOIN profile p ON p.id = b.profile_id
                    LEFT JOIN bundle_usage u ON u.bundle_id = b.id AND u.month = ?
                    WHERE p.group_id = ? ORDER BY p.name, b.name
                    """, arguments: [month, group]
            ).map { row in
                BundleInfo(
                    id: row[0], profile: row[1], name: row[2], minutes: row[3],
                    prefixes: (row[4] as String).split(separator: ",").map(String.init), secondsUsed: row[5])
            }
        }
    }

    public func addAgent(group: Int64, name: String, profiles: [String], now: Timestamp) async throws -> (
        AgentInfo, token: String
    ) {
        let token = Tokens.generate()
        let agent = try await write(conflict: "an agent named \(name) already exists") { db in
            let ids = try profiles.map { try Self.profileRow(db, group: group, name: $0).id }
            try db.execute(
                sql: "INSERT INTO agent (group_id, name, created_at) VALUES (?, ?, ?)",
                arguments: [group, name, now.microseconds])
            let agent = db.lastInsertedRowID
            for id in Set(ids) {
                try db.execute(sql: "INSERT INTO agent_profile (agent_id, profile_id) VALUES (?, ?)", arguments: [agent, id])
            }
            try db.execute(
                sql: "INSERT INTO token (hash, group_id, role, agent_id, created_at) VALUES (?, ?, 'agent', ?, ?)",
                arguments: [Tokens.hash(token), group, agent, now.microseconds])
            return AgentInfo(id: agent, name: name, profiles: Array(Set(profiles)).sorted())
        }
        return (agent, token)
    }

    public func agents(group: Int64) async throws -> [AgentInfo] {
        try await writer.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, a.name, p.name FROM agent a
                    LEFT JOIN agent_profile ap ON ap.agent_id = a.id LEFT JOIN profile p ON p.id = ap.profile_id
                    WHERE a.group_id = ? ORDER BY a.name, p.name
                    """, arguments: [group])
            var out: [AgentInfo] = []
            for row in rows {
                let id: Int64 = row[0]
                if out.last?.id != id { out.append(AgentInfo(id: id, name: row[1], profiles: [])) }
                if let profile: String = row[2] { out[out.count - 1].profiles.append(profile) }
            }
            return out
        }
    }

    public func issueMemberToken(group: Int64, member: String, now: Timestamp) async throws -> String {
        let token = Tokens.generate()
        try await write(conflict: "the token could not be stored") { db in
            let owner = try Self.memberRow(db, group: group, name: member)
            try db.execute(
                sql: "INSERT INTO token (hash, group_id, role, member_id, created_at) VALUES (?, ?, 'member', ?, ?)",
                arguments: [Tokens.hash(token), group, owner.id, now.microseconds])
        }
        return token
    }
}
