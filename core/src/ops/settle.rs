//! Settling an entry: its matter, raw seconds and units from the unit rules, and, while it is
//! editable and unlocked, its validation status from the validation rules. The facts come from
//! the reference cache; the decisions are [`crate::rules::units`] and
//! [`crate::rules::validation`]. Nothing here writes.

use crate::error::{Result, RuleFailure};
use crate::model::*;
use crate::rules::status::Status;
use crate::rules::time::Timestamp;
use crate::rules::units;
use crate::rules::validation::{self, CodeFacts, EntryFacts, InitiativeFacts, Verdict};
use crate::store::{ReadTx, RefCache};

/// Recomputes the derived figures of an entry in memory: its matter, raw seconds and units,
/// and, while it is editable (and not locked), its validation status. Returns the verdict it
/// applied, or `None` when the entry's status was left as it is.
pub(crate) fn settle(tx: &mut dyn ReadTx, refs: &mut RefCache, now: Timestamp, e: &mut Entry) -> Result<Option<Verdict>> {
    let settings = refs.settings(tx, &e.customer_id)?;
    let (initiative, initiative_ref) = match &e.initiative_id {
        Some(id) => (refs.initiative(tx, &e.customer_id, id)?, refs.initiative_ref(tx, &e.customer_id, id)?),
        None => (None, None),
    };
    e.initiative = initiative_ref;
    let increment = initiative.as_ref().map(|i| i.unit_increments).unwrap_or(settings.default_unit_increments);
    let measured = if e.sources.is_empty() {
        e.entered_duration_in_seconds.unwrap_or(0)
    } else {
        let ms = e.sources.iter().filter_map(|s| s.ended_at.map(|end| end.millis() - s.started_at.millis())).fold(0i64, |a, b| a.saturating_add(b));
        units::millis_to_seconds(ms)
    };
    let raw = units::raw_seconds(measured, e.timer_duration_adjustment_in_seconds)?;
    let u = units::compute(raw, increment, e.unit_increment_count_adjustments, settings.policy())?;
    e.raw_seconds = u.raw_seconds;
    e.unit_increments = u.increment_seconds;
    e.unit_increment_count_from_sources = u.from_sources;
    if e.is_locked || !e.status.is_editable() {
        return Ok(None);
    }
    let v = verdict(tx, refs, now, e, initiative.as_deref())?;
    match &v {
        Verdict::Pending => {
            e.status = Status::ValidationPending;
            e.validation_failed_errors.clear();
        }
        Verdict::Succeeded => {
            e.status = Status::ValidationSucceeded;
            e.validation_failed_errors.clear();
        }
        Verdict::Failed(f) => {
            e.status = Status::ValidationFailed;
            e.validation_failed_errors = f.clone();
        }
    }
    e.release_failed_errors.clear();
    Ok(Some(v))
}

/// Runs the validation rules on an entry as it is now.
pub(crate) fn verdict(tx: &mut dyn ReadTx, refs: &mut RefCache, now: Timestamp, e: &Entry, initiative: Option<&Initiative>) -> Result<Verdict> {
    let initiative_facts = match (&e.initiative_id, initiative) {
        (None, _) => InitiativeFacts::Missing,
        (Some(_), None) => InitiativeFacts::Unknown,
        (Some(_), Some(i)) => InitiativeFacts::Known {
            is_pms: i.kind == InitiativeType::Pms,
            is_active: i.status == InitiativeStatus::Active,
            user_denied: i.denied_user_ids.contains(&e.user_id) || (!i.allowed_user_ids.is_empty() && !i.allowed_user_ids.contains(&e.user_id)),
            allowed_code_ids: i.allowed_code_ids.as_ref().map(|ids| ids.iter().map(|id| id.to_string()).collect()),
        },
    };
    let mut codes = Vec::with_capacity(e.codes.len());
    for c in &e.codes {
        let disabled = refs.code(tx, &e.customer_id, &c.id)?.map(|c| c.is_disabled).unwrap_or(true);
        codes.push(CodeFacts {
            id: c.id.to_string(),
            external_id: c.external_id.clone(),
            code_type_external_id: c.code_type_external_id.clone(),
            is_disabled: disabled,
        });
    }
    let rules = refs.rules(tx, &e.customer_id, e.initiative_id.as_ref())?;
    let zone = refs.zone(tx, &e.customer_id, &e.user_id)?;
    let facts = EntryFacts {
        initiative: initiative_facts,
        summary: &e.summary,
        codes: &codes,
        raw_seconds: e.raw_seconds,
        billed_seconds: e.increment_duration_in_seconds(),
        unit_count: e.unit_increment_count(),
        work_date: e.work_date,
        today: now.local_date(zone),
        timer_running: e.timer_running(),
    };
    Ok(validation::validate(&facts, &rules))
}

/// Settles an editable, unlocked entry and answers the verdict a release checks: the one the
/// settling applied, else (an editable entry left as it is) a fresh one, else (not editable)
/// `Succeeded`.
pub(crate) fn settled_verdict(tx: &mut dyn ReadTx, refs: &mut RefCache, now: Timestamp, e: &mut Entry) -> Result<Verdict> {
    let applied = if e.status.is_editable() && !e.is_locked { settle(tx, refs, now, e)? } else { None };
    match applied {
        Some(v) => Ok(v),
        None if e.status.is_editable() => {
            let initiative = match &e.initiative_id {
                Some(id) => refs.initiative(tx, &e.customer_id, id)?,
                None => None,
            };
            verdict(tx, refs, now, e, initiative.as_deref())
        }
        None => Ok(Verdict::Succeeded),
    }
}

/// Why an entry waits (the `pending` verdict, as a failure a caller can show).
pub(crate) fn pending_failure(e: &Entry) -> RuleFailure {
    let description = if e.timer_running() { "Stop the running timer first." } else { "The entry's matter is not known on this device yet." };
    RuleFailure { rule: "pending".into(), title: "Waiting for data".into(), description: description.into() }
}
