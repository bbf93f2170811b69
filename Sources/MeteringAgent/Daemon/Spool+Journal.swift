internal import GRDB
internal import Foundation
public import MeteringCore
public import SIPCapture

/// What a network source (HEP, live capture) adds to and keeps in its
/// journal in one poll. Such a source cannot be read again after a
/// restart, so the messages of its calls still open are kept in the spool,
/// committed with the records of the same poll, and replayed at start.
public struct JournalUpdate: Sendable {
    public var append: [(seq: Int64, message: CapturedMessage)] = []
    /// Messages earlier than this no longer matter (nil: none does).
    public var keepFrom: Timestamp?

    public init(append: [(seq: Int64, message: CapturedMessage)] = [], keepFrom: Timestamp? = nil) {
        self.append = append
        self.keepFrom = keepFrom
    }
}

extension Spool {
    static func registerJournal(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-journal") { db in
            try db.execute(
                sql: """
                    CREATE TABLE journal (
                        source TEXT NOT NULL,
                        time INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        src TEXT,
                        dst TEXT,
                        transport TEXT NOT NULL,
                        truncated INTEGER NOT NULL,
                        time_missing INTEGER NOT NULL,
                        bytes BLOB NOT NULL,
                        PRIMARY KEY (source, time, seq)
                    ) WITHOUT ROWID;
                    """)
        }
    }

    func apply(_ update: JournalUpdate, source: String, in db: Database) throws {
        let insert = try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO journal (source, time, seq, src, dst, transport, truncated, time_missing, bytes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for (seq, m) in update.append {
            try insert.execute(arguments: [
                source, m.time.microseconds, seq, m.source?.description, m.destination?.description, m.transport.rawValue,
                m.truncated, m.timeMissing, Data(m.bytes),
            ])
        }
        if let keep = update.keepFrom {
            try db.execute(
                sql: "DELETE FROM journal WHERE source = ? AND time < ?", arguments: [source, keep.microseconds])
        } else {
            try db.execute(sql: "DELETE FROM journal WHERE source = ?", arguments: [source])
        }
    }

    /// The journal of a network source, in arrival order.
    public func journal(source: String) throws -> [(seq: Int64, message: CapturedMessage)] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, time, src, dst, transport, truncated, time_missing, bytes
                    FROM journal WHERE source = ? ORDER BY seq
                    """, arguments: [source]
            ).map { row in
                let message = CapturedMessage(
                    time: Timestamp(microseconds: row[1]), bytes: [UInt8](row[7] as Data),
                    source: Self.endpoint(row[2]), destination: Self.endpoint(row[3]),
                    transport: TransportProtocol(rawValue: row[4]) ?? .unknown, truncated: row[5], timeMissing: row[6],
                    position: row[0])
                return (seq: row[0], message: message)
            }
        }
    }

    /// Per network source: messages kept for calls still open, and the oldest.
    public func journalSizes() throws -> [(source: String, messages: Int, oldest: Timestamp)] {
        try writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT source, COUNT(*), MIN(time) FROM journal GROUP BY source ORDER BY source"
            ).map { (source: $0[0], messages: $0[1], oldest: Timestamp(microseconds: $0[2])) }
        }
    }

    /// `1.2.3.4:5060` or `[::1]:5060`, as `Endpoint.description` writes it.
    static func endpoint(_ text: String?) -> Endpoint? {
        guard let text, let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            return nil
        }
        return Endpoint(host: text[..<colon], port: port)
    }
}
