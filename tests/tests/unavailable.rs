//! A passing storage condition is its own error kind: another process holding the write lock
//! past the busy timeout answers `Unavailable` (HTTP 503 `unavailable` with `Retry-After`),
//! never a storage failure or a 500, and nothing is written. A closed engine fails its health
//! check: 503 `unavailable`, so a load balancer stops sending it requests.

use std::sync::Arc;

use tenths::api::{handle, Principal, Request, Role};
use tenths::*;
use tenths_tests::{oid, ts, TempDir};

#[test]
fn a_lock_held_past_the_busy_timeout_is_unavailable_and_retryable() {
    let dir = TempDir::new("unavailable");
    let path = dir.file("firm.sqlite");
    let clock = Arc::new(FixedClock::new(ts("2026-11-02T12:00:00Z")));
    let options = OpenOptions { busy_timeout_ms: 50, ..OpenOptions::default() };
    let engine = Engine::open_with(&path, options, clock).unwrap();
    let c = oid(1);
    let scope = Scope::new(c, oid(2));
    engine.create_entry(&scope, &NewEntry { duration_in_seconds: Some(60), ..Default::default() }).unwrap();

    // Another process takes the write lock and keeps it.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();

    let err = engine.create_entry(&scope, &NewEntry { duration_in_seconds: Some(120), ..Default::default() }).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.is_retryable());
    assert_eq!(err.kind().code(), "unavailable");

    let body = br#"{"summary": "Called the client", "durationInSeconds": 300}"#.to_vec();
    let request = Request::new("POST", &format!("/api/v1/public/customers/{c}/users/{}/entries", scope.user), body)
        .header("content-type", "application/json")
        .with_principal(Principal::new(c, scope.user, Role::User));
    let response = handle(&engine, None, &request);
    assert_eq!(response.status, 503, "{}", String::from_utf8_lossy(&response.body));
    assert_eq!(response.body_json().pointer("/error/code").and_then(|v| v.as_str()), Some("unavailable"));
    assert_eq!(response.header_value("retry-after"), Some("1"));

    // Once the other process lets go, the same call succeeds, and the refused ones wrote nothing.
    other.execute_batch("ROLLBACK").unwrap();
    let day = Date::parse("2026-11-02").unwrap();
    assert_eq!(engine.list_entries(&scope, day, day).unwrap().len(), 1, "the refused creates wrote nothing");
    let response = handle(&engine, None, &request);
    assert_eq!(response.status, 201, "{}", String::from_utf8_lossy(&response.body));
    assert_eq!(engine.list_entries(&scope, day, day).unwrap().len(), 2);
}

#[test]
fn a_closed_engine_fails_its_health_check() {
    let clock = Arc::new(FixedClock::new(ts("2026-11-02T12:00:00Z")));
    let engine = Engine::open_in_memory_with(clock).unwrap();
    let health = Request::new("GET", "/healthz", Vec::new());
    let open = handle(&engine, None, &health);
    assert_eq!((open.status, open.body_json()), (200, serde_json::json!({"status": "ok"})));

    engine.close().unwrap();
    let closed = handle(&engine, None, &health);
    assert_eq!(closed.status, 503, "{}", String::from_utf8_lossy(&closed.body));
    assert_eq!(closed.body_json().pointer("/error/code").and_then(|v| v.as_str()), Some("unavailable"));
    // Closing is no passing condition: nothing tells the caller to retry here.
    assert_eq!(closed.header_value("retry-after"), None);
}
