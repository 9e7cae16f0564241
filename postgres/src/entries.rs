//! Entries on PostgreSQL: the row of an entry and its codes and sources, the listing, page,
//! export and feed queries, the overlap-neighbour and running-session queries, and the writes.
//! An entry's key is its `pk` (unique inside the customer, never an order). Nothing here decides
//! a rule: the operations layer settles an entry before it is written.

use std::collections::{HashMap, HashSet};

use postgres::types::Json;
use postgres::Row;
use tenths::overlap::Interval;
use tenths::rules::text::MAX_SOURCE_MILLIS;
use tenths::store::{Affected, Counter, Detail, EntryKey, Listing, PageOf, RunningSession, SourceKey};
use tenths::*;

use crate::tx::{at, at_ms, at_opt, big, date, day, get, ms, oid, oid_opt, ts, ts_opt, PgTx};
use crate::{sql, storage, Result};

/// Reads the columns of `entry_columns!`; codes and sources are filled by [`fill`].
fn entry_from_row(r: &Row) -> Result<(EntryKey, Entry)> {
    let status = Status::parse(get(r, 21)?).map_err(storage)?;
    let errors: Option<Json<serde_json::Value>> = get(r, 22)?;
    let (mut validation_failed_errors, mut release_failed_errors) = (Vec::new(), Vec::new());
    if let Some(Json(json)) = errors {
        match status {
            Status::ReleaseFailed => release_failed_errors = serde_json::from_value(json).map_err(storage)?,
            _ => validation_failed_errors = serde_json::from_value::<Vec<RuleFailure>>(json).map_err(storage)?,
        }
    }
    let messages: Option<Vec<String>> = get(r, 23)?;
    Ok((
        EntryKey::from_raw(get(r, 0)?),
        Entry {
            customer_id: oid(r, 1)?,
            id: oid(r, 2)?,
            user_id: oid(r, 3)?,
            created_by: oid_opt(r, 4)?,
            released_by: oid_opt(r, 5)?,
            external_id: get(r, 6)?,
            enrichment_correlation_id: get(r, 7)?,
            summary: get(r, 8)?,
            notes: get(r, 9)?,
            work_date: date(r, 10)?,
            initiative_id: oid_opt(r, 11)?,
            initiative: None,
            codes: Vec::new(),
            creation_method: get(r, 12)?,
            created_as_timer: get(r, 13)?,
            timer_duration_adjustment_in_seconds: get(r, 14)?,
            entered_duration_in_seconds: get(r, 15)?,
            raw_seconds: get(r, 16)?,
            unit_increments: get(r, 17)?,
            unit_increment_count_from_sources: get(r, 18)?,
            unit_increment_count_adjustments: get(r, 19)?,
            overlap_time_in_seconds: get(r, 20)?,
            status,
            validation_failed_errors,
            release_failed_errors,
            re_release_failed_messages: messages.unwrap_or_default(),
            is_locked: get(r, 24)?,
            is_deleted: get(r, 25)?,
            release_count: get(r, 26)?,
            last_release_pending_at: ts_opt(r, 27)?,
            last_release_failed_at: ts_opt(r, 28)?,
            release_success_at: ts_opt(r, 29)?,
            last_synced_at: ts_opt(r, 30)?,
            created_at: ts(r, 31)?,
            updated_at: ts(r, 32)?,
            version: get(r, 33)?,
            sources: Vec::new(),
        },
    ))
}

/// Fills the codes and (with [`Detail::Full`]) the sources of entries of one customer: one
/// statement each, the keys bound as one array, assembled in memory.
fn fill(t: &mut PgTx<'_>, customer: &ObjectId, rows: &mut [(EntryKey, Entry)], detail: Detail) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut at_index: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
    let keys: Vec<i64> = rows.iter().map(|(k, _)| k.raw()).collect();
    for (i, k) in keys.iter().enumerate() {
        at_index.insert(*k, i);
    }
    for r in t.rows(sql::CODES_OF, &[&customer.as_str(), &keys])? {
        let code = WorkCode {
            id: oid(&r, 1)?,
            external_id: get(&r, 2)?,
            code_type_external_id: get(&r, 3)?,
            name: get(&r, 4)?,
            assigned_by: AssignedBy::from_stored(get(&r, 5)?),
        };
        if let Some((_, e)) = at_index.get(&get(&r, 0)?).and_then(|i| rows.get_mut(*i)) {
            e.codes.push(code);
        }
    }
    if detail == Detail::WithoutSources {
        return Ok(());
    }
    for r in t.rows(sql::SOURCES_OF, &[&customer.as_str(), &keys])? {
        let source = source_from_row(&r, 1)?;
        if let Some((_, e)) = at_index.get(&get::<i64>(&r, 0)?).and_then(|i| rows.get_mut(*i)) {
            e.sources.push(source);
        }
    }
    Ok(())
}

/// A source from the columns `id, kind, started_at, ended_at, title` starting at `from`.
fn source_from_row(r: &Row, from: usize) -> Result<Source> {
    Ok(Source {
        id: oid(r, from)?,
        kind: SourceKind::parse(get(r, from + 1)?).map_err(storage)?,
        started_at: ts(r, from + 2)?,
        ended_at: ts_opt(r, from + 3)?,
        title: get(r, from + 4)?,
    })
}

/// The sources of an entry, by start then id.
pub(crate) fn sources(t: &mut PgTx<'_>, customer: &ObjectId, key: EntryKey) -> Result<Vec<Source>> {
    t.rows(sql::SOURCES_OF, &[&customer.as_str(), &vec![key.raw()]])?.iter().map(|r| source_from_row(r, 1)).collect()
}

/// One entry row (or none), completed with its codes and sources.
fn one_entry(t: &mut PgTx<'_>, customer: &ObjectId, row: Option<Row>) -> Result<Option<(EntryKey, Entry)>> {
    let Some(r) = row else { return Ok(None) };
    let mut rows = vec![entry_from_row(&r)?];
    fill(t, customer, &mut rows, Detail::Full)?;
    Ok(rows.pop())
}

pub(crate) fn entry(t: &mut PgTx<'_>, customer: &ObjectId, id: &ObjectId) -> Result<Option<(EntryKey, Entry)>> {
    let row = t.opt(sql::ENTRY_BY_ID, &[&customer.as_str(), &id.as_str()])?;
    one_entry(t, customer, row)
}

pub(crate) fn entry_by_key(t: &mut PgTx<'_>, customer: &ObjectId, key: EntryKey) -> Result<Entry> {
    let row = t.opt(sql::ENTRY_BY_KEY, &[&customer.as_str(), &key.raw()])?;
    one_entry(t, customer, row)?.map(|(_, e)| e).ok_or_else(|| storage(format!("no entry of key {}", key.raw())))
}

pub(crate) fn entry_key(t: &mut PgTx<'_>, customer: &ObjectId, id: &ObjectId) -> Result<Option<EntryKey>> {
    t.opt(sql::ENTRY_KEY, &[&customer.as_str(), &id.as_str()])?.map(|r| get(&r, 0).map(EntryKey::from_raw)).transpose()
}

pub(crate) fn existing_ids(t: &mut PgTx<'_>, customer: &ObjectId, ids: &[ObjectId]) -> Result<HashSet<ObjectId>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let list: Vec<&str> = ids.iter().map(ObjectId::as_str).collect();
    t.rows(sql::EXISTING_IDS, &[&customer.as_str(), &list])?.iter().map(|r| oid(r, 0)).collect()
}

pub(crate) fn create_request(t: &mut PgTx<'_>, customer: &ObjectId, key: EntryKey) -> Result<Option<String>> {
    get(&t.one(sql::CREATE_REQUEST, &[&customer.as_str(), &key.raw()])?, 0)
}

/// Entry rows of a query, completed.
fn query(t: &mut PgTx<'_>, customer: &ObjectId, statement: &'static str, params: crate::tx::Params<'_>, detail: Detail) -> Result<Vec<(EntryKey, Entry)>> {
    let mut rows = t.rows(statement, params)?.iter().map(entry_from_row).collect::<Result<Vec<_>>>()?;
    fill(t, customer, &mut rows, detail)?;
    Ok(rows)
}

pub(crate) fn list(t: &mut PgTx<'_>, customer: &ObjectId, listing: Listing<'_>) -> Result<Vec<(EntryKey, Entry)>> {
    let c = customer.as_str();
    match listing {
        Listing::UserDates { user, from, to } => query(t, customer, sql::LIST_USER_DATES, &[&c, &user.as_str(), &day(from)?, &day(to)?], Detail::Full),
        Listing::UserDatesPage { user, from, to, after, limit } => {
            // No position: before every id of `from`.
            let (after_date, after_id) = after.map(|(d, id)| (d, id.as_str())).unwrap_or((from, ""));
            query(
                t,
                customer,
                sql::LIST_USER_DATES_PAGE,
                &[&c, &user.as_str(), &day(from)?, &day(to)?, &day(after_date)?, &after_id, &big(limit)],
                Detail::Full,
            )
        }
        Listing::UserDayEditable { user, day: d } => query(t, customer, sql::LIST_USER_DAY_EDITABLE, &[&c, &user.as_str(), &day(d)?], Detail::Full),
        Listing::Updated { after, on_or_before } => query(t, customer, sql::LIST_UPDATED, &[&c, &at(after)?, &at(on_or_before)?], Detail::Full),
        Listing::Released { after, on_or_before } => query(t, customer, sql::LIST_RELEASED, &[&c, &at(after)?, &at(on_or_before)?], Detail::Full),
    }
}

pub(crate) fn page(t: &mut PgTx<'_>, customer: &ObjectId, of: PageOf, after_id: Option<&ObjectId>, limit: usize, detail: Detail) -> Result<Vec<Entry>> {
    let (c, after, limit) = (customer.as_str(), after_id.map(ObjectId::as_str).unwrap_or(""), big(limit));
    let rows = match of {
        PageOf::Updated { after: from, on_or_before } => query(t, customer, sql::PAGE_UPDATED, &[&c, &at(from)?, &at(on_or_before)?, &after, &limit], detail)?,
        PageOf::Released { after: from, on_or_before, low, high } => {
            query(t, customer, sql::PAGE_RELEASED, &[&c, &at(from)?, &at(on_or_before)?, &after, &limit, &low.as_str(), &high.as_str()], detail)?
        }
    };
    Ok(rows.into_iter().map(|(_, e)| e).collect())
}

pub(crate) fn export_bounds(t: &mut PgTx<'_>, customer: &ObjectId, after: Timestamp, on_or_before: Timestamp) -> Result<Option<(ObjectId, ObjectId)>> {
    let r = t.one(sql::EXPORT_BOUNDS, &[&customer.as_str(), &at(after)?, &at(on_or_before)?])?;
    Ok(oid_opt(&r, 0)?.zip(oid_opt(&r, 1)?))
}

pub(crate) fn totals(t: &mut PgTx<'_>, customer: &ObjectId, user: Option<&ObjectId>, from: Date, to: Date) -> Result<Vec<Total>> {
    let rows = match user {
        Some(u) => t.rows(sql::TOTALS_OF_USER, &[&customer.as_str(), &u.as_str(), &day(from)?, &day(to)?])?,
        None => t.rows(sql::TOTALS_OF_CUSTOMER, &[&customer.as_str(), &day(from)?, &day(to)?])?,
    };
    rows.iter()
        .map(|r| {
            Ok(Total {
                user_id: oid(r, 0)?,
                work_date: date(r, 1)?,
                initiative_id: oid_opt(r, 2)?,
                entries: get(r, 3)?,
                unit_increment_count: get(r, 4)?,
                increment_duration_in_seconds: get(r, 5)?,
            })
        })
        .collect()
}

pub(crate) fn affected(t: &mut PgTx<'_>, customer: &ObjectId, which: Affected<'_>) -> Result<Vec<EntryKey>> {
    let c = customer.as_str();
    let rows = match which {
        Affected::Customer => t.rows(sql::AFFECTED_CUSTOMER, &[&c])?,
        Affected::User(user) => t.rows(sql::AFFECTED_USER, &[&c, &user.as_str()])?,
        Affected::Initiative(initiative) => t.rows(sql::AFFECTED_INITIATIVE, &[&c, &initiative.as_str()])?,
        Affected::Code(code) => t.rows(sql::AFFECTED_CODE, &[&c, &code.as_str()])?,
    };
    rows.iter().map(|r| get(r, 0).map(EntryKey::from_raw)).collect()
}

/// Closed source intervals of one user's live entries that may meet `iv`: those starting in
/// `(iv.start - MAX_SOURCE_MILLIS, iv.end)` and ending after `iv.start`.
pub(crate) fn neighbours(t: &mut PgTx<'_>, customer: &ObjectId, user: &ObjectId, iv: Interval) -> Result<Vec<(EntryKey, Interval)>> {
    let lowest = at_ms(iv.start.saturating_sub(MAX_SOURCE_MILLIS))?;
    t.rows(sql::NEIGHBOURS, &[&customer.as_str(), &user.as_str(), &lowest, &at_ms(iv.end)?, &at_ms(iv.start)?])?
        .iter()
        .map(|r| Ok((EntryKey::from_raw(get(r, 0)?), Interval { start: ms(r, 1)?, end: ms(r, 2)? })))
        .collect()
}

pub(crate) fn running_session(t: &mut PgTx<'_>, customer: &ObjectId, user: &ObjectId) -> Result<Option<RunningSession>> {
    let Some(r) = t.opt(sql::RUNNING_SESSION, &[&customer.as_str(), &user.as_str()])? else { return Ok(None) };
    let entry_pk: Option<i64> = get(&r, 1)?;
    Ok(Some(RunningSession {
        source: SourceKey::from_raw(get(&r, 0)?),
        entry: entry_pk.zip(oid_opt(&r, 2)?).map(|(k, id)| (EntryKey::from_raw(k), id)),
        started_at: ts(&r, 3)?,
    }))
}

pub(crate) fn feed(t: &mut PgTx<'_>, customer: &ObjectId, user: &ObjectId, after: i64, limit: usize) -> Result<Vec<(Entry, i64)>> {
    let raw = t.rows(sql::FEED, &[&customer.as_str(), &user.as_str(), &after, &big(limit)])?;
    let seqs = raw.iter().map(|r| get::<i64>(r, 34)).collect::<Result<Vec<_>>>()?;
    let mut rows = raw.iter().map(entry_from_row).collect::<Result<Vec<_>>>()?;
    fill(t, customer, &mut rows, Detail::Full)?;
    Ok(rows.into_iter().map(|(_, e)| e).zip(seqs).collect())
}

pub(crate) fn applied_op(t: &mut PgTx<'_>, customer: &ObjectId, op_id: &ObjectId) -> Result<Option<String>> {
    t.opt(sql::APPLIED_OP, &[&customer.as_str(), &op_id.as_str()])?.map(|r| get(&r, 0)).transpose()
}

pub(crate) fn record_applied_op(t: &mut PgTx<'_>, customer: &ObjectId, op_id: &ObjectId, user: &ObjectId, answer: &str, now: Timestamp) -> Result<()> {
    t.exec(sql::RECORD_APPLIED_OP, &[&customer.as_str(), &op_id.as_str(), &user.as_str(), &answer, &at(now)?])?;
    Ok(())
}

pub(crate) fn local_changes(t: &mut PgTx<'_>, customer: &ObjectId, key: EntryKey) -> Result<i64> {
    get(&t.one(sql::LOCAL_CHANGES, &[&customer.as_str(), &key.raw()])?, 0)
}

pub(crate) fn set_local_changes(t: &mut PgTx<'_>, customer: &ObjectId, key: EntryKey, n: i64) -> Result<()> {
    t.exec(sql::SET_LOCAL_CHANGES, &[&customer.as_str(), &key.raw(), &n])?;
    Ok(())
}

fn errors_json(e: &Entry) -> Result<Option<Json<serde_json::Value>>> {
    Ok(match e.status {
        Status::ValidationFailed => Some(Json(serde_json::to_value(&e.validation_failed_errors).map_err(storage)?)),
        Status::ReleaseFailed => Some(Json(serde_json::to_value(&e.release_failed_errors).map_err(storage)?)),
        _ => None,
    })
}

fn messages(e: &Entry) -> Option<&[String]> {
    if e.re_release_failed_messages.is_empty() {
        None
    } else {
        Some(&e.re_release_failed_messages)
    }
}

/// The feed positions one transaction takes. The first write of a user takes the next position
/// from the user's row (one upsert, which keeps the row locked until the commit, so concurrent
/// writers of one user queue and positions follow the commit order); later writes of that user
/// in the same transaction count on in memory, and [`flush_feed`] stores the last one before
/// the commit. A position a rolled-back savepoint consumed is skipped, never handed out twice.
#[derive(Default)]
pub(crate) struct FeedPositions {
    /// (customer, user) → (last position taken, whether the row is behind it).
    taken: HashMap<(ObjectId, ObjectId), (i64, bool)>,
}

/// The next feed position of a user.
fn next_position(t: &mut PgTx<'_>, customer: &ObjectId, user: &ObjectId) -> Result<i64> {
    if let Some((last, behind)) = t.feed.taken.get_mut(&(*customer, *user)) {
        *last = last.checked_add(1).ok_or_else(|| storage("the feed position overflowed"))?;
        *behind = true;
        return Ok(*last);
    }
    let seq: i64 = get(&t.one(sql::FEED_NEXT, &[&customer.as_str(), &user.as_str()])?, 0)?;
    t.feed.taken.insert((*customer, *user), (seq, false));
    Ok(seq)
}

/// Stores the last position taken of every user whose row is behind.
pub(crate) fn flush_feed(t: &mut PgTx<'_>, taken: FeedPositions) -> Result<()> {
    for ((customer, user), (last, behind)) in taken.taken {
        if behind {
            t.exec(sql::FEED_FLUSH, &[&customer.as_str(), &user.as_str(), &last])?;
        }
    }
    Ok(())
}

pub(crate) fn insert_entry(t: &mut PgTx<'_>, e: &Entry, create_request: Option<&str>) -> Result<EntryKey> {
    let seq = next_position(t, &e.customer_id, &e.user_id)?;
    let r = t.one(
        sql::INSERT_ENTRY,
        &[
            &e.customer_id.as_str(),
            &e.id.as_str(),
            &e.user_id.as_str(),
            &e.created_by.as_ref().map(ObjectId::as_str),
            &e.released_by.as_ref().map(ObjectId::as_str),
            &e.external_id,
            &e.enrichment_correlation_id,
            &e.summary,
            &e.notes,
            &day(e.work_date)?,
            &e.initiative_id.as_ref().map(ObjectId::as_str),
            &e.creation_method,
            &e.created_as_timer,
            &e.timer_duration_adjustment_in_seconds,
            &e.entered_duration_in_seconds,
            &e.raw_seconds,
            &e.unit_increments,
            &e.unit_increment_count_from_sources,
            &e.unit_increment_count_adjustments,
            &e.overlap_time_in_seconds,
            &e.status.as_str(),
            &errors_json(e)?,
            &messages(e),
            &e.is_locked,
            &e.is_deleted,
            &e.release_count,
            &at_opt(e.last_release_pending_at)?,
            &at_opt(e.last_release_failed_at)?,
            &at_opt(e.release_success_at)?,
            &at_opt(e.last_synced_at)?,
            &at(e.created_at)?,
            &at(e.updated_at)?,
            &e.version,
            &create_request,
            &seq,
        ],
    )?;
    let key = EntryKey::from_raw(get(&r, 0)?);
    t.note_entry_inserted()?;
    insert_codes(t, &e.customer_id, key, &e.codes)?;
    for s in &e.sources {
        insert_source(t, &e.customer_id, &e.user_id, key, s)?;
    }
    Ok(key)
}

/// The one UPDATE of an entry row: every column a write or a synced copy may change, the feed
/// position, and the unsent-change counter.
pub(crate) fn update_entry(t: &mut PgTx<'_>, key: EntryKey, e: &Entry, counter: Counter) -> Result<()> {
    let seq = next_position(t, &e.customer_id, &e.user_id)?;
    let set_counter = match counter {
        Counter::Bump => None,
        Counter::Set(n) => Some(n),
    };
    t.exec(
        sql::UPDATE_ENTRY,
        &[
            &e.customer_id.as_str(),
            &key.raw(),
            &e.released_by.as_ref().map(ObjectId::as_str),
            &e.external_id,
            &e.summary,
            &e.notes,
            &day(e.work_date)?,
            &e.initiative_id.as_ref().map(ObjectId::as_str),
            &e.timer_duration_adjustment_in_seconds,
            &e.entered_duration_in_seconds,
            &e.raw_seconds,
            &e.unit_increments,
            &e.unit_increment_count_from_sources,
            &e.unit_increment_count_adjustments,
            &e.status.as_str(),
            &errors_json(e)?,
            &messages(e),
            &e.is_locked,
            &e.is_deleted,
            &e.release_count,
            &at_opt(e.last_release_pending_at)?,
            &at_opt(e.last_release_failed_at)?,
            &at_opt(e.release_success_at)?,
            &at_opt(e.last_synced_at)?,
            &at(e.updated_at)?,
            &e.version,
            &e.created_by.as_ref().map(ObjectId::as_str),
            &e.enrichment_correlation_id,
            &e.creation_method,
            &e.created_as_timer,
            &at(e.created_at)?,
            &seq,
            &set_counter,
        ],
    )?;
    Ok(())
}

pub(crate) fn set_overlap(t: &mut PgTx<'_>, customer: &ObjectId, key: EntryKey, seconds: i64) -> Result<()> {
    t.exec(sql::SET_OVERLAP, &[&customer.as_str(), &key.raw(), &seconds])?;
    Ok(())
}

pub(crate) fn replace_codes(t: &mut PgTx<'_>, customer: &ObjectId, key: EntryKey, codes: &[WorkCode]) -> Result<()> {
    t.exec(sql::DELETE_ENTRY_CODES, &[&customer.as_str(), &key.raw()])?;
    insert_codes(t, customer, key, codes)
}

fn insert_codes(t: &mut PgTx<'_>, customer: &ObjectId, key: EntryKey, codes: &[WorkCode]) -> Result<()> {
    if codes.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = codes.iter().map(|c| c.id.as_str()).collect();
    let by: Vec<&str> = codes.iter().map(|c| c.assigned_by.as_str()).collect();
    let positions: Vec<i64> = (0..codes.len()).map(big).collect();
    t.exec(sql::INSERT_ENTRY_CODES, &[&customer.as_str(), &key.raw(), &ids, &by, &positions])?;
    Ok(())
}

/// The parameters of a source row.
fn source_params(customer: &ObjectId, user: &ObjectId, key: EntryKey, s: &Source) -> Result<SourceRow> {
    Ok(SourceRow {
        customer: *customer,
        id: s.id,
        user: *user,
        key: key.raw(),
        kind: s.kind.as_str(),
        started_at: at(s.started_at)?,
        ended_at: at_opt(s.ended_at)?,
        title: s.title.clone(),
    })
}

/// A source row as bound to [`sql::INSERT_SOURCE`] and [`sql::UPSERT_SOURCE`].
struct SourceRow {
    customer: ObjectId,
    id: ObjectId,
    user: ObjectId,
    key: i64,
    kind: &'static str,
    started_at: chrono::DateTime<chrono::Utc>,
    ended_at: Option<chrono::DateTime<chrono::Utc>>,
    title: Option<String>,
}

fn write_source(t: &mut PgTx<'_>, statement: &'static str, s: &SourceRow) -> Result<()> {
    t.exec(statement, &[&s.customer.as_str(), &s.id.as_str(), &s.user.as_str(), &s.key, &s.kind, &s.started_at, &s.ended_at, &s.title])?;
    Ok(())
}

/// Inserts a source of an entry; a second running session of the user is a conflict (the
/// partial unique index, mapped in [`crate::tx::note`]).
pub(crate) fn insert_source(t: &mut PgTx<'_>, customer: &ObjectId, user: &ObjectId, key: EntryKey, s: &Source) -> Result<()> {
    write_source(t, sql::INSERT_SOURCE, &source_params(customer, user, key, s)?)
}

/// Replaces the sources of an entry, keeping their ids.
pub(crate) fn replace_sources(t: &mut PgTx<'_>, customer: &ObjectId, user: &ObjectId, key: EntryKey, sources: &[Source]) -> Result<()> {
    t.exec(sql::DELETE_SOURCES_OF, &[&customer.as_str(), &key.raw()])?;
    for s in sources {
        write_source(t, sql::UPSERT_SOURCE, &source_params(customer, user, key, s)?)?;
    }
    Ok(())
}

pub(crate) fn close_session(t: &mut PgTx<'_>, customer: &ObjectId, source: SourceKey, when: Timestamp) -> Result<()> {
    t.exec(sql::CLOSE_SESSION, &[&customer.as_str(), &source.raw(), &at(when)?])?;
    Ok(())
}

pub(crate) fn release_sources_to_pool(t: &mut PgTx<'_>, customer: &ObjectId, key: EntryKey) -> Result<()> {
    t.exec(sql::RELEASE_SOURCES_TO_POOL, &[&customer.as_str(), &key.raw()])?;
    Ok(())
}
