//! The statements of the change-event log on PostgreSQL: `entry_events` (migration 0003),
//! appended to, read by entry and by customer window, pruned by age within the customer (never
//! across shards).

use tenths::model::events::{ActorRole, ChangeEvent, EncodedChanges, EventKind, FieldChange};
use tenths::*;

use crate::tx::{at, big, get, oid, oid_opt, ts, ts_opt, PgTx};
use crate::{sql, storage, Result};

/// Reads an event row (columns in `sql::event_columns!` order).
fn event_from_row(r: &postgres::Row) -> Result<ChangeEvent> {
    let kind: &str = get(r, 5)?;
    let role: &str = get(r, 8)?;
    let changes: Vec<FieldChange> = serde_json::from_str(get::<&str>(r, 12)?).map_err(|e| storage(format!("an event's changes are unreadable: {e}")))?;
    Ok(ChangeEvent {
        seq: get(r, 0)?,
        customer: oid(r, 1)?,
        id: oid(r, 2)?,
        user: oid(r, 3)?,
        entry_id: oid(r, 4)?,
        kind: EventKind::parse(kind).map_err(|_| storage(format!("an event has the kind {kind:?}")))?,
        operation: get(r, 6)?,
        actor: oid_opt(r, 7)?,
        role: ActorRole::parse(role).map_err(|_| storage(format!("an event has the role {role:?}")))?,
        at: ts(r, 9)?,
        device_at: ts_opt(r, 10)?,
        request_id: get(r, 11)?,
        changes,
    })
}

/// An event by id.
pub(crate) fn event(t: &mut PgTx<'_>, customer: &ObjectId, id: &ObjectId) -> Result<Option<ChangeEvent>> {
    t.opt(sql::EVENT, &[&customer.as_str(), &id.as_str()])?.as_ref().map(event_from_row).transpose()
}

/// An entry's events after a position, oldest first.
pub(crate) fn entry_events(t: &mut PgTx<'_>, customer: &ObjectId, entry: &ObjectId, after_seq: Option<i64>, limit: usize) -> Result<Vec<ChangeEvent>> {
    let after = after_seq.unwrap_or(i64::MIN);
    t.rows(sql::ENTRY_EVENTS, &[&customer.as_str(), &entry.as_str(), &after, &big(limit)])?.iter().map(event_from_row).collect()
}

/// The customer's events in a window, by time then position, after a position.
pub(crate) fn customer_events(
    t: &mut PgTx<'_>,
    customer: &ObjectId,
    after: Timestamp,
    on_or_before: Timestamp,
    from: Option<(Timestamp, i64)>,
    limit: usize,
) -> Result<Vec<ChangeEvent>> {
    let (from_at, from_seq) = from.unwrap_or((after, i64::MAX));
    t.rows(sql::CUSTOMER_EVENTS, &[&customer.as_str(), &at(from_at)?, &from_seq, &at(on_or_before)?, &big(limit)])?.iter().map(event_from_row).collect()
}

/// Appends an event; answers its position.
pub(crate) fn append(t: &mut PgTx<'_>, e: &ChangeEvent, changes: &EncodedChanges) -> Result<i64> {
    let changes = changes.as_str();
    let actor = e.actor.as_ref().map(ObjectId::as_str);
    let device_at = e.device_at.map(at).transpose()?;
    let row = t.one(
        sql::APPEND_EVENT,
        &[
            &e.customer.as_str(),
            &e.id.as_str(),
            &e.user.as_str(),
            &e.entry_id.as_str(),
            &e.kind.as_str(),
            &e.operation,
            &actor,
            &e.role.as_str(),
            &at(e.at)?,
            &device_at,
            &e.request_id,
            &changes,
        ],
    )?;
    get(&row, 0)
}

/// Removes at most `limit` of the customer's events older than `before`, oldest first.
pub(crate) fn prune(t: &mut PgTx<'_>, customer: &ObjectId, before: Timestamp, limit: usize) -> Result<u64> {
    t.exec(sql::PRUNE_EVENTS, &[&customer.as_str(), &at(before)?, &big(limit)])
}
