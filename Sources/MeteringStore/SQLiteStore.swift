public import GRDB
public import MeteringCore
internal import Synchronization
internal import SQLiteSupport

/// The embedded default store: one SQLite file in WAL mode through GRDB,
/// created and migrated on open. `inMemory()` gives the same store for tests.
public final class SQLiteStore: CollectorStore {
    let writer: any DatabaseWriter
    let ingestQueue = IngestQueue()
    /// Counts writes that change what pre-call authorization reads.
    private let changes = Atomic<Int>(0)

    /// Moves on with every write to balances, limits, profiles or calls in
    /// progress: a cached `EnforcementSnapshot` older than this is stale.
    public var enforcementVersion: Int { changes.load(ordering: .sequentiallyConsistent) }

    func changed() { changes.add(1, ordering: .sequentiallyConsistent) }

    /// Token → principal, for tokens found valid (in memory only: the
    /// database keeps hashes). A token row is never updated or deleted once
    /// issued, so a hit is always right; a store that ever revokes tokens
    /// must clear this in the same write. Unknown tokens are not kept (a
    /// stream of bad tokens can't grow it), and it is emptied when full.
    let tokenCache = Mutex<[String: Principal]>([:])
    static let tokenCacheLimit = 10_000

    /// Opens (creating and migrating) the database at `path`.
    public init(path: String) throws {
        SQLiteTuning.apply()
        writer = try DatabasePool(path: path, configuration: Self.configuration)
        try Migrations.migrator.migrate(writer)
    }

    /// A private in-memory database with the same schema.
    public init(inMemory: ()) throws {
        SQLiteTuning.apply()
        writer = try DatabaseQueue(configuration: Self.configuration)
        try Migrations.migrator.migrate(writer)
    }

    private static var configuration: Configuration {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // An acknowledged record must survive a power cut: the agent
            // deletes it from its spool once we answer.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        return config
    }

    /// The names of the migrations applied, oldest first.
    public func appliedMigrations() throws -> [String] {
        try writer.read { db in try Migrations.migrator.appliedMigrations(db) }
    }

    // MARK: - Shared lookups (inside a transaction)

    static func id(_ db: Database, _ sql: String, _ args: StatementArguments, missing: String) throws -> Int64 {
        guard let id = try Int64.fetchOne(db, sql: sql, arguments: args) else { throw StoreError.notFound(missing) }
        return id
    }

    static func memberRow(_ db: Database, group: Int64, name: String) throws -> (id: Int64, account: Int64) {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT id, account_id FROM member WHERE group_id = ? AND name = ?", arguments: [group, name])
        else { throw StoreError.notFound("no member named \(name)") }
        return (row[0], row[1])
    }

    static func profileRow(_ db: Database, group: Int64, name: String) throws -> (id: Int64, account: Int64) {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT id, account_id FROM profile WHERE group_id = ? AND name = ?", arguments: [group, name])
        else { throw StoreError.notFound("no SIP Profile named \(name)") }
        return (row[0], row[1])
    }

    static func newAccount(_ db: Database, group: Int64, kind: String) throws -> Int64 {
        try db.execute(sql: "INSERT INTO account (group_id, kind) VALUES (?, ?)", arguments: [group, kind])
        return db.lastInsertedRowID
    }

    static func groupAccount(_ db: Database, group: Int64) throws -> Int64 {
        try id(db, #"SELECT account_id FROM "group" WHERE id = ?"#, [group], missing: "no such group")
    }

    static func balance(_ db: Database, account: Int64) throws -> Money {
        Money(units: try Int64.fetchOne(db, sql: "SELECT balance FROM account WHERE id = ?", arguments: [account]) ?? 0)
    }

    /// Appends a ledger entry and moves the account's balance with it.
    static func post(
        _ db: Database, group: Int64, account: Int64, kind: String, amount: Int64, purchase: Int64? = nil,
        allocation: Int64? = nil, now: Timestamp
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO ledger (group_id, account_id, kind, amount, purchase_id, allocation_id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [group, account, kind, amount, purchase, allocation, now.microseconds])
        try db.execute(
            sql: "UPDATE account SET balance = balance + ?1, exhausted = (balance + ?1 <= 0 AND kind <> 'group') WHERE id = ?2",
            arguments: [amount, account])
    }

    /// Runs `body` in a write transaction, mapping SQLite constraint
    /// failures (a name taken) to `StoreError.conflict`.
    func write<T: Sendable>(conflict: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        defer { changed() }
        do {
            return try await writer.write(body)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StoreError.conflict(conflict)
        }
    }
}

extension Timestamp {
    /// The UTC month of this instant as YYYYMM.
    public var monthKey: Int {
        let (days, _) = microseconds.quotientAndRemainder(dividingBy: 86_400_000_000)
        let adjusted = microseconds < 0 && microseconds % 86_400_000_000 != 0 ? days - 1 : days
        let (y, m, _) = CivilDate.fromDays(adjusted)
        return Int(y * 100 + m)
    }

    /// The first instant of the UTC month `key` (YYYYMM).
    public static func monthStart(_ key: Int) -> Timestamp {
        let days = CivilDate.toDays(year: Int64(key / 100), month: Int64(key % 100), day: 1)
        return Timestamp(seconds: days * 86_400)
    }

    /// The first instant of the month after `key`.
    public static func monthEnd(_ key: Int) -> Timestamp {
        let y = key / 100
        let m = key % 100
        return monthStart(m == 12 ? (y + 1) * 100 + 1 : y * 100 + m + 1)
    }
}
