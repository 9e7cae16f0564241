//! The facade of sync: the primitives a device calls (prepare and complete a push, the pull
//! cursor, apply a pull page, status, quarantine, conflicts), a whole sync run through a
//! [`Transport`], and what the server answers (apply a push, a feed page).

use super::Engine;
use crate::error::{Result, TenthsError};
use crate::ops::Scope;
use crate::rules::ids::ObjectId;
use crate::sync::{device, server, PullCursor, PullPage, PullRequest, PullSummary, PushBatch, PushResponse, PushSummary, SyncReport, SyncStatus, Transport};
use crate::sync::{pull_path, push_path, ConflictRecord, Quarantined, MAX_SYNC_BATCH, PROTOCOL_VERSION};

impl Engine {
    /// Device: the next push batch for `(customer, user)` (at most `limit` operations). The
    /// same batch, with the same operation ids, is returned again until
    /// [`Engine::sync_complete_push`] settles it, so a batch lost in transit or in a crash is
    /// resent as it was. Empty when nothing is pending.
    pub fn sync_prepare_push(&self, customer: &ObjectId, user: &ObjectId, limit: usize) -> Result<PushBatch> {
        self.write(|cx| device::prepare_push(cx, customer, user, limit))
    }

    /// Device: settles the server's answer to the in-flight batch (see [`crate::sync`]). It takes
    /// in only what the server holds, so it commits with [`crate::OpenOptions::sync_durability`]:
    /// a power cut that loses it leaves the batch in flight, and its resend is answered again.
    pub fn sync_complete_push(&self, customer: &ObjectId, user: &ObjectId, response: &PushResponse) -> Result<PushSummary> {
        self.write_refetchable(|cx| device::complete_push(cx, customer, user, response))
    }

    /// Device: what to ask the server for next (the saved cursor).
    pub fn sync_pull_request(&self, customer: &ObjectId, user: &ObjectId, limit: usize) -> Result<PullRequest> {
        let after = self.read(|rx| device::cursor(rx, customer, user))?;
        Ok(PullRequest { after, limit: limit.clamp(1, MAX_SYNC_BATCH) })
    }

    /// Device: applies one page of the server's feed; idempotent, the cursor saved with the data.
    /// Commits with [`crate::OpenOptions::sync_durability`]: a page a power cut loses is
    /// pulled again (the cursor moves in the same commit).
    pub fn sync_apply_pull(&self, customer: &ObjectId, user: &ObjectId, page: &PullPage) -> Result<PullSummary> {
        self.write_refetchable(|cx| device::apply_pull(cx, customer, user, page))
    }

    /// Device: pushes until nothing is pending, then pulls until the feed is exhausted, through
    /// `transport`. A transport failure or a refused request stops the run with an error that
    /// [`Engine::sync_status`] keeps; the next run takes up where this one stopped.
    pub fn sync(&self, transport: &dyn Transport, customer: &ObjectId, user: &ObjectId) -> Result<SyncReport> {
        let outcome = run(self, transport, customer, user);
        let error = outcome.as_ref().err().map(|e| e.to_string());
        self.write(|cx| device::record_outcome(cx, customer, user, error.as_deref()))?;
        outcome
    }

    /// Device: pending count, oldest pending change, quarantined changes, last error.
    pub fn sync_status(&self, customer: &ObjectId, user: &ObjectId) -> Result<SyncStatus> {
        self.read(|rx| device::status(rx, customer, user))
    }

    /// Device: the local changes the server refused.
    pub fn sync_quarantined(&self, customer: &ObjectId) -> Result<Vec<Quarantined>> {
        self.read(|rx| device::quarantined(rx, customer))
    }

    /// Device: puts a quarantined change back in the push queue.
    pub fn sync_retry(&self, customer: &ObjectId, entry_id: &ObjectId) -> Result<()> {
        self.write(|cx| device::retry(cx, customer, entry_id))
    }

    /// Device: drops the entry's unsent and quarantined changes; the server's copy is restored.
    pub fn sync_discard_local_changes(&self, customer: &ObjectId, entry_id: &ObjectId) -> Result<()> {
        self.write(|cx| device::discard_local_changes(cx, customer, entry_id))
    }

    /// Device: the conflict log (local values that lost to the server's), oldest first.
    pub fn sync_conflicts(&self, customer: &ObjectId) -> Result<Vec<ConflictRecord>> {
        self.read(|rx| device::conflicts(rx, customer))
    }

    /// Server: applies a device's push for `scope`'s user (the route `POST …/sync/push`).
    pub fn sync_apply_push(&self, scope: &Scope, batch: &PushBatch) -> Result<PushResponse> {
        self.write_as(Some(scope), |cx| server::apply_push(cx, scope, batch))
    }

    /// Server: one page of the user's changes after `after` (the route `GET …/sync/changes`),
    /// for a device speaking protocol version `protocol`.
    pub fn sync_changes(&self, customer: &ObjectId, user: &ObjectId, after: PullCursor, limit: usize) -> Result<PullPage> {
        self.sync_changes_for(customer, user, after, limit, PROTOCOL_VERSION)
    }

    /// [`Engine::sync_changes`] for a device that speaks protocol version `protocol`: a version
    /// this server does not speak is refused with the versions it does.
    pub fn sync_changes_for(&self, customer: &ObjectId, user: &ObjectId, after: PullCursor, limit: usize, protocol: u32) -> Result<PullPage> {
        self.read(|rx| server::changes(rx, customer, user, after, limit, protocol))
    }
}

/// Parses a JSON answer of the server, or turns its error answer into a typed error.
fn answer_of<T: serde::de::DeserializeOwned>(response: &crate::http::Response, what: &str) -> Result<T> {
    if response.status != 200 {
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or(serde_json::Value::Null);
        let reason = body.pointer("/error/message").and_then(|m| m.as_str()).unwrap_or("no error body").to_string();
        // The kinds follow the router's mapping back, so a host can tell a retryable failure
        // (storage: the server failed or is busy) from a refusal it must act on.
        return Err(match response.status {
            400 => TenthsError::invalid(what, reason),
            401 => TenthsError::Unauthenticated { reason },
            403 => TenthsError::PermissionDenied { reason },
            404 => TenthsError::NotFound { what: what.into(), id: reason },
            409 => TenthsError::conflict(reason),
            413 => TenthsError::TooLarge { reason },
            423 => TenthsError::locked(reason),
            s => TenthsError::Storage { reason: format!("the server answered {s} to the {what}: {reason}") },
        });
    }
    serde_json::from_slice(&response.body).map_err(|e| TenthsError::invalid(what, format!("the server's answer is not a {what}: {e}")))
}

/// Pages and batches [`crate::Engine::sync`] asks for.
const SYNC_PAGE: usize = MAX_SYNC_BATCH;

/// [`crate::Engine::sync`]: push until empty (bounded: a conflict answer leaves its entry
/// pending once more), then pull until done.
fn run(engine: &Engine, transport: &dyn Transport, customer: &ObjectId, user: &ObjectId) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    let mut max_rounds = None;
    let mut kept = None;
    let mut batch = engine.write(|cx| device::prepare_push_keeping(cx, customer, user, SYNC_PAGE, &mut kept))?;
    for round in 0u64.. {
        if batch.is_empty() {
            break;
        }
        // Counted after the first prepare (which registers the device): every pending entry
        // once, plus a few rounds for entries a conflict answer leaves pending again.
        let limit = match max_rounds {
            Some(l) => l,
            None => *max_rounds.insert(engine.sync_status(customer, user)?.pending / u64::try_from(SYNC_PAGE).unwrap_or(1).max(1) + 8),
        };
        if round >= limit {
            break;
        }
        report.pushed += u64::try_from(batch.ops.len()).unwrap_or(0);
        let body = serde_json::to_vec(&batch).map_err(|e| TenthsError::Storage { reason: e.to_string() })?;
        let request = crate::http::Request::new("POST", &push_path(customer, user), body).header("content-type", "application/json");
        let response = transport.send(request).map_err(|reason| TenthsError::Storage { reason: format!("transport: {reason}") })?;
        let answer: PushResponse = answer_of(&response, "push response")?;
        // The answer settled and the next batch stored in one transaction (one commit a batch).
        let summary;
        (summary, batch) = engine.write(|cx| {
            let summary = device::complete_push_kept(cx, customer, user, &answer, kept.take())?;
            Ok((summary, device::prepare_push_keeping(cx, customer, user, SYNC_PAGE, &mut kept)?))
        })?;
        report.applied += summary.applied;
        report.conflicts += summary.conflicts;
        report.quarantined += summary.quarantined;
    }
    loop {
        let request = engine.sync_pull_request(customer, user, SYNC_PAGE)?;
        let response = transport
            .send(crate::http::Request::new("GET", &pull_path(customer, user, &request), Vec::new()))
            .map_err(|reason| TenthsError::Storage { reason: format!("transport: {reason}") })?;
        let page: PullPage = answer_of(&response, "pull page")?;
        let summary = engine.sync_apply_pull(customer, user, &page)?;
        report.pulled += summary.pulled;
        report.conflicts += summary.conflicts;
        report.quarantined += summary.quarantined;
        // A page that does not move the cursor past where this request started ends the run,
        // `hasMore` or not: a server answering the same page again would otherwise be asked for
        // it forever (found by the `sync` fuzz target).
        if !page.has_more || page.next == page.after || page.next <= request.after {
            break;
        }
    }
    Ok(report)
}
