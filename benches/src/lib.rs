//! Shared helpers of the tenths benchmarks: temporary directories, fresh databases with a little
//! reference data, deterministic inputs, and the raw-SQLite baselines that each engine
//! benchmark is measured against (same file, same schema, same pragmas, same rows). [`firm`] is
//! the benchmark firm at scale (one million entries), built once per run.

pub mod firm;
pub mod report;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, TransactionBehavior};
use tenths::time::parse_zone;
use tenths::units::{self, UnitPolicy};
use tenths::{
    BillingType, ClientInput, Clock, Engine, FixedClock, InitiativeInput, NewEntry, ObjectId, OpenOptions, ReleaseSucceededItem, Rounding, Scope, SourceInput,
    SourceKind, Timestamp, UserSettings,
};

/// The pragmas of an engine connection (see `core/src/store/mod.rs`), for the raw baselines.
pub const PRAGMAS: &str =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -16384; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;";

/// The instant the benchmark clock reads: created/updated stamps of every row.
pub const NOW_MS: i64 = 1_775_000_000_000; // 2026-03-31T23:33:20Z

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `tenths-bench-<tag>-<pid>-<nanos>`.
    pub fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("tenths-bench-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        TempDir(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A fresh database path inside it (nothing exists there yet).
    pub fn db(&self, name: &str) -> PathBuf {
        let p = self.0.join(format!("{name}.sqlite"));
        remove_db(&p);
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Deletes a database file and its `-wal` / `-shm`.
pub fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// The tenant, user and matter every benchmark entry belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Fixture {
    pub customer: ObjectId,
    pub user: ObjectId,
    pub initiative: ObjectId,
}

impl Fixture {
    /// The owner's scope.
    pub fn scope(&self) -> Scope {
        Scope::new(self.customer, self.user)
    }
}

/// The fixed clock of the benchmarks.
pub fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(Timestamp::from_millis(NOW_MS).expect("in range")))
}

/// Opens a fresh tenths database file with the default options (WAL, synchronous FULL) and a
/// fixed clock, and imports one client, one matter at 360 s and the user.
pub fn fresh_engine(path: &Path) -> tenths::Result<(Engine, Fixture)> {
    let engine = Engine::open_with(path, OpenOptions::default(), clock() as Arc<dyn Clock>)?;
    let customer = ObjectId::parse("65f000000000000000000001")?;
    let user = ObjectId::parse("65f000000000000000000002")?;
    engine.upsert_client(&customer, &ClientInput { external_id: "C-1".into(), name: "Client One".into(), call_sign: None, description: None })?;
    let initiative = engine
        .upsert_initiative(
            &customer,
            &InitiativeInput {
                external_id: "M-1".into(),
                name: "Matter One".into(),
                description: None,
                call_sign: None,
                client_external_id: Some("C-1".into()),
                billing_type: BillingType::Billable,
                unit_increments: 360,
                status: None,
                kind: None,
            },
        )?
        .id;
    engine.update_user_settings(&customer, &user, &UserSettings { timezone: None })?;
    Ok((engine, Fixture { customer, user, initiative }))
}

/// `n` manual-time entries of one user, one `manual` source each: eight a day from 09:00 UTC,
/// 45 minutes apart, lasting 6 to 40 minutes (so none overlap), with a narrative.
pub fn manual_entries(n: usize, initiative: ObjectId) -> Vec<NewEntry> {
    let day0 = NOW_MS - 400 * 86_400_000 - NOW_MS % 86_400_000;
    (0..n)
        .map(|i| {
            let i = i as i64;
            let start = day0 + (i / 8) * 86_400_000 + 9 * 3_600_000 + (i % 8) * 45 * 60_000;
            let minutes = 6 + (i * 7919) % 35;
            let started_at = Timestamp::from_millis(start).expect("in range");
            let ended_at = Timestamp::from_millis(start + minutes * 60_000).expect("in range");
            NewEntry {
                initiative_id: Some(initiative),
                summary: Some(format!("Draft and revise the brief, section {}.", i % 17 + 1)),
                sources: vec![SourceInput { kind: SourceKind::Manual, started_at, ended_at, title: None }],
                creation_method: Some("manual".into()),
                ..NewEntry::default()
            }
        })
        .collect()
}

/// One `entries` row and its `sources` row, as the engine stores a [`manual_entries`] input.
#[derive(Debug, Clone)]
pub struct RawEntry {
    pub id: ObjectId,
    pub summary: String,
    pub work_date: String,
    pub creation_method: String,
    pub raw_seconds: i64,
    pub units_from_sources: i64,
    /// The create body, kept only for a create with a device id (see `create_request_of`).
    pub create_request: Option<String>,
    pub source_id: ObjectId,
    pub kind: &'static str,
    pub started_at: i64,
    pub ended_at: i64,
}

/// The rows the engine would write for `inputs` (ids made here, units from the pure unit math).
pub fn raw_rows(inputs: &[NewEntry]) -> Vec<RawEntry> {
    let utc = parse_zone("UTC", "timezone").expect("UTC is a zone");
    let policy = UnitPolicy { rounding: Rounding::Up, minimum_one_unit: true };
    inputs
        .iter()
        .map(|input| {
            let s = &input.sources[0];
            let raw = (s.ended_at.millis() - s.started_at.millis()) / 1000;
            let u = units::compute(raw, 360, 0, policy).expect("valid units");
            RawEntry {
                id: ObjectId::generate(NOW_MS / 1000),
                summary: input.summary.clone().unwrap_or_default(),
                work_date: s.started_at.local_date(utc).to_string(),
                creation_method: input.creation_method.clone().unwrap_or_else(|| "manual".into()),
                raw_seconds: u.raw_seconds,
                units_from_sources: u.from_sources,
                create_request: create_request_of(input),
                source_id: ObjectId::generate(NOW_MS / 1000),
                kind: s.kind.as_str(),
                started_at: s.started_at.millis(),
                ended_at: s.ended_at.millis(),
            }
        })
        .collect()
}

fn create_request_of(input: &NewEntry) -> Option<String> {
    // The engine keeps the create body of a create with a device id (to answer a repeated
    // create, recognised by that id) and nothing otherwise: the baseline stores the same.
    input.id.map(|_| serde_json::to_string(input).expect("serialisable"))
}

/// Opens a raw connection to an existing database file with the engine's pragmas and its
/// query-planner stability setting (without it SQLite re-prepares a statement whenever a bound
/// value could change its plan, which is a cost of the baseline, not of the I/O).
pub fn open_raw(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.execute_batch(PRAGMAS)?;
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Inserts the rows into `entries` and `sources` with prepared statements in one IMMEDIATE
/// transaction: the floor an engine create is measured against.
pub fn raw_insert(conn: &mut Connection, fx: &Fixture, rows: &[RawEntry]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut entry = tx.prepare_cached(
            "INSERT INTO entries (customer_id, id, user_id, created_by, summary, work_date, initiative_id, creation_method, raw_seconds, unit_increments,
               units_from_sources, status, created_at, updated_at, create_request)
             VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, 360, ?9, 'validation-succeeded', ?10, ?10, ?11)",
        )?;
        let mut source = tx.prepare_cached(
            "INSERT INTO sources (customer_id, id, user_id, entry_pk, kind, started_at, ended_at, title) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)",
        )?;
        for r in rows {
            entry.execute(params![
                fx.customer,
                r.id,
                fx.user,
                r.summary,
                r.work_date,
                fx.initiative,
                r.creation_method,
                r.raw_seconds,
                r.units_from_sources,
                NOW_MS,
                r.create_request
            ])?;
            let pk = tx.last_insert_rowid();
            source.execute(params![fx.customer, r.source_id, fx.user, pk, r.kind, r.started_at, r.ended_at])?;
        }
    }
    tx.commit()
}

/// Creates `n` entries through [`Engine::import_entries`] on a fresh file database in `dir`;
/// returns the time of the import call alone (one transaction).
pub fn time_engine_create(dir: &TempDir, n: usize) -> Duration {
    let path = dir.db("engine");
    let (engine, fx) = fresh_engine(&path).expect("open a fresh engine");
    let inputs = manual_entries(n, fx.initiative);
    let t = Instant::now();
    let ids = engine.import_entries(&fx.scope(), &inputs).expect("import");
    let took = t.elapsed();
    assert_eq!(ids.len(), n);
    engine.close().expect("close");
    drop(engine);
    remove_db(&path);
    took
}

/// Inserts the same `n` entries with raw SQL on a fresh tenths database file in `dir` (made by
/// the engine, then closed); returns the time of the insert transaction alone.
pub fn time_raw_create(dir: &TempDir, n: usize) -> Duration {
    let path = dir.db("raw");
    let (engine, fx) = fresh_engine(&path).expect("open a fresh engine");
    engine.close().expect("close");
    drop(engine);
    let rows = raw_rows(&manual_entries(n, fx.initiative));
    let mut conn = open_raw(&path).expect("open raw");
    let t = Instant::now();
    raw_insert(&mut conn, &fx, &rows).expect("raw insert");
    let took = t.elapsed();
    let count: i64 = conn.query_row("SELECT count(*) FROM entries", [], |r| r.get(0)).expect("count");
    assert_eq!(count as usize, n);
    drop(conn);
    remove_db(&path);
    took
}

/// The median of some durations.
pub fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs.get(xs.len() / 2).copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_writes_what_the_engine_writes() {
        let dir = TempDir::new("lib-test");
        let path = dir.db("engine");
        let (engine, fx) = fresh_engine(&path).unwrap();
        let inputs = manual_entries(20, fx.initiative);
        let ids = engine.import_entries(&fx.scope(), &inputs).unwrap();
        let rows = raw_rows(&inputs);
        for (id, r) in ids.iter().zip(&rows) {
            let e = engine.get_entry(&fx.scope(), id).unwrap();
            assert_eq!(e.raw_seconds, r.raw_seconds);
            assert_eq!(e.unit_increment_count_from_sources, r.units_from_sources);
            assert_eq!(e.work_date.to_string(), r.work_date);
            assert_eq!(e.status.as_str(), "validation-succeeded");
            assert_eq!(e.overlap_time_in_seconds, 0);
        }
        engine.close().unwrap();
        assert!(time_raw_create(&dir, 50) > Duration::ZERO);
        assert!(time_engine_create(&dir, 50) > Duration::ZERO);
    }
}

/// The release-succeeded items of `ids`, each with a PMS id of its own (`PMS-<id>`).
pub fn succeeded_items(ids: &[ObjectId]) -> Vec<ReleaseSucceededItem> {
    ids.iter()
        .map(|id| ReleaseSucceededItem { entry_id: id.to_string(), user_id: None, external_id: Some(format!("PMS-{id}")), re_release_failed_messages: None })
        .collect()
}
