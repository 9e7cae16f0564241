//! Creating entries: `Engine::import_entries` (one transaction of N entries, manual time with
//! one source each) beside a raw rusqlite baseline that inserts the same rows into the same
//! schema with prepared statements in one transaction, on a fresh file database with the same
//! pragmas (WAL, synchronous FULL, cache_size -16384, foreign_keys ON).
//!
//! After criterion, an explicit interleaved timing (3 rounds each, median) prints
//! `ratio engine/raw = …` (engine rows/s ÷ raw rows/s; 1.0 would be free). In criterion's test
//! mode (`cargo test --benches`) each benchmark runs once and the ratio is measured on a small N.

use std::time::Duration;

use criterion::{Criterion, Throughput};
use tenths_benches::{median, time_engine_create, time_raw_create, TempDir};

/// Entries created per iteration.
const N: usize = 1_000;

fn create(c: &mut Criterion) {
    let dir = TempDir::new("create");
    let mut group = c.benchmark_group("create");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("engine_import_entries", |b| b.iter_custom(|iters| (0..iters).map(|_| time_engine_create(&dir, N)).sum::<Duration>()));
    group.bench_function("raw_rusqlite_baseline", |b| b.iter_custom(|iters| (0..iters).map(|_| time_raw_create(&dir, N)).sum::<Duration>()));
    group.finish();
}

/// Whether criterion runs as a benchmark (`cargo bench`), as it decides in `configure_from_args`.
fn benchmarking() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    has("--bench") && !has("--test") && !has("--list")
}

fn ratio(n: usize, rounds: usize) {
    let dir = TempDir::new("ratio");
    let mut engine = Vec::new();
    let mut raw = Vec::new();
    for _ in 0..rounds {
        engine.push(time_engine_create(&dir, n));
        raw.push(time_raw_create(&dir, n));
    }
    let (e, r) = (median(engine), median(raw));
    let rate = |d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    println!(
        "create {n} entries, median of {rounds}: engine {:.0} rows/s ({:.1} ms), raw {:.0} rows/s ({:.1} ms)",
        rate(e),
        e.as_secs_f64() * 1e3,
        rate(r),
        r.as_secs_f64() * 1e3
    );
    println!("ratio engine/raw = {:.2}", rate(e) / rate(r));
}

fn main() {
    let mut c = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5)).configure_from_args();
    create(&mut c);
    c.final_summary();
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if benchmarking() {
        ratio(N, 3);
    } else {
        ratio(100, 1);
        println!("(test mode: a small N, indicative only)");
    }
}
