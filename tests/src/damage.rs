//! Damaged database files for the corruption tests (decisions 51 and 52): a real tenths
//! database with enough entries to span many pages, whose middle pages are then overwritten
//! with random bytes. Page 1 (the header and the start of the schema) stays sound, so SQLite
//! opens the file and only meets the damage when a statement reads those pages, as with a disk
//! that lost some sectors.

use std::path::Path;

use tenths::{Date, Durability, Engine, NewEntry, OpenOptions, Scope};

use crate::{oid, ts};

/// Entries written before the damage (about 200 pages of 4 KiB).
pub const ENTRIES: usize = 2_000;

/// The scope the entries belong to.
pub fn scope() -> Scope {
    Scope::new(oid(1), oid(2))
}

/// The work dates the entries spread over (every entry is inside).
pub fn dates() -> (Date, Date) {
    (Date::parse("2026-01-01").expect("date"), Date::parse("2026-12-31").expect("date"))
}

/// Writes [`ENTRIES`] entries to a new database at `path` and closes it cleanly.
pub fn build(path: &Path) {
    let clock = std::sync::Arc::new(tenths::FixedClock::new(ts("2026-11-02T12:00:00Z")));
    let options = OpenOptions { durability: Durability::Normal, ..OpenOptions::default() };
    let engine = Engine::open_with(path, options, clock).expect("open a new database");
    let (first, _) = dates();
    let batch: Vec<NewEntry> = (0..ENTRIES)
        .map(|i| NewEntry {
            summary: Some(format!("Reviewed exhibit {i} of the production and drafted notes on its relevance to the motion")),
            notes: Some(format!("Entry {i}: {}", "privileged work product; ".repeat(4))),
            work_date: first.add_days(i64::try_from(i % 300).expect("small")),
            duration_in_seconds: Some(360),
            ..NewEntry::default()
        })
        .collect();
    for chunk in batch.chunks(tenths::engine::MAX_BATCH_ITEMS) {
        engine.import_entries(&scope(), chunk).expect("import entries");
    }
    engine.close().expect("close");
}

/// Overwrites the middle fifth of the file's pages with random bytes (a fixed seed).
pub fn damage_middle_pages(path: &Path) {
    use std::io::{Seek, SeekFrom, Write};
    const PAGE: u64 = 4096;
    let len = std::fs::metadata(path).expect("database file").len();
    let pages = len / PAGE;
    assert!(pages > 50, "too few pages to damage the middle ones: {pages}");
    let mut file = std::fs::OpenOptions::new().write(true).open(path).expect("open for damage");
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for page in (pages * 2 / 5)..(pages * 3 / 5) {
        let noise: Vec<u8> = (0..PAGE)
            .map(|_| {
                // xorshift64: any noise does; a fixed seed keeps the test repeatable.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        file.seek(SeekFrom::Start(page * PAGE)).expect("seek");
        file.write_all(&noise).expect("write noise");
    }
    file.sync_all().expect("sync");
}

/// A database at `path` that SQLite opens but `PRAGMA integrity_check` reports malformed.
pub fn damaged(path: &Path) {
    build(path);
    damage_middle_pages(path);
}
