//! The statements of the change-event log: `entry_events` (migration 0006), appended to, read by
//! entry and by customer window, pruned by age within a customer.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::storage;
use crate::error::Result;
use crate::model::events::{ActorRole, ChangeEvent, EncodedChanges, EventKind, FieldChange};
use crate::rules::ids::ObjectId;
use crate::rules::time::Timestamp;

const COLUMNS: &str = "seq, customer_id, id, user_id, entry_id, kind, operation, actor_id, role, at, device_at, request_id, changes";

fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Reads an event row (columns in [`COLUMNS`] order).
fn event_from_row(r: &Row<'_>) -> rusqlite::Result<Result<ChangeEvent>> {
    let kind: String = r.get(5)?;
    let role: String = r.get(8)?;
    let changes: String = r.get(12)?;
    let device_at: Option<i64> = r.get(10)?;
    let (seq, customer, id, user, entry_id, operation, actor, at, request_id) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(6)?, r.get(7)?, r.get::<_, i64>(9)?, r.get(11)?);
    Ok((|| {
        let changes: Vec<FieldChange> = serde_json::from_str(&changes).map_err(|e| storage(format!("an event's changes are unreadable: {e}")))?;
        Ok(ChangeEvent {
            id,
            seq,
            customer,
            user,
            entry_id,
            kind: EventKind::parse(&kind).map_err(|_| storage(format!("an event has the kind {kind:?}")))?,
            operation,
            actor,
            role: ActorRole::parse(&role).map_err(|_| storage(format!("an event has the role {role:?}")))?,
            at: Timestamp::from_millis_clamped(at),
            device_at: device_at.map(Timestamp::from_millis_clamped),
            request_id,
            changes,
        })
    })())
}

fn collect(rows: impl Iterator<Item = rusqlite::Result<Result<ChangeEvent>>>) -> Result<Vec<ChangeEvent>> {
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}

/// An event by id.
pub(super) fn event(c: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<ChangeEvent>> {
    let row = c
        .prepare_cached(&format!("SELECT {COLUMNS} FROM entry_events WHERE customer_id = ?1 AND id = ?2"))?
        .query_row(params![customer, id], event_from_row)
        .optional()?;
    row.transpose()
}

/// An entry's events after a position, oldest first.
pub(super) fn entry_events(c: &Connection, customer: &ObjectId, entry: &ObjectId, after_seq: Option<i64>, limit: usize) -> Result<Vec<ChangeEvent>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM entry_events WHERE customer_id = ?1 AND entry_id = ?2 AND seq > ?3 ORDER BY customer_id, entry_id, seq LIMIT ?4"
    ))?;
    let rows = stmt.query_map(params![customer, entry, after_seq.unwrap_or(i64::MIN), limit_of(limit)], event_from_row)?;
    collect(rows)
}

/// The customer's events in a window, by time then position, after a position.
pub(super) fn customer_events(
    c: &Connection,
    customer: &ObjectId,
    after: Timestamp,
    on_or_before: Timestamp,
    from: Option<(Timestamp, i64)>,
    limit: usize,
) -> Result<Vec<ChangeEvent>> {
    let (from_at, from_seq) = match from {
        Some((at, seq)) => (at.millis(), seq),
        None => (after.millis(), i64::MAX),
    };
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM entry_events WHERE customer_id = ?1 AND (at, seq) > (?2, ?3) AND at <= ?4 ORDER BY customer_id, at, seq LIMIT ?5"
    ))?;
    let rows = stmt.query_map(params![customer, from_at, from_seq, on_or_before.millis(), limit_of(limit)], event_from_row)?;
    collect(rows)
}

/// Appends an event; answers its position.
pub(super) fn append(c: &Connection, e: &ChangeEvent, changes: &EncodedChanges) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO entry_events (customer_id, id, user_id, entry_id, kind, operation, actor_id, role, at, device_at, request_id, changes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        e.customer,
        e.id,
        e.user,
        e.entry_id,
        e.kind.as_str(),
        e.operation,
        e.actor,
        e.role.as_str(),
        e.at.millis(),
        e.device_at.map(Timestamp::millis),
        e.request_id,
        changes.as_str()
    ])?;
    Ok(c.last_insert_rowid())
}

/// Removes at most `limit` of the customer's events older than `before`, oldest first.
pub(super) fn prune(c: &Connection, customer: &ObjectId, before: Timestamp, limit: usize) -> Result<u64> {
    let n = c
        .prepare_cached(
            "DELETE FROM entry_events WHERE seq IN
             (SELECT seq FROM entry_events WHERE customer_id = ?1 AND at < ?2 ORDER BY customer_id, at, seq LIMIT ?3)",
        )?
        .execute(params![customer, before.millis(), limit_of(limit)])?;
    Ok(u64::try_from(n).unwrap_or(u64::MAX))
}
