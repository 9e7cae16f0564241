//! The v2 export in pages (`Engine::export_released_page`, `Engine::export_page`, the HTTP JSON
//! export, the CSV export): pages by `_id` inside a release-time window, the cursor a bare id
//! (domain.md §5: "the `_id` after which to continue"), `nextCursor` present only when more
//! items may follow. Pinned across page sizes, windows and arbitrary cursors (ids in the window,
//! ids of entries outside it, ids of no entry), with ids supplied by the caller whose embedded
//! time says nothing about their release: one far after its release, many far before it.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use tenths::api::{Principal, Request, Role};
use tenths::{ExportRow, FixedClock, NewEntry, ObjectId, Page, Scope, Window};

use crate::conformance::{Backend, Opened};
use crate::http::Api;
use crate::{oid, ts};

fn customer() -> ObjectId {
    oid(0xc1)
}
fn owner() -> ObjectId {
    oid(0xa1)
}

/// Released at `RELEASES[w]` falls in window `w` of [`windows`].
const RELEASES: [&str; 3] = ["2026-03-10T10:00:00Z", "2026-03-11T10:00:00Z", "2026-03-12T10:00:00Z"];

/// The three windows (each holds one release time of [`RELEASES`]) and one around them all.
fn windows() -> Vec<Window> {
    let w = |a: &str, b: &str| Window::new(ts(a), ts(b)).unwrap();
    vec![
        w("2026-03-10T00:00:00Z", "2026-03-11T00:00:00Z"),
        w("2026-03-11T00:00:00Z", "2026-03-12T00:00:00Z"),
        w("2026-03-12T00:00:00Z", "2026-03-13T00:00:00Z"),
        w("2026-03-01T00:00:00Z", "2026-03-31T00:00:00Z"),
    ]
}

/// An id whose embedded time (2106) is long after its release: devices make ids offline.
fn future_id() -> ObjectId {
    ObjectId::parse("fffffff00000000000000001").unwrap()
}

/// An id made when the entry was (2023), long before its release.
fn past_id() -> ObjectId {
    ObjectId::parse("64b7f0c2a1b2c3d4e5f60001").unwrap()
}

/// The `i`-th of 40 entries: ids a permutation of 40 (embedded time 1970), so id order and
/// release order differ.
fn nth_id(i: u64) -> ObjectId {
    oid(0x1000 + (i * 17) % 40)
}

/// An engine with 42 entries of the owner: each of the 40 numbered ones is released in window
/// `i % 3` except every seventh (never released) and number 5 (released, then taken back); the
/// future id is released in window 0, the past id in window 2. Some are reported
/// `release-succeeded` (still exportable). Answers the engine and, per window, the ids it holds.
fn world(backend: &dyn Backend) -> (Opened, Vec<Vec<ObjectId>>) {
    let clock = Arc::new(FixedClock::new(ts("2026-03-09T12:00:00Z")));
    let engine = backend.open(clock.clone());
    let matter = crate::simple_matter(&engine, &customer());
    let scope = Scope::new(customer(), owner());
    let new = |id: ObjectId| NewEntry {
        id: Some(id),
        initiative_id: Some(matter),
        summary: Some(format!("Work {id}")),
        duration_in_seconds: Some(600),
        ..Default::default()
    };
    let mut released: BTreeMap<usize, Vec<ObjectId>> = BTreeMap::new();
    let mut plan: Vec<(ObjectId, Option<usize>)> = (0..40).map(|i| (nth_id(i), (i % 7 != 0).then_some((i % 3) as usize))).collect();
    plan.push((future_id(), Some(0)));
    plan.push((past_id(), Some(2)));
    let items: Vec<NewEntry> = plan.iter().map(|(id, _)| new(*id)).collect();
    engine.import_entries(&scope, &items).unwrap();
    for (w, at) in RELEASES.iter().enumerate() {
        clock.set(ts(at));
        for (k, (id, window)) in plan.iter().enumerate() {
            if *window != Some(w) {
                continue;
            }
            engine.release_entry(&scope, id).unwrap();
            if *id == nth_id(5) {
                engine.unrelease(&scope, id).unwrap();
                continue;
            }
            if k % 4 == 1 {
                engine.release_succeeded(&customer(), None, id, Some(&format!("PMS-{k}")), None).unwrap();
            }
            released.entry(w).or_default().push(*id);
        }
    }
    clock.set(ts("2026-03-20T12:00:00Z"));
    let mut per_window: Vec<Vec<ObjectId>> = (0..3).map(|w| released.get(&w).cloned().unwrap_or_default()).collect();
    per_window.push(per_window.concat());
    for ids in &mut per_window {
        ids.sort();
    }
    (engine, per_window)
}

/// Every page from `cursor` on, through `page` (an engine call answering one page of ids).
fn pages_from(cursor: Option<ObjectId>, mut page: impl FnMut(Option<&ObjectId>) -> Page<ObjectId>) -> Vec<Page<ObjectId>> {
    let mut out = Vec::new();
    let mut cursor = cursor;
    loop {
        let p = page(cursor.as_ref());
        cursor = p.next_cursor;
        out.push(p);
        if cursor.is_none() {
            return out;
        }
        assert!(out.len() < 200, "the pages never end");
    }
}

/// Checks pages of `size` against `want` (the ids expected after the starting cursor): each id
/// once, in id order, full pages but the last, each `nextCursor` the last id of its page, none
/// after the last page (also when the last page is full).
fn check_pages(what: &str, pages: &[Page<ObjectId>], want: &[ObjectId], size: usize) {
    let got: Vec<ObjectId> = pages.iter().flat_map(|p| p.items.clone()).collect();
    assert_eq!(got, want, "{what}: the ids after the cursor, in id order, each once");
    let (last, full) = pages.split_last().unwrap();
    for p in full {
        assert_eq!(p.items.len(), size, "{what}: a page before the last is full");
        assert_eq!(p.next_cursor, p.items.last().copied(), "{what}: the cursor is the page's last id");
    }
    assert!(last.items.len() <= size, "{what}");
    assert_eq!(last.next_cursor, None, "{what}: no cursor after the last page");
    assert_eq!(pages.len(), want.len().div_ceil(size).max(1), "{what}: no empty page after a full last one");
}

fn ids_of<T>(p: Page<T>, id: fn(&T) -> ObjectId) -> Page<ObjectId> {
    Page { items: p.items.iter().map(id).collect(), next_cursor: p.next_cursor }
}

pub fn pages_follow_bare_id_cursors_in_every_window(backend: &dyn Backend) {
    let (engine, per_window) = world(backend);
    assert_eq!(per_window.iter().map(Vec::len).collect::<Vec<_>>(), vec![13, 11, 11, 35], "the world is as planned");
    assert!(per_window[0].contains(&future_id()) && per_window[2].contains(&past_id()) && !per_window[3].contains(&nth_id(5)));
    let c = customer();
    // Cursors: none, before every id, each exportable id, ids outside the window (other windows,
    // never released, taken back), an id of no entry between two, after every id.
    let mut cursors: Vec<Option<ObjectId>> = vec![None, Some(oid(0))];
    cursors.extend((0..40).map(|i| Some(nth_id(i))));
    cursors.extend([Some(future_id()), Some(past_id()), Some(oid(0x1000 + 40)), Some(ObjectId::parse("ffffffffffffffffffffffff").unwrap())]);
    for (w, window) in windows().into_iter().enumerate() {
        let ids = &per_window[w];
        for size in [1, 3, 11, 13, 100] {
            for cursor in &cursors {
                let want: Vec<ObjectId> = ids.iter().copied().filter(|id| cursor.is_none_or(|c| *id > c)).collect();
                let what = format!("window {w}, page size {size}, cursor {cursor:?}");
                let entries = pages_from(*cursor, |at| ids_of(engine.export_released_page(&c, window, size, at).unwrap(), |e| e.id));
                check_pages(&format!("{what}, entries"), &entries, &want, size);
                let rows = pages_from(*cursor, |at| ids_of(engine.export_page(&c, window, size, at).unwrap(), |r: &ExportRow| r.id));
                check_pages(&format!("{what}, export rows"), &rows, &want, size);
            }
        }
    }
}

pub fn export_rows_and_the_csv_show_what_the_entries_show(backend: &dyn Backend) {
    let (engine, _) = world(backend);
    let c = customer();
    for window in windows() {
        let mut cursor = None;
        let mut entries = Vec::new();
        loop {
            let e = engine.export_released_page(&c, window, 7, cursor.as_ref()).unwrap();
            let r = engine.export_page(&c, window, 7, cursor.as_ref()).unwrap();
            assert_eq!(r.next_cursor, e.next_cursor);
            let rows: Vec<Value> = r.items.iter().map(|x| serde_json::to_value(x.export_item()).unwrap()).collect();
            let full: Vec<Value> = e.items.iter().map(|x| serde_json::to_value(x.export_item()).unwrap()).collect();
            assert_eq!(rows, full, "the export items of rows and of complete entries");
            assert!(r.items.iter().all(|x| x.initiative.is_some() && x.codes.is_empty()), "the matter filled, no codes");
            entries.extend(e.items);
            cursor = e.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        let mut want = tenths::wire::csv_header();
        for e in &entries {
            tenths::wire::push_csv_row(&mut want, e);
        }
        let mut csv = Vec::new();
        assert_eq!(engine.export_csv(&c, window, &mut csv).unwrap(), entries.len() as u64);
        assert_eq!(String::from_utf8(csv).unwrap(), want, "the CSV: a row per entry of the pages, in their order");
    }
}

pub fn the_http_export_pages_by_bare_id(backend: &dyn Backend) {
    let (engine, per_window) = world(backend);
    let api = Api::new(&engine, None);
    let window = windows()[0];
    let get = |query: &str| {
        let path = format!("/api/v2/customers/{}/entries/export?releasedAfter={}&releasedOnOrBefore={}&{query}", customer(), window.after, window.on_or_before);
        let r = api.serve(&Request::new("GET", &path, Vec::new()).with_principal(Principal::new(customer(), oid(0xb1), Role::Connector)));
        assert_eq!(r.status, 200, "{query}: {}", String::from_utf8_lossy(&r.body));
        r.body_json()
    };
    let ids = &per_window[0];
    // From a cursor of no entry, in pages of 4 to the end: the ids after it, the future id last.
    let mut cursor = oid(0x1000 + 3).to_string();
    let mut got = Vec::new();
    loop {
        let body = get(&format!("pageSize=4&cursor={cursor}"));
        let page: Vec<String> = body["entries"].as_array().unwrap().iter().map(|e| e["_id"].as_str().unwrap().to_string()).collect();
        let want = engine.export_released_page(&customer(), window, 4, Some(&ObjectId::parse(&cursor).unwrap())).unwrap();
        let items: Vec<Value> = want.items.iter().map(|e| serde_json::to_value(e.export_item()).unwrap()).collect();
        assert_eq!(body["entries"], Value::Array(items), "the export items of the entries");
        got.extend(page);
        match body.get("nextCursor") {
            Some(next) => {
                assert_eq!(Some(next.as_str().unwrap()), got.last().map(String::as_str));
                cursor = next.as_str().unwrap().to_string();
            }
            None => break,
        }
    }
    let want: Vec<String> = ids.iter().filter(|id| **id > oid(0x1000 + 3)).map(|id| id.to_string()).collect();
    assert_eq!(got, want);
    assert_eq!(got.last(), Some(&future_id().to_string()));
}
