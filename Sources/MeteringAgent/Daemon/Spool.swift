internal import GRDB
internal import SQLiteSupport
internal import Foundation
public import MeteringCore

/// Where a followed file was, for a restart: the file's identity, how far
/// it was read, and where to replay from so calls still open are rebuilt.
public struct Checkpoint: Sendable, Hashable {
    public var device: Int64
    public var inode: Int64
    public var path: String
    /// Bytes handed to the parser.
    public var readOffset: Int64
    /// The first byte of the earliest message that still matters (a call
    /// still open, a record not yet released): reading restarts here.
    public var resumeOffset: Int64

    public init(device: Int64, inode: Int64, path: String, readOffset: Int64, resumeOffset: Int64) {
        self.device = device
        self.inode = inode
        self.path = path
        self.readOffset = readOffset
        self.resumeOffset = resumeOffset
    }
}

/// One record the collector refused, kept for an operator.
public struct DeadLetter: Sendable, Hashable {
    public var id: String
    public var error: String
    public var at: Timestamp
    public var body: String
}

/// The agent's durable state in one SQLite file: records waiting to be
/// shipped, each source's checkpoints, and dead letters. Records and the
/// checkpoint that produced them are committed in one transaction, so a
/// restart (also after `kill -9`) resumes exactly.
public final class Spool: Sendable {
    let writer: any DatabaseWriter

    public init(path: String) throws {
        SQLiteTuning.apply()
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        writer = try DatabasePool(path: path, configuration: config)
        var m = DatabaseMigrator()
        m.registerMigration("v1-spool") { db in
            try db.execute(
                sql: """
                    CREATE TABLE record (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        body BLOB NOT NULL,
                        spooled_at INTEGER NOT NULL
                    );
                    CREATE TABLE checkpoint (
                        source TEXT NOT NULL,
                        device INTEGER NOT NULL,
                        inode INTEGER NOT NULL,
                        path TEXT NOT NULL,
                        read_offset INTEGER NOT NULL,
                        resume_offset INTEGER NOT NULL,
                        PRIMARY KEY (source, device, inode)
                    ) WITHOUT ROWID;
                    CREATE TABLE dead_letter (
                        id TEXT PRIMARY KEY,
                        body BLOB NOT NULL,
                        error TEXT NOT NULL,
                        at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        Self.registerJournal(&m)
        try m.migrate(writer)
    }

    /// Stores `records` (ids already spooled are skipped) and replaces the
    /// source's checkpoints (or updates its journal), in one transaction.
    /// Returns how many records were new.
    @discardableResult
    public func commit(
        source: String, records: [CallRecord], checkpoints: [Checkpoint], journal: JournalUpdate? = nil, now: Timestamp
    ) throws -> Int {
        try writer.write { db in
            if let journal { try apply(journal, source: source, in: db) }
            var added = 0
            let insert = try db.cachedStatement(
                sql: "INSERT INTO record (id, body, spooled_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING")
            var body: [UInt8] = []
            for r in records {
                body.removeAll(keepingCapacity: true)
                r.appendJSON(to: &body)
                var row = SQLiteBinder(insert, db)
                row.text(r.id)
                row.blob(body)
                row.int(now.microseconds)
                added += Int(try row.run())
            }
            try db.execute(sql: "DELETE FROM checkpoint WHERE source = ?", arguments: [source])
            for c in checkpoints {
                try db.execute(
                    sql: """
                        INSERT INTO checkpoint (source, device, inode, path, read_offset, resume_offset)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """, arguments: [source, c.device, c.inode, c.path, c.readOffset, c.resumeOffset])
            }
            return added
        }
    }

    public func checkpoints(source: String) throws -> [Checkpoint] {
        try writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT device, inode, path, read_offset, resume_offset FROM checkpoint WHERE source = ?",
                arguments: [source]
            ).map { Checkpoint(device: $0[0], inode: $0[1], path: $0[2], readOffset: $0[3], resumeOffset: $0[4]) }
        }
    }

    /// The oldest `limit` records: (id, JSON).
    public func batch(limit: Int) throws -> [(id: String, json: [UInt8])] {
        try writer.read { db in
            // Read the columns in place: no Row, no Data per record.
            let select = try db.cachedStatement(sql: "SELECT id, body FROM record ORDER BY seq LIMIT ?")
            var out: [(id: String, json: [UInt8])] = []
            let cursor = try Row.fetchCursor(select, arguments: [limit])
            while let row = try cursor.next() {
                let json = try row.withUnsafeData(atIndex: 1) { data in [UInt8](data ?? Data()) }
                out.append((id: row[0], json: json))
            }
            return out
        }
    }

    /// The collector answered: delivered records leave the spool; rejected
    /// ones move to the dead-letter table with the collector's reason.
    public func acknowledge(delivered: [String], rejected: [(id: String, error: String)], now: Timestamp) throws {
        try writer.write { db in
            let delete = try db.cachedStatement(sql: "DELETE FROM record WHERE id = ?")
            for id in delivered {
                var row = SQLiteBinder(delete, db)
                row.text(id)
                try row.run()
            }
            for (id, error) in rejected {
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO dead_letter (id, body, error, at)
                        SELECT id, body, ?, ? FROM record WHERE id = ?
                        """, arguments: [error, now.microseconds, id])
                try db.execute(sql: "DELETE FROM record WHERE id = ?", arguments: [id])
            }
        }
    }

    /// Records waiting and the age of the oldest.
    public func depth() throws -> (count: Int, oldest: Timestamp?) {
        try writer.read { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM record") ?? 0
            let oldest = try Int64.fetchOne(db, sql: "SELECT MIN(spooled_at) FROM record").map(Timestamp.init(microseconds:))
            return (count, oldest)
        }
    }

    /// What the shipper asks before each attempt, without a table scan
    /// (`depth` counts every row; its `MIN(spooled_at)` read every page):
    /// the span of spooled sequence numbers, at least the number of records
    /// waiting and 0 only when none wait, and the oldest one's spool time
    /// (records are spooled in time order, so the lowest `seq` is the oldest).
    public func head() throws -> (span: Int, oldest: Timestamp?) {
        try writer.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT MAX(seq) - MIN(seq) + 1, (SELECT spooled_at FROM record ORDER BY seq LIMIT 1) FROM record
                    """)
            let span: Int = row?[0] ?? 0
            let oldest: Int64? = row?[1]
            return (span, oldest.map(Timestamp.init(microseconds:)))
        }
    }

    public func deadLetters() throws -> [DeadLetter] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, error, at, body FROM dead_letter ORDER BY at, id").map {
                DeadLetter(
                    id: $0[0], error: $0[1], at: Timestamp(microseconds: $0[2]),
                    body: String(decoding: $0[3] as Data, as: UTF8.self))
            }
        }
    }

    public func deadLetterCount() throws -> Int {
        try writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dead_letter") ?? 0 }
    }

    /// Moves dead letters (all, or those with `ids`) back into the spool.
    @discardableResult
    public func retry(ids: [String]?, now: Timestamp) throws -> Int {
        try writer.write { db in
            let letters = try Row.fetchAll(db, sql: "SELECT id, body FROM dead_letter")
            var moved = 0
            for row in letters {
                let id: String = row[0]
                if let ids, !ids.contains(id) { continue }
                try db.execute(
                    sql: "INSERT INTO record (id, body, spooled_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
                    arguments: [id, row[1] as Data, now.microseconds])
                try db.execute(sql: "DELETE FROM dead_letter WHERE id = ?", arguments: [id])
                moved += 1
            }
            return moved
        }
    }
}
