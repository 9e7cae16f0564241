//! Single durable writes for `valgrind --tool=callgrind`: `N` creates (one source each) then
//! `N` overrides on a file database (`synchronous = NORMAL`), so the instruction counts of
//! `Engine::create_entry` and `Engine::override_entry` (inclusive) can be compared before and
//! after a change on a noisy machine. Usage: `cargo build --release -p tenths-benches --example
//! write_profile` then `valgrind --tool=callgrind target/release/examples/write_profile [N]`.

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
    let engine = Engine::open_with(dir.db("engine"), opts, clock.clone()).expect("open");
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
    engine.close().expect("close");
}
