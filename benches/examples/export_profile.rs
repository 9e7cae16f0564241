//! The month's export of the benchmark firm for `valgrind --tool=callgrind`: the JSON pages of
//! 100 (`export_page` + `export_item` in `run_json`; `export_released_page` + `export_item` in
//! `run_entries`) and the CSV export (`run_csv`) of the window the `export` case of
//! `benches/benches/ops.rs` measures, each `N` times, so their inclusive instruction counts can
//! be compared before and after a change.
//! Usage: `cargo build --release -p tenths-benches --example export_profile`, then
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='export_profile::run_*'
//! target/release/examples/export_profile [ENTRIES] [N]` (the firm of `ENTRIES`, default
//! 50,000, is built by `scripts/bench` at that scale, or here when missing).

use std::hint::black_box;

use tenths::{Durability, Engine, Entry, ExportRow, ObjectId, OpenOptions, Page, Timestamp, Window};
use tenths_benches::firm;

/// Pages through the window with `page` (an engine call answering the export items of one
/// page, serialised, and the next cursor).
fn pages(mut page: impl FnMut(Option<&ObjectId>, &mut Vec<u8>) -> (u64, Option<ObjectId>)) -> u64 {
    let mut out: Vec<u8> = Vec::with_capacity(1 << 21);
    let mut cursor = None;
    let mut n = 0;
    loop {
        let (k, next) = page(cursor.as_ref(), &mut out);
        n += k;
        if out.len() > 1 << 20 {
            black_box(&out);
            out.clear();
        }
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    n
}

/// Every page of the window through `page` (one engine call), each item serialised by `item`.
fn export_pages<T>(page: impl Fn(Option<&ObjectId>) -> Page<T>, item: impl Fn(&T, &mut Vec<u8>)) -> u64 {
    pages(|cursor, out| {
        let p = page(cursor);
        p.items.iter().for_each(|e| item(e, &mut *out));
        (p.items.len() as u64, p.next_cursor)
    })
}

#[inline(never)]
fn run_json(engine: &Engine, customer: &ObjectId, w: Window) -> u64 {
    export_pages(
        |cursor| engine.export_page(customer, w, 100, cursor).expect("page"),
        |e: &ExportRow, out| serde_json::to_writer(out, &e.export_item()).expect("json"),
    )
}

#[inline(never)]
fn run_entries(engine: &Engine, customer: &ObjectId, w: Window) -> u64 {
    export_pages(
        |cursor| engine.export_released_page(customer, w, 100, cursor).expect("page"),
        |e: &Entry, out| serde_json::to_writer(out, &e.export_item()).expect("json"),
    )
}

#[inline(never)]
fn run_csv(engine: &Engine, customer: &ObjectId, w: Window) -> u64 {
    let mut out: Vec<u8> = Vec::with_capacity(1 << 21);
    let n = engine.export_csv(customer, w, &mut out).expect("export");
    black_box(&out);
    n
}

fn main() {
    let entries: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let n: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let bf = firm::prepare(entries, false);
    let engine = Engine::open_with(&bf.engine_path, OpenOptions { durability: Durability::Normal, ..OpenOptions::default() }, bf.clock.clone()).expect("open");
    let customer = bf.firm.customer;
    // The window of `ops.rs`'s export case: the month in the middle, alone.
    let months = &bf.months;
    let k = (months.len() / 2).max(1);
    let end_of = |m: &Vec<tenths::Date>| Timestamp::from_millis(firm::day_after_noon(*m.last().expect("day")).millis() + 86_400_000).expect("ts");
    let w = Window::new(end_of(&months[k - 1]), end_of(&months[k])).expect("window");
    for _ in 0..n {
        let j = run_json(&engine, &customer, w);
        let e = run_entries(&engine, &customer, w);
        let c = run_csv(&engine, &customer, w);
        eprintln!("json {j} entries, complete entries {e}, csv {c} entries");
    }
    engine.close().expect("close");
    tenths_benches::remove_db(&bf.engine_path);
}
