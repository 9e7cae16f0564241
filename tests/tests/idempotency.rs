//! The `Idempotency-Key` header on the SQLite backend, where a test can reach under the engine
//! (the backend-neutral behaviour is the `idempotency` conformance suite): a 5xx is never kept
//! (the retry does the work for real), expired answers are pruned from the table, and every
//! mutating operation of the OpenAPI document takes the header with the schema the router
//! enforces; two engines on one file (two connections, as two processes) keep one answer.

use std::sync::Arc;

use tenths::api::{handle, Principal, Request, Role, ROUTES};
use tenths::*;
use tenths_tests::{oid, ts, TempDir};

fn create(path: &str, key: &str, summary: &str) -> Request {
    Request::new("POST", path, format!(r#"{{"summary": "{summary}", "durationInSeconds": 300}}"#).into_bytes())
        .header("content-type", "application/json")
        .header("Idempotency-Key", key)
        .with_principal(Principal::new(oid(1), oid(2), Role::User))
}

fn rows(path: &std::path::Path) -> i64 {
    rusqlite::Connection::open(path).unwrap().query_row("SELECT count(*) FROM idempotent_answers", [], |r| r.get(0)).unwrap()
}

#[test]
fn a_503_is_not_kept_the_retry_does_the_work() {
    let dir = TempDir::new("idem-503");
    let file = dir.file("firm.sqlite");
    let clock = Arc::new(FixedClock::new(ts("2026-11-02T12:00:00Z")));
    let engine = Engine::open_with(&file, OpenOptions { busy_timeout_ms: 50, ..OpenOptions::default() }, clock).unwrap();
    let path = format!("/api/v1/public/customers/{}/users/{}/entries", oid(1), oid(2));
    let request = create(&path, "busy-key", "Called the client");

    // Another process holds the write lock: the create is 503 and nothing is kept.
    let other = rusqlite::Connection::open(&file).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let busy = handle(&engine, None, &request);
    assert_eq!(busy.status, 503, "{}", String::from_utf8_lossy(&busy.body));
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(rows(&file), 0, "a 503 is not kept");

    // The retry with the same key does the work (a 201, not the 503 again) and keeps that.
    let done = handle(&engine, None, &request);
    assert_eq!((done.status, done.header_value("idempotent-replayed")), (201, None), "{}", String::from_utf8_lossy(&done.body));
    let replay = handle(&engine, None, &request);
    assert_eq!((replay.status, &replay.body, replay.header_value("idempotent-replayed")), (201, &done.body, Some("true")));
    let day = Date::parse("2026-11-02").unwrap();
    assert_eq!(engine.list_entries(&Scope::new(oid(1), oid(2)), day, day).unwrap().len(), 1);
    assert_eq!(rows(&file), 1);
}

#[test]
fn expired_answers_are_pruned_by_later_keeping_transactions() {
    let dir = TempDir::new("idem-prune");
    let file = dir.file("firm.sqlite");
    let clock = Arc::new(FixedClock::new(ts("2026-11-02T12:00:00Z")));
    let engine = Engine::open_with(&file, OpenOptions::default(), clock.clone()).unwrap();
    let path = format!("/api/v1/public/customers/{}/users/{}/entries", oid(1), oid(2));
    for i in 0..100 {
        assert_eq!(handle(&engine, None, &create(&path, &format!("key-{i}"), "Old")).status, 201);
    }
    assert_eq!(rows(&file), 100);
    clock.advance_millis(tenths::rules::idempotency::ANSWER_LIFETIME_MILLIS + 1);
    // Each keeping transaction removes up to PRUNE_BATCH (64) expired answers.
    assert_eq!(handle(&engine, None, &create(&path, "new-1", "New")).status, 201);
    assert_eq!(rows(&file), 100 - 64 + 1);
    assert_eq!(handle(&engine, None, &create(&path, "new-2", "New")).status, 201);
    assert_eq!(rows(&file), 2, "only the live answers are left");
}

#[test]
fn every_mutating_operation_documents_the_header_as_the_router_enforces_it() {
    let doc = tenths::api::openapi::document();
    let param = &doc["components"]["parameters"]["IdempotencyKey"];
    assert_eq!(param["in"], "header");
    assert_eq!(param["name"], "Idempotency-Key");
    assert_eq!(param["required"], false);
    assert_eq!(param["schema"], serde_json::json!({"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}));
    assert!(doc["components"]["schemas"]["ErrorDetail"].to_string().contains("idempotency_mismatch"));
    let mut keyed = 0;
    for r in ROUTES {
        let op = &doc["paths"][r.path][r.method.to_ascii_lowercase()];
        let has = op["parameters"].as_array().unwrap().iter().any(|p| p["$ref"] == "#/components/parameters/IdempotencyKey");
        let mutating = matches!(r.method, "POST" | "PATCH" | "PUT" | "DELETE");
        assert_eq!(has, mutating, "{} {}", r.method, r.path);
        if mutating {
            keyed += 1;
            assert!(op["responses"]["422"].is_object(), "{}: 422 documented", r.id);
            for (status, _) in r.responses {
                assert!(op["responses"][status.to_string()]["headers"]["Idempotent-Replayed"].is_object(), "{}: replay header on {status}", r.id);
            }
        }
    }
    assert_eq!(keyed, 28, "every POST, PATCH, PUT and DELETE route (25 + the three webhook writes)");
}

/// Two engines on one file (two connections, as two server processes would have) receive the
/// same create with one key at once: SQLite serialises their write transactions, the second
/// finds the first's answer inside its own transaction, and one entry is made.
#[test]
fn two_engines_on_one_file_do_the_work_once() {
    let dir = TempDir::new("idem-two");
    let file = dir.file("firm.sqlite");
    let clock = Arc::new(FixedClock::new(ts("2026-11-02T12:00:00Z")));
    let engines = [Engine::open_with(&file, OpenOptions::default(), clock.clone()).unwrap(), Engine::open_with(&file, OpenOptions::default(), clock).unwrap()];
    let path = format!("/api/v1/public/customers/{}/users/{}/entries", oid(1), oid(2));
    let request = create(&path, "two-processes", "Once");
    let answers: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                s.spawn({
                    let (e, r) = (&engines[i % 2], &request);
                    move || handle(e, None, r)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in &answers {
        assert_eq!((r.status, &r.body), (201, &answers[0].body), "{}", String::from_utf8_lossy(&r.body));
    }
    assert_eq!(answers.iter().filter(|r| r.header_value("idempotent-replayed").is_none()).count(), 1, "one answer did the work");
    let day = Date::parse("2026-11-02").unwrap();
    assert_eq!(engines[0].list_entries(&Scope::new(oid(1), oid(2)), day, day).unwrap().len(), 1);
}
