//! Sync under bad input (issue 6): a malformed, truncated, replayed or foreign push or pull page
//! is refused with a typed error (or a per-operation rejection) and changes nothing; a sync
//! interrupted at any point leaves both sides consistent and the next sync finishes the job.
//! The server is the backend under test; the device is a SQLite file, as on a phone.

use std::cell::Cell;
use std::sync::Arc;

use tenths::api::{mint_hs256, Hs256Verifier, Principal, Request, Response, Role, Verifier};
use tenths::sync::{OpOutcome, PullCursor, PushResponse, SyncField, Transport};
use tenths::*;

use crate::conformance::{sqlite_rows, Backend, Opened};
use crate::http::{Api, ApiTransport};
use crate::{oid, ts, TempDir};

const SECRET: &[u8] = b"sync-secret";
const FAR: i64 = 4_102_444_800;

struct World {
    _dir: TempDir,
    device_path: std::path::PathBuf,
    server: Opened,
    verifier: Arc<dyn Verifier>,
    device: Engine,
    customer: ObjectId,
    user: ObjectId,
    matter: ObjectId,
}

fn world(backend: &dyn Backend) -> World {
    let dir = TempDir::new("sync-bad-input");
    let device_path = dir.file("device.sqlite");
    let clock = Arc::new(FixedClock::new(ts("2026-11-02T15:00:00Z")));
    let server = backend.open_inspectable(clock.clone());
    let verifier: Arc<dyn Verifier> = Arc::new(Hs256Verifier::new(SECRET).unwrap());
    let device = Engine::open_with(&device_path, OpenOptions::default(), clock).unwrap();
    let customer = oid(0xc1);
    let user = oid(0xa1);
    let matter = crate::simple_matter(&server, &customer);
    let w = World { _dir: dir, device_path, server, verifier, device, customer, user, matter };
    w.sync().unwrap();
    w
}

impl World {
    fn api(&self) -> Api<'_> {
        Api::new(&self.server, Some(self.verifier.clone()))
    }
    fn transport(&self) -> ApiTransport<'_> {
        self.api().transport(Principal::new(self.customer, self.user, Role::User))
    }
    fn sync(&self) -> Result<tenths::sync::SyncReport> {
        self.device.sync(&self.transport(), &self.customer, &self.user)
    }
    fn scope(&self) -> Scope {
        Scope::new(self.customer, self.user)
    }
    fn create(&self, summary: &str) -> Entry {
        let input = NewEntry { initiative_id: Some(self.matter), summary: Some(summary.into()), duration_in_seconds: Some(600), ..Default::default() };
        self.device.create_entry(&self.scope(), &input).unwrap().0
    }
    fn push_raw(&self, token_for: (ObjectId, ObjectId), path_user: ObjectId, body: &[u8]) -> Response {
        let token = mint_hs256(SECRET, &Principal::new(token_for.0, token_for.1, Role::User), FAR).unwrap();
        let path = tenths::sync::push_path(&self.customer, &path_user);
        self.api().serve(&Request::new("POST", &path, body.to_vec()).header("authorization", &format!("Bearer {token}")))
    }
}

/// Every row of every table of the device's database, as text.
fn snapshot(path: &std::path::Path) -> Vec<String> {
    sqlite_rows(path)
}

fn error_code(r: &Response) -> String {
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    v["error"]["code"].as_str().unwrap_or_default().to_string()
}

pub fn malformed_truncated_and_foreign_pushes_change_nothing(backend: &dyn Backend) {
    let w = world(backend);
    w.create("Drafted the motion");
    let batch = w.device.sync_prepare_push(&w.customer, &w.user, 10).unwrap();
    let body = serde_json::to_vec(&batch).unwrap();
    let before = w.server.rows();
    // Truncated.
    let r = w.push_raw((w.customer, w.user), w.user, &body[..body.len() / 2]);
    assert_eq!((r.status, error_code(&r)), (400, "invalid_argument".to_string()));
    // An unknown field is named.
    let mut v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    v["ops"][0]["entry"]["summry"] = "x".into();
    let r = w.push_raw((w.customer, w.user), w.user, &serde_json::to_vec(&v).unwrap());
    assert_eq!(r.status, 400);
    assert!(String::from_utf8_lossy(&r.body).contains("summry"), "{}", String::from_utf8_lossy(&r.body));
    // Out of range: a bound the engine keeps on its own writes, with the field named.
    let mut v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    v["ops"][0]["entry"]["unitIncrements"] = 0.into();
    let r = w.push_raw((w.customer, w.user), w.user, &serde_json::to_vec(&v).unwrap());
    assert_eq!(r.status, 400);
    let e: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(e["error"]["field"], "ops[0].entry.unitIncrements");
    // Another user's token, and another customer's: refused before anything is read.
    let r = w.push_raw((w.customer, oid(0xa2)), w.user, &body);
    assert_eq!(r.status, 403);
    let r = w.push_raw((oid(0xc2), w.user), w.user, &body);
    assert_eq!(r.status, 403);
    // The route's user and the entries' user disagree.
    let r = w.push_raw((w.customer, oid(0xa2)), oid(0xa2), &body);
    assert_eq!(r.status, 400);
    assert_eq!(w.server.rows(), before, "refused pushes changed the server");
}

pub fn a_replayed_push_answers_its_first_answers_and_applies_nothing_twice(backend: &dyn Backend) {
    let w = world(backend);
    let e = w.create("Call with opposing counsel");
    let batch = w.device.sync_prepare_push(&w.customer, &w.user, 10).unwrap();
    let body = serde_json::to_vec(&batch).unwrap();
    let first = w.push_raw((w.customer, w.user), w.user, &body);
    assert_eq!(first.status, 200);
    let answer: PushResponse = serde_json::from_slice(&first.body).unwrap();
    assert_eq!(answer.results[0].outcome, OpOutcome::Applied);
    assert_eq!(answer.results[0].record.as_ref().unwrap().id, e.id);
    let after_first = w.server.rows();
    let again = w.push_raw((w.customer, w.user), w.user, &body);
    assert_eq!(again.status, 200);
    assert_eq!(again.body, first.body, "a replay answers the first answer");
    assert_eq!(w.server.rows(), after_first, "a replay applied something again");
    // The device settles the (replayed) answer once; a second completion is refused.
    w.device.sync_complete_push(&w.customer, &w.user, &answer).unwrap();
    let before = snapshot(&w.device_path);
    let err = w.device.sync_complete_push(&w.customer, &w.user, &answer).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(snapshot(&w.device_path), before);
}

pub fn an_answer_that_does_not_match_the_batch_in_flight_is_refused(backend: &dyn Backend) {
    let w = world(backend);
    let e = w.create("Reviewed the file");
    let batch = w.device.sync_prepare_push(&w.customer, &w.user, 10).unwrap();
    let body = serde_json::to_vec(&batch).unwrap();
    let good: PushResponse = serde_json::from_slice(&w.push_raw((w.customer, w.user), w.user, &body).body).unwrap();
    let before = snapshot(&w.device_path);
    let mut other_batch = good.clone();
    other_batch.batch_id = oid(0xbad);
    let mut missing = good.clone();
    missing.results.clear();
    let mut foreign_record = good.clone();
    if let Some(r) = foreign_record.results[0].record.as_mut() {
        r.user_id = oid(0xa2);
    }
    let mut broken_record = good.clone();
    if let Some(r) = broken_record.results[0].record.as_mut() {
        r.version = 0;
    }
    for (bad, field) in [(other_batch, "batchId"), (missing, "results"), (foreign_record, "results[0].record"), (broken_record, "results[0].record.version")] {
        match w.device.sync_complete_push(&w.customer, &w.user, &bad) {
            Err(TenthsError::InvalidArgument { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: expected invalid argument, got {other:?}"),
        }
        assert_eq!(snapshot(&w.device_path), before, "{field}: a refused answer changed the device");
    }
    // The batch is still in flight and the good answer still settles it.
    assert!(w.device.sync_status(&w.customer, &w.user).unwrap().push_in_flight);
    w.device.sync_complete_push(&w.customer, &w.user, &good).unwrap();
    let status = w.device.sync_status(&w.customer, &w.user).unwrap();
    assert_eq!((status.pending, status.push_in_flight), (0, false));
    assert_eq!(w.server.get_entry(&w.scope(), &e.id).unwrap().summary, "Reviewed the file");
}

pub fn foreign_or_broken_pull_pages_are_refused_and_change_nothing(backend: &dyn Backend) {
    let w = world(backend);
    let scope = w.scope();
    w.server
        .create_entry(
            &scope,
            &NewEntry { initiative_id: Some(w.matter), summary: Some("On the web".into()), duration_in_seconds: Some(360), ..Default::default() },
        )
        .unwrap();
    w.server.set_validation_rules(&w.customer, None, &ValidationRulesInput { is_summary_required: Some(true), ..Default::default() }).unwrap();
    let page = w.server.sync_changes(&w.customer, &w.user, w.device.sync_pull_request(&w.customer, &w.user, 100).unwrap().after, 100).unwrap();
    assert_eq!(page.entries.len(), 1);
    assert!(page.reference.is_some(), "the rule change brings the reference data");
    let before = snapshot(&w.device_path);
    let mut other_user = page.clone();
    other_user.entries[0].user_id = oid(0xa2);
    let mut broken = page.clone();
    broken.entries[0].unit_increments = 0;
    // A snapshot whose matter allows a code the snapshot does not carry.
    let mut dangling_reference = page.clone();
    if let Some(r) = dangling_reference.reference.as_mut() {
        r.initiatives[0].allowed_code_ids = Some(vec![oid(0xc2)]);
    }
    let mut old_protocol = page.clone();
    if let Some(r) = old_protocol.reference.as_mut() {
        r.protocol_version = 1;
    }
    let mut backwards = page.clone();
    backwards.next = PullCursor::default();
    backwards.after = PullCursor { entry_seq: 5, reference_seq: 0 };
    for (bad, field) in [
        (other_user, "entries[0].userId"),
        (broken, "entries[0].unitIncrements"),
        (dangling_reference, "reference.initiatives[0].allowedCodeIds"),
        (old_protocol, "reference.protocolVersion"),
        (backwards, "next"),
    ] {
        match w.device.sync_apply_pull(&w.customer, &w.user, &bad) {
            Err(TenthsError::InvalidArgument { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: expected invalid argument, got {other:?}"),
        }
        assert_eq!(snapshot(&w.device_path), before, "{field}: a refused page changed the device");
    }
    // The good page applies, twice without harm.
    let first = w.device.sync_apply_pull(&w.customer, &w.user, &page).unwrap();
    assert_eq!((first.pulled, first.reference_applied), (1, true));
    let after = snapshot(&w.device_path);
    let second = w.device.sync_apply_pull(&w.customer, &w.user, &page).unwrap();
    assert_eq!((second.pulled, second.skipped), (0, 1));
    assert_eq!(snapshot(&w.device_path), after);
}

/// A transport that fails on the n-th request (0-based) after delivering it to the server, or
/// before, as chosen.
struct Flaky<'a> {
    inner: ApiTransport<'a>,
    fail_at: usize,
    deliver_first: bool,
    sent: Cell<usize>,
}

impl Transport for Flaky<'_> {
    fn send(&self, request: Request) -> std::result::Result<Response, String> {
        let n = self.sent.get();
        self.sent.set(n + 1);
        if n == self.fail_at {
            if self.deliver_first {
                let _ = self.inner.send(request);
            }
            return Err("connection reset".into());
        }
        self.inner.send(request)
    }
}

pub fn an_interrupted_sync_is_finished_by_the_next_one(backend: &dyn Backend) {
    // Two entries pending: one push request, then one pull request. Each fails in turn,
    // delivered to the server or not.
    for fail_at in 0..2 {
        for deliver_first in [false, true] {
            let w = world(backend);
            let a = w.create("First");
            let b = w.create("Second");
            w.device.edit_entry(&w.scope(), &a.id, &EntryPatch { notes: Some("more".into()), ..Default::default() }).unwrap();
            let flaky = Flaky { inner: w.transport(), fail_at, deliver_first, sent: Cell::new(0) };
            let outcome = w.device.sync(&flaky, &w.customer, &w.user);
            assert!(outcome.is_err(), "fail_at {fail_at}: the sync must fail");
            let status = w.device.sync_status(&w.customer, &w.user).unwrap();
            assert!(status.last_error.as_deref().is_some_and(|e| e.contains("connection reset")), "{status:?}");
            assert_eq!(status.push_in_flight, fail_at == 0, "fail_at {fail_at}: the batch stays in flight only if its answer was lost");
            w.sync().unwrap();
            let status = w.device.sync_status(&w.customer, &w.user).unwrap();
            assert_eq!((status.pending, status.push_in_flight, status.last_error.clone()), (0, false, None), "fail_at {fail_at}");
            assert!(status.last_success_at.is_some());
            for (id, summary) in [(a.id, "First"), (b.id, "Second")] {
                let on_server = w.server.get_entry(&w.scope(), &id).unwrap();
                let on_device = w.device.get_entry(&w.scope(), &id).unwrap();
                assert_eq!(on_server.summary, summary);
                assert_eq!(on_server, on_device, "fail_at {fail_at}, delivered {deliver_first}");
            }
            assert_eq!(w.server.get_entry(&w.scope(), &a.id).unwrap().notes.as_deref(), Some("more"));
        }
    }
}

pub fn an_offline_release_the_server_refuses_is_quarantined_with_the_rules_and_can_be_retried(backend: &dyn Backend) {
    let w = world(backend);
    let e = w.create("Prepared exhibits");
    w.sync().unwrap();
    // The admin requires a code type the device does not know about yet; the device releases
    // offline under the old rules.
    w.server
        .set_validation_rules(&w.customer, None, &ValidationRulesInput { required_code_type_external_ids: vec!["task".into()], ..Default::default() })
        .unwrap();
    w.device.release_entry(&w.scope(), &e.id).unwrap();
    let report = w.sync().unwrap();
    assert_eq!(report.quarantined, 1);
    let q = w.device.sync_quarantined(&w.customer).unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].code, "validation_failed");
    assert!(q[0].failures.iter().any(|f| f.rule == "codes"), "{:?}", q[0].failures);
    // The server's copy is restored on the device: not released.
    let local = w.device.get_entry(&w.scope(), &e.id).unwrap();
    assert_eq!(local, w.server.get_entry(&w.scope(), &e.id).unwrap());
    assert!(!local.is_locked);
    // Discarding drops the quarantined change; nothing is pending.
    w.device.sync_discard_local_changes(&w.customer, &e.id).unwrap();
    assert!(w.device.sync_quarantined(&w.customer).unwrap().is_empty());
    assert_eq!(w.device.sync_status(&w.customer, &w.user).unwrap().pending, 0);
}

pub fn an_edit_of_an_entry_released_on_the_server_meanwhile_is_quarantined_as_locked(backend: &dyn Backend) {
    let w = world(backend);
    let e = w.create("Drafted");
    w.sync().unwrap();
    w.server.release_entry(&w.scope(), &e.id).unwrap();
    w.device.edit_entry(&w.scope(), &e.id, &EntryPatch { summary: Some("Drafted and filed".into()), ..Default::default() }).unwrap();
    let report = w.sync().unwrap();
    assert_eq!(report.quarantined, 1);
    let q = w.device.sync_quarantined(&w.customer).unwrap();
    assert_eq!((q[0].code.as_str(), q[0].local.summary.as_str()), ("locked", "Drafted and filed"));
    let local = w.device.get_entry(&w.scope(), &e.id).unwrap();
    assert_eq!(local.status, Status::ReleasePending);
    assert_eq!(local.summary, "Drafted");
    // The connector takes the release back; retrying sends the quarantined edit.
    w.server.unrelease(&w.scope(), &e.id).unwrap();
    w.sync().unwrap();
    w.device.sync_retry(&w.customer, &e.id).unwrap();
    w.sync().unwrap();
    assert_eq!(w.server.get_entry(&w.scope(), &e.id).unwrap().summary, "Drafted and filed");
    assert_eq!(w.device.get_entry(&w.scope(), &e.id).unwrap(), w.server.get_entry(&w.scope(), &e.id).unwrap());
}

/// Issue 14, item 5: an edit refused as `locked`, then a second edit refused on a later
/// release: the entry's one quarantined copy keeps both (decision 12 of docs/sync.md).
fn refused_twice(w: &World) -> Entry {
    let e = w.create("Drafted");
    w.sync().unwrap();
    w.server.release_entry(&w.scope(), &e.id).unwrap();
    w.device.edit_entry(&w.scope(), &e.id, &EntryPatch { summary: Some("edit 1".into()), ..Default::default() }).unwrap();
    assert_eq!(w.sync().unwrap().quarantined, 1);
    w.server.unrelease(&w.scope(), &e.id).unwrap();
    w.sync().unwrap();
    assert_eq!(w.device.sync_quarantined(&w.customer).unwrap().len(), 1, "still quarantined");
    w.server.release_entry(&w.scope(), &e.id).unwrap();
    let units = w.device.get_entry(&w.scope(), &e.id).unwrap().unit_increment_count_adjustments;
    w.device.edit_entry(&w.scope(), &e.id, &EntryPatch { unit_increment_count_adjustments: Some(units + 1), ..Default::default() }).unwrap();
    assert_eq!(w.sync().unwrap().quarantined, 1);
    e
}

pub fn a_second_refused_change_keeps_the_first(backend: &dyn Backend) {
    // Retried: both refused changes reach the server once it allows them.
    let w = world(backend);
    let e = refused_twice(&w);
    let q = w.device.sync_quarantined(&w.customer).unwrap();
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0].code, "locked");
    assert_eq!(q[0].local.summary, "edit 1", "the first refusal was lost");
    assert_eq!(q[0].local.unit_increment_count_adjustments, e.unit_increment_count_adjustments + 1);
    // Neither edit was logged as lost: the two refusals changed different fields.
    assert!(w.device.sync_conflicts(&w.customer).unwrap().is_empty());
    w.server.unrelease(&w.scope(), &e.id).unwrap();
    w.sync().unwrap();
    w.device.sync_retry(&w.customer, &e.id).unwrap();
    w.sync().unwrap();
    let server = w.server.get_entry(&w.scope(), &e.id).unwrap();
    assert_eq!((server.summary.as_str(), server.unit_increment_count_adjustments), ("edit 1", e.unit_increment_count_adjustments + 1));
    assert_eq!(w.device.get_entry(&w.scope(), &e.id).unwrap(), server);
    assert!(w.device.sync_quarantined(&w.customer).unwrap().is_empty());

    // Discarded: both are dropped, the server's copy stays.
    let w = world(backend);
    let e = refused_twice(&w);
    w.device.sync_discard_local_changes(&w.customer, &e.id).unwrap();
    assert!(w.device.sync_quarantined(&w.customer).unwrap().is_empty());
    w.sync().unwrap();
    let server = w.server.get_entry(&w.scope(), &e.id).unwrap();
    assert_eq!((server.summary.as_str(), server.unit_increment_count_adjustments), ("Drafted", e.unit_increment_count_adjustments));
    assert_eq!(w.device.get_entry(&w.scope(), &e.id).unwrap(), server);
    assert_eq!(w.device.sync_status(&w.customer, &w.user).unwrap().pending, 0);

    // Both refusals changed the summary: the later value stays quarantined, the earlier one is
    // logged.
    let w = world(backend);
    let e = w.create("Drafted");
    w.sync().unwrap();
    for (i, summary) in ["edit 1", "edit 2"].into_iter().enumerate() {
        w.server.release_entry(&w.scope(), &e.id).unwrap();
        w.device.edit_entry(&w.scope(), &e.id, &EntryPatch { summary: Some(summary.into()), ..Default::default() }).unwrap();
        assert_eq!(w.sync().unwrap().quarantined, 1);
        if i == 0 {
            w.server.unrelease(&w.scope(), &e.id).unwrap();
            w.sync().unwrap();
        }
    }
    let q = w.device.sync_quarantined(&w.customer).unwrap();
    assert_eq!((q.len(), q[0].local.summary.as_str()), (1, "edit 2"));
    let log = w.device.sync_conflicts(&w.customer).unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!((log[0].field.as_str(), &log[0].local_value), ("summary", &serde_json::json!("edit 1")));
}

pub fn concurrent_edits_of_one_field_keep_the_servers_value_and_log_the_local_one(backend: &dyn Backend) {
    let w = world(backend);
    let e = w.create("Original");
    w.sync().unwrap();
    w.server.edit_entry(&w.scope(), &e.id, &EntryPatch { summary: Some("From the web".into()), ..Default::default() }).unwrap();
    w.device
        .edit_entry(&w.scope(), &e.id, &EntryPatch { summary: Some("From the phone".into()), unit_increment_count_adjustments: Some(2), ..Default::default() })
        .unwrap();
    w.sync().unwrap();
    let server = w.server.get_entry(&w.scope(), &e.id).unwrap();
    assert_eq!(server.summary, "From the web");
    assert_eq!(server.unit_increment_count_adjustments, 2, "the field changed only here is kept");
    assert_eq!(w.device.get_entry(&w.scope(), &e.id).unwrap(), server);
    let log = w.device.sync_conflicts(&w.customer).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].field.as_str(), &log[0].local_value, &log[0].server_value),
        ("summary", &serde_json::json!("From the phone"), &serde_json::json!("From the web"))
    );
    assert!(SyncField::ALL.iter().any(|f| f.as_str() == log[0].field));
}

pub fn a_noop_sync_sends_nothing_and_pulls_nothing(backend: &dyn Backend) {
    let w = world(backend);
    w.create("Once");
    w.sync().unwrap();
    let report = w.sync().unwrap();
    assert_eq!((report.pushed, report.pulled), (0, 0));
}
