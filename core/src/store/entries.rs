//! Entries in the store: reading an entry with its matter, codes and sources; writing it back in
//! one statement; settling its derived figures (units, status) from the pure rules; keeping
//! overlap current through the source-interval index; and the listing queries.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{params, CachedStatement, Connection, OptionalExtension, Row, Statement};

use crate::error::{Result, RuleFailure, TenthsError};
use crate::rules::ids::ObjectId;
use crate::model::*;
use crate::rules::overlap::{overlap_millis, Interval};
use crate::rules::status::Status;
use crate::store::lookups::Lookups;
use crate::rules::time::{Date, Timestamp};
use crate::rules::units;
use crate::rules::validation::{self, CodeFacts, EntryFacts, InitiativeFacts, Verdict};

/// Counters the engine keeps for tests and diagnostics.
#[derive(Debug, Default)]
pub struct Stats {
    /// Source rows read while keeping overlap current.
    pub overlap_rows_visited: AtomicU64,
}

pub(crate) const ENTRY_COLUMNS: &str =
    "pk, customer_id, id, user_id, created_by, released_by, external_id, enrichment_correlation_id, summary, notes, work_date, \
     initiative_id, creation_method, created_as_timer, timer_duration_adjustment_in_seconds, entered_duration_in_seconds, raw_seconds, unit_increments, \
     units_from_sources, units_adjustments, overlap_seconds, status, status_errors, re_release_failed_messages, is_locked, is_deleted, release_count, \
     last_release_pending_at, last_release_failed_at, release_success_at, last_synced_at, created_at, updated_at, version";

fn storage(reason: impl std::fmt::Display) -> TenthsError {
    TenthsError::Storage { reason: reason.to_string() }
}

fn ts(v: Option<i64>) -> rusqlite::Result<Option<Timestamp>> {
    v.map(|ms| Timestamp::from_millis(ms).map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Integer, Box::new(e)))).transpose()
}

fn ts1(ms: i64) -> rusqlite::Result<Timestamp> {
    Timestamp::from_millis(ms).map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Integer, Box::new(e)))
}

/// Reads the columns of [`ENTRY_COLUMNS`]; matter, codes and sources are filled by [`complete`].
pub(crate) fn entry_from_row(r: &Row<'_>) -> rusqlite::Result<(i64, Entry)> {
    let status_s: String = r.get(21)?;
    let status = Status::parse(&status_s).map_err(|e| rusqlite::Error::FromSqlConversionFailure(21, rusqlite::types::Type::Text, Box::new(e)))?;
    let errors: Option<String> = r.get(22)?;
    let (mut validation_failed_errors, mut release_failed_errors) = (Vec::new(), Vec::new());
    if let Some(json) = errors.as_deref() {
        let bad = |e: serde_json::Error| rusqlite::Error::FromSqlConversionFailure(22, rusqlite::types::Type::Text, Box::new(e));
        match status {
            Status::ReleaseFailed => release_failed_errors = serde_json::from_str(json).map_err(bad)?,
            _ => validation_failed_errors = serde_json::from_str::<Vec<StoredRuleFailure>>(json).map_err(bad)?.into_iter().map(Into::into).collect(),
        }
    }
    let messages: Option<String> = r.get(23)?;
    let re_release_failed_messages = match messages {
        Some(json) => serde_json::from_str(&json).map_err(|e| rusqlite::Error::FromSqlConversionFailure(23, rusqlite::types::Type::Text, Box::new(e)))?,
        None => Vec::new(),
    };
    let work_date: String = r.get(10)?;
    let work_date = Date::parse(&work_date).map_err(|e| rusqlite::Error::FromSqlConversionFailure(10, rusqlite::types::Type::Text, Box::new(e)))?;
    Ok((
        r.get(0)?,
        Entry {
            customer_id: r.get(1)?,
            id: r.get(2)?,
            user_id: r.get(3)?,
            created_by: r.get(4)?,
            released_by: r.get(5)?,
            external_id: r.get(6)?,
            enrichment_correlation_id: r.get(7)?,
            summary: r.get(8)?,
            notes: r.get(9)?,
            work_date,
            initiative_id: r.get(11)?,
            initiative: None,
            codes: Vec::new(),
            creation_method: r.get(12)?,
            created_as_timer: r.get(13)?,
            timer_duration_adjustment_in_seconds: r.get(14)?,
            entered_duration_in_seconds: r.get(15)?,
            raw_seconds: r.get(16)?,
            unit_increments: r.get(17)?,
            unit_increment_count_from_sources: r.get(18)?,
            unit_increment_count_adjustments: r.get(19)?,
            overlap_time_in_seconds: r.get(20)?,
            status,
            validation_failed_errors,
            release_failed_errors,
            re_release_failed_messages,
            is_locked: r.get(24)?,
            is_deleted: r.get(25)?,
            release_count: r.get(26)?,
            last_release_pending_at: ts(r.get(27)?)?,
            last_release_failed_at: ts(r.get(28)?)?,
            release_success_at: ts(r.get(29)?)?,
            last_synced_at: ts(r.get(30)?)?,
            created_at: ts1(r.get(31)?)?,
            updated_at: ts1(r.get(32)?)?,
            version: r.get(33)?,
            sources: Vec::new(),
        },
    ))
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredRuleFailure {
    rule: String,
    title: String,
    description: String,
}

impl From<StoredRuleFailure> for RuleFailure {
    fn from(s: StoredRuleFailure) -> Self {
        RuleFailure { rule: s.rule, title: s.title, description: s.description }
    }
}

/// Fills the matter, codes and sources of an entry read by [`entry_from_row`].
pub(crate) fn complete(conn: &Connection, lk: &mut Lookups, pk: i64, e: &mut Entry) -> Result<()> {
    e.initiative = match &e.initiative_id {
        Some(id) => lk.initiative_ref(conn, &e.customer_id, id)?,
        None => None,
    };
    let mut stmt = conn.prepare_cached(
        // CROSS JOIN keeps entry_codes as the outer loop (without it, and without statistics, the
        // planner may walk every code of the customer and probe entry_codes for each).
        "SELECT c.id, c.external_id, c.code_type_external_id, c.name, ec.assigned_by FROM entry_codes ec
         CROSS JOIN codes c ON c.customer_id = ?2 AND c.id = ec.code_id WHERE ec.entry_pk = ?1 ORDER BY ec.position",
    )?;
    e.codes = stmt
        .query_map(params![pk, e.customer_id], |r| {
            Ok(WorkCode {
                id: r.get(0)?,
                external_id: r.get(1)?,
                code_type_external_id: r.get(2)?,
                name: r.get(3)?,
                assigned_by: if r.get::<_, String>(4)? == "system" { AssignedBy::System } else { AssignedBy::User },
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    e.sources = sources_of(conn, pk)?;
    Ok(())
}

/// The sources of an entry, by start.
pub(crate) fn sources_of(conn: &Connection, pk: i64) -> Result<Vec<Source>> {
    let mut stmt = conn.prepare_cached("SELECT id, kind, started_at, ended_at, title FROM sources WHERE entry_pk = ?1 ORDER BY started_at, id")?;
    let rows = stmt.query_map(params![pk], |r| {
        Ok((r.get::<_, ObjectId>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, Option<i64>>(3)?, r.get::<_, Option<String>>(4)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, kind, start, end, title) = row?;
        out.push(Source { id, kind: SourceKind::parse(&kind).map_err(storage)?, started_at: ts1(start)?, ended_at: ts(end)?, title });
    }
    Ok(out)
}

/// Finds an entry of the customer by id (deleted ones too), complete.
pub(crate) fn find(conn: &Connection, lk: &mut Lookups, customer: &ObjectId, id: &ObjectId) -> Result<Option<(i64, Entry)>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE customer_id = ?1 AND id = ?2");
    let row = conn.prepare_cached(&sql)?.query_row(params![customer, id], entry_from_row).optional()?;
    match row {
        None => Ok(None),
        Some((pk, mut e)) => {
            complete(conn, lk, pk, &mut e)?;
            Ok(Some((pk, e)))
        }
    }
}

/// The row of an entry by pk, without its matter, codes and sources (see [`complete`]).
pub(crate) fn row_by_pk(conn: &Connection, pk: i64) -> Result<(i64, Entry)> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE pk = ?1");
    Ok(conn.prepare_cached(&sql)?.query_row(params![pk], entry_from_row)?)
}

/// Finds a live (not deleted) entry of the user, or the same 404 whether it is missing, deleted,
/// or someone else's.
pub(crate) fn find_scoped(conn: &Connection, lk: &mut Lookups, customer: &ObjectId, user: Option<&ObjectId>, id: &ObjectId) -> Result<(i64, Entry)> {
    match find(conn, lk, customer, id)? {
        Some((pk, e)) if !e.is_deleted && user.is_none_or(|u| *u == e.user_id) => Ok((pk, e)),
        _ => Err(TenthsError::not_found("entry", id)),
    }
}

/// Runs a listing query over [`ENTRY_COLUMNS`] and completes every entry.
pub(crate) fn query_entries(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Vec<Entry>> {
    Ok(query_entries_with_pk(conn, &mut Lookups::default(), sql, p)?.into_iter().map(|(_, e)| e).collect())
}

/// [`query_entries`] that keeps each entry's pk and reads reference data through `lk`.
pub(crate) fn query_entries_with_pk(conn: &Connection, lk: &mut Lookups, sql: &str, p: impl rusqlite::Params) -> Result<Vec<(i64, Entry)>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows: Vec<(i64, Entry)> = stmt.query_map(p, entry_from_row)?.collect::<rusqlite::Result<_>>()?;
    complete_all(conn, lk, &mut rows, true)?;
    Ok(rows)
}

/// [`query_entries_with_pk`] for a reader that never looks at sources (the CSV export): the
/// entries come without them.
pub(crate) fn query_entries_without_sources(conn: &Connection, lk: &mut Lookups, sql: &str, p: impl rusqlite::Params) -> Result<Vec<(i64, Entry)>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows: Vec<(i64, Entry)> = stmt.query_map(p, entry_from_row)?.collect::<rusqlite::Result<_>>()?;
    complete_all(conn, lk, &mut rows, false)?;
    Ok(rows)
}

/// Entries completed per statement by [`complete_all`] (bounds the bound JSON list).
const COMPLETE_CHUNK: usize = 500;

/// [`complete`] for many entries of one customer: their matters through `lk`, then the codes
/// and the sources of up to [`COMPLETE_CHUNK`] entries with one statement each (the pks bound
/// as one JSON array), assembled in memory (sources only `with_sources`). A page of 100 runs
/// 3 statements instead of 201.
/// Rows of several customers (never produced by the engine's queries) are completed one by one.
pub(crate) fn complete_all(conn: &Connection, lk: &mut Lookups, rows: &mut [(i64, Entry)], with_sources: bool) -> Result<()> {
    let Some(customer) = rows.first().map(|(_, e)| e.customer_id) else { return Ok(()) };
    if rows.iter().any(|(_, e)| e.customer_id != customer) {
        for (pk, e) in rows.iter_mut() {
            complete(conn, lk, *pk, e)?;
        }
        return Ok(());
    }
    let matters: Vec<ObjectId> = rows.iter().filter_map(|(_, e)| e.initiative_id).collect();
    lk.preload_initiative_refs(conn, &customer, &matters)?;
    for (_, e) in rows.iter_mut() {
        e.initiative = match &e.initiative_id {
            Some(id) => lk.initiative_ref(conn, &customer, id)?,
            None => None,
        };
    }
    // The customer filters stay (tenancy) but must not drive the plan: `+customer_id` keeps the
    // (customer_id, id) index out, so sources are found through `sources_by_entry`.
    for chunk in rows.chunks_mut(COMPLETE_CHUNK) {
        let mut at: std::collections::HashMap<i64, usize> = std::collections::HashMap::with_capacity(chunk.len());
        let mut pks = String::with_capacity(chunk.len() * 8 + 2);
        pks.push('[');
        for (i, (pk, _)) in chunk.iter().enumerate() {
            if i > 0 {
                pks.push(',');
            }
            pks.push_str(&pk.to_string());
            at.insert(*pk, i);
        }
        pks.push(']');
        let mut codes = conn.prepare_cached(
            "SELECT ec.entry_pk, c.id, c.external_id, c.code_type_external_id, c.name, ec.assigned_by FROM entry_codes ec
             CROSS JOIN codes c ON c.customer_id = ?1 AND c.id = ec.code_id WHERE ec.entry_pk IN (SELECT value FROM json_each(?2))
             ORDER BY ec.entry_pk, ec.position",
        )?;
        let mut q = codes.query(params![customer, pks])?;
        while let Some(r) = q.next()? {
            let pk: i64 = r.get(0)?;
            let code = WorkCode {
                id: r.get(1)?,
                external_id: r.get(2)?,
                code_type_external_id: r.get(3)?,
                name: r.get(4)?,
                assigned_by: if r.get_ref(5)?.as_str().map_err(storage)? == "system" { AssignedBy::System } else { AssignedBy::User },
            };
            if let Some((_, e)) = at.get(&pk).and_then(|i| chunk.get_mut(*i)) {
                e.codes.push(code);
            }
        }
        if !with_sources {
            continue;
        }
        let mut sources = conn.prepare_cached(
            "SELECT entry_pk, id, kind, started_at, ended_at, title FROM sources
             WHERE +customer_id = ?1 AND entry_pk IN (SELECT value FROM json_each(?2)) ORDER BY entry_pk, started_at, pk",
        )?;
        let mut q = sources.query(params![customer, pks])?;
        while let Some(r) = q.next()? {
            let pk: i64 = r.get(0)?;
            let source = Source {
                id: r.get(1)?,
                kind: SourceKind::parse(r.get_ref(2)?.as_str().map_err(storage)?).map_err(storage)?,
                started_at: ts1(r.get(3)?)?,
                ended_at: ts(r.get(4)?)?,
                title: r.get(5)?,
            };
            if let Some((_, e)) = at.get(&pk).and_then(|i| chunk.get_mut(*i)) {
                e.sources.push(source);
            }
        }
    }
    Ok(())
}

fn errors_json(e: &Entry) -> Result<Option<String>> {
    Ok(match e.status {
        Status::ValidationFailed => Some(serde_json::to_string(&e.validation_failed_errors).map_err(storage)?),
        Status::ReleaseFailed => Some(serde_json::to_string(&e.release_failed_errors).map_err(storage)?),
        _ => None,
    })
}

fn messages_json(e: &Entry) -> Result<Option<String>> {
    if e.re_release_failed_messages.is_empty() {
        Ok(None)
    } else {
        serde_json::to_string(&e.re_release_failed_messages).map(Some).map_err(storage)
    }
}

const INSERT_ENTRY: &str = "INSERT INTO entries (customer_id, id, user_id, created_by, released_by, external_id, enrichment_correlation_id, summary, notes, work_date,
       initiative_id, creation_method, created_as_timer, timer_duration_adjustment_in_seconds, entered_duration_in_seconds, raw_seconds, unit_increments,
       units_from_sources, units_adjustments, overlap_seconds, status, status_errors, re_release_failed_messages, is_locked, is_deleted, release_count,
       last_release_pending_at, last_release_failed_at, release_success_at, last_synced_at, created_at, updated_at, version, create_request,
       change_seq, local_changes)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34,
       (SELECT COALESCE(MAX(change_seq), 0) + 1 FROM entries WHERE customer_id = ?1 AND user_id = ?3),
       EXISTS (SELECT 1 FROM sync_devices WHERE customer_id = ?1 AND user_id = ?3))";

const INSERT_SOURCE: &str =
    "INSERT INTO sources (customer_id, id, user_id, entry_pk, kind, started_at, ended_at, title) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// Closed source intervals of one user's live entries that start in `(?3, ?4)` and end after `?5`.
const NEIGHBOURS: &str = "SELECT entry_pk, started_at, ended_at FROM sources
     WHERE customer_id = ?1 AND user_id = ?2 AND entry_pk IS NOT NULL AND ended_at IS NOT NULL
       AND started_at > ?3 AND started_at < ?4 AND ended_at > ?5";

/// Inserts a new entry row (without codes or sources); returns its pk.
pub(crate) fn insert(conn: &Connection, e: &Entry, create_request: Option<&str>) -> Result<i64> {
    let mut stmt = conn.prepare_cached(INSERT_ENTRY)?;
    insert_with(conn, &mut stmt, e, create_request)
}

/// [`insert`] with the statement already prepared.
fn insert_with(conn: &Connection, stmt: &mut Statement<'_>, e: &Entry, create_request: Option<&str>) -> Result<i64> {
    stmt.execute(params![
        e.customer_id,
        e.id,
        e.user_id,
        e.created_by,
        e.released_by,
        e.external_id,
        e.enrichment_correlation_id,
        e.summary,
        e.notes,
        e.work_date.to_string(),
        e.initiative_id,
        e.creation_method,
        e.created_as_timer,
        e.timer_duration_adjustment_in_seconds,
        e.entered_duration_in_seconds,
        e.raw_seconds,
        e.unit_increments,
        e.unit_increment_count_from_sources,
        e.unit_increment_count_adjustments,
        e.overlap_time_in_seconds,
        e.status.as_str(),
        errors_json(e)?,
        messages_json(e)?,
        e.is_locked,
        e.is_deleted,
        e.release_count,
        e.last_release_pending_at.map(Timestamp::millis),
        e.last_release_failed_at.map(Timestamp::millis),
        e.release_success_at.map(Timestamp::millis),
        e.last_synced_at.map(Timestamp::millis),
        e.created_at.millis(),
        e.updated_at.millis(),
        e.version,
        create_request,
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Writes every mutable column of an entry back (one statement), moving its feed position and
/// counting it as a local change of a syncing device when its version moved.
pub(crate) fn save(conn: &Connection, pk: i64, e: &Entry) -> Result<()> {
    write_row(conn, pk, e, None)
}

/// The one UPDATE of an entry row: every column a write or a synced copy may change, the feed
/// position, and the unsent-change counter — set to `local_changes` when given (a copy that came
/// through sync), else bumped when the version moved on a database that syncs for the user.
fn write_row(conn: &Connection, pk: i64, e: &Entry, local_changes: Option<i64>) -> Result<()> {
    conn.prepare_cached(
        "UPDATE entries SET released_by = ?2, external_id = ?3, summary = ?4, notes = ?5, work_date = ?6, initiative_id = ?7,
           timer_duration_adjustment_in_seconds = ?8, entered_duration_in_seconds = ?9, raw_seconds = ?10, unit_increments = ?11, units_from_sources = ?12,
           units_adjustments = ?13, status = ?14, status_errors = ?15, re_release_failed_messages = ?16, is_locked = ?17, is_deleted = ?18,
           release_count = ?19, last_release_pending_at = ?20, last_release_failed_at = ?21, release_success_at = ?22, last_synced_at = ?23,
           updated_at = ?24, version = ?25, created_by = ?28, enrichment_correlation_id = ?29, creation_method = ?30, created_as_timer = ?31,
           created_at = ?32,
           change_seq = (SELECT COALESCE(MAX(change_seq), 0) + 1 FROM entries WHERE customer_id = ?26 AND user_id = ?27),
           local_changes = COALESCE(?33, local_changes + (version <> ?25 AND EXISTS (SELECT 1 FROM sync_devices WHERE customer_id = ?26 AND user_id = ?27)))
         WHERE pk = ?1",
    )?
    .execute(params![
        pk,
        e.released_by,
        e.external_id,
        e.summary,
        e.notes,
        e.work_date.to_string(),
        e.initiative_id,
        e.timer_duration_adjustment_in_seconds,
        e.entered_duration_in_seconds,
        e.raw_seconds,
        e.unit_increments,
        e.unit_increment_count_from_sources,
        e.unit_increment_count_adjustments,
        e.status.as_str(),
        errors_json(e)?,
        messages_json(e)?,
        e.is_locked,
        e.is_deleted,
        e.release_count,
        e.last_release_pending_at.map(Timestamp::millis),
        e.last_release_failed_at.map(Timestamp::millis),
        e.release_success_at.map(Timestamp::millis),
        e.last_synced_at.map(Timestamp::millis),
        e.updated_at.millis(),
        e.version,
        e.customer_id,
        e.user_id,
        e.created_by,
        e.enrichment_correlation_id,
        e.creation_method,
        e.created_as_timer,
        e.created_at.millis(),
        local_changes,
    ])?;
    Ok(())
}

/// Replaces the codes of an entry.
pub(crate) fn replace_codes(conn: &Connection, pk: i64, codes: &[WorkCode]) -> Result<()> {
    conn.prepare_cached("DELETE FROM entry_codes WHERE entry_pk = ?1")?.execute(params![pk])?;
    insert_codes(conn, pk, codes)
}

/// Adds the codes of an entry that has none stored.
pub(crate) fn insert_codes(conn: &Connection, pk: i64, codes: &[WorkCode]) -> Result<()> {
    if codes.is_empty() {
        return Ok(());
    }
    let mut ins = conn.prepare_cached("INSERT INTO entry_codes (entry_pk, code_id, assigned_by, position) VALUES (?1, ?2, ?3, ?4)")?;
    for (i, c) in codes.iter().enumerate() {
        let by = match c.assigned_by {
            AssignedBy::User => "user",
            AssignedBy::System => "system",
        };
        ins.execute(params![pk, c.id, by, i64::try_from(i).unwrap_or(i64::MAX)])?;
    }
    Ok(())
}

/// Resolves code ids to codes of the customer: every id must exist, none twice.
pub(crate) fn resolve_codes(conn: &Connection, lk: &mut Lookups, customer: &ObjectId, ids: &[ObjectId]) -> Result<Vec<WorkCode>> {
    if ids.len() > MAX_CODES_PER_ENTRY {
        return Err(TenthsError::invalid("codeIds", format!("at most {MAX_CODES_PER_ENTRY} codes")));
    }
    let mut out: Vec<WorkCode> = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if out.iter().any(|c| c.id == *id) {
            return Err(TenthsError::invalid(format!("codeIds[{i}]"), format!("code {id} is given twice")));
        }
        let code = lk.code(conn, customer, id)?.ok_or_else(|| TenthsError::not_found("code", format!("{id} (codeIds[{i}])")))?;
        out.push(WorkCode {
            id: code.id,
            external_id: code.external_id.clone(),
            code_type_external_id: code.code_type_external_id.clone(),
            name: code.name.clone(),
            assigned_by: AssignedBy::User,
        });
    }
    Ok(out)
}

/// Inserts a source of an entry.
pub(crate) fn insert_source(conn: &Connection, customer: &ObjectId, user: &ObjectId, pk: i64, s: &Source) -> Result<()> {
    let mut stmt = conn.prepare_cached(INSERT_SOURCE)?;
    insert_source_with(&mut stmt, customer, user, pk, s)
}

/// [`insert_source`] with the statement already prepared.
fn insert_source_with(stmt: &mut Statement<'_>, customer: &ObjectId, user: &ObjectId, pk: i64, s: &Source) -> Result<()> {
    let r = stmt.execute(params![customer, s.id, user, pk, s.kind.as_str(), s.started_at.millis(), s.ended_at.map(Timestamp::millis), s.title]);
    match r {
        Err(rusqlite::Error::SqliteFailure(f, Some(msg)))
            if f.code == rusqlite::ErrorCode::ConstraintViolation && msg.contains("sources.customer_id, sources.user_id") =>
        {
            Err(TenthsError::conflict("the user already has a running timer"))
        }
        other => other.map(|_| ()).map_err(Into::into),
    }
}

/// Recomputes the derived figures of an entry in memory: its matter, raw seconds and units, and,
/// while it is editable (and not locked), its validation status. Does not write. Returns the
/// verdict it applied, or `None` when the entry's status was left as it is.
pub(crate) fn settle(conn: &Connection, lk: &mut Lookups, now: Timestamp, e: &mut Entry) -> Result<Option<Verdict>> {
    let settings = lk.settings(conn, &e.customer_id)?;
    let (initiative, initiative_ref) = match &e.initiative_id {
        Some(id) => (lk.initiative(conn, &e.customer_id, id)?, lk.initiative_ref(conn, &e.customer_id, id)?),
        None => (None, None),
    };
    e.initiative = initiative_ref;
    let inc = initiative.as_ref().map(|i| i.unit_increments).unwrap_or(settings.default_unit_increments);
    let measured = if e.sources.is_empty() {
        e.entered_duration_in_seconds.unwrap_or(0)
    } else {
        let ms = e.sources.iter().filter_map(|s| s.ended_at.map(|end| end.millis() - s.started_at.millis())).fold(0i64, |a, b| a.saturating_add(b));
        units::millis_to_seconds(ms)
    };
    let raw = units::raw_seconds(measured, e.timer_duration_adjustment_in_seconds)?;
    let u = units::compute(raw, inc, e.unit_increment_count_adjustments, settings.policy())?;
    e.raw_seconds = u.raw_seconds;
    e.unit_increments = u.increment_seconds;
    e.unit_increment_count_from_sources = u.from_sources;
    if e.is_locked || !e.status.is_editable() {
        return Ok(None);
    }
    let v = verdict(conn, lk, now, e, initiative.as_deref())?;
    match &v {
        Verdict::Pending => {
            e.status = Status::ValidationPending;
            e.validation_failed_errors.clear();
        }
        Verdict::Succeeded => {
            e.status = Status::ValidationSucceeded;
            e.validation_failed_errors.clear();
        }
        Verdict::Failed(f) => {
            e.status = Status::ValidationFailed;
            e.validation_failed_errors = f.clone();
        }
    }
    e.release_failed_errors.clear();
    Ok(Some(v))
}

/// Runs the validation rules on an entry as it is now.
pub(crate) fn verdict(conn: &Connection, lk: &mut Lookups, now: Timestamp, e: &Entry, initiative: Option<&Initiative>) -> Result<Verdict> {
    let initiative_facts = match (&e.initiative_id, initiative) {
        (None, _) => InitiativeFacts::Missing,
        (Some(_), None) => InitiativeFacts::Unknown,
        (Some(_), Some(i)) => InitiativeFacts::Known {
            is_pms: i.kind == InitiativeType::Pms,
            is_active: i.status == InitiativeStatus::Active,
            user_denied: i.denied_user_ids.contains(&e.user_id) || (!i.allowed_user_ids.is_empty() && !i.allowed_user_ids.contains(&e.user_id)),
            allowed_code_ids: i.allowed_code_ids.as_ref().map(|ids| ids.iter().map(|id| id.to_string()).collect()),
        },
    };
    let mut codes = Vec::with_capacity(e.codes.len());
    for c in &e.codes {
        let disabled = lk.code(conn, &e.customer_id, &c.id)?.map(|c| c.is_disabled).unwrap_or(true);
        codes.push(CodeFacts {
            id: c.id.to_string(),
            external_id: c.external_id.clone(),
            code_type_external_id: c.code_type_external_id.clone(),
            is_disabled: disabled,
        });
    }
    let rules = lk.rules(conn, &e.customer_id, e.initiative_id.as_ref())?;
    let zone = lk.zone(conn, &e.customer_id, &e.user_id)?;
    let facts = EntryFacts {
        initiative: initiative_facts,
        summary: &e.summary,
        codes: &codes,
        raw_seconds: e.raw_seconds,
        billed_seconds: e.increment_duration_in_seconds(),
        unit_count: e.unit_increment_count(),
        work_date: e.work_date,
        today: now.local_date(zone),
        timer_running: e.timer_running(),
    };
    Ok(validation::validate(&facts, &rules))
}

/// Settles an entry and writes it.
pub(crate) fn settle_and_save(conn: &Connection, lk: &mut Lookups, now: Timestamp, pk: i64, e: &mut Entry) -> Result<()> {
    settle(conn, lk, now, e)?;
    save(conn, pk, e)
}

/// Stores new entries: the statements a create runs for every entry, taken from the statement
/// cache once for a batch of creates (a bulk import) rather than once per row.
pub(crate) struct Inserter<'c> {
    conn: &'c Connection,
    entry: CachedStatement<'c>,
    source: CachedStatement<'c>,
    neighbours: CachedStatement<'c>,
    /// Existing entries whose overlap the new ones changed, refreshed once in [`Inserter::finish`]
    /// (not after every insert: a batch of n entries over one interval would cost n³ reads).
    stale: BTreeSet<(ObjectId, ObjectId, i64)>,
    /// Intervals of one user held in memory for a batch (see [`Inserter::prefetch`]).
    known: Option<Known>,
}

/// Longest span of new intervals whose stored neighbours [`Inserter::prefetch`] reads at once (a
/// user's month of imports and a day on either side); longer spans are read entry by entry.
const PREFETCH_MAX_SPAN_MILLIS: i64 = 40 * 86_400_000;

/// The closed intervals of one user's live entries in some ranges: every stored one that meets
/// an interval inside a covered range, plus those a batch inserted since, as (start, end, pk).
struct Known {
    customer: ObjectId,
    user: ObjectId,
    covered: Vec<Interval>,
    set: BTreeSet<(i64, i64, i64)>,
}

impl Known {
    /// The neighbours of `iv` when its range is covered (the rows [`NEIGHBOURS`] would answer).
    fn neighbours(&self, customer: &ObjectId, user: &ObjectId, iv: Interval) -> Option<Vec<(i64, Interval)>> {
        if self.customer != *customer || self.user != *user || !self.covered.iter().any(|c| c.start <= iv.start && iv.end <= c.end) {
            return None;
        }
        let from = iv.start.saturating_sub(MAX_SOURCE_MILLIS).saturating_add(1);
        Some(
            self.set
                .range((from, i64::MIN, i64::MIN)..(iv.end, i64::MIN, i64::MIN))
                .filter(|(_, end, _)| *end > iv.start)
                .map(|(start, end, pk)| (*pk, Interval { start: *start, end: *end }))
                .collect(),
        )
    }
}

impl<'c> Inserter<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Result<Inserter<'c>> {
        Ok(Inserter {
            conn,
            entry: conn.prepare_cached(INSERT_ENTRY)?,
            source: conn.prepare_cached(INSERT_SOURCE)?,
            neighbours: conn.prepare_cached(NEIGHBOURS)?,
            stale: BTreeSet::new(),
            known: None,
        })
    }

    /// Reads, once, the stored intervals of `user` that may meet any of the `new` intervals a
    /// batch is about to insert: one index range per cluster of new intervals (intervals closer
    /// than [`MAX_SOURCE_MILLIS`] share one), instead of one range per new interval. Inserts
    /// then measure overlap in memory, against these and the batch's own earlier entries.
    pub(crate) fn prefetch(&mut self, customer: &ObjectId, user: &ObjectId, new: &[Interval], stats: &Stats) -> Result<()> {
        let mut sorted: Vec<Interval> = new.iter().copied().filter(|iv| iv.end > iv.start).collect();
        sorted.sort_unstable();
        let mut clusters: Vec<Interval> = Vec::new();
        for iv in sorted {
            match clusters.last_mut() {
                Some(c) if iv.start < c.end.saturating_add(MAX_SOURCE_MILLIS) => c.end = c.end.max(iv.end),
                _ => clusters.push(iv),
            }
        }
        let mut known = Known { customer: *customer, user: *user, covered: Vec::new(), set: BTreeSet::new() };
        for c in clusters.into_iter().filter(|c| c.end - c.start <= PREFETCH_MAX_SPAN_MILLIS) {
            for (pk, iv) in neighbours_with(&mut self.neighbours, customer, user, c, stats)? {
                known.set.insert((iv.start, iv.end, pk));
            }
            known.covered.push(c);
        }
        self.known = Some(known);
        Ok(())
    }

    /// Refreshes the overlap of every entry the inserted ones met, once each. Must be called
    /// before the transaction commits.
    pub(crate) fn finish(&mut self, stats: &Stats) -> Result<()> {
        for (customer, user, pk) in std::mem::take(&mut self.stale) {
            update_overlap(self.conn, &mut self.neighbours, &customer, &user, pk, stats)?;
        }
        Ok(())
    }

    /// Stores a new, settled entry with its codes and sources; returns its pk. Its overlap is
    /// measured against the neighbours read before its own sources exist (the intervals a
    /// refresh would find, minus its own); the entries it meets are refreshed by `finish`.
    pub(crate) fn insert_new(&mut self, e: &mut Entry, create_request: Option<&str>, stats: &Stats) -> Result<i64> {
        let mine = intervals(&e.sources);
        let mut affected = BTreeSet::new();
        let mut others = Vec::new();
        for iv in &mine {
            let found = match self.known.as_ref().and_then(|k| k.neighbours(&e.customer_id, &e.user_id, *iv)) {
                Some(found) => found,
                None => neighbours_with(&mut self.neighbours, &e.customer_id, &e.user_id, *iv, stats)?,
            };
            for (pk, other) in found {
                affected.insert(pk);
                others.push(other);
            }
        }
        e.overlap_time_in_seconds = units::millis_to_seconds(overlap_millis(&mine, &others));
        let pk = insert_with(self.conn, &mut self.entry, e, create_request)?;
        if let Some(k) = self.known.as_mut().filter(|k| k.customer == e.customer_id && k.user == e.user_id) {
            k.set.extend(mine.iter().map(|iv| (iv.start, iv.end, pk)));
        }
        insert_codes(self.conn, pk, &e.codes)?;
        for s in &e.sources {
            insert_source_with(&mut self.source, &e.customer_id, &e.user_id, pk, s)?;
        }
        for other in affected {
            self.stale.insert((e.customer_id, e.user_id, other));
        }
        Ok(pk)
    }
}

/// The closed intervals of an entry's sources.
pub(crate) fn intervals(sources: &[Source]) -> Vec<Interval> {
    sources.iter().filter_map(|s| s.ended_at.map(|end| Interval { start: s.started_at.millis(), end: end.millis() })).filter(|iv| iv.end > iv.start).collect()
}

/// Closed source intervals of the user's other live entries that meet `iv`, with their entry.
/// Reads only the index range of intervals starting in `[iv.start - MAX_SOURCE_MILLIS, iv.end)`.
/// `stmt` is [`NEIGHBOURS`], prepared.
fn neighbours_with(stmt: &mut Statement<'_>, customer: &ObjectId, user: &ObjectId, iv: Interval, stats: &Stats) -> Result<Vec<(i64, Interval)>> {
    let rows = stmt.query_map(params![customer, user, iv.start.saturating_sub(MAX_SOURCE_MILLIS), iv.end, iv.start], |r| {
        Ok((r.get::<_, i64>(0)?, Interval { start: r.get(1)?, end: r.get(2)? }))
    })?;
    let mut out = Vec::new();
    for row in rows {
        stats.overlap_rows_visited.fetch_add(1, Ordering::Relaxed);
        out.push(row?);
    }
    Ok(out)
}

/// Keeps `overlapTimeInSeconds` current after the intervals `touched` (old and new) of entry
/// `changed` changed: recomputes that entry and every entry with an interval meeting them.
/// Returns the new overlap of `changed`, in seconds.
pub(crate) fn refresh_overlap(conn: &Connection, customer: &ObjectId, user: &ObjectId, changed: i64, touched: &[Interval], stats: &Stats) -> Result<i64> {
    let mut stmt = conn.prepare_cached(NEIGHBOURS)?;
    let mut changed_overlap = 0;
    let mut affected = BTreeSet::from([changed]);
    for iv in touched {
        for (pk, _) in neighbours_with(&mut stmt, customer, user, *iv, stats)? {
            affected.insert(pk);
        }
    }
    for pk in affected {
        let seconds = update_overlap(conn, &mut stmt, customer, user, pk, stats)?;
        if pk == changed {
            changed_overlap = seconds;
        }
    }
    Ok(changed_overlap)
}

/// Recomputes and stores the overlap of one entry from its stored sources; returns it, in
/// seconds. `neighbours` is [`NEIGHBOURS`], prepared.
fn update_overlap(conn: &Connection, neighbours: &mut Statement<'_>, customer: &ObjectId, user: &ObjectId, pk: i64, stats: &Stats) -> Result<i64> {
    let mine = intervals(&sources_of(conn, pk)?);
    let mut others = Vec::new();
    for iv in &mine {
        for (other_pk, other) in neighbours_with(neighbours, customer, user, *iv, stats)? {
            if other_pk != pk {
                others.push(other);
            }
        }
    }
    let seconds = units::millis_to_seconds(overlap_millis(&mine, &others));
    conn.prepare_cached("UPDATE entries SET overlap_seconds = ?2 WHERE pk = ?1 AND overlap_seconds != ?2")?.execute(params![pk, seconds])?;
    Ok(seconds)
}

/// The running timer session of a user, if any: (source pk, entry pk, started_at).
pub(crate) fn running_session(conn: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<Option<(i64, Option<i64>, Timestamp)>> {
    let row = conn
        .prepare_cached("SELECT pk, entry_pk, started_at FROM sources WHERE customer_id = ?1 AND user_id = ?2 AND ended_at IS NULL")?
        .query_row(params![customer, user], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, i64>(2)?)))
        .optional()?;
    row.map(|(pk, entry, start)| Ok((pk, entry, ts1(start)?))).transpose()
}

/// Closes a session at `at`, or at its start if `at` is earlier (a session that began on a
/// device whose clock runs ahead of this one).
pub(crate) fn close_session(conn: &Connection, source_pk: i64, at: Timestamp) -> Result<()> {
    conn.prepare_cached("UPDATE sources SET ended_at = MAX(?2, started_at) WHERE pk = ?1")?.execute(params![source_pk, at.millis()])?;
    Ok(())
}

/// Moves an entry's sources to the unassigned pool.
pub(crate) fn release_sources_to_pool(conn: &Connection, pk: i64) -> Result<()> {
    conn.prepare_cached("UPDATE sources SET entry_pk = NULL WHERE entry_pk = ?1")?.execute(params![pk])?;
    Ok(())
}

/// The pk of an entry by id within a customer.
pub(crate) fn pk_of(conn: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<i64>> {
    Ok(conn.prepare_cached("SELECT pk FROM entries WHERE customer_id = ?1 AND id = ?2")?.query_row(params![customer, id], |r| r.get(0)).optional()?)
}

/// Which of `ids` are already entries of the customer (one statement for a batch).
pub(crate) fn existing_ids(conn: &Connection, customer: &ObjectId, ids: &[ObjectId]) -> Result<std::collections::HashSet<ObjectId>> {
    if ids.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let list = serde_json::to_string(&ids.iter().map(|i| i.as_str()).collect::<Vec<_>>()).map_err(storage)?;
    let mut stmt = conn.prepare_cached("SELECT id FROM entries WHERE customer_id = ?1 AND id IN (SELECT value FROM json_each(?2))")?;
    let found = stmt.query_map(params![customer, list], |r| r.get::<_, ObjectId>(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(found)
}

/// The stored create body of an entry (to answer a repeated create).
pub(crate) fn create_request(conn: &Connection, pk: i64) -> Result<Option<String>> {
    Ok(conn.prepare_cached("SELECT create_request FROM entries WHERE pk = ?1")?.query_row(params![pk], |r| r.get(0))?)
}

/// Replaces the sources of an entry by `sources` (kept with their ids: a source of that id
/// elsewhere, e.g. in the unassigned pool, moves here).
pub(crate) fn replace_sources(conn: &Connection, customer: &ObjectId, user: &ObjectId, pk: i64, sources: &[Source]) -> Result<()> {
    conn.prepare_cached("DELETE FROM sources WHERE entry_pk = ?1")?.execute(params![pk])?;
    let mut upsert = conn.prepare_cached(
        "INSERT INTO sources (customer_id, id, user_id, entry_pk, kind, started_at, ended_at, title) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (customer_id, id) DO UPDATE SET user_id = excluded.user_id, entry_pk = excluded.entry_pk, kind = excluded.kind,
           started_at = excluded.started_at, ended_at = excluded.ended_at, title = excluded.title",
    )?;
    for s in sources {
        insert_source_with(&mut upsert, customer, user, pk, s)?;
    }
    Ok(())
}

/// Writes a copy of an entry that came through sync, as it is (no rule runs), with its codes
/// and sources, and `local_changes` as given; when its sessions changed, refreshes the overlap
/// around their old and new intervals. Returns its pk.
/// `known_pk` skips the lookup when the caller has it.
pub(crate) fn write_synced(conn: &Connection, known_pk: Option<i64>, e: &Entry, local_changes: i64, stats: &Stats) -> Result<i64> {
    let found = match known_pk {
        Some(pk) => Some(pk),
        None => pk_of(conn, &e.customer_id, &e.id)?,
    };
    let Some(pk) = found else {
        let pk = insert(conn, e, None)?;
        set_local_changes(conn, pk, local_changes)?;
        insert_codes(conn, pk, &e.codes)?;
        replace_sources(conn, &e.customer_id, &e.user_id, pk, &e.sources)?;
        refresh_overlap(conn, &e.customer_id, &e.user_id, pk, &intervals(&e.sources), stats)?;
        return Ok(pk);
    };
    let before = sources_of(conn, pk)?;
    write_row(conn, pk, e, Some(local_changes))?;
    replace_codes(conn, pk, &e.codes)?;
    if before != e.sources {
        replace_sources(conn, &e.customer_id, &e.user_id, pk, &e.sources)?;
        let mut touched = intervals(&before);
        touched.extend(intervals(&e.sources));
        refresh_overlap(conn, &e.customer_id, &e.user_id, pk, &touched, stats)?;
    }
    Ok(pk)
}

/// The unsent-change counter of an entry.
pub(crate) fn local_changes(conn: &Connection, pk: i64) -> Result<i64> {
    Ok(conn.prepare_cached("SELECT local_changes FROM entries WHERE pk = ?1")?.query_row(params![pk], |r| r.get(0))?)
}

/// Sets the unsent-change counter of an entry.
pub(crate) fn set_local_changes(conn: &Connection, pk: i64, n: i64) -> Result<()> {
    conn.prepare_cached("UPDATE entries SET local_changes = ?2 WHERE pk = ?1")?.execute(params![pk, n])?;
    Ok(())
}
