//! Entries: create (one, or a batch), read, list a user's dates (whole or in pages), edit,
//! delete, and the two ways a copy that came through sync is stored (created under the server's
//! rules, or written as it is on a device). Input is checked before anything is read; each
//! operation then reads the facts, asks the rules and writes the result.

use std::collections::HashSet;

use super::events::record;
use super::overlap::{intervals, refresh_overlap, Inserter};
use super::settle::settle;
use super::{decide, is_fatal, prefix_field, Cx, Rx, Scope};
use crate::error::{Result, TenthsError};
use crate::model::events::EventKind;
use crate::model::sync::{SyncedEntry, SyncedSource};
use crate::model::*;
use crate::rules::ids::{check_external_id, ObjectId};
use crate::rules::merge::{resolve_running_timers, TimerResolution};
use crate::rules::overlap::Interval;
use crate::rules::status::{self, Operation, Status};
use crate::rules::time::{Date, Timestamp};
use crate::rules::units::{MAX_ADJUSTMENT_UNITS, MAX_ENTERED_DURATION_SECONDS, MAX_TIMER_ADJUSTMENT_SECONDS};
use crate::store::{Counter, EntryKey, Listing, ReadTx, RefCache};

/// An entry by id (deleted ones too), with its matter.
pub(crate) fn find(tx: &mut dyn ReadTx, refs: &mut RefCache, customer: &ObjectId, id: &ObjectId) -> Result<Option<(EntryKey, Entry)>> {
    let Some((key, mut e)) = tx.entry(customer, id)? else { return Ok(None) };
    refs.fill_matter(tx, &mut e)?;
    Ok(Some((key, e)))
}

/// A live (not deleted) entry of the user, or the same 404 whether it is missing, deleted, or
/// someone else's. `user: None` (a connector) accepts any user of the customer.
pub(crate) fn find_scoped(tx: &mut dyn ReadTx, refs: &mut RefCache, customer: &ObjectId, user: Option<&ObjectId>, id: &ObjectId) -> Result<(EntryKey, Entry)> {
    match find(tx, refs, customer, id)? {
        Some((key, e)) if !e.is_deleted && user.is_none_or(|u| *u == e.user_id) => Ok((key, e)),
        _ => Err(TenthsError::not_found("entry", id)),
    }
}

/// Checks a new entry's input.
pub(crate) fn check_new_entry(input: &NewEntry) -> Result<()> {
    if let Some(s) = &input.summary {
        check_text(s, "summary", MAX_TEXT_BYTES)?;
    }
    if let Some(s) = &input.notes {
        check_text(s, "notes", MAX_TEXT_BYTES)?;
    }
    if let Some(m) = &input.creation_method {
        if is_blank(m) || m.chars().count() > 64 || m.contains('\0') {
            return Err(TenthsError::invalid("creationMethod", "must be 1 to 64 characters, not blank, without NUL"));
        }
    }
    if let Some(x) = &input.enrichment_correlation_id {
        check_external_id(x, "enrichmentCorrelationId")?;
    }
    if input.duration_in_seconds.is_some() && !input.sources.is_empty() {
        return Err(TenthsError::invalid("durationInSeconds", "give either durationInSeconds or sources, not both"));
    }
    if let Some(d) = input.duration_in_seconds {
        if !(0..=MAX_ENTERED_DURATION_SECONDS).contains(&d) {
            return Err(TenthsError::invalid("durationInSeconds", format!("must be between 0 and {MAX_ENTERED_DURATION_SECONDS}")));
        }
    }
    if input.sources.len() > MAX_SOURCES_PER_ENTRY {
        return Err(TenthsError::invalid("sources", format!("at most {MAX_SOURCES_PER_ENTRY} sources")));
    }
    for (i, s) in input.sources.iter().enumerate() {
        let len = s.ended_at.millis() - s.started_at.millis();
        if len <= 0 {
            return Err(TenthsError::invalid(format!("sources[{i}].endedAt"), "must be after startedAt"));
        }
        if len > MAX_SOURCE_MILLIS {
            return Err(TenthsError::invalid(format!("sources[{i}].endedAt"), "a source may last at most 25 hours"));
        }
        if let Some(t) = &s.title {
            check_text(t, &format!("sources[{i}].title"), MAX_NAME_BYTES)?;
        }
    }
    if input.code_ids.len() > MAX_CODES_PER_ENTRY {
        return Err(TenthsError::invalid("codeIds", format!("at most {MAX_CODES_PER_ENTRY} codes")));
    }
    Ok(())
}

/// Checks an edit's input.
pub(crate) fn check_patch(p: &EntryPatch) -> Result<()> {
    if let Some(s) = &p.summary {
        check_text(s, "summary", MAX_TEXT_BYTES)?;
    }
    if let Some(s) = &p.notes {
        check_text(s, "notes", MAX_TEXT_BYTES)?;
    }
    if let Some(a) = p.unit_increment_count_adjustments {
        if !(-MAX_ADJUSTMENT_UNITS..=MAX_ADJUSTMENT_UNITS).contains(&a) {
            return Err(TenthsError::invalid("unitIncrementCountAdjustments", format!("must be between -{MAX_ADJUSTMENT_UNITS} and {MAX_ADJUSTMENT_UNITS}")));
        }
    }
    if let Some(a) = p.timer_duration_adjustment_in_seconds {
        if !(-MAX_TIMER_ADJUSTMENT_SECONDS..=MAX_TIMER_ADJUSTMENT_SECONDS).contains(&a) {
            return Err(TenthsError::invalid(
                "timerDurationAdjustmentInSeconds",
                format!("must be between -{MAX_TIMER_ADJUSTMENT_SECONDS} and {MAX_TIMER_ADJUSTMENT_SECONDS}"),
            ));
        }
    }
    if let Some(ids) = &p.code_ids {
        if ids.len() > MAX_CODES_PER_ENTRY {
            return Err(TenthsError::invalid("codeIds", format!("at most {MAX_CODES_PER_ENTRY} codes")));
        }
    }
    Ok(())
}

/// A new entry of `scope`'s user before its figures are settled.
pub(crate) fn blank_entry(scope: &Scope, input: &NewEntry, now: Timestamp, work_date: Date) -> Entry {
    Entry {
        id: input.id.unwrap_or_else(|| ObjectId::generate(now.millis() / 1000)),
        customer_id: scope.customer,
        user_id: scope.user,
        created_by: Some(scope.actor),
        released_by: None,
        external_id: None,
        enrichment_correlation_id: input.enrichment_correlation_id.clone(),
        summary: input.summary.clone().unwrap_or_default(),
        notes: input.notes.clone(),
        work_date,
        initiative_id: input.initiative_id,
        initiative: None,
        codes: Vec::new(),
        creation_method: input.creation_method.clone().unwrap_or_else(|| if input.sources.is_empty() { "manual".into() } else { "grouped".into() }),
        created_as_timer: false,
        timer_duration_adjustment_in_seconds: 0,
        entered_duration_in_seconds: input.duration_in_seconds,
        raw_seconds: 0,
        unit_increments: 360,
        unit_increment_count_from_sources: 0,
        unit_increment_count_adjustments: 0,
        overlap_time_in_seconds: 0,
        status: Status::ValidationPending,
        validation_failed_errors: Vec::new(),
        release_failed_errors: Vec::new(),
        re_release_failed_messages: Vec::new(),
        is_locked: false,
        is_deleted: false,
        release_count: 0,
        last_release_pending_at: None,
        last_release_failed_at: None,
        release_success_at: None,
        last_synced_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
        sources: Vec::new(),
    }
}

/// Resolves code ids to codes of the customer: every id must exist, none twice.
pub(crate) fn resolve_codes(cx: &mut Cx<'_>, customer: &ObjectId, ids: &[ObjectId]) -> Result<Vec<WorkCode>> {
    if ids.len() > MAX_CODES_PER_ENTRY {
        return Err(TenthsError::invalid("codeIds", format!("at most {MAX_CODES_PER_ENTRY} codes")));
    }
    let mut out: Vec<WorkCode> = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if out.iter().any(|c| c.id == *id) {
            return Err(TenthsError::invalid(format!("codeIds[{i}]"), format!("code {id} is given twice")));
        }
        let code = cx.refs.code(cx.tx, customer, id)?.ok_or_else(|| TenthsError::not_found("code", format!("{id} (codeIds[{i}])")))?;
        out.push(WorkCode {
            id: code.id,
            external_id: code.external_id.clone(),
            code_type_external_id: code.code_type_external_id.clone(),
            name: code.name.clone(),
            assigned_by: AssignedBy::User,
        });
    }
    Ok(out)
}

/// Settles an entry and writes it back.
pub(crate) fn settle_and_save(cx: &mut Cx<'_>, key: EntryKey, e: &mut Entry) -> Result<()> {
    settle(cx.tx, cx.refs, cx.now, e)?;
    cx.tx.update_entry(key, e, Counter::Bump)
}

/// Creates one entry: returns (key, id, created). A repeated create with the same device id and
/// body returns the stored entry's key with `created = false`; another body is a conflict.
/// `fresh` says the caller already knows the device id is not stored (a batch checks its ids
/// at once). The entry is settled in memory and stored once, with its overlap; the create body
/// is kept only when it carries a device id (a repeat is recognised by that id alone).
fn create_one(cx: &mut Cx<'_>, inserter: &mut Inserter, scope: &Scope, input: &NewEntry, fresh: bool, op: &str) -> Result<Created> {
    let request = match &input.id {
        None => None,
        Some(id) => {
            let request = serde_json::to_string(input).map_err(|e| TenthsError::Storage { reason: e.to_string() })?;
            if let Some(key) = if fresh { None } else { cx.tx.entry_key(&scope.customer, id)? } {
                return if cx.tx.create_request(&scope.customer, key)?.as_deref() == Some(request.as_str()) {
                    Ok(Created::Repeat(*id))
                } else {
                    Err(TenthsError::conflict("an entry with this _id already exists with another body"))
                };
            }
            Some(request)
        }
    };
    cx.refs.ensure_user(cx.tx, &scope.customer, &scope.user, cx.now)?;
    let zone = cx.zone(&scope.customer, &scope.user)?;
    let work_date = match input.work_date {
        Some(d) => d,
        None => input.sources.iter().map(|s| s.started_at).min().unwrap_or(cx.now).local_date(zone),
    };
    let mut e = blank_entry(scope, input, cx.now, work_date);
    e.codes = resolve_codes(cx, &scope.customer, &input.code_ids)?;
    e.sources = input
        .sources
        .iter()
        .map(|s| Source {
            id: ObjectId::generate(cx.now.millis() / 1000),
            kind: s.kind,
            started_at: s.started_at,
            ended_at: Some(s.ended_at),
            title: s.title.clone(),
        })
        .collect();
    settle(cx.tx, cx.refs, cx.now, &mut e)?;
    inserter.insert_new(cx.tx, &mut e, request.as_deref(), cx.stats)?;
    record(cx, EventKind::Created, op, None, &e)?;
    Ok(Created::New(Box::new(e)))
}

/// What [`create_one`] did.
enum Created {
    /// Stored: the entry as written.
    New(Box<Entry>),
    /// A repeat of a stored create: its id.
    Repeat(ObjectId),
}

impl Created {
    fn id(&self) -> ObjectId {
        match self {
            Created::New(e) => e.id,
            Created::Repeat(id) => *id,
        }
    }
}

/// Creates an entry; answers it and whether it was created (`false`: a repeat of the same
/// create).
pub(crate) fn create(cx: &mut Cx<'_>, scope: &Scope, input: &NewEntry) -> Result<(Entry, bool)> {
    check_new_entry(input)?;
    let mut inserter = Inserter::default();
    let created = create_one(cx, &mut inserter, scope, input, false, "create")?;
    inserter.finish(cx.tx, cx.stats)?;
    match created {
        Created::New(mut e) => {
            // The entry as written, in the order a read answers its sources (start, then id):
            // no second read of what this transaction just stored.
            e.sources.sort_by_key(|s| (s.started_at, s.id));
            Ok((*e, true))
        }
        Created::Repeat(id) => {
            let (_, e) = find(cx.tx, cx.refs, &scope.customer, &id)?.ok_or_else(|| TenthsError::not_found("entry", id))?;
            if e.user_id != scope.user {
                return Err(TenthsError::conflict("an entry with this _id already exists"));
            }
            Ok((e, false))
        }
    }
}

/// Creates many entries of one user in one transaction, all or none; answers their ids in
/// input order.
pub(crate) fn import(cx: &mut Cx<'_>, scope: &Scope, inputs: &[NewEntry]) -> Result<Vec<ObjectId>> {
    for (i, input) in inputs.iter().enumerate() {
        check_new_entry(input).map_err(|e| prefix_field(e, &format!("entries[{i}]")))?;
    }
    let mut inserter = Inserter::default();
    // One read for the batch: which device ids exist already, and the stored intervals the new
    // ones may meet.
    let given: Vec<ObjectId> = inputs.iter().filter_map(|i| i.id).collect();
    let existing = cx.tx.existing_ids(&scope.customer, &given)?;
    let mut seen = HashSet::with_capacity(given.len());
    let new_intervals: Vec<Interval> =
        inputs.iter().flat_map(|i| i.sources.iter()).map(|s| Interval { start: s.started_at.millis(), end: s.ended_at.millis() }).collect();
    inserter.prefetch(cx.tx, &scope.customer, &scope.user, &new_intervals, cx.stats)?;
    let mut ids = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let fresh = input.id.is_some_and(|id| !existing.contains(&id) && seen.insert(id));
        let created = create_one(cx, &mut inserter, scope, input, fresh, "import").map_err(|e| prefix_field(e, &format!("entries[{i}]")))?;
        ids.push(created.id());
    }
    inserter.finish(cx.tx, cx.stats)?;
    Ok(ids)
}

/// Creates each entry of a batch on its own (the HTTP bulk create): one savepoint an item, so a
/// refused item answers its error and leaves the store as it was while the others are stored,
/// all in one transaction. Answers one outcome an item, in input order; only a fatal error
/// (storage, closed) fails the whole batch.
pub(crate) fn create_each(cx: &mut Cx<'_>, scope: &Scope, inputs: &[NewEntry]) -> Result<Vec<Result<(Entry, bool)>>> {
    if inputs.len() > MAX_BATCH_ITEMS {
        return Err(TenthsError::TooLarge { reason: format!("at most {MAX_BATCH_ITEMS} items per batch") });
    }
    let mut out = Vec::with_capacity(inputs.len());
    for input in inputs {
        cx.tx.savepoint()?;
        match create(cx, scope, input) {
            Ok(done) => {
                cx.tx.release_savepoint()?;
                out.push(Ok(done));
            }
            Err(e) => {
                cx.tx.rollback_savepoint()?;
                cx.refs.rollback();
                if is_fatal(&e) {
                    return Err(e);
                }
                out.push(Err(e));
            }
        }
    }
    Ok(out)
}

/// One live entry of the user.
pub(crate) fn get(rx: &mut Rx<'_>, scope: &Scope, id: &ObjectId) -> Result<Entry> {
    Ok(find_scoped(rx.tx, rx.refs, &scope.customer, Some(&scope.user), id)?.1)
}

/// The user's live entries with a work date in `from..=to`, by work date then id.
pub(crate) fn list(rx: &mut Rx<'_>, scope: &Scope, from: Date, to: Date) -> Result<Vec<Entry>> {
    if to < from {
        return Err(TenthsError::invalid("workDateTo", "is before workDateFrom"));
    }
    let mut rows = rx.tx.list(&scope.customer, Listing::UserDates { user: &scope.user, from, to })?;
    rx.refs.fill_matters(rx.tx, rows.iter_mut().map(|(_, e)| e))?;
    Ok(rows.into_iter().map(|(_, e)| e).collect())
}

/// One page of the user's live entries with a work date in `from..=to`, by work date then id:
/// at most `page_size` after the entry `cursor` (the last of the previous page). The cursor
/// stands for its position (its work date and id), read again here, so a page boundary does not
/// move when entries are written between two pages; an entry deleted since it ended a page keeps
/// its position. An id that is no entry of this user is a missing entry (404, naming the
/// cursor), alike whether it is missing or someone else's.
pub(crate) fn list_page(rx: &mut Rx<'_>, scope: &Scope, from: Date, to: Date, page_size: usize, cursor: Option<&ObjectId>) -> Result<Page<Entry>> {
    super::listing::check_page_size(page_size)?;
    if to < from {
        return Err(TenthsError::invalid("workDateTo", "is before workDateFrom"));
    }
    let after = match cursor {
        None => None,
        Some(id) => match rx.tx.entry(&scope.customer, id)? {
            Some((_, e)) if e.user_id == scope.user => Some((e.work_date, id)),
            _ => return Err(TenthsError::not_found("entry", format!("{id} (cursor: use the nextCursor of the previous page)"))),
        },
    };
    let listing = Listing::UserDatesPage { user: &scope.user, from, to, after, limit: page_size.saturating_add(1) };
    let mut rows = rx.tx.list(&scope.customer, listing)?;
    rx.refs.fill_matters(rx.tx, rows.iter_mut().map(|(_, e)| e))?;
    Ok(super::listing::page_of(rows.into_iter().map(|(_, e)| e).collect(), page_size))
}

/// Changes an editable entry (the extension PATCH; the seed's override is the same with fewer
/// fields: `overriding` records it as one).
pub(crate) fn edit(cx: &mut Cx<'_>, scope: &Scope, id: &ObjectId, patch: &EntryPatch, overriding: bool) -> Result<Entry> {
    check_patch(patch)?;
    let (key, mut e) = find_scoped(cx.tx, cx.refs, &scope.customer, Some(&scope.user), id)?;
    let before = e.clone();
    let settings = cx.settings(&scope.customer)?;
    let transition = decide(&e, &Operation::Edit, &settings)?;
    if let Some(s) = &patch.summary {
        e.summary = s.clone();
    }
    if let Some(n) = &patch.notes {
        e.notes = if n.is_empty() { None } else { Some(n.clone()) };
    }
    if let Some(d) = patch.work_date {
        e.work_date = d;
    }
    if let Some(i) = patch.initiative_id {
        e.initiative_id = Some(i);
    }
    if let Some(a) = patch.unit_increment_count_adjustments {
        e.unit_increment_count_adjustments = a;
    }
    if let Some(a) = patch.timer_duration_adjustment_in_seconds {
        e.timer_duration_adjustment_in_seconds = a;
    }
    if let Some(ids) = &patch.code_ids {
        e.codes = resolve_codes(cx, &scope.customer, ids)?;
        cx.tx.replace_codes(&scope.customer, key, &e.codes)?;
    }
    e.apply(&status::effect(&Operation::Edit, &transition), cx.now, scope.actor);
    settle_and_save(cx, key, &mut e)?;
    let (kind, op) = if overriding { (EventKind::Overridden, "override") } else { (EventKind::Updated, "edit") };
    record(cx, kind, op, Some(&before), &e)?;
    Ok(e)
}

/// Soft-deletes an entry found in this transaction (the status machine decides); its sources
/// return to the unassigned pool, and a running session stops.
pub(crate) fn delete_found(cx: &mut Cx<'_>, scope: &Scope, key: EntryKey, mut e: Entry) -> Result<Entry> {
    let settings = cx.settings(&scope.customer)?;
    let transition = decide(&e, &Operation::Delete, &settings)?;
    let before = e.clone();
    if let Some(running) = cx.tx.running_session(&scope.customer, &scope.user)? {
        if running.entry.is_some_and(|(k, _)| k == key) {
            cx.tx.close_session(&scope.customer, running.source, cx.now)?;
        }
    }
    let touched = intervals(&cx.tx.sources(&scope.customer, key)?);
    cx.tx.release_sources_to_pool(&scope.customer, key)?;
    e.apply(&status::effect(&Operation::Delete, &transition), cx.now, scope.actor);
    cx.tx.update_entry(key, &e, Counter::Bump)?;
    e.overlap_time_in_seconds = refresh_overlap(cx.tx, &scope.customer, &scope.user, key, &touched, cx.stats)?;
    record(cx, EventKind::Deleted, "delete", Some(&before), &e)?;
    Ok(e)
}

/// Soft-deletes an editable entry of the user.
pub(crate) fn delete(cx: &mut Cx<'_>, scope: &Scope, id: &ObjectId) -> Result<Entry> {
    let (key, e) = find_scoped(cx.tx, cx.refs, &scope.customer, Some(&scope.user), id)?;
    delete_found(cx, scope, key, e)
}

/// Creates an entry a device made offline, from its pushed copy: the device's id, fields,
/// sessions (with their ids) and creation time; the server's rules settle it. Stored through
/// the batch's `inserter`. Returns its key and the stored entry.
pub(crate) fn create_synced(cx: &mut Cx<'_>, scope: &Scope, incoming: &SyncedEntry, inserter: &mut Inserter) -> Result<(EntryKey, Entry)> {
    cx.refs.ensure_user(cx.tx, &scope.customer, &scope.user, cx.now)?;
    let new = NewEntry {
        id: Some(incoming.id),
        initiative_id: incoming.initiative_id,
        summary: Some(incoming.summary.clone()),
        notes: incoming.notes.clone(),
        creation_method: Some(incoming.creation_method.clone()),
        enrichment_correlation_id: incoming.enrichment_correlation_id.clone(),
        duration_in_seconds: incoming.entered_duration_in_seconds,
        ..NewEntry::default()
    };
    let mut e = blank_entry(scope, &new, incoming.created_at.min(cx.now), incoming.work_date);
    e.updated_at = cx.now;
    e.created_as_timer = incoming.created_as_timer;
    e.unit_increment_count_adjustments = incoming.unit_increment_count_adjustments;
    e.timer_duration_adjustment_in_seconds = incoming.timer_duration_adjustment_in_seconds;
    let code_ids: Vec<ObjectId> = incoming.codes.iter().map(|c| c.id).collect();
    e.codes = resolve_codes(cx, &scope.customer, &code_ids)?;
    e.sources = settle_incoming_sessions(cx, scope, &incoming.id, &incoming.sources)?;
    settle(cx.tx, cx.refs, cx.now, &mut e)?;
    let key = inserter.insert_new(cx.tx, &mut e, None, cx.stats)?;
    record(cx, EventKind::Created, "create", None, &e)?;
    Ok((key, e))
}

/// Pushed sessions of entry `id` after the running-timer rule: when one of them runs while
/// another entry of the user runs a timer here, the later start keeps running and the other
/// stops at that instant (capped at the end of its local day).
pub(crate) fn settle_incoming_sessions(cx: &mut Cx<'_>, scope: &Scope, id: &ObjectId, incoming: &[SyncedSource]) -> Result<Vec<Source>> {
    let mut sources: Vec<Source> = incoming.iter().map(SyncedSource::to_source).collect();
    let Some(running) = sources.iter().position(|s| s.ended_at.is_none()) else { return Ok(sources) };
    let Some(existing) = cx.tx.running_session(&scope.customer, &scope.user)? else { return Ok(sources) };
    let Some((other_key, other)) = existing.entry else { return Ok(sources) };
    if other == *id {
        return Ok(sources);
    }
    let start = sources.get(running).map(|s| s.started_at).unwrap_or(cx.now);
    match resolve_running_timers((existing.started_at, other), (start, *id)) {
        TimerResolution::StopExisting { at } => super::timers::close_session_settled(cx, scope, existing.source, other_key, existing.started_at, at)?,
        TimerResolution::StopIncoming { at } => {
            let zone = cx.zone(&scope.customer, &scope.user)?;
            if let Some(s) = sources.get_mut(running) {
                s.ended_at = Some(at.min(s.started_at.local_date(zone).last_millisecond_in(zone)));
            }
        }
    }
    Ok(sources)
}

/// Writes a copy of an entry that came through sync, as it is (no rule runs), with its codes
/// and sources and `local_changes` unsent changes; when its sessions changed, refreshes the
/// overlap around their old and new intervals. Returns its key (`known`: the caller has it).
pub(crate) fn write_copy(cx: &mut Cx<'_>, known: Option<EntryKey>, e: &Entry, local_changes: i64) -> Result<EntryKey> {
    let found = match known {
        Some(key) => Some(key),
        None => cx.tx.entry_key(&e.customer_id, &e.id)?,
    };
    let Some(key) = found else {
        // Sources are written by `replace_sources`: a source of that id may wait in the
        // unassigned pool, and moves here.
        let bare = Entry { sources: Vec::new(), ..e.clone() };
        let key = cx.tx.insert_entry(&bare, None)?;
        cx.tx.set_local_changes(&e.customer_id, key, local_changes)?;
        cx.tx.replace_sources(&e.customer_id, &e.user_id, key, &e.sources)?;
        refresh_overlap(cx.tx, &e.customer_id, &e.user_id, key, &intervals(&e.sources), cx.stats)?;
        return Ok(key);
    };
    let before = cx.tx.sources(&e.customer_id, key)?;
    cx.tx.update_entry(key, e, Counter::Set(local_changes))?;
    cx.tx.replace_codes(&e.customer_id, key, &e.codes)?;
    if before != e.sources {
        cx.tx.replace_sources(&e.customer_id, &e.user_id, key, &e.sources)?;
        let mut touched = intervals(&before);
        touched.extend(intervals(&e.sources));
        refresh_overlap(cx.tx, &e.customer_id, &e.user_id, key, &touched, cx.stats)?;
    }
    Ok(key)
}
