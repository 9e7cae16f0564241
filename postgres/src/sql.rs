//! Every SQL statement the PostgreSQL backend issues on tenant data, in one place, so a test can
//! read them all: [`ALL`] lists them, and the unit test below proves that each one is scoped by
//! `customer_id` (every table it reads or writes is filtered on the column, every insert writes
//! it first, every conflict target starts with it). Transaction control (`BEGIN`, savepoints)
//! and the migrations are the only other SQL of the crate.
//!
//! Parameters are `$n`; ids are bound as text, instants as `timestamptz`, work dates as `date`,
//! lists as arrays (`= ANY($n)`), so each statement is prepared once per connection.

/// The columns of an entry row, in the order `entries::entry_from_row` reads them.
macro_rules! entry_columns {
    () => {
        "pk, customer_id, id, user_id, created_by, released_by, external_id, enrichment_correlation_id, summary, notes, work_date, \
         initiative_id, creation_method, created_as_timer, timer_duration_adjustment_in_seconds, entered_duration_in_seconds, raw_seconds, unit_increments, \
         units_from_sources, units_adjustments, overlap_seconds, status, status_errors, re_release_failed_messages, is_locked, is_deleted, release_count, \
         last_release_pending_at, last_release_failed_at, release_success_at, last_synced_at, created_at, updated_at, version"
    };
}

/// The columns of a matter row, in the order `reference::initiative_from_row` reads them.
macro_rules! initiative_columns {
    () => {
        "id, type, external_id, name, description, call_sign, client_external_id, billing_type, unit_increments, status, restricts_codes"
    };
}

/// The columns of a rules row.
macro_rules! rules_columns {
    () => {
        "initiative_id, is_summary_required, cannot_release_future_work, cannot_release_negative_increment, cannot_release_zero_increment, required_code_type_external_ids"
    };
}

/// Every table of the schema that holds tenant data, parents before children.
pub const TABLES: &[&str] = &[
    "customers",
    "users",
    "reference_versions",
    "clients",
    "code_types",
    "codes",
    "initiatives",
    "initiative_codes",
    "initiative_access",
    "validation_rules",
    "entries",
    "entry_codes",
    "sources",
    "feed_positions",
    "sync_applied_ops",
    "idempotent_answers",
    "entry_events",
];

// ----- reference data --------------------------------------------------------------------------

pub const REFERENCE_VERSION: &str = "SELECT seq FROM reference_versions WHERE customer_id = $1";
pub const BUMP_REFERENCE_VERSION: &str = "INSERT INTO reference_versions (customer_id, seq) VALUES ($1, 1) \
     ON CONFLICT (customer_id) DO UPDATE SET seq = reference_versions.seq + 1";
pub const ENSURE_CUSTOMER: &str = "INSERT INTO customers (customer_id, created_at) VALUES ($1, $2) ON CONFLICT (customer_id) DO NOTHING";
pub const ENSURE_USER: &str = "INSERT INTO users (customer_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (customer_id, user_id) DO NOTHING";
pub const CUSTOMER_SETTINGS: &str =
    "SELECT default_unit_increments, rounding, minimum_one_unit, timezone, allow_post_release_edit, event_retention_days FROM customers WHERE customer_id = $1";
pub const SAVE_CUSTOMER_SETTINGS: &str = "UPDATE customers SET default_unit_increments = $2, rounding = $3, minimum_one_unit = $4, timezone = $5, \
     allow_post_release_edit = $6, event_retention_days = $7 WHERE customer_id = $1";
pub const USER_TIMEZONE: &str = "SELECT timezone FROM users WHERE customer_id = $1 AND user_id = $2";
pub const SAVE_USER_TIMEZONE: &str = "UPDATE users SET timezone = $3 WHERE customer_id = $1 AND user_id = $2";
pub const UPSERT_CLIENT: &str =
    "INSERT INTO clients (customer_id, id, external_id, name, call_sign, description, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (customer_id, external_id) DO UPDATE SET name = excluded.name, call_sign = excluded.call_sign, description = excluded.description, \
     updated_at = excluded.updated_at";
pub const UPSERT_CODE_TYPE: &str = "INSERT INTO code_types (customer_id, id, external_id, name, semantic_type, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (customer_id, external_id) DO UPDATE SET name = excluded.name, semantic_type = excluded.semantic_type, updated_at = excluded.updated_at";
pub const UPSERT_CODE: &str = "INSERT INTO codes (customer_id, id, external_id, code_type_external_id, name, description, is_disabled, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     ON CONFLICT (customer_id, code_type_external_id, external_id) DO UPDATE SET name = excluded.name, description = excluded.description, \
     is_disabled = excluded.is_disabled, updated_at = excluded.updated_at";
pub const UPSERT_INITIATIVE: &str =
    "INSERT INTO initiatives (customer_id, id, type, external_id, name, description, call_sign, client_external_id, billing_type, \
     unit_increments, status, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
     ON CONFLICT (customer_id, external_id) DO UPDATE SET type = excluded.type, name = excluded.name, description = excluded.description, \
     call_sign = excluded.call_sign, client_external_id = excluded.client_external_id, billing_type = excluded.billing_type, \
     unit_increments = excluded.unit_increments, status = excluded.status, updated_at = excluded.updated_at";
pub const DELETE_INITIATIVE_CODES: &str = "DELETE FROM initiative_codes WHERE customer_id = $1 AND initiative_id = $2";
pub const INSERT_INITIATIVE_CODES: &str = "INSERT INTO initiative_codes (customer_id, initiative_id, code_id) SELECT $1, $2, c FROM unnest($3::text[]) AS c \
     ON CONFLICT (customer_id, initiative_id, code_id) DO NOTHING";
pub const SET_RESTRICTS_CODES: &str = "UPDATE initiatives SET restricts_codes = true WHERE customer_id = $1 AND id = $2";
pub const DELETE_INITIATIVE_ACCESS: &str = "DELETE FROM initiative_access WHERE customer_id = $1 AND initiative_id = $2 AND kind = $3";
pub const INSERT_INITIATIVE_ACCESS: &str =
    "INSERT INTO initiative_access (customer_id, initiative_id, kind, user_id) SELECT $1, $2, $3, u FROM unnest($4::text[]) AS u \
     ON CONFLICT (customer_id, initiative_id, kind, user_id) DO NOTHING";
pub const SAVE_VALIDATION_RULES: &str = "INSERT INTO validation_rules (customer_id, initiative_id, is_summary_required, cannot_release_future_work, \
     cannot_release_negative_increment, cannot_release_zero_increment, required_code_type_external_ids, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     ON CONFLICT (customer_id, initiative_id) DO UPDATE SET is_summary_required = excluded.is_summary_required, \
     cannot_release_future_work = excluded.cannot_release_future_work, cannot_release_negative_increment = excluded.cannot_release_negative_increment, \
     cannot_release_zero_increment = excluded.cannot_release_zero_increment, required_code_type_external_ids = excluded.required_code_type_external_ids, \
     updated_at = excluded.updated_at";
pub const VALIDATION_RULES: &str = concat!("SELECT ", rules_columns!(), " FROM validation_rules WHERE customer_id = $1 AND initiative_id = $2");
pub const LIST_VALIDATION_RULES: &str = concat!("SELECT ", rules_columns!(), " FROM validation_rules WHERE customer_id = $1 ORDER BY initiative_id");
pub const INITIATIVE: &str = concat!("SELECT ", initiative_columns!(), " FROM initiatives WHERE customer_id = $1 AND id = $2");
pub const LIST_INITIATIVES: &str = concat!("SELECT ", initiative_columns!(), " FROM initiatives WHERE customer_id = $1 ORDER BY external_id");
pub const INITIATIVE_CODE_IDS: &str = "SELECT code_id FROM initiative_codes WHERE customer_id = $1 AND initiative_id = $2 ORDER BY code_id";
pub const INITIATIVE_ACCESS: &str = "SELECT kind, user_id FROM initiative_access WHERE customer_id = $1 AND initiative_id = $2 ORDER BY user_id";
pub const INITIATIVE_ID_BY_EXTERNAL: &str = "SELECT id FROM initiatives WHERE customer_id = $1 AND external_id = $2";
pub const INITIATIVE_REFS: &str = "SELECT i.id, i.type, i.external_id, i.name, i.description, i.call_sign, i.client_external_id, i.billing_type, \
     i.unit_increments, i.status, i.restricts_codes, c.id, c.external_id, c.name, c.description, c.call_sign FROM initiatives i \
     LEFT JOIN clients c ON c.customer_id = $1 AND c.external_id = i.client_external_id \
     WHERE i.customer_id = $1 AND i.id = ANY($2::text[])";
pub const LIST_CODES: &str =
    "SELECT id, external_id, code_type_external_id, name, description, is_disabled FROM codes WHERE customer_id = $1 ORDER BY code_type_external_id, external_id";
pub const CODE: &str = "SELECT id, external_id, code_type_external_id, name, description, is_disabled FROM codes WHERE customer_id = $1 AND id = $2";
pub const CODE_BY_EXTERNAL: &str = "SELECT id, external_id, code_type_external_id, name, description, is_disabled FROM codes \
     WHERE customer_id = $1 AND code_type_external_id = $2 AND external_id = $3";
pub const CODE_IDS_BY_EXTERNAL: &str = "SELECT id FROM codes WHERE customer_id = $1 AND external_id = $2 LIMIT $3";
pub const CODE_TYPE_BY_EXTERNAL: &str = "SELECT id, external_id, name, semantic_type FROM code_types WHERE customer_id = $1 AND external_id = $2";
pub const LIST_CODE_TYPES: &str = "SELECT id, external_id, name, semantic_type FROM code_types WHERE customer_id = $1 ORDER BY external_id";
pub const LIST_CLIENTS: &str = "SELECT id, external_id, name, call_sign, description FROM clients WHERE customer_id = $1 ORDER BY external_id";
pub const CLIENT_BY_EXTERNAL: &str = "SELECT id, external_id, name, call_sign, description FROM clients WHERE customer_id = $1 AND external_id = $2";
/// Replacing the reference data by a snapshot: children out first.
pub const REFERENCE_DELETES: &[&str] = &[
    "DELETE FROM initiative_codes WHERE customer_id = $1",
    "DELETE FROM initiative_access WHERE customer_id = $1",
    "DELETE FROM validation_rules WHERE customer_id = $1",
    "DELETE FROM codes WHERE customer_id = $1",
    "DELETE FROM code_types WHERE customer_id = $1",
    "DELETE FROM initiatives WHERE customer_id = $1",
    "DELETE FROM clients WHERE customer_id = $1",
];

// ----- entries ---------------------------------------------------------------------------------

pub const ENTRY_BY_ID: &str = concat!("SELECT ", entry_columns!(), " FROM entries WHERE customer_id = $1 AND id = $2");
pub const ENTRY_BY_KEY: &str = concat!("SELECT ", entry_columns!(), " FROM entries WHERE customer_id = $1 AND pk = $2");
pub const ENTRY_KEY: &str = "SELECT pk FROM entries WHERE customer_id = $1 AND id = $2";
pub const EXISTING_IDS: &str = "SELECT id FROM entries WHERE customer_id = $1 AND id = ANY($2::text[])";
pub const CREATE_REQUEST: &str = "SELECT create_request FROM entries WHERE customer_id = $1 AND pk = $2";
/// The codes of a set of entries, in each entry's order.
pub const CODES_OF: &str = "SELECT ec.entry_pk, c.id, c.external_id, c.code_type_external_id, c.name, ec.assigned_by FROM entry_codes ec \
     JOIN codes c ON c.customer_id = $1 AND c.id = ec.code_id WHERE ec.customer_id = $1 AND ec.entry_pk = ANY($2::bigint[]) \
     ORDER BY ec.entry_pk, ec.position";
/// The sources of a set of entries, by start then id.
pub const SOURCES_OF: &str = "SELECT entry_pk, id, kind, started_at, ended_at, title FROM sources \
     WHERE customer_id = $1 AND entry_pk = ANY($2::bigint[]) ORDER BY entry_pk, started_at, id";
pub const LIST_USER_DATES: &str = concat!(
    "SELECT ",
    entry_columns!(),
    " FROM entries WHERE customer_id = $1 AND user_id = $2 AND work_date >= $3 AND work_date <= $4 AND NOT is_deleted ORDER BY work_date, id"
);
pub const LIST_USER_DATES_PAGE: &str = concat!(
    "SELECT ",
    entry_columns!(),
    " FROM entries WHERE customer_id = $1 AND user_id = $2 AND work_date >= $3 AND work_date <= $4 AND NOT is_deleted \
     AND (work_date, id) > ($5, $6) ORDER BY work_date, id LIMIT $7"
);
pub const LIST_USER_DAY_EDITABLE: &str = concat!(
    "SELECT ",
    entry_columns!(),
    " FROM entries WHERE customer_id = $1 AND user_id = $2 AND work_date = $3 AND NOT is_deleted AND NOT is_locked ORDER BY id"
);
pub const LIST_UPDATED: &str =
    concat!("SELECT ", entry_columns!(), " FROM entries WHERE customer_id = $1 AND updated_at > $2 AND updated_at <= $3 ORDER BY updated_at, id");
pub const LIST_RELEASED: &str = concat!(
    "SELECT ",
    entry_columns!(),
    " FROM entries WHERE customer_id = $1 AND last_release_pending_at > $2 AND last_release_pending_at <= $3 AND NOT is_deleted \
     AND status IN ('release-pending', 'release-succeeded') ORDER BY id"
);
pub const PAGE_UPDATED: &str =
    concat!("SELECT ", entry_columns!(), " FROM entries WHERE customer_id = $1 AND updated_at > $2 AND updated_at <= $3 AND id > $4 ORDER BY id LIMIT $5");
pub const PAGE_RELEASED: &str = concat!(
    "SELECT ",
    entry_columns!(),
    " FROM entries WHERE customer_id = $1 AND last_release_pending_at > $2 AND last_release_pending_at <= $3 AND id > $4 AND id >= $6 AND id <= $7 \
     AND NOT is_deleted AND status IN ('release-pending', 'release-succeeded') ORDER BY id LIMIT $5"
);
pub const EXPORT_BOUNDS: &str = "SELECT min(id), max(id) FROM entries WHERE customer_id = $1 AND last_release_pending_at > $2 \
     AND last_release_pending_at <= $3 AND NOT is_deleted AND status IN ('release-pending', 'release-succeeded')";
pub const TOTALS_OF_USER: &str = "SELECT user_id, work_date, initiative_id, count(*), sum(units_from_sources + units_adjustments)::bigint, \
     sum((units_from_sources + units_adjustments) * unit_increments)::bigint \
     FROM entries WHERE customer_id = $1 AND user_id = $2 AND work_date >= $3 AND work_date <= $4 AND NOT is_deleted \
     GROUP BY user_id, work_date, initiative_id ORDER BY user_id, work_date, initiative_id NULLS FIRST";
pub const TOTALS_OF_CUSTOMER: &str = "SELECT user_id, work_date, initiative_id, count(*), sum(units_from_sources + units_adjustments)::bigint, \
     sum((units_from_sources + units_adjustments) * unit_increments)::bigint \
     FROM entries WHERE customer_id = $1 AND work_date >= $2 AND work_date <= $3 AND NOT is_deleted \
     GROUP BY user_id, work_date, initiative_id ORDER BY user_id, work_date, initiative_id NULLS FIRST";
pub const AFFECTED_CUSTOMER: &str = "SELECT pk FROM entries WHERE customer_id = $1 AND NOT is_deleted AND NOT is_locked ORDER BY id";
pub const AFFECTED_USER: &str = "SELECT pk FROM entries WHERE customer_id = $1 AND user_id = $2 AND NOT is_deleted AND NOT is_locked ORDER BY id";
pub const AFFECTED_INITIATIVE: &str = "SELECT pk FROM entries WHERE customer_id = $1 AND initiative_id = $2 AND NOT is_deleted AND NOT is_locked ORDER BY id";
pub const AFFECTED_CODE: &str = "SELECT e.pk FROM entry_codes ec JOIN entries e ON e.customer_id = $1 AND e.pk = ec.entry_pk \
     WHERE ec.customer_id = $1 AND ec.code_id = $2 AND NOT e.is_deleted AND NOT e.is_locked ORDER BY e.id";
pub const NEIGHBOURS: &str = "SELECT entry_pk, started_at, ended_at FROM sources \
     WHERE customer_id = $1 AND user_id = $2 AND entry_pk IS NOT NULL AND ended_at IS NOT NULL AND started_at > $3 AND started_at < $4 AND ended_at > $5";
pub const RUNNING_SESSION: &str = "SELECT s.pk, s.entry_pk, e.id, s.started_at FROM sources s \
     LEFT JOIN entries e ON e.customer_id = $1 AND e.pk = s.entry_pk WHERE s.customer_id = $1 AND s.user_id = $2 AND s.ended_at IS NULL";
pub const FEED: &str =
    concat!("SELECT ", entry_columns!(), ", change_seq FROM entries WHERE customer_id = $1 AND user_id = $2 AND change_seq > $3 ORDER BY change_seq LIMIT $4");
pub const APPLIED_OP: &str = "SELECT answer FROM sync_applied_ops WHERE customer_id = $1 AND op_id = $2";
pub const RECORD_APPLIED_OP: &str = "INSERT INTO sync_applied_ops (customer_id, op_id, user_id, answer, at) VALUES ($1, $2, $3, $4, $5)";
pub const IDEMPOTENT_ANSWER: &str =
    "SELECT fingerprint, status, headers::text, body, created_at FROM idempotent_answers WHERE customer_id = $1 AND user_id = $2 AND key = $3";
/// Keeps an answer, replacing an expired one under the same key (the caller found none live).
pub const RECORD_IDEMPOTENT_ANSWER: &str = "INSERT INTO idempotent_answers (customer_id, user_id, key, fingerprint, status, headers, body, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8) ON CONFLICT (customer_id, user_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, \
     status = excluded.status, headers = excluded.headers, body = excluded.body, created_at = excluded.created_at";
/// Removes at most `$3` of the customer's answers created before `$2`, oldest first.
pub const PRUNE_IDEMPOTENT_ANSWERS: &str = "DELETE FROM idempotent_answers WHERE customer_id = $1 AND (user_id, key) IN \
     (SELECT user_id, key FROM idempotent_answers WHERE customer_id = $1 AND created_at < $2 ORDER BY created_at LIMIT $3)";
pub const LOCAL_CHANGES: &str = "SELECT local_changes FROM entries WHERE customer_id = $1 AND pk = $2";
pub const SET_LOCAL_CHANGES: &str = "UPDATE entries SET local_changes = $3 WHERE customer_id = $1 AND pk = $2";
/// Takes the user's next feed position (the row stays locked until the commit).
pub const FEED_NEXT: &str = "INSERT INTO feed_positions (customer_id, user_id, seq) VALUES ($1, $2, 1) \
     ON CONFLICT (customer_id, user_id) DO UPDATE SET seq = feed_positions.seq + 1 RETURNING seq";
/// Stores the last feed position a transaction took.
pub const FEED_FLUSH: &str = "INSERT INTO feed_positions (customer_id, user_id, seq) VALUES ($1, $2, $3) \
     ON CONFLICT (customer_id, user_id) DO UPDATE SET seq = GREATEST(feed_positions.seq, excluded.seq)";
pub const INSERT_ENTRY: &str = "INSERT INTO entries (customer_id, id, user_id, created_by, released_by, external_id, enrichment_correlation_id, summary, notes, \
     work_date, initiative_id, creation_method, created_as_timer, timer_duration_adjustment_in_seconds, entered_duration_in_seconds, raw_seconds, unit_increments, \
     units_from_sources, units_adjustments, overlap_seconds, status, status_errors, re_release_failed_messages, is_locked, is_deleted, release_count, \
     last_release_pending_at, last_release_failed_at, release_success_at, last_synced_at, created_at, updated_at, version, create_request, change_seq) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, \
     $31, $32, $33, $34, $35) RETURNING pk";
pub const UPDATE_ENTRY: &str = "UPDATE entries SET released_by = $3, external_id = $4, summary = $5, notes = $6, work_date = $7, initiative_id = $8, \
     timer_duration_adjustment_in_seconds = $9, entered_duration_in_seconds = $10, raw_seconds = $11, unit_increments = $12, units_from_sources = $13, \
     units_adjustments = $14, status = $15, status_errors = $16, re_release_failed_messages = $17, is_locked = $18, is_deleted = $19, release_count = $20, \
     last_release_pending_at = $21, last_release_failed_at = $22, release_success_at = $23, last_synced_at = $24, updated_at = $25, version = $26, \
     created_by = $27, enrichment_correlation_id = $28, creation_method = $29, created_as_timer = $30, created_at = $31, change_seq = $32, \
     local_changes = COALESCE($33, local_changes) WHERE customer_id = $1 AND pk = $2";
pub const SET_OVERLAP: &str = "UPDATE entries SET overlap_seconds = $3 WHERE customer_id = $1 AND pk = $2 AND overlap_seconds <> $3";
pub const DELETE_ENTRY_CODES: &str = "DELETE FROM entry_codes WHERE customer_id = $1 AND entry_pk = $2";
pub const INSERT_ENTRY_CODES: &str = "INSERT INTO entry_codes (customer_id, entry_pk, code_id, assigned_by, position) \
     SELECT $1, $2, c.code_id, c.assigned_by, c.position FROM unnest($3::text[], $4::text[], $5::bigint[]) AS c (code_id, assigned_by, position)";
pub const INSERT_SOURCE: &str =
    "INSERT INTO sources (customer_id, id, user_id, entry_pk, kind, started_at, ended_at, title) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub const DELETE_SOURCES_OF: &str = "DELETE FROM sources WHERE customer_id = $1 AND entry_pk = $2";
pub const UPSERT_SOURCE: &str =
    "INSERT INTO sources (customer_id, id, user_id, entry_pk, kind, started_at, ended_at, title) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     ON CONFLICT (customer_id, id) DO UPDATE SET user_id = excluded.user_id, entry_pk = excluded.entry_pk, kind = excluded.kind, \
     started_at = excluded.started_at, ended_at = excluded.ended_at, title = excluded.title";
pub const CLOSE_SESSION: &str = "UPDATE sources SET ended_at = GREATEST($3, started_at) WHERE customer_id = $1 AND pk = $2";
pub const RELEASE_SOURCES_TO_POOL: &str = "UPDATE sources SET entry_pk = NULL WHERE customer_id = $1 AND entry_pk = $2";

// ----- events ----------------------------------------------------------------------------------

/// The columns of an event row, in the order `events::event_from_row` reads them.
macro_rules! event_columns {
    () => {
        "seq, customer_id, id, user_id, entry_id, kind, operation, actor_id, role, at, device_at, request_id, changes::text"
    };
}

pub const EVENT: &str = concat!("SELECT ", event_columns!(), " FROM entry_events WHERE customer_id = $1 AND id = $2");
pub const ENTRY_EVENTS: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM entry_events WHERE customer_id = $1 AND entry_id = $2 AND seq > $3 ORDER BY customer_id, entry_id, seq LIMIT $4"
);
pub const CUSTOMER_EVENTS: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM entry_events WHERE customer_id = $1 AND (at, seq) > ($2, $3) AND at <= $4 ORDER BY customer_id, at, seq LIMIT $5"
);
pub const APPEND_EVENT: &str =
    "INSERT INTO entry_events (customer_id, id, user_id, entry_id, kind, operation, actor_id, role, at, device_at, request_id, changes) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text::jsonb) RETURNING seq";
/// Removes at most `$3` of the customer's events older than `$2`, oldest first.
pub const PRUNE_EVENTS: &str = "DELETE FROM entry_events WHERE customer_id = $1 AND seq IN \
     (SELECT seq FROM entry_events WHERE customer_id = $1 AND at < $2 ORDER BY customer_id, at, seq LIMIT $3)";

/// Every statement above (the test below reads each one).
pub const ALL: &[&str] = &[
    REFERENCE_VERSION,
    BUMP_REFERENCE_VERSION,
    ENSURE_CUSTOMER,
    ENSURE_USER,
    CUSTOMER_SETTINGS,
    SAVE_CUSTOMER_SETTINGS,
    USER_TIMEZONE,
    SAVE_USER_TIMEZONE,
    UPSERT_CLIENT,
    UPSERT_CODE_TYPE,
    UPSERT_CODE,
    UPSERT_INITIATIVE,
    DELETE_INITIATIVE_CODES,
    INSERT_INITIATIVE_CODES,
    SET_RESTRICTS_CODES,
    DELETE_INITIATIVE_ACCESS,
    INSERT_INITIATIVE_ACCESS,
    SAVE_VALIDATION_RULES,
    VALIDATION_RULES,
    LIST_VALIDATION_RULES,
    INITIATIVE,
    LIST_INITIATIVES,
    INITIATIVE_CODE_IDS,
    INITIATIVE_ACCESS,
    INITIATIVE_ID_BY_EXTERNAL,
    INITIATIVE_REFS,
    LIST_CODES,
    CODE,
    CODE_BY_EXTERNAL,
    CODE_IDS_BY_EXTERNAL,
    CODE_TYPE_BY_EXTERNAL,
    LIST_CODE_TYPES,
    LIST_CLIENTS,
    CLIENT_BY_EXTERNAL,
    REFERENCE_DELETES[0],
    REFERENCE_DELETES[1],
    REFERENCE_DELETES[2],
    REFERENCE_DELETES[3],
    REFERENCE_DELETES[4],
    REFERENCE_DELETES[5],
    REFERENCE_DELETES[6],
    ENTRY_BY_ID,
    ENTRY_BY_KEY,
    ENTRY_KEY,
    EXISTING_IDS,
    CREATE_REQUEST,
    CODES_OF,
    SOURCES_OF,
    LIST_USER_DATES,
    LIST_USER_DATES_PAGE,
    LIST_USER_DAY_EDITABLE,
    LIST_UPDATED,
    LIST_RELEASED,
    PAGE_UPDATED,
    PAGE_RELEASED,
    EXPORT_BOUNDS,
    TOTALS_OF_USER,
    TOTALS_OF_CUSTOMER,
    AFFECTED_CUSTOMER,
    AFFECTED_USER,
    AFFECTED_INITIATIVE,
    AFFECTED_CODE,
    NEIGHBOURS,
    RUNNING_SESSION,
    FEED,
    APPLIED_OP,
    RECORD_APPLIED_OP,
    IDEMPOTENT_ANSWER,
    RECORD_IDEMPOTENT_ANSWER,
    PRUNE_IDEMPOTENT_ANSWERS,
    LOCAL_CHANGES,
    SET_LOCAL_CHANGES,
    FEED_NEXT,
    FEED_FLUSH,
    INSERT_ENTRY,
    UPDATE_ENTRY,
    SET_OVERLAP,
    DELETE_ENTRY_CODES,
    INSERT_ENTRY_CODES,
    INSERT_SOURCE,
    DELETE_SOURCES_OF,
    UPSERT_SOURCE,
    CLOSE_SESSION,
    RELEASE_SOURCES_TO_POOL,
    EVENT,
    ENTRY_EVENTS,
    CUSTOMER_EVENTS,
    APPEND_EVENT,
    PRUNE_EVENTS,
];

#[cfg(test)]
mod tests {
    use super::*;

    const KEYWORDS: &[&str] = &["WHERE", "JOIN", "LEFT", "ON", "ORDER", "GROUP", "SET", "LIMIT", "AS", "(", ")"];

    fn words(sql: &str) -> Vec<String> {
        sql.replace('(', " ( ").replace(')', " ) ").replace(',', " , ").split_whitespace().map(str::to_string).collect()
    }

    /// The (table, alias) pairs a statement reads or writes.
    fn tables_of(sql: &str) -> Vec<(String, String)> {
        let w = words(sql);
        let mut out = Vec::new();
        for (i, word) in w.iter().enumerate() {
            if !matches!(word.as_str(), "FROM" | "JOIN" | "UPDATE" | "INTO") {
                continue;
            }
            let Some(table) = w.get(i + 1) else { continue };
            if !TABLES.contains(&table.as_str()) {
                continue;
            }
            let alias = match w.get(i + 2) {
                Some(a) if !KEYWORDS.contains(&a.as_str()) && a != "," => a.clone(),
                _ => table.clone(),
            };
            out.push((table.clone(), alias));
        }
        out
    }

    /// The column list after `INSERT INTO t (` or `ON CONFLICT (`.
    fn first_in_list(sql: &str, after: &str) -> Option<String> {
        let at = sql.find(after)? + after.len();
        let rest = sql.get(at..)?.trim_start().strip_prefix('(')?;
        Some(rest.split([',', ')']).next()?.trim().to_string())
    }

    /// Every statement names a tenant table and is scoped by customer: each table it reads or
    /// updates is filtered on `customer_id` (by its alias in a join), each insert writes
    /// `customer_id` first, each conflict target starts with it. A statement added without the
    /// filter fails here.
    #[test]
    fn every_statement_filters_on_customer_id() {
        assert!(ALL.len() >= 80, "the list holds {} statements", ALL.len());
        for sql in ALL {
            let tables = tables_of(sql);
            assert!(!tables.is_empty(), "names no tenant table: {sql}");
            if sql.starts_with("INSERT INTO") {
                let table = &tables[0].0;
                assert_eq!(first_in_list(sql, &format!("INSERT INTO {table}")).as_deref(), Some("customer_id"), "{sql}");
                if sql.contains("ON CONFLICT (") {
                    assert_eq!(first_in_list(sql, "ON CONFLICT").as_deref(), Some("customer_id"), "conflict target: {sql}");
                }
                // An insert reads no other table.
                assert!(tables.len() == 1, "{sql}");
                continue;
            }
            for (table, alias) in tables {
                let filter = if alias == table { "customer_id = $1".to_string() } else { format!("{alias}.customer_id = $1") };
                let filtered = if alias == table {
                    // Unaliased: the only table of the statement, filtered outside any join.
                    sql.contains(&format!("WHERE {filter}"))
                } else {
                    sql.contains(&filter)
                };
                assert!(filtered, "{table} ({alias}) is not filtered on customer_id: {sql}");
            }
        }
    }

    /// The list holds each statement once (a statement missing from it would escape the test:
    /// every `pub const` of this module that is SQL must be listed).
    #[test]
    fn the_list_names_every_statement_once() {
        let src = include_str!("sql.rs");
        let declared = src.lines().filter(|l| l.starts_with("pub const ") && l.contains(": &str")).count();
        let mut seen = std::collections::HashSet::new();
        for sql in ALL {
            assert!(seen.insert(*sql), "listed twice: {sql}");
        }
        assert_eq!(declared + REFERENCE_DELETES.len(), ALL.len(), "a declared statement is missing from ALL");
    }
}
