-- tenths on PostgreSQL, schema v1. Frozen once released: later versions add migrations, never
-- edit this file.
--
-- Shaped for tenant sharding (Citus with customer_id as the distribution column; CockroachDB and
-- YugabyteDB speak the same protocol): customer_id is the first column of every primary key and
-- every unique index, every foreign key includes it, and every statement of the backend filters
-- on it. No sequence decides an order: ids are ObjectIds, the feed position of a user comes from
-- the user's row in feed_positions, and the bigint keys (entries.pk, sources.pk) are handles
-- unique inside a customer, never sorted on where order matters.
--
-- Instants are timestamptz at millisecond precision, work dates are date, flags are boolean.
-- Identifiers and external ids are compared byte-wise (COLLATE "C"), as on SQLite, so orders
-- and ranges do not depend on the database's locale.

CREATE TABLE customers (
    customer_id             text    COLLATE "C" NOT NULL,
    default_unit_increments bigint  NOT NULL DEFAULT 360,
    rounding                text    NOT NULL DEFAULT 'up' CHECK (rounding IN ('up', 'nearest', 'down')),
    minimum_one_unit        boolean NOT NULL DEFAULT true,
    timezone                text    NOT NULL DEFAULT 'UTC',
    allow_post_release_edit boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL,
    PRIMARY KEY (customer_id)
);

CREATE TABLE users (
    customer_id text COLLATE "C" NOT NULL REFERENCES customers (customer_id),
    user_id     text COLLATE "C" NOT NULL,
    timezone    text,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (customer_id, user_id)
);

CREATE TABLE clients (
    customer_id text COLLATE "C" NOT NULL REFERENCES customers (customer_id),
    id          text COLLATE "C" NOT NULL,
    external_id text COLLATE "C" NOT NULL,
    name        text NOT NULL,
    call_sign   text,
    description text,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (customer_id, id),
    UNIQUE (customer_id, external_id)
);

CREATE TABLE code_types (
    customer_id   text COLLATE "C" NOT NULL REFERENCES customers (customer_id),
    id            text COLLATE "C" NOT NULL,
    external_id   text COLLATE "C" NOT NULL,
    name          text NOT NULL,
    semantic_type text NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (customer_id, id),
    UNIQUE (customer_id, external_id)
);

CREATE TABLE codes (
    customer_id           text    COLLATE "C" NOT NULL REFERENCES customers (customer_id),
    id                    text    COLLATE "C" NOT NULL,
    external_id           text    COLLATE "C" NOT NULL,
    code_type_external_id text    COLLATE "C" NOT NULL,
    name                  text    NOT NULL,
    description           text,
    is_disabled           boolean NOT NULL DEFAULT false,
    updated_at            timestamptz NOT NULL,
    PRIMARY KEY (customer_id, id),
    UNIQUE (customer_id, code_type_external_id, external_id)
);
CREATE INDEX codes_by_external ON codes (customer_id, external_id);

CREATE TABLE initiatives (
    customer_id        text    COLLATE "C" NOT NULL REFERENCES customers (customer_id),
    id                 text    COLLATE "C" NOT NULL,
    type               text    NOT NULL CHECK (type IN ('pms', 'temporary')),
    external_id        text    COLLATE "C" NOT NULL,
    name               text    NOT NULL,
    description        text,
    call_sign          text,
    client_external_id text    COLLATE "C",
    billing_type       text    NOT NULL CHECK (billing_type IN ('billable', 'non-billable')),
    unit_increments    bigint  NOT NULL CHECK (unit_increments BETWEEN 1 AND 86400),
    status             text    NOT NULL CHECK (status IN ('active', 'inactive')),
    restricts_codes    boolean NOT NULL DEFAULT false,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (customer_id, id),
    UNIQUE (customer_id, external_id)
);

-- The allowed codes of a matter (used when initiatives.restricts_codes).
CREATE TABLE initiative_codes (
    customer_id   text COLLATE "C" NOT NULL,
    initiative_id text COLLATE "C" NOT NULL,
    code_id       text COLLATE "C" NOT NULL,
    PRIMARY KEY (customer_id, initiative_id, code_id),
    FOREIGN KEY (customer_id, initiative_id) REFERENCES initiatives (customer_id, id),
    FOREIGN KEY (customer_id, code_id) REFERENCES codes (customer_id, id)
);

-- Access lists: kind 'allow' or 'deny'.
CREATE TABLE initiative_access (
    customer_id   text COLLATE "C" NOT NULL,
    initiative_id text COLLATE "C" NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('allow', 'deny')),
    user_id       text COLLATE "C" NOT NULL,
    PRIMARY KEY (customer_id, initiative_id, kind, user_id),
    FOREIGN KEY (customer_id, initiative_id) REFERENCES initiatives (customer_id, id)
);

-- Validation rules; initiative_id '' holds the customer-wide rules (a key column cannot be NULL).
CREATE TABLE validation_rules (
    customer_id                       text    COLLATE "C" NOT NULL REFERENCES customers (customer_id),
    initiative_id                     text    COLLATE "C" NOT NULL,
    is_summary_required               boolean NOT NULL,
    cannot_release_future_work        boolean NOT NULL,
    cannot_release_negative_increment boolean NOT NULL,
    cannot_release_zero_increment     boolean NOT NULL,
    required_code_type_external_ids   text[]  NOT NULL,
    updated_at                        timestamptz NOT NULL,
    PRIMARY KEY (customer_id, initiative_id)
);

-- The reference version of a customer: moved by every reference write (caches and the pull
-- feed's reference position read it).
CREATE TABLE reference_versions (
    customer_id text   COLLATE "C" NOT NULL,
    seq         bigint NOT NULL,
    PRIMARY KEY (customer_id)
);

CREATE TABLE entries (
    customer_id                          text    COLLATE "C" NOT NULL REFERENCES customers (customer_id),
    -- The backend's handle of the entry (EntryKey): unique inside the customer, never an order.
    pk                                   bigint  GENERATED ALWAYS AS IDENTITY,
    id                                   text    COLLATE "C" NOT NULL,
    user_id                              text    COLLATE "C" NOT NULL,
    created_by                           text    COLLATE "C",
    released_by                          text    COLLATE "C",
    external_id                          text,
    enrichment_correlation_id            text,
    summary                              text    NOT NULL DEFAULT '',
    notes                                text,
    work_date                            date    NOT NULL,
    initiative_id                        text    COLLATE "C",
    creation_method                      text    NOT NULL,
    created_as_timer                     boolean NOT NULL DEFAULT false,
    timer_duration_adjustment_in_seconds bigint  NOT NULL DEFAULT 0,
    entered_duration_in_seconds          bigint,
    raw_seconds                          bigint  NOT NULL,
    unit_increments                      bigint  NOT NULL,
    units_from_sources                   bigint  NOT NULL,
    units_adjustments                    bigint  NOT NULL DEFAULT 0,
    overlap_seconds                      bigint  NOT NULL DEFAULT 0,
    status                               text    NOT NULL,
    -- The validation or release-failed errors: a list of tagged failures (free shape per kind).
    status_errors                        jsonb,
    re_release_failed_messages           text[],
    is_locked                            boolean NOT NULL DEFAULT false,
    is_deleted                           boolean NOT NULL DEFAULT false,
    release_count                        bigint  NOT NULL DEFAULT 0,
    last_release_pending_at              timestamptz,
    last_release_failed_at               timestamptz,
    release_success_at                   timestamptz,
    last_synced_at                       timestamptz,
    created_at                           timestamptz NOT NULL,
    updated_at                           timestamptz NOT NULL,
    version                              bigint  NOT NULL DEFAULT 1,
    -- The create body, kept to answer a repeated create byte for byte.
    create_request                       text,
    -- The user's feed position of the entry's last write (from feed_positions).
    change_seq                           bigint  NOT NULL,
    -- Unsent changes: device side only; a server keeps 0 unless a synced copy sets it.
    local_changes                        bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, pk),
    UNIQUE (customer_id, id)
);

CREATE INDEX entries_by_user_day   ON entries (customer_id, user_id, work_date, id);
CREATE INDEX entries_by_updated    ON entries (customer_id, updated_at);
CREATE INDEX entries_by_release    ON entries (customer_id, last_release_pending_at) WHERE last_release_pending_at IS NOT NULL;
CREATE INDEX entries_by_initiative ON entries (customer_id, initiative_id) WHERE initiative_id IS NOT NULL;
CREATE INDEX entries_feed          ON entries (customer_id, user_id, change_seq);

CREATE TABLE entry_codes (
    customer_id text   COLLATE "C" NOT NULL,
    entry_pk    bigint NOT NULL,
    code_id     text   COLLATE "C" NOT NULL,
    assigned_by text   NOT NULL DEFAULT 'user' CHECK (assigned_by IN ('user', 'system')),
    position    bigint NOT NULL,
    PRIMARY KEY (customer_id, entry_pk, code_id),
    FOREIGN KEY (customer_id, entry_pk) REFERENCES entries (customer_id, pk)
);
CREATE INDEX entry_codes_by_code ON entry_codes (customer_id, code_id);

-- Captured time. entry_pk NULL = the unassigned pool (e.g. after its entry was deleted).
-- ended_at NULL = a running timer session (one per user, by the partial unique index).
CREATE TABLE sources (
    customer_id text   COLLATE "C" NOT NULL,
    pk          bigint GENERATED ALWAYS AS IDENTITY,
    id          text   COLLATE "C" NOT NULL,
    user_id     text   COLLATE "C" NOT NULL,
    entry_pk    bigint,
    kind        text   NOT NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    title       text,
    PRIMARY KEY (customer_id, pk),
    UNIQUE (customer_id, id),
    FOREIGN KEY (customer_id, entry_pk) REFERENCES entries (customer_id, pk),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX sources_by_entry ON sources (customer_id, entry_pk);
-- Overlap neighbours: intervals of one user by start. Sessions are bounded in length
-- (MAX_SOURCE_MILLIS), so "starts in [s - max, e)" finds every interval meeting [s, e).
CREATE INDEX sources_by_user_start ON sources (customer_id, user_id, started_at) WHERE entry_pk IS NOT NULL AND ended_at IS NOT NULL;
CREATE UNIQUE INDEX one_running_timer_per_user ON sources (customer_id, user_id) WHERE ended_at IS NULL;

-- The feed position of a user: the next write of one of the user's entries takes seq + 1, in
-- the same transaction (the row is locked until the commit, so positions are handed out in
-- commit order and never twice).
CREATE TABLE feed_positions (
    customer_id text   COLLATE "C" NOT NULL,
    user_id     text   COLLATE "C" NOT NULL,
    seq         bigint NOT NULL,
    PRIMARY KEY (customer_id, user_id)
);

-- Each pushed sync operation is applied at most once; a replay answers this.
CREATE TABLE sync_applied_ops (
    customer_id text COLLATE "C" NOT NULL,
    op_id       text COLLATE "C" NOT NULL,
    user_id     text COLLATE "C" NOT NULL,
    answer      text NOT NULL, -- the OpResult as the sync layer serialised it, answered verbatim
    at          timestamptz NOT NULL,
    PRIMARY KEY (customer_id, op_id)
);
