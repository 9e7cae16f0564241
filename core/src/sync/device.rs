//! The device side of sync: what a device's engine stores and does, inside one write
//! transaction per call. Registration, preparing and completing a push (the in-flight batch is
//! stored, so a crash resends the same batch with the same operation ids), applying pull pages
//! (idempotent; the cursor moves in the same transaction as the data), the quarantine and the
//! conflict log. Decisions are [`super::reconcile`] and [`super::resolve_running_timers`].

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::*;
use crate::engine::{close_session_settled, Scope};
use crate::error::{Result, TenthsError};
use crate::rules::ids::ObjectId;
use crate::store::entries::{self as store, Stats};
use crate::store::lookups::Lookups;
use crate::rules::time::Timestamp;

fn storage(e: impl std::fmt::Display) -> TenthsError {
    TenthsError::Storage { reason: e.to_string() }
}

/// The stored in-flight push: the batch as sent and each entry's counter when it was taken.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Inflight {
    batch: PushBatch,
    snapshots: Vec<i64>,
}

/// Makes this database a device of `(customer, user)` on first use: from then on, local writes
/// of the user's entries are counted, and every entry the server has never acknowledged is
/// pending.
pub(crate) fn register(c: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<()> {
    let added = c.prepare_cached("INSERT OR IGNORE INTO sync_devices (customer_id, user_id) VALUES (?1, ?2)")?.execute(params![customer, user])?;
    if added > 0 {
        c.prepare_cached(
            "UPDATE entries SET local_changes = MAX(local_changes, 1) WHERE customer_id = ?1 AND user_id = ?2
               AND NOT EXISTS (SELECT 1 FROM sync_mirror m WHERE m.customer_id = entries.customer_id AND m.entry_id = entries.id)",
        )?
        .execute(params![customer, user])?;
    }
    Ok(())
}

fn load_inflight(c: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<Option<Inflight>> {
    let json: Option<String> = c
        .prepare_cached("SELECT inflight FROM sync_devices WHERE customer_id = ?1 AND user_id = ?2")?
        .query_row(params![customer, user], |r| r.get(0))
        .optional()?
        .flatten();
    json.map(|j| serde_json::from_str(&j).map_err(storage)).transpose()
}

fn store_inflight(c: &Connection, customer: &ObjectId, user: &ObjectId, inflight: Option<&Inflight>) -> Result<()> {
    let json = inflight.map(serde_json::to_string).transpose().map_err(storage)?;
    c.prepare_cached("UPDATE sync_devices SET inflight = ?3 WHERE customer_id = ?1 AND user_id = ?2")?.execute(params![customer, user, json])?;
    Ok(())
}

/// The mirror copy of an entry.
pub(crate) fn mirror(c: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<SyncedEntry>> {
    let json: Option<String> = c
        .prepare_cached("SELECT record FROM sync_mirror WHERE customer_id = ?1 AND entry_id = ?2")?
        .query_row(params![customer, id], |r| r.get(0))
        .optional()?;
    json.map(|j| serde_json::from_str(&j).map_err(storage)).transpose()
}

fn set_mirror(c: &Connection, customer: &ObjectId, record: &SyncedEntry) -> Result<()> {
    let json = serde_json::to_string(record).map_err(storage)?;
    c.prepare_cached(
        "INSERT INTO sync_mirror (customer_id, entry_id, version, record) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET version = ?3, record = ?4",
    )?
    .execute(params![customer, record.id, record.version, json])?;
    Ok(())
}

/// The version of the mirror copy of an entry.
fn mirror_version(c: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<i64>> {
    Ok(c.prepare_cached("SELECT version FROM sync_mirror WHERE customer_id = ?1 AND entry_id = ?2")?
        .query_row(params![customer, id], |r| r.get(0))
        .optional()?)
}

/// The local copy of an entry (deleted ones too), with its pk.
fn local(c: &Connection, lk: &mut Lookups, customer: &ObjectId, id: &ObjectId) -> Result<Option<(i64, SyncedEntry)>> {
    Ok(store::find(c, lk, customer, id)?.map(|(pk, e)| (pk, SyncedEntry::from_entry(&e))))
}

/// The local copy of an entry that exists.
fn local_copy(c: &Connection, lk: &mut Lookups, customer: &ObjectId, id: &ObjectId) -> Result<SyncedEntry> {
    local(c, lk, customer, id)?.map(|(_, e)| e).ok_or_else(|| TenthsError::not_found("entry", id))
}

/// Prepares the next push: the stored in-flight batch again if there is one, else a new batch of
/// up to `limit` pending entries (stored before it is returned). An entry whose pending changes
/// came back to the server's copy is settled here without an operation.
pub(crate) fn prepare_push(
    c: &Connection,
    lk: &mut Lookups,
    now: Timestamp,
    customer: &ObjectId,
    user: &ObjectId,
    limit: usize,
    stats: &Stats,
) -> Result<PushBatch> {
    register(c, customer, user)?;
    if let Some(inflight) = load_inflight(c, customer, user)? {
        return Ok(inflight.batch);
    }
    let limit = limit.clamp(1, MAX_SYNC_BATCH);
    let mut ops = Vec::new();
    let mut snapshots = Vec::new();
    let mut after_pk = 0i64;
    'scan: loop {
        let rows: Vec<(i64, ObjectId, i64)> = c
            .prepare_cached(
                "SELECT pk, id, local_changes FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND local_changes > 0 AND pk > ?3 ORDER BY pk LIMIT ?4",
            )?
            .query_map(params![customer, user, after_pk, i64::try_from(limit).unwrap_or(100)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if rows.is_empty() {
            break;
        }
        for (pk, id, counter) in rows {
            after_pk = pk;
            let Some((_, local)) = local(c, lk, customer, &id)? else { continue };
            let base = mirror(c, customer, &id)?;
            let changed = match &base {
                Some(b) => local.user_fields().diff(&b.user_fields()),
                None => SyncField::ALL.to_vec(),
            };
            if let (Some(b), true) = (&base, changed.is_empty()) {
                // Back to the server's copy (e.g. re-settled after a reference change): take it.
                write_copy(c, lk, now, customer, b, 0, stats)?;
                continue;
            }
            ops.push(PushOp { op_id: ObjectId::generate(now.millis() / 1000), base_version: base.map(|b| b.version), changed, entry: local });
            snapshots.push(counter);
            if ops.len() >= limit {
                break 'scan;
            }
        }
    }
    let batch = PushBatch { batch_id: ObjectId::generate(now.millis() / 1000), ops };
    if !batch.ops.is_empty() {
        store_inflight(c, customer, user, Some(&Inflight { batch: batch.clone(), snapshots }))?;
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

/// Settles the answers of the in-flight batch: applied → the canonical copy (keeping any edit
/// made since the batch was prepared), conflict → merged against the mirror, rejected →
/// quarantined. Clears the in-flight batch.
#[allow(clippy::too_many_arguments)]
pub(crate) fn complete_push(
    c: &Connection,
    lk: &mut Lookups,
    now: Timestamp,
    customer: &ObjectId,
    user: &ObjectId,
    response: &PushResponse,
    stats: &Stats,
) -> Result<PushSummary> {
    let inflight = load_inflight(c, customer, user)?.ok_or_else(|| TenthsError::conflict("no push is in flight"))?;
    check_response(&inflight, response, user)?;
    let allow = lk.settings(c, customer)?.allow_post_release_edit;
    let mut summary = PushSummary::default();
    for ((op, result), snapshot) in inflight.batch.ops.iter().zip(&response.results).zip(&inflight.snapshots) {
        let Some(pk) = store::pk_of(c, customer, &op.entry.id)? else { continue };
        let remaining = store::local_changes(c, pk)?.saturating_sub(*snapshot).max(0);
        let mirrored_version = mirror_version(c, customer, &op.entry.id)?;
        if let (Some(mv), Some(r)) = (mirrored_version, &result.record) {
            if mv >= r.version {
                // A replayed answer older than what a pull already brought: the newer copy
                // stands. The entry stays pending so the next prepare diffs it against the
                // mirror (sending what is left, or settling with nothing to send).
                match result.outcome {
                    OpOutcome::Applied => summary.applied += 1,
                    OpOutcome::Conflict => summary.conflicts += 1,
                    OpOutcome::Rejected => {
                        summary.quarantined += 1;
                        let code = result.code.clone().unwrap_or_else(|| "rejected".into());
                        let local = local_copy(c, lk, customer, &op.entry.id)?;
                        quarantine(c, now, customer, &local, &code, result.reason.as_deref().unwrap_or(""), &result.failures)?;
                        if let Some(m) = mirror(c, customer, &op.entry.id)? {
                            write_copy(c, lk, now, customer, &m, 0, stats)?;
                        }
                        continue;
                    }
                }
                store::set_local_changes(c, pk, remaining.max(1))?;
                continue;
            }
        }
        match (result.outcome, &result.record) {
            (OpOutcome::Applied, Some(record)) => {
                summary.applied += 1;
                if remaining == 0 {
                    write_copy_at(c, lk, now, customer, Some(pk), record, 0, stats)?;
                } else {
                    // Edited while the batch was out: the server has the batch's copy, so only
                    // the edits since then stay pending.
                    let sent = op.entry.user_fields();
                    let local = local_copy(c, lk, customer, &op.entry.id)?;
                    let merge = reconcile(Some(&sent), &local.user_fields(), &record.user_fields(), allow);
                    write_merge(c, lk, now, customer, record, &local, &merge, remaining, stats)?;
                }
                set_mirror(c, customer, record)?;
            }
            (OpOutcome::Conflict, Some(record)) => {
                summary.conflicts += 1;
                let base = mirror(c, customer, &op.entry.id)?;
                let local = local_copy(c, lk, customer, &op.entry.id)?;
                let merge = reconcile(base.as_ref().map(SyncedEntry::user_fields).as_ref(), &local.user_fields(), &record.user_fields(), allow);
                if merge.outcome == MergeOutcome::Locked {
                    summary.quarantined += 1;
                }
                write_merge(c, lk, now, customer, record, &local, &merge, remaining.max(1), stats)?;
                set_mirror(c, customer, record)?;
            }
            (OpOutcome::Rejected, record) => {
                summary.quarantined += 1;
                let code = result.code.clone().unwrap_or_else(|| "rejected".into());
                let local = local_copy(c, lk, customer, &op.entry.id)?;
                quarantine(c, now, customer, &local, &code, result.reason.as_deref().unwrap_or(""), &result.failures)?;
                match record {
                    Some(r) => {
                        write_copy(c, lk, now, customer, r, 0, stats)?;
                        set_mirror(c, customer, r)?;
                    }
                    None => store::set_local_changes(c, pk, 0)?,
                }
            }
            // check_response refused these.
            (_, None) => {}
        }
    }
    store_inflight(c, customer, user, None)?;
    Ok(summary)
}

/// Writes the result of a merge over the server's `record`: conflicts logged, a locked edit
/// quarantined, pending fields kept with `pending` unsent changes (re-settled here so the device
/// shows their units and status until the server answers).
#[allow(clippy::too_many_arguments)]
fn write_merge(
    c: &Connection,
    lk: &mut Lookups,
    now: Timestamp,
    customer: &ObjectId,
    record: &SyncedEntry,
    local: &SyncedEntry,
    merge: &Merge,
    pending: i64,
    stats: &Stats,
) -> Result<()> {
    for conflict in &merge.conflicts {
        log_conflict(c, now, customer, &record.id, conflict)?;
    }
    match merge.outcome {
        MergeOutcome::InSync | MergeOutcome::DeletedRemotely => {
            write_copy(c, lk, now, customer, record, 0, stats)?;
        }
        MergeOutcome::Locked => {
            quarantine(c, now, customer, local, "locked", "the server released or locked the entry while it was edited here", &[])?;
            write_copy(c, lk, now, customer, record, 0, stats)?;
        }
        MergeOutcome::Pending => {
            let merged = record.with_user_fields(&merge.fields);
            let pk = write_copy(c, lk, now, customer, &merged, pending.max(1), stats)?;
            resettle_local(c, lk, now, customer, pk)?;
        }
    }
    Ok(())
}

/// Re-settles a pending local copy (units, status) without counting it as a new change.
fn resettle_local(c: &Connection, lk: &mut Lookups, now: Timestamp, customer: &ObjectId, pk: i64) -> Result<()> {
    let id: ObjectId = c.prepare_cached("SELECT id FROM entries WHERE pk = ?1")?.query_row(params![pk], |r| r.get(0))?;
    if let Some((pk, mut e)) = store::find(c, lk, customer, &id)? {
        if e.status.is_editable() && !e.is_locked && !e.is_deleted {
            store::settle_and_save(c, lk, now, pk, &mut e)?;
        }
    }
    Ok(())
}

fn quarantine(c: &Connection, now: Timestamp, customer: &ObjectId, local: &SyncedEntry, code: &str, reason: &str, failures: &[RuleFailure]) -> Result<()> {
    let failures = serde_json::to_string(failures).map_err(storage)?;
    let local_json = serde_json::to_string(local).map_err(storage)?;
    c.prepare_cached(
        "INSERT INTO sync_quarantine (customer_id, entry_id, code, reason, failures, local, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT DO UPDATE SET code = ?3, reason = ?4, failures = ?5, local = ?6, at = ?7",
    )?
    .execute(params![customer, local.id, code, reason, failures, local_json, now.millis()])?;
    Ok(())
}

fn log_conflict(c: &Connection, now: Timestamp, customer: &ObjectId, id: &ObjectId, conflict: &FieldConflict) -> Result<()> {
    c.prepare_cached("INSERT INTO sync_conflicts (customer_id, entry_id, field, local_value, server_value, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
        .execute(params![customer, id, conflict.field.as_str(), conflict.local.to_string(), conflict.server.to_string(), now.millis()])?;
    Ok(())
}

/// The device's pull position.
pub(crate) fn cursor(c: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<PullCursor> {
    Ok(c.prepare_cached("SELECT entry_cursor, reference_cursor FROM sync_devices WHERE customer_id = ?1 AND user_id = ?2")?
        .query_row(params![customer, user], |r| Ok(PullCursor { entry_seq: r.get(0)?, reference_seq: r.get(1)? }))
        .optional()?
        .unwrap_or_default())
}

/// Applies one pull page: reference data first (when newer than this device's), then each entry
/// newer than its mirror, merged with local pending changes (a download never overwrites a field
/// changed here; a field changed on both sides takes the server's value and is logged). The
/// cursor moves only when the page starts at or before it, so a reordered or repeated page is
/// harmless and a skipped one is fetched again.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply_pull(
    c: &Connection,
    lk: &mut Lookups,
    now: Timestamp,
    customer: &ObjectId,
    user: &ObjectId,
    page: &PullPage,
    stats: &Stats,
) -> Result<PullSummary> {
    register(c, customer, user)?;
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
    let mut at = cursor(c, customer, user)?;
    if let Some(reference) = &page.reference {
        if reference.seq > at.reference_seq {
            super::server::apply_snapshot(c, customer, user, reference)?;
            *lk = Lookups::default();
            at.reference_seq = reference.seq;
            summary.reference_applied = true;
            let pending: Vec<i64> = c
                .prepare_cached("SELECT pk FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND local_changes > 0")?
                .query_map(params![customer, user], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for pk in pending {
                resettle_local(c, lk, now, customer, pk)?;
            }
        }
    }
    let allow = lk.settings(c, customer)?.allow_post_release_edit;
    // Entries new to this device are stored as an import stores them: neighbours read once per
    // interval, the entries they meet refreshed once at the end of the page.
    let mut inserter = store::Inserter::new(c)?;
    for remote in &page.entries {
        if mirror_version(c, customer, &remote.id)?.is_some_and(|v| v >= remote.version) {
            summary.skipped += 1;
            continue;
        }
        summary.pulled += 1;
        let found = store::pk_of(c, customer, &remote.id)?;
        let pending = match found {
            Some(pk) => store::local_changes(c, pk)?,
            None => 0,
        };
        let runs = remote.sources.iter().any(|s| s.ended_at.is_none());
        match pending {
            _ if found.is_none() && !runs => {
                let mut e = remote.to_entry(*customer);
                let pk = inserter.insert_new(&mut e, None, stats)?;
                // The insert counted it as a local change of a registered device: it is not.
                store::set_local_changes(c, pk, 0)?;
            }
            p if p > 0 => {
                let local = local_copy(c, lk, customer, &remote.id)?;
                let base = mirror(c, customer, &remote.id)?;
                let merge = reconcile(base.as_ref().map(SyncedEntry::user_fields).as_ref(), &local.user_fields(), &remote.user_fields(), allow);
                summary.conflicts += u64::try_from(merge.conflicts.len()).unwrap_or(0);
                if merge.outcome == MergeOutcome::Locked {
                    summary.quarantined += 1;
                }
                write_merge(c, lk, now, customer, remote, &local, &merge, pending, stats)?;
            }
            _ => {
                write_copy(c, lk, now, customer, remote, 0, stats)?;
            }
        }
        set_mirror(c, customer, remote)?;
    }
    inserter.finish(stats)?;
    if page.after.entry_seq <= at.entry_seq {
        at.entry_seq = at.entry_seq.max(page.next.entry_seq);
    }
    c.prepare_cached("UPDATE sync_devices SET entry_cursor = ?3, reference_cursor = ?4 WHERE customer_id = ?1 AND user_id = ?2")?.execute(params![
        customer,
        user,
        at.entry_seq,
        at.reference_seq
    ])?;
    Ok(summary)
}

/// Writes a copy of an entry on this device with `counter` unsent changes, after the
/// running-timer rule ([`resolve_running_timers`]): when the copy has a running session while
/// another entry of the user runs one here, the later start keeps running and the other stops at
/// that instant (a stop made here is a local change, sent with the next push). Returns the pk.
#[allow(clippy::too_many_arguments)]
fn write_copy(c: &Connection, lk: &mut Lookups, now: Timestamp, customer: &ObjectId, copy: &SyncedEntry, counter: i64, stats: &Stats) -> Result<i64> {
    write_copy_at(c, lk, now, customer, None, copy, counter, stats)
}

/// [`write_copy`] of an entry whose pk is known (`Some`), or to be looked up.
#[allow(clippy::too_many_arguments)]
fn write_copy_at(
    c: &Connection,
    lk: &mut Lookups,
    now: Timestamp,
    customer: &ObjectId,
    pk: Option<i64>,
    copy: &SyncedEntry,
    counter: i64,
    stats: &Stats,
) -> Result<i64> {
    let user = copy.user_id;
    let mut copy = std::borrow::Cow::Borrowed(copy);
    let mut counter = counter;
    if let Some(running) = copy.sources.iter().position(|s| s.ended_at.is_none()) {
        if let Some((source_pk, Some(entry_pk), started)) = store::running_session(c, customer, &user)? {
            let entry_id: ObjectId = c.prepare_cached("SELECT id FROM entries WHERE pk = ?1")?.query_row(params![entry_pk], |r| r.get(0))?;
            if entry_id != copy.id {
                let incoming_start = copy.sources.get(running).map(|s| s.started_at).unwrap_or(now);
                match resolve_running_timers((started, entry_id), (incoming_start, copy.id)) {
                    TimerResolution::StopExisting { at } => {
                        close_session_settled(c, lk, now, &Scope::new(*customer, user), source_pk, entry_pk, started, at, stats)?;
                    }
                    TimerResolution::StopIncoming { at } => {
                        let zone = lk.zone(c, customer, &user)?;
                        if let Some(s) = copy.to_mut().sources.get_mut(running) {
                            s.ended_at = Some(at.min(s.started_at.local_date(zone).last_millisecond_in(zone)).max(s.started_at));
                        }
                        counter = counter.max(1);
                    }
                }
            }
        }
    }
    store::write_synced(c, pk, &copy.to_entry(*customer), counter, stats)
}

/// The device's sync state.
pub(crate) fn status(c: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<SyncStatus> {
    let (pending, oldest): (i64, Option<i64>) = c
        .prepare_cached("SELECT count(*), min(updated_at) FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND local_changes > 0")?
        .query_row(params![customer, user], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let quarantined: i64 = c.prepare_cached("SELECT count(*) FROM sync_quarantine WHERE customer_id = ?1")?.query_row(params![customer], |r| r.get(0))?;
    let conflicts: i64 = c.prepare_cached("SELECT count(*) FROM sync_conflicts WHERE customer_id = ?1")?.query_row(params![customer], |r| r.get(0))?;
    let device: Option<(Option<String>, Option<String>, Option<i64>)> = c
        .prepare_cached("SELECT inflight, last_error, last_success_at FROM sync_devices WHERE customer_id = ?1 AND user_id = ?2")?
        .query_row(params![customer, user], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let (inflight, last_error, last_success) = device.unwrap_or((None, None, None));
    Ok(SyncStatus {
        pending: u64::try_from(pending).unwrap_or(0),
        oldest_pending_at: oldest.map(Timestamp::from_millis).transpose()?,
        quarantined: u64::try_from(quarantined).unwrap_or(0),
        conflicts: u64::try_from(conflicts).unwrap_or(0),
        push_in_flight: inflight.is_some(),
        last_error,
        last_success_at: last_success.map(Timestamp::from_millis).transpose()?,
        cursor: cursor(c, customer, user)?,
    })
}

/// Records the outcome of a sync run.
pub(crate) fn record_outcome(c: &Connection, now: Timestamp, customer: &ObjectId, user: &ObjectId, error: Option<&str>) -> Result<()> {
    register(c, customer, user)?;
    match error {
        None => c
            .prepare_cached("UPDATE sync_devices SET last_error = NULL, last_success_at = ?3 WHERE customer_id = ?1 AND user_id = ?2")?
            .execute(params![customer, user, now.millis()])?,
        Some(e) => c.prepare_cached("UPDATE sync_devices SET last_error = ?3 WHERE customer_id = ?1 AND user_id = ?2")?.execute(params![customer, user, e])?,
    };
    Ok(())
}

/// Quarantined local changes, oldest first.
pub(crate) fn quarantined(c: &Connection, customer: &ObjectId) -> Result<Vec<Quarantined>> {
    let rows: Vec<(ObjectId, String, String, String, String, i64)> = c
        .prepare_cached("SELECT entry_id, code, reason, failures, local, at FROM sync_quarantine WHERE customer_id = ?1 ORDER BY at, entry_id")?
        .query_map(params![customer], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(entry_id, code, reason, failures, local, at)| {
            Ok(Quarantined {
                entry_id,
                code,
                reason,
                failures: serde_json::from_str(&failures).map_err(storage)?,
                local: serde_json::from_str(&local).map_err(storage)?,
                at: Timestamp::from_millis(at)?,
            })
        })
        .collect()
}

fn take_quarantined(c: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<SyncedEntry> {
    let local: Option<String> = c
        .prepare_cached("SELECT local FROM sync_quarantine WHERE customer_id = ?1 AND entry_id = ?2")?
        .query_row(params![customer, id], |r| r.get(0))
        .optional()?;
    let local = local.ok_or_else(|| TenthsError::not_found("quarantined change", id))?;
    c.prepare_cached("DELETE FROM sync_quarantine WHERE customer_id = ?1 AND entry_id = ?2")?.execute(params![customer, id])?;
    serde_json::from_str(&local).map_err(storage)
}

/// Puts a quarantined change back in the queue: its fields over the current copy, pending.
pub(crate) fn retry(c: &Connection, lk: &mut Lookups, now: Timestamp, customer: &ObjectId, id: &ObjectId, stats: &Stats) -> Result<()> {
    let refused = take_quarantined(c, customer, id)?;
    let (_, current) = local(c, lk, customer, id)?.ok_or_else(|| TenthsError::not_found("entry", id))?;
    let mut fields = refused.user_fields();
    // A release the server refused is not asked again by a retry of the edit; the user
    // releases again once the rules pass.
    if refused.is_locked && !current.is_locked {
        fields.released = false;
    }
    let pk = write_copy(c, lk, now, customer, &current.with_user_fields(&fields), 1, stats)?;
    resettle_local(c, lk, now, customer, pk)
}

/// Drops a quarantined change (if any) and any unsent change of the entry: the server's copy
/// (the mirror) is restored.
pub(crate) fn discard_local_changes(c: &Connection, lk: &mut Lookups, now: Timestamp, customer: &ObjectId, id: &ObjectId, stats: &Stats) -> Result<()> {
    let _ = take_quarantined(c, customer, id);
    match mirror(c, customer, id)? {
        Some(m) => {
            write_copy(c, lk, now, customer, &m, 0, stats)?;
        }
        None => {
            let pk = store::pk_of(c, customer, id)?.ok_or_else(|| TenthsError::not_found("entry", id))?;
            store::set_local_changes(c, pk, 0)?;
        }
    }
    Ok(())
}

/// The conflict log, oldest first.
pub(crate) fn conflicts(c: &Connection, customer: &ObjectId) -> Result<Vec<ConflictRecord>> {
    let rows: Vec<(i64, ObjectId, String, String, String, i64)> = c
        .prepare_cached("SELECT seq, entry_id, field, local_value, server_value, at FROM sync_conflicts WHERE customer_id = ?1 ORDER BY seq")?
        .query_map(params![customer], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(seq, entry_id, field, l, s, at)| {
            Ok(ConflictRecord {
                seq,
                entry_id,
                field,
                local_value: serde_json::from_str(&l).map_err(storage)?,
                server_value: serde_json::from_str(&s).map_err(storage)?,
                at: Timestamp::from_millis(at)?,
            })
        })
        .collect()
}
