//! Timers (domain.md §4.4): resume on the same local day only, sessions capped at local
//! midnight across DST nights, and the duration adjustment. (One running timer per user, which
//! also checks the SQLite schema, is `tests/tests/timers.rs`.)

use tenths::{EntryPatch, ErrorKind, Scope, Status, TimerStart, UserSettings};

use crate::conformance::{open_at, Backend};
use crate::{oid, ts};

fn new_york(engine: &tenths::Engine, customer: &tenths::ObjectId, user: &tenths::ObjectId) {
    engine.update_user_settings(customer, user, &UserSettings { timezone: Some("America/New_York".into()) }).unwrap();
}

pub fn resume_on_another_day_is_refused(backend: &dyn Backend) {
    let (engine, clock) = open_at(backend, "2026-03-10T14:00:00Z");
    let scope = Scope::new(oid(1), oid(2));
    let t = engine.start_timer(&scope, &TimerStart::default()).unwrap();
    clock.set(ts("2026-03-10T15:00:00Z"));
    engine.stop_timer(&scope, &t.id).unwrap();
    clock.set(ts("2026-03-11T09:00:00Z"));
    let err = engine.resume_timer(&scope, &t.id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(engine.stop_timer(&scope, &t.id).unwrap_err().kind(), ErrorKind::Conflict, "not running");
}

/// Spring forward: 2026-03-08 in New York has 23 hours. A timer started at 22:00 local and
/// stopped the next morning ends at 23:59:59.999 local = 03:59:59.999Z.
pub fn midnight_cap_on_a_spring_forward_night(backend: &dyn Backend) {
    let (engine, clock) = open_at(backend, "2026-03-09T02:00:00Z"); // 22:00 EDT on 03-08
    let customer = oid(1);
    let user = oid(2);
    new_york(&engine, &customer, &user);
    let scope = Scope::new(customer, user);
    let t = engine.start_timer(&scope, &TimerStart::default()).unwrap();
    assert_eq!(t.work_date.to_string(), "2026-03-08");
    clock.set(ts("2026-03-09T13:00:00Z"));
    let t = engine.stop_timer(&scope, &t.id).unwrap();
    assert_eq!(t.sources[0].ended_at.unwrap().to_rfc3339(), "2026-03-09T03:59:59.999Z");
    assert_eq!(t.raw_seconds, 7200, "22:00 to midnight local, rounded from 7199.999 s");
}

/// Fall back: 2026-11-01 in New York has 25 hours. A session from 00:30 local runs to
/// 23:59:59.999 local = 04:59:59.999Z on 11-02, 24.5 hours of wall time.
pub fn midnight_cap_on_a_fall_back_night(backend: &dyn Backend) {
    let (engine, clock) = open_at(backend, "2026-11-01T04:30:00Z"); // 00:30 EDT on 11-01
    let customer = oid(1);
    let user = oid(2);
    new_york(&engine, &customer, &user);
    let scope = Scope::new(customer, user);
    let t = engine.start_timer(&scope, &TimerStart::default()).unwrap();
    assert_eq!(t.work_date.to_string(), "2026-11-01");
    // Starting another timer the next day stops this one at its midnight, not at "now".
    clock.set(ts("2026-11-02T15:00:00Z"));
    let next = engine.start_timer(&scope, &TimerStart::default()).unwrap();
    assert_eq!(next.work_date.to_string(), "2026-11-02");
    let t = engine.get_entry(&scope, &t.id).unwrap();
    assert_eq!(t.sources[0].ended_at.unwrap().to_rfc3339(), "2026-11-02T04:59:59.999Z");
    assert_eq!(t.raw_seconds, 24 * 3600 + 1800);
    // Over 24 hours: the duration rule fails.
    assert_eq!(t.status, Status::ValidationFailed);
    assert!(t.validation_failed_errors.iter().any(|f| f.rule == "duration"));
}

pub fn a_running_timer_past_midnight_is_settled_before_a_release(backend: &dyn Backend) {
    let (engine, clock) = open_at(backend, "2026-03-10T23:00:00Z");
    let customer = oid(1);
    let scope = Scope::new(customer, oid(2));
    let matter = crate::simple_matter(&engine, &customer);
    let t = engine.start_timer(&scope, &TimerStart { initiative_id: Some(matter), summary: Some("Late research".into()), ..Default::default() }).unwrap();
    assert_eq!(engine.release_entry(&scope, &t.id).unwrap_err().kind(), ErrorKind::Conflict, "a running timer waits");
    clock.set(ts("2026-03-11T08:00:00Z"));
    let released = engine.release_entry(&scope, &t.id).unwrap();
    assert_eq!(released.status, Status::ReleasePending);
    assert_eq!(released.sources[0].ended_at.unwrap().to_rfc3339(), "2026-03-10T23:59:59.999Z");
    assert_eq!(released.raw_seconds, 3600);
}

pub fn duration_adjustment_adds_and_never_goes_below_zero(backend: &dyn Backend) {
    let (engine, clock) = open_at(backend, "2026-03-10T14:00:00Z");
    let customer = oid(1);
    let scope = Scope::new(customer, oid(2));
    let t = engine.start_timer(&scope, &TimerStart::default()).unwrap();
    clock.set(ts("2026-03-10T14:10:00Z"));
    engine.stop_timer(&scope, &t.id).unwrap();
    let e = engine.edit_entry(&scope, &t.id, &EntryPatch { timer_duration_adjustment_in_seconds: Some(300), ..Default::default() }).unwrap();
    assert_eq!((e.raw_seconds, e.unit_increment_count_from_sources, e.timer_duration_adjustment_in_seconds), (900, 3, 300));
    let e = engine.edit_entry(&scope, &t.id, &EntryPatch { timer_duration_adjustment_in_seconds: Some(-5000), ..Default::default() }).unwrap();
    assert_eq!((e.raw_seconds, e.unit_increment_count_from_sources), (0, 0));
}
