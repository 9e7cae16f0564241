//! Timers (domain.md §4.4), SQLite side: one running timer per user, kept by the engine and by
//! the schema's partial unique index. The rest of the timer rules run in the conformance harness
//! (`tests/src/suites/timers.rs`).

use tenths::{Scope, Status, TimerStart};
use tenths_tests::{engine_at, oid, ts};

#[test]
fn starting_a_timer_stops_the_other_and_the_schema_allows_one() {
    let (engine, clock) = engine_at("2026-03-10T14:00:00Z");
    let customer = oid(1);
    let scope = Scope::new(customer, oid(2));
    let matter = tenths_tests::simple_matter(&engine, &customer);
    let first = engine.start_timer(&scope, &TimerStart { initiative_id: Some(matter), summary: Some("Call".into()), ..Default::default() }).unwrap();
    assert_eq!(first.status, Status::ValidationPending);
    assert!(first.created_as_timer && first.timer_running());
    assert_eq!(first.creation_method, "timer");
    clock.set(ts("2026-03-10T14:20:00Z"));
    let second = engine.start_timer(&scope, &TimerStart { initiative_id: Some(matter), summary: Some("Draft".into()), ..Default::default() }).unwrap();
    let first = engine.get_entry(&scope, &first.id).unwrap();
    assert!(!first.timer_running());
    assert_eq!(first.raw_seconds, 1200);
    assert_eq!(first.status, Status::ValidationSucceeded);
    assert_eq!(first.unit_increment_count(), 4);
    assert!(second.timer_running());
    // Resuming the first on the same day stops the second.
    clock.set(ts("2026-03-10T14:30:00Z"));
    let first = engine.resume_timer(&scope, &first.id).unwrap();
    assert!(first.timer_running());
    let second = engine.get_entry(&scope, &second.id).unwrap();
    assert!(!second.timer_running());
    assert_eq!(second.raw_seconds, 600);
    // The partial unique index refuses a second running session even past the engine's checks.
    let dir = tenths_tests::TempDir::new("timer-index");
    let path = dir.file("t.sqlite");
    let file_engine = tenths::Engine::open(&path).unwrap();
    file_engine.start_timer(&scope, &TimerStart::default()).unwrap();
    file_engine.close().unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let err = conn
        .execute(
            "INSERT INTO sources (customer_id, id, user_id, entry_pk, kind, started_at, ended_at) VALUES (?1, 'ffffffffffffffffffffffff', ?2, NULL, 'timer', 0, NULL)",
            rusqlite::params![customer.to_string(), oid(2).to_string()],
        )
        .unwrap_err();
    assert!(err.to_string().contains("UNIQUE"), "{err}");
}
