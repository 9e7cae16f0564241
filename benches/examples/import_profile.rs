//! Imports the benchmark firm's entries at a small scale, engine batch by batch, each followed by
//! the raw insert of the same rows: a target for `valgrind --tool=callgrind`, whose instruction
//! counts (inclusive cost of `Engine::import_entries` vs `RawBatch::insert`) are repeatable on a
//! noisy machine. Usage: `cargo build --release -p tenths-benches --example import_profile` then
//! `valgrind --tool=callgrind target/release/examples/import_profile [ENTRIES]`.

use std::sync::Arc;

use tenths::{Clock, Durability, Engine, FixedClock, OpenOptions};
use tenths_benches::firm::{day_after_noon, months, RawBatch, SEED};
use tenths_benches::{open_raw, TempDir};
use tenths_cli::generate::{self, Dataset, Scale};

fn main() {
    let entries: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(4_000);
    let data = Dataset::generate(SEED, Scale::large(entries));
    let firm = &data.firms[0];
    let dir = TempDir::new("import-profile");
    let (ep, rp) = (dir.db("engine"), dir.db("raw"));
    let clock = Arc::new(FixedClock::new(day_after_noon(firm.start)));
    let opts = OpenOptions { durability: Durability::Normal, ..OpenOptions::default() };
    let engine = Engine::open_with(&ep, opts.clone(), clock.clone() as Arc<dyn Clock>).unwrap();
    let imported = generate::import_reference(&engine, firm).unwrap();
    engine.close().unwrap();
    std::fs::copy(&ep, &rp).unwrap();
    let engine = Engine::open_with(&ep, opts, clock.clone() as Arc<dyn Clock>).unwrap();
    let mut raw = open_raw(&rp).unwrap();
    raw.execute_batch("PRAGMA synchronous = NORMAL").unwrap();
    let reader = open_raw(&ep).unwrap();
    let (mut le, mut ls) = (0, 0);
    let mut n = 0;
    for month in months(firm) {
        clock.set(day_after_noon(*month.last().unwrap()));
        for user in 0..firm.users.len() {
            n += generate::import_user_days(&engine, firm, &imported, user, &month).unwrap().len();
            let batch = RawBatch::read(&reader, le, ls);
            le = batch.max_entry.unwrap_or(le);
            ls = batch.max_source.unwrap_or(ls);
            batch.insert(&mut raw).unwrap();
        }
    }
    engine.close().unwrap();
    println!("{n} entries imported");
}
