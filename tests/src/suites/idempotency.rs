//! The `Idempotency-Key` header of every mutating route (decisions 53–54): a replay answers the
//! first answer without doing the work again, the key with another request is a 422, a refusal
//! is kept, answers expire after 24 hours, keys are per customer and user, a malformed key is a
//! 400 on the header, a key on a read is ignored, and concurrent requests with one key do the
//! work once. Each is checked against what happens to the store, not only the answers.

use std::sync::Arc;

use serde_json::{json, Value};
use tenths::api::{Principal, Request, Response, Role};
use tenths::{Engine, FixedClock, NewEntry, ObjectId, Scope};

use crate::conformance::{Backend, Opened};
use crate::http::Api;
use crate::{oid, ts};

const KEY: &str = "Idempotency-Key";
const REPLAYED: &str = "Idempotent-Replayed";

fn c() -> ObjectId {
    oid(0xc1)
}
fn owner() -> ObjectId {
    oid(0xa1)
}

struct World {
    engine: Opened,
    clock: Arc<FixedClock>,
    matter: ObjectId,
}

fn world(backend: &dyn Backend) -> World {
    let clock = Arc::new(FixedClock::new(ts("2026-03-10T15:00:00Z")));
    let engine = backend.open(clock.clone());
    let matter = crate::simple_matter(&engine, &c());
    World { engine, clock, matter }
}

impl World {
    /// An editable entry of `user` that passes its rules (releasable).
    fn entry(&self, user: ObjectId, id: u64) -> ObjectId {
        let new = NewEntry {
            id: Some(oid(id)),
            initiative_id: Some(self.matter),
            summary: Some("Work".into()),
            duration_in_seconds: Some(600),
            ..Default::default()
        };
        self.engine.create_entry(&Scope::new(c(), user), &new).unwrap().0.id
    }

    /// `method path` with `body`, as `user` of customer `customer`, with `key` when given.
    fn call_as(&self, customer: ObjectId, user: ObjectId, method: &str, path: &str, body: &str, key: Option<&str>) -> Response {
        send(&self.engine, customer, user, method, path, body, key)
    }

    fn call(&self, method: &str, path: &str, body: &str, key: Option<&str>) -> Response {
        self.call_as(c(), owner(), method, path, body, key)
    }

    fn release_count(&self, id: &ObjectId) -> i64 {
        self.engine.get_entry(&Scope::new(c(), owner()), id).unwrap().release_count
    }

    fn entry_count(&self, user: ObjectId) -> usize {
        let (from, to) = (tenths::Date::parse("2026-03-01").unwrap(), tenths::Date::parse("2026-03-31").unwrap());
        self.engine.list_entries(&Scope::new(c(), user), from, to).unwrap().len()
    }
}

/// `method path` with `body` to `engine`'s router, as `user` of `customer`, with `key` when given.
fn send(engine: &Engine, customer: ObjectId, user: ObjectId, method: &str, path: &str, body: &str, key: Option<&str>) -> Response {
    let mut r = Request::new(method, path, body.as_bytes().to_vec()).with_principal(Principal::new(customer, user, Role::User));
    if !body.is_empty() {
        r = r.header("content-type", "application/json");
    }
    if let Some(k) = key {
        r = r.header(KEY, k);
    }
    Api::new(engine, None).serve(&r)
}

fn entries_path(user: ObjectId) -> String {
    format!("/api/v1/public/customers/{}/users/{user}/entries", c())
}

fn release_path(id: &ObjectId) -> String {
    format!("{}/{id}/release", entries_path(owner()))
}

fn text(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

fn code(r: &Response) -> Value {
    r.body_json()["error"]["code"].clone()
}

fn create_body(summary: &str) -> String {
    json!({"summary": summary, "durationInSeconds": 300}).to_string()
}

/// The lost-answer retry: the same release twice with one key answers the first answer twice
/// (the second marked as a replay) and releases once; the same create twice makes one entry.
pub fn a_replay_answers_the_first_answer_and_does_the_work_once(backend: &dyn Backend) {
    let w = world(backend);
    let id = w.entry(owner(), 0xe1);

    let first = w.call("POST", &release_path(&id), "", Some("release-e1"));
    assert_eq!(first.status, 200, "{}", text(&first));
    assert_eq!(first.header_value(REPLAYED), None, "a first answer is no replay");
    w.clock.advance_millis(60_000);
    let again = w.call("POST", &release_path(&id), "", Some("release-e1"));
    assert_eq!((again.status, again.body_json()), (200, first.body_json()), "the retry answers the first answer: {}", text(&again));
    assert_eq!(again.body, first.body, "byte for byte");
    assert_eq!(again.header_value(REPLAYED), Some("true"));
    assert_eq!(again.header_value("content-type"), first.header_value("content-type"));
    assert_eq!(w.release_count(&id), 1, "released once");

    // Without the key (or with another one) the retry is a new request: the entry is released.
    let fresh = w.call("POST", &release_path(&id), "", Some("release-e1-again"));
    let bare = w.call("POST", &release_path(&id), "", None);
    assert_eq!((fresh.status, code(&fresh)), (bare.status, code(&bare)), "another key is a new request");
    assert_ne!(bare.status, 200, "a second release is refused: {}", text(&bare));
    assert_eq!(w.release_count(&id), 1);

    // A create whose id the server makes: one entry, however often the answer is asked for.
    let body = create_body("Called the client");
    let made = w.call("POST", &entries_path(owner()), &body, Some("create-1"));
    assert_eq!(made.status, 201, "{}", text(&made));
    for _ in 0..3 {
        let r = w.call("POST", &entries_path(owner()), &body, Some("create-1"));
        assert_eq!((r.status, &r.body), (201, &made.body), "{}", text(&r));
        assert_eq!(r.header_value(REPLAYED), Some("true"));
    }
    assert_eq!(w.entry_count(owner()), 2, "the releasable entry and one created entry");
    // Without a key the same body makes another entry, as before.
    assert_eq!(w.call("POST", &entries_path(owner()), &body, None).status, 201);
    assert_eq!(w.entry_count(owner()), 3);
}

/// The same key with another body, path or method is a 422 `idempotency_mismatch` naming the
/// header, and does nothing.
pub fn the_same_key_with_another_request_is_422_and_does_nothing(backend: &dyn Backend) {
    let w = world(backend);
    let a = w.entry(owner(), 0xe1);
    let b = w.entry(owner(), 0xe2);
    let made = w.call("POST", &entries_path(owner()), &create_body("One"), Some("k-1"));
    assert_eq!(made.status, 201, "{}", text(&made));

    let other_body = w.call("POST", &entries_path(owner()), &create_body("Two"), Some("k-1"));
    let other_path = w.call("POST", &release_path(&a), "", Some("k-1"));
    let other_method = w.call("PATCH", &format!("{}/{b}", entries_path(owner())), r#"{"summary": "Three"}"#, Some("k-1"));
    for r in [&other_body, &other_path, &other_method] {
        assert_eq!(r.status, 422, "{}", text(r));
        assert_eq!(code(r), "idempotency_mismatch");
        assert_eq!(r.body_json()["error"]["field"], KEY);
    }
    assert_eq!(w.entry_count(owner()), 3, "no second entry");
    assert_eq!(w.release_count(&a), 0, "not released");
    assert_eq!(w.engine.get_entry(&Scope::new(c(), owner()), &b).unwrap().summary, "Work", "not edited");
}

/// A deterministic refusal is kept: the same request again answers the same refusal even once
/// the entry could be released; another key does the work.
pub fn a_refusal_is_kept_and_replayed(backend: &dyn Backend) {
    let w = world(backend);
    let scope = Scope::new(c(), owner());
    // No summary: the release fails its rules (422 validation_failed).
    let new = NewEntry { id: Some(oid(0xe3)), initiative_id: Some(w.matter), duration_in_seconds: Some(600), ..Default::default() };
    let id = w.engine.create_entry(&scope, &new).unwrap().0.id;
    let refused = w.call("POST", &release_path(&id), "", Some("r-1"));
    assert_eq!(refused.status, 422, "{}", text(&refused));
    assert_eq!(code(&refused), "validation_failed");

    w.engine.edit_entry(&scope, &id, &tenths::EntryPatch { summary: Some("Now ready".into()), ..Default::default() }).unwrap();
    let replayed = w.call("POST", &release_path(&id), "", Some("r-1"));
    assert_eq!((replayed.status, &replayed.body), (422, &refused.body), "{}", text(&replayed));
    assert_eq!(replayed.header_value(REPLAYED), Some("true"));
    assert_eq!(w.release_count(&id), 0);
    let fresh = w.call("POST", &release_path(&id), "", Some("r-2"));
    assert_eq!(fresh.status, 200, "{}", text(&fresh));
    // A refusal before the work (a malformed body) is kept too.
    let bad = w.call("POST", &entries_path(owner()), r#"{"durationInSeconds": "five"}"#, Some("r-3"));
    assert_eq!(bad.status, 400, "{}", text(&bad));
    let again = w.call("POST", &entries_path(owner()), r#"{"durationInSeconds": "five"}"#, Some("r-3"));
    assert_eq!((again.status, &again.body, again.header_value(REPLAYED)), (400, &bad.body, Some("true")));
}

/// A kept answer lives 24 hours: until then the key replays, after it the key is free again.
pub fn answers_expire_after_24_hours(backend: &dyn Backend) {
    let w = world(backend);
    let made = w.call("POST", &entries_path(owner()), &create_body("One"), Some("day-key"));
    assert_eq!(made.status, 201);
    w.clock.advance_millis(tenths::rules::idempotency::ANSWER_LIFETIME_MILLIS);
    let replay = w.call("POST", &entries_path(owner()), &create_body("One"), Some("day-key"));
    assert_eq!((replay.status, replay.header_value(REPLAYED)), (201, Some("true")), "24 hours later it still replays");
    assert_eq!(w.call("POST", &entries_path(owner()), &create_body("Two"), Some("day-key")).status, 422);
    w.clock.advance_millis(1);
    let fresh = w.call("POST", &entries_path(owner()), &create_body("Two"), Some("day-key"));
    assert_eq!((fresh.status, fresh.header_value(REPLAYED)), (201, None), "expired: a new request: {}", text(&fresh));
    let replay = w.call("POST", &entries_path(owner()), &create_body("Two"), Some("day-key"));
    assert_eq!((replay.status, &replay.body), (201, &fresh.body), "the key now keeps the new answer");
    assert_eq!(w.entry_count(owner()), 2);
}

/// Keys are per customer and user: the same key from another user or another customer is a
/// request of its own (no replay of someone else's answer, no 422).
pub fn keys_are_per_customer_and_user(backend: &dyn Backend) {
    let w = world(backend);
    let other_user = oid(0xa2);
    let other_customer = oid(0xc2);
    let mine = w.call("POST", &entries_path(owner()), &create_body("Mine"), Some("shared"));
    let theirs = w.call_as(c(), other_user, "POST", &entries_path(other_user), &create_body("Theirs"), Some("shared"));
    let elsewhere_path = format!("/api/v1/public/customers/{other_customer}/users/{owner}/entries", owner = owner());
    let elsewhere = w.call_as(other_customer, owner(), "POST", &elsewhere_path, &create_body("Mine"), Some("shared"));
    for r in [&mine, &theirs, &elsewhere] {
        assert_eq!((r.status, r.header_value(REPLAYED)), (201, None), "{}", text(r));
    }
    assert_ne!(mine.body_json()["_id"], elsewhere.body_json()["_id"], "two entries, not a replay");
    assert_eq!((w.entry_count(owner()), w.entry_count(other_user)), (1, 1));
}

/// A malformed key is a 400 on the header and does nothing; a key on a read is ignored.
pub fn a_malformed_key_is_400_and_a_key_on_a_read_is_ignored(backend: &dyn Backend) {
    let w = world(backend);
    let long = "k".repeat(256);
    for bad in ["", "has space", "caf\u{e9}", "tab\there", long.as_str()] {
        let r = w.call("POST", &entries_path(owner()), &create_body("One"), Some(bad));
        assert_eq!(r.status, 400, "{bad:?}: {}", text(&r));
        assert_eq!((code(&r), r.body_json()["error"]["field"].clone()), (json!("invalid_argument"), json!(KEY)), "{bad:?}");
    }
    let longest = "k".repeat(255);
    assert_eq!(w.call("POST", &entries_path(owner()), &create_body("One"), Some(&longest)).status, 201);
    assert_eq!(w.entry_count(owner()), 1);
    let path = format!("{}?workDateFrom=2026-03-10&workDateTo=2026-03-10", entries_path(owner()));
    let read = w.call("GET", &path, "", Some(&longest));
    assert_eq!((read.status, read.header_value(REPLAYED)), (200, None), "{}", text(&read));
    assert_eq!(w.call("GET", &path, "", Some("has space")).status, 200, "a read ignores the header");
}

/// Eight threads send the same create with one key at once: one entry is made, every answer
/// is that entry's 201, and seven are replays.
pub fn concurrent_requests_with_one_key_do_the_work_once(backend: &dyn Backend) {
    let w = world(backend);
    let body = create_body("At once");
    let engine: &Engine = &w.engine;
    let answers: Vec<Response> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8).map(|_| s.spawn(|| send(engine, c(), owner(), "POST", &entries_path(owner()), &body, Some("burst")))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let first = answers.iter().find(|r| r.header_value(REPLAYED).is_none()).expect("one answer did the work");
    for r in &answers {
        assert_eq!((r.status, &r.body), (201, &first.body), "{}", text(r));
    }
    assert_eq!(answers.iter().filter(|r| r.header_value(REPLAYED) == Some("true")).count(), 7);
    assert_eq!(w.entry_count(owner()), 1, "the work was done once");
}
