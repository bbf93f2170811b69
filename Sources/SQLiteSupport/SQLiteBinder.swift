public import GRDB
internal import GRDBSQLite

/// Binds values straight onto a prepared statement and runs it: the
/// collector's ingest inserts two rows per call and the agent's spool one
/// per record, and building `StatementArguments` arrays cost a quarter of
/// the writer thread.
public struct SQLiteBinder {
    private let statement: OpaquePointer
    private let connection: OpaquePointer
    private var index: Int32 = 1
    /// SQLite copies the bytes (SQLITE_TRANSIENT).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    public init(_ statement: Statement, _ db: Database) {
        self.statement = statement.sqliteStatement
        self.connection = db.sqliteConnection!
        sqlite3_reset(self.statement)
        sqlite3_clear_bindings(self.statement)
    }

    public mutating func int(_ value: Int64?) {
        if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
        index += 1
    }

    public mutating func int(_ value: Int?) {
        int(value.map(Int64.init))
    }

    public mutating func text(_ value: String?) {
        guard var value else {
            sqlite3_bind_null(statement, index)
            index += 1
            return
        }
        value.withUTF8 { bytes in
            if let base = bytes.baseAddress {
                let text = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
                sqlite3_bind_text(statement, index, text, Int32(bytes.count), Self.transient)
            } else {
                sqlite3_bind_text(statement, index, "", 0, Self.transient)
            }
        }
        index += 1
    }

    /// Binds bytes as a BLOB (copied by SQLite).
    public mutating func blob(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { b in
            sqlite3_bind_blob(statement, index, b.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(b.count), Self.transient)
        }
        index += 1
    }

    /// Runs the statement; returns the number of rows it changed.
    @discardableResult
    public func run() throws -> Int32 {
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(connection))
            sqlite3_reset(statement)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
        }
        return sqlite3_changes(connection)
    }
}
