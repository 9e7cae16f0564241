-- tenths schema v2: offline-first sync (docs/sync.md). Frozen once released.

-- Server side: a per-user feed position, bumped on every write of the entry (the pull feed
-- reads entries after a device's cursor in this order). 0 = written before v2.
ALTER TABLE entries ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
-- Device side: local changes not yet acknowledged by the server (counted only once the
-- database syncs for the entry's user, see sync_devices).
ALTER TABLE entries ADD COLUMN local_changes INTEGER NOT NULL DEFAULT 0;

CREATE INDEX entries_feed ON entries (customer_id, user_id, change_seq);
CREATE INDEX entries_pending ON entries (customer_id, user_id, pk) WHERE local_changes > 0;

-- Device side: the (customer, user) this database syncs for, with its pull cursor, the stored
-- in-flight push batch (resent as is until completed) and the last outcome.
CREATE TABLE sync_devices (
    customer_id     TEXT    NOT NULL,
    user_id         TEXT    NOT NULL,
    entry_cursor    INTEGER NOT NULL DEFAULT 0,
    reference_cursor INTEGER NOT NULL DEFAULT 0,
    inflight        TEXT,     -- JSON: the prepared batch and the counter snapshots
    last_error      TEXT,
    last_success_at INTEGER,
    PRIMARY KEY (customer_id, user_id)
) STRICT;

-- Device side: the last server-acknowledged copy of each entry (the merge base).
CREATE TABLE sync_mirror (
    customer_id TEXT    NOT NULL,
    entry_id    TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    record      TEXT    NOT NULL, -- JSON SyncedEntry
    PRIMARY KEY (customer_id, entry_id)
) STRICT; -- a rowid table: rows of ~1 KB are too wide for WITHOUT ROWID

-- Device side: local changes the server refused, kept for the user to retry or discard.
CREATE TABLE sync_quarantine (
    customer_id TEXT    NOT NULL,
    entry_id    TEXT    NOT NULL,
    code        TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    failures    TEXT    NOT NULL, -- JSON array of rule failures
    local       TEXT    NOT NULL, -- JSON SyncedEntry: the refused local copy
    at          INTEGER NOT NULL,
    PRIMARY KEY (customer_id, entry_id)
) STRICT;

-- Device side: local values that lost a conflict to the server's.
CREATE TABLE sync_conflicts (
    seq          INTEGER PRIMARY KEY,
    customer_id  TEXT    NOT NULL,
    entry_id     TEXT    NOT NULL,
    field        TEXT    NOT NULL,
    local_value  TEXT    NOT NULL, -- JSON
    server_value TEXT    NOT NULL, -- JSON
    at           INTEGER NOT NULL
) STRICT;
CREATE INDEX sync_conflicts_by_customer ON sync_conflicts (customer_id, seq);

-- Server side: each push operation is applied at most once; a replay answers this.
CREATE TABLE sync_applied_ops (
    customer_id TEXT    NOT NULL,
    op_id       TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    answer      TEXT    NOT NULL, -- JSON OpResult
    at          INTEGER NOT NULL,
    PRIMARY KEY (customer_id, op_id)
) STRICT, WITHOUT ROWID;

-- Server side: bumped by every reference-data write of a customer, so a pull knows whether to
-- send the reference snapshot again.
CREATE TABLE sync_reference_seq (
    customer_id TEXT    NOT NULL PRIMARY KEY,
    seq         INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
