//! Overlap stays correct on both sides after every change, and an update reads only the
//! neighbouring intervals (counted), even among 100,000 entries of one user.

use proptest::prelude::*;
use tenths::{EntryPatch, NewEntry, Scope, SourceInput, SourceKind};

use crate::conformance::{open_at, Backend};
use crate::{oid, ts};

fn src(start: &str, end: &str) -> SourceInput {
    SourceInput { kind: SourceKind::Meeting, started_at: ts(start), ended_at: ts(end), title: None }
}

pub fn both_sides_follow_create_timer_and_delete(backend: &dyn Backend) {
    let (engine, clock) = open_at(backend, "2026-03-10T18:00:00Z");
    let customer = oid(1);
    let scope = Scope::new(customer, oid(2));
    let matter = crate::simple_matter(&engine, &customer);
    let new = |s: Vec<SourceInput>| NewEntry { initiative_id: Some(matter), summary: Some("Work".into()), sources: s, ..Default::default() };
    let (a, _) = engine.create_entry(&scope, &new(vec![src("2026-03-10T09:00:00Z", "2026-03-10T10:00:00Z")])).unwrap();
    assert_eq!(a.overlap_time_in_seconds, 0);
    let (b, _) = engine.create_entry(&scope, &new(vec![src("2026-03-10T09:30:00Z", "2026-03-10T10:30:00Z")])).unwrap();
    assert_eq!(b.overlap_time_in_seconds, 1800);
    assert_eq!(engine.get_entry(&scope, &a.id).unwrap().overlap_time_in_seconds, 1800, "the other side is updated");
    // Another user's time never overlaps.
    let other = Scope::new(customer, oid(3));
    let (c, _) = engine.create_entry(&other, &new(vec![src("2026-03-10T09:00:00Z", "2026-03-10T11:00:00Z")])).unwrap();
    assert_eq!(c.overlap_time_in_seconds, 0);
    // A timer session that ends inside `a` adds to both.
    clock.set(ts("2026-03-10T08:50:00Z"));
    let t = engine.start_timer(&scope, &Default::default()).unwrap();
    clock.set(ts("2026-03-10T09:10:00Z"));
    let t = engine.stop_timer(&scope, &t.id).unwrap();
    assert_eq!(t.overlap_time_in_seconds, 600);
    // a meets b on 09:30–10:00 and the timer on 09:00–09:10: the union is 40 minutes.
    assert_eq!(engine.get_entry(&scope, &a.id).unwrap().overlap_time_in_seconds, 2400);
    assert!(engine.get_entry(&scope, &a.id).unwrap().has_overlap());
    // Deleting `b` leaves only the timer's 10 minutes on `a`.
    engine.delete_entry(&scope, &b.id).unwrap();
    assert_eq!(engine.get_entry(&scope, &a.id).unwrap().overlap_time_in_seconds, 600);
    engine.delete_entry(&scope, &t.id).unwrap();
    let a_now = engine.get_entry(&scope, &a.id).unwrap();
    assert_eq!(a_now.overlap_time_in_seconds, 0);
    assert!(!a_now.has_overlap());
    // An edit that does not touch sources keeps overlap.
    let e = engine.edit_entry(&scope, &a.id, &EntryPatch { summary: Some("Still work".into()), ..Default::default() }).unwrap();
    assert_eq!(e.overlap_time_in_seconds, 0);
}

pub fn an_update_reads_only_its_neighbours_among_100k_entries(backend: &dyn Backend) {
    let (engine, clock) = open_at(backend, "2030-01-01T00:00:00Z");
    let customer = oid(1);
    let scope = Scope::new(customer, oid(2));
    let matter = crate::simple_matter(&engine, &customer);
    // 100,000 entries of one user, one 30-minute source each, every hour, back to back days.
    let base = ts("2015-01-01T00:00:00Z").millis();
    let hour = 3_600_000i64;
    let inputs: Vec<NewEntry> = (0..100_000i64)
        .map(|i| {
            let start = tenths::Timestamp::from_millis(base + i * hour).unwrap();
            let end = tenths::Timestamp::from_millis(base + i * hour + hour / 2).unwrap();
            NewEntry {
                initiative_id: Some(matter),
                summary: Some("x".into()),
                sources: vec![SourceInput { kind: SourceKind::Email, started_at: start, ended_at: end, title: None }],
                ..Default::default()
            }
        })
        .collect();
    engine.import_entries(&scope, &inputs).unwrap();
    // A new entry overlapping exactly two neighbours: from :15 of hour k to :15 of hour k+1.
    let k = 50_000i64;
    let start = tenths::Timestamp::from_millis(base + k * hour + hour / 4).unwrap();
    let end = tenths::Timestamp::from_millis(base + (k + 1) * hour + hour / 4).unwrap();
    clock.set(ts("2030-01-02T00:00:00Z"));
    let before = tenths::engine::overlap_rows_visited(&engine);
    let (e, _) = engine
        .create_entry(
            &scope,
            &NewEntry {
                initiative_id: Some(matter),
                summary: Some("y".into()),
                sources: vec![SourceInput { kind: SourceKind::Call, started_at: start, ended_at: end, title: None }],
                ..Default::default()
            },
        )
        .unwrap();
    let visited = tenths::engine::overlap_rows_visited(&engine) - before;
    assert_eq!(e.overlap_time_in_seconds, 15 * 60 + 15 * 60);
    // Neighbours are the intervals starting in the 25 hours before the change: a bounded window
    // (≤ 27 rows here per lookup), never the user's 100,000 rows.
    assert!(visited < 200, "visited {visited} rows");
    // Deleting it reads the same small window and clears both neighbours.
    let before = tenths::engine::overlap_rows_visited(&engine);
    engine.delete_entry(&scope, &e.id).unwrap();
    let visited = tenths::engine::overlap_rows_visited(&engine) - before;
    assert!(visited < 200, "visited {visited} rows");
    let day = tenths::Date::parse(&tenths::Timestamp::from_millis(base + k * hour).unwrap().to_rfc3339()[..10]).unwrap();
    let neighbours = engine.list_entries(&scope, day, day.succ().unwrap()).unwrap();
    assert!(neighbours.iter().all(|n| n.overlap_time_in_seconds == 0));
}

#[derive(Debug, Clone)]
enum Op {
    Create(Vec<(i64, i64)>),
    Delete(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => proptest::collection::vec((0i64..600, 1i64..120), 1..3).prop_map(Op::Create),
        1 => (0usize..20).prop_map(Op::Delete),
    ]
}

/// After any sequence of creates and deletes, every live entry's stored overlap equals a
/// brute-force recomputation over all of the user's live entries.
pub fn stored_overlap_equals_brute_force(backend: &dyn Backend) {
    proptest!(ProptestConfig { cases: 24, ..ProptestConfig::default() }, |(ops in proptest::collection::vec(op(), 1..25))| {
        let (engine, _clock) = open_at(backend, "2026-03-11T00:00:00Z");
        let customer = oid(1);
        let scope = Scope::new(customer, oid(2));
        let base = ts("2026-03-10T08:00:00Z").millis();
        let mut live: Vec<tenths::ObjectId> = Vec::new();
        for op in ops {
            match op {
                Op::Create(spans) => {
                    let sources = spans.iter().map(|(s, l)| SourceInput {
                        kind: SourceKind::Manual,
                        started_at: tenths::Timestamp::from_millis(base + s * 60_000).unwrap(),
                        ended_at: tenths::Timestamp::from_millis(base + (s + l) * 60_000).unwrap(),
                        title: None,
                    }).collect();
                    let (e, _) = engine.create_entry(&scope, &NewEntry { sources, ..Default::default() }).unwrap();
                    live.push(e.id);
                }
                Op::Delete(i) => {
                    if !live.is_empty() {
                        let id = live.remove(i % live.len());
                        engine.delete_entry(&scope, &id).unwrap();
                    }
                }
            }
        }
        let entries: Vec<tenths::Entry> = live.iter().map(|id| engine.get_entry(&scope, id).unwrap()).collect();
        for e in &entries {
            let mine: Vec<tenths::overlap::Interval> = e.sources.iter().map(|s| tenths::overlap::Interval { start: s.started_at.millis(), end: s.ended_at.unwrap().millis() }).collect();
            let others: Vec<tenths::overlap::Interval> = entries.iter().filter(|o| o.id != e.id).flat_map(|o| o.sources.iter().map(|s| tenths::overlap::Interval { start: s.started_at.millis(), end: s.ended_at.unwrap().millis() })).collect();
            let expected = tenths::overlap::overlap_millis(&mine, &others) / 1000;
            prop_assert_eq!(e.overlap_time_in_seconds, expected, "entry {}", e.id);
        }
    });
}

/// One new entry: its sources as (start minute, length in minutes), or none (a manual
/// duration), with or without a matter and a summary.
type Spec = (Vec<(i64, i64)>, bool, bool);

fn spec() -> impl Strategy<Value = Spec> {
    (proptest::collection::vec((0i64..600, 1i64..120), 0..3), any::<bool>(), any::<bool>())
}

fn input(base: i64, matter: tenths::ObjectId, (spans, with_matter, with_summary): &Spec) -> NewEntry {
    let sources: Vec<SourceInput> = spans
        .iter()
        .map(|(s, l)| SourceInput {
            kind: SourceKind::Manual,
            started_at: tenths::Timestamp::from_millis(base + s * 60_000).unwrap(),
            ended_at: tenths::Timestamp::from_millis(base + (s + l) * 60_000).unwrap(),
            title: None,
        })
        .collect();
    NewEntry {
        initiative_id: with_matter.then_some(matter),
        summary: with_summary.then(|| "Work".to_string()),
        duration_in_seconds: sources.is_empty().then_some(1_500),
        sources,
        ..Default::default()
    }
}

/// What a create decides about an entry (everything but its ids and sources' ids).
fn decided(e: &tenths::Entry) -> String {
    format!(
        "{} {} {} {} {} {} {} {:?} {:?}",
        e.status.as_str(),
        e.raw_seconds,
        e.unit_increments,
        e.unit_increment_count_from_sources,
        e.overlap_time_in_seconds,
        e.work_date,
        e.creation_method,
        e.validation_failed_errors,
        e.sources.iter().map(|s| (s.started_at, s.ended_at)).collect::<Vec<_>>()
    )
}

/// A bulk import (entries meeting each other and entries already stored) stores what
/// the same creates one by one store, and every overlap equals a brute-force count.
pub fn an_import_stores_what_single_creates_store(backend: &dyn Backend) {
    proptest!(ProptestConfig { cases: 24, ..ProptestConfig::default() }, |(before in proptest::collection::vec(spec(), 0..4), batch in proptest::collection::vec(spec(), 1..8))| {
        let customer = oid(1);
        let scope = Scope::new(customer, oid(2));
        let base = ts("2026-03-10T08:00:00Z").millis();
        let mut results = Vec::new();
        for bulk in [true, false] {
            let (engine, _clock) = open_at(backend, "2026-03-11T00:00:00Z");
            let matter = crate::simple_matter(&engine, &customer);
            let mut ids: Vec<tenths::ObjectId> = before.iter().map(|s| engine.create_entry(&scope, &input(base, matter, s)).unwrap().0.id).collect();
            let inputs: Vec<NewEntry> = batch.iter().map(|s| input(base, matter, s)).collect();
            if bulk {
                ids.extend(engine.import_entries(&scope, &inputs).unwrap());
            } else {
                ids.extend(inputs.iter().map(|i| engine.create_entry(&scope, i).unwrap().0.id));
            }
            let entries: Vec<tenths::Entry> = ids.iter().map(|id| engine.get_entry(&scope, id).unwrap()).collect();
            for e in &entries {
                let mine: Vec<tenths::overlap::Interval> = e.sources.iter().map(|s| tenths::overlap::Interval { start: s.started_at.millis(), end: s.ended_at.unwrap().millis() }).collect();
                let others: Vec<tenths::overlap::Interval> = entries.iter().filter(|o| o.id != e.id).flat_map(|o| o.sources.iter().map(|s| tenths::overlap::Interval { start: s.started_at.millis(), end: s.ended_at.unwrap().millis() })).collect();
                prop_assert_eq!(e.overlap_time_in_seconds, tenths::overlap::overlap_millis(&mine, &others) / 1000, "entry {}", e.id);
            }
            results.push(entries.iter().map(decided).collect::<Vec<_>>());
        }
        prop_assert_eq!(&results[0], &results[1]);
    });
}

/// An import of many entries over the same interval: each overlaps all the others fully. The
/// batch refreshes every neighbour once at the end (not after each insert), so this stays
/// quadratic in reads instead of cubic; the rows-visited counter shows it.
pub fn a_dense_import_refreshes_each_neighbour_once(backend: &dyn Backend) {
    let (engine, _clock) = open_at(backend, "2026-03-11T00:00:00Z");
    let scope = Scope::new(oid(1), oid(2));
    let n = 300usize;
    let inputs: Vec<NewEntry> = (0..n).map(|_| NewEntry { sources: vec![src("2026-03-10T09:00:00Z", "2026-03-10T09:06:00Z")], ..Default::default() }).collect();
    let before = tenths::engine::overlap_rows_visited(&engine);
    let ids = engine.import_entries(&scope, &inputs).unwrap();
    let visited = tenths::engine::overlap_rows_visited(&engine) - before;
    for id in ids.iter().step_by(37) {
        assert_eq!(engine.get_entry(&scope, id).unwrap().overlap_time_in_seconds, 360);
    }
    // n inserts read at most n neighbours each, then n refreshes read n each: 2·n² at most.
    assert!(visited <= 2 * (n * n) as u64, "visited {visited} rows for {n} entries");
}
