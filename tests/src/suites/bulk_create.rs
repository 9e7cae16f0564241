//! The HTTP bulk create (`POST …/users/{u}/entries/batch`, decision 60): one result per item in
//! input order, a bad item answers its own error and the rest are stored, a replay of an item
//! with a stored `_id` answers the same entry, over 1,000 items is a 413 that stores nothing, and
//! an `Idempotency-Key` replays the whole answer. Each is checked against the store too.

use std::sync::Arc;

use serde_json::{json, Value};
use tenths::api::{Principal, Request, Response, Role};
use tenths::{Date, FixedClock, ObjectId, Scope};

use crate::conformance::{Backend, Opened};
use crate::http::Api;
use crate::{oid, ts};

fn c() -> ObjectId {
    oid(0xc1)
}
fn owner() -> ObjectId {
    oid(0xa1)
}

fn open(backend: &dyn Backend) -> (Opened, ObjectId) {
    let engine = backend.open(Arc::new(FixedClock::new(ts("2026-03-10T15:00:00Z"))));
    let matter = crate::simple_matter(&engine, &c());
    (engine, matter)
}

fn batch(engine: &Opened, body: &str, key: Option<&str>) -> Response {
    let path = format!("/api/v1/public/customers/{}/users/{}/entries/batch", c(), owner());
    let mut r = Request::new("POST", &path, body.as_bytes().to_vec())
        .with_principal(Principal::new(c(), owner(), Role::User))
        .header("content-type", "application/json");
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    Api::new(engine, None).serve(&r)
}

fn stored(engine: &Opened) -> Vec<ObjectId> {
    let (from, to) = (Date::parse("2026-03-01").unwrap(), Date::parse("2026-03-31").unwrap());
    engine.list_entries(&Scope::new(c(), owner()), from, to).unwrap().into_iter().map(|e| e.id).collect()
}

fn item(id: u64, matter: &ObjectId, summary: &str) -> Value {
    json!({"_id": oid(id).to_string(), "initiativeId": matter.to_string(), "summary": summary, "workDate": "2026-03-09", "durationInSeconds": 600})
}

pub fn each_item_is_answered_in_order_and_a_bad_one_stores_nothing(backend: &dyn Backend) {
    let (engine, matter) = open(backend);
    let body = json!({"entries": [
        item(0xe1, &matter, "First"),
        {"summary": "Bad", "durationInSeconds": -5},
        {"summry": "Unknown field"},
        item(0xe2, &matter, "Second"),
        {"summary": "No id", "durationInSeconds": 360},
    ]});
    let r = batch(&engine, &body.to_string(), None);
    assert_eq!(r.status, 207, "{}", String::from_utf8_lossy(&r.body));
    let results = r.body_json()["results"].as_array().cloned().unwrap();
    let statuses: Vec<i64> = results.iter().map(|x| x["status"].as_i64().unwrap()).collect();
    assert_eq!(statuses, vec![201, 400, 400, 201, 201]);
    assert_eq!(results[0]["entry"]["_id"], json!(oid(0xe1).to_string()));
    assert_eq!(results[0]["entry"]["summary"], json!("First"));
    assert_eq!(results[3]["entry"]["_id"], json!(oid(0xe2).to_string()));
    assert_eq!(results[1]["error"]["code"], json!("invalid_argument"));
    assert_eq!(results[1]["error"]["field"], json!("durationInSeconds"));
    assert_eq!(results[2]["error"]["field"], json!("summry"));
    assert!(results[1].get("entry").is_none());
    let made = results[4]["entry"]["_id"].as_str().unwrap().to_string();
    let mut ids: Vec<String> = stored(&engine).iter().map(ToString::to_string).collect();
    ids.sort();
    let mut want = vec![oid(0xe1).to_string(), oid(0xe2).to_string(), made];
    want.sort();
    assert_eq!(ids, want, "the good items are stored, the bad ones are not");
}

pub fn a_replayed_item_answers_the_same_entry_and_another_body_is_its_conflict(backend: &dyn Backend) {
    let (engine, matter) = open(backend);
    let first = batch(&engine, &json!([item(0xe1, &matter, "Same")]).to_string(), None);
    assert_eq!(first.status, 207);
    let entry = first.body_json()["results"][0]["entry"].clone();
    let again = batch(&engine, &json!([item(0xe1, &matter, "Same"), item(0xe1, &matter, "Changed")]).to_string(), None);
    let results = again.body_json()["results"].clone();
    assert_eq!(results[0]["status"], json!(200));
    assert_eq!(results[0]["entry"], entry, "a replay answers the stored entry");
    assert_eq!(results[1]["status"], json!(409));
    assert_eq!(results[1]["error"]["code"], json!("conflict"));
    assert_eq!(stored(&engine), vec![oid(0xe1)]);
    assert_eq!(engine.get_entry(&Scope::new(c(), owner()), &oid(0xe1)).unwrap().summary, "Same");
}

pub fn over_1000_items_is_413_and_1000_are_stored(backend: &dyn Backend) {
    let (engine, _) = open(backend);
    let one = json!({"summary": "Bulk", "workDate": "2026-03-09", "durationInSeconds": 60});
    let too_many = Value::Array(vec![one.clone(); 1001]);
    let r = batch(&engine, &too_many.to_string(), None);
    assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.body_json()["error"]["code"], json!("too_large"));
    assert!(stored(&engine).is_empty());
    let r = batch(&engine, &json!({"entries": vec![one; 1000]}).to_string(), None);
    assert_eq!(r.status, 207);
    assert_eq!(r.body_json()["results"].as_array().unwrap().len(), 1000);
    assert_eq!(stored(&engine).len(), 1000);
}

pub fn a_non_object_item_or_a_bad_body_is_the_whole_batch_400(backend: &dyn Backend) {
    let (engine, matter) = open(backend);
    for body in [json!([item(0xe1, &matter, "Fine"), "not an entry"]).to_string(), "{}".into(), "{\"entries\": 5}".into()] {
        let r = batch(&engine, &body, None);
        assert_eq!(r.status, 400, "{body}");
    }
    assert!(stored(&engine).is_empty());
}

pub fn an_idempotency_key_replays_the_whole_answer(backend: &dyn Backend) {
    let (engine, _) = open(backend);
    let body = json!([{"summary": "Keyed", "workDate": "2026-03-09", "durationInSeconds": 60}]).to_string();
    let first = batch(&engine, &body, Some("bulk-1"));
    let second = batch(&engine, &body, Some("bulk-1"));
    assert_eq!((first.status, second.status), (207, 207));
    assert_eq!(first.body, second.body, "the kept answer, not a second entry");
    assert_eq!(second.header_value("Idempotent-Replayed"), Some("true"));
    assert_eq!(stored(&engine).len(), 1);
}
