//! The per-user feed position (schema v3's `feed_positions` row): a batch takes its positions in
//! one reservation and stores the last one before the commit, a single write takes one, and
//! another engine on the same file (another process, for the row) continues after both. Every
//! write is in the feed exactly once, in write order.

use std::collections::HashSet;
use std::sync::Arc;

use tenths::sync::PullCursor;
use tenths::*;
use tenths_tests::{oid, ts, TempDir};

/// Every entry of the user's feed after `after`, paged by `limit`: (ids in feed order, the
/// cursor after the last page). Asserts the positions only grow.
fn drain(engine: &Engine, scope: &Scope, after: PullCursor, limit: usize) -> (Vec<ObjectId>, PullCursor) {
    let mut at = after;
    let mut ids = Vec::new();
    loop {
        let page = engine.sync_changes(&scope.customer, &scope.user, at, limit).unwrap();
        assert!(page.next.entry_seq >= at.entry_seq);
        ids.extend(page.entries.iter().map(|e| e.id));
        if page.next.entry_seq > at.entry_seq {
            assert!(!page.entries.is_empty(), "the position moved without an entry");
        }
        at = page.next;
        if !page.has_more {
            return (ids, at);
        }
    }
}

#[test]
fn a_batch_a_single_write_and_another_engine_each_take_fresh_positions() {
    let dir = TempDir::new("feed");
    let path = dir.file("firm.sqlite");
    let clock = Arc::new(FixedClock::new(ts("2026-11-02T12:00:00Z")));
    let a = Engine::open_with(&path, OpenOptions::default(), clock.clone()).unwrap();
    let scope = Scope::new(oid(1), oid(2));
    let inputs: Vec<NewEntry> = (0..50).map(|i| NewEntry { duration_in_seconds: Some(60 + i), ..Default::default() }).collect();
    let imported = a.import_entries(&scope, &inputs).unwrap();

    let (ids, after_import) = drain(&a, &scope, PullCursor::default(), 7);
    assert_eq!(ids, imported, "every imported entry once, in write order");

    // A single edit: one new position, after the batch's last.
    a.edit_entry(&scope, &imported[3], &EntryPatch { summary: Some("Revised".into()), ..Default::default() }).unwrap();
    let (ids, after_edit) = drain(&a, &scope, after_import, 7);
    assert_eq!(ids, vec![imported[3]]);
    assert!(after_edit.entry_seq > after_import.entry_seq);

    // Another engine on the file continues after both, and so does the first one after it.
    let b = Engine::open_with(&path, OpenOptions::default(), clock).unwrap();
    let (created, _) = b.create_entry(&scope, &NewEntry { duration_in_seconds: Some(30), ..Default::default() }).unwrap();
    let more = a
        .import_entries(&scope, &inputs[..5].iter().map(|i| NewEntry { duration_in_seconds: i.duration_in_seconds, ..Default::default() }).collect::<Vec<_>>())
        .unwrap();
    let (ids, _) = drain(&a, &scope, after_edit, 3);
    let mut expected = vec![created.id];
    expected.extend(more);
    assert_eq!(ids, expected);
    let all: HashSet<ObjectId> = drain(&a, &scope, PullCursor::default(), 100).0.into_iter().collect();
    assert_eq!(all.len(), 56, "every entry is in the feed exactly once");
}
