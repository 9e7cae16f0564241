//! The device-only sync state on SQLite (schema v2): the registration and pull cursor of the
//! `(customer, user)` a device syncs, its in-flight push, the mirror of server-acknowledged
//! copies, the quarantine of refused local changes and the conflict log. Records are stored as
//! the JSON the sync layer defines; nothing here decides what to store.

use rusqlite::{params, Connection, OptionalExtension};

use super::storage;
use crate::error::Result;
use crate::model::sync::{ConflictRecord, Quarantined, SyncedEntry};
use crate::model::Entry;
use crate::rules::ids::ObjectId;
use crate::rules::time::Timestamp;
use crate::store::{EntryKey, Pending};

use super::entries::{bind_entry_row, FeedPositions};

pub(super) fn register(c: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<bool> {
    let added = c.prepare_cached("INSERT OR IGNORE INTO sync_devices (customer_id, user_id) VALUES (?1, ?2)")?.execute(params![customer, user])?;
    if added > 0 {
        c.prepare_cached(
            "UPDATE entries SET local_changes = MAX(local_changes, 1) WHERE customer_id = ?1 AND user_id = ?2
               AND NOT EXISTS (SELECT 1 FROM sync_mirror m WHERE m.customer_id = entries.customer_id AND m.entry_id = entries.id)",
        )?
        .execute(params![customer, user])?;
    }
    Ok(added > 0)
}

pub(super) fn inflight(c: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<Option<String>> {
    Ok(c.prepare_cached("SELECT inflight FROM sync_devices WHERE customer_id = ?1 AND user_id = ?2")?
        .query_row(params![customer, user], |r| r.get(0))
        .optional()?
        .flatten())
}

pub(super) fn set_inflight(c: &Connection, customer: &ObjectId, user: &ObjectId, inflight: Option<&str>) -> Result<()> {
    c.prepare_cached("UPDATE sync_devices SET inflight = ?3 WHERE customer_id = ?1 AND user_id = ?2")?.execute(params![customer, user, inflight])?;
    Ok(())
}

pub(super) fn pending(c: &Connection, customer: &ObjectId, user: &ObjectId, after: Option<EntryKey>, limit: usize) -> Result<Vec<Pending>> {
    let rows = c
        .prepare_cached(
            "SELECT pk, id, local_changes, change_seq FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND local_changes > 0 AND pk > ?3 ORDER BY pk LIMIT ?4",
        )?
        .query_map(params![customer, user, after.map(EntryKey::raw).unwrap_or(0), i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok(Pending { key: EntryKey::from_raw(r.get(0)?), id: r.get(1)?, counter: r.get(2)?, seq: r.get(3)? })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub(super) fn pending_summary(c: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<(u64, Option<Timestamp>)> {
    let (n, oldest): (i64, Option<i64>) = c
        .prepare_cached("SELECT count(*), min(updated_at) FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND local_changes > 0")?
        .query_row(params![customer, user], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((u64::try_from(n).unwrap_or(0), oldest.map(Timestamp::from_millis).transpose()?))
}

pub(super) fn mirror(c: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<SyncedEntry>> {
    let json: Option<String> = c
        .prepare_cached("SELECT record FROM sync_mirror WHERE customer_id = ?1 AND entry_id = ?2")?
        .query_row(params![customer, id], |r| r.get(0))
        .optional()?;
    json.map(|j| serde_json::from_str(&j).map_err(storage)).transpose()
}

pub(super) fn mirror_version(c: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<i64>> {
    Ok(c.prepare_cached("SELECT version FROM sync_mirror WHERE customer_id = ?1 AND entry_id = ?2")?
        .query_row(params![customer, id], |r| r.get(0))
        .optional()?)
}

pub(super) fn set_mirror(c: &Connection, customer: &ObjectId, record: &SyncedEntry) -> Result<()> {
    let json = serde_json::to_string(record).map_err(storage)?;
    c.prepare_cached(
        "INSERT INTO sync_mirror (customer_id, entry_id, version, record) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET version = ?3, record = ?4",
    )?
    .execute(params![customer, record.id, record.version, json])?;
    Ok(())
}

/// Writes a server-acknowledged copy over its entry with one UPDATE (no unsent change left),
/// when the row is still the one a push sent (its feed position `sent_seq`) and the copy keeps
/// every indexed column the sync layer could change (work date, matter, units, deleted, release
/// mark): only the feed, updated-time and pending indexes move. Answers whether it wrote; on
/// `false` nothing was written and the caller writes the whole copy. The sync layer has
/// checked that the copy's sessions and codes are the ones sent.
pub(super) fn acknowledge(c: &Connection, feed: &mut FeedPositions, key: EntryKey, e: &Entry, sent_seq: i64) -> Result<bool> {
    let seq = feed.next(c, &e.customer_id, &e.user_id)?;
    let mut stmt = c.prepare_cached(
        "UPDATE entries SET released_by = ?4, external_id = ?5, summary = ?6, notes = ?7,
           timer_duration_adjustment_in_seconds = ?10, entered_duration_in_seconds = ?11, raw_seconds = ?12, status = ?16,
           status_errors = ?17, re_release_failed_messages = ?18, is_locked = ?19, release_count = ?21,
           last_release_failed_at = ?23, release_success_at = ?24, last_synced_at = ?25, updated_at = ?26, version = ?27,
           created_by = ?28, enrichment_correlation_id = ?29, creation_method = ?30, created_as_timer = ?31,
           created_at = ?32, change_seq = ?33, local_changes = 0
         WHERE pk = ?1 AND customer_id = ?2 AND change_seq = ?34 AND work_date = ?8 AND initiative_id IS ?9
           AND unit_increments = ?13 AND units_from_sources = ?14 AND units_adjustments = ?15
           AND is_deleted = ?20 AND last_release_pending_at IS ?22",
    )?;
    bind_entry_row(&mut stmt, key, e, seq, &sent_seq)?;
    Ok(stmt.raw_execute()? == 1)
}

pub(super) fn quarantine(c: &Connection, customer: &ObjectId, q: &Quarantined, against: Option<&SyncedEntry>) -> Result<()> {
    let failures = serde_json::to_string(&q.failures).map_err(storage)?;
    let local = serde_json::to_string(&q.local).map_err(storage)?;
    let against = against.map(serde_json::to_string).transpose().map_err(storage)?;
    c.prepare_cached(
        "INSERT INTO sync_quarantine (customer_id, entry_id, code, reason, failures, local, at, against) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT DO UPDATE SET code = ?3, reason = ?4, failures = ?5, local = ?6, at = ?7, against = ?8",
    )?
    .execute(params![customer, q.entry_id, q.code, q.reason, failures, local, q.at.millis(), against])?;
    Ok(())
}

pub(super) fn quarantined_one(c: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<(SyncedEntry, Option<SyncedEntry>)>> {
    let row: Option<(String, Option<String>)> = c
        .prepare_cached("SELECT local, against FROM sync_quarantine WHERE customer_id = ?1 AND entry_id = ?2")?
        .query_row(params![customer, id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((local, against)) = row else { return Ok(None) };
    let local = serde_json::from_str(&local).map_err(storage)?;
    let against = against.map(|a| serde_json::from_str(&a)).transpose().map_err(storage)?;
    Ok(Some((local, against)))
}

pub(super) fn take_quarantined(c: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<SyncedEntry>> {
    let local: Option<String> = c
        .prepare_cached("SELECT local FROM sync_quarantine WHERE customer_id = ?1 AND entry_id = ?2")?
        .query_row(params![customer, id], |r| r.get(0))
        .optional()?;
    let Some(local) = local else { return Ok(None) };
    c.prepare_cached("DELETE FROM sync_quarantine WHERE customer_id = ?1 AND entry_id = ?2")?.execute(params![customer, id])?;
    serde_json::from_str(&local).map(Some).map_err(storage)
}

pub(super) fn quarantined(c: &Connection, customer: &ObjectId) -> Result<Vec<Quarantined>> {
    let rows: Vec<(ObjectId, String, String, String, String, i64)> = c
        .prepare_cached("SELECT entry_id, code, reason, failures, local, at FROM sync_quarantine WHERE customer_id = ?1 ORDER BY at, entry_id")?
        .query_map(params![customer], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(entry_id, code, reason, failures, local, at)| {
            Ok(Quarantined {
                entry_id,
                code,
                reason,
                failures: serde_json::from_str(&failures).map_err(storage)?,
                local: serde_json::from_str(&local).map_err(storage)?,
                at: Timestamp::from_millis(at)?,
            })
        })
        .collect()
}

pub(super) fn log_conflict(c: &Connection, customer: &ObjectId, id: &ObjectId, field: &str, local: &str, server: &str, at: Timestamp) -> Result<()> {
    c.prepare_cached("INSERT INTO sync_conflicts (customer_id, entry_id, field, local_value, server_value, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
        .execute(params![customer, id, field, local, server, at.millis()])?;
    Ok(())
}

pub(super) fn conflicts(c: &Connection, customer: &ObjectId) -> Result<Vec<ConflictRecord>> {
    let rows: Vec<(i64, ObjectId, String, String, String, i64)> = c
        .prepare_cached("SELECT seq, entry_id, field, local_value, server_value, at FROM sync_conflicts WHERE customer_id = ?1 ORDER BY seq")?
        .query_map(params![customer], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(seq, entry_id, field, l, s, at)| {
            Ok(ConflictRecord {
                seq,
                entry_id,
                field,
                local_value: serde_json::from_str(&l).map_err(storage)?,
                server_value: serde_json::from_str(&s).map_err(storage)?,
                at: Timestamp::from_millis(at)?,
            })
        })
        .collect()
}

pub(super) fn counts(c: &Connection, customer: &ObjectId) -> Result<(u64, u64)> {
    let q: i64 = c.prepare_cached("SELECT count(*) FROM sync_quarantine WHERE customer_id = ?1")?.query_row(params![customer], |r| r.get(0))?;
    let k: i64 = c.prepare_cached("SELECT count(*) FROM sync_conflicts WHERE customer_id = ?1")?.query_row(params![customer], |r| r.get(0))?;
    Ok((u64::try_from(q).unwrap_or(0), u64::try_from(k).unwrap_or(0)))
}

pub(super) fn cursor(c: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<(i64, i64)> {
    Ok(c.prepare_cached("SELECT entry_cursor, reference_cursor FROM sync_devices WHERE customer_id = ?1 AND user_id = ?2")?
        .query_row(params![customer, user], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, 0)))
}

pub(super) fn set_cursor(c: &Connection, customer: &ObjectId, user: &ObjectId, entry_seq: i64, reference_seq: i64) -> Result<()> {
    c.prepare_cached("UPDATE sync_devices SET entry_cursor = ?3, reference_cursor = ?4 WHERE customer_id = ?1 AND user_id = ?2")?.execute(params![
        customer,
        user,
        entry_seq,
        reference_seq
    ])?;
    Ok(())
}

pub(super) fn outcome(c: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<(bool, Option<String>, Option<Timestamp>)> {
    let row: Option<(Option<String>, Option<String>, Option<i64>)> = c
        .prepare_cached("SELECT inflight, last_error, last_success_at FROM sync_devices WHERE customer_id = ?1 AND user_id = ?2")?
        .query_row(params![customer, user], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let (inflight, error, success) = row.unwrap_or((None, None, None));
    Ok((inflight.is_some(), error, success.map(Timestamp::from_millis).transpose()?))
}

pub(super) fn record_outcome(c: &Connection, customer: &ObjectId, user: &ObjectId, error: Option<&str>, now: Timestamp) -> Result<()> {
    match error {
        None => c
            .prepare_cached("UPDATE sync_devices SET last_error = NULL, last_success_at = ?3 WHERE customer_id = ?1 AND user_id = ?2")?
            .execute(params![customer, user, now.millis()])?,
        Some(e) => c.prepare_cached("UPDATE sync_devices SET last_error = ?3 WHERE customer_id = ?1 AND user_id = ?2")?.execute(params![customer, user, e])?,
    };
    Ok(())
}
