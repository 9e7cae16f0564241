//! Webhooks (issue 16, decisions 96–100): subscribing (target checked against the
//! forbidden-address policy before anything is stored), the transactional outbox (a change's
//! event is queued for every matching subscription of the customer in the change's own
//! transaction, its payload built then), and the delivery worker's steps: what is due, claiming
//! one delivery under a lease (one in flight per subscription, in order), and recording an
//! attempt (delivered, retried after a backoff, dead, the subscription disabled).

use super::{Cx, Rx};
use crate::error::{Result, TenthsError};
use crate::model::events::{ChangeEvent, EventKind};
use crate::model::webhooks::*;
use crate::model::Entry;
use crate::rules::ids::ObjectId;
use crate::rules::time::Timestamp;
use crate::rules::webhooks::{check_target, new_secret, AllowedHosts, RetryPolicy, MAX_SUBSCRIPTIONS};

/// How many deliveries `GET …/deliveries` answers (the newest).
pub const DELIVERIES_SHOWN: usize = 100;

/// Checks a new subscription's input: the target, and the kinds (known, at least one, no
/// repeats kept).
pub(crate) fn check_new(input: &NewSubscription, allowed: &AllowedHosts) -> Result<Vec<EventKind>> {
    check_target(&input.url, "url", allowed)?;
    if input.events.is_empty() {
        return Err(TenthsError::invalid("events", "name at least one event kind"));
    }
    if input.events.len() > EventKind::ALL.len() {
        return Err(TenthsError::invalid("events", format!("at most {} event kinds", EventKind::ALL.len())));
    }
    let mut kinds = Vec::new();
    for (i, name) in input.events.iter().enumerate() {
        let kind = event_kind(name).ok_or_else(|| TenthsError::invalid(format!("events[{i}]"), "is not an event kind (entry.created, entry.released, …)"))?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

/// Stores a new subscription with a new secret.
pub(crate) fn subscribe(cx: &mut Cx<'_>, customer: &ObjectId, input: &NewSubscription, kinds: &[EventKind], secret: &str) -> Result<Subscription> {
    if cx.tx.webhook_subscriptions(customer)?.len() >= MAX_SUBSCRIPTIONS {
        return Err(TenthsError::Conflict { reason: format!("a customer may hold at most {MAX_SUBSCRIPTIONS} webhook subscriptions; delete one first") });
    }
    cx.tx.ensure_customer(customer, cx.now)?;
    let s = Subscription {
        id: ObjectId::generate(cx.now.millis().div_euclid(1000)),
        customer: *customer,
        url: input.url.clone(),
        kinds: kinds.to_vec(),
        secret: secret.to_string(),
        created_at: cx.now,
        disabled: None,
        dead_in_a_row: 0,
    };
    cx.tx.insert_webhook_subscription(&s)?;
    Ok(s)
}

/// A new secret (drawn before the transaction: a retried transaction keeps it).
pub(crate) fn secret() -> Result<String> {
    new_secret()
}

/// Removes a subscription and its deliveries; another customer's, or none, is 404.
pub(crate) fn unsubscribe(cx: &mut Cx<'_>, customer: &ObjectId, id: &ObjectId) -> Result<()> {
    match cx.tx.delete_webhook_subscription(customer, id)? {
        true => Ok(()),
        false => Err(TenthsError::not_found("webhook", id)),
    }
}

/// One subscription of the customer, or 404.
pub(crate) fn find(rx: &mut Rx<'_>, customer: &ObjectId, id: &ObjectId) -> Result<Subscription> {
    rx.tx.webhook_subscription(customer, id)?.ok_or_else(|| TenthsError::not_found("webhook", id))
}

/// The newest deliveries of a subscription of the customer (404 when it is not theirs).
pub(crate) fn deliveries(rx: &mut Rx<'_>, customer: &ObjectId, id: &ObjectId) -> Result<Vec<Delivery>> {
    find(rx, customer, id)?;
    rx.tx.webhook_deliveries(customer, id, DELIVERIES_SHOWN)
}

/// Queues a dead delivery again (409 when it is not dead), due now; a disabled subscription is
/// enabled again and its held deliveries queued behind it (the operator says the target works).
pub(crate) fn redeliver(cx: &mut Cx<'_>, customer: &ObjectId, subscription: &ObjectId, id: &ObjectId) -> Result<Delivery> {
    let mut s = cx.tx.webhook_subscription(customer, subscription)?.ok_or_else(|| TenthsError::not_found("webhook", subscription))?;
    let mut d = cx.tx.webhook_delivery(customer, subscription, id)?.ok_or_else(|| TenthsError::not_found("delivery", id))?;
    if d.state != DeliveryState::Dead {
        return Err(TenthsError::Conflict { reason: format!("delivery {id} is {}, not dead: only a dead delivery is redelivered", d.state.as_str()) });
    }
    d.state = DeliveryState::Pending;
    d.attempts = 0;
    d.next_attempt_at = cx.now;
    d.lease = None;
    cx.tx.update_webhook_delivery(customer, &d)?;
    if s.disabled.is_some() || s.dead_in_a_row != 0 {
        s.disabled = None;
        s.dead_in_a_row = 0;
        cx.tx.update_webhook_subscription(&s)?;
        cx.tx.move_webhook_deliveries(customer, subscription, DeliveryState::Held, DeliveryState::Pending, cx.now)?;
    }
    Ok(d)
}

/// The outbox: queues `event` for every active subscription of its customer that wants its
/// kind, in the change's transaction (so a committed change has its deliveries, and a rolled
/// back one has none). The payload is built now, from the entry after the change.
pub(crate) fn enqueue(cx: &mut Cx<'_>, event: &ChangeEvent, after: &Entry) -> Result<()> {
    if cx.subscriptions.as_ref().is_none_or(|(customer, _)| *customer != event.customer) {
        cx.subscriptions = Some((event.customer, cx.tx.webhook_subscriptions(&event.customer)?));
    }
    let Some((_, subscriptions)) = &cx.subscriptions else { return Ok(()) };
    let mut payload = None;
    for s in subscriptions.iter().filter(|s| s.wants(event.kind)) {
        let body = match &payload {
            Some(body) => body,
            None => payload.insert(payload_of(event, after)?),
        };
        let d = Delivery {
            id: ObjectId::generate(cx.now.millis().div_euclid(1000)),
            subscription_id: s.id,
            event_id: event.id,
            kind: event.kind,
            seq: 0,
            state: DeliveryState::Pending,
            attempts: 0,
            created_at: cx.now,
            next_attempt_at: cx.now,
            last_attempt_at: None,
            last_status: None,
            last_error: None,
            delivered_at: None,
            payload: body.clone(),
            lease: None,
        };
        cx.tx.insert_webhook_delivery(&event.customer, &d)?;
    }
    Ok(())
}

/// The JSON body of an event's deliveries: `{id, kind, at, entry}` (the entry in the flat wire
/// shape of the export window).
pub fn payload_of(event: &ChangeEvent, after: &Entry) -> Result<String> {
    let body = serde_json::json!({"id": event.id, "kind": event.kind.as_str(), "at": event.at, "entry": after.flat()});
    serde_json::to_string(&body).map_err(|e| TenthsError::Storage { reason: format!("a webhook payload could not be written: {e}") })
}

/// Deliveries of any customer the worker may attempt now (see `ReadTx::due_webhook_deliveries`).
pub(crate) fn due(rx: &mut Rx<'_>, now: Timestamp, limit: usize) -> Result<Vec<DueDelivery>> {
    rx.tx.due_webhook_deliveries(now, limit)
}

/// Claims a due delivery for `owner` until `now + lease_millis`, in the customer's transaction:
/// `None` when it is no longer pending and due, another worker holds an unexpired lease on it,
/// it is not first in its subscription's order, or its subscription is disabled or gone.
pub(crate) fn claim(cx: &mut Cx<'_>, due: &DueDelivery, owner: &str, lease_millis: i64) -> Result<Option<ClaimedDelivery>> {
    let Some(s) = cx.tx.webhook_subscription(&due.customer, &due.subscription)? else { return Ok(None) };
    if s.disabled.is_some() || cx.tx.webhook_head(&due.customer, &due.subscription)? != Some(due.delivery) {
        return Ok(None);
    }
    let Some(mut d) = cx.tx.webhook_delivery(&due.customer, &due.subscription, &due.delivery)? else { return Ok(None) };
    let leased = d.lease.as_ref().is_some_and(|(_, until)| *until > cx.now);
    if d.state != DeliveryState::Pending || d.next_attempt_at > cx.now || leased {
        return Ok(None);
    }
    let until = Timestamp::from_millis_clamped(cx.now.millis().saturating_add(lease_millis.max(1)));
    d.lease = Some((owner.to_string(), until));
    cx.tx.update_webhook_delivery(&due.customer, &d)?;
    Ok(Some(ClaimedDelivery {
        customer: due.customer,
        subscription: s.id,
        delivery: d.id,
        event_id: d.event_id,
        url: s.url,
        secret: s.secret,
        payload: d.payload,
        attempts: d.attempts,
    }))
}

/// Records how an attempt of a claimed delivery ended, if `owner` still holds it (a worker
/// whose lease expired and was taken over records nothing: the other one attempts again, with
/// the same event id). A 2xx delivers it; a failure schedules the next attempt after the
/// policy's backoff (`jitter` in `[0, 1)`), or marks it dead after the last attempt; dead
/// deliveries in a row disable the subscription and hold its pending deliveries.
pub(crate) fn finish(cx: &mut Cx<'_>, claimed: &ClaimedDelivery, owner: &str, outcome: &AttemptOutcome, policy: &RetryPolicy, jitter: f64) -> Result<()> {
    let (customer, sub_id) = (&claimed.customer, &claimed.subscription);
    let Some(mut d) = cx.tx.webhook_delivery(customer, sub_id, &claimed.delivery)? else { return Ok(()) };
    if d.state != DeliveryState::Pending || d.lease.as_ref().map(|(o, _)| o.as_str()) != Some(owner) {
        return Ok(());
    }
    let Some(mut s) = cx.tx.webhook_subscription(customer, sub_id)? else { return Ok(()) };
    d.lease = None;
    d.attempts = d.attempts.saturating_add(1);
    d.last_attempt_at = Some(cx.now);
    match outcome {
        AttemptOutcome::Delivered { status } => {
            d.state = DeliveryState::Delivered;
            d.delivered_at = Some(cx.now);
            d.last_status = Some(*status);
            d.last_error = None;
            if s.dead_in_a_row != 0 {
                s.dead_in_a_row = 0;
                cx.tx.update_webhook_subscription(&s)?;
            }
        }
        AttemptOutcome::Failed { status, error } => {
            d.last_status = *status;
            d.last_error = Some(error.chars().take(500).collect());
            if policy.is_dead(d.attempts) {
                d.state = DeliveryState::Dead;
                s.dead_in_a_row = s.dead_in_a_row.saturating_add(1);
                if s.dead_in_a_row >= policy.disable_after_dead.max(1) && s.disabled.is_none() {
                    let why = format!("{} deliveries in a row failed every attempt; the last: {}", s.dead_in_a_row, d.last_error.as_deref().unwrap_or(""));
                    s.disabled = Some((cx.now, why));
                }
                cx.tx.update_webhook_subscription(&s)?;
            } else {
                let wait = policy.backoff_millis(d.attempts, jitter);
                d.next_attempt_at = Timestamp::from_millis_clamped(cx.now.millis().saturating_add(wait));
            }
        }
    }
    cx.tx.update_webhook_delivery(customer, &d)?;
    if s.disabled.is_some() {
        cx.tx.move_webhook_deliveries(customer, sub_id, DeliveryState::Pending, DeliveryState::Held, cx.now)?;
    }
    Ok(())
}
