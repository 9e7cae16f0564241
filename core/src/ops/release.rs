//! Release: an entry or a whole day to the PMS, the connector's answers (succeeded, one or a
//! batch; failed), and taking a release back. The status machine decides whether each may
//! happen and its whole effect ([`crate::rules::status::effect`]); the validation rules decide
//! whether an entry is ready.

use super::entries::{find_scoped, settle_and_save};
use super::events::record;
use super::settle::{pending_failure, settled_verdict};
use super::timers::close_running;
use super::{decide, is_fatal, Cx, Scope};
use crate::error::{Result, TenthsError};
use crate::model::events::EventKind;
use crate::model::*;
use crate::rules::ids::{check_external_id, ObjectId};
use crate::rules::status::{self, MachineSettings, Operation, Refusal};
use crate::rules::time::Date;
use crate::rules::validation::Verdict;
use crate::store::{Counter, EntryKey, Listing};

/// Releases an entry found in this transaction whose rules pass; a failing entry answers
/// `ValidationFailed` with its rules, a waiting one a conflict.
pub(crate) fn release_found(cx: &mut Cx<'_>, scope: &Scope, key: EntryKey, e: &mut Entry) -> Result<()> {
    let verdict = settled_verdict(cx.tx, cx.refs, cx.now, e)?;
    release_settled(cx, scope, key, e, verdict, "release")
}

/// Releases an entry already settled by [`settled_verdict`], which answered `verdict`.
fn release_settled(cx: &mut Cx<'_>, scope: &Scope, key: EntryKey, e: &mut Entry, verdict: Verdict, operation: &str) -> Result<()> {
    let settings = cx.settings(&scope.customer)?;
    let state = e.state();
    let op = Operation::Release { rules_pass: verdict == Verdict::Succeeded };
    let transition = match status::transition(&state, &op, MachineSettings { allow_post_release_edit: settings.allow_post_release_edit }) {
        Ok(t) => t,
        Err(Refusal::RulesFail) => {
            return Err(match verdict {
                Verdict::Failed(failures) => TenthsError::ValidationFailed { failures },
                _ => TenthsError::conflict(format!("the entry is waiting for data: {}", pending_failure(e).description)),
            })
        }
        Err(r) => return Err(status::refusal_error(r, &state, &op, e.id.as_str())),
    };
    let before = e.clone();
    e.apply(&status::effect(&op, &transition), cx.now, scope.actor);
    cx.tx.update_entry(key, e, Counter::Bump)?;
    record(cx, EventKind::Released, operation, Some(&before), e)
}

/// Releases one entry of the user (a timer past its local day is stopped first).
pub(crate) fn release(cx: &mut Cx<'_>, scope: &Scope, id: &ObjectId) -> Result<Entry> {
    close_running(cx, &scope.customer, &scope.user, true)?;
    let (key, mut e) = find_scoped(cx.tx, cx.refs, &scope.customer, Some(&scope.user), id)?;
    release_found(cx, scope, key, &mut e)?;
    Ok(e)
}

/// Releases every editable entry of a day: all or nothing, or the ready subset.
pub(crate) fn release_day(cx: &mut Cx<'_>, scope: &Scope, work_date: Date, mode: ReleaseDayMode) -> Result<ReleaseDayResult> {
    close_running(cx, &scope.customer, &scope.user, true)?;
    let mut rows = cx.tx.list(&scope.customer, Listing::UserDayEditable { user: &scope.user, day: work_date })?;
    cx.refs.fill_matters(cx.tx, rows.iter_mut().map(|(_, e)| e))?;
    let mut ready = Vec::new();
    let mut not_ready = Vec::new();
    for (key, mut probe) in rows {
        if !probe.status.is_editable() {
            continue;
        }
        // Settled once here; the release below applies this verdict (nothing it depends on
        // changes in between: releasing one entry never changes another's rules).
        match settled_verdict(cx.tx, cx.refs, cx.now, &mut probe)? {
            Verdict::Succeeded => ready.push((key, probe)),
            Verdict::Failed(errors) => not_ready.push(NotReady { entry_id: probe.id, errors }),
            Verdict::Pending => not_ready.push(NotReady { entry_id: probe.id, errors: vec![pending_failure(&probe)] }),
        }
    }
    if mode == ReleaseDayMode::AllOrNothing && !not_ready.is_empty() {
        return Ok(ReleaseDayResult { released: Vec::new(), not_ready });
    }
    let mut released = Vec::with_capacity(ready.len());
    for (key, mut e) in ready {
        release_settled(cx, scope, key, &mut e, Verdict::Succeeded, "release-day")?;
        released.push(e.id);
    }
    Ok(ReleaseDayResult { released, not_ready })
}

/// Checks the input of a release-succeeded report.
pub(crate) fn check_release_succeeded(external_id: Option<&str>, messages: Option<&[String]>) -> Result<()> {
    if let Some(x) = external_id {
        check_external_id(x, "externalId")?;
    }
    if let Some(list) = messages {
        if list.len() > MAX_BATCH_ITEMS {
            return Err(TenthsError::invalid("reReleaseFailedMessages", format!("at most {MAX_BATCH_ITEMS} messages")));
        }
        for (i, m) in list.iter().enumerate() {
            check_text(m, &format!("reReleaseFailedMessages[{i}]"), MAX_TEXT_BYTES)?;
        }
    }
    Ok(())
}

/// The connector reports a successful release (a repeat with the same PMS id is a no-op).
/// `user` narrows the scope when the route names the user; `operation` names the report in the
/// event log (single or batch).
pub(crate) fn release_succeeded(
    cx: &mut Cx<'_>,
    operation: &str,
    customer: &ObjectId,
    user: Option<&ObjectId>,
    id: &ObjectId,
    external_id: Option<&str>,
    messages: Option<&[String]>,
) -> Result<Entry> {
    check_release_succeeded(external_id, messages)?;
    let (key, mut e) = find_scoped(cx.tx, cx.refs, customer, user, id)?;
    let settings = cx.settings(customer)?;
    let op = Operation::ReleaseSucceeded { external_id: external_id.map(str::to_string) };
    let transition = decide(&e, &op, &settings)?;
    let effect = status::effect(&op, &transition);
    if effect == status::Effect::default() {
        return Ok(e);
    }
    let before = e.clone();
    if let Some(m) = messages {
        e.re_release_failed_messages = m.to_vec();
    }
    e.apply(&effect, cx.now, e.user_id);
    cx.tx.update_entry(key, &e, Counter::Bump)?;
    record(cx, EventKind::ReleaseSucceeded, operation, Some(&before), &e)?;
    Ok(e)
}

/// Batch release-succeeded: one result per item, in input order; one bad item never fails the
/// others (each item has its own savepoint).
pub(crate) fn release_succeeded_batch(cx: &mut Cx<'_>, customer: &ObjectId, items: &[ReleaseSucceededItem]) -> Result<Vec<BatchItemResult>> {
    if items.len() > MAX_BATCH_ITEMS {
        return Err(TenthsError::TooLarge { reason: format!("at most {MAX_BATCH_ITEMS} items per batch") });
    }
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        cx.tx.savepoint()?;
        let outcome = (|| {
            let id = ObjectId::parse_field(&item.entry_id, "entryId")?;
            let user = item.user_id.as_deref().map(|u| ObjectId::parse_field(u, "userId")).transpose()?;
            release_succeeded(
                cx,
                "release-succeeded-batch",
                customer,
                user.as_ref(),
                &id,
                item.external_id.as_deref(),
                item.re_release_failed_messages.as_deref(),
            )
        })();
        match outcome {
            Ok(_) => {
                cx.tx.release_savepoint()?;
                results.push(BatchItemResult { entry_id: item.entry_id.clone(), status: "ok".into(), error: None });
            }
            Err(e) => {
                cx.tx.rollback_savepoint()?;
                cx.refs.rollback();
                if is_fatal(&e) {
                    return Err(e);
                }
                results.push(BatchItemResult { entry_id: item.entry_id.clone(), status: e.kind().code().into(), error: Some(e.to_string()) });
            }
        }
    }
    Ok(results)
}

/// The connector reports a failed release with the PMS messages (at least one).
pub(crate) fn release_failed(cx: &mut Cx<'_>, customer: &ObjectId, user: Option<&ObjectId>, id: &ObjectId, errors: &[String]) -> Result<Entry> {
    if errors.is_empty() {
        return Err(TenthsError::invalid("errors", "at least one error message is required"));
    }
    if errors.len() > MAX_BATCH_ITEMS {
        return Err(TenthsError::invalid("errors", format!("at most {MAX_BATCH_ITEMS} messages")));
    }
    for (i, m) in errors.iter().enumerate() {
        if is_blank(m) {
            return Err(TenthsError::invalid(format!("errors[{i}]"), "must not be empty"));
        }
        check_text(m, &format!("errors[{i}]"), MAX_TEXT_BYTES)?;
    }
    let (key, mut e) = find_scoped(cx.tx, cx.refs, customer, user, id)?;
    let settings = cx.settings(customer)?;
    let transition = decide(&e, &Operation::ReleaseFailed, &settings)?;
    let before = e.clone();
    e.release_failed_errors =
        errors.iter().map(|m| ReleaseFailure { original_message: m.clone(), title: "Rejected by the PMS".into(), description: m.clone() }).collect();
    e.apply(&status::effect(&Operation::ReleaseFailed, &transition), cx.now, e.user_id);
    cx.tx.update_entry(key, &e, Counter::Bump)?;
    record(cx, EventKind::ReleaseFailed, "release-failed", Some(&before), &e)?;
    Ok(e)
}

/// Takes back the release of an entry found in this transaction: unlocks and re-validates;
/// keeps `externalId` and `releaseCount`.
pub(crate) fn unrelease_found(cx: &mut Cx<'_>, scope: &Scope, key: EntryKey, mut e: Entry) -> Result<Entry> {
    let settings = cx.settings(&scope.customer)?;
    let transition = decide(&e, &Operation::Unrelease, &settings)?;
    let before = e.clone();
    e.apply(&status::effect(&Operation::Unrelease, &transition), cx.now, scope.actor);
    settle_and_save(cx, key, &mut e)?;
    record(cx, EventKind::Unreleased, "unrelease", Some(&before), &e)?;
    Ok(e)
}

/// Takes back the release of an entry of the user.
pub(crate) fn unrelease(cx: &mut Cx<'_>, scope: &Scope, id: &ObjectId) -> Result<Entry> {
    let (key, e) = find_scoped(cx.tx, cx.refs, &scope.customer, Some(&scope.user), id)?;
    unrelease_found(cx, scope, key, e)
}
