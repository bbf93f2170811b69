internal import GRDB

/// The collector's schema. Migrations are named and append-only: never edit
/// one that has shipped, add the next instead.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-groups-members-profiles") { db in
            try db.execute(
                sql: """
                    CREATE TABLE "group" (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE,
                        currency TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    -- Every balance is an account; its balance is kept in the
                    -- same transaction as the ledger entries that move it.
                    CREATE TABLE account (
                        id INTEGER PRIMARY KEY,
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        kind TEXT NOT NULL CHECK (kind IN ('group', 'member', 'profile')),
                        balance INTEGER NOT NULL DEFAULT 0,
                        exhausted INTEGER NOT NULL DEFAULT 0
                    );
                    ALTER TABLE "group" ADD COLUMN account_id INTEGER REFERENCES account(id);
                    CREATE TABLE member (
                        id INTEGER PRIMARY KEY,
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        name TEXT NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('business', 'personal')),
                        account_id INTEGER NOT NULL REFERENCES account(id),
                        created_at INTEGER NOT NULL,
                        UNIQUE (group_id, name)
                    );
                    CREATE TABLE rate_deck (
                        id INTEGER PRIMARY KEY,
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        name TEXT NOT NULL,
                        csv TEXT NOT NULL,
                        entries INTEGER NOT NULL,
                        version INTEGER NOT NULL DEFAULT 1,
                        updated_at INTEGER NOT NULL,
                        UNIQUE (group_id, name)
                    );
                    CREATE TABLE profile (
                        id INTEGER PRIMARY KEY,
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        name TEXT NOT NULL,
                        member_id INTEGER NOT NULL REFERENCES member(id),
                        rate_deck_id INTEGER NOT NULL REFERENCES rate_deck(id),
                        account_id INTEGER NOT NULL REFERENCES account(id),
                        -- Set by the first allocation to the profile: from then
                        -- on its calls are charged to its own credit.
                        own_credit INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL,
                        UNIQUE (group_id, name)
                    );
                    CREATE TABLE bundle (
                        id INTEGER PRIMARY KEY,
                        profile_id INTEGER NOT NULL REFERENCES profile(id),
                        name TEXT NOT NULL,
                        minutes INTEGER NOT NULL CHECK (minutes > 0),
                        prefixes TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        UNIQUE (profile_id, name)
                    );
                    -- Seconds used per bundle per month (YYYYMM).
                    CREATE TABLE bundle_usage (
                        bundle_id INTEGER NOT NULL REFERENCES bundle(id),
                        month INTEGER NOT NULL,
                        seconds_used INTEGER NOT NULL,
                        PRIMARY KEY (bundle_id, month)
                    ) WITHOUT ROWID;
                    CREATE TABLE agent (
                        id INTEGER PRIMARY KEY,
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        name TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        UNIQUE (group_id, name)
                    );
                    CREATE TABLE agent_profile (
                        agent_id INTEGER NOT NULL REFERENCES agent(id),
                        profile_id INTEGER NOT NULL REFERENCES profile(id),
                        PRIMARY KEY (agent_id, profile_id)
                    ) WITHOUT ROWID;
                    -- Only the SHA-256 of a token is stored.
                    CREATE TABLE token (
                        hash TEXT PRIMARY KEY,
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        role TEXT NOT NULL CHECK (role IN ('admin', 'agent', 'member')),
                        agent_id INTEGER REFERENCES agent(id),
                        member_id INTEGER REFERENCES member(id),
                        created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        m.registerMigration("v1-money-and-calls") { db in
            try db.execute(
                sql: """
                    CREATE TABLE purchase (
                        id INTEGER PRIMARY KEY,
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        amount INTEGER NOT NULL CHECK (amount > 0),
                        reference TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE allocation (
                        id INTEGER PRIMARY KEY,
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        member_id INTEGER REFERENCES member(id),
                        profile_id INTEGER REFERENCES profile(id),
                        amount INTEGER NOT NULL CHECK (amount <> 0),
                        created_at INTEGER NOT NULL,
                        CHECK ((member_id IS NULL) <> (profile_id IS NULL))
                    );
                    CREATE TABLE rated_call (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL,
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        profile_id INTEGER NOT NULL REFERENCES profile(id),
                        member_id INTEGER NOT NULL REFERENCES member(id),
                        account_id INTEGER NOT NULL REFERENCES account(id),
                        agent_id INTEGER NOT NULL REFERENCES agent(id),
                        call_id TEXT NOT NULL,
                        direction TEXT NOT NULL,
                        caller TEXT NOT NULL,
                        callee TEXT NOT NULL,
                        setup_time INTEGER NOT NULL,
                        answer_time INTEGER,
                        end_time INTEGER NOT NULL,
                        duration_ms INTEGER NOT NULL,
                        disposition TEXT NOT NULL,
                        final_status INTEGER,
                        flags TEXT NOT NULL,
                        billed_seconds INTEGER NOT NULL,
                        prefix TEXT,
                        destination TEXT,
                        rate_per_minute INTEGER,
                        connect_fee INTEGER,
                        bundle_id INTEGER REFERENCES bundle(id),
                        bundle_seconds INTEGER NOT NULL,
                        price INTEGER,
                        received_at INTEGER NOT NULL
                    );
                    -- Idempotency: a record id is charged once per group.
                    CREATE UNIQUE INDEX rated_call_id ON rated_call (group_id, id);
                    -- Months of a group's calls, in time order (profile and member
                    -- filters are applied to that range: one index to keep up
                    -- at ingest, not three).
                    CREATE INDEX rated_call_group_time ON rated_call (group_id, setup_time);
                    -- Every money movement, append-only. amount is signed: what the
                    -- account gained. An allocation is two entries (group −, target +).
                    CREATE TABLE ledger (
                        id INTEGER PRIMARY KEY,
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        account_id INTEGER NOT NULL REFERENCES account(id),
                        kind TEXT NOT NULL CHECK (kind IN ('purchase', 'allocation', 'take_back', 'call_charge', 'refund')),
                        amount INTEGER NOT NULL,
                        purchase_id INTEGER REFERENCES purchase(id),
                        allocation_id INTEGER REFERENCES allocation(id),
                        call_seq INTEGER REFERENCES rated_call(seq),
                        created_at INTEGER NOT NULL
                    );
                    CREATE TRIGGER ledger_append_only_update BEFORE UPDATE ON ledger
                        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
                    CREATE TRIGGER ledger_append_only_delete BEFORE DELETE ON ledger
                        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
                    """)
        }
        m.registerMigration("v2-active-calls") { db in
            try db.execute(
                sql: """
                    -- Calls in progress, from the agents' live call events; the
                    -- final record supersedes (deletes) the row, and a row whose
                    -- call never reported its end expires.
                    CREATE TABLE active_call (
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        id TEXT NOT NULL,
                        profile_id INTEGER NOT NULL REFERENCES profile(id),
                        agent_id INTEGER NOT NULL REFERENCES agent(id),
                        call_id TEXT NOT NULL,
                        callee TEXT NOT NULL,
                        answer_time INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        PRIMARY KEY (group_id, id)
                    ) WITHOUT ROWID;
                    """)
        }
        m.registerMigration("v3-enforcement-and-alerts") { db in
            try db.execute(
                sql: """
                    -- Limits of a member or a SIP Profile (issue: enforcement).
                    CREATE TABLE limits (
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        member_id INTEGER UNIQUE REFERENCES member(id),
                        profile_id INTEGER UNIQUE REFERENCES profile(id),
                        overdraft INTEGER NOT NULL DEFAULT 0,
                        daily_cap INTEGER,
                        monthly_cap INTEGER,
                        max_call_seconds INTEGER,
                        channels INTEGER,
                        burst_percent INTEGER NOT NULL DEFAULT 0,
                        burst_window_seconds INTEGER NOT NULL DEFAULT 0,
                        allowed_prefixes TEXT NOT NULL DEFAULT '',
                        barred_prefixes TEXT NOT NULL DEFAULT '',
                        calls_per_second INTEGER,
                        suspended INTEGER NOT NULL DEFAULT 0,
                        updated_at INTEGER NOT NULL,
                        CHECK ((member_id IS NULL) <> (profile_id IS NULL))
                    );
                    -- What each profile's calls cost per UTC day (YYYYMMDD), kept
                    -- at ingest: spend caps and reports read this, not rated_call.
                    CREATE TABLE spend_daily (
                        profile_id INTEGER NOT NULL REFERENCES profile(id),
                        day INTEGER NOT NULL,
                        calls INTEGER NOT NULL,
                        seconds INTEGER NOT NULL,
                        amount INTEGER NOT NULL,
                        PRIMARY KEY (profile_id, day)
                    ) WITHOUT ROWID;
                    INSERT INTO spend_daily (profile_id, day, calls, seconds, amount)
                        SELECT profile_id, CAST(strftime('%Y%m%d', setup_time / 1000000, 'unixepoch') AS INTEGER),
                            COUNT(*), SUM(billed_seconds), SUM(COALESCE(price, 0))
                        FROM rated_call GROUP BY 1, 2;
                    -- Skype Manager's auto-recharge: below threshold, move amount
                    -- from the group balance, at most monthly_limit a month.
                    CREATE TABLE auto_recharge (
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        member_id INTEGER UNIQUE REFERENCES member(id),
                        profile_id INTEGER UNIQUE REFERENCES profile(id),
                        amount INTEGER NOT NULL CHECK (amount > 0),
                        threshold INTEGER NOT NULL,
                        monthly_limit INTEGER NOT NULL CHECK (monthly_limit > 0),
                        updated_at INTEGER NOT NULL,
                        CHECK ((member_id IS NULL) <> (profile_id IS NULL))
                    );
                    ALTER TABLE allocation ADD COLUMN auto INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE agent ADD COLUMN last_seen_at INTEGER;
                    -- Group defaults (no member, no profile) and overrides.
                    CREATE TABLE alert_rule (
                        id INTEGER PRIMARY KEY,
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        member_id INTEGER REFERENCES member(id),
                        profile_id INTEGER REFERENCES profile(id),
                        type TEXT NOT NULL,
                        amount INTEGER,
                        percent INTEGER,
                        minutes INTEGER
                    );
                    -- One row per alert that fired and has not recovered yet.
                    CREATE TABLE alert_latch (
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        key TEXT NOT NULL,
                        fired_at INTEGER NOT NULL,
                        PRIMARY KEY (group_id, key)
                    ) WITHOUT ROWID;
                    CREATE TABLE alert (
                        id INTEGER PRIMARY KEY,
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        type TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        message TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE webhook (
                        group_id INTEGER PRIMARY KEY REFERENCES "group"(id),
                        url TEXT NOT NULL,
                        secret TEXT NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    -- Alerts to deliver, written in the transaction that raised
                    -- them: no alert is lost across a restart.
                    CREATE TABLE webhook_outbox (
                        id INTEGER PRIMARY KEY,
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        alert_id INTEGER NOT NULL REFERENCES alert(id),
                        url TEXT NOT NULL,
                        body BLOB NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at INTEGER NOT NULL,
                        delivered_at INTEGER,
                        last_error TEXT
                    );
                    CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE delivered_at IS NULL;
                    """)
        }
        m.registerMigration("v4-reports-and-consent") { db in
            try db.execute(
                sql: """
                    -- Usage reports page through one profile's month (and a
                    -- member's profiles) without walking the group's calls.
                    CREATE INDEX rated_call_profile_time ON rated_call (profile_id, setup_time);
                    -- A personal member's consent to share call detail with the
                    -- admins: every grant and withdrawal, newest last.
                    CREATE TABLE consent (
                        id INTEGER PRIMARY KEY,
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        member_id INTEGER NOT NULL REFERENCES member(id),
                        granted INTEGER NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE INDEX consent_member ON consent (member_id, id);
                    -- Every view of a member's call detail, readable by that member.
                    CREATE TABLE access_log (
                        id INTEGER PRIMARY KEY,
                        group_id INTEGER NOT NULL REFERENCES "group"(id),
                        member_id INTEGER NOT NULL REFERENCES member(id),
                        viewer TEXT NOT NULL,
                        report TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE INDEX access_log_member ON access_log (member_id, id);
                    """)
        }
        return m
    }
}
