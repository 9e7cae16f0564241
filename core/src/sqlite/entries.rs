//! Entries on SQLite: the row of an entry and its codes and sources, the listing, page, export
//! and feed queries, the overlap-neighbour and running-session queries, and the writes. Every
//! statement filters by customer; an entry's key is its rowid (`pk`). Nothing here decides a
//! rule: the operations layer settles an entry before it is written.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Connection, OptionalExtension, Row, ToSql};

use super::storage;
use crate::error::{Result, RuleFailure, TenthsError};
use crate::model::*;
use crate::rules::ids::ObjectId;
use crate::rules::overlap::Interval;
use crate::rules::status::Status;
use crate::rules::time::{Date, Timestamp};
use crate::store::{Affected, Counter, Detail, EntryKey, Listing, PageOf, RunningSession, SourceKey};

const ENTRY_COLUMNS: &str = "pk, customer_id, id, user_id, created_by, released_by, external_id, enrichment_correlation_id, summary, notes, work_date, \
     initiative_id, creation_method, created_as_timer, timer_duration_adjustment_in_seconds, entered_duration_in_seconds, raw_seconds, unit_increments, \
     units_from_sources, units_adjustments, overlap_seconds, status, status_errors, re_release_failed_messages, is_locked, is_deleted, release_count, \
     last_release_pending_at, last_release_failed_at, release_success_at, last_synced_at, created_at, updated_at, version";

pub(super) fn ts(v: Option<i64>) -> rusqlite::Result<Option<Timestamp>> {
    v.map(ts1).transpose()
}

fn ts1(ms: i64) -> rusqlite::Result<Timestamp> {
    Timestamp::from_millis(ms).map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Integer, Box::new(e)))
}

pub(super) fn bad(col: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
}

/// Reads the columns of [`ENTRY_COLUMNS`]; codes and sources are filled by [`fill`].
fn entry_from_row(r: &Row<'_>) -> rusqlite::Result<(EntryKey, Entry)> {
    let status_s: String = r.get(21)?;
    let status = Status::parse(&status_s).map_err(|e| bad(21, e))?;
    let errors: Option<String> = r.get(22)?;
    let (mut validation_failed_errors, mut release_failed_errors) = (Vec::new(), Vec::new());
    if let Some(json) = errors.as_deref() {
        match status {
            Status::ReleaseFailed => release_failed_errors = serde_json::from_str(json).map_err(|e| bad(22, e))?,
            _ => validation_failed_errors = serde_json::from_str::<Vec<RuleFailure>>(json).map_err(|e| bad(22, e))?,
        }
    }
    let messages: Option<String> = r.get(23)?;
    let re_release_failed_messages = match messages {
        Some(json) => serde_json::from_str(&json).map_err(|e| bad(23, e))?,
        None => Vec::new(),
    };
    let work_date: String = r.get(10)?;
    let work_date = Date::parse(&work_date).map_err(|e| bad(10, e))?;
    Ok((
        EntryKey::from_raw(r.get(0)?),
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

/// Entries filled per statement by [`fill`] (bounds the bound JSON list).
pub(super) const FILL_CHUNK: usize = 500;

/// The keys (`pk`s) of a chunk of rows as one JSON array, and each key's place in the chunk.
pub(super) fn keyed(keys: impl ExactSizeIterator<Item = i64>) -> (String, HashMap<i64, usize>) {
    let mut at: HashMap<i64, usize> = HashMap::with_capacity(keys.len());
    let mut list = String::with_capacity(keys.len() * 8 + 2);
    list.push('[');
    for (i, key) in keys.enumerate() {
        if i > 0 {
            list.push(',');
        }
        list.push_str(&key.to_string());
        at.insert(key, i);
    }
    list.push(']');
    (list, at)
}

/// Calls `put(entry pk, code)` for every code of the entries whose keys `keys` holds (a JSON
/// array, see [`keyed`]), by entry then position: one statement.
pub(super) fn each_code(c: &Connection, customer: &ObjectId, keys: &str, mut put: impl FnMut(i64, WorkCode)) -> Result<()> {
    // CROSS JOIN keeps entry_codes as the outer loop (without it, and without statistics,
    // the planner may walk every code of the customer and probe entry_codes for each).
    let mut codes = c.prepare_cached(
        "SELECT ec.entry_pk, c.id, c.external_id, c.code_type_external_id, c.name, ec.assigned_by FROM entry_codes ec
         CROSS JOIN codes c ON c.customer_id = ?1 AND c.id = ec.code_id WHERE ec.entry_pk IN (SELECT value FROM json_each(?2))
         ORDER BY ec.entry_pk, ec.position",
    )?;
    let mut q = codes.query(params![customer, keys])?;
    while let Some(r) = q.next()? {
        let code = WorkCode {
            id: r.get(1)?,
            external_id: r.get(2)?,
            code_type_external_id: r.get(3)?,
            name: r.get(4)?,
            assigned_by: AssignedBy::from_stored(r.get_ref(5)?.as_str().map_err(storage)?),
        };
        put(r.get(0)?, code);
    }
    Ok(())
}

/// Fills the codes and (with [`Detail::Full`]) the sources of entries of one customer: one
/// statement each per [`FILL_CHUNK`] entries (the keys bound as one JSON array), assembled in
/// memory. A page of 100 runs 2 statements instead of 200.
fn fill(c: &Connection, customer: &ObjectId, rows: &mut [(EntryKey, Entry)], detail: Detail) -> Result<()> {
    for chunk in rows.chunks_mut(FILL_CHUNK) {
        let (keys, at) = keyed(chunk.iter().map(|(key, _)| key.raw()));
        each_code(c, customer, &keys, |pk, code| {
            if let Some((_, e)) = at.get(&pk).and_then(|i| chunk.get_mut(*i)) {
                e.codes.push(code);
            }
        })?;
        if detail == Detail::WithoutSources {
            continue;
        }
        // The customer filter stays (tenancy) but must not drive the plan: `+customer_id`
        // keeps the (customer_id, id) index out, so sources are found through
        // `sources_by_entry`.
        let mut sources = c.prepare_cached(
            "SELECT entry_pk, id, kind, started_at, ended_at, title FROM sources
             WHERE +customer_id = ?1 AND entry_pk IN (SELECT value FROM json_each(?2)) ORDER BY entry_pk, started_at, pk",
        )?;
        let mut q = sources.query(params![customer, keys])?;
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

/// The codes and sources of one entry (two keyed reads).
fn fill_one(c: &Connection, customer: &ObjectId, key: EntryKey, e: &mut Entry) -> Result<()> {
    let mut stmt = c.prepare_cached(
        "SELECT c.id, c.external_id, c.code_type_external_id, c.name, ec.assigned_by FROM entry_codes ec
         CROSS JOIN codes c ON c.customer_id = ?2 AND c.id = ec.code_id WHERE ec.entry_pk = ?1 ORDER BY ec.position",
    )?;
    e.codes = stmt
        .query_map(params![key.raw(), customer], |r| {
            Ok(WorkCode {
                id: r.get(0)?,
                external_id: r.get(1)?,
                code_type_external_id: r.get(2)?,
                name: r.get(3)?,
                assigned_by: AssignedBy::from_stored(&r.get::<_, String>(4)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    e.sources = sources(c, customer, key)?;
    Ok(())
}

/// The sources of an entry, by start then id.
pub(super) fn sources(c: &Connection, customer: &ObjectId, key: EntryKey) -> Result<Vec<Source>> {
    let mut stmt =
        c.prepare_cached("SELECT id, kind, started_at, ended_at, title FROM sources WHERE entry_pk = ?1 AND +customer_id = ?2 ORDER BY started_at, id")?;
    let rows = stmt.query_map(params![key.raw(), customer], |r| {
        Ok((r.get::<_, ObjectId>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, Option<i64>>(3)?, r.get::<_, Option<String>>(4)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, kind, start, end, title) = row?;
        out.push(Source { id, kind: SourceKind::parse(&kind).map_err(storage)?, started_at: ts1(start)?, ended_at: ts(end)?, title });
    }
    Ok(out)
}

/// An entry by id (deleted ones too), with its codes and sources.
pub(super) fn entry(c: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<(EntryKey, Entry)>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE customer_id = ?1 AND id = ?2");
    let row = c.prepare_cached(&sql)?.query_row(params![customer, id], entry_from_row).optional()?;
    match row {
        None => Ok(None),
        Some((key, mut e)) => {
            fill_one(c, customer, key, &mut e)?;
            Ok(Some((key, e)))
        }
    }
}

/// An entry by key, with its codes and sources.
pub(super) fn entry_by_key(c: &Connection, customer: &ObjectId, key: EntryKey) -> Result<Entry> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE pk = ?1 AND customer_id = ?2");
    let (key, mut e) = c.prepare_cached(&sql)?.query_row(params![key.raw(), customer], entry_from_row)?;
    fill_one(c, customer, key, &mut e)?;
    Ok(e)
}

/// The key of an entry by id.
pub(super) fn entry_key(c: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<EntryKey>> {
    Ok(c.prepare_cached("SELECT pk FROM entries WHERE customer_id = ?1 AND id = ?2")?
        .query_row(params![customer, id], |r| r.get(0))
        .optional()?
        .map(EntryKey::from_raw))
}

/// Which of `ids` are already entries of the customer (one statement for a batch).
pub(super) fn existing_ids(c: &Connection, customer: &ObjectId, ids: &[ObjectId]) -> Result<HashSet<ObjectId>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let list = serde_json::to_string(&ids.iter().map(|i| i.as_str()).collect::<Vec<_>>()).map_err(storage)?;
    let mut stmt = c.prepare_cached("SELECT id FROM entries WHERE customer_id = ?1 AND id IN (SELECT value FROM json_each(?2))")?;
    let found = stmt.query_map(params![customer, list], |r| r.get::<_, ObjectId>(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(found)
}

/// The stored create body of an entry.
pub(super) fn create_request(c: &Connection, customer: &ObjectId, key: EntryKey) -> Result<Option<String>> {
    Ok(c.prepare_cached("SELECT create_request FROM entries WHERE pk = ?1 AND customer_id = ?2")?.query_row(params![key.raw(), customer], |r| r.get(0))?)
}

fn query(c: &Connection, customer: &ObjectId, sql: &str, p: impl rusqlite::Params, detail: Detail) -> Result<Vec<(EntryKey, Entry)>> {
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows: Vec<(EntryKey, Entry)> = stmt.query_map(p, entry_from_row)?.collect::<rusqlite::Result<_>>()?;
    fill(c, customer, &mut rows, detail)?;
    Ok(rows)
}

/// The entries of a listing.
pub(super) fn list(c: &Connection, customer: &ObjectId, listing: Listing<'_>) -> Result<Vec<(EntryKey, Entry)>> {
    match listing {
        Listing::UserDates { user, from, to } => {
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND work_date >= ?3 AND work_date <= ?4 AND is_deleted = 0 ORDER BY work_date, id"
            );
            query(c, customer, &sql, params![customer, user, from.to_string(), to.to_string()], Detail::Full)
        }
        Listing::UserDatesPage { user, from, to, after, limit } => {
            // The position as a lower bound on the work date (so `entries_by_user_day` serves
            // the range) and, on that date, on the id. No position: before every id of `from`.
            let (after_date, after_id) = after.map(|(d, id)| (d, id.as_str())).unwrap_or((from, ""));
            let lowest = from.max(after_date);
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND work_date >= ?3 AND work_date <= ?4 AND is_deleted = 0
                   AND (work_date > ?5 OR id > ?6) ORDER BY work_date, id LIMIT ?7"
            );
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            query(c, customer, &sql, params![customer, user, lowest.to_string(), to.to_string(), after_date.to_string(), after_id, limit], Detail::Full)
        }
        Listing::UserDayEditable { user, day } => {
            // `+id`: the same order, but SQLite then reads the day through
            // `entries_by_user_day` instead of walking every entry of the customer in id order.
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND work_date = ?3 AND is_deleted = 0 AND is_locked = 0 ORDER BY +id"
            );
            query(c, customer, &sql, params![customer, user, day.to_string()], Detail::Full)
        }
        Listing::Updated { after, on_or_before } => {
            let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE customer_id = ?1 AND updated_at > ?2 AND updated_at <= ?3 ORDER BY updated_at, id");
            query(c, customer, &sql, params![customer, after.millis(), on_or_before.millis()], Detail::Full)
        }
        Listing::Released { after, on_or_before } => {
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} FROM entries WHERE customer_id = ?1 AND last_release_pending_at > ?2 AND last_release_pending_at <= ?3 AND is_deleted = 0
                   AND status IN ('release-pending', 'release-succeeded') ORDER BY id"
            );
            query(c, customer, &sql, params![customer, after.millis(), on_or_before.millis()], Detail::Full)
        }
    }
}

/// A page by id after `after_id`.
pub(super) fn page(c: &Connection, customer: &ObjectId, of: PageOf, after_id: Option<&ObjectId>, limit: usize, detail: Detail) -> Result<Vec<Entry>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let after = after_id.map(ObjectId::as_str).unwrap_or("");
    let rows = match of {
        PageOf::Updated { after: from, on_or_before } => {
            let sql =
                format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE customer_id = ?1 AND updated_at > ?2 AND updated_at <= ?3 AND id > ?4 ORDER BY id LIMIT ?5");
            query(c, customer, &sql, params![customer, from.millis(), on_or_before.millis(), after, limit], detail)?
        }
        PageOf::Released { after: from, on_or_before, low, high } => {
            let sql = format!("SELECT {ENTRY_COLUMNS} {}", super::export::RELEASED_PAGE);
            query(c, customer, &sql, params![customer, from.millis(), on_or_before.millis(), after, limit, low, high], detail)?
        }
    };
    Ok(rows.into_iter().map(|(_, e)| e).collect())
}

/// Totals per user, work date and matter.
/// The totals of one user: `entries_by_user_day` serves the range. Named, because without
/// statistics the planner would take the covering `entries_totals` and read every user's week.
const TOTALS_OF_USER: &str = "SELECT user_id, work_date, initiative_id, count(*), sum(units_from_sources + units_adjustments), sum((units_from_sources + units_adjustments) * unit_increments)
     FROM entries INDEXED BY entries_by_user_day WHERE customer_id = ?1 AND user_id = ?2 AND work_date >= ?3 AND work_date <= ?4 AND is_deleted = 0
     GROUP BY user_id, work_date, initiative_id ORDER BY user_id, work_date, initiative_id";
/// The totals of every user: read from the covering index `entries_totals` alone (schema v8).
const TOTALS_OF_CUSTOMER: &str = "SELECT user_id, work_date, initiative_id, count(*), sum(units_from_sources + units_adjustments), sum((units_from_sources + units_adjustments) * unit_increments)
     FROM entries INDEXED BY entries_totals WHERE customer_id = ?1 AND ?2 IS NULL AND work_date >= ?3 AND work_date <= ?4 AND is_deleted = 0
     GROUP BY user_id, work_date, initiative_id ORDER BY user_id, work_date, initiative_id";

pub(super) fn totals(c: &Connection, customer: &ObjectId, user: Option<&ObjectId>, from: Date, to: Date) -> Result<Vec<Total>> {
    // Two statements: `(?2 IS NULL OR user_id = ?2)` in one would keep the planner from the
    // (customer, user, work date) index, so one user's totals scanned the customer.
    let mut stmt = c.prepare_cached(if user.is_some() { TOTALS_OF_USER } else { TOTALS_OF_CUSTOMER })?;
    let rows = stmt.query_map(params![customer, user, from.to_string(), to.to_string()], |r| {
        Ok((r.get::<_, ObjectId>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<ObjectId>>(2)?, r.get::<_, i64>(3)?, r.get::<_, i64>(4)?, r.get::<_, i64>(5)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (user_id, day, initiative_id, entries, units, seconds) = row?;
        out.push(Total { user_id, work_date: Date::parse(&day)?, initiative_id, entries, unit_increment_count: units, increment_duration_in_seconds: seconds });
    }
    Ok(out)
}

/// The live, unlocked entries a reference change may re-settle.
pub(super) fn affected(c: &Connection, customer: &ObjectId, which: Affected<'_>) -> Result<Vec<EntryKey>> {
    let keys: Vec<i64> = match which {
        Affected::Customer => c
            .prepare_cached("SELECT pk FROM entries WHERE customer_id = ?1 AND is_deleted = 0 AND is_locked = 0")?
            .query_map(params![customer], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?,
        Affected::User(user) => c
            .prepare_cached("SELECT pk FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND is_deleted = 0 AND is_locked = 0")?
            .query_map(params![customer, user], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?,
        Affected::Initiative(initiative) => c
            .prepare_cached("SELECT pk FROM entries WHERE customer_id = ?1 AND initiative_id = ?2 AND is_deleted = 0 AND is_locked = 0")?
            .query_map(params![customer, initiative], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?,
        Affected::Code(code) => c
            .prepare_cached(
                "SELECT e.pk FROM entry_codes ec JOIN entries e ON e.pk = ec.entry_pk WHERE ec.code_id = ?2 AND e.customer_id = ?1 AND e.is_deleted = 0 AND e.is_locked = 0",
            )?
            .query_map(params![customer, code], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?,
    };
    Ok(keys.into_iter().map(EntryKey::from_raw).collect())
}

/// The overlap neighbours' statement: read from `sources_by_user_start` alone, which carries
/// the end and the entry of each closed session (schema v10, decision 114).
const NEIGHBOURS: &str = "SELECT entry_pk, started_at, ended_at FROM sources INDEXED BY sources_by_user_start
     WHERE customer_id = ?1 AND user_id = ?2 AND entry_pk IS NOT NULL AND ended_at IS NOT NULL
       AND started_at > ?3 AND started_at < ?4 AND ended_at > ?5";

/// Closed source intervals of one user's live entries that may meet `iv`: those starting in
/// `(iv.start - MAX_SOURCE_MILLIS, iv.end)` and ending after `iv.start`.
pub(super) fn neighbours(c: &Connection, customer: &ObjectId, user: &ObjectId, iv: Interval) -> Result<Vec<(EntryKey, Interval)>> {
    let mut stmt = c.prepare_cached(NEIGHBOURS)?;
    let rows = stmt.query_map(params![customer, user, iv.start.saturating_sub(MAX_SOURCE_MILLIS), iv.end, iv.start], |r| {
        Ok((EntryKey::from_raw(r.get(0)?), Interval { start: r.get(1)?, end: r.get(2)? }))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The running timer session of a user, with its entry.
pub(super) fn running_session(c: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<Option<RunningSession>> {
    let row = c
        .prepare_cached(
            "SELECT s.pk, s.entry_pk, e.id, s.started_at FROM sources s LEFT JOIN entries e ON e.pk = s.entry_pk AND e.customer_id = s.customer_id
             WHERE s.customer_id = ?1 AND s.user_id = ?2 AND s.ended_at IS NULL",
        )?
        .query_row(params![customer, user], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, Option<ObjectId>>(2)?, r.get::<_, i64>(3)?)))
        .optional()?;
    row.map(|(pk, entry_pk, entry_id, start)| {
        Ok(RunningSession {
            source: SourceKey::from_raw(pk),
            entry: entry_pk.zip(entry_id).map(|(k, id)| (EntryKey::from_raw(k), id)),
            started_at: ts1(start)?,
        })
    })
    .transpose()
}

/// The user's entries changed after feed position `after`, in feed order.
pub(super) fn feed(c: &Connection, customer: &ObjectId, user: &ObjectId, after: i64, limit: usize) -> Result<Vec<(Entry, i64)>> {
    let sql =
        format!("SELECT {ENTRY_COLUMNS}, change_seq FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND change_seq > ?3 ORDER BY change_seq LIMIT ?4");
    let mut seqs = Vec::new();
    let mut rows: Vec<(EntryKey, Entry)> = c
        .prepare_cached(&sql)?
        .query_map(params![customer, user, after, i64::try_from(limit).unwrap_or(i64::MAX)], |r| Ok((entry_from_row(r)?, r.get::<_, i64>(34)?)))?
        .map(|row| {
            row.map(|(entry, seq)| {
                seqs.push(seq);
                entry
            })
        })
        .collect::<rusqlite::Result<_>>()?;
    fill(c, customer, &mut rows, Detail::Full)?;
    Ok(rows.into_iter().map(|(_, e)| e).zip(seqs).collect())
}

/// The stored answer of an applied push operation.
pub(super) fn applied_op(c: &Connection, customer: &ObjectId, op_id: &ObjectId) -> Result<Option<String>> {
    Ok(c.prepare_cached("SELECT answer FROM sync_applied_ops WHERE customer_id = ?1 AND op_id = ?2")?
        .query_row(params![customer, op_id], |r| r.get(0))
        .optional()?)
}

/// Records a push operation's answer.
pub(super) fn record_applied_op(c: &Connection, customer: &ObjectId, op_id: &ObjectId, user: &ObjectId, answer: &str, now: Timestamp) -> Result<()> {
    c.prepare_cached("INSERT INTO sync_applied_ops (customer_id, op_id, user_id, answer, at) VALUES (?1, ?2, ?3, ?4, ?5)")?.execute(params![
        customer,
        op_id,
        user,
        answer,
        now.millis()
    ])?;
    Ok(())
}

/// The unsent-change counter of an entry.
pub(super) fn local_changes(c: &Connection, customer: &ObjectId, key: EntryKey) -> Result<i64> {
    Ok(c.prepare_cached("SELECT local_changes FROM entries WHERE pk = ?1 AND customer_id = ?2")?.query_row(params![key.raw(), customer], |r| r.get(0))?)
}

/// Sets the unsent-change counter of an entry.
pub(super) fn set_local_changes(c: &Connection, customer: &ObjectId, key: EntryKey, n: i64) -> Result<()> {
    c.prepare_cached("UPDATE entries SET local_changes = ?2 WHERE pk = ?1 AND customer_id = ?3")?.execute(params![key.raw(), n, customer])?;
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

/// The feed positions one transaction takes (see migration 0003). The first write of a user
/// reserves the next position in the user's row (one upsert); later writes of that user in the
/// same transaction count on in memory, and [`FeedPositions::flush`] stores the last one before
/// the commit. A batch of n writes of one user costs two statements instead of n. A position a
/// rolled-back savepoint consumed is skipped, never handed out twice.
#[derive(Default)]
pub(super) struct FeedPositions {
    /// (customer, user) → (last position taken, whether the row is behind it).
    taken: HashMap<(ObjectId, ObjectId), (i64, bool)>,
}

impl FeedPositions {
    /// The next feed position of a user.
    pub(super) fn next(&mut self, c: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<i64> {
        if let Some((last, behind)) = self.taken.get_mut(&(*customer, *user)) {
            *last = last.checked_add(1).ok_or_else(|| storage("the feed position overflowed"))?;
            *behind = true;
            return Ok(*last);
        }
        let seq: i64 = c
            .prepare_cached(
                "INSERT INTO feed_positions (customer_id, user_id, seq) VALUES (?1, ?2, 1) ON CONFLICT (customer_id, user_id) DO UPDATE SET seq = seq + 1 RETURNING seq",
            )?
            .query_row(params![customer, user], |r| r.get(0))?;
        self.taken.insert((*customer, *user), (seq, false));
        Ok(seq)
    }

    /// Stores the last position taken of every user whose row is behind (before the commit).
    pub(super) fn flush(&mut self, c: &Connection) -> Result<()> {
        for ((customer, user), (last, behind)) in self.taken.drain() {
            if behind {
                c.prepare_cached(
                    "INSERT INTO feed_positions (customer_id, user_id, seq) VALUES (?1, ?2, ?3)
                     ON CONFLICT (customer_id, user_id) DO UPDATE SET seq = MAX(seq, excluded.seq)",
                )?
                .execute(params![customer, user, last])?;
            }
        }
        Ok(())
    }
}

/// Inserts a new entry with its codes and sources; `local_changes`: its unsent-change counter
/// (`None`: one when the database syncs for its user, a local change).
pub(super) fn insert_entry(c: &Connection, feed: &mut FeedPositions, e: &Entry, create_request: Option<&str>, local_changes: Option<i64>) -> Result<EntryKey> {
    let seq = feed.next(c, &e.customer_id, &e.user_id)?;
    c.prepare_cached(
        "INSERT INTO entries (customer_id, id, user_id, created_by, released_by, external_id, enrichment_correlation_id, summary, notes, work_date,
           initiative_id, creation_method, created_as_timer, timer_duration_adjustment_in_seconds, entered_duration_in_seconds, raw_seconds, unit_increments,
           units_from_sources, units_adjustments, overlap_seconds, status, status_errors, re_release_failed_messages, is_locked, is_deleted, release_count,
           last_release_pending_at, last_release_failed_at, release_success_at, last_synced_at, created_at, updated_at, version, create_request,
           change_seq, local_changes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34,
           ?35, COALESCE(?36, EXISTS (SELECT 1 FROM sync_devices WHERE customer_id = ?1 AND user_id = ?3)))",
    )?
    .execute(params![
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
        seq,
        local_changes,
    ])?;
    let key = EntryKey::from_raw(c.last_insert_rowid());
    insert_codes(c, key, &e.codes)?;
    for s in &e.sources {
        insert_source(c, &e.customer_id, &e.user_id, key, s)?;
    }
    Ok(key)
}

/// Binds the parameters of an entry-row statement (`update_entry`, the device's acknowledged
/// copy), which number the row's values alike: `?1` to `?33` in the order below (a statement may
/// leave some unused), then `?34`, the statement's own `extra`. A statement numbered otherwise is
/// refused.
pub(super) fn bind_entry_row(stmt: &mut rusqlite::Statement<'_>, key: EntryKey, e: &Entry, seq: i64, extra: &dyn ToSql) -> Result<()> {
    let (errors, messages, date) = (errors_json(e)?, messages_json(e)?, e.work_date.to_string());
    let values: [&dyn ToSql; 34] = [
        &key.raw(),
        &e.customer_id,
        &e.user_id,
        &e.released_by,
        &e.external_id,
        &e.summary,
        &e.notes,
        &date,
        &e.initiative_id,
        &e.timer_duration_adjustment_in_seconds,
        &e.entered_duration_in_seconds,
        &e.raw_seconds,
        &e.unit_increments,
        &e.unit_increment_count_from_sources,
        &e.unit_increment_count_adjustments,
        &e.status.as_str(),
        &errors,
        &messages,
        &e.is_locked,
        &e.is_deleted,
        &e.release_count,
        &e.last_release_pending_at.map(Timestamp::millis),
        &e.last_release_failed_at.map(Timestamp::millis),
        &e.release_success_at.map(Timestamp::millis),
        &e.last_synced_at.map(Timestamp::millis),
        &e.updated_at.millis(),
        &e.version,
        &e.created_by,
        &e.enrichment_correlation_id,
        &e.creation_method,
        &e.created_as_timer,
        &e.created_at.millis(),
        &seq,
        extra,
    ];
    if stmt.parameter_count() != values.len() {
        return Err(storage("an entry-row statement is not numbered as its values"));
    }
    for (i, value) in values.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, value)?;
    }
    Ok(())
}

/// The one UPDATE of an entry row: every column a write or a synced copy may change, the feed
/// position, and the unsent-change counter.
pub(super) fn update_entry(c: &Connection, feed: &mut FeedPositions, key: EntryKey, e: &Entry, counter: Counter) -> Result<()> {
    let seq = feed.next(c, &e.customer_id, &e.user_id)?;
    let set_counter = match counter {
        Counter::Bump => None,
        Counter::Set(n) => Some(n),
    };
    let mut stmt = c.prepare_cached(
        "UPDATE entries SET released_by = ?4, external_id = ?5, summary = ?6, notes = ?7, work_date = ?8,
           initiative_id = ?9, timer_duration_adjustment_in_seconds = ?10, entered_duration_in_seconds = ?11,
           raw_seconds = ?12, unit_increments = ?13, units_from_sources = ?14, units_adjustments = ?15,
           status = ?16, status_errors = ?17, re_release_failed_messages = ?18, is_locked = ?19, is_deleted = ?20,
           release_count = ?21, last_release_pending_at = ?22, last_release_failed_at = ?23, release_success_at = ?24,
           last_synced_at = ?25, updated_at = ?26, version = ?27, created_by = ?28, enrichment_correlation_id = ?29,
           creation_method = ?30, created_as_timer = ?31, created_at = ?32, change_seq = ?33,
           local_changes = COALESCE(?34, local_changes + (version <> ?27 AND EXISTS (SELECT 1 FROM sync_devices WHERE customer_id = ?2 AND user_id = ?3)))
         WHERE pk = ?1 AND customer_id = ?2",
    )?;
    bind_entry_row(&mut stmt, key, e, seq, &set_counter)?;
    stmt.raw_execute()?;
    Ok(())
}

/// Stores the overlap of an entry when it changed.
pub(super) fn set_overlap(c: &Connection, customer: &ObjectId, key: EntryKey, seconds: i64) -> Result<()> {
    c.prepare_cached("UPDATE entries SET overlap_seconds = ?2 WHERE pk = ?1 AND customer_id = ?3 AND overlap_seconds != ?2")?.execute(params![
        key.raw(),
        seconds,
        customer
    ])?;
    Ok(())
}

/// Replaces the codes of an entry.
pub(super) fn replace_codes(c: &Connection, customer: &ObjectId, key: EntryKey, codes: &[WorkCode]) -> Result<()> {
    // entry_codes has no customer column: the entry's own row is the tenancy check.
    c.prepare_cached("DELETE FROM entry_codes WHERE entry_pk = (SELECT pk FROM entries WHERE pk = ?1 AND customer_id = ?2)")?
        .execute(params![key.raw(), customer])?;
    insert_codes(c, key, codes)
}

fn insert_codes(c: &Connection, key: EntryKey, codes: &[WorkCode]) -> Result<()> {
    if codes.is_empty() {
        return Ok(());
    }
    let mut ins = c.prepare_cached("INSERT INTO entry_codes (entry_pk, code_id, assigned_by, position) VALUES (?1, ?2, ?3, ?4)")?;
    for (i, code) in codes.iter().enumerate() {
        let by = code.assigned_by.as_str();
        ins.execute(params![key.raw(), code.id, by, i64::try_from(i).unwrap_or(i64::MAX)])?;
    }
    Ok(())
}

/// Inserts a source of an entry; a second running session of the user is a conflict.
pub(super) fn insert_source(c: &Connection, customer: &ObjectId, user: &ObjectId, key: EntryKey, s: &Source) -> Result<()> {
    let r = c
        .prepare_cached("INSERT INTO sources (customer_id, id, user_id, entry_pk, kind, started_at, ended_at, title) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?
        .execute(params![customer, s.id, user, key.raw(), s.kind.as_str(), s.started_at.millis(), s.ended_at.map(Timestamp::millis), s.title]);
    running_timer_conflict(r)
}

/// The partial unique index `one_running_timer_per_user` refuses a second running session.
fn running_timer_conflict(r: rusqlite::Result<usize>) -> Result<()> {
    match r {
        Err(rusqlite::Error::SqliteFailure(f, Some(msg)))
            if f.code == rusqlite::ErrorCode::ConstraintViolation && msg.contains("sources.customer_id, sources.user_id") =>
        {
            Err(TenthsError::conflict("the user already has a running timer"))
        }
        other => other.map(|_| ()).map_err(Into::into),
    }
}

/// Replaces the sources of an entry, keeping their ids.
pub(super) fn replace_sources(c: &Connection, customer: &ObjectId, user: &ObjectId, key: EntryKey, sources: &[Source]) -> Result<()> {
    c.prepare_cached("DELETE FROM sources WHERE entry_pk = ?1 AND +customer_id = ?2")?.execute(params![key.raw(), customer])?;
    let mut upsert = c.prepare_cached(
        "INSERT INTO sources (customer_id, id, user_id, entry_pk, kind, started_at, ended_at, title) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (customer_id, id) DO UPDATE SET user_id = excluded.user_id, entry_pk = excluded.entry_pk, kind = excluded.kind,
           started_at = excluded.started_at, ended_at = excluded.ended_at, title = excluded.title",
    )?;
    for s in sources {
        running_timer_conflict(upsert.execute(params![
            customer,
            s.id,
            user,
            key.raw(),
            s.kind.as_str(),
            s.started_at.millis(),
            s.ended_at.map(Timestamp::millis),
            s.title
        ]))?;
    }
    Ok(())
}

/// Closes a session at `at`, or at its start if `at` is earlier.
pub(super) fn close_session(c: &Connection, customer: &ObjectId, source: SourceKey, at: Timestamp) -> Result<()> {
    c.prepare_cached("UPDATE sources SET ended_at = MAX(?2, started_at) WHERE pk = ?1 AND customer_id = ?3")?.execute(params![
        source.raw(),
        at.millis(),
        customer
    ])?;
    Ok(())
}

/// Moves an entry's sources to the unassigned pool.
pub(super) fn release_sources_to_pool(c: &Connection, customer: &ObjectId, key: EntryKey) -> Result<()> {
    c.prepare_cached("UPDATE sources SET entry_pk = NULL WHERE entry_pk = ?1 AND +customer_id = ?2")?.execute(params![key.raw(), customer])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index each totals statement is planned on, in a freshly migrated store: a customer's
    /// week is read from `entries_totals` alone (no row lookups), a user's from
    /// `entries_by_user_day` (decision 105).
    #[test]
    fn totals_are_planned_on_their_indexes() {
        let c = super::super::open_memory(&super::super::OpenOptions::default()).unwrap();
        let plan = |sql: &str| -> Vec<String> {
            let mut st = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let rows = st.query_map(params!["c", Option::<&str>::None, "2026-01-01", "2026-01-07"], |r| r.get::<_, String>(3)).unwrap();
            rows.map(|r| r.unwrap()).collect()
        };
        let (customer, user) = (plan(TOTALS_OF_CUSTOMER), plan(TOTALS_OF_USER));
        assert!(customer.iter().any(|d| d.contains("USING COVERING INDEX entries_totals")), "{customer:?}");
        assert!(user.iter().any(|d| d.contains("USING INDEX entries_by_user_day")), "{user:?}");
    }

    /// The neighbours of a write are read from the index alone: no row per session of the
    /// 25-hour window (decision 114).
    #[test]
    fn neighbours_are_read_from_their_index_alone() {
        let c = super::super::open_memory(&super::super::OpenOptions::default()).unwrap();
        let mut st = c.prepare(&format!("EXPLAIN QUERY PLAN {NEIGHBOURS}")).unwrap();
        let plan: Vec<String> = st.query_map(params!["c", "u", 0, 1, 0], |r| r.get::<_, String>(3)).unwrap().map(|r| r.unwrap()).collect();
        assert!(plan.iter().any(|d| d.contains("USING COVERING INDEX sources_by_user_start")), "{plan:?}");
    }
}
