//! Single durable writes for `valgrind --tool=callgrind`: `N` creates (one source each), `N`
//! overrides, `N` releases (`release_entry`) then `release_succeeded_batch` of the `N` in batches
//! of 100, on a file database (`synchronous = NORMAL`), so the instruction counts of
//! `Engine::create_entry`, `Engine::override_entry`, `Engine::release_entry` and
//! `Engine::release_succeeded_batch` (inclusive) can be compared before and after a change on a
//! noisy machine. A second argument `no-export-index` drops the export index (`entries_export`,
//! schema v9) before the writes: the same code with and without the index, to read what the
//! index costs each write. Usage: `cargo build --release -p tenths-benches --example
//! write_profile` then `valgrind --tool=callgrind target/release/examples/write_profile [N]
//! [no-export-index]`.

use std::sync::Arc;

use tenths::{
    BillingType, Durability, Engine, FixedClock, InitiativeInput, NewEntry, ObjectId, OpenOptions, OverrideInput, Scope, SourceInput, SourceKind, Timestamp,
};
use tenths_benches::TempDir;

fn main() {
    let n: i64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let dir = TempDir::new("write-profile");
    let start = Timestamp::parse("2026-03-02T08:00:00Z").expect("time");
    let clock = Arc::new(FixedClock::new(start));
    let opts = OpenOptions { durability: Durability::Normal, ..OpenOptions::default() };
    let path = dir.db("engine");
    if std::env::args().nth(2).as_deref() == Some("no-export-index") {
        Engine::open_with(&path, opts.clone(), clock.clone()).expect("open").close().expect("close");
        rusqlite::Connection::open(&path).expect("open raw").execute_batch("DROP INDEX entries_export").expect("drop the export index");
    }
    let engine = Engine::open_with(&path, opts, clock.clone()).expect("open");
    let customer = ObjectId::parse("64b7f0c2a1b2c3d4e5f60001").expect("id");
    let scope = Scope::new(customer, ObjectId::parse("64b7f0c2a1b2c3d4e5f60002").expect("id"));
    let matter = engine
        .upsert_initiative(
            &customer,
            &InitiativeInput {
                external_id: "M-1".into(),
                name: "Acme v. Widget".into(),
                description: None,
                call_sign: None,
                client_external_id: None,
                billing_type: BillingType::Billable,
                unit_increments: 360,
                status: None,
                kind: None,
            },
        )
        .expect("matter");
    let mut ids = Vec::new();
    for i in 0..n {
        let from = Timestamp::from_millis(start.millis() + i * 600_000).expect("time");
        let to = Timestamp::from_millis(from.millis() + 420_000).expect("time");
        let input = NewEntry {
            initiative_id: Some(matter.id),
            summary: Some(format!("Task {i}")),
            sources: vec![SourceInput { kind: SourceKind::Call, started_at: from, ended_at: to, title: None }],
            ..Default::default()
        };
        ids.push(engine.create_entry(&scope, &input).expect("create").0.id);
    }
    clock.set(Timestamp::from_millis(start.millis() + n * 600_000).expect("time"));
    for (i, id) in ids.iter().enumerate() {
        let input = OverrideInput { summary: Some(format!("Revised {i}")), unit_increment_count_adjustments: Some(1), ..Default::default() };
        std::hint::black_box(engine.override_entry(&scope, id, &input).expect("override"));
    }
    for id in &ids {
        std::hint::black_box(engine.release_entry(&scope, id).expect("release"));
    }
    for chunk in ids.chunks(100) {
        let items = tenths_benches::succeeded_items(chunk);
        std::hint::black_box(engine.release_succeeded_batch(&customer, &items).expect("batch"));
    }
    engine.close().expect("close");
}
