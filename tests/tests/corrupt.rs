//! A damaged database file is never written to (issue 14, decisions 51 and 52). At open,
//! `PRAGMA quick_check` refuses it with `Corrupt`, leaving it byte for byte as it was; opened
//! with the check skipped, the first statement that meets a damaged page answers `Corrupt` and
//! turns the store read-only: every later write answers `Corrupt` without touching the file,
//! and `/healthz` answers 503 `corrupt`.

use tenths::api::{Principal, Request, Role};
use tenths::*;
use tenths_tests::damage;
use tenths_tests::http::Api;
use tenths_tests::TempDir;

fn skip_check() -> OpenOptions {
    OpenOptions { check_integrity: false, ..OpenOptions::default() }
}

/// The main file's bytes (what must not change).
fn bytes(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).expect("read the database file")
}

fn code(r: &tenths::api::Response) -> Option<String> {
    r.body_json().pointer("/error/code").and_then(|v| v.as_str()).map(str::to_string)
}

#[test]
fn the_damage_is_what_sqlite_calls_malformed() {
    let dir = TempDir::new("corrupt-malformed");
    let path = dir.file("firm.sqlite");
    damage::damaged(&path);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let verdict: String = conn.query_row("PRAGMA integrity_check(1)", [], |r| r.get(0)).unwrap_or_else(|e| e.to_string());
    assert_ne!(verdict, "ok");
}

#[test]
fn open_refuses_a_damaged_file_and_leaves_it_untouched() {
    let dir = TempDir::new("corrupt-open");
    let path = dir.file("firm.sqlite");
    damage::damaged(&path);
    let before = bytes(&path);

    let err = Engine::open(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert_eq!(err.kind().code(), "corrupt");
    assert!(!err.is_retryable(), "a damaged file does not heal by waiting");
    let text = err.to_string();
    assert!(text.contains("firm.sqlite") && text.contains("quick_check") && text.contains("left untouched"), "{text}");
    assert!(bytes(&path) == before, "a refused open changed the file");

    // A second refusal (now with the -wal and -shm files of the first beside it) changes nothing.
    assert_eq!(Engine::open(&path).unwrap_err().kind(), ErrorKind::Corrupt);
    assert!(bytes(&path) == before, "a second refused open changed the file");
}

#[test]
fn a_sound_file_passes_the_check() {
    let dir = TempDir::new("corrupt-sound");
    let path = dir.file("firm.sqlite");
    damage::build(&path);
    let engine = Engine::open(&path).unwrap();
    let (from, to) = damage::dates();
    assert_eq!(engine.list_entries(&damage::scope(), from, to).unwrap().len(), damage::ENTRIES);
    assert_eq!(engine.health(), Ok(()));
}

#[test]
fn damage_met_at_run_time_turns_the_store_read_only() {
    let dir = TempDir::new("corrupt-run");
    let path = dir.file("firm.sqlite");
    damage::damaged(&path);
    let before = bytes(&path);
    let scope = damage::scope();
    let (from, to) = damage::dates();

    let engine = Engine::open_with(&path, skip_check(), std::sync::Arc::new(SystemClock)).unwrap();
    assert_eq!(engine.health(), Ok(()), "nothing met the damage yet");
    let err = engine.list_entries(&scope, from, to).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");

    // Read-only from now on: a create that would touch no damaged page is refused too.
    let err = engine.create_entry(&scope, &NewEntry { duration_in_seconds: Some(360), ..NewEntry::default() }).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert!(err.to_string().contains("refuses every write"), "{err}");
    assert_eq!(engine.health().map_err(|e| e.kind()), Err(ErrorKind::Corrupt));

    // Over HTTP: 503 `corrupt`, without Retry-After (waiting does not help).
    let api = Api::new(&engine, None);
    let principal = Principal::new(scope.customer, scope.user, Role::User);
    let body = br#"{"summary": "Called the client", "durationInSeconds": 300}"#.to_vec();
    let create = Request::new("POST", &format!("/api/v1/public/customers/{}/users/{}/entries", scope.customer, scope.user), body)
        .header("content-type", "application/json")
        .with_principal(principal.clone());
    let r = api.serve(&create);
    assert_eq!((r.status, code(&r).as_deref()), (503, Some("corrupt")), "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header_value("retry-after"), None);
    let list = Request::new(
        "GET",
        &format!("/api/v1/public/customers/{}/users/{}/entries?workDateFrom={from}&workDateTo={to}", scope.customer, scope.user),
        Vec::new(),
    )
    .with_principal(principal);
    let r = api.serve(&list);
    assert_eq!((r.status, code(&r).as_deref()), (503, Some("corrupt")), "{}", String::from_utf8_lossy(&r.body));
    let r = api.serve(&Request::new("GET", "/healthz", Vec::new()));
    assert_eq!((r.status, code(&r).as_deref()), (503, Some("corrupt")), "{}", String::from_utf8_lossy(&r.body));

    engine.close().unwrap();
    drop(engine);
    assert!(bytes(&path) == before, "the damaged file was written to");
}
