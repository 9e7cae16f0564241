//! Reference data on SQLite: customers and users, settings, clients, code types, codes,
//! matters with their allowed codes and access lists, validation rules, the per-customer
//! reference version, and replacing all of it by a sync snapshot. Upserts are keyed by
//! external id and keep the record's `_id`. The checks of the input are the operations'.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::storage;
use crate::error::{Result, TenthsError};
use crate::model::*;
use crate::rules::ids::ObjectId;
use crate::rules::time::Timestamp;
use crate::rules::units::Rounding;
use crate::rules::validation::Rules;

/// The customer's reference version (`sync_reference_seq`, also the pull feed's reference
/// position).
pub(super) fn reference_version(c: &Connection, customer: &ObjectId) -> Result<i64> {
    Ok(c.prepare_cached("SELECT seq FROM sync_reference_seq WHERE customer_id = ?1")?.query_row(params![customer], |r| r.get(0)).optional()?.unwrap_or(0))
}

/// Moves the customer's reference version.
pub(super) fn bump_reference_version(c: &Connection, customer: &ObjectId) -> Result<()> {
    c.prepare_cached("INSERT INTO sync_reference_seq (customer_id, seq) VALUES (?1, 1) ON CONFLICT DO UPDATE SET seq = seq + 1")?.execute(params![customer])?;
    Ok(())
}

/// Creates the customer with default settings if it is new.
pub(super) fn ensure_customer(c: &Connection, customer: &ObjectId, now: Timestamp) -> Result<()> {
    c.prepare_cached("INSERT INTO customers (id, created_at) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING")?.execute(params![customer, now.millis()])?;
    Ok(())
}

/// Creates the customer and the user if they are new.
pub(super) fn ensure_user(c: &Connection, customer: &ObjectId, user: &ObjectId, now: Timestamp) -> Result<()> {
    ensure_customer(c, customer, now)?;
    c.prepare_cached("INSERT INTO users (customer_id, id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")?.execute(params![
        customer,
        user,
        now.millis()
    ])?;
    Ok(())
}

/// The customer's stored settings.
pub(super) fn customer_settings(c: &Connection, customer: &ObjectId) -> Result<Option<CustomerSettings>> {
    let row = c
        .prepare_cached(
            "SELECT default_unit_increments, rounding, minimum_one_unit, timezone, allow_post_release_edit, event_retention_days FROM customers WHERE id = ?1",
        )?
        .query_row(params![customer], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?, r.get::<_, String>(3)?, r.get::<_, bool>(4)?, r.get::<_, Option<i64>>(5)?))
        })
        .optional()?;
    row.map(|(inc, rounding, min1, tz, post, retention)| {
        Ok(CustomerSettings {
            default_unit_increments: inc,
            rounding: Rounding::parse_field(&rounding, "rounding")?,
            minimum_one_unit: min1,
            timezone: tz,
            allow_post_release_edit: post,
            event_retention_days: retention,
        })
    })
    .transpose()
}

/// Stores the customer's settings (the customer row exists).
pub(super) fn save_customer_settings(c: &Connection, customer: &ObjectId, s: &CustomerSettings) -> Result<()> {
    c.prepare_cached(
        "UPDATE customers SET default_unit_increments = ?2, rounding = ?3, minimum_one_unit = ?4, timezone = ?5, allow_post_release_edit = ?6,
         event_retention_days = ?7 WHERE id = ?1",
    )?
    .execute(params![
        customer,
        s.default_unit_increments,
        s.rounding.as_str(),
        s.minimum_one_unit,
        s.timezone,
        s.allow_post_release_edit,
        s.event_retention_days
    ])?;
    Ok(())
}

/// The user's own zone, if set.
pub(super) fn user_timezone(c: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<Option<String>> {
    Ok(c.prepare_cached("SELECT timezone FROM users WHERE customer_id = ?1 AND id = ?2")?
        .query_row(params![customer, user], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// Stores the user's zone (the user row exists).
pub(super) fn save_user_timezone(c: &Connection, customer: &ObjectId, user: &ObjectId, timezone: Option<&str>) -> Result<()> {
    c.prepare_cached("UPDATE users SET timezone = ?3 WHERE customer_id = ?1 AND id = ?2")?.execute(params![customer, user, timezone])?;
    Ok(())
}

/// Inserts or updates a client by external id.
pub(super) fn upsert_client(c: &Connection, customer: &ObjectId, client: &Client, now: Timestamp) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO clients (customer_id, id, external_id, name, call_sign, description, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (customer_id, external_id) DO UPDATE SET name = excluded.name, call_sign = excluded.call_sign, description = excluded.description, updated_at = excluded.updated_at",
    )?
    .execute(params![customer, client.id, client.external_id, client.name, client.call_sign, client.description, now.millis()])?;
    Ok(())
}

/// Inserts or updates a code type by external id.
pub(super) fn upsert_code_type(c: &Connection, customer: &ObjectId, t: &CodeType, now: Timestamp) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO code_types (customer_id, id, external_id, name, semantic_type, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (customer_id, external_id) DO UPDATE SET name = excluded.name, semantic_type = excluded.semantic_type, updated_at = excluded.updated_at",
    )?
    .execute(params![customer, t.id, t.external_id, t.name, t.semantic_type, now.millis()])?;
    Ok(())
}

/// Inserts or updates a code by (code type, external id).
pub(super) fn upsert_code(c: &Connection, customer: &ObjectId, code: &Code, now: Timestamp) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO codes (customer_id, id, external_id, code_type_external_id, name, description, is_disabled, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (customer_id, code_type_external_id, external_id) DO UPDATE SET name = excluded.name, description = excluded.description, is_disabled = excluded.is_disabled, updated_at = excluded.updated_at",
    )?
    .execute(params![customer, code.id, code.external_id, code.code_type_external_id, code.name, code.description, code.is_disabled, now.millis()])?;
    Ok(())
}

/// Inserts or updates a matter's own fields by external id.
pub(super) fn upsert_initiative(c: &Connection, customer: &ObjectId, i: &Initiative, now: Timestamp) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO initiatives (customer_id, id, type, external_id, name, description, call_sign, client_external_id, billing_type, unit_increments, status, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (customer_id, external_id) DO UPDATE SET type = excluded.type, name = excluded.name, description = excluded.description,
           call_sign = excluded.call_sign, client_external_id = excluded.client_external_id, billing_type = excluded.billing_type,
           unit_increments = excluded.unit_increments, status = excluded.status, updated_at = excluded.updated_at",
    )?
    .execute(params![
        customer,
        i.id,
        i.kind.as_str(),
        i.external_id,
        i.name,
        i.description,
        i.call_sign,
        i.client_external_id,
        i.billing_type.as_str(),
        i.unit_increments,
        i.status.as_str(),
        now.millis()
    ])?;
    Ok(())
}

/// Replaces the allowed codes of a matter and marks it as restricting codes.
pub(super) fn set_initiative_codes(c: &Connection, customer: &ObjectId, initiative: &ObjectId, codes: &[ObjectId]) -> Result<()> {
    c.prepare_cached("DELETE FROM initiative_codes WHERE customer_id = ?1 AND initiative_id = ?2")?.execute(params![customer, initiative])?;
    let mut ins = c.prepare_cached("INSERT OR IGNORE INTO initiative_codes (customer_id, initiative_id, code_id) VALUES (?1, ?2, ?3)")?;
    for id in codes {
        ins.execute(params![customer, initiative, id])?;
    }
    c.prepare_cached("UPDATE initiatives SET restricts_codes = 1 WHERE customer_id = ?1 AND id = ?2")?.execute(params![customer, initiative])?;
    Ok(())
}

/// Replaces the allow or deny list of a matter.
pub(super) fn set_initiative_access(c: &Connection, customer: &ObjectId, initiative: &ObjectId, kind: AccessKind, users: &[ObjectId]) -> Result<()> {
    c.prepare_cached("DELETE FROM initiative_access WHERE customer_id = ?1 AND initiative_id = ?2 AND kind = ?3")?.execute(params![
        customer,
        initiative,
        kind.as_str()
    ])?;
    let mut ins = c.prepare_cached("INSERT OR IGNORE INTO initiative_access (customer_id, initiative_id, kind, user_id) VALUES (?1, ?2, ?3, ?4)")?;
    for u in users {
        ins.execute(params![customer, initiative, kind.as_str(), u])?;
    }
    Ok(())
}

/// Stores rules for a matter, or customer-wide (stored under the empty key).
pub(super) fn save_validation_rules(c: &Connection, customer: &ObjectId, initiative: Option<&ObjectId>, rules: &Rules, now: Timestamp) -> Result<()> {
    let key = initiative.map(ObjectId::as_str).unwrap_or("");
    let json = serde_json::to_string(&rules.required_code_type_external_ids).map_err(storage)?;
    c.prepare_cached(
        "INSERT INTO validation_rules (customer_id, initiative_id, is_summary_required, cannot_release_future_work, cannot_release_negative_increment, cannot_release_zero_increment, required_code_type_external_ids, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (customer_id, initiative_id) DO UPDATE SET is_summary_required = excluded.is_summary_required, cannot_release_future_work = excluded.cannot_release_future_work,
           cannot_release_negative_increment = excluded.cannot_release_negative_increment, cannot_release_zero_increment = excluded.cannot_release_zero_increment,
           required_code_type_external_ids = excluded.required_code_type_external_ids, updated_at = excluded.updated_at",
    )?
    .execute(params![customer, key, rules.is_summary_required, rules.cannot_release_future_work, rules.cannot_release_negative_increment, rules.cannot_release_zero_increment, json, now.millis()])?;
    Ok(())
}

type RulesRow = (String, bool, bool, bool, bool, String);

fn rules_from(row: RulesRow) -> Result<(Option<ObjectId>, Rules)> {
    let (key, summary, future, negative, zero, json) = row;
    let initiative = if key.is_empty() { None } else { Some(ObjectId::parse(&key).map_err(storage)?) };
    Ok((
        initiative,
        Rules {
            is_summary_required: summary,
            cannot_release_future_work: future,
            cannot_release_negative_increment: negative,
            cannot_release_zero_increment: zero,
            required_code_type_external_ids: serde_json::from_str(&json).map_err(|e| TenthsError::Storage { reason: format!("corrupt rules: {e}") })?,
        },
    ))
}

const RULES_COLUMNS: &str = "initiative_id, is_summary_required, cannot_release_future_work, cannot_release_negative_increment, cannot_release_zero_increment, required_code_type_external_ids";

fn rules_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RulesRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

/// The rules stored for exactly this key.
pub(super) fn validation_rules(c: &Connection, customer: &ObjectId, initiative: Option<&ObjectId>) -> Result<Option<Rules>> {
    let key = initiative.map(ObjectId::as_str).unwrap_or("");
    let sql = format!("SELECT {RULES_COLUMNS} FROM validation_rules WHERE customer_id = ?1 AND initiative_id = ?2");
    let row = c.prepare_cached(&sql)?.query_row(params![customer, key], rules_row).optional()?;
    Ok(row.map(rules_from).transpose()?.map(|(_, r)| r))
}

/// Every stored rule set, customer-wide first.
pub(super) fn list_validation_rules(c: &Connection, customer: &ObjectId) -> Result<Vec<(Option<ObjectId>, Rules)>> {
    let sql = format!("SELECT {RULES_COLUMNS} FROM validation_rules WHERE customer_id = ?1 ORDER BY initiative_id");
    let rows: Vec<RulesRow> = c.prepare_cached(&sql)?.query_map(params![customer], rules_row)?.collect::<rusqlite::Result<_>>()?;
    rows.into_iter().map(rules_from).collect()
}

const INITIATIVE_COLUMNS: &str =
    "id, type, external_id, name, description, call_sign, client_external_id, billing_type, unit_increments, status, restricts_codes";

fn initiative_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Initiative, bool)> {
    let kind = match r.get::<_, String>(1)?.as_str() {
        "temporary" => InitiativeType::Temporary,
        _ => InitiativeType::Pms,
    };
    let billing = match r.get::<_, String>(7)?.as_str() {
        "non-billable" => BillingType::NonBillable,
        _ => BillingType::Billable,
    };
    let status = match r.get::<_, String>(9)?.as_str() {
        "inactive" => InitiativeStatus::Inactive,
        _ => InitiativeStatus::Active,
    };
    Ok((
        Initiative {
            id: r.get(0)?,
            kind,
            external_id: r.get(2)?,
            name: r.get(3)?,
            description: r.get(4)?,
            call_sign: r.get(5)?,
            client_external_id: r.get(6)?,
            billing_type: billing,
            unit_increments: r.get(8)?,
            status,
            allowed_code_ids: None,
            allowed_user_ids: Vec::new(),
            denied_user_ids: Vec::new(),
        },
        r.get::<_, bool>(10)?,
    ))
}

fn complete_initiative(c: &Connection, customer: &ObjectId, (mut i, restricts): (Initiative, bool)) -> Result<Initiative> {
    if restricts {
        let mut stmt = c.prepare_cached("SELECT code_id FROM initiative_codes WHERE customer_id = ?1 AND initiative_id = ?2 ORDER BY code_id")?;
        i.allowed_code_ids = Some(stmt.query_map(params![customer, i.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?);
    }
    let mut stmt = c.prepare_cached("SELECT kind, user_id FROM initiative_access WHERE customer_id = ?1 AND initiative_id = ?2 ORDER BY user_id")?;
    let rows = stmt.query_map(params![customer, i.id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, ObjectId>(1)?)))?;
    for row in rows {
        let (kind, user) = row?;
        if kind == "allow" {
            i.allowed_user_ids.push(user);
        } else {
            i.denied_user_ids.push(user);
        }
    }
    Ok(i)
}

/// One matter with its allowed codes and access lists.
pub(super) fn initiative(c: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<Initiative>> {
    let sql = format!("SELECT {INITIATIVE_COLUMNS} FROM initiatives WHERE customer_id = ?1 AND id = ?2");
    let row = c.prepare_cached(&sql)?.query_row(params![customer, id], initiative_from_row).optional()?;
    row.map(|r| complete_initiative(c, customer, r)).transpose()
}

/// A matter's id by external id.
pub(super) fn initiative_id_by_external(c: &Connection, customer: &ObjectId, external_id: &str) -> Result<Option<ObjectId>> {
    Ok(c.prepare_cached("SELECT id FROM initiatives WHERE customer_id = ?1 AND external_id = ?2")?
        .query_row(params![customer, external_id], |r| r.get(0))
        .optional()?)
}

/// Every matter of the customer, by external id.
pub(super) fn list_initiatives(c: &Connection, customer: &ObjectId) -> Result<Vec<Initiative>> {
    let sql = format!("SELECT {INITIATIVE_COLUMNS} FROM initiatives WHERE customer_id = ?1 ORDER BY external_id");
    let rows: Vec<(Initiative, bool)> = c.prepare_cached(&sql)?.query_map(params![customer], initiative_from_row)?.collect::<rusqlite::Result<_>>()?;
    rows.into_iter().map(|r| complete_initiative(c, customer, r)).collect()
}

fn code_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Code> {
    Ok(Code { id: r.get(0)?, external_id: r.get(1)?, code_type_external_id: r.get(2)?, name: r.get(3)?, description: r.get(4)?, is_disabled: r.get(5)? })
}

/// Every code of the customer.
pub(super) fn list_codes(c: &Connection, customer: &ObjectId) -> Result<Vec<Code>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, external_id, code_type_external_id, name, description, is_disabled FROM codes WHERE customer_id = ?1 ORDER BY code_type_external_id, external_id",
    )?;
    let rows = stmt.query_map(params![customer], code_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// One code by id.
pub(super) fn code(c: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<Code>> {
    Ok(c.prepare_cached("SELECT id, external_id, code_type_external_id, name, description, is_disabled FROM codes WHERE customer_id = ?1 AND id = ?2")?
        .query_row(params![customer, id], code_from_row)
        .optional()?)
}

/// One code by code type and external id.
pub(super) fn code_by_external(c: &Connection, customer: &ObjectId, code_type: &str, external_id: &str) -> Result<Option<Code>> {
    Ok(c.prepare_cached(
        "SELECT id, external_id, code_type_external_id, name, description, is_disabled FROM codes WHERE customer_id = ?1 AND code_type_external_id = ?2 AND external_id = ?3",
    )?
    .query_row(params![customer, code_type, external_id], code_from_row)
    .optional()?)
}

/// The ids of the codes with this external id, in any code type (at most `limit`).
pub(super) fn code_ids_by_external(c: &Connection, customer: &ObjectId, external_id: &str, limit: usize) -> Result<Vec<ObjectId>> {
    let mut stmt = c.prepare_cached("SELECT id FROM codes WHERE customer_id = ?1 AND external_id = ?2 LIMIT ?3")?;
    let found = stmt.query_map(params![customer, external_id, i64::try_from(limit).unwrap_or(i64::MAX)], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(found)
}

fn code_type_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CodeType> {
    Ok(CodeType { id: r.get(0)?, external_id: r.get(1)?, name: r.get(2)?, semantic_type: r.get(3)? })
}

/// A code type by external id.
pub(super) fn code_type_by_external(c: &Connection, customer: &ObjectId, external_id: &str) -> Result<Option<CodeType>> {
    Ok(c.prepare_cached("SELECT id, external_id, name, semantic_type FROM code_types WHERE customer_id = ?1 AND external_id = ?2")?
        .query_row(params![customer, external_id], code_type_from_row)
        .optional()?)
}

/// Every code type of the customer.
pub(super) fn list_code_types(c: &Connection, customer: &ObjectId) -> Result<Vec<CodeType>> {
    let mut stmt = c.prepare_cached("SELECT id, external_id, name, semantic_type FROM code_types WHERE customer_id = ?1 ORDER BY external_id")?;
    let rows = stmt.query_map(params![customer], code_type_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

fn client_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Client> {
    Ok(Client { id: r.get(0)?, external_id: r.get(1)?, name: r.get(2)?, call_sign: r.get(3)?, description: r.get(4)? })
}

/// Every client of the customer.
pub(super) fn list_clients(c: &Connection, customer: &ObjectId) -> Result<Vec<Client>> {
    let mut stmt = c.prepare_cached("SELECT id, external_id, name, call_sign, description FROM clients WHERE customer_id = ?1 ORDER BY external_id")?;
    let rows = stmt.query_map(params![customer], client_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// A client by external id.
pub(super) fn client_by_external(c: &Connection, customer: &ObjectId, external_id: &str) -> Result<Option<Client>> {
    Ok(c.prepare_cached("SELECT id, external_id, name, call_sign, description FROM clients WHERE customer_id = ?1 AND external_id = ?2")?
        .query_row(params![customer, external_id], client_from_row)
        .optional()?)
}

/// The display forms of matters with their clients, in one statement (ids bound as one JSON
/// array); matters not stored are absent from the map.
pub(super) fn initiative_refs(c: &Connection, customer: &ObjectId, ids: &[ObjectId]) -> Result<HashMap<ObjectId, InitiativeRef>> {
    let list = serde_json::to_string(&ids.iter().map(|i| i.as_str()).collect::<Vec<_>>()).map_err(storage)?;
    let mut stmt = c.prepare_cached(
        "SELECT i.id, i.type, i.external_id, i.name, i.description, i.call_sign, i.client_external_id, i.billing_type, i.unit_increments, i.status, i.restricts_codes,
                c.id, c.external_id, c.name, c.description, c.call_sign FROM initiatives i
         LEFT JOIN clients c ON c.customer_id = i.customer_id AND c.external_id = i.client_external_id
         WHERE i.customer_id = ?1 AND i.id IN (SELECT value FROM json_each(?2))",
    )?;
    let rows = stmt.query_map(params![customer, list], |r| {
        let (i, _) = initiative_from_row(r)?;
        let client = match r.get::<_, Option<ObjectId>>(11)? {
            Some(cid) => Some(ClientRef { id: cid, external_id: r.get(12)?, name: r.get(13)?, description: r.get(14)?, call_sign: r.get(15)? }),
            None => None,
        };
        Ok(InitiativeRef::of(i, client))
    })?;
    let mut out = HashMap::with_capacity(ids.len());
    for r in rows {
        let r = r?;
        out.insert(r.id, r);
    }
    Ok(out)
}

/// Removes the customer's reference data, children first; the customer and user rows stay.
pub(super) fn clear_reference(c: &Connection, customer: &ObjectId) -> Result<()> {
    for sql in [
        "DELETE FROM initiative_codes WHERE customer_id = ?1",
        "DELETE FROM initiative_access WHERE customer_id = ?1",
        "DELETE FROM validation_rules WHERE customer_id = ?1",
        "DELETE FROM codes WHERE customer_id = ?1",
        "DELETE FROM code_types WHERE customer_id = ?1",
        "DELETE FROM initiatives WHERE customer_id = ?1",
        "DELETE FROM clients WHERE customer_id = ?1",
    ] {
        c.prepare_cached(sql)?.execute(params![customer])?;
    }
    Ok(())
}
