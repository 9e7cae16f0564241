//! The frozen schema-5 server database (tests/fixtures/schema-v5-server.sql, written before the
//! change-event log) opens, migrates to schema 6 and keeps serving: its entries read as before,
//! their history starts empty, the next change appends the first event, and the retention
//! setting is unset.

use std::path::PathBuf;
use std::sync::Arc;

use tenths::{Engine, EntryPatch, EventKind, FixedClock, ObjectId, OpenOptions, Scope};
use tenths_tests::{ts, TempDir};

const SERVER_SQL: &str = include_str!("../fixtures/schema-v5-server.sql");

fn id(s: &str) -> ObjectId {
    ObjectId::parse(s).unwrap()
}

fn restore(dir: &TempDir) -> PathBuf {
    let path = dir.file("v5.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(SERVER_SQL).unwrap();
    path
}

#[test]
fn a_schema_5_server_migrates_to_the_event_log() {
    let dir = TempDir::new("migrate-v5");
    let path = restore(&dir);
    let clock = Arc::new(FixedClock::new(ts("2026-12-01T09:00:00Z")));
    let engine = Engine::open_with(&path, OpenOptions::default(), clock).unwrap();
    let scope = Scope::new(id("64b7f0c2a1b2c3d4e5f6c005"), id("64b7f0c2a1b2c3d4e5f6a005"));
    let entry = id("64b7f0c2a1b2c3d4e5f6e501");
    let before = engine.get_entry(&scope, &entry).unwrap();
    assert_eq!((before.summary.as_str(), before.unit_increment_count()), ("Drafted the motion", 5));
    assert!(engine.entry_history(&scope, &entry, false, 100, None).unwrap().items.is_empty(), "no history before the log existed");
    assert_eq!(engine.customer_settings(&scope.customer).unwrap().event_retention_days, None);
    engine.edit_entry(&scope, &entry, &EntryPatch { notes: Some("after the upgrade".into()), ..Default::default() }).unwrap();
    let history = engine.entry_history(&scope, &entry, false, 100, None).unwrap().items;
    assert_eq!(history.iter().map(|e| e.kind).collect::<Vec<_>>(), [EventKind::Updated]);
    drop(engine);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, tenths::sqlite::SCHEMA_VERSION, "migrated to the current schema");
}
