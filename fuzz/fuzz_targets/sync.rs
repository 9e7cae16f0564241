//! Fuzz target `sync`: the sync protocol's decoding on both sides. The first byte picks:
//! - the server: the body as a push (`POST …/sync/push` as the user, applied to the fixture
//!   engine); the answer keeps `tenths_fuzz::check_response`, and a 200 is a push answer the
//!   device can read, one result per operation;
//! - the device: a device with one unsent entry syncs through a transport that answers the push
//!   with the first part of the body and every pull with the second (split at `\n--pull--\n`),
//!   with a status from the second byte (addressed to the batch sent: its ids are the sent
//!   ones); the run must end (no endless loop on any answer) and
//!   the device must stay usable;
//! - the records: a push batch, a push answer and a pull page decoded from the body; whatever
//!   decodes, written back and decoded again, is the same value.
#![no_main]

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use tenths::api::{Request, Response};
use tenths::sync::{PullPage, PushBatch, PushResponse, Transport};
use tenths::{Engine, FixedClock, NewEntry, Scope, Timestamp};
use tenths_fuzz::{check_response, oid, parse_request, Fixture, CUSTOMER, NOW_MS, USER};

/// Requests one sync run may make before it is taken for an endless loop.
const MAX_CALLS: u32 = 64;

struct Answers<'a> {
    status: u16,
    push: &'a [u8],
    pull: &'a [u8],
    calls: Cell<u32>,
}

impl Transport for Answers<'_> {
    fn send(&self, request: Request) -> Result<Response, String> {
        let calls = self.calls.get() + 1;
        self.calls.set(calls);
        assert!(calls <= MAX_CALLS, "the device's sync run does not end: {calls} requests, the last {} {}", request.method, request.path);
        let body = if request.method == "POST" { addressed(self.push, &request.body) } else { self.pull.to_vec() };
        Ok(Response { status: self.status, headers: vec![("Content-Type".into(), "application/json".into())], body })
    }
}

/// The fuzzed push answer addressed to the batch the device sent: its `batchId`, and each
/// result's `opId` and `entryId`, are the sent ones (the ids are random, a mutator cannot guess
/// them). Bytes that are not a JSON object go as they are.
fn addressed(answer: &[u8], sent: &[u8]) -> Vec<u8> {
    let (Ok(serde_json::Value::Object(mut answer)), Ok(sent)) = (serde_json::from_slice(answer), serde_json::from_slice::<PushBatch>(sent)) else {
        return answer.to_vec();
    };
    answer.insert("batchId".into(), sent.batch_id.to_string().into());
    if let Some(serde_json::Value::Array(results)) = answer.get_mut("results") {
        for (result, op) in results.iter_mut().zip(&sent.ops) {
            if let Some(result) = result.as_object_mut() {
                result.insert("opId".into(), op.op_id.to_string().into());
                result.insert("entryId".into(), op.entry.id.to_string().into());
            }
        }
    }
    serde_json::to_vec(&answer).unwrap_or_default()
}

thread_local! {
    static DEVICE: RefCell<(Option<Engine>, u64)> = const { RefCell::new((None, 0)) };
}

/// Runs `f` with a device engine holding one unsent entry (rebuilt like the fixture).
fn with_device(f: impl FnOnce(&Engine)) {
    DEVICE.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.0.is_none() || slot.1 >= tenths_fuzz::reset_every() {
            let clock = Arc::new(FixedClock::new(Timestamp::from_millis_clamped(NOW_MS)));
            *slot = (Some(Engine::open_in_memory_with(clock).unwrap_or_else(|e| panic!("open: {e}"))), 0);
        }
        slot.1 += 1;
        let Some(device) = slot.0.as_ref() else { return };
        let scope = Scope::new(oid(CUSTOMER), oid(USER));
        let entry = NewEntry { summary: Some("Drafted motion".into()), duration_in_seconds: Some(420), ..NewEntry::default() };
        device.create_entry(&scope, &entry).unwrap_or_else(|e| panic!("device entry: {e}"));
        f(device);
    });
}

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug>(body: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(body) {
        let text = serde_json::to_vec(&value).unwrap_or_else(|e| panic!("cannot write back {value:?}: {e}"));
        let again: T = serde_json::from_slice(&text).unwrap_or_else(|e| panic!("cannot read back {}: {e}", String::from_utf8_lossy(&text)));
        assert_eq!(value, again, "changed by a round trip");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 3 {
        0 => {
            let path = format!("/api/v1/public/customers/{CUSTOMER}/users/{USER}/sync/push");
            let mut request = parse_request(b"user\n");
            request.method = "POST".into();
            request.path = path;
            request.body = rest.to_vec();
            Fixture::with(|fx| {
                let response = fx.router.handle(&fx.engine, &request);
                check_response(&request, &response, false);
                if response.status == 200 {
                    let answer: PushResponse = serde_json::from_slice(&response.body).unwrap_or_else(|e| panic!("a push answer the device cannot read ({e})"));
                    if let Ok(batch) = serde_json::from_slice::<PushBatch>(rest) {
                        assert_eq!(answer.results.len(), batch.ops.len(), "one result per operation");
                        assert_eq!(answer.batch_id, batch.batch_id, "the answer names the batch");
                    }
                }
            });
        }
        1 => {
            let Some((&status, rest)) = rest.split_first() else { return };
            const STATUSES: [u16; 8] = [200, 200, 200, 400, 409, 423, 500, 503];
            let status = STATUSES.get(usize::from(status % 8)).copied().unwrap_or(200);
            let separator = b"\n--pull--\n";
            let (push, pull) = match rest.windows(separator.len()).position(|w| w == separator) {
                Some(at) => (rest.get(..at).unwrap_or_default(), rest.get(at + separator.len()..).unwrap_or_default()),
                None => (rest, &[][..]),
            };
            with_device(|device| {
                let transport = Answers { status, push, pull, calls: Cell::new(0) };
                let _ = device.sync(&transport, &oid(CUSTOMER), &oid(USER));
                device.sync_status(&oid(CUSTOMER), &oid(USER)).unwrap_or_else(|e| panic!("the device is unusable after a sync: {e}"));
            });
        }
        _ => {
            round_trip::<PushBatch>(rest);
            round_trip::<PushResponse>(rest);
            round_trip::<PullPage>(rest);
        }
    }
});
