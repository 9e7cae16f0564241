//! The store's promises: the frozen v1 fixture opens and migrates, newer or foreign files are
//! refused and left untouched, data survives a reopen, and a closed engine answers `Closed`.

use tenths::{Engine, ErrorKind, Scope, Status};
use tenths_tests::{oid, TempDir};

fn id(s: &str) -> tenths::ObjectId {
    tenths::ObjectId::parse(s).unwrap()
}

fn fixture_db(dir: &TempDir) -> std::path::PathBuf {
    let path = dir.file("v1.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(include_str!("../fixtures/schema-v1.sql")).unwrap();
    drop(conn);
    path
}

#[test]
fn frozen_v1_fixture_opens_and_keeps_its_data() {
    let dir = TempDir::new("fixture");
    let path = fixture_db(&dir);
    let engine = Engine::open(&path).unwrap();
    let scope = Scope::new(id("64b7f0c2a1b2c3d4e5f60001"), id("64b7f0c2a1b2c3d4e5f60002"));
    let e = engine.get_entry(&scope, &id("64b7f0c2a1b2c3d4e5f60005")).unwrap();
    assert_eq!(e.status, Status::ValidationSucceeded);
    assert_eq!(e.unit_increment_count(), 2);
    assert_eq!(e.sources.len(), 1);
    assert_eq!(e.initiative.as_ref().unwrap().external_id, "M-1");
    let released = engine.get_entry(&scope, &id("64b7f0c2a1b2c3d4e5f60007")).unwrap();
    assert_eq!(released.status, Status::ReleaseSucceeded);
    assert_eq!(released.external_id.as_deref(), Some("PMS-77"));
    assert_eq!(released.unit_increment_count(), 2);
    // The migrated database is writable with today's code.
    let edited =
        engine.edit_entry(&scope, &e.id, &tenths::EntryPatch { summary: Some("Reviewed and marked up the contract".into()), ..Default::default() }).unwrap();
    assert_eq!(edited.version, 2);
    engine.close().unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, tenths::sqlite::SCHEMA_VERSION);
}

#[test]
fn a_newer_database_is_refused_untouched() {
    let dir = TempDir::new("newer");
    let path = fixture_db(&dir);
    rusqlite::Connection::open(&path).unwrap().execute_batch("PRAGMA user_version = 99").unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = Engine::open(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncompatibleDatabase);
    assert!(err.to_string().contains("newer"), "{err}");
    assert!(std::fs::read(&path).unwrap() == before, "the file was modified");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_untouched() {
    let dir = TempDir::new("garbage");
    let path = dir.file("notes.sqlite");
    let content = b"these are my notes, not a database; please do not overwrite them\n".repeat(100);
    std::fs::write(&path, &content).unwrap();
    let err = Engine::open(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncompatibleDatabase);
    assert!(std::fs::read(&path).unwrap() == content, "the file was modified");
}

/// Only SQLite's own rollback journal beside a file lets SQLite restore it before the header
/// check (a torn first page after a power cut, docs/durability.md); any other `-journal` file
/// changes nothing.
#[test]
fn a_foreign_journal_does_not_let_a_foreign_file_in() {
    let dir = TempDir::new("garbage-journal");
    let path = dir.file("notes.sqlite");
    let content = b"these are my notes, not a database\n".repeat(100);
    std::fs::write(&path, &content).unwrap();
    std::fs::write(dir.file("notes.sqlite-journal"), b"my journal, not SQLite's\n".repeat(100)).unwrap();
    let err = Engine::open(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncompatibleDatabase);
    assert!(std::fs::read(&path).unwrap() == content, "the file was modified");
}

#[test]
fn another_applications_database_is_refused_untouched() {
    let dir = TempDir::new("foreign");
    let path = dir.file("other.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');").unwrap();
    drop(conn);
    let err = Engine::open(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncompatibleDatabase);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let body: String = conn.query_row("SELECT body FROM notes", [], |r| r.get(0)).unwrap();
    assert_eq!(body, "keep me");
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).unwrap();
    assert_eq!(tables, 1);
}

#[test]
fn data_survives_reopen_and_closed_engine_answers_closed() {
    let dir = TempDir::new("reopen");
    let path = dir.file("t.sqlite");
    let (customer, user) = (oid(1), oid(2));
    let scope = Scope::new(customer, user);
    let engine = Engine::open(&path).unwrap();
    let matter = tenths_tests::simple_matter(&engine, &customer);
    let (e, created) = engine
        .create_entry(
            &scope,
            &tenths::NewEntry { initiative_id: Some(matter), summary: Some("Drafted".into()), duration_in_seconds: Some(420), ..Default::default() },
        )
        .unwrap();
    assert!(created);
    engine.close().unwrap();
    engine.close().unwrap();
    assert_eq!(engine.get_entry(&scope, &e.id).unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(engine.list_codes(&customer).unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(engine.release_entry(&scope, &e.id).unwrap_err().kind(), ErrorKind::Closed);
    let again = Engine::open(&path).unwrap();
    let read = again.get_entry(&scope, &e.id).unwrap();
    assert_eq!(read, e);
}

#[test]
fn readers_see_committed_writes_across_threads() {
    let dir = TempDir::new("threads");
    let path = dir.file("t.sqlite");
    let engine = std::sync::Arc::new(Engine::open(&path).unwrap());
    let customer = oid(1);
    let matter = tenths_tests::simple_matter(&engine, &customer);
    let handles: Vec<_> = (0..4u64)
        .map(|t| {
            let engine = engine.clone();
            std::thread::spawn(move || {
                let scope = Scope::new(customer, oid(100 + t));
                for i in 0..25 {
                    let (e, _) = engine
                        .create_entry(
                            &scope,
                            &tenths::NewEntry {
                                initiative_id: Some(matter),
                                summary: Some(format!("task {i}")),
                                duration_in_seconds: Some(360),
                                ..Default::default()
                            },
                        )
                        .unwrap();
                    assert_eq!(engine.get_entry(&scope, &e.id).unwrap().id, e.id);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let all = engine
        .list_updated(&customer, tenths::Window::new(tenths_tests::ts("2000-01-01T00:00:00Z"), tenths_tests::ts("2999-01-01T00:00:00Z")).unwrap())
        .unwrap();
    assert_eq!(all.len(), 100);
}
