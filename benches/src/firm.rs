//! The benchmark firm: a realistic data set at a chosen scale (the demo's deterministic generator,
//! `tenths_cli::generate`, with [`Scale::large`]), loaded once per run into a file under
//! `target/bench-data/` through the engine's batch API, beside a raw copy of the same rows made
//! with prepared inserts (the bulk-import baseline and the size baseline).
//!
//! The build is timed as it goes: each batch (one user's month, one `import_entries` call) is
//! followed by the raw insert of exactly the rows it wrote, in a transaction of the same size on
//! a database with the same schema, pragmas and cache size, so the two are interleaved.
//!
//! The pristine files are kept and keyed by scale, seed and schema version
//! (`TENTHS_BENCH_REBUILD=1` rebuilds them); each run works on a fresh copy.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, TransactionBehavior};
use tenths::sqlite::SCHEMA_VERSION;
use tenths::{Clock, Date, Durability, Engine, FixedClock, ObjectId, OpenOptions, ReleaseDayMode, Scope, Timestamp};
use tenths_cli::generate::{self, Dataset, Firm, Imported, Scale};

use crate::{open_raw, remove_db};

/// The seed of the benchmark firm.
pub const SEED: u64 = 7;

/// Entries of each named scale: `tiny` (the smoke test), `small` (the default of
/// `scripts/bench`), `full` (one million).
pub fn scale_entries(name: &str) -> Option<usize> {
    match name {
        "tiny" => Some(1_000),
        "small" => Some(50_000),
        "full" => Some(1_000_000),
        n => n.replace('_', "").parse().ok().filter(|n: &usize| *n > 0),
    }
}

/// What the build measured.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    /// Entries imported.
    pub entries: u64,
    /// `import_entries` calls (one transaction each), and so raw transactions.
    pub batches: u64,
    /// Time inside `import_entries`.
    pub engine_import: Duration,
    /// Time inside the raw insert transactions.
    pub raw_insert: Duration,
    /// Entries released by `release_day` (every month but the last).
    pub released: u64,
    /// Time inside `release_day` calls.
    pub release_days: Duration,
    /// `release_day` calls.
    pub release_day_calls: u64,
}

impl BuildReport {
    fn to_line(&self) -> String {
        format!(
            "{} {} {} {} {} {} {}",
            self.entries,
            self.batches,
            self.engine_import.as_nanos(),
            self.raw_insert.as_nanos(),
            self.released,
            self.release_days.as_nanos(),
            self.release_day_calls
        )
    }

    fn from_line(s: &str) -> Option<BuildReport> {
        let v: Vec<u128> = s.split_whitespace().map(|x| x.parse().ok()).collect::<Option<_>>()?;
        let d = |n: u128| Duration::from_nanos(u64::try_from(n).unwrap_or(u64::MAX));
        match v[..] {
            [entries, batches, ei, ri, released, rd, calls] => Some(BuildReport {
                entries: entries as u64,
                batches: batches as u64,
                engine_import: d(ei),
                raw_insert: d(ri),
                released: released as u64,
                release_days: d(rd),
                release_day_calls: calls as u64,
            }),
            _ => None,
        }
    }
}

/// The benchmark firm, built (or found) and copied for this run.
pub struct BenchFirm {
    /// The scale it was generated at.
    pub scale: Scale,
    /// The firm's description (reference data, users, days on demand).
    pub firm: Firm,
    /// The engine ids of its matters and codes.
    pub imported: Imported,
    /// The engine's database (a fresh copy of the pristine one, for this run).
    pub engine_path: PathBuf,
    /// The pristine engine database (for its size).
    pub pristine_engine: PathBuf,
    /// The raw copy of the same rows (for its size).
    pub pristine_raw: PathBuf,
    /// What the build measured (now, or when the pristine files were built).
    pub build: BuildReport,
    /// Whether this run built the files (false: found from an earlier run).
    pub built_now: bool,
    /// The clock of engines opened on the copy.
    pub clock: Arc<FixedClock>,
    /// The months of the data set, first to last (only the last is not released).
    pub months: Vec<Vec<Date>>,
}

/// `target/bench-data` of this workspace.
pub fn data_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("bench-data")
}

/// Version of the build procedure, part of the cache key.
const BUILD_VERSION: u32 = 2;

/// The work days of the firm grouped by calendar month (a short last month joins the one before,
/// so the open month always has a few weeks of editable entries).
pub fn months(firm: &Firm) -> Vec<Vec<Date>> {
    let mut out: Vec<Vec<Date>> = Vec::new();
    for d in firm.work_days() {
        let key = &d.to_string()[..7];
        match out.last_mut() {
            Some(m) if m.first().is_some_and(|f| &f.to_string()[..7] == key) => m.push(d),
            _ => out.push(vec![d]),
        }
    }
    if out.len() > 1 && out.last().is_some_and(|m| m.len() < 10) {
        if let Some(short) = out.pop() {
            if let Some(m) = out.last_mut() {
                m.extend(short);
            }
        }
    }
    out
}

/// Noon UTC of the day after `d`: when a month is imported and released.
pub fn day_after_noon(d: Date) -> Timestamp {
    let next = d.add_days(1).expect("in range");
    Timestamp::parse(&format!("{next}T12:00:00Z")).expect("valid")
}

/// Builds (or finds) the firm of `entries` entries and copies it for this run. `rebuild` (or
/// `TENTHS_BENCH_REBUILD=1`) builds it even when found.
pub fn prepare(entries: usize, rebuild: bool) -> BenchFirm {
    let scale = Scale::large(entries);
    let data = Dataset::generate(SEED, scale);
    let firm = data.firms.into_iter().next().expect("one firm");
    let dir = data_dir();
    std::fs::create_dir_all(&dir).expect("create target/bench-data");
    let key = format!("firm-{}-seed{}-schema{}-build{}", scale.entries(firm.start), SEED, SCHEMA_VERSION, BUILD_VERSION);
    let pristine_engine = dir.join(format!("{key}.sqlite"));
    let pristine_raw = dir.join(format!("{key}-raw.sqlite"));
    let report_path = dir.join(format!("{key}.build"));
    let rebuild = rebuild || std::env::var("TENTHS_BENCH_REBUILD").is_ok_and(|v| v == "1");
    let found = (!rebuild && pristine_engine.exists() && pristine_raw.exists())
        .then(|| std::fs::read_to_string(&report_path).ok().and_then(|s| BuildReport::from_line(&s)))
        .flatten();
    let months = months(&firm);
    let (build, built_now) = match found {
        Some(r) => (r, false),
        None => {
            let r = build(&firm, &months, &pristine_engine, &pristine_raw);
            std::fs::write(&report_path, r.to_line()).expect("write the build report");
            (r, true)
        }
    };
    let engine_path = dir.join(format!("{key}-work.sqlite"));
    remove_db(&engine_path);
    std::fs::copy(&pristine_engine, &engine_path).expect("copy the pristine database");
    let last = months.last().and_then(|m| m.last()).copied().expect("some days");
    let clock = Arc::new(FixedClock::new(day_after_noon(last)));
    let engine = Engine::open_with(&engine_path, OpenOptions::default(), clock.clone() as Arc<dyn Clock>).expect("open the copy");
    let imported = recover_imported(&engine, &firm);
    engine.close().expect("close");
    BenchFirm { scale, firm, imported, engine_path, pristine_engine, pristine_raw, build, built_now, clock, months }
}

/// The engine ids of the firm's matters and codes, read back from the store.
pub fn recover_imported(engine: &Engine, firm: &Firm) -> Imported {
    let initiatives = engine.list_initiatives(&firm.customer).expect("list matters");
    let by_ext: std::collections::HashMap<&str, ObjectId> = initiatives.iter().map(|i| (i.external_id.as_str(), i.id)).collect();
    let matter_ids = firm.matters.iter().map(|m| by_ext[m.input.external_id.as_str()]).collect();
    let code_ids = engine.list_codes(&firm.customer).expect("list codes").into_iter().map(|c| ((c.code_type_external_id, c.external_id), c.id)).collect();
    Imported { customer: firm.customer, matter_ids, code_ids }
}

fn build_options() -> OpenOptions {
    // The build is not what is measured for durability: NORMAL on both sides.
    OpenOptions { durability: Durability::Normal, ..OpenOptions::default() }
}

fn build(firm: &Firm, months: &[Vec<Date>], engine_path: &Path, raw_path: &Path) -> BuildReport {
    let t_all = Instant::now();
    remove_db(engine_path);
    remove_db(raw_path);
    let first = months.first().and_then(|m| m.first()).copied().expect("some days");
    let clock = Arc::new(FixedClock::new(Timestamp::parse(&format!("{}T12:00:00Z", first.add_days(-7).expect("in range"))).expect("valid")));
    let engine = Engine::open_with(engine_path, build_options(), clock.clone() as Arc<dyn Clock>).expect("open the engine database");
    let imported = generate::import_reference(&engine, firm).expect("import reference data");
    engine.close().expect("close");
    drop(engine);
    std::fs::copy(engine_path, raw_path).expect("copy the reference data for the raw side");
    let engine = Engine::open_with(engine_path, build_options(), clock.clone() as Arc<dyn Clock>).expect("reopen");
    let mut raw = open_raw(raw_path).expect("open raw");
    raw.execute_batch("PRAGMA synchronous = NORMAL").expect("pragma");
    let reader = open_raw(engine_path).expect("open a reader");
    let mut report = BuildReport::default();
    let (mut last_entry, mut last_source) = (0i64, 0i64);
    let n_months = months.len();
    for (mi, month) in months.iter().enumerate() {
        let Some(&last_day) = month.last() else { continue };
        clock.set(day_after_noon(last_day));
        for user in 0..firm.users.len() {
            let t = Instant::now();
            let ids = generate::import_user_days(&engine, firm, &imported, user, month).expect("import a user's month");
            report.engine_import += t.elapsed();
            report.entries += ids.len() as u64;
            report.batches += 1;
            // The same rows, read back outside the timing, inserted raw in one transaction.
            let batch = RawBatch::read(&reader, last_entry, last_source);
            last_entry = batch.max_entry.unwrap_or(last_entry);
            last_source = batch.max_source.unwrap_or(last_source);
            let t = Instant::now();
            batch.insert(&mut raw).expect("raw insert");
            report.raw_insert += t.elapsed();
        }
        if mi + 1 < n_months {
            for user in &firm.users {
                let scope = Scope::new(firm.customer, user.id);
                for d in month {
                    clock.advance_millis(1_000);
                    let t = Instant::now();
                    let r = engine.release_day(&scope, *d, ReleaseDayMode::ReadySubset).expect("release a day");
                    report.release_days += t.elapsed();
                    report.release_day_calls += 1;
                    report.released += r.released.len() as u64;
                }
            }
        }
        eprintln!("bench data: month {}/{} ({} entries, {:.0} s)", mi + 1, n_months, report.entries, t_all.elapsed().as_secs_f64());
    }
    engine.close().expect("close");
    drop(reader);
    raw.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").expect("checkpoint");
    report
}

/// Rows of `entries`, `sources` and `entry_codes` after given pks, every column as stored.
pub struct RawBatch {
    /// `entries` rows, every column.
    pub entries: Vec<Vec<Value>>,
    /// `sources` rows, every column.
    pub sources: Vec<Vec<Value>>,
    /// `entry_codes` rows, every column.
    pub codes: Vec<Vec<Value>>,
    /// The largest entry pk read.
    pub max_entry: Option<i64>,
    /// The largest source pk read.
    pub max_source: Option<i64>,
}

fn all_rows(conn: &Connection, sql: &str, after: i64) -> Vec<Vec<Value>> {
    let mut stmt = conn.prepare_cached(sql).expect("prepare");
    let n = stmt.column_count();
    stmt.query_map(params![after], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect()).expect("query").collect::<rusqlite::Result<_>>().expect("rows")
}

fn first_int(row: &[Value]) -> Option<i64> {
    match row.first() {
        Some(Value::Integer(i)) => Some(*i),
        _ => None,
    }
}

impl RawBatch {
    /// Reads the rows written after entry pk `entry` and source pk `source`.
    pub fn read(conn: &Connection, entry: i64, source: i64) -> RawBatch {
        let entries = all_rows(conn, "SELECT * FROM entries WHERE pk > ?1 ORDER BY pk", entry);
        let sources = all_rows(conn, "SELECT * FROM sources WHERE pk > ?1 ORDER BY pk", source);
        let codes = all_rows(conn, "SELECT * FROM entry_codes WHERE entry_pk > ?1 ORDER BY entry_pk, position", entry);
        let max_entry = entries.last().and_then(|r| first_int(r));
        let max_source = sources.last().and_then(|r| first_int(r));
        RawBatch { entries, sources, codes, max_entry, max_source }
    }

    /// Inserts the rows with prepared statements in one IMMEDIATE transaction.
    pub fn insert(&self, conn: &mut Connection) -> rusqlite::Result<()> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (table, rows) in [("entries", &self.entries), ("sources", &self.sources), ("entry_codes", &self.codes)] {
            let Some(n) = rows.first().map(Vec::len) else { continue };
            let sql = format!("INSERT INTO {table} VALUES ({})", vec!["?"; n].join(", "));
            let mut stmt = tx.prepare_cached(&sql)?;
            for r in rows {
                stmt.execute(params_from_iter(r.iter()))?;
            }
        }
        tx.commit()
    }
}
