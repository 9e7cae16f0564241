//! The server side of sync: applying a device's push under the same rules as the API
//! (tenancy, the status machine, validation), each operation at most once, with optimistic
//! concurrency on the base version; the pull feed of a user's changed entries after a cursor;
//! and the customer's reference data as a typed snapshot.

use super::*;
use crate::error::{Result, RuleFailure, TenthsError};
use crate::ops::entries::{create_synced, delete_found, find, find_scoped, resolve_codes, settle_and_save, settle_incoming_sessions};
use crate::ops::overlap::{intervals, refresh_overlap, Inserter};
use crate::ops::release::{release_found, unrelease_found};
use crate::ops::{decide, is_fatal, Cx, Rx, Scope};
use crate::rules::ids::ObjectId;
use crate::rules::status::{self, Operation};
use crate::store::{EntryKey, ReadTx};

fn storage(e: impl std::fmt::Display) -> TenthsError {
    TenthsError::Storage { reason: e.to_string() }
}

/// Refuses a pull of a protocol version this server no longer (or does not yet) speak, naming
/// the versions it does.
pub(crate) fn check_protocol(version: u32) -> Result<()> {
    if !(OLDEST_PROTOCOL_VERSION..=PROTOCOL_VERSION).contains(&version) {
        let speaks = if OLDEST_PROTOCOL_VERSION == PROTOCOL_VERSION {
            format!("version {PROTOCOL_VERSION}")
        } else {
            format!("versions {OLDEST_PROTOCOL_VERSION} to {PROTOCOL_VERSION}")
        };
        return Err(TenthsError::invalid(
            "protocolVersion",
            format!("sync protocol version {version} is not supported; this server speaks {speaks}: update the app"),
        ));
    }
    Ok(())
}

/// The customer's reference data as of now, for `user`'s device.
pub(crate) fn snapshot(tx: &mut dyn ReadTx, customer: &ObjectId, user: &ObjectId) -> Result<ReferenceSnapshot> {
    Ok(ReferenceSnapshot {
        protocol_version: PROTOCOL_VERSION,
        seq: tx.reference_version(customer)?,
        settings: tx.customer_settings(customer)?.unwrap_or_default(),
        user_timezone: tx.user_timezone(customer, user)?,
        clients: tx.list_clients(customer)?,
        code_types: tx.list_code_types(customer)?,
        codes: tx.list_codes(customer)?,
        initiatives: tx.list_initiatives(customer)?,
        rules: tx.list_validation_rules(customer)?.into_iter().map(|(initiative_id, rules)| RulesRecord { initiative_id, rules: rules.into() }).collect(),
    })
}

/// One page of the pull feed: `user`'s entries changed after `after`, in change order, with the
/// reference snapshot when it changed since `after`.
pub(crate) fn changes(rx: &mut Rx<'_>, customer: &ObjectId, user: &ObjectId, after: PullCursor, limit: usize, protocol: u32) -> Result<PullPage> {
    check_protocol(protocol)?;
    if !(1..=MAX_SYNC_BATCH).contains(&limit) {
        return Err(TenthsError::invalid("limit", format!("must be between 1 and {MAX_SYNC_BATCH}")));
    }
    if after.entry_seq < 0 || after.reference_seq < 0 {
        return Err(TenthsError::invalid("entrySeq", "must not be negative"));
    }
    let mut rows = rx.tx.feed(customer, user, after.entry_seq, limit.saturating_add(1))?;
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    rx.refs.fill_matters(rx.tx, rows.iter_mut().map(|(e, _)| e))?;
    let mut next = after;
    let mut entries = Vec::with_capacity(rows.len());
    for (e, seq) in rows {
        entries.push(SyncedEntry::from_entry(&e));
        next.entry_seq = seq;
    }
    let current = rx.tx.reference_version(customer)?;
    let reference = if current > after.reference_seq {
        next.reference_seq = current;
        Some(snapshot(rx.tx, customer, user)?)
    } else {
        None
    };
    Ok(PullPage { after, next, has_more, entries, reference })
}

/// Applies a device's push batch for `scope`'s user: each operation in its own savepoint, each
/// operation id at most once (a replay answers the first answer, with the entry's current copy).
pub(crate) fn apply_push(cx: &mut Cx<'_>, scope: &Scope, batch: &PushBatch) -> Result<PushResponse> {
    if batch.ops.len() > MAX_SYNC_BATCH {
        return Err(TenthsError::TooLarge { reason: format!("at most {MAX_SYNC_BATCH} operations per push") });
    }
    for (i, op) in batch.ops.iter().enumerate() {
        if op.base_version.is_some_and(|v| v < 1) {
            return Err(TenthsError::invalid(format!("ops[{i}].baseVersion"), "must be at least 1"));
        }
        op.entry.check(&format!("ops[{i}].entry"))?;
        if op.entry.user_id != scope.user {
            return Err(TenthsError::invalid(format!("ops[{i}].entry.userId"), "must be the user of the route"));
        }
    }
    let mut results = Vec::with_capacity(batch.ops.len());
    let mut inserter = Inserter::default();
    for op in &batch.ops {
        if let Some(answer) = cx.tx.applied_op(&scope.customer, &op.op_id)? {
            // The first answer, with the entry's current copy (never older than the first one's).
            let mut first: OpResult = serde_json::from_str(&answer).map_err(storage)?;
            first.record = record(cx, &scope.customer, &op.entry.id)?.filter(|r| r.user_id == scope.user);
            results.push(first);
            continue;
        }
        cx.tx.savepoint()?;
        // Every event of this operation is the device's change, with the device's time.
        cx.act.device_at = Some(op.entry.updated_at);
        let applied = apply_op(cx, scope, op, &mut inserter);
        cx.act.device_at = None;
        let result = match applied {
            Ok(r) => {
                cx.tx.release_savepoint()?;
                r
            }
            Err(e) => {
                cx.tx.rollback_savepoint()?;
                cx.refs.rollback();
                if is_fatal(&e) {
                    return Err(e);
                }
                let failures = match &e {
                    TenthsError::ValidationFailed { failures } => failures.clone(),
                    _ => Vec::new(),
                };
                rejected(cx, scope, op, e.kind().code(), &e.to_string(), failures)?
            }
        };
        // Stored without the copy: a replay answers the entry's copy as it is then.
        let answer = serde_json::to_string(&OpResult { record: None, ..result.clone() }).map_err(storage)?;
        cx.tx.record_applied_op(&scope.customer, &op.op_id, &scope.user, &answer, cx.now)?;
        results.push(result);
    }
    inserter.finish(cx.tx, cx.stats)?;
    Ok(PushResponse { batch_id: batch.batch_id, results })
}

fn record(cx: &mut Cx<'_>, customer: &ObjectId, id: &ObjectId) -> Result<Option<SyncedEntry>> {
    Ok(find(cx.tx, cx.refs, customer, id)?.map(|(_, e)| SyncedEntry::from_entry(&e)))
}

fn answer(cx: &mut Cx<'_>, scope: &Scope, op: &PushOp, outcome: OpOutcome) -> Result<OpResult> {
    Ok(OpResult {
        op_id: op.op_id,
        entry_id: op.entry.id,
        outcome,
        code: None,
        reason: None,
        failures: Vec::new(),
        record: record(cx, &scope.customer, &op.entry.id)?,
    })
}

fn rejected(cx: &mut Cx<'_>, scope: &Scope, op: &PushOp, code: &str, reason: &str, failures: Vec<RuleFailure>) -> Result<OpResult> {
    // Another user's entry of the same id is not shown.
    let record = record(cx, &scope.customer, &op.entry.id)?.filter(|r| r.user_id == scope.user);
    Ok(OpResult {
        op_id: op.op_id,
        entry_id: op.entry.id,
        outcome: OpOutcome::Rejected,
        code: Some(code.to_string()),
        reason: Some(reason.to_string()),
        failures,
        record,
    })
}

/// Applies one operation. An `Err` rolls the operation back and answers it rejected; a refused
/// release after applied edits keeps the edits and answers rejected with the failing rules.
fn apply_op(cx: &mut Cx<'_>, scope: &Scope, op: &PushOp, inserter: &mut Inserter) -> Result<OpResult> {
    let fields = op.entry.user_fields();
    let existing = find(cx.tx, cx.refs, &scope.customer, &op.entry.id)?;
    let key = match existing {
        Some((_, e)) if e.user_id != scope.user => return Err(TenthsError::conflict("an entry with this _id already exists")),
        Some((key, e)) => {
            if op.base_version != Some(e.version) {
                let settings = cx.settings(&scope.customer)?;
                let edits = op.changed.iter().any(|f| *f != SyncField::Released);
                if e.is_locked && edits && !settings.allow_post_release_edit && !e.is_deleted {
                    return rejected(cx, scope, op, "locked", "the entry was released or locked on the server", Vec::new());
                }
                return answer(cx, scope, op, OpOutcome::Conflict);
            }
            let edits: Vec<SyncField> = op.changed.iter().copied().filter(|f| !matches!(f, SyncField::Released | SyncField::IsDeleted)).collect();
            if op.changed.contains(&SyncField::IsDeleted) && fields.is_deleted && !e.is_deleted {
                delete_found(cx, scope, key, e)?;
                return answer(cx, scope, op, OpOutcome::Applied);
            }
            if !edits.is_empty() {
                apply_edits(cx, scope, key, e, &op.entry, &edits)?;
            }
            key
        }
        None => {
            if op.base_version.is_some() {
                return Err(TenthsError::not_found("entry", op.entry.id));
            }
            let (key, created) = create_synced(cx, scope, &op.entry, inserter)?;
            let releases = fields.released && op.changed.contains(&SyncField::Released);
            if !fields.is_deleted && !releases {
                // A plain create: the stored entry is the answer (no second read).
                return Ok(OpResult {
                    op_id: op.op_id,
                    entry_id: op.entry.id,
                    outcome: OpOutcome::Applied,
                    code: None,
                    reason: None,
                    failures: Vec::new(),
                    record: Some(SyncedEntry::from_entry(&created)),
                });
            }
            if fields.is_deleted {
                let (_, e) = find_scoped(cx.tx, cx.refs, &scope.customer, Some(&scope.user), &op.entry.id)?;
                delete_found(cx, scope, key, e)?;
                return answer(cx, scope, op, OpOutcome::Applied);
            }
            key
        }
    };
    if op.changed.contains(&SyncField::Released) {
        let (_, mut e) = find_scoped(cx.tx, cx.refs, &scope.customer, Some(&scope.user), &op.entry.id)?;
        if fields.released && !e.is_locked {
            match release_found(cx, scope, key, &mut e) {
                Ok(()) => {}
                Err(TenthsError::ValidationFailed { failures }) => {
                    return rejected(cx, scope, op, "validation_failed", "the server's rules refuse the release", failures);
                }
                Err(err) if !is_fatal(&err) => {
                    let code = err.kind().code();
                    return rejected(cx, scope, op, code, &err.to_string(), Vec::new());
                }
                Err(err) => return Err(err),
            }
        } else if !fields.released && e.is_locked {
            unrelease_found(cx, scope, key, e)?;
        }
    }
    answer(cx, scope, op, OpOutcome::Applied)
}

/// Applies the changed user fields of an entry whose base version is current.
fn apply_edits(cx: &mut Cx<'_>, scope: &Scope, key: EntryKey, mut e: crate::model::Entry, incoming: &SyncedEntry, edits: &[SyncField]) -> Result<()> {
    let settings = cx.settings(&scope.customer)?;
    let transition = decide(&e, &Operation::Edit, &settings)?;
    let mut touched = intervals(&e.sources);
    for f in edits {
        match f {
            SyncField::Summary => e.summary = incoming.summary.clone(),
            SyncField::Notes => e.notes = incoming.notes.clone(),
            SyncField::WorkDate => e.work_date = incoming.work_date,
            SyncField::InitiativeId => e.initiative_id = incoming.initiative_id,
            SyncField::CodeIds => {
                let ids: Vec<ObjectId> = incoming.codes.iter().map(|c| c.id).collect();
                e.codes = resolve_codes(cx, &scope.customer, &ids)?;
                cx.tx.replace_codes(&scope.customer, key, &e.codes)?;
            }
            SyncField::UnitIncrementCountAdjustments => e.unit_increment_count_adjustments = incoming.unit_increment_count_adjustments,
            SyncField::TimerDurationAdjustmentInSeconds => e.timer_duration_adjustment_in_seconds = incoming.timer_duration_adjustment_in_seconds,
            SyncField::EnteredDurationInSeconds => e.entered_duration_in_seconds = incoming.entered_duration_in_seconds,
            SyncField::Sources => {
                let sources = settle_incoming_sessions(cx, scope, &incoming.id, &incoming.sources)?;
                cx.tx.replace_sources(&scope.customer, &scope.user, key, &sources)?;
                e.sources = sources;
            }
            SyncField::IsDeleted | SyncField::Released => {}
        }
    }
    touched.extend(intervals(&e.sources));
    e.apply(&status::effect(&Operation::Edit, &transition), cx.now, scope.actor);
    settle_and_save(cx, key, &mut e)?;
    refresh_overlap(cx.tx, &scope.customer, &scope.user, key, &touched, cx.stats)?;
    Ok(())
}
