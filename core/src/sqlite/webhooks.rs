//! The statements of webhooks (migration 0007): subscriptions, the outbox of deliveries, a
//! subscription's head, and the one cross-customer query of what is due (through the partial
//! index `webhook_deliveries_due`).

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::storage;
use crate::error::Result;
use crate::model::webhooks::*;
use crate::rules::ids::ObjectId;
use crate::rules::time::Timestamp;

const SUBSCRIPTION_COLUMNS: &str = "customer_id, id, url, kinds, secret, created_at, disabled_at, disabled_reason, dead_in_a_row";
const DELIVERY_COLUMNS: &str = "subscription_id, id, seq, event_id, kind, state, attempts, payload, created_at, next_attempt_at, last_attempt_at, \
     last_status, last_error, delivered_at, lease_owner, lease_until";

fn at(ms: Option<i64>) -> Option<Timestamp> {
    ms.map(Timestamp::from_millis_clamped)
}

fn subscription_of(r: &Row<'_>) -> rusqlite::Result<(Subscription, String)> {
    let kinds: String = r.get(3)?;
    let disabled = match (r.get::<_, Option<i64>>(6)?, r.get::<_, Option<String>>(7)?) {
        (Some(ms), why) => Some((Timestamp::from_millis_clamped(ms), why.unwrap_or_default())),
        (None, _) => None,
    };
    let s = Subscription {
        customer: r.get(0)?,
        id: r.get(1)?,
        url: r.get(2)?,
        kinds: Vec::new(),
        secret: r.get(4)?,
        created_at: Timestamp::from_millis_clamped(r.get(5)?),
        disabled,
        dead_in_a_row: r.get(8)?,
    };
    Ok((s, kinds))
}

fn with_kinds((mut s, kinds): (Subscription, String)) -> Result<Subscription> {
    s.kinds = kinds_from_json(&kinds).ok_or_else(|| storage(format!("webhook {} has unreadable event kinds {kinds:?}", s.id)))?;
    Ok(s)
}

fn unknown(column: usize, what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, format!("unknown {what} {value:?}").into())
}

fn delivery_of(r: &Row<'_>) -> rusqlite::Result<Delivery> {
    let lease = match (r.get::<_, Option<String>>(14)?, r.get::<_, Option<i64>>(15)?) {
        (Some(owner), Some(until)) => Some((owner, Timestamp::from_millis_clamped(until))),
        _ => None,
    };
    let (kind, state): (String, String) = (r.get(4)?, r.get(5)?);
    Ok(Delivery {
        subscription_id: r.get(0)?,
        id: r.get(1)?,
        seq: r.get(2)?,
        event_id: r.get(3)?,
        kind: event_kind(&kind).ok_or_else(|| unknown(4, "event kind", &kind))?,
        state: DeliveryState::parse(&state).ok_or_else(|| unknown(5, "delivery state", &state))?,
        attempts: r.get(6)?,
        payload: r.get(7)?,
        created_at: Timestamp::from_millis_clamped(r.get(8)?),
        next_attempt_at: Timestamp::from_millis_clamped(r.get(9)?),
        last_attempt_at: at(r.get(10)?),
        last_status: r.get(11)?,
        last_error: r.get(12)?,
        delivered_at: at(r.get(13)?),
        lease,
    })
}

pub(super) fn subscriptions(c: &Connection, customer: &ObjectId) -> Result<Vec<Subscription>> {
    let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE customer_id = ?1 ORDER BY created_at, id");
    let rows = c.prepare_cached(&sql)?.query_map(params![customer], subscription_of)?.collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(with_kinds).collect()
}

pub(super) fn subscription(c: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<Subscription>> {
    let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE customer_id = ?1 AND id = ?2");
    c.prepare_cached(&sql)?.query_row(params![customer, id], subscription_of).optional()?.map(with_kinds).transpose()
}

pub(super) fn deliveries(c: &Connection, customer: &ObjectId, subscription: &ObjectId, limit: usize) -> Result<Vec<Delivery>> {
    let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE customer_id = ?1 AND subscription_id = ?2 ORDER BY seq DESC LIMIT ?3");
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(c.prepare_cached(&sql)?.query_map(params![customer, subscription, limit], delivery_of)?.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn delivery(c: &Connection, customer: &ObjectId, subscription: &ObjectId, id: &ObjectId) -> Result<Option<Delivery>> {
    let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE customer_id = ?1 AND subscription_id = ?2 AND id = ?3");
    Ok(c.prepare_cached(&sql)?.query_row(params![customer, subscription, id], delivery_of).optional()?)
}

pub(super) fn head(c: &Connection, customer: &ObjectId, subscription: &ObjectId) -> Result<Option<ObjectId>> {
    Ok(c.prepare_cached("SELECT id FROM webhook_deliveries WHERE customer_id = ?1 AND subscription_id = ?2 AND state = 'pending' ORDER BY seq LIMIT 1")?
        .query_row(params![customer, subscription], |r| r.get(0))
        .optional()?)
}

/// The one statement across customers: pending rows due by `now` through the partial index,
/// not leased, and first of their subscription (the `NOT EXISTS` probes the per-subscription
/// index).
pub(super) fn due(c: &Connection, now: Timestamp, limit: usize) -> Result<Vec<DueDelivery>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = c
        .prepare_cached(
            "SELECT d.customer_id, d.subscription_id, d.id FROM webhook_deliveries d INDEXED BY webhook_deliveries_due
             WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 AND (d.lease_until IS NULL OR d.lease_until <= ?1)
               AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.customer_id = d.customer_id AND e.subscription_id = d.subscription_id
                               AND e.state = 'pending' AND e.seq < d.seq)
             ORDER BY d.next_attempt_at LIMIT ?2",
        )?
        .query_map(params![now.millis(), limit], |r| Ok(DueDelivery { customer: r.get(0)?, subscription: r.get(1)?, delivery: r.get(2)? }))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub(super) fn insert_subscription(c: &Connection, s: &Subscription) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO webhook_subscriptions (customer_id, id, url, kinds, secret, created_at, disabled_at, disabled_reason, dead_in_a_row)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        s.customer,
        s.id,
        s.url,
        kinds_to_json(&s.kinds),
        s.secret,
        s.created_at.millis(),
        s.disabled.as_ref().map(|(at, _)| at.millis()),
        s.disabled.as_ref().map(|(_, why)| why.as_str()),
        s.dead_in_a_row
    ])?;
    Ok(())
}

pub(super) fn update_subscription(c: &Connection, s: &Subscription) -> Result<()> {
    c.prepare_cached("UPDATE webhook_subscriptions SET disabled_at = ?3, disabled_reason = ?4, dead_in_a_row = ?5 WHERE customer_id = ?1 AND id = ?2")?
        .execute(params![
            s.customer,
            s.id,
            s.disabled.as_ref().map(|(at, _)| at.millis()),
            s.disabled.as_ref().map(|(_, why)| why.as_str()),
            s.dead_in_a_row
        ])?;
    Ok(())
}

pub(super) fn delete_subscription(c: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<bool> {
    c.prepare_cached("DELETE FROM webhook_deliveries WHERE customer_id = ?1 AND subscription_id = ?2")?.execute(params![customer, id])?;
    let n = c.prepare_cached("DELETE FROM webhook_subscriptions WHERE customer_id = ?1 AND id = ?2")?.execute(params![customer, id])?;
    Ok(n > 0)
}

pub(super) fn insert_delivery(c: &Connection, customer: &ObjectId, d: &Delivery) -> Result<i64> {
    let seq: i64 = c
        .prepare_cached("UPDATE webhook_subscriptions SET next_seq = next_seq + 1 WHERE customer_id = ?1 AND id = ?2 RETURNING next_seq")?
        .query_row(params![customer, d.subscription_id], |r| r.get(0))?;
    c.prepare_cached(
        "INSERT INTO webhook_deliveries (customer_id, subscription_id, id, seq, event_id, kind, state, attempts, payload, created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        customer,
        d.subscription_id,
        d.id,
        seq,
        d.event_id,
        d.kind.as_str(),
        d.state.as_str(),
        d.attempts,
        d.payload,
        d.created_at.millis(),
        d.next_attempt_at.millis()
    ])?;
    Ok(seq)
}

pub(super) fn update_delivery(c: &Connection, customer: &ObjectId, d: &Delivery) -> Result<()> {
    c.prepare_cached(
        "UPDATE webhook_deliveries SET state = ?3, attempts = ?4, next_attempt_at = ?5, last_attempt_at = ?6, last_status = ?7, last_error = ?8,
         delivered_at = ?9, lease_owner = ?10, lease_until = ?11 WHERE customer_id = ?1 AND id = ?2",
    )?
    .execute(params![
        customer,
        d.id,
        d.state.as_str(),
        d.attempts,
        d.next_attempt_at.millis(),
        d.last_attempt_at.map(Timestamp::millis),
        d.last_status,
        d.last_error,
        d.delivered_at.map(Timestamp::millis),
        d.lease.as_ref().map(|(owner, _)| owner.as_str()),
        d.lease.as_ref().map(|(_, until)| until.millis())
    ])?;
    Ok(())
}

pub(super) fn move_deliveries(
    c: &Connection,
    customer: &ObjectId,
    subscription: &ObjectId,
    from: DeliveryState,
    to: DeliveryState,
    due: Timestamp,
) -> Result<u64> {
    let n = c
        .prepare_cached(
            "UPDATE webhook_deliveries SET state = ?4, next_attempt_at = ?5, lease_owner = NULL, lease_until = NULL
             WHERE customer_id = ?1 AND subscription_id = ?2 AND state = ?3",
        )?
        .execute(params![customer, subscription, from.as_str(), to.as_str(), due.millis()])?;
    Ok(u64::try_from(n).unwrap_or(u64::MAX))
}
