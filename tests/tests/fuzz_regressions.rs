//! Regressions found by the fuzz targets (`fuzz/`, decision 58) that belong to no other suite.
//! Each input is also kept in `fuzz/seeds/<target>/`. (The date parser's is a unit test of
//! `rules::time`: `dates_parse_strictly`.)

use std::cell::Cell;

use tenths::api::{Request, Response};
use tenths::sync::Transport;
use tenths::*;

/// A server that refuses every push as locked and answers every pull with the same page: more to
/// come, from the start to entry change 3 (`fuzz/seeds/sync/crash-device-pull-loop`).
struct StuckServer {
    calls: Cell<u32>,
}

impl Transport for StuckServer {
    fn send(&self, request: Request) -> std::result::Result<Response, String> {
        self.calls.set(self.calls.get() + 1);
        if self.calls.get() > 50 {
            return Err("the device keeps asking".into());
        }
        let body = if request.method == "POST" {
            let batch: sync::PushBatch = serde_json::from_slice(&request.body).map_err(|e| e.to_string())?;
            let results: Vec<_> = batch
                .ops
                .iter()
                .map(|op| serde_json::json!({"opId": op.op_id, "entryId": op.entry.id, "outcome": "rejected", "code": "locked", "reason": "locked"}))
                .collect();
            serde_json::json!({"batchId": batch.batch_id, "results": results})
        } else {
            serde_json::json!({"after": {"entrySeq": 0, "referenceSeq": 0}, "next": {"entrySeq": 3, "referenceSeq": 0}, "hasMore": true, "entries": []})
        };
        Ok(Response { status: 200, headers: Vec::new(), body: body.to_string().into_bytes() })
    }
}

#[test]
fn a_pull_page_that_does_not_advance_the_cursor_ends_the_sync() {
    let device = Engine::open_in_memory().unwrap();
    let (customer, user) = (ObjectId::parse("c00000000000000000000001").unwrap(), ObjectId::parse("a00000000000000000000001").unwrap());
    let entry = NewEntry { summary: Some("Drafted motion".into()), duration_in_seconds: Some(420), ..NewEntry::default() };
    device.create_entry(&Scope::new(customer, user), &entry).unwrap();
    let server = StuckServer { calls: Cell::new(0) };
    // Before the fix the device asked for the same page until the transport gave up.
    device.sync(&server, &customer, &user).unwrap();
    assert!(server.calls.get() <= 3, "{} requests", server.calls.get());
    assert_eq!(device.sync_status(&customer, &user).unwrap().cursor.entry_seq, 3);
}
