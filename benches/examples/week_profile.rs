//! Reads every user's weeks of the benchmark firm through `Engine::list_entries`, then the same
//! rows with one plain `SELECT` each: a target for `valgrind --tool=callgrind`, whose inclusive
//! counts of `Engine::list_entries` and `raw_week` compare the engine's listing with the rows
//! it reads, repeatably on a noisy machine. Usage: `cargo build --release -p tenths-benches
//! --example week_profile` then `valgrind --tool=callgrind target/release/examples/week_profile [ENTRIES]`.

use std::sync::Arc;

use rusqlite::Connection;
use tenths::{Clock, Date, Durability, Engine, FixedClock, ObjectId, OpenOptions, Scope};
use tenths_benches::firm::{day_after_noon, months, SEED};
use tenths_benches::{open_raw, TempDir};
use tenths_cli::generate::{self, Dataset, Scale};

/// The week's live rows of one user, every column of the entry, read into owned values.
#[inline(never)]
fn raw_week(c: &Connection, customer: &ObjectId, user: &ObjectId, from: Date, to: Date) -> usize {
    let mut stmt = c
        .prepare_cached(
            "SELECT * FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND work_date >= ?3 AND work_date <= ?4 AND is_deleted = 0 ORDER BY work_date, id",
        )
        .unwrap();
    let mut rows = stmt.query(rusqlite::params![customer.as_str(), user.as_str(), from.to_string(), to.to_string()]).unwrap();
    let mut n = 0;
    while let Some(r) = rows.next().unwrap() {
        let values: Vec<rusqlite::types::Value> = (0..r.as_ref().column_count()).map(|i| r.get(i).unwrap()).collect();
        n += values.len().min(1);
    }
    n
}

fn main() {
    let entries: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(4_000);
    let data = Dataset::generate(SEED, Scale::large(entries));
    let firm = &data.firms[0];
    let dir = TempDir::new("week-profile");
    let path = dir.db("engine");
    let clock = Arc::new(FixedClock::new(day_after_noon(firm.start)));
    let opts = OpenOptions { durability: Durability::Normal, ..OpenOptions::default() };
    let engine = Engine::open_with(&path, opts, clock.clone() as Arc<dyn Clock>).unwrap();
    let imported = generate::import_reference(&engine, firm).unwrap();
    let mut weeks: Vec<(Date, Date)> = Vec::new();
    for month in months(firm) {
        clock.set(day_after_noon(*month.last().unwrap()));
        for user in 0..firm.users.len() {
            generate::import_user_days(&engine, firm, &imported, user, &month).unwrap();
        }
        for week in month.chunks(7) {
            weeks.push((week[0], week[week.len() - 1]));
        }
    }
    let raw = open_raw(&path).unwrap();
    let (mut listed, mut read) = (0, 0);
    for user in &firm.users {
        let scope = Scope::new(firm.customer, user.id);
        for &(from, to) in &weeks {
            listed += engine.list_entries(&scope, from, to).unwrap().len();
            read += raw_week(&raw, &firm.customer, &user.id, from, to);
        }
    }
    assert_eq!(listed, read, "the same rows");
    println!("{listed} entries listed in {} weeks of {} users", weeks.len(), firm.users.len());
}
