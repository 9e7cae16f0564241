//! The change-event log and the audit API (issue 16): every operation appends exactly the events
//! expected (kind, role, operation, changed fields), in the change's transaction; a device's
//! offline change appears in the server's history once, with the device's time and the device
//! role, even when its push is resent; the history and the customer's events page by cursor and
//! export as CSV; another user's history is a 404; bad paging input is a 400 naming the field;
//! the retention setting prunes; the `events` switch turns the log off.

use std::sync::Arc;

use serde_json::Value;
use tenths::api::{Principal, Request, Response, Role};
use tenths::*;

use crate::conformance::{Backend, Opened};
use crate::http::Api;
use crate::{oid, ts, TempDir};

fn customer() -> ObjectId {
    oid(0xc1)
}
fn owner() -> ObjectId {
    oid(0xa1)
}
fn delegate() -> ObjectId {
    oid(0xa2)
}
fn admin() -> ObjectId {
    oid(0xad)
}

struct World {
    engine: Opened,
    clock: Arc<FixedClock>,
    matter: ObjectId,
}

fn world(backend: &dyn Backend) -> World {
    let clock = Arc::new(FixedClock::new(ts("2026-11-02T15:00:00Z")));
    let engine = backend.open(clock.clone());
    let matter = crate::simple_matter(&engine, &customer());
    World { engine, clock, matter }
}

impl World {
    fn scope(&self) -> Scope {
        Scope::new(customer(), owner())
    }
    fn create(&self, summary: &str) -> Entry {
        let input = NewEntry { initiative_id: Some(self.matter), summary: Some(summary.into()), duration_in_seconds: Some(600), ..Default::default() };
        self.engine.create_entry(&self.scope(), &input).unwrap().0
    }
    fn history(&self, id: &ObjectId) -> Vec<ChangeEvent> {
        self.engine.entry_history(&self.scope(), id, true, 100, None).unwrap().items
    }
    fn as_(&self, principal: Principal, method: &str, path: &str, body: &str) -> Response {
        Api::new(&self.engine, None).serve(&Request::new(method, path, body.as_bytes().to_vec()).with_principal(principal).with_request_id("req-1"))
    }
    fn history_path(&self, user: &ObjectId, id: &ObjectId, query: &str) -> String {
        format!("/api/v1/customers/{}/users/{user}/entries/{id}/history{query}", customer())
    }
}

/// (kind, role, operation, changed fields) of each event.
fn summary(events: &[ChangeEvent]) -> Vec<(&'static str, &'static str, String, Vec<String>)> {
    events.iter().map(|e| (e.kind.as_str(), e.role.as_str(), e.operation.clone(), e.changes.iter().map(|c| c.field.clone()).collect())).collect()
}

fn fields(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

pub fn every_operation_appends_its_events(backend: &dyn Backend) {
    let w = world(backend);
    let e = w.create("Drafted");
    w.engine.edit_entry(&w.scope(), &e.id, &EntryPatch { notes: Some("call the client".into()), ..Default::default() }).unwrap();
    w.engine
        .override_entry(&w.scope().acting_as(delegate()), &e.id, &OverrideInput { summary: Some("Drafted the brief".into()), ..Default::default() })
        .unwrap();
    w.engine.release_entry(&w.scope(), &e.id).unwrap();
    w.engine.release_failed(&customer(), None, &e.id, &["no such matter in the PMS".into()]).unwrap();
    w.engine.unrelease(&w.scope(), &e.id).unwrap();
    w.engine.release_entry(&w.scope(), &e.id).unwrap();
    w.engine.release_succeeded(&customer(), Some(&owner()), &e.id, Some("PMS-1"), None).unwrap();
    let events = w.history(&e.id);
    let got = summary(&events);
    let expect = vec![
        ("entry.created", "user", "create".to_string(), vec![]),
        ("entry.updated", "user", "edit".into(), fields(&["notes"])),
        ("entry.overridden", "delegate", "override".into(), fields(&["summary"])),
        ("entry.released", "user", "release".into(), fields(&["releasedBy", "status", "isLocked", "releaseCount", "lastReleasePendingAt"])),
        ("entry.release_failed", "connector", "release-failed".into(), fields(&["status", "releaseFailedErrors", "isLocked", "lastReleaseFailedAt"])),
        ("entry.unreleased", "user", "unrelease".into(), vec![]),
        ("entry.released", "user", "release".into(), fields(&["status", "isLocked", "releaseCount"])),
        ("entry.release_succeeded", "connector", "release-succeeded".into(), fields(&["externalId", "status", "releaseSuccessAt", "lastSyncedAt"])),
    ];
    assert_eq!(got.len(), expect.len(), "{got:#?}");
    for (g, x) in got.iter().zip(&expect) {
        assert_eq!((g.0, g.1, &g.2), (x.0, x.1, &x.2), "{got:#?}");
        if !x.3.is_empty() {
            assert_eq!(g.3, x.3, "{} {got:#?}", x.0);
        }
    }
    // The creation lists the new entry's fields; an edit names before and after.
    assert!(got[0].3.iter().any(|f| f == "summary") && got[0].3.iter().any(|f| f == "status"), "{:?}", got[0].3);
    let notes = &events[1].changes[0];
    assert_eq!((notes.before.clone(), notes.after.clone()), (Value::Null, Value::from("call the client")));
    assert_eq!(events[2].actor, Some(delegate()));
    assert!(events.iter().all(|ev| ev.entry_id == e.id && ev.customer == customer() && ev.user == owner() && ev.device_at.is_none()));
    assert!(events.windows(2).all(|p| p[0].seq < p[1].seq), "oldest first");

    // Timers: start, stop, resume; starting another stops the first (the engine's own stop).
    let t = w.engine.start_timer(&w.scope(), &TimerStart::default()).unwrap();
    w.clock.advance_millis(60_000);
    w.engine.stop_timer(&w.scope(), &t.id).unwrap();
    w.engine.resume_timer(&w.scope(), &t.id).unwrap();
    w.clock.advance_millis(60_000);
    let t2 = w.engine.start_timer(&w.scope(), &TimerStart::default()).unwrap();
    let got = summary(&w.history(&t.id));
    let kinds: Vec<(&str, &str)> = got.iter().map(|g| (g.0, g.2.as_str())).collect();
    assert_eq!(
        kinds,
        [
            ("entry.timer_started", "timer-start"),
            ("entry.timer_stopped", "timer-stop"),
            ("entry.timer_resumed", "timer-resume"),
            ("entry.timer_stopped", "timer-auto-stop")
        ]
    );
    assert!(got[1].3.contains(&"sources".to_string()), "{:?}", got[1].3);
    assert_eq!(summary(&w.history(&t2.id)).len(), 1);

    // Delete; release-day; a batch report; a rule change that re-validates.
    w.engine.delete_entry(&w.scope(), &t2.id).unwrap();
    assert_eq!(summary(&w.history(&t2.id)).last().map(|g| (g.0, g.3.contains(&"isDeleted".to_string()))), Some(("entry.deleted", true)));
    let d = w.create("Day work");
    w.engine.release_day(&w.scope(), d.work_date, ReleaseDayMode::ReadySubset).unwrap();
    assert_eq!(w.history(&d.id).last().map(|e| (e.kind, e.operation.as_str())), Some((EventKind::Released, "release-day")));
    let item = ReleaseSucceededItem { entry_id: d.id.to_string(), user_id: None, external_id: Some("PMS-2".into()), re_release_failed_messages: None };
    w.engine.release_succeeded_batch(&customer(), &[item]).unwrap();
    assert_eq!(w.history(&d.id).last().map(|e| (e.kind, e.operation.as_str())), Some((EventKind::ReleaseSucceeded, "release-succeeded-batch")));
    // An entry without a matter bills in the customer's default units: changing them re-settles it.
    let (plain, _) = w.engine.create_entry(&w.scope(), &NewEntry { duration_in_seconds: Some(1500), ..Default::default() }).unwrap();
    w.engine.update_customer_settings(&customer(), &CustomerSettingsPatch { default_unit_increments: Some(900), ..Default::default() }).unwrap();
    let last = w.history(&plain.id).pop().unwrap();
    assert_eq!((last.kind, last.role, last.actor, last.operation.as_str()), (EventKind::Revalidated, ActorRole::System, None, "revalidate"));
    assert_eq!(
        last.changes.iter().find(|c| c.field == "unitIncrements").map(|c| (c.before.clone(), c.after.clone())),
        Some((Value::from(360), Value::from(900)))
    );
}

pub fn the_router_records_the_callers_role_and_request_id(backend: &dyn Backend) {
    let w = world(backend);
    let e = w.create("Drafted");
    let path = format!("/api/v1/public/customers/{}/users/{}/entries/{}", customer(), owner(), e.id);
    let as_admin = Principal::new(customer(), admin(), Role::Admin);
    let r = w.as_(as_admin.clone(), "PATCH", &path, r#"{"summary":"Drafted by the admin"}"#);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let mut as_delegate = Principal::new(customer(), delegate(), Role::User);
    as_delegate.delegator_ids = vec![owner()];
    assert_eq!(w.as_(as_delegate, "PATCH", &path, r#"{"notes":"n"}"#).status, 200);
    let events = w.history(&e.id);
    let tail: Vec<_> = events.iter().skip(1).map(|ev| (ev.role, ev.actor, ev.request_id.as_deref())).collect();
    assert_eq!(tail, [(ActorRole::Admin, Some(admin()), Some("req-1")), (ActorRole::Delegate, Some(delegate()), Some("req-1"))]);
    assert_eq!(events[0].request_id, None, "a facade call outside the router has no request id");
}

pub fn history_and_events_page_export_and_hide_other_users(backend: &dyn Backend) {
    let w = world(backend);
    let e = w.create("v0");
    for i in 1..=4 {
        w.clock.advance_millis(1_000);
        w.engine.edit_entry(&w.scope(), &e.id, &EntryPatch { summary: Some(format!("v{i}")), ..Default::default() }).unwrap();
    }
    let user = Principal::new(customer(), owner(), Role::User);
    // Pages of 2: 2, 2, 1; each event once, oldest first.
    let mut seen = Vec::new();
    let mut query = "?pageSize=2".to_string();
    loop {
        let r = w.as_(user.clone(), "GET", &w.history_path(&owner(), &e.id, &query), "");
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let body = r.body_json();
        seen.extend(body["events"].as_array().unwrap().iter().map(|ev| ev["seq"].as_i64().unwrap()));
        match body["nextCursor"].as_str() {
            Some(c) => query = format!("?pageSize=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    assert!(seen.windows(2).all(|p| p[0] < p[1]));
    // CSV: a header and one row per event.
    let csv = w.as_(user.clone(), "GET", &w.history_path(&owner(), &e.id, ".csv"), "");
    assert_eq!((csv.status, csv.header_value("content-type")), (200, Some("text/csv; charset=utf-8")));
    let text = String::from_utf8(csv.body).unwrap();
    assert!(text.starts_with("eventId,at,kind,operation,entryId,"), "{text}");
    assert_eq!(text.lines().count(), 6, "{text}");

    // Another user's history, as a user: 404 whether the entry exists or not (never 403).
    let stranger = Principal::new(customer(), oid(0xa9), Role::User);
    for id in [e.id, oid(0xdead)] {
        let r = w.as_(stranger.clone(), "GET", &w.history_path(&owner(), &id, ""), "");
        assert_eq!(r.status, 404, "{}", String::from_utf8_lossy(&r.body));
    }
    // Another user's entry under one's own path: 404.
    assert_eq!(w.as_(stranger.clone(), "GET", &w.history_path(&oid(0xa9), &e.id, ""), "").status, 404);
    // A deleted entry's history: 404 to its owner, readable to an admin.
    w.engine.delete_entry(&w.scope(), &e.id).unwrap();
    assert_eq!(w.as_(user.clone(), "GET", &w.history_path(&owner(), &e.id, ""), "").status, 404);
    let as_admin = Principal::new(customer(), admin(), Role::Admin);
    let r = w.as_(as_admin.clone(), "GET", &w.history_path(&owner(), &e.id, ""), "");
    assert_eq!((r.status, r.body_json()["events"].as_array().map(Vec::len)), (200, Some(6)));

    // The customer's events: a half-open window by time, paged, and as CSV.
    let created = w.history(&e.id)[0].at;
    let events = |query: &str, who: &Principal| w.as_(who.clone(), "GET", &format!("/api/v1/customers/{}/events{query}", customer()), "");
    let window = format!("?after={}&onOrBefore=2026-11-03T00:00:00Z", created.to_rfc3339());
    let r = events(&window, &as_admin);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.body_json()["events"].as_array().map(Vec::len), Some(5), "after is exclusive: the creation is left out");
    let connector = Principal::new(customer(), oid(0xcc), Role::Connector);
    assert_eq!(events(&format!("{window}&pageSize=1"), &connector).body_json()["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(events(&window, &user).status, 403, "a user reads no customer events");
    let csv = w.as_(connector.clone(), "GET", &format!("/api/v1/customers/{}/events.csv{window}", customer()), "");
    assert_eq!((csv.status, String::from_utf8_lossy(&csv.body).lines().count()), (200, 6));

    // Bad input: 400 naming the field.
    let field = |r: &Response| (r.status, r.body_json()["error"]["field"].as_str().map(str::to_string));
    let unknown = oid(0xbeef);
    assert_eq!(field(&w.as_(as_admin.clone(), "GET", &w.history_path(&owner(), &e.id, &format!("?cursor={unknown}")), "")), (400, Some("cursor".into())));
    assert_eq!(field(&events(&format!("{window}&cursor={unknown}"), &as_admin)), (400, Some("cursor".into())));
    assert_eq!(field(&events("?after=2026-11-03T00:00:00Z&onOrBefore=2026-11-02T00:00:00Z", &as_admin)), (400, Some("onOrBefore".into())));
    assert_eq!(field(&events(&format!("{window}&pageSize=0"), &as_admin)), (400, Some("pageSize".into())));
    assert_eq!(field(&events("?onOrBefore=2026-11-02T00:00:00Z", &as_admin)), (400, Some("after".into())));
}

pub fn a_device_change_appears_once_with_the_device_time_and_role(backend: &dyn Backend) {
    let w = world(backend);
    let dir = TempDir::new("events-device");
    let device_clock = Arc::new(FixedClock::new(ts("2026-11-01T09:00:00Z")));
    let device = Engine::open_with(dir.file("device.sqlite"), OpenOptions::default(), device_clock.clone()).unwrap();
    let scope = w.scope();
    let (local, _) = device.create_entry(&scope, &NewEntry { summary: Some("offline".into()), duration_in_seconds: Some(600), ..Default::default() }).unwrap();
    device_clock.advance_millis(60_000);
    let edited = device.edit_entry(&scope, &local.id, &EntryPatch { notes: Some("on the train".into()), ..Default::default() }).unwrap();
    let batch = device.sync_prepare_push(&customer(), &owner(), 100).unwrap();
    // The push is applied, then resent (its answer lost): the second applies nothing.
    w.engine.sync_apply_push(&scope, &batch).unwrap();
    w.engine.sync_apply_push(&scope, &batch).unwrap();
    let history = w.history(&local.id);
    assert_eq!(history.len(), 1, "{:#?}", summary(&history));
    let ev = &history[0];
    assert_eq!((ev.kind, ev.role, ev.operation.as_str(), ev.actor), (EventKind::Synced, ActorRole::Device, "sync-create", Some(owner())));
    assert_eq!(ev.device_at, Some(edited.updated_at), "the device's recorded time");
    assert_eq!(ev.at, w.clock.now(), "the server's time");
    assert!(ev.changes.iter().any(|c| c.field == "notes" && c.after == Value::from("on the train")));
}

pub fn retention_prunes_old_events_and_the_switch_turns_the_log_off(backend: &dyn Backend) {
    let w = world(backend);
    let old = w.create("old");
    w.engine.update_customer_settings(&customer(), &CustomerSettingsPatch { event_retention_days: Some(1), ..Default::default() }).unwrap();
    assert_eq!(w.engine.customer_settings(&customer()).unwrap().event_retention_days, Some(1));
    w.clock.advance_millis(2 * 86_400_000);
    let new = w.create("new");
    assert!(w.history(&old.id).is_empty(), "older than a day: pruned by the next write");
    assert_eq!(w.history(&new.id).len(), 1);
    let r = w.engine.update_customer_settings(&customer(), &CustomerSettingsPatch { event_retention_days: Some(-1), ..Default::default() });
    assert_eq!(r.unwrap_err().field(), Some("eventRetentionDays"));
    w.engine.update_customer_settings(&customer(), &CustomerSettingsPatch { event_retention_days: Some(0), ..Default::default() }).unwrap();
    assert_eq!(w.engine.customer_settings(&customer()).unwrap().event_retention_days, None, "0 keeps events forever again");

    w.engine.set_events(false);
    let quiet = w.create("quiet");
    w.engine.edit_entry(&w.scope(), &new.id, &EntryPatch { notes: Some("n".into()), ..Default::default() }).unwrap();
    assert!(w.history(&quiet.id).is_empty());
    assert_eq!(w.history(&new.id).len(), 1);
}
