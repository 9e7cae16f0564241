//! What the change-event log costs (issue 16, decision 95).
//!
//! 1. Durable (`Durability::Full`) single create and single override with the log on vs off:
//!    two engines on two files in one process, calls interleaved (on, off, on, off, …) so load
//!    drifts hit both alike; medians and the ratio.
//! 2. A history page of 100 events at scale: `TENTHS_EVENTS_ENTRIES` entries (default 100,000
//!    when benchmarking, 2,000 under `cargo test`) imported with the log on (one event each),
//!    then two more synthetic events per entry appended with raw SQL in the log's own shape
//!    (3 events an entry), and one entry with 150 real edits; p50/p99 of its first page of 100
//!    and of a page of 100 after a cursor.
//!
//! `cargo bench -p tenths-benches --bench events` (add `TENTHS_EVENTS_ENTRIES=1000000` for 1M).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::params;
use tenths::*;

fn oid(n: u64) -> ObjectId {
    ObjectId::parse(&format!("{n:024x}")).unwrap()
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn open(path: &std::path::Path, events: bool, durability: Durability) -> Engine {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    Engine::open_with(path, OpenOptions { durability, events, ..OpenOptions::default() }, clock).unwrap()
}

fn writes(dir: &std::path::Path, n: usize) {
    let on = open(&dir.join("on.sqlite"), true, Durability::Full);
    let off = open(&dir.join("off.sqlite"), false, Durability::Full);
    let scope = Scope::new(oid(0xc1), oid(0xa1));
    let input = NewEntry { summary: Some("Reviewed the contract".into()), duration_in_seconds: Some(1500), ..Default::default() };
    let (mut create_on, mut create_off, mut override_on, mut override_off) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        for (engine, created, overridden) in [(&on, &mut create_on, &mut override_on), (&off, &mut create_off, &mut override_off)] {
            let t = Instant::now();
            let (e, _) = engine.create_entry(&scope, &input).unwrap();
            created.push(t.elapsed());
            let patch = OverrideInput { summary: Some(format!("Reviewed the contract, pass {i}")), ..Default::default() };
            let t = Instant::now();
            engine.override_entry(&scope, &e.id, &patch).unwrap();
            overridden.push(t.elapsed());
        }
    }
    for (name, a, b) in [("durable create", &mut create_on, &mut create_off), ("durable override", &mut override_on, &mut override_off)] {
        let (pa, pb) = (percentile(a, 0.5), percentile(b, 0.5));
        println!(
            "| {name} | events on p50 {:.0} µs | events off p50 {:.0} µs | {:+.1} % | n = {n} interleaved |",
            micros(pa),
            micros(pb),
            (micros(pa) / micros(pb) - 1.0) * 100.0
        );
    }
}

fn history(dir: &std::path::Path, entries: u64) {
    let path = dir.join("history.sqlite");
    let engine = open(&path, true, Durability::Normal);
    let customer = oid(0xc1);
    let started = Instant::now();
    let per_user = 2_000u64;
    let mut ids = Vec::new();
    for u in 0..entries.div_ceil(per_user) {
        let scope = Scope::new(customer, oid(0xa000 + u));
        let n = per_user.min(entries - u * per_user);
        let batch: Vec<NewEntry> = (0..n)
            .map(|i| NewEntry {
                work_date: Some(Date::parse("2026-03-02").unwrap().add_days((i % 300) as i64).unwrap()),
                duration_in_seconds: Some(600),
                summary: Some(format!("entry {i}")),
                ..Default::default()
            })
            .collect();
        ids.extend(engine.import_entries(&scope, &batch).unwrap().into_iter().map(|id| (scope, id)));
    }
    let imported = started.elapsed();
    // Two synthetic events more per entry, in the log's shape (3 an entry in all).
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("BEGIN").unwrap();
    {
        let mut st = conn
            .prepare(
                "INSERT INTO entry_events (customer_id, id, user_id, entry_id, kind, operation, actor_id, role, at, device_at, request_id, changes)
                 VALUES (?1, ?2, ?3, ?4, 'entry.updated', 'edit', ?3, 'user', ?5, NULL, NULL, '[{\"field\":\"summary\",\"before\":\"a\",\"after\":\"b\"}]')",
            )
            .unwrap();
        let mut n = 0u64;
        for round in 0..2 {
            for (scope, id) in &ids {
                n += 1;
                st.execute(params![customer.as_str(), oid(0xe0000000 + n).as_str(), scope.user.as_str(), id.as_str(), 1_780_000_000_000i64 + round]).unwrap();
            }
        }
    }
    conn.execute_batch("COMMIT").unwrap();
    drop(conn);
    // One entry with 150 real edits.
    let (scope, target) = ids[ids.len() / 2];
    for i in 0..150 {
        engine.edit_entry(&scope, &target, &EntryPatch { notes: Some(format!("note {i}")), ..Default::default() }).unwrap();
    }
    let total: i64 = rusqlite::Connection::open(&path).unwrap().query_row("SELECT count(*) FROM entry_events", [], |r| r.get(0)).unwrap();
    let (mut first, mut after) = (Vec::new(), Vec::new());
    let cursor = engine.entry_history(&scope, &target, false, 100, None).unwrap().items[20].id;
    for _ in 0..300 {
        let t = Instant::now();
        let page = engine.entry_history(&scope, &target, false, 100, None).unwrap();
        first.push(t.elapsed());
        assert_eq!(page.items.len(), 100);
        let t = Instant::now();
        let page = engine.entry_history(&scope, &target, false, 100, Some(&cursor)).unwrap();
        after.push(t.elapsed());
        assert_eq!(page.items.len(), 100);
    }
    println!(
        "| history page of 100 events, {entries} entries / {total} events (built in {:.0} s) | first page p50 {:.0} µs, p99 {:.0} µs | after a cursor p50 {:.0} µs, p99 {:.0} µs | goal ≤ 2 ms |",
        imported.as_secs_f64(),
        micros(percentile(&mut first, 0.5)),
        micros(percentile(&mut first, 0.99)),
        micros(percentile(&mut after, 0.5)),
        micros(percentile(&mut after, 0.99)),
    );
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("tenths-bench-events-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let writes_n = if bench { 300 } else { 5 };
    let entries = std::env::var("TENTHS_EVENTS_ENTRIES").ok().and_then(|v| v.parse().ok()).unwrap_or(if bench { 100_000 } else { 2_000 });
    writes(&dir, writes_n);
    history(&dir, entries);
    let _ = std::fs::remove_dir_all(&dir);
}
