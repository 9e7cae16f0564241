//! A user's entry list in pages (`GET …/users/{u}/entries?workDateFrom&workDateTo[&pageSize][&cursor]`):
//! without paging parameters the bare list of every entry, as before; with `pageSize` or
//! `cursor` a page `{entries, nextCursor}` by work date then id, whose cursor is a position
//! (entries written between two pages move no boundary). Bad paging parameters are 400 naming
//! the parameter.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;
use tenths::api::{Principal, Request, Response, Role};
use tenths::{Date, NewEntry, ObjectId, Scope};

use crate::conformance::{Backend, Opened};
use crate::http::Api;
use crate::{oid, ts};

fn customer() -> ObjectId {
    oid(0xc1)
}
fn owner() -> ObjectId {
    oid(0xa1)
}
fn other_user() -> ObjectId {
    oid(0xa2)
}

/// The id of the `i`-th of 250 entries: a permutation of 250 ids, so id order and (work date,
/// id) order differ.
fn nth_id(i: u64) -> ObjectId {
    oid(0x1000 + (i * 97) % 250)
}

/// The `i`-th entry's work date: one of 25 days of March 2026.
fn nth_date(i: u64) -> Date {
    Date::parse(&format!("2026-03-{:02}", 1 + i % 25)).unwrap()
}

/// An engine with 250 entries of the owner over 25 days, one deleted entry of the owner, and
/// entries of another user on the same days.
fn world(backend: &dyn Backend) -> Opened {
    let clock = Arc::new(tenths::FixedClock::new(ts("2026-03-31T12:00:00Z")));
    let engine = backend.open(clock);
    let new = |id: ObjectId, day: Date| NewEntry { id: Some(id), work_date: Some(day), duration_in_seconds: Some(360), ..Default::default() };
    let items: Vec<NewEntry> = (0..250).map(|i| new(nth_id(i), nth_date(i))).collect();
    engine.import_entries(&Scope::new(customer(), owner()), &items).unwrap();
    let others: Vec<NewEntry> = (0..30).map(|i| new(oid(0x2000 + i), nth_date(i))).collect();
    engine.import_entries(&Scope::new(customer(), other_user()), &others).unwrap();
    let deleted = oid(0x3000);
    engine.create_entry(&Scope::new(customer(), owner()), &new(deleted, nth_date(3))).unwrap();
    engine.delete_entry(&Scope::new(customer(), owner()), &deleted).unwrap();
    engine
}

fn get(engine: &Opened, query: &str) -> Response {
    let path = format!("/api/v1/public/customers/{}/users/{}/entries?{query}", customer(), owner());
    Api::new(engine, None).serve(&Request::new("GET", &path, Vec::new()).with_principal(Principal::new(customer(), owner(), Role::User)))
}

const MARCH: &str = "workDateFrom=2026-03-01&workDateTo=2026-03-31";

/// (work date, id) of each entry of a JSON list.
fn positions(entries: &Value) -> Vec<(String, String)> {
    entries.as_array().unwrap().iter().map(|e| (e["workDate"].as_str().unwrap().to_string(), e["_id"].as_str().unwrap().to_string())).collect()
}

/// Pages through March with `page_size`, answering each page's positions.
fn every_page(engine: &Opened, page_size: usize) -> Vec<Vec<(String, String)>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            None => format!("{MARCH}&pageSize={page_size}"),
            Some(c) => format!("{MARCH}&pageSize={page_size}&cursor={c}"),
        };
        let r = get(engine, &query);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let body = r.body_json();
        pages.push(positions(&body["entries"]));
        match body.get("nextCursor") {
            Some(next) => cursor = Some(next.as_str().unwrap().to_string()),
            None => break,
        }
        assert!(pages.len() < 100, "the pages never end");
    }
    pages
}

pub fn paging_through_250_entries_returns_each_once_in_order(backend: &dyn Backend) {
    let engine = world(backend);
    let pages = every_page(&engine, 100);
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![100, 100, 50]);
    let all: Vec<(String, String)> = pages.concat();
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "by work date then id");
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 250, "each entry once");
    let want: HashSet<String> = (0..250).map(|i| nth_id(i).to_string()).collect();
    assert_eq!(all.iter().map(|(_, id)| id.clone()).collect::<HashSet<_>>(), want, "the owner's live entries, no other");

    // The same entries as the bare list, and as the engine's own pages.
    let bare = get(&engine, MARCH);
    assert_eq!(positions(&bare.body_json()), all);
    let scope = Scope::new(customer(), owner());
    let (from, to) = (Date::parse("2026-03-01").unwrap(), Date::parse("2026-03-31").unwrap());
    let mut via_engine = Vec::new();
    let mut cursor = None;
    loop {
        let page = engine.list_entries_page(&scope, from, to, 100, cursor.as_ref()).unwrap();
        via_engine.extend(page.items.iter().map(|e| (e.work_date.to_string(), e.id.to_string())));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(via_engine, all);

    // A page size that divides the list exactly ends with a full page and no cursor after it.
    let fifty = every_page(&engine, 50);
    assert_eq!(fifty.iter().map(Vec::len).collect::<Vec<_>>(), vec![50; 5]);
    assert_eq!(fifty.concat(), all);
}

pub fn the_cursor_is_a_position_not_an_offset(backend: &dyn Backend) {
    let engine = world(backend);
    let all = positions(&get(&engine, MARCH).body_json());
    let first = get(&engine, &format!("{MARCH}&pageSize=100")).body_json();
    let cursor = first["nextCursor"].as_str().unwrap().to_string();
    assert_eq!(cursor, all[99].1);
    // Entries written before the boundary, and the boundary entry deleted, between two pages:
    // the next page still starts right after the boundary.
    let scope = Scope::new(customer(), owner());
    for n in 0..5 {
        let early = NewEntry { id: Some(oid(0x4000 + n)), work_date: Some(nth_date(0)), duration_in_seconds: Some(60), ..Default::default() };
        engine.create_entry(&scope, &early).unwrap();
    }
    engine.delete_entry(&scope, &ObjectId::parse(&cursor).unwrap()).unwrap();
    let second = get(&engine, &format!("{MARCH}&pageSize=100&cursor={cursor}")).body_json();
    assert_eq!(positions(&second["entries"]), all[100..200].to_vec());
}

pub fn without_paging_parameters_the_answer_stays_a_bare_list(backend: &dyn Backend) {
    let engine = world(backend);
    let bare = get(&engine, MARCH).body_json();
    assert_eq!(bare.as_array().map(Vec::len), Some(250), "every entry, as a list");
    // Only a cursor: a page of the default size (100).
    let all = positions(&bare);
    let after_ten = get(&engine, &format!("{MARCH}&cursor={}", all[9].1)).body_json();
    assert_eq!(positions(&after_ten["entries"]), all[10..110].to_vec());
    assert_eq!(after_ten["nextCursor"], all[109].1.as_str());
    // A reversed range selects nothing, in either shape.
    let reversed = "workDateFrom=2026-03-31&workDateTo=2026-03-01";
    assert_eq!(get(&engine, reversed).body_json(), serde_json::json!([]));
    assert_eq!(get(&engine, &format!("{reversed}&pageSize=10")).body_json(), serde_json::json!({"entries": []}));
    // The last page carries no cursor.
    let last = get(&engine, &format!("{MARCH}&pageSize=100&cursor={}", all[199].1)).body_json();
    assert_eq!(positions(&last["entries"]).len(), 50);
    assert!(last.get("nextCursor").is_none(), "{last}");
}

pub fn a_bad_page_size_or_cursor_is_refused_naming_it(backend: &dyn Backend) {
    let engine = world(backend);
    let another_users = oid(0x2000).to_string();
    let missing = oid(0x9999).to_string();
    let cases: Vec<(String, &str)> = vec![
        ("pageSize=0".into(), "pageSize"),
        ("pageSize=101".into(), "pageSize"),
        ("pageSize=-1".into(), "pageSize"),
        ("pageSize=ten".into(), "pageSize"),
        ("pageSize=".into(), "pageSize"),
        ("pageSize=1.5".into(), "pageSize"),
        ("cursor=not-an-id".into(), "cursor"),
        ("cursor=".into(), "cursor"),
    ];
    let mut messages = Vec::new();
    for (query, field) in &cases {
        let r = get(&engine, &format!("{MARCH}&{query}"));
        let body = r.body_json();
        assert_eq!(
            (r.status, body["error"]["code"].as_str(), body["error"]["field"].as_str()),
            (400, Some("invalid_argument"), Some(*field)),
            "{query}: {body}"
        );
        messages.push(body["error"]["message"].as_str().unwrap_or("").to_string());
    }
    // A well-formed cursor that names no entry of this user is a missing entry (404, like any
    // well-formed reference to a missing record), another user's alike (no existence oracle).
    let mut missing_messages = Vec::new();
    for query in [format!("cursor={another_users}"), format!("cursor={missing}"), format!("pageSize=10&cursor={missing}")] {
        let r = get(&engine, &format!("{MARCH}&{query}"));
        let body = r.body_json();
        assert_eq!((r.status, body["error"]["code"].as_str()), (404, Some("not_found")), "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or("").to_string();
        assert!(message.contains("cursor"), "{query}: {message}");
        missing_messages.push(message.replace(&another_users, &missing));
    }
    assert_eq!(missing_messages[0], missing_messages[1]);
    assert_eq!(messages.len(), 8);
    // The engine refuses the same values on the same fields.
    let scope = Scope::new(customer(), owner());
    let day = Date::parse("2026-03-01").unwrap();
    for (size, field) in [(0, "pageSize"), (101, "pageSize")] {
        let err = engine.list_entries_page(&scope, day, day, size, None).unwrap_err();
        assert_eq!((err.kind(), err.field()), (tenths::ErrorKind::InvalidArgument, Some(field)), "{size}: {err}");
    }
    for cursor in [oid(0x2000), oid(0x9999)] {
        let err = engine.list_entries_page(&scope, day, day, 10, Some(&cursor)).unwrap_err();
        assert_eq!(err.kind(), tenths::ErrorKind::NotFound, "{cursor}: {err}");
    }
}
