-- tenths schema v1. Frozen once released: later versions add migrations, never edit this file.
-- Every table carries customer_id and every query filters on it (tenancy).
-- Instants are INTEGER epoch milliseconds (UTC); dates are TEXT 'YYYY-MM-DD'.

CREATE TABLE customers (
    id                      TEXT    NOT NULL PRIMARY KEY,
    default_unit_increments INTEGER NOT NULL DEFAULT 360,
    rounding                TEXT    NOT NULL DEFAULT 'up' CHECK (rounding IN ('up', 'nearest', 'down')),
    minimum_one_unit        INTEGER NOT NULL DEFAULT 1,
    timezone                TEXT    NOT NULL DEFAULT 'UTC',
    allow_post_release_edit INTEGER NOT NULL DEFAULT 0,
    created_at              INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    customer_id TEXT NOT NULL REFERENCES customers(id),
    id          TEXT NOT NULL,
    timezone    TEXT,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE clients (
    customer_id TEXT NOT NULL REFERENCES customers(id),
    id          TEXT NOT NULL,
    external_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    call_sign   TEXT,
    description TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, id),
    UNIQUE (customer_id, external_id)
) STRICT;

CREATE TABLE code_types (
    customer_id   TEXT NOT NULL REFERENCES customers(id),
    id            TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    name          TEXT NOT NULL,
    semantic_type TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (customer_id, id),
    UNIQUE (customer_id, external_id)
) STRICT;

CREATE TABLE codes (
    customer_id           TEXT    NOT NULL REFERENCES customers(id),
    id                    TEXT    NOT NULL,
    external_id           TEXT    NOT NULL,
    code_type_external_id TEXT    NOT NULL,
    name                  TEXT    NOT NULL,
    description           TEXT,
    is_disabled           INTEGER NOT NULL DEFAULT 0,
    updated_at            INTEGER NOT NULL,
    PRIMARY KEY (customer_id, id),
    UNIQUE (customer_id, code_type_external_id, external_id)
) STRICT;

CREATE TABLE initiatives (
    customer_id        TEXT    NOT NULL REFERENCES customers(id),
    id                 TEXT    NOT NULL,
    type               TEXT    NOT NULL CHECK (type IN ('pms', 'temporary')),
    external_id        TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    description        TEXT,
    call_sign          TEXT,
    client_external_id TEXT,
    billing_type       TEXT    NOT NULL CHECK (billing_type IN ('billable', 'non-billable')),
    unit_increments    INTEGER NOT NULL CHECK (unit_increments BETWEEN 1 AND 86400),
    status             TEXT    NOT NULL CHECK (status IN ('active', 'inactive')),
    restricts_codes    INTEGER NOT NULL DEFAULT 0,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (customer_id, id),
    UNIQUE (customer_id, external_id)
) STRICT;

-- The allowed codes of an initiative (used when initiatives.restricts_codes = 1).
CREATE TABLE initiative_codes (
    customer_id   TEXT NOT NULL,
    initiative_id TEXT NOT NULL,
    code_id       TEXT NOT NULL,
    PRIMARY KEY (customer_id, initiative_id, code_id),
    FOREIGN KEY (customer_id, initiative_id) REFERENCES initiatives(customer_id, id),
    FOREIGN KEY (customer_id, code_id) REFERENCES codes(customer_id, id)
) STRICT, WITHOUT ROWID;

-- Access lists: kind 'allow' or 'deny'.
CREATE TABLE initiative_access (
    customer_id   TEXT NOT NULL,
    initiative_id TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('allow', 'deny')),
    user_id       TEXT NOT NULL,
    PRIMARY KEY (customer_id, initiative_id, kind, user_id),
    FOREIGN KEY (customer_id, initiative_id) REFERENCES initiatives(customer_id, id)
) STRICT, WITHOUT ROWID;

-- Validation rules; initiative_id '' holds the customer-wide rules.
CREATE TABLE validation_rules (
    customer_id                       TEXT    NOT NULL REFERENCES customers(id),
    initiative_id                     TEXT    NOT NULL,
    is_summary_required               INTEGER NOT NULL,
    cannot_release_future_work        INTEGER NOT NULL,
    cannot_release_negative_increment INTEGER NOT NULL,
    cannot_release_zero_increment     INTEGER NOT NULL,
    required_code_type_external_ids   TEXT    NOT NULL, -- JSON array of strings
    updated_at                        INTEGER NOT NULL,
    PRIMARY KEY (customer_id, initiative_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE entries (
    pk                                   INTEGER PRIMARY KEY,
    customer_id                          TEXT    NOT NULL REFERENCES customers(id),
    id                                   TEXT    NOT NULL,
    user_id                              TEXT    NOT NULL,
    created_by                           TEXT,
    released_by                          TEXT,
    external_id                          TEXT,
    enrichment_correlation_id            TEXT,
    summary                              TEXT    NOT NULL DEFAULT '',
    notes                                TEXT,
    work_date                            TEXT    NOT NULL,
    initiative_id                        TEXT,
    creation_method                      TEXT    NOT NULL,
    created_as_timer                     INTEGER NOT NULL DEFAULT 0,
    timer_duration_adjustment_in_seconds INTEGER NOT NULL DEFAULT 0,
    entered_duration_in_seconds          INTEGER,
    raw_seconds                          INTEGER NOT NULL,
    unit_increments                      INTEGER NOT NULL,
    units_from_sources                   INTEGER NOT NULL,
    units_adjustments                    INTEGER NOT NULL DEFAULT 0,
    overlap_seconds                      INTEGER NOT NULL DEFAULT 0,
    status                               TEXT    NOT NULL,
    status_errors                        TEXT,    -- JSON: validation or release-failed errors
    re_release_failed_messages           TEXT,    -- JSON array
    is_locked                            INTEGER NOT NULL DEFAULT 0,
    is_deleted                           INTEGER NOT NULL DEFAULT 0,
    release_count                        INTEGER NOT NULL DEFAULT 0,
    last_release_pending_at              INTEGER,
    last_release_failed_at               INTEGER,
    release_success_at                   INTEGER,
    last_synced_at                       INTEGER,
    created_at                           INTEGER NOT NULL,
    updated_at                           INTEGER NOT NULL,
    version                              INTEGER NOT NULL DEFAULT 1,
    create_request                       TEXT,    -- the create body, to answer a repeated create
    UNIQUE (customer_id, id)
) STRICT;

CREATE INDEX entries_by_user_day   ON entries (customer_id, user_id, work_date);
CREATE INDEX entries_by_updated    ON entries (customer_id, updated_at);
CREATE INDEX entries_by_release    ON entries (customer_id, last_release_pending_at) WHERE last_release_pending_at IS NOT NULL;
CREATE INDEX entries_by_initiative ON entries (customer_id, initiative_id) WHERE initiative_id IS NOT NULL;

CREATE TABLE entry_codes (
    entry_pk    INTEGER NOT NULL REFERENCES entries(pk),
    code_id     TEXT    NOT NULL,
    assigned_by TEXT    NOT NULL DEFAULT 'user' CHECK (assigned_by IN ('user', 'system')),
    position    INTEGER NOT NULL,
    PRIMARY KEY (entry_pk, code_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX entry_codes_by_code ON entry_codes (code_id);

-- Captured time. entry_pk NULL = the unassigned pool (e.g. after its entry was deleted).
-- ended_at NULL = a running timer session (only one per user, by the partial unique index).
CREATE TABLE sources (
    pk          INTEGER PRIMARY KEY,
    customer_id TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    entry_pk    INTEGER REFERENCES entries(pk),
    kind        TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    title       TEXT,
    UNIQUE (customer_id, id),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
) STRICT;

CREATE INDEX sources_by_entry ON sources (entry_pk);
-- Overlap neighbours: intervals of one user by start. Sessions are bounded in length
-- (MAX_SOURCE_MILLIS), so "starts in [s - max, e)" finds every interval meeting [s, e).
CREATE INDEX sources_by_user_start ON sources (customer_id, user_id, started_at) WHERE entry_pk IS NOT NULL AND ended_at IS NOT NULL;
CREATE UNIQUE INDEX one_running_timer_per_user ON sources (customer_id, user_id) WHERE ended_at IS NULL;
