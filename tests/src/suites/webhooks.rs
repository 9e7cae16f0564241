//! Webhooks over the storage interface (decisions 96–100), the delivery worker's steps driven by
//! hand on a fixed clock (no HTTP: `cli/tests/serve_webhooks.rs` posts to a real receiver):
//! the outbox row is written with the change and not without it, deliveries of a subscription
//! are due one at a time in order, a claimed delivery cannot be claimed again until its lease
//! expires (two servers never post it at once), failures back off, die, disable the
//! subscription and hold its queue, and a redelivery revives it. Tenancy: another customer sees
//! nothing.

use std::sync::Arc;

use tenths::model::webhooks::{AttemptOutcome, DueDelivery, NewSubscription};
use tenths::rules::webhooks::{AllowedHosts, RetryPolicy};
use tenths::{ErrorKind, FixedClock, NewEntry, Scope};

use crate::conformance::Backend;
use crate::{oid, ts};

fn setup(backend: &dyn Backend) -> (crate::conformance::Opened, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(ts("2026-03-10T15:00:00Z")));
    let engine = backend.open(clock.clone());
    engine.set_webhook_allowed_hosts(AllowedHosts::new(["127.0.0.1"]));
    (engine, clock)
}

fn subscribe(engine: &tenths::Engine, events: &[&str]) -> tenths::ObjectId {
    let input = NewSubscription { url: "http://127.0.0.1:9/hook".into(), events: events.iter().map(|e| e.to_string()).collect() };
    engine.create_webhook(&oid(0xc1), &input).unwrap().id
}

fn create(engine: &tenths::Engine, n: u64) -> tenths::ObjectId {
    let input = NewEntry { id: Some(oid(n)), summary: Some(format!("entry {n}")), duration_in_seconds: Some(600), ..Default::default() };
    engine.create_entry(&Scope::new(oid(0xc1), oid(0xa1)), &input).unwrap().0.id
}

const POLICY: RetryPolicy = RetryPolicy { base_millis: 1_000, max_millis: 60_000, max_attempts: 2, disable_after_dead: 2 };

fn failed() -> AttemptOutcome {
    AttemptOutcome::Failed { status: Some(500), error: "the receiver answered 500".into() }
}

pub fn the_outbox_row_is_written_with_the_change_and_only_for_wanted_kinds(backend: &dyn Backend) {
    let (engine, _clock) = setup(backend);
    let created = subscribe(&engine, &["entry.created"]);
    let deleted = subscribe(&engine, &["entry.deleted"]);
    let entry = create(&engine, 0xe1);
    let rows = engine.webhook_deliveries(&oid(0xc1), &created).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].kind.as_str(), rows[0].state.as_str(), rows[0].attempts), ("entry.created", "pending", 0));
    let payload: serde_json::Value = serde_json::from_str(&rows[0].payload).unwrap();
    assert_eq!(payload["id"], rows[0].event_id.to_string());
    assert_eq!(payload["kind"], "entry.created");
    assert_eq!(payload["entry"]["entryId"], entry.to_string());
    assert_eq!(payload["at"], "2026-03-10T15:00:00Z");
    assert!(engine.webhook_deliveries(&oid(0xc1), &deleted).unwrap().is_empty(), "a subscription gets only the kinds it wants");
    // A refused change (a second create with the same id and another body) queues nothing.
    let again = NewEntry { id: Some(oid(0xe1)), summary: Some("another body".into()), ..Default::default() };
    assert!(engine.create_entry(&Scope::new(oid(0xc1), oid(0xa1)), &again).is_err());
    assert_eq!(engine.webhook_deliveries(&oid(0xc1), &created).unwrap().len(), 1);
    // Another customer sees none of it.
    assert!(engine.list_webhooks(&oid(0xc2)).unwrap().is_empty());
    assert_eq!(engine.webhook_deliveries(&oid(0xc2), &created).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(engine.delete_webhook(&oid(0xc2), &created).unwrap_err().kind(), ErrorKind::NotFound);
}

pub fn one_delivery_per_subscription_is_due_in_order_and_a_claim_excludes_others(backend: &dyn Backend) {
    let (engine, clock) = setup(backend);
    let hook = subscribe(&engine, &["entry.created"]);
    for n in 1..=3 {
        create(&engine, 0xe0 + n);
    }
    let due = engine.due_webhook_deliveries(10).unwrap();
    assert_eq!(due.len(), 1, "only the first of a subscription is due: {due:?}");
    let oldest = engine.webhook_deliveries(&oid(0xc1), &hook).unwrap().into_iter().min_by_key(|d| d.seq).unwrap();
    assert_eq!(due[0].delivery, oldest.id);
    let claimed = engine.claim_webhook_delivery(&due[0], "worker-a", 10_000).unwrap().expect("claimed");
    assert_eq!(engine.claim_webhook_delivery(&due[0], "worker-b", 10_000).unwrap(), None, "a leased delivery is not claimed again");
    assert!(engine.due_webhook_deliveries(10).unwrap().is_empty(), "nothing else of the subscription is due while one is in flight");
    // A later delivery of the subscription cannot be claimed out of order.
    let later = engine.webhook_deliveries(&oid(0xc1), &hook).unwrap().into_iter().max_by_key(|d| d.seq).unwrap();
    let skip = DueDelivery { customer: oid(0xc1), subscription: hook, delivery: later.id };
    assert_eq!(engine.claim_webhook_delivery(&skip, "worker-b", 10_000).unwrap(), None);
    // The lease expires (the worker died): another worker takes it; the first one's late
    // outcome is then not recorded.
    clock.advance_millis(10_001);
    let taken = engine.claim_webhook_delivery(&due[0], "worker-b", 10_000).unwrap().expect("claimed after the lease expired");
    engine.finish_webhook_delivery(&claimed, "worker-a", &AttemptOutcome::Delivered { status: 200 }, &POLICY, 0.0).unwrap();
    let d = engine.webhook_deliveries(&oid(0xc1), &hook).unwrap().into_iter().find(|d| d.id == oldest.id).unwrap();
    assert_eq!((d.state.as_str(), d.attempts), ("pending", 0), "a stale worker records nothing");
    engine.finish_webhook_delivery(&taken, "worker-b", &AttemptOutcome::Delivered { status: 200 }, &POLICY, 0.0).unwrap();
    let next = engine.due_webhook_deliveries(10).unwrap();
    assert_eq!(next.len(), 1);
    assert_ne!(next[0].delivery, oldest.id, "the next one in order is due once the first is delivered");
}

pub fn failures_back_off_die_disable_and_a_redelivery_revives(backend: &dyn Backend) {
    let (engine, clock) = setup(backend);
    let hook = subscribe(&engine, &["entry.created"]);
    create(&engine, 0xe1);
    create(&engine, 0xe2);
    let attempt = |outcome: AttemptOutcome| {
        let due = engine.due_webhook_deliveries(10).unwrap();
        let claimed = engine.claim_webhook_delivery(&due[0], "w", 60_000).unwrap().unwrap();
        engine.finish_webhook_delivery(&claimed, "w", &outcome, &POLICY, 0.0).unwrap();
        claimed.delivery
    };
    let first = attempt(failed());
    assert!(engine.due_webhook_deliveries(10).unwrap().is_empty(), "backing off");
    clock.advance_millis(499);
    assert!(engine.due_webhook_deliveries(10).unwrap().is_empty(), "the first wait is half the base with jitter 0");
    clock.advance_millis(1);
    assert_eq!(attempt(failed()), first);
    let d = engine.webhook_deliveries(&oid(0xc1), &hook).unwrap().into_iter().find(|d| d.id == first).unwrap();
    assert_eq!((d.state.as_str(), d.attempts, d.last_status), ("dead", 2, Some(500)));
    assert!(engine.get_webhook(&oid(0xc1), &hook).unwrap().disabled.is_none(), "one dead delivery does not disable");
    // The second one is due at once: a dead delivery does not hold the queue.
    let second = attempt(failed());
    clock.advance_millis(1_000);
    assert_eq!(attempt(failed()), second);
    let s = engine.get_webhook(&oid(0xc1), &hook).unwrap();
    let (_, why) = s.disabled.clone().expect("disabled after two dead deliveries in a row");
    assert!(why.contains("500"), "{why}");
    // Disabled: new events are not queued, nothing is due.
    create(&engine, 0xe3);
    assert_eq!(engine.webhook_deliveries(&oid(0xc1), &hook).unwrap().len(), 2);
    assert!(engine.due_webhook_deliveries(10).unwrap().is_empty());
    // Only a dead delivery is redelivered; a redelivery re-enables.
    let again = engine.redeliver_webhook(&oid(0xc1), &hook, &first).unwrap();
    assert_eq!((again.state.as_str(), again.attempts), ("pending", 0));
    assert!(engine.get_webhook(&oid(0xc1), &hook).unwrap().disabled.is_none());
    assert_eq!(attempt(AttemptOutcome::Delivered { status: 204 }), first);
    assert_eq!(engine.redeliver_webhook(&oid(0xc1), &hook, &first).unwrap_err().kind(), ErrorKind::Conflict);
    assert_eq!(engine.redeliver_webhook(&oid(0xc2), &hook, &second).unwrap_err().kind(), ErrorKind::NotFound);
    create(&engine, 0xe4);
    assert_eq!(engine.webhook_deliveries(&oid(0xc1), &hook).unwrap().len(), 3, "an enabled subscription queues again");
}

pub fn bad_targets_and_kinds_store_nothing(backend: &dyn Backend) {
    let (engine, _clock) = setup(backend);
    let bad = |url: &str, events: &[&str]| {
        let input = NewSubscription { url: url.into(), events: events.iter().map(|e| e.to_string()).collect() };
        match engine.create_webhook(&oid(0xc1), &input).unwrap_err() {
            tenths::TenthsError::InvalidArgument { field, .. } => field,
            other => panic!("{url}: {other}"),
        }
    };
    assert_eq!(bad("gopher://example.com/", &["entry.created"]), "url");
    assert_eq!(bad("http://u:p@example.com/", &["entry.created"]), "url");
    assert_eq!(bad("http://169.254.169.254/", &["entry.created"]), "url");
    assert_eq!(bad("http://127.0.0.2/", &["entry.created"]), "url", "only the allowed host");
    assert_eq!(bad("http://127.0.0.1/", &[]), "events");
    assert_eq!(bad("http://127.0.0.1/", &["entry.created", "entry.nope"]), "events[1]");
    assert!(engine.list_webhooks(&oid(0xc1)).unwrap().is_empty());
}
