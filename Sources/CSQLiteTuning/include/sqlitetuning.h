#ifndef SIPMETER_SQLITETUNING_H
#define SIPMETER_SQLITETUNING_H

/// Turns off SQLite's memory statistics (SQLITE_CONFIG_MEMSTATUS), which
/// take a process-wide mutex around every allocation SQLite makes. Only
/// possible before SQLite initialises (before the first connection opens);
/// returns SQLite's result code (0: done, 21: too late, nothing changed).
int sipm_sqlite_disable_memstatus(void);

#endif
