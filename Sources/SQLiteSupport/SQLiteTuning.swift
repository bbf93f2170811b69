internal import CSQLiteTuning

/// Process-wide SQLite settings, applied once before the first connection
/// opens (`SQLiteTuning.apply()` at the top of every store's initialiser).
public enum SQLiteTuning {
    /// SQLite's result: 0 when applied, 21 (misuse) when SQLite was
    /// already initialised by another connection.
    private static let result: Int32 = sipm_sqlite_disable_memstatus()

    /// SQLite's memory statistics take a process-wide mutex around every
    /// allocation it makes; nothing here reads them. Off, the collector's
    /// ingest and the agent's spool allocate without that lock.
    @discardableResult
    public static func apply() -> Int32 { result }
}
