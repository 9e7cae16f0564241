//! The statements of webhooks on PostgreSQL (migration 0004): subscriptions, the outbox of
//! deliveries, a subscription's head, and the one cross-customer query of what is due
//! ([`sql::DUE_WEBHOOK_DELIVERIES`], decision 99).

use postgres::Row;
use tenths::model::webhooks::*;
use tenths::*;

use crate::tx::{at, at_opt, big, get, oid, ts, ts_opt, PgTx};
use crate::{sql, storage, Result};

fn subscription_of(r: &Row) -> Result<Subscription> {
    let id = oid(r, 1)?;
    let stored: &str = get(r, 3)?;
    let kinds = kinds_from_json(stored).ok_or_else(|| storage(format!("webhook {id} has unreadable event kinds {stored:?}")))?;
    let disabled = match ts_opt(r, 6)? {
        Some(at) => Some((at, get::<Option<String>>(r, 7)?.unwrap_or_default())),
        None => None,
    };
    Ok(Subscription { customer: oid(r, 0)?, id, url: get(r, 2)?, kinds, secret: get(r, 4)?, created_at: ts(r, 5)?, disabled, dead_in_a_row: get(r, 8)? })
}

fn delivery_of(r: &Row) -> Result<Delivery> {
    let id = oid(r, 1)?;
    let (kind, state): (&str, &str) = (get(r, 4)?, get(r, 5)?);
    let lease = match (get::<Option<String>>(r, 14)?, ts_opt(r, 15)?) {
        (Some(owner), Some(until)) => Some((owner, until)),
        _ => None,
    };
    Ok(Delivery {
        subscription_id: oid(r, 0)?,
        id,
        seq: get(r, 2)?,
        event_id: oid(r, 3)?,
        kind: event_kind(kind).ok_or_else(|| storage(format!("delivery {id} has an unknown kind {kind:?}")))?,
        state: DeliveryState::parse(state).ok_or_else(|| storage(format!("delivery {id} has an unknown state {state:?}")))?,
        attempts: get(r, 6)?,
        payload: get(r, 7)?,
        created_at: ts(r, 8)?,
        next_attempt_at: ts(r, 9)?,
        last_attempt_at: ts_opt(r, 10)?,
        last_status: get(r, 11)?,
        last_error: get(r, 12)?,
        delivered_at: ts_opt(r, 13)?,
        lease,
    })
}

pub(crate) fn subscriptions(t: &mut PgTx<'_>, customer: &ObjectId) -> Result<Vec<Subscription>> {
    t.rows(sql::WEBHOOK_SUBSCRIPTIONS, &[&customer.as_str()])?.iter().map(subscription_of).collect()
}

pub(crate) fn subscription(t: &mut PgTx<'_>, customer: &ObjectId, id: &ObjectId) -> Result<Option<Subscription>> {
    t.opt(sql::WEBHOOK_SUBSCRIPTION, &[&customer.as_str(), &id.as_str()])?.as_ref().map(subscription_of).transpose()
}

pub(crate) fn deliveries(t: &mut PgTx<'_>, customer: &ObjectId, subscription: &ObjectId, limit: usize) -> Result<Vec<Delivery>> {
    t.rows(sql::WEBHOOK_DELIVERIES, &[&customer.as_str(), &subscription.as_str(), &big(limit)])?.iter().map(delivery_of).collect()
}

pub(crate) fn delivery(t: &mut PgTx<'_>, customer: &ObjectId, subscription: &ObjectId, id: &ObjectId) -> Result<Option<Delivery>> {
    t.opt(sql::WEBHOOK_DELIVERY, &[&customer.as_str(), &subscription.as_str(), &id.as_str()])?.as_ref().map(delivery_of).transpose()
}

pub(crate) fn head(t: &mut PgTx<'_>, customer: &ObjectId, subscription: &ObjectId) -> Result<Option<ObjectId>> {
    t.opt(sql::WEBHOOK_HEAD, &[&customer.as_str(), &subscription.as_str()])?.map(|r| oid(&r, 0)).transpose()
}

pub(crate) fn due(t: &mut PgTx<'_>, now: Timestamp, limit: usize) -> Result<Vec<DueDelivery>> {
    t.rows(sql::DUE_WEBHOOK_DELIVERIES, &[&at(now)?, &big(limit)])?
        .iter()
        .map(|r| Ok(DueDelivery { customer: oid(r, 0)?, subscription: oid(r, 1)?, delivery: oid(r, 2)? }))
        .collect()
}

pub(crate) fn insert_subscription(t: &mut PgTx<'_>, s: &Subscription) -> Result<()> {
    let (disabled_at, why) = (at_opt(s.disabled.as_ref().map(|(at, _)| *at))?, s.disabled.as_ref().map(|(_, why)| why.as_str()));
    t.exec(
        sql::INSERT_WEBHOOK_SUBSCRIPTION,
        &[&s.customer.as_str(), &s.id.as_str(), &s.url, &kinds_to_json(&s.kinds), &s.secret, &at(s.created_at)?, &disabled_at, &why, &s.dead_in_a_row],
    )?;
    Ok(())
}

pub(crate) fn update_subscription(t: &mut PgTx<'_>, s: &Subscription) -> Result<()> {
    let (disabled_at, why) = (at_opt(s.disabled.as_ref().map(|(at, _)| *at))?, s.disabled.as_ref().map(|(_, why)| why.as_str()));
    t.exec(sql::UPDATE_WEBHOOK_SUBSCRIPTION, &[&s.customer.as_str(), &s.id.as_str(), &disabled_at, &why, &s.dead_in_a_row])?;
    Ok(())
}

pub(crate) fn delete_subscription(t: &mut PgTx<'_>, customer: &ObjectId, id: &ObjectId) -> Result<bool> {
    t.exec(sql::DELETE_WEBHOOK_DELIVERIES, &[&customer.as_str(), &id.as_str()])?;
    Ok(t.exec(sql::DELETE_WEBHOOK_SUBSCRIPTION, &[&customer.as_str(), &id.as_str()])? > 0)
}

pub(crate) fn insert_delivery(t: &mut PgTx<'_>, customer: &ObjectId, d: &Delivery) -> Result<i64> {
    let seq: i64 = get(&t.one(sql::NEXT_WEBHOOK_SEQ, &[&customer.as_str(), &d.subscription_id.as_str()])?, 0)?;
    t.exec(
        sql::INSERT_WEBHOOK_DELIVERY,
        &[
            &customer.as_str(),
            &d.subscription_id.as_str(),
            &d.id.as_str(),
            &seq,
            &d.event_id.as_str(),
            &d.kind.as_str(),
            &d.state.as_str(),
            &d.attempts,
            &d.payload,
            &at(d.created_at)?,
            &at(d.next_attempt_at)?,
        ],
    )?;
    Ok(seq)
}

pub(crate) fn update_delivery(t: &mut PgTx<'_>, customer: &ObjectId, d: &Delivery) -> Result<()> {
    let (owner, until) = (d.lease.as_ref().map(|(o, _)| o.as_str()), at_opt(d.lease.as_ref().map(|(_, u)| *u))?);
    t.exec(
        sql::UPDATE_WEBHOOK_DELIVERY,
        &[
            &customer.as_str(),
            &d.id.as_str(),
            &d.state.as_str(),
            &d.attempts,
            &at(d.next_attempt_at)?,
            &at_opt(d.last_attempt_at)?,
            &d.last_status,
            &d.last_error,
            &at_opt(d.delivered_at)?,
            &owner,
            &until,
        ],
    )?;
    Ok(())
}

pub(crate) fn move_deliveries(
    t: &mut PgTx<'_>,
    customer: &ObjectId,
    subscription: &ObjectId,
    from: DeliveryState,
    to: DeliveryState,
    due: Timestamp,
) -> Result<u64> {
    t.exec(sql::MOVE_WEBHOOK_DELIVERIES, &[&customer.as_str(), &subscription.as_str(), &from.as_str(), &to.as_str(), &at(due)?])
}
