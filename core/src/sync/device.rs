//! The device side of sync: what a device's engine stores and does, inside one write
//! transaction per call. Registration, preparing and completing a push (the in-flight batch is
//! stored, so a crash resends the same batch with the same operation ids), applying pull pages
//! (idempotent; the cursor moves in the same transaction as the data), the quarantine and the
//! conflict log. What each answer or page does is decided by [`super::plan`]; this module reads
//! the facts a plan needs and carries it out.

use serde::{Deserialize, Serialize};

use super::plan::{keep_refusals, keeps_sent_rows, Answer, Plan, Pulled, Refused, Write};
use super::*;
use crate::error::{Result, TenthsError};
use crate::model::events::EventKind;
use crate::ops::entries::{find, write_copy};
use crate::ops::events::record;
use crate::ops::overlap::Inserter;
use crate::ops::reference::resettle_local;
use crate::ops::timers::close_session_settled;
use crate::ops::{Cx, Rx, Scope};
use crate::rules::ids::ObjectId;
use crate::store::{EntryKey, Pending};

fn storage(e: impl std::fmt::Display) -> TenthsError {
    TenthsError::Storage { reason: e.to_string() }
}

/// The stored in-flight push: the batch as sent, each entry's counter when it was taken and
/// its feed position then (absent in a batch stored before they were kept: such an answer is
/// written as a whole copy).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Inflight {
    batch: PushBatch,
    snapshots: Vec<i64>,
    #[serde(default)]
    seqs: Vec<i64>,
}

/// An in-flight push as stored (its JSON) and read, kept by a caller from the transaction that
/// stored or read it to the one that settles it ([`crate::Engine::sync`]), so the batch is not
/// parsed again when the stored JSON is still the same.
pub(crate) type KeptInflight = Option<(String, Inflight)>;

/// The stored in-flight push; `kept` stands for it when its JSON is the one stored.
fn load_inflight(cx: &mut Cx<'_>, customer: &ObjectId, user: &ObjectId, kept: KeptInflight) -> Result<KeptInflight> {
    let Some(json) = cx.tx.device()?.inflight(customer, user)? else { return Ok(None) };
    if let Some((same, inflight)) = kept.filter(|(k, _)| *k == json) {
        return Ok(Some((same, inflight)));
    }
    let inflight = serde_json::from_str(&json).map_err(storage)?;
    Ok(Some((json, inflight)))
}

/// The local copy of an entry (deleted ones too), with its key.
fn local(cx: &mut Cx<'_>, customer: &ObjectId, id: &ObjectId) -> Result<Option<(EntryKey, SyncedEntry)>> {
    Ok(find(cx.tx, cx.refs, customer, id)?.map(|(key, e)| (key, SyncedEntry::from_entry(&e))))
}

/// Prepares the next push: the stored in-flight batch again if there is one, else a new batch
/// of up to `limit` pending entries (stored before it is returned). An entry whose pending
/// changes came back to the server's copy is settled here without an operation.
pub(crate) fn prepare_push(cx: &mut Cx<'_>, customer: &ObjectId, user: &ObjectId, limit: usize) -> Result<PushBatch> {
    prepare_push_keeping(cx, customer, user, limit, &mut None)
}

/// [`prepare_push`], keeping the in-flight push it returns in `kept` for [`complete_push_kept`].
pub(crate) fn prepare_push_keeping(cx: &mut Cx<'_>, customer: &ObjectId, user: &ObjectId, limit: usize, kept: &mut KeptInflight) -> Result<PushBatch> {
    cx.tx.device()?.register(customer, user)?;
    *kept = load_inflight(cx, customer, user, kept.take())?;
    if let Some((_, inflight)) = kept {
        return Ok(inflight.batch.clone());
    }
    let limit = limit.clamp(1, MAX_SYNC_BATCH);
    let mut ops = Vec::new();
    let mut snapshots = Vec::new();
    let mut seqs = Vec::new();
    let mut after = None;
    'scan: loop {
        let rows = cx.tx.device()?.pending(customer, user, after, limit)?;
        if rows.is_empty() {
            break;
        }
        for Pending { key, id, counter, seq } in rows {
            after = Some(key);
            let Some((_, local)) = local(cx, customer, &id)? else { continue };
            let base = cx.tx.device()?.mirror(customer, &id)?;
            let changed = match &base {
                Some(b) => local.user_fields().diff(&b.user_fields()),
                None => SyncField::ALL.to_vec(),
            };
            if let (Some(b), true) = (&base, changed.is_empty()) {
                // Back to the server's copy (e.g. re-settled after a reference change): take it.
                write_device_copy(cx, customer, Some(key), b, 0)?;
                continue;
            }
            ops.push(PushOp { op_id: ObjectId::generate(cx.now.millis() / 1000), base_version: base.map(|b| b.version), changed, entry: local });
            snapshots.push(counter);
            seqs.push(seq);
            if ops.len() >= limit {
                break 'scan;
            }
        }
    }
    let batch = PushBatch { batch_id: ObjectId::generate(cx.now.millis() / 1000), ops };
    if !batch.ops.is_empty() {
        let inflight = Inflight { batch: batch.clone(), snapshots, seqs };
        let json = serde_json::to_string(&inflight).map_err(storage)?;
        cx.tx.device()?.set_inflight(customer, user, Some(&json))?;
        *kept = Some((json, inflight));
    }
    Ok(batch)
}

/// Checks a server answer against the in-flight batch it answers.
fn check_response(inflight: &Inflight, response: &PushResponse, user: &ObjectId) -> Result<()> {
    if response.batch_id != inflight.batch.batch_id {
        return Err(TenthsError::invalid("batchId", "does not answer the batch in flight"));
    }
    if response.results.len() != inflight.batch.ops.len() {
        return Err(TenthsError::invalid("results", format!("{} results for {} operations", response.results.len(), inflight.batch.ops.len())));
    }
    for (i, (op, result)) in inflight.batch.ops.iter().zip(&response.results).enumerate() {
        if result.op_id != op.op_id || result.entry_id != op.entry.id {
            return Err(TenthsError::invalid(format!("results[{i}].opId"), "does not match the operation sent"));
        }
        if let Some(r) = &result.record {
            r.check(&format!("results[{i}].record"))?;
            if r.id != op.entry.id || r.user_id != *user {
                return Err(TenthsError::invalid(format!("results[{i}].record"), "is another entry"));
            }
        }
        if result.outcome != OpOutcome::Rejected && result.record.is_none() {
            return Err(TenthsError::invalid(format!("results[{i}].record"), "is required"));
        }
    }
    Ok(())
}

/// Settles the answers of the in-flight batch (each by its [`Answer::plan`]) and clears it.
pub(crate) fn complete_push(cx: &mut Cx<'_>, customer: &ObjectId, user: &ObjectId, response: &PushResponse) -> Result<PushSummary> {
    complete_push_kept(cx, customer, user, response, None)
}

/// [`complete_push`] with the in-flight push `kept` by [`prepare_push_keeping`] (used when its
/// JSON is still the one stored).
pub(crate) fn complete_push_kept(cx: &mut Cx<'_>, customer: &ObjectId, user: &ObjectId, response: &PushResponse, kept: KeptInflight) -> Result<PushSummary> {
    let (_, inflight) = load_inflight(cx, customer, user, kept)?.ok_or_else(|| TenthsError::conflict("no push is in flight"))?;
    check_response(&inflight, response, user)?;
    let allow = cx.settings(customer)?.allow_post_release_edit;
    let mut summary = PushSummary::default();
    for (i, ((op, result), snapshot)) in inflight.batch.ops.iter().zip(&response.results).zip(&inflight.snapshots).enumerate() {
        let Some(key) = cx.tx.entry_key(customer, &op.entry.id)? else { continue };
        let remaining = cx.tx.local_changes(customer, key)?.saturating_sub(*snapshot).max(0);
        let mirrored_version = cx.tx.device()?.mirror_version(customer, &op.entry.id)?;
        let answer = Answer { op, result, remaining, mirrored_version, allow_post_release_edit: allow };
        let needs = answer.needs();
        let local = if needs.local { local(cx, customer, &op.entry.id)?.map(|(_, l)| l) } else { None };
        let base = if needs.base { cx.tx.device()?.mirror(customer, &op.entry.id)? } else { None };
        let mut plan = answer.plan(local.as_ref(), base.as_ref());
        if let (Write::Copy { copy, counter: 0 }, Some(sent_seq)) = (&plan.write, inflight.seqs.get(i)) {
            // The common answer: the copy sent, settled by the server. When the row is still
            // the one sent, one statement writes it (its sessions and codes stay as they are).
            if keeps_sent_rows(op, copy) && cx.tx.device()?.acknowledge(key, &copy.to_entry(*customer), *sent_seq)? {
                plan.write = Write::Nothing;
            }
        }
        summary.applied += plan.tally.applied;
        summary.conflicts += plan.tally.conflicts;
        summary.quarantined += plan.tally.quarantined;
        carry_out(cx, customer, &op.entry.id, Some(key), plan, None)?;
    }
    cx.tx.device()?.set_inflight(customer, user, None)?;
    Ok(summary)
}

/// Carries a plan out: conflicts logged, the quarantine written, the copy written, the mirror
/// stored. A new copy goes through `inserter` (a pull page stores its new entries as an import;
/// an [`Inserter::synced`], so they are not local changes).
fn carry_out(cx: &mut Cx<'_>, customer: &ObjectId, id: &ObjectId, key: Option<EntryKey>, plan: Plan, inserter: Option<&mut Inserter>) -> Result<()> {
    for c in &plan.conflicts {
        cx.tx.device()?.log_conflict(customer, id, c.field.as_str(), &c.local.to_string(), &c.server.to_string(), cx.now)?;
    }
    if let Some(mut q) = plan.quarantine {
        // One quarantined copy per entry keeps every refused change (decision 12).
        if let Some((earlier, earlier_against)) = cx.tx.device()?.quarantined_one(customer, id)? {
            let kept = keep_refusals(Refused { local: &earlier, against: earlier_against.as_ref() }, Refused { local: &q.local, against: q.against.as_ref() });
            for c in &kept.conflicts {
                cx.tx.device()?.log_conflict(customer, id, c.field.as_str(), &c.local.to_string(), &c.server.to_string(), cx.now)?;
            }
            q.local = q.local.with_user_fields(&kept.fields);
        }
        let record = Quarantined { entry_id: q.local.id, code: q.code, reason: q.reason, failures: q.failures, local: q.local, at: cx.now };
        cx.tx.device()?.quarantine(customer, &record, q.against.as_ref())?;
    }
    match plan.write {
        Write::Nothing => {}
        Write::Copy { copy, counter } => {
            write_device_copy(cx, customer, key, &copy, counter)?;
        }
        Write::Pending { copy, counter } => {
            let before = match key {
                Some(k) => Some(cx.tx.entry_by_key(customer, k)?),
                None => None,
            };
            let key = write_device_copy(cx, customer, key, &copy, counter)?;
            resettle_local(cx, customer, key)?;
            let after = cx.tx.entry_by_key(customer, key)?;
            record(cx, EventKind::Merged, "sync-merge", before.as_ref(), &after)?;
        }
        Write::Counter(n) => {
            if let Some(key) = key {
                cx.tx.set_local_changes(customer, key, n)?;
            }
        }
        Write::Insert(copy) => {
            // A copy the server holds, stored with no unsent change ([`Inserter::synced`]).
            let mut e = copy.to_entry(*customer);
            match inserter {
                Some(i) => {
                    i.insert_new(cx.tx, &mut e, None, cx.stats)?;
                }
                None => {
                    let mut own = Inserter::synced();
                    own.insert_new(cx.tx, &mut e, None, cx.stats)?;
                    own.finish(cx.tx, cx.stats)?;
                }
            }
        }
    }
    if let Some(m) = plan.mirror {
        cx.tx.device()?.set_mirror(customer, &m)?;
    }
    Ok(())
}

/// The device's pull position.
pub(crate) fn cursor(rx: &mut Rx<'_>, customer: &ObjectId, user: &ObjectId) -> Result<PullCursor> {
    let (entry_seq, reference_seq) = rx.tx.device()?.cursor(customer, user)?;
    Ok(PullCursor { entry_seq, reference_seq })
}

/// Checks a reference snapshot before it replaces this device's reference data: this
/// protocol's records, each within the bounds the engine keeps on its own writes, and every
/// reference inside the snapshot (a matter's allowed codes, a rule set's matter) to a record
/// of the snapshot.
fn check_snapshot(snap: &ReferenceSnapshot) -> Result<()> {
    if snap.protocol_version != PROTOCOL_VERSION {
        return Err(TenthsError::invalid("reference.protocolVersion", format!("is {}, this device speaks {PROTOCOL_VERSION}", snap.protocol_version)));
    }
    crate::rules::units::check_increment(snap.settings.default_unit_increments, "reference.settings.defaultUnitIncrements")?;
    crate::rules::time::parse_zone(&snap.settings.timezone, "reference.settings.timezone")?;
    if let Some(tz) = &snap.user_timezone {
        crate::rules::time::parse_zone(tz, "reference.userTimezone")?;
    }
    let codes: std::collections::HashSet<ObjectId> = snap.codes.iter().map(|c| c.id).collect();
    let matters: std::collections::HashSet<ObjectId> = snap.initiatives.iter().map(|i| i.id).collect();
    for (i, m) in snap.initiatives.iter().enumerate() {
        crate::rules::units::check_increment(m.unit_increments, &format!("reference.initiatives[{i}].unitIncrements"))?;
        if m.allowed_code_ids.iter().flatten().any(|c| !codes.contains(c)) {
            return Err(TenthsError::invalid(format!("reference.initiatives[{i}].allowedCodeIds"), "names a code the snapshot does not carry"));
        }
    }
    for (i, r) in snap.rules.iter().enumerate() {
        if r.initiative_id.is_some_and(|m| !matters.contains(&m)) {
            return Err(TenthsError::invalid(format!("reference.rules[{i}].initiativeId"), "names a matter the snapshot does not carry"));
        }
    }
    Ok(())
}

/// Applies one pull page: reference data first (when newer than this device's), then each copy
/// by its [`Pulled::plan`]. The cursor moves only when the page starts at or before it, so a
/// reordered or repeated page is harmless and a skipped one is fetched again.
pub(crate) fn apply_pull(cx: &mut Cx<'_>, customer: &ObjectId, user: &ObjectId, page: &PullPage) -> Result<PullSummary> {
    cx.tx.device()?.register(customer, user)?;
    if page.entries.len() > MAX_SYNC_BATCH {
        return Err(TenthsError::invalid("entries", format!("at most {MAX_SYNC_BATCH} entries per page")));
    }
    if page.next < page.after {
        return Err(TenthsError::invalid("next", "is before after"));
    }
    for (i, e) in page.entries.iter().enumerate() {
        e.check(&format!("entries[{i}]"))?;
        if e.user_id != *user {
            return Err(TenthsError::invalid(format!("entries[{i}].userId"), "is not the user this device syncs"));
        }
    }
    let mut summary = PullSummary::default();
    let (mut entry_seq, mut reference_seq) = cx.tx.device()?.cursor(customer, user)?;
    if let Some(reference) = &page.reference {
        if reference.seq > reference_seq {
            check_snapshot(reference)?;
            cx.tx.bump_reference_version(customer)?;
            crate::ops::reference::replace_reference(cx.tx, customer, user, reference, cx.now)?;
            cx.refs.forget(customer);
            reference_seq = reference.seq;
            summary.reference_applied = true;
            let mut after = None;
            loop {
                let pending = cx.tx.device()?.pending(customer, user, after, MAX_SYNC_BATCH)?;
                let Some(last) = pending.last() else { break };
                after = Some(last.key);
                for p in pending {
                    resettle_local(cx, customer, p.key)?;
                }
            }
        }
    }
    let allow = cx.settings(customer)?.allow_post_release_edit;
    // Entries new to this device are stored as an import stores them: neighbours read once per
    // interval, the entries they meet refreshed once at the end of the page.
    let mut inserter = Inserter::synced();
    for remote in &page.entries {
        let mirrored_version = cx.tx.device()?.mirror_version(customer, &remote.id)?;
        let key = cx.tx.entry_key(customer, &remote.id)?;
        let pending = match key {
            Some(k) => cx.tx.local_changes(customer, k)?,
            None => 0,
        };
        let pulled = Pulled { remote, mirrored_version, found: key.is_some(), pending, allow_post_release_edit: allow };
        let needs = pulled.needs();
        let local = if needs.local { local(cx, customer, &remote.id)?.map(|(_, l)| l) } else { None };
        let base = if needs.base { cx.tx.device()?.mirror(customer, &remote.id)? } else { None };
        let plan = pulled.plan(local.as_ref(), base.as_ref());
        summary.pulled += plan.tally.pulled;
        summary.skipped += plan.tally.skipped;
        summary.conflicts += plan.tally.conflicts;
        summary.quarantined += plan.tally.quarantined;
        carry_out(cx, customer, &remote.id, key, plan, Some(&mut inserter))?;
    }
    inserter.finish(cx.tx, cx.stats)?;
    if page.after.entry_seq <= entry_seq {
        entry_seq = entry_seq.max(page.next.entry_seq);
    }
    cx.tx.device()?.set_cursor(customer, user, entry_seq, reference_seq)?;
    Ok(summary)
}

/// Writes a copy of an entry on this device with `counter` unsent changes, after the
/// running-timer rule ([`resolve_running_timers`]): when the copy has a running session while
/// another entry of the user runs one here, the later start keeps running and the other stops
/// at that instant (a stop made here is a local change, sent with the next push). Returns the
/// key.
fn write_device_copy(cx: &mut Cx<'_>, customer: &ObjectId, key: Option<EntryKey>, copy: &SyncedEntry, counter: i64) -> Result<EntryKey> {
    let user = copy.user_id;
    let mut copy = std::borrow::Cow::Borrowed(copy);
    let mut counter = counter;
    if let Some(running) = copy.sources.iter().position(|s| s.ended_at.is_none()) {
        if let Some(existing) = cx.tx.running_session(customer, &user)? {
            if let Some((entry_key, entry_id)) = existing.entry.filter(|(_, id)| *id != copy.id) {
                let incoming_start = copy.sources.get(running).map(|s| s.started_at).unwrap_or(cx.now);
                match resolve_running_timers((existing.started_at, entry_id), (incoming_start, copy.id)) {
                    TimerResolution::StopExisting { at } => {
                        close_session_settled(cx, &Scope::new(*customer, user), existing.source, entry_key, existing.started_at, at)?;
                    }
                    TimerResolution::StopIncoming { at } => {
                        let zone = cx.zone(customer, &user)?;
                        if let Some(s) = copy.to_mut().sources.get_mut(running) {
                            s.ended_at = Some(at.min(s.started_at.local_date(zone).last_millisecond_in(zone)).max(s.started_at));
                        }
                        counter = counter.max(1);
                    }
                }
            }
        }
    }
    write_copy(cx, key, &copy.to_entry(*customer), counter)
}

/// The device's sync state.
pub(crate) fn status(rx: &mut Rx<'_>, customer: &ObjectId, user: &ObjectId) -> Result<SyncStatus> {
    let device = rx.tx.device()?;
    let (pending, oldest_pending_at) = device.pending_summary(customer, user)?;
    let (quarantined, conflicts) = device.counts(customer)?;
    let (push_in_flight, last_error, last_success_at) = device.outcome(customer, user)?;
    let (entry_seq, reference_seq) = device.cursor(customer, user)?;
    Ok(SyncStatus {
        pending,
        oldest_pending_at,
        quarantined,
        conflicts,
        push_in_flight,
        last_error,
        last_success_at,
        cursor: PullCursor { entry_seq, reference_seq },
    })
}

/// Records the outcome of a sync run.
pub(crate) fn record_outcome(cx: &mut Cx<'_>, customer: &ObjectId, user: &ObjectId, error: Option<&str>) -> Result<()> {
    let now = cx.now;
    let device = cx.tx.device()?;
    device.register(customer, user)?;
    device.record_outcome(customer, user, error, now)
}

/// Quarantined local changes, oldest first.
pub(crate) fn quarantined(rx: &mut Rx<'_>, customer: &ObjectId) -> Result<Vec<Quarantined>> {
    rx.tx.device()?.quarantined(customer)
}

/// The conflict log, oldest first.
pub(crate) fn conflicts(rx: &mut Rx<'_>, customer: &ObjectId) -> Result<Vec<ConflictRecord>> {
    rx.tx.device()?.conflicts(customer)
}

/// Puts a quarantined change back in the queue: its fields over the current copy, pending.
pub(crate) fn retry(cx: &mut Cx<'_>, customer: &ObjectId, id: &ObjectId) -> Result<()> {
    let refused = cx.tx.device()?.take_quarantined(customer, id)?.ok_or_else(|| TenthsError::not_found("quarantined change", id))?;
    let (key, current) = local(cx, customer, id)?.ok_or_else(|| TenthsError::not_found("entry", id))?;
    let mut fields = refused.user_fields();
    // A release the server refused is not asked again by a retry of the edit; the user
    // releases again once the rules pass.
    if refused.is_locked && !current.is_locked {
        fields.released = false;
    }
    let key = write_device_copy(cx, customer, Some(key), &current.with_user_fields(&fields), 1)?;
    resettle_local(cx, customer, key)
}

/// Drops a quarantined change (if any) and any unsent change of the entry: the server's copy
/// (the mirror) is restored.
pub(crate) fn discard_local_changes(cx: &mut Cx<'_>, customer: &ObjectId, id: &ObjectId) -> Result<()> {
    cx.tx.device()?.take_quarantined(customer, id)?;
    match cx.tx.device()?.mirror(customer, id)? {
        Some(m) => {
            write_device_copy(cx, customer, None, &m, 0)?;
        }
        None => {
            let key = cx.tx.entry_key(customer, id)?.ok_or_else(|| TenthsError::not_found("entry", id))?;
            cx.tx.set_local_changes(customer, key, 0)?;
        }
    }
    Ok(())
}
