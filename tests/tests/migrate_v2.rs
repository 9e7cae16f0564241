//! Databases written by the schema-v2 code keep working: the frozen fixtures
//! (`tests/fixtures/schema-v2-*.sql`, written by commit fe07c73: a server and one of its devices
//! with unsent local changes, a quarantined change and a logged conflict) open with today's code,
//! migrate to the current schema without losing anything, and the device syncs with the server
//! until both agree; and a device still speaking sync protocol 1 is refused with a clear answer.
//!
//! Every expectation is read from the fixture files themselves (before today's code opens them),
//! never guessed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::OptionalExtension;
use tenths::api::{InProcessTransport, Principal, Request, Role};
use tenths::sync::{SyncedEntry, PROTOCOL_VERSION};
use tenths::{Date, Engine, Entry, EntryPatch, FixedClock, ObjectId, OpenOptions, Scope, Timestamp, Window};
use tenths_tests::{ts, TempDir};

const SERVER_SQL: &str = include_str!("../fixtures/schema-v2-server.sql");
const DEVICE_SQL: &str = include_str!("../fixtures/schema-v2-device.sql");

/// After every instant the fixtures hold (they were written on 2026-11-06).
const NOW: &str = "2026-11-09T09:00:00Z";

fn id(s: &str) -> ObjectId {
    ObjectId::parse(s).unwrap()
}

/// Restores a fixture's SQL text into a fresh database file.
fn restore(dir: &TempDir, name: &str, sql: &str) -> PathBuf {
    let path = dir.file(name);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    path
}

fn open(path: &Path) -> Engine {
    Engine::open_with(path, OpenOptions::default(), Arc::new(FixedClock::new(ts(NOW)))).unwrap()
}

/// The fields of an entry this test compares, as the fixture's rows hold them and as today's
/// engine answers them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct View {
    id: String,
    user: String,
    summary: String,
    notes: Option<String>,
    work_date: String,
    initiative: Option<String>,
    codes: Vec<String>,
    sources: usize,
    raw_seconds: i64,
    units: i64,
    adjustments: i64,
    status: String,
    external_id: Option<String>,
    is_locked: bool,
    is_deleted: bool,
    version: i64,
    updated_at: i64,
}

impl View {
    fn of(e: &Entry) -> View {
        View {
            id: e.id.to_string(),
            user: e.user_id.to_string(),
            summary: e.summary.clone(),
            notes: e.notes.clone(),
            work_date: e.work_date.to_string(),
            initiative: e.initiative_id.map(|i| i.to_string()),
            codes: e.codes.iter().map(|c| c.id.to_string()).collect(),
            sources: e.sources.len(),
            raw_seconds: e.raw_seconds,
            units: e.unit_increment_count(),
            adjustments: e.unit_increment_count_adjustments,
            status: e.status.as_str().to_string(),
            external_id: e.external_id.clone(),
            is_locked: e.is_locked,
            is_deleted: e.is_deleted,
            version: e.version,
            updated_at: e.updated_at.millis(),
        }
    }
}

/// What a restored v2 file holds, read with plain SQL before today's code touches it.
#[derive(Debug)]
struct Fixture {
    user_version: i64,
    customer: String,
    /// Every entry, by id.
    entries: BTreeMap<String, View>,
    /// Per entry: the feed position and the count of unsent local changes.
    change_seq: BTreeMap<String, i64>,
    local_changes: BTreeMap<String, i64>,
    /// max(change_seq) per (customer, user).
    max_seq: BTreeMap<(String, String), i64>,
    /// Device side: the (user, entry cursor, reference cursor, in-flight batch) it syncs.
    device: Option<(String, i64, i64, Option<String>)>,
    quarantined: Vec<(String, String)>,
    /// (entry, field, local value, server value).
    conflicts: Vec<(String, String, serde_json::Value, serde_json::Value)>,
    /// Server side: the customer's reference sequence.
    reference_seq: Option<i64>,
    initiatives: usize,
    codes: BTreeSet<String>,
}

impl Fixture {
    fn read(path: &Path) -> Fixture {
        let c = rusqlite::Connection::open(path).unwrap();
        let user_version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        let customer: String = c.query_row("SELECT id FROM customers", [], |r| r.get(0)).unwrap();
        let mut codes_of: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        let mut stmt = c.prepare("SELECT entry_pk, code_id FROM entry_codes ORDER BY entry_pk, position").unwrap();
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).unwrap() {
            let (pk, code) = row.unwrap();
            codes_of.entry(pk).or_default().push(code);
        }
        let mut sources_of: BTreeMap<i64, usize> = BTreeMap::new();
        let mut stmt = c.prepare("SELECT entry_pk, count(*) FROM sources WHERE entry_pk IS NOT NULL GROUP BY entry_pk").unwrap();
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))).unwrap() {
            let (pk, n) = row.unwrap();
            sources_of.insert(pk, usize::try_from(n).unwrap());
        }
        let mut entries = BTreeMap::new();
        let mut change_seq = BTreeMap::new();
        let mut local_changes = BTreeMap::new();
        let mut max_seq: BTreeMap<(String, String), i64> = BTreeMap::new();
        let mut stmt = c
            .prepare(
                "SELECT pk, id, user_id, summary, notes, work_date, initiative_id, raw_seconds, units_from_sources, units_adjustments, status,
                        external_id, is_locked, is_deleted, version, updated_at, change_seq, local_changes, customer_id
                 FROM entries",
            )
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                let pk: i64 = r.get(0)?;
                let view = View {
                    id: r.get(1)?,
                    user: r.get(2)?,
                    summary: r.get(3)?,
                    notes: r.get(4)?,
                    work_date: r.get(5)?,
                    initiative: r.get(6)?,
                    codes: Vec::new(),
                    sources: 0,
                    raw_seconds: r.get(7)?,
                    units: r.get::<_, i64>(8)? + r.get::<_, i64>(9)?,
                    adjustments: r.get(9)?,
                    status: r.get(10)?,
                    external_id: r.get(11)?,
                    is_locked: r.get(12)?,
                    is_deleted: r.get(13)?,
                    version: r.get(14)?,
                    updated_at: r.get(15)?,
                };
                Ok((pk, view, r.get::<_, i64>(16)?, r.get::<_, i64>(17)?, r.get::<_, String>(18)?))
            })
            .unwrap();
        for row in rows {
            let (pk, mut view, seq, local, entry_customer) = row.unwrap();
            view.codes = codes_of.remove(&pk).unwrap_or_default();
            view.sources = sources_of.remove(&pk).unwrap_or(0);
            let key = (entry_customer, view.user.clone());
            let max = max_seq.entry(key).or_insert(seq);
            *max = (*max).max(seq);
            change_seq.insert(view.id.clone(), seq);
            local_changes.insert(view.id.clone(), local);
            entries.insert(view.id.clone(), view);
        }
        let device = c
            .query_row("SELECT user_id, entry_cursor, reference_cursor, inflight FROM sync_devices", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()
            .unwrap();
        let quarantined = c
            .prepare("SELECT entry_id, code FROM sync_quarantine ORDER BY at, entry_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap();
        let conflicts = c
            .prepare("SELECT entry_id, field, local_value, server_value FROM sync_conflicts ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?)))
            .unwrap()
            .map(|row| {
                let (entry, field, local, server) = row.unwrap();
                (entry, field, serde_json::from_str(&local).unwrap(), serde_json::from_str(&server).unwrap())
            })
            .collect();
        let reference_seq = c.query_row("SELECT seq FROM sync_reference_seq WHERE customer_id = ?1", [&customer], |r| r.get(0)).optional().unwrap();
        let initiatives: i64 = c.query_row("SELECT count(*) FROM initiatives", [], |r| r.get(0)).unwrap();
        let codes = c.prepare("SELECT id FROM codes").unwrap().query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<BTreeSet<String>>>().unwrap();
        Fixture {
            user_version,
            customer,
            entries,
            change_seq,
            local_changes,
            max_seq,
            device,
            quarantined,
            conflicts,
            reference_seq,
            initiatives: usize::try_from(initiatives).unwrap(),
            codes,
        }
    }

    fn entries_of(&self, user: &str) -> BTreeMap<String, View> {
        self.entries.iter().filter(|(_, v)| v.user == user).map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// The schema version and the feed position rows of a database file, read with plain SQL.
fn schema_and_feed(path: &Path) -> (i64, BTreeMap<(String, String), i64>) {
    let c = rusqlite::Connection::open(path).unwrap();
    let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    let rows = c
        .prepare("SELECT customer_id, user_id, seq FROM feed_positions")
        .unwrap()
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<BTreeMap<_, _>>>()
        .unwrap();
    (version, rows)
}

fn change_seq_of(path: &Path, entry: &str) -> i64 {
    let c = rusqlite::Connection::open(path).unwrap();
    c.query_row("SELECT change_seq FROM entries WHERE id = ?1", [entry], |r| r.get(0)).unwrap()
}

/// The feed position of each entry of a user, by id.
fn change_seqs(path: &Path, customer: &str, user: &str) -> BTreeMap<String, i64> {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut stmt = c.prepare("SELECT id, change_seq FROM entries WHERE customer_id = ?1 AND user_id = ?2").unwrap();
    let rows = stmt.query_map([customer, user], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<rusqlite::Result<_>>().unwrap();
    rows
}

fn all_time() -> Window {
    Window::new(Timestamp::from_millis(0).unwrap(), ts("2100-01-01T00:00:00Z")).unwrap()
}

/// Every entry of `user` (deleted ones too), by id.
fn entries(engine: &Engine, customer: &ObjectId, user: &ObjectId) -> BTreeMap<String, Entry> {
    engine.list_updated(customer, all_time()).unwrap().into_iter().filter(|e| e.user_id == *user).map(|e| (e.id.to_string(), e)).collect()
}

fn views(entries: &BTreeMap<String, Entry>) -> BTreeMap<String, View> {
    entries.iter().map(|(k, e)| (k.clone(), View::of(e))).collect()
}

/// The not-deleted entries of `user` as `list_entries` answers them, by id.
fn listed(engine: &Engine, scope: &Scope) -> BTreeMap<String, View> {
    let from = Date::parse("2000-01-01").unwrap();
    let to = Date::parse("2099-12-31").unwrap();
    engine.list_entries(scope, from, to).unwrap().iter().map(|e| (e.id.to_string(), View::of(e))).collect()
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[test]
fn a_v2_device_and_its_server_migrate_and_sync() {
    let dir = TempDir::new("migrate-v2");
    let server_path = restore(&dir, "server.sqlite", SERVER_SQL);
    let device_path = restore(&dir, "device.sqlite", DEVICE_SQL);
    let old_server = Fixture::read(&server_path);
    let old_device = Fixture::read(&device_path);

    // The fixtures are what this test needs: v2 files; a device with unsent changes, a
    // quarantined change and a logged conflict; a server with entries and reference data newer
    // than the device's cursor.
    assert_eq!((old_server.user_version, old_device.user_version), (2, 2), "the fixtures are schema-v2 files");
    assert_eq!(old_server.customer, old_device.customer);
    let (user_str, entry_cursor, reference_cursor, inflight) = old_device.device.clone().expect("the device fixture has a sync_devices row");
    assert!(inflight.is_none(), "the device fixture has no batch in flight");
    let customer = id(&old_server.customer);
    let user = id(&user_str);
    let scope = Scope::new(customer, user);
    let pending_before = old_device.entries_of(&user_str).keys().filter(|k| old_device.local_changes[*k] > 0).cloned().collect::<BTreeSet<_>>();
    assert!(!pending_before.is_empty() && !old_device.quarantined.is_empty() && !old_device.conflicts.is_empty(), "{old_device:?}");
    let server_max_for_user = old_server.max_seq[&(old_server.customer.clone(), user_str.clone())];
    assert!(server_max_for_user > entry_cursor, "the server has entry changes the device has not pulled");
    assert!(old_server.reference_seq.expect("the server's reference sequence") > reference_cursor, "the server has newer reference data");
    assert_ne!(old_server.codes, old_device.codes, "the device's reference data is older than the server's");

    // Today's code opens (and migrates) both.
    let server = open(&server_path);
    let device = open(&device_path);
    for (path, old) in [(&server_path, &old_server), (&device_path, &old_device)] {
        let (version, feed) = schema_and_feed(path);
        assert_eq!(version, tenths::sqlite::SCHEMA_VERSION, "{} is migrated", path.display());
        assert_eq!(feed, old.max_seq, "{}: one feed position per (customer, user), at the max change_seq of its entries", path.display());
    }

    // The server's entries survived.
    for user in old_server.entries.values().map(|v| v.user.clone()).collect::<BTreeSet<_>>() {
        assert_eq!(views(&entries(&server, &customer, &id(&user))), old_server.entries_of(&user), "the server's entries of {user}");
    }

    // The device's state survived.
    let status = device.sync_status(&customer, &user).unwrap();
    assert_eq!(status.pending, u64::try_from(pending_before.len()).unwrap(), "{status:?}");
    assert_eq!(status.quarantined, u64::try_from(old_device.quarantined.len()).unwrap(), "{status:?}");
    assert_eq!(status.conflicts, u64::try_from(old_device.conflicts.len()).unwrap(), "{status:?}");
    assert!(!status.push_in_flight, "{status:?}");
    assert_eq!((status.cursor.entry_seq, status.cursor.reference_seq), (entry_cursor, reference_cursor), "{status:?}");
    let quarantined: Vec<(String, String)> = device.sync_quarantined(&customer).unwrap().into_iter().map(|q| (q.entry_id.to_string(), q.code)).collect();
    assert_eq!(quarantined, old_device.quarantined);
    let conflicts: Vec<_> =
        device.sync_conflicts(&customer).unwrap().into_iter().map(|c| (c.entry_id.to_string(), c.field, c.local_value, c.server_value)).collect();
    assert_eq!(conflicts, old_device.conflicts);
    let old_device_entries = old_device.entries_of(&user_str);
    assert_eq!(views(&entries(&device, &customer, &user)), old_device_entries, "the device's entries, deleted ones too");
    let not_deleted: BTreeMap<String, View> = old_device_entries.iter().filter(|(_, v)| !v.is_deleted).map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(listed(&device, &scope), not_deleted, "list_entries on the device");
    assert_ne!(
        device.list_codes(&customer).unwrap().iter().map(|c| c.id.to_string()).collect::<BTreeSet<_>>(),
        server.list_codes(&customer).unwrap().iter().map(|c| c.id.to_string()).collect::<BTreeSet<_>>(),
        "before the sync, the device still has its old reference data"
    );

    // Today's sync, device to server and back.
    let transport = InProcessTransport { server: &server, principal: Principal::new(customer, user, Role::User) };
    let report = device.sync(&transport, &customer, &user).unwrap();
    assert!(report.pushed >= u64::try_from(pending_before.len()).unwrap(), "{report:?}");
    let status = device.sync_status(&customer, &user).unwrap();
    assert_eq!(status.pending, 0, "nothing pending after the sync: {status:?} {report:?}");
    assert!(!status.push_in_flight, "{status:?}");
    assert!(status.last_error.is_none(), "{status:?}");
    let quarantined_after: Vec<(String, String)> = device.sync_quarantined(&customer).unwrap().into_iter().map(|q| (q.entry_id.to_string(), q.code)).collect();
    assert_eq!(quarantined_after, old_device.quarantined, "the quarantine stays as it was");
    assert_eq!(status.conflicts, u64::try_from(old_device.conflicts.len()).unwrap(), "no local change of the fixture conflicts with the server's: {report:?}");

    // The server wrote the pushed changes at feed positions after every old one, each its own.
    let positions = change_seqs(&server_path, &old_server.customer, &user_str);
    for k in &pending_before {
        assert!(positions[k] > server_max_for_user, "entry {k} was written at position {} after the migration, not after {server_max_for_user}", positions[k]);
    }
    assert_eq!(positions.values().collect::<BTreeSet<_>>().len(), positions.len(), "one feed position per write: {positions:?}");

    // Converged: the device holds exactly the server's copies of the user's entries.
    let on_server = entries(&server, &customer, &user);
    let on_device = entries(&device, &customer, &user);
    assert_eq!(on_device.keys().collect::<Vec<_>>(), on_server.keys().collect::<Vec<_>>(), "the same entries on both sides");
    for (k, remote) in &on_server {
        assert_eq!(SyncedEntry::from_entry(&on_device[k]), SyncedEntry::from_entry(remote), "entry {k}: the device differs from the server");
        assert_eq!(View::of(&on_device[k]), View::of(remote), "entry {k}");
    }
    assert_eq!(listed(&device, &scope), listed(&server, &scope), "list_entries on both sides");
    // Every entry the server had is still there, and every entry the device had reached it.
    let expected_ids: BTreeSet<String> = old_server.entries_of(&user_str).into_keys().chain(old_device_entries.keys().cloned()).collect();
    assert_eq!(on_server.keys().cloned().collect::<BTreeSet<_>>(), expected_ids);

    // The device's local changes reached the server; what the device did not change keeps the
    // server's value.
    for k in &pending_before {
        let mine = &old_device_entries[k];
        let theirs = View::of(&on_server[k]);
        assert_eq!(
            (&theirs.summary, theirs.adjustments, theirs.units, theirs.is_deleted, theirs.is_locked, &theirs.status, &theirs.codes, theirs.sources),
            (&mine.summary, mine.adjustments, mine.units, mine.is_deleted, mine.is_locked, &mine.status, &mine.codes, mine.sources),
            "entry {k}: the device's change is on the server"
        );
        match old_server.entries.get(k) {
            Some(before) => {
                assert_eq!(theirs.notes, before.notes, "entry {k}: the server's notes survive the device's change");
                assert!(theirs.version > before.version, "entry {k}: the server wrote the device's change");
            }
            None => assert_eq!(on_server[k].created_by, Some(user), "entry {k}: created on the device"),
        }
    }
    // The server's entries the device had not pulled (or had changed since) are on the device.
    for (k, before) in old_server.entries_of(&user_str) {
        if !pending_before.contains(&k) {
            assert_eq!(View::of(&on_device[&k]), before, "entry {k}: the device has the server's copy");
        }
    }

    // The reference data on the device equals the server's, from the typed snapshot.
    assert_eq!(device.list_initiatives(&customer).unwrap(), server.list_initiatives(&customer).unwrap());
    assert_eq!(device.list_codes(&customer).unwrap(), server.list_codes(&customer).unwrap());
    assert_eq!(device.list_clients(&customer).unwrap(), server.list_clients(&customer).unwrap());
    assert_eq!(device.customer_settings(&customer).unwrap(), server.customer_settings(&customer).unwrap());
    assert_eq!(device.user_settings(&customer, &user).unwrap(), server.user_settings(&customer, &user).unwrap());
    assert_eq!(device.list_codes(&customer).unwrap().iter().map(|c| c.id.to_string()).collect::<BTreeSet<_>>(), old_server.codes);

    // A write on the server after the migration takes a feed position after every old one, so
    // the device pulls it.
    let target = on_server
        .values()
        .find(|e| !e.is_locked && !e.is_deleted && !pending_before.contains(&e.id.to_string()))
        .expect("an editable entry the device did not change")
        .id;
    let cursor_after_first_sync = device.sync_status(&customer, &user).unwrap().cursor.entry_seq;
    let (_, feed_before) = schema_and_feed(&server_path);
    let feed_key = (old_server.customer.clone(), user_str.clone());
    let edited =
        server.edit_entry(&scope, &target, &EntryPatch { summary: Some("Edited on the web after the migration".into()), ..Default::default() }).unwrap();
    let seq = change_seq_of(&server_path, target.as_str());
    assert!(seq > server_max_for_user, "the new position {seq} follows every old one (up to {server_max_for_user})");
    assert!(seq > feed_before[&feed_key], "the new position {seq} follows every position handed out so far ({})", feed_before[&feed_key]);
    assert!(seq > cursor_after_first_sync, "the new position {seq} is after the device's cursor {cursor_after_first_sync}");
    assert_eq!(schema_and_feed(&server_path).1[&feed_key], seq, "the feed position row moved to the new write");
    assert!(old_server.change_seq.values().all(|s| *s < seq));
    let report = device.sync(&transport, &customer, &user).unwrap();
    assert_eq!((report.pushed, report.pulled), (0, 1), "{report:?}");
    let mine = device.get_entry(&scope, &target).unwrap();
    assert_eq!(mine.summary, "Edited on the web after the migration");
    assert_eq!(SyncedEntry::from_entry(&mine), SyncedEntry::from_entry(&edited));
    assert_eq!(device.sync_status(&customer, &user).unwrap().pending, 0);

    device.close().unwrap();
    server.close().unwrap();
}

#[test]
fn a_pull_of_sync_protocol_1_is_refused_naming_the_version_the_server_speaks() {
    let dir = TempDir::new("migrate-v2-protocol");
    let server_path = restore(&dir, "server.sqlite", SERVER_SQL);
    let old = Fixture::read(&server_path);
    let server = open(&server_path);
    let customer = id(&old.customer);
    // The user with the most entries.
    let user =
        sorted(old.entries.values().map(|v| v.user.clone()).collect::<Vec<_>>()).chunk_by(|a, b| a == b).max_by_key(|c| c.len()).map(|c| c[0].clone()).unwrap();
    let pull = |query: &str| {
        let path = format!("/api/v1/public/customers/{customer}/users/{user}/sync/changes?entrySeq=0&limit=10{query}");
        let request = Request::new("GET", &path, Vec::new()).with_principal(Principal::new(customer, id(&user), Role::User));
        let response = tenths::api::handle(&server, None, &request);
        (response.status, response.body_json())
    };

    // An old device sends no protocol version: it speaks protocol 1.
    for query in ["".to_string(), format!("&protocolVersion={}", PROTOCOL_VERSION + 1)] {
        let (status, body) = pull(&query);
        assert_eq!(status, 400, "{query:?}: {body}");
        assert_eq!(body["error"]["code"], "invalid_argument", "{query:?}: {body}");
        assert_eq!(body["error"]["field"], "protocolVersion", "{query:?}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("version {PROTOCOL_VERSION}")), "{query:?}: the message names the version the server speaks: {message}");
    }

    let (status, body) = pull(&format!("&protocolVersion={PROTOCOL_VERSION}"));
    assert_eq!(status, 200, "{body}");
    let reference = body["reference"].as_object().unwrap_or_else(|| panic!("a typed reference object: {body}"));
    for key in ["protocolVersion", "settings", "initiatives"] {
        assert!(reference.contains_key(key), "reference has {key}: {body}");
    }
    assert_eq!(reference["protocolVersion"], PROTOCOL_VERSION);
    assert_eq!(reference["initiatives"].as_array().map(Vec::len), Some(old.initiatives), "{body}");
    assert_eq!(reference["seq"], old.reference_seq.unwrap(), "{body}");
    let expected = old.entries_of(&user).len().min(10);
    assert_eq!(body["entries"].as_array().map(Vec::len), Some(expected), "{body}");
    server.close().unwrap();
}
