//! Sync end to end (issue 6): a device pushes N changed entries to an in-process server, and a
//! second device pulls them, through `Engine::sync` and the router (JSON both ways), beside a
//! raw-SQLite baseline that reads and writes the same rows: read the N entry and source rows on
//! the device and insert them on the server, then read them on the server and insert them on the
//! second device (prepared statements, one transaction per side, same files, same pragmas).
//! Also the no-op sync (nothing pending, nothing new): one push check and one pull round trip.
//!
//! Prints `ratio sync/raw = …` (sync rows/s ÷ raw rows/s). In criterion's test mode each
//! benchmark runs once on a small N.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use rusqlite::{params, TransactionBehavior};
use tenths::api::InProcessTransport;
use tenths::api::{Principal, Role};
use tenths::Engine;
use tenths_benches::{fresh_engine, manual_entries, median, open_raw, Fixture, TempDir};

struct Trio {
    server: Engine,
    device: Engine,
    second: Engine,
    fx: Fixture,
}

fn trio(dir: &TempDir) -> Trio {
    let (server, fx) = fresh_engine(&dir.db("server")).expect("server");
    let (device, _) = fresh_engine(&dir.db("device")).expect("device");
    let (second, _) = fresh_engine(&dir.db("second")).expect("second device");
    Trio { server, device, second, fx }
}

/// Push N entries from a device, then pull them on a second device; returns both times.
fn time_sync(dir: &TempDir, n: usize) -> (Duration, Duration) {
    let t = trio(dir);
    let transport = InProcessTransport { server: &t.server, principal: Principal::new(t.fx.customer, t.fx.user, Role::User) };
    // The second device is registered and up to date before the entries exist.
    t.second.sync(&transport, &t.fx.customer, &t.fx.user).expect("first sync");
    t.device.import_entries(&t.fx.scope(), &manual_entries(n, t.fx.initiative)).expect("import on the device");
    let start = Instant::now();
    let pushed = t.device.sync(&transport, &t.fx.customer, &t.fx.user).expect("push");
    let push = start.elapsed();
    assert_eq!(pushed.applied as usize, n);
    let start = Instant::now();
    let pulled = t.second.sync(&transport, &t.fx.customer, &t.fx.user).expect("pull");
    let pull = start.elapsed();
    assert_eq!(pulled.pulled as usize, n);
    (push, pull)
}

const ENTRY_COLS: &str = "customer_id, id, user_id, created_by, summary, work_date, initiative_id, creation_method, raw_seconds, unit_increments, units_from_sources, status, created_at, updated_at, version";

/// Copies the user's entries and sources from one database file to another with raw SQL.
fn raw_copy(from: &std::path::Path, to: &std::path::Path) -> usize {
    let src = open_raw(from).expect("open source");
    let mut dst = open_raw(to).expect("open target");
    let rows: Vec<Vec<rusqlite::types::Value>> = src
        .prepare(&format!("SELECT {ENTRY_COLS}, pk FROM entries ORDER BY pk"))
        .expect("prepare")
        .query_map([], |r| (0..16).map(|i| r.get(i)).collect())
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let sources: Vec<(i64, Vec<rusqlite::types::Value>)> = src
        .prepare("SELECT entry_pk, customer_id, id, user_id, kind, started_at, ended_at, title FROM sources ORDER BY pk")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, (1..8).map(|i| r.get(i)).collect::<rusqlite::Result<Vec<_>>>()?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("sources");
    let tx = dst.transaction_with_behavior(TransactionBehavior::Immediate).expect("begin");
    {
        let mut ins = tx
            .prepare(&format!("INSERT INTO entries ({ENTRY_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"))
            .expect("prepare");
        let mut ins_src = tx
            .prepare("INSERT INTO sources (entry_pk, customer_id, id, user_id, kind, started_at, ended_at, title) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
            .expect("prepare");
        let mut map = std::collections::HashMap::new();
        for row in &rows {
            ins.execute(rusqlite::params_from_iter(row.iter().take(15))).expect("insert");
            if let Some(rusqlite::types::Value::Integer(old)) = row.get(15) {
                map.insert(*old, tx.last_insert_rowid());
            }
        }
        for (entry_pk, s) in &sources {
            let pk = map.get(entry_pk).copied();
            ins_src.execute(params![pk, s[0], s[1], s[2], s[3], s[4], s[5], s[6]]).expect("insert source");
        }
    }
    tx.commit().expect("commit");
    rows.len()
}

/// The baseline: device → server → second device, raw.
fn time_raw(dir: &TempDir, n: usize) -> Duration {
    let t = trio(dir);
    t.device.import_entries(&t.fx.scope(), &manual_entries(n, t.fx.initiative)).expect("import on the device");
    let paths = [dir.path().join("device.sqlite"), dir.path().join("server.sqlite"), dir.path().join("second.sqlite")];
    for e in [t.server, t.device, t.second] {
        e.close().expect("close");
    }
    let start = Instant::now();
    assert_eq!(raw_copy(&paths[0], &paths[1]), n);
    assert_eq!(raw_copy(&paths[1], &paths[2]), n);
    start.elapsed()
}

/// One no-op sync (after a full one), median of `k`.
fn time_noop(dir: &TempDir, n: usize, k: usize) -> Duration {
    let t = trio(dir);
    let transport = InProcessTransport { server: &t.server, principal: Principal::new(t.fx.customer, t.fx.user, Role::User) };
    t.device.import_entries(&t.fx.scope(), &manual_entries(n, t.fx.initiative)).expect("import on the device");
    t.device.sync(&transport, &t.fx.customer, &t.fx.user).expect("sync");
    let times = (0..k)
        .map(|_| {
            let start = Instant::now();
            let r = t.device.sync(&transport, &t.fx.customer, &t.fx.user).expect("no-op sync");
            let took = start.elapsed();
            assert_eq!((r.pushed, r.pulled), (0, 0));
            took
        })
        .collect();
    median(times)
}

fn benchmarking() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    has("--bench") && !has("--test") && !has("--list")
}

fn main() {
    let n: usize = if benchmarking() { std::env::var("TENTHS_BENCH_SYNC_N").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000) } else { 100 };
    let mut c = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5)).configure_from_args();
    {
        let dir = TempDir::new("sync");
        let mut group = c.benchmark_group("sync");
        group.throughput(Throughput::Elements(1));
        group.bench_function("noop_sync", |b| {
            b.iter_custom(|iters| time_noop(&dir, 10, usize::try_from(iters).unwrap_or(1).max(1)) * u32::try_from(iters).unwrap_or(1))
        });
        group.finish();
    }
    c.final_summary();
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rounds = if benchmarking() { 3 } else { 1 };
    let dir = TempDir::new("sync-ratio");
    let (mut pushes, mut pulls, mut raws) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (push, pull) = time_sync(&dir, n);
        pushes.push(push);
        pulls.push(pull);
        raws.push(time_raw(&dir, n));
    }
    let (push, pull, raw) = (median(pushes), median(pulls), median(raws));
    let rate = |d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    let sync = push + pull;
    println!(
        "sync {n} entries, median of {rounds}: push {:.0} ms, pull {:.0} ms ({:.0} rows/s end to end); raw copy device→server→device {:.0} ms ({:.0} rows/s)",
        push.as_secs_f64() * 1e3,
        pull.as_secs_f64() * 1e3,
        rate(sync),
        raw.as_secs_f64() * 1e3,
        rate(raw)
    );
    println!("ratio sync/raw = {:.2}", rate(sync) / rate(raw));
    let noop = time_noop(&dir, 1_000, 200);
    println!("no-op sync (1,000 entries synced, nothing pending or new): median {:.0} µs", noop.as_secs_f64() * 1e6);
    if !benchmarking() {
        println!("(test mode: a small N, indicative only)");
    }
}
