//! Timers: a timer entry runs one session at a time, a user runs one timer at a time, and a
//! session never runs past the end of its local day (it is capped there by the next action).

use super::entries::{blank_entry, find, find_scoped, settle_and_save};
use super::events::record;
use super::overlap::{intervals, refresh_overlap};
use super::settle::settle;
use super::{decide, Cx, Scope};
use crate::error::{Result, TenthsError};
use crate::model::events::EventKind;
use crate::model::*;
use crate::rules::ids::ObjectId;
use crate::rules::status::{self, Operation};
use crate::rules::time::Timestamp;
use crate::store::{EntryKey, SourceKey};

/// Start of a timer.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimerStart {
    #[serde(default, rename = "_id")]
    pub id: Option<ObjectId>,
    #[serde(default)]
    pub initiative_id: Option<ObjectId>,
    #[serde(default)]
    pub summary: Option<String>,
}

fn new_session(now: Timestamp) -> Source {
    Source { id: ObjectId::generate(now.millis() / 1000), kind: SourceKind::Timer, started_at: now, ended_at: None, title: None }
}

/// Starts a timer: a new timer entry with a running session. The user's other running timer
/// is stopped in the same transaction.
pub(crate) fn start(cx: &mut Cx<'_>, scope: &Scope, input: &TimerStart) -> Result<Entry> {
    if let Some(s) = &input.summary {
        check_text(s, "summary", MAX_TEXT_BYTES)?;
    }
    close_running(cx, &scope.customer, &scope.user, false)?;
    let new = NewEntry {
        id: input.id,
        initiative_id: input.initiative_id,
        summary: input.summary.clone(),
        creation_method: Some("timer".into()),
        ..NewEntry::default()
    };
    cx.refs.ensure_user(cx.tx, &scope.customer, &scope.user, cx.now)?;
    let zone = cx.zone(&scope.customer, &scope.user)?;
    let mut e = blank_entry(scope, &new, cx.now, cx.now.local_date(zone));
    e.created_as_timer = true;
    if cx.tx.entry_key(&scope.customer, &e.id)?.is_some() {
        return Err(TenthsError::conflict("an entry with this _id already exists"));
    }
    e.sources = vec![new_session(cx.now)];
    settle(cx.tx, cx.refs, cx.now, &mut e)?;
    cx.tx.insert_entry(&e, None)?;
    record(cx, EventKind::TimerStarted, "timer-start", None, &e)?;
    Ok(e)
}

/// Stops the entry's running session (at the end of its local day if it ran past midnight).
pub(crate) fn stop(cx: &mut Cx<'_>, scope: &Scope, id: &ObjectId) -> Result<Entry> {
    let (key, mut e) = find_scoped(cx.tx, cx.refs, &scope.customer, Some(&scope.user), id)?;
    let settings = cx.settings(&scope.customer)?;
    decide(&e, &Operation::Edit, &settings)?;
    match cx.tx.running_session(&scope.customer, &scope.user)? {
        Some(running) if running.entry.is_some_and(|(k, _)| k == key) => {
            let zone = cx.zone(&scope.customer, &scope.user)?;
            let cap = running.started_at.local_date(zone).last_millisecond_in(zone);
            cx.tx.close_session(&scope.customer, running.source, cx.now.min(cap))?;
            let before = e.clone();
            after_sources_changed(cx, scope, key, &mut e)?;
            record(cx, EventKind::TimerStopped, "timer-stop", Some(&before), &e)?;
            Ok(e)
        }
        _ => Err(TenthsError::conflict("the timer of this entry is not running")),
    }
}

/// Resumes a timer entry on its own local day (a new session); stops the user's other timer.
pub(crate) fn resume(cx: &mut Cx<'_>, scope: &Scope, id: &ObjectId) -> Result<Entry> {
    close_running(cx, &scope.customer, &scope.user, true)?;
    let (key, e) = find_scoped(cx.tx, cx.refs, &scope.customer, Some(&scope.user), id)?;
    if !e.created_as_timer {
        return Err(TenthsError::conflict("only a timer entry can be resumed"));
    }
    if e.timer_running() {
        return Err(TenthsError::conflict("the timer is already running"));
    }
    let settings = cx.settings(&scope.customer)?;
    let transition = decide(&e, &Operation::Edit, &settings)?;
    let zone = cx.zone(&scope.customer, &scope.user)?;
    if cx.now.local_date(zone) != e.work_date {
        return Err(TenthsError::conflict(format!("a timer resumes only on its own day ({}); start a new timer", e.work_date)));
    }
    close_running(cx, &scope.customer, &scope.user, false)?;
    let (_, mut e) = find_scoped(cx.tx, cx.refs, &scope.customer, Some(&scope.user), id)?;
    let before = e.clone();
    let effect = status::effect(&Operation::Edit, &transition);
    // The write's own touch comes with the new session (below), once.
    e.apply(&status::Effect { touch: false, ..effect }, cx.now, scope.actor);
    cx.tx.insert_source(&scope.customer, &scope.user, key, &new_session(cx.now))?;
    after_sources_changed(cx, scope, key, &mut e)?;
    record(cx, EventKind::TimerResumed, "timer-resume", Some(&before), &e)?;
    Ok(e)
}

/// Re-reads the sources of an entry after a session opened or closed, settles and saves it,
/// and refreshes overlap around the old and new intervals.
fn after_sources_changed(cx: &mut Cx<'_>, scope: &Scope, key: EntryKey, e: &mut Entry) -> Result<()> {
    let mut touched = intervals(&e.sources);
    e.sources = cx.tx.sources(&scope.customer, key)?;
    touched.extend(intervals(&e.sources));
    e.touch(cx.now);
    settle_and_save(cx, key, e)?;
    e.overlap_time_in_seconds = refresh_overlap(cx.tx, &scope.customer, &scope.user, key, &touched, cx.stats)?;
    Ok(())
}

/// Stops the user's running timer at `now` or at the end of its local day; with
/// `only_past_midnight`, only a timer that ran past the end of its local day.
pub(crate) fn close_running(cx: &mut Cx<'_>, customer: &ObjectId, user: &ObjectId, only_past_midnight: bool) -> Result<()> {
    let Some(running) = cx.tx.running_session(customer, user)? else { return Ok(()) };
    let zone = cx.zone(customer, user)?;
    let cap = running.started_at.local_date(zone).last_millisecond_in(zone);
    if only_past_midnight && cx.now <= cap {
        return Ok(());
    }
    // The entry as it was, for the event log (read before the session closes).
    let before = match running.entry {
        Some((key, _)) => Some(cx.tx.entry_by_key(customer, key)?),
        None => None,
    };
    cx.tx.close_session(customer, running.source, cx.now.min(cap))?;
    if let Some((key, id)) = running.entry {
        if let Some((_, mut e)) = find(cx.tx, cx.refs, customer, &id)? {
            // The session just closed: `e.sources` already shows it closed; overlap is
            // refreshed around it.
            let touched = intervals(&e.sources);
            e.touch(cx.now);
            settle_and_save(cx, key, &mut e)?;
            refresh_overlap(cx.tx, customer, user, key, &touched, cx.stats)?;
            record(cx, EventKind::TimerStopped, "timer-auto-stop", before.as_ref(), &e)?;
        }
    }
    Ok(())
}

/// Closes the running session `source` (of entry `key`, started at `started`) at `at`, capped
/// at the end of its local day, and settles its entry.
pub(crate) fn close_session_settled(cx: &mut Cx<'_>, scope: &Scope, source: SourceKey, key: EntryKey, started: Timestamp, at: Timestamp) -> Result<()> {
    let zone = cx.zone(&scope.customer, &scope.user)?;
    let before = cx.tx.entry_by_key(&scope.customer, key)?;
    cx.tx.close_session(&scope.customer, source, at.min(started.local_date(zone).last_millisecond_in(zone)).max(started))?;
    let mut e = cx.tx.entry_by_key(&scope.customer, key)?;
    cx.fill_matter(&mut e)?;
    let touched = intervals(&e.sources);
    e.touch(cx.now);
    settle_and_save(cx, key, &mut e)?;
    refresh_overlap(cx.tx, &scope.customer, &scope.user, key, &touched, cx.stats)?;
    record(cx, EventKind::TimerStopped, "timer-auto-stop", Some(&before), &e)?;
    Ok(())
}
