//! The server side of sync: applying a device's push under the router's rules (tenancy, the
//! status machine, validation), each operation at most once, with optimistic concurrency on the
//! base version; the pull feed of a user's changed entries after a cursor; and the customer's
//! reference data as a snapshot (plus applying that snapshot on a device).

use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};

use super::*;
use crate::engine::{self, Scope};
use crate::error::{Result, TenthsError};
use crate::rules::ids::ObjectId;
use crate::rules::status::{Operation, Transition};
use crate::store::entries::{self as store, Stats};
use crate::store::lookups::Lookups;
use crate::rules::time::Timestamp;

fn storage(e: impl std::fmt::Display) -> TenthsError {
    TenthsError::Storage { reason: e.to_string() }
}

/// Bumps the customer's reference sequence (every reference-data write calls this).
pub(crate) fn bump_reference_seq(c: &Connection, customer: &ObjectId) -> Result<()> {
    c.prepare_cached("INSERT INTO sync_reference_seq (customer_id, seq) VALUES (?1, 1) ON CONFLICT DO UPDATE SET seq = seq + 1")?.execute(params![customer])?;
    Ok(())
}

fn reference_seq(c: &Connection, customer: &ObjectId) -> Result<i64> {
    Ok(c.prepare_cached("SELECT seq FROM sync_reference_seq WHERE customer_id = ?1")?.query_row(params![customer], |r| r.get(0)).optional()?.unwrap_or(0))
}

/// The reference tables a snapshot carries, in the order they are written (parents first), with
/// the filter that selects the customer's (and only this user's) rows.
const REFERENCE_TABLES: &[(&str, &str)] = &[
    ("customers", "id = ?1"),
    ("users", "customer_id = ?1 AND id = ?2"),
    ("clients", "customer_id = ?1"),
    ("code_types", "customer_id = ?1"),
    ("codes", "customer_id = ?1"),
    ("initiatives", "customer_id = ?1"),
    ("initiative_codes", "customer_id = ?1"),
    ("initiative_access", "customer_id = ?1"),
    ("validation_rules", "customer_id = ?1"),
];

fn columns(c: &Connection, table: &str) -> Result<Vec<String>> {
    let mut stmt = c.prepare_cached(&format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"))?;
    let names = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(names)
}

fn to_json(v: Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Integer(i) => i.into(),
        Value::Real(f) => serde_json::Number::from_f64(f).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null),
        Value::Text(s) => s.into(),
        Value::Blob(b) => b.into_iter().map(serde_json::Value::from).collect(),
    }
}

fn from_json(v: &serde_json::Value, field: &str) -> Result<Value> {
    Ok(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Integer(i64::from(*b)),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => return Err(TenthsError::invalid(field, "must be an integer")),
        },
        serde_json::Value::String(s) => Value::Text(s.clone()),
        _ => return Err(TenthsError::invalid(field, "must be null, an integer or a string")),
    })
}

/// The customer's reference data as of now, for `user`'s device.
pub(crate) fn snapshot(c: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<ReferenceSnapshot> {
    let mut tables = Vec::with_capacity(REFERENCE_TABLES.len());
    for (table, filter) in REFERENCE_TABLES {
        let cols = columns(c, table)?;
        let mut stmt = c.prepare_cached(&format!("SELECT * FROM {table} WHERE {filter}"))?;
        let n = cols.len();
        let needs_user = filter.contains("?2");
        let map = |r: &rusqlite::Row<'_>| (0..n).map(|i| r.get::<_, Value>(i).map(to_json)).collect::<rusqlite::Result<Vec<_>>>();
        let rows = if needs_user { stmt.query_map(params![customer, user], map)? } else { stmt.query_map(params![customer], map)? };
        let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        tables.push(TableRows { table: (*table).to_string(), columns: cols, rows });
    }
    Ok(ReferenceSnapshot { seq: reference_seq(c, customer)?, schema_version: crate::store::SCHEMA_VERSION, tables })
}

/// Replaces a device's reference data of the customer by a snapshot from the server. Every
/// table and column must be this schema's, and every row the customer's (the user's for
/// `users`); otherwise nothing is written.
pub(crate) fn apply_snapshot(c: &Connection, customer: &ObjectId, user: &ObjectId, snap: &ReferenceSnapshot) -> Result<()> {
    if snap.schema_version != crate::store::SCHEMA_VERSION {
        return Err(TenthsError::invalid(
            "reference.schemaVersion",
            format!("is {}, this device speaks {}", snap.schema_version, crate::store::SCHEMA_VERSION),
        ));
    }
    if snap.tables.len() != REFERENCE_TABLES.len() {
        return Err(TenthsError::invalid("reference.tables", "must list every reference table"));
    }
    let mut parsed = Vec::with_capacity(snap.tables.len());
    for (i, ((table, _), rows)) in REFERENCE_TABLES.iter().zip(&snap.tables).enumerate() {
        let field = format!("reference.tables[{i}]");
        if rows.table != *table || rows.columns != columns(c, table)? {
            return Err(TenthsError::invalid(field, format!("must be table {table} with this schema's columns")));
        }
        let customer_col = if *table == "customers" { "id" } else { "customer_id" };
        let ci = rows.columns.iter().position(|c| c == customer_col).ok_or_else(|| TenthsError::invalid(&field, "has no customer column"))?;
        let ui = if *table == "users" { rows.columns.iter().position(|c| c == "id") } else { None };
        let mut values = Vec::with_capacity(rows.rows.len());
        for (j, row) in rows.rows.iter().enumerate() {
            let rf = format!("{field}.rows[{j}]");
            if row.len() != rows.columns.len() {
                return Err(TenthsError::invalid(rf, "has the wrong number of values"));
            }
            if row.get(ci).and_then(|v| v.as_str()) != Some(customer.as_str()) || ui.is_some_and(|u| row.get(u).and_then(|v| v.as_str()) != Some(user.as_str()))
            {
                return Err(TenthsError::invalid(rf, "belongs to another customer or user"));
            }
            values.push(row.iter().enumerate().map(|(k, v)| from_json(v, &format!("{rf}[{k}]"))).collect::<Result<Vec<_>>>()?);
        }
        parsed.push((*table, rows.columns.clone(), values));
    }
    // Children first out, parents first in; customers and users rows are kept (entries
    // reference them) and updated in place.
    for table in ["initiative_codes", "initiative_access", "validation_rules", "codes", "code_types", "initiatives", "clients"] {
        c.execute(&format!("DELETE FROM {table} WHERE customer_id = ?1"), params![customer])?;
    }
    for (table, cols, rows) in parsed {
        let placeholders = (1..=cols.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
        let upsert = match table {
            "customers" | "users" => {
                let sets = cols.iter().map(|c| format!("{c} = excluded.{c}")).collect::<Vec<_>>().join(", ");
                format!(" ON CONFLICT DO UPDATE SET {sets}")
            }
            _ => String::new(),
        };
        let sql = format!("INSERT INTO {table} ({}) VALUES ({placeholders}){upsert}", cols.join(", "));
        let mut stmt = c.prepare(&sql)?;
        for row in rows {
            stmt.execute(rusqlite::params_from_iter(row)).map_err(|e| TenthsError::invalid(format!("reference.{table}"), e.to_string()))?;
        }
    }
    Ok(())
}

/// One page of the pull feed: `user`'s entries changed after `after`, in change order, with the
/// reference snapshot when it changed since `after`.
pub(crate) fn changes(c: &Connection, lk: &mut Lookups, customer: &ObjectId, user: &ObjectId, after: PullCursor, limit: usize) -> Result<PullPage> {
    if !(1..=MAX_SYNC_BATCH).contains(&limit) {
        return Err(TenthsError::invalid("limit", format!("must be between 1 and {MAX_SYNC_BATCH}")));
    }
    if after.entry_seq < 0 || after.reference_seq < 0 {
        return Err(TenthsError::invalid("entrySeq", "must not be negative"));
    }
    let sql = format!(
        "SELECT {}, change_seq FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND change_seq > ?3 ORDER BY change_seq LIMIT ?4",
        store::ENTRY_COLUMNS
    );
    let fetch = i64::try_from(limit).unwrap_or(100).saturating_add(1);
    let mut rows: Vec<(i64, crate::model::Entry, i64)> = c
        .prepare_cached(&sql)?
        .query_map(params![customer, user, after.entry_seq, fetch], |r| {
            let (pk, e) = store::entry_from_row(r)?;
            Ok((pk, e, r.get(34)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    let mut next = after;
    let mut entries = Vec::with_capacity(rows.len());
    for (pk, mut e, seq) in rows {
        store::complete(c, lk, pk, &mut e)?;
        entries.push(SyncedEntry::from_entry(&e));
        next.entry_seq = seq;
    }
    let current = reference_seq(c, customer)?;
    let reference = if current > after.reference_seq {
        next.reference_seq = current;
        Some(snapshot(c, customer, user)?)
    } else {
        None
    };
    Ok(PullPage { after, next, has_more, entries, reference })
}

/// Applies a device's push batch for `scope`'s user: each operation in its own savepoint, each
/// operation id at most once (a replay answers the first answer, with the entry's current copy).
pub(crate) fn apply_push(c: &Connection, lk: &mut Lookups, now: Timestamp, scope: &Scope, batch: &PushBatch, stats: &Stats) -> Result<PushResponse> {
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
    let mut inserter = store::Inserter::new(c)?;
    for op in &batch.ops {
        let replay: Option<String> = c
            .prepare_cached("SELECT answer FROM sync_applied_ops WHERE customer_id = ?1 AND op_id = ?2")?
            .query_row(params![scope.customer, op.op_id], |r| r.get(0))
            .optional()?;
        if let Some(answer) = replay {
            // The first answer, with the entry's current copy (never older than the first one's).
            let mut first: OpResult = serde_json::from_str(&answer).map_err(storage)?;
            first.record = record(c, lk, &scope.customer, &op.entry.id)?.filter(|r| r.user_id == scope.user);
            results.push(first);
            continue;
        }
        c.prepare_cached("SAVEPOINT op")?.execute([])?;
        let result = match apply_op(c, lk, now, scope, op, &mut inserter, stats) {
            Ok(r) => {
                c.prepare_cached("RELEASE op")?.execute([])?;
                r
            }
            Err(e) => {
                c.prepare_cached("ROLLBACK TO op")?.execute([])?;
                c.prepare_cached("RELEASE op")?.execute([])?;
                *lk = Lookups::default();
                if matches!(e, TenthsError::Storage { .. } | TenthsError::Closed) {
                    return Err(e);
                }
                let failures = match &e {
                    TenthsError::ValidationFailed { failures } => failures.clone(),
                    _ => Vec::new(),
                };
                rejected(c, lk, scope, op, e.kind().code(), &e.to_string(), failures)?
            }
        };
        // Stored without the copy: a replay answers the entry's copy as it is then.
        let answer = serde_json::to_string(&OpResult { record: None, ..result.clone() }).map_err(storage)?;
        c.prepare_cached("INSERT INTO sync_applied_ops (customer_id, op_id, user_id, answer, at) VALUES (?1, ?2, ?3, ?4, ?5)")?.execute(params![
            scope.customer,
            op.op_id,
            scope.user,
            answer,
            now.millis()
        ])?;
        results.push(result);
    }
    inserter.finish(stats)?;
    Ok(PushResponse { batch_id: batch.batch_id, results })
}

fn record(c: &Connection, lk: &mut Lookups, customer: &ObjectId, id: &ObjectId) -> Result<Option<SyncedEntry>> {
    Ok(store::find(c, lk, customer, id)?.map(|(_, e)| SyncedEntry::from_entry(&e)))
}

fn answer(c: &Connection, lk: &mut Lookups, scope: &Scope, op: &PushOp, outcome: OpOutcome) -> Result<OpResult> {
    Ok(OpResult {
        op_id: op.op_id,
        entry_id: op.entry.id,
        outcome,
        code: None,
        reason: None,
        failures: Vec::new(),
        record: record(c, lk, &scope.customer, &op.entry.id)?,
    })
}

fn rejected(c: &Connection, lk: &mut Lookups, scope: &Scope, op: &PushOp, code: &str, reason: &str, failures: Vec<RuleFailure>) -> Result<OpResult> {
    // Another user's entry of the same id is not shown.
    let record = record(c, lk, &scope.customer, &op.entry.id)?.filter(|r| r.user_id == scope.user);
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
fn apply_op(
    c: &Connection,
    lk: &mut Lookups,
    now: Timestamp,
    scope: &Scope,
    op: &PushOp,
    inserter: &mut store::Inserter<'_>,
    stats: &Stats,
) -> Result<OpResult> {
    let fields = op.entry.user_fields();
    let existing = store::find(c, lk, &scope.customer, &op.entry.id)?;
    let pk = match existing {
        Some((_, e)) if e.user_id != scope.user => return Err(TenthsError::conflict("an entry with this _id already exists")),
        Some((pk, e)) => {
            if op.base_version != Some(e.version) {
                let settings = lk.settings(c, &scope.customer)?;
                let edits = op.changed.iter().any(|f| *f != SyncField::Released);
                if e.is_locked && edits && !settings.allow_post_release_edit && !e.is_deleted {
                    return rejected(c, lk, scope, op, "locked", "the entry was released or locked on the server", Vec::new());
                }
                return answer(c, lk, scope, op, OpOutcome::Conflict);
            }
            let edits: Vec<SyncField> = op.changed.iter().copied().filter(|f| !matches!(f, SyncField::Released | SyncField::IsDeleted)).collect();
            if op.changed.contains(&SyncField::IsDeleted) && fields.is_deleted && !e.is_deleted {
                engine::delete_in_tx(c, lk, now, scope, pk, e, stats)?;
                return answer(c, lk, scope, op, OpOutcome::Applied);
            }
            if !edits.is_empty() {
                apply_edits(c, lk, now, scope, pk, e, &op.entry, &edits, stats)?;
            }
            pk
        }
        None => {
            if op.base_version.is_some() {
                return Err(TenthsError::not_found("entry", op.entry.id));
            }
            let (pk, created) = engine::create_synced_in_tx(c, lk, now, scope, &op.entry, inserter, stats)?;
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
                let (_, e) = store::find_scoped(c, lk, &scope.customer, Some(&scope.user), &op.entry.id)?;
                engine::delete_in_tx(c, lk, now, scope, pk, e, stats)?;
                return answer(c, lk, scope, op, OpOutcome::Applied);
            }
            pk
        }
    };
    if op.changed.contains(&SyncField::Released) {
        let (_, mut e) = store::find_scoped(c, lk, &scope.customer, Some(&scope.user), &op.entry.id)?;
        if fields.released && !e.is_locked {
            match engine::release_in_tx(c, lk, now, scope, pk, &mut e) {
                Ok(()) => {}
                Err(TenthsError::ValidationFailed { failures }) => {
                    return rejected(c, lk, scope, op, "validation_failed", "the server's rules refuse the release", failures);
                }
                Err(err) if !matches!(err, TenthsError::Storage { .. }) => {
                    let code = err.kind().code();
                    return rejected(c, lk, scope, op, code, &err.to_string(), Vec::new());
                }
                Err(err) => return Err(err),
            }
        } else if !fields.released && e.is_locked {
            engine::unrelease_in_tx(c, lk, now, scope, pk, e)?;
        }
    }
    answer(c, lk, scope, op, OpOutcome::Applied)
}

/// Applies the changed user fields of an entry whose base version is current.
#[allow(clippy::too_many_arguments)]
fn apply_edits(
    c: &Connection,
    lk: &mut Lookups,
    now: Timestamp,
    scope: &Scope,
    pk: i64,
    mut e: crate::model::Entry,
    incoming: &SyncedEntry,
    edits: &[SyncField],
    stats: &Stats,
) -> Result<()> {
    let settings = lk.settings(c, &scope.customer)?;
    if engine::decide(&e, &Operation::Edit, &settings)? == Transition::UnreleaseThenRevalidate {
        e.is_locked = false;
        e.status = crate::rules::status::Status::ValidationPending;
    }
    let mut touched = store::intervals(&e.sources);
    for f in edits {
        match f {
            SyncField::Summary => e.summary = incoming.summary.clone(),
            SyncField::Notes => e.notes = incoming.notes.clone(),
            SyncField::WorkDate => e.work_date = incoming.work_date,
            SyncField::InitiativeId => e.initiative_id = incoming.initiative_id,
            SyncField::CodeIds => {
                let ids: Vec<ObjectId> = incoming.codes.iter().map(|c| c.id).collect();
                e.codes = store::resolve_codes(c, lk, &scope.customer, &ids)?;
                store::replace_codes(c, pk, &e.codes)?;
            }
            SyncField::UnitIncrementCountAdjustments => e.unit_increment_count_adjustments = incoming.unit_increment_count_adjustments,
            SyncField::TimerDurationAdjustmentInSeconds => e.timer_duration_adjustment_in_seconds = incoming.timer_duration_adjustment_in_seconds,
            SyncField::EnteredDurationInSeconds => e.entered_duration_in_seconds = incoming.entered_duration_in_seconds,
            SyncField::Sources => {
                let sources = engine::settle_incoming_sessions(c, lk, now, scope, &incoming.id, &incoming.sources, stats)?;
                store::replace_sources(c, &scope.customer, &scope.user, pk, &sources)?;
                e.sources = sources;
            }
            SyncField::IsDeleted | SyncField::Released => {}
        }
    }
    touched.extend(store::intervals(&e.sources));
    e.updated_at = now.max(e.updated_at);
    e.version = e.version.saturating_add(1);
    store::settle_and_save(c, lk, now, pk, &mut e)?;
    store::refresh_overlap(c, &scope.customer, &scope.user, pk, &touched, stats)?;
    Ok(())
}
