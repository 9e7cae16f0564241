//! Reference data in the store: customers and users (created implicitly), settings, clients,
//! code types, codes, initiatives with their allowed codes and access lists, and validation
//! rules. Upserts are keyed by external id and keep the record's `_id`.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Result, TenthsError};
use crate::rules::ids::{check_external_id, ObjectId};
use crate::model::*;
use crate::rules::time::{parse_zone, Timestamp};
use crate::rules::units::{check_increment, Rounding, UnitPolicy};
use crate::rules::validation::Rules;

/// Creates the customer with default settings if it is new.
pub(crate) fn ensure_customer(conn: &Connection, customer: &ObjectId, now: Timestamp) -> Result<()> {
    conn.prepare_cached("INSERT INTO customers (id, created_at) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING")?.execute(params![customer, now.millis()])?;
    Ok(())
}

/// Creates the customer and the user if they are new.
pub(crate) fn ensure_user(conn: &Connection, customer: &ObjectId, user: &ObjectId, now: Timestamp) -> Result<()> {
    ensure_customer(conn, customer, now)?;
    conn.prepare_cached("INSERT INTO users (customer_id, id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")?.execute(params![
        customer,
        user,
        now.millis()
    ])?;
    Ok(())
}

/// The customer's settings (defaults for an unknown customer).
pub(crate) fn customer_settings(conn: &Connection, customer: &ObjectId) -> Result<CustomerSettings> {
    let row = conn
        .prepare_cached("SELECT default_unit_increments, rounding, minimum_one_unit, timezone, allow_post_release_edit FROM customers WHERE id = ?1")?
        .query_row(params![customer], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?, r.get::<_, String>(3)?, r.get::<_, bool>(4)?)))
        .optional()?;
    Ok(match row {
        None => CustomerSettings::default(),
        Some((inc, rounding, min1, tz, post)) => CustomerSettings {
            default_unit_increments: inc,
            rounding: Rounding::parse_field(&rounding, "rounding")?,
            minimum_one_unit: min1,
            timezone: tz,
            allow_post_release_edit: post,
        },
    })
}

impl CustomerSettings {
    /// The rounding policy.
    pub fn policy(&self) -> UnitPolicy {
        UnitPolicy { rounding: self.rounding, minimum_one_unit: self.minimum_one_unit }
    }
}

/// Applies a settings change; returns the new settings.
pub(crate) fn update_customer_settings(conn: &Connection, customer: &ObjectId, patch: &CustomerSettingsPatch, now: Timestamp) -> Result<CustomerSettings> {
    if let Some(inc) = patch.default_unit_increments {
        check_increment(inc, "defaultUnitIncrements")?;
    }
    if let Some(tz) = &patch.timezone {
        parse_zone(tz, "timezone")?;
    }
    ensure_customer(conn, customer, now)?;
    let mut s = customer_settings(conn, customer)?;
    if let Some(v) = patch.default_unit_increments {
        s.default_unit_increments = v;
    }
    if let Some(v) = patch.rounding {
        s.rounding = v;
    }
    if let Some(v) = patch.minimum_one_unit {
        s.minimum_one_unit = v;
    }
    if let Some(v) = &patch.timezone {
        s.timezone = v.clone();
    }
    if let Some(v) = patch.allow_post_release_edit {
        s.allow_post_release_edit = v;
    }
    conn.prepare_cached(
        "UPDATE customers SET default_unit_increments = ?2, rounding = ?3, minimum_one_unit = ?4, timezone = ?5, allow_post_release_edit = ?6 WHERE id = ?1",
    )?
    .execute(params![customer, s.default_unit_increments, s.rounding.as_str(), s.minimum_one_unit, s.timezone, s.allow_post_release_edit])?;
    Ok(s)
}

/// The user's own zone, if set.
pub(crate) fn user_timezone(conn: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT timezone FROM users WHERE customer_id = ?1 AND id = ?2")?
        .query_row(params![customer, user], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// Sets the user's zone.
pub(crate) fn update_user_settings(conn: &Connection, customer: &ObjectId, user: &ObjectId, settings: &UserSettings, now: Timestamp) -> Result<UserSettings> {
    if let Some(tz) = &settings.timezone {
        parse_zone(tz, "timezone")?;
    }
    ensure_user(conn, customer, user, now)?;
    conn.prepare_cached("UPDATE users SET timezone = ?3 WHERE customer_id = ?1 AND id = ?2")?.execute(params![customer, user, settings.timezone])?;
    Ok(settings.clone())
}

fn check_opt_text(v: &Option<String>, field: &str) -> Result<()> {
    if let Some(s) = v {
        check_text(s, field, MAX_NAME_BYTES)?;
    }
    Ok(())
}

fn existing_id(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Option<ObjectId>> {
    Ok(conn.prepare_cached(sql)?.query_row(p, |r| r.get::<_, ObjectId>(0)).optional()?)
}

/// Upserts a client by external id.
pub(crate) fn upsert_client(conn: &Connection, customer: &ObjectId, input: &ClientInput, now: Timestamp) -> Result<Client> {
    check_external_id(&input.external_id, "externalId")?;
    check_name(&input.name, "name")?;
    check_opt_text(&input.call_sign, "callSign")?;
    check_opt_text(&input.description, "description")?;
    ensure_customer(conn, customer, now)?;
    let id = existing_id(conn, "SELECT id FROM clients WHERE customer_id = ?1 AND external_id = ?2", params![customer, input.external_id])?
        .unwrap_or_else(|| ObjectId::generate(now.millis() / 1000));
    conn.prepare_cached(
        "INSERT INTO clients (customer_id, id, external_id, name, call_sign, description, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (customer_id, external_id) DO UPDATE SET name = excluded.name, call_sign = excluded.call_sign, description = excluded.description, updated_at = excluded.updated_at",
    )?
    .execute(params![customer, id, input.external_id, input.name, input.call_sign, input.description, now.millis()])?;
    Ok(Client {
        id,
        external_id: input.external_id.clone(),
        name: input.name.clone(),
        call_sign: input.call_sign.clone(),
        description: input.description.clone(),
    })
}

/// Upserts a code type by external id.
pub(crate) fn upsert_code_type(conn: &Connection, customer: &ObjectId, input: &CodeTypeInput, now: Timestamp) -> Result<CodeType> {
    check_external_id(&input.external_id, "externalId")?;
    check_name(&input.name, "name")?;
    check_name(&input.semantic_type, "semanticType")?;
    ensure_customer(conn, customer, now)?;
    let id = existing_id(conn, "SELECT id FROM code_types WHERE customer_id = ?1 AND external_id = ?2", params![customer, input.external_id])?
        .unwrap_or_else(|| ObjectId::generate(now.millis() / 1000));
    conn.prepare_cached(
        "INSERT INTO code_types (customer_id, id, external_id, name, semantic_type, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (customer_id, external_id) DO UPDATE SET name = excluded.name, semantic_type = excluded.semantic_type, updated_at = excluded.updated_at",
    )?
    .execute(params![customer, id, input.external_id, input.name, input.semantic_type, now.millis()])?;
    Ok(CodeType { id, external_id: input.external_id.clone(), name: input.name.clone(), semantic_type: input.semantic_type.clone() })
}

/// Upserts a code by (code type, external id). The code type must exist.
pub(crate) fn upsert_code(conn: &Connection, customer: &ObjectId, input: &CodeInput, now: Timestamp) -> Result<Code> {
    check_external_id(&input.external_id, "externalId")?;
    check_external_id(&input.code_type_external_id, "codeTypeExternalId")?;
    check_name(&input.name, "name")?;
    check_opt_text(&input.description, "description")?;
    ensure_customer(conn, customer, now)?;
    if existing_id(conn, "SELECT id FROM code_types WHERE customer_id = ?1 AND external_id = ?2", params![customer, input.code_type_external_id])?.is_none() {
        return Err(TenthsError::not_found("code type", format!("{:?} (codeTypeExternalId); import it first", input.code_type_external_id)));
    }
    let id = existing_id(
        conn,
        "SELECT id FROM codes WHERE customer_id = ?1 AND code_type_external_id = ?2 AND external_id = ?3",
        params![customer, input.code_type_external_id, input.external_id],
    )?
    .unwrap_or_else(|| ObjectId::generate(now.millis() / 1000));
    let disabled = input.is_disabled.unwrap_or(false);
    conn.prepare_cached(
        "INSERT INTO codes (customer_id, id, external_id, code_type_external_id, name, description, is_disabled, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (customer_id, code_type_external_id, external_id) DO UPDATE SET name = excluded.name, description = excluded.description, is_disabled = excluded.is_disabled, updated_at = excluded.updated_at",
    )?
    .execute(params![customer, id, input.external_id, input.code_type_external_id, input.name, input.description, disabled, now.millis()])?;
    Ok(Code {
        id,
        external_id: input.external_id.clone(),
        code_type_external_id: input.code_type_external_id.clone(),
        name: input.name.clone(),
        description: input.description.clone(),
        is_disabled: disabled,
    })
}

/// Upserts an initiative by external id; keeps its allowed codes and access lists.
pub(crate) fn upsert_initiative(conn: &Connection, customer: &ObjectId, input: &InitiativeInput, now: Timestamp) -> Result<ObjectId> {
    check_external_id(&input.external_id, "externalId")?;
    check_name(&input.name, "name")?;
    check_opt_text(&input.description, "description")?;
    check_opt_text(&input.call_sign, "callSign")?;
    if let Some(c) = &input.client_external_id {
        check_external_id(c, "clientExternalId")?;
    }
    check_increment(input.unit_increments, "unitIncrements")?;
    ensure_customer(conn, customer, now)?;
    let id = existing_id(conn, "SELECT id FROM initiatives WHERE customer_id = ?1 AND external_id = ?2", params![customer, input.external_id])?
        .unwrap_or_else(|| ObjectId::generate(now.millis() / 1000));
    let kind = input.kind.unwrap_or(InitiativeType::Pms);
    let status = input.status.unwrap_or(InitiativeStatus::Active);
    conn.prepare_cached(
        "INSERT INTO initiatives (customer_id, id, type, external_id, name, description, call_sign, client_external_id, billing_type, unit_increments, status, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (customer_id, external_id) DO UPDATE SET type = excluded.type, name = excluded.name, description = excluded.description,
           call_sign = excluded.call_sign, client_external_id = excluded.client_external_id, billing_type = excluded.billing_type,
           unit_increments = excluded.unit_increments, status = excluded.status, updated_at = excluded.updated_at",
    )?
    .execute(params![
        customer,
        id,
        kind.as_str(),
        input.external_id,
        input.name,
        input.description,
        input.call_sign,
        input.client_external_id,
        input.billing_type.as_str(),
        input.unit_increments,
        status.as_str(),
        now.millis()
    ])?;
    Ok(id)
}

/// The initiative's `_id` from its external id, or a not-found error.
pub(crate) fn initiative_id_by_external(conn: &Connection, customer: &ObjectId, external_id: &str) -> Result<ObjectId> {
    existing_id(conn, "SELECT id FROM initiatives WHERE customer_id = ?1 AND external_id = ?2", params![customer, external_id])?
        .ok_or_else(|| TenthsError::not_found("initiative", external_id))
}

/// Replaces the allowed codes of an initiative. Each code external id must name exactly one code.
pub(crate) fn set_initiative_codes(conn: &Connection, customer: &ObjectId, initiative: &ObjectId, code_external_ids: &[String]) -> Result<()> {
    let mut ids = Vec::with_capacity(code_external_ids.len());
    for (i, ext) in code_external_ids.iter().enumerate() {
        let field = format!("codeExternalIds[{i}]");
        check_external_id(ext, &field)?;
        let mut stmt = conn.prepare_cached("SELECT id FROM codes WHERE customer_id = ?1 AND external_id = ?2 LIMIT 2")?;
        let found: Vec<ObjectId> = stmt.query_map(params![customer, ext], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        match found.as_slice() {
            [one] => ids.push(*one),
            [] => return Err(TenthsError::not_found("code", format!("{ext:?} ({field})"))),
            _ => return Err(TenthsError::conflict(format!("{field}: code {ext:?} exists in several code types"))),
        }
    }
    conn.prepare_cached("DELETE FROM initiative_codes WHERE customer_id = ?1 AND initiative_id = ?2")?.execute(params![customer, initiative])?;
    let mut ins = conn.prepare_cached("INSERT OR IGNORE INTO initiative_codes (customer_id, initiative_id, code_id) VALUES (?1, ?2, ?3)")?;
    for id in &ids {
        ins.execute(params![customer, initiative, id])?;
    }
    conn.prepare_cached("UPDATE initiatives SET restricts_codes = 1 WHERE customer_id = ?1 AND id = ?2")?.execute(params![customer, initiative])?;
    Ok(())
}

/// Replaces the allow or deny list of an initiative.
pub(crate) fn set_initiative_access(conn: &Connection, customer: &ObjectId, initiative: &ObjectId, kind: AccessKind, users: &[ObjectId]) -> Result<()> {
    conn.prepare_cached("DELETE FROM initiative_access WHERE customer_id = ?1 AND initiative_id = ?2 AND kind = ?3")?.execute(params![
        customer,
        initiative,
        kind.as_str()
    ])?;
    let mut ins = conn.prepare_cached("INSERT OR IGNORE INTO initiative_access (customer_id, initiative_id, kind, user_id) VALUES (?1, ?2, ?3, ?4)")?;
    for u in users {
        ins.execute(params![customer, initiative, kind.as_str(), u])?;
    }
    Ok(())
}

/// Stores rules for an initiative, or customer-wide when `initiative` is `None`.
pub(crate) fn set_rules(
    conn: &Connection,
    customer: &ObjectId,
    initiative: Option<&ObjectId>,
    input: &ValidationRulesInput,
    now: Timestamp,
) -> Result<ValidationRules> {
    for (i, ext) in input.required_code_type_external_ids.iter().enumerate() {
        check_external_id(ext, &format!("requiredCodeTypeExternalIds[{i}]"))?;
    }
    ensure_customer(conn, customer, now)?;
    let d = Rules::default();
    let rules = ValidationRules {
        is_summary_required: input.is_summary_required.unwrap_or(d.is_summary_required),
        cannot_release_future_work: input.cannot_release_future_work.unwrap_or(d.cannot_release_future_work),
        cannot_release_negative_increment: input.cannot_release_negative_increment.unwrap_or(d.cannot_release_negative_increment),
        cannot_release_zero_increment: input.cannot_release_zero_increment.unwrap_or(d.cannot_release_zero_increment),
        required_code_type_external_ids: input.required_code_type_external_ids.clone(),
    };
    let key = initiative.map(|i| i.to_string()).unwrap_or_default();
    let json = serde_json::to_string(&rules.required_code_type_external_ids).map_err(|e| TenthsError::Storage { reason: e.to_string() })?;
    conn.prepare_cached(
        "INSERT INTO validation_rules (customer_id, initiative_id, is_summary_required, cannot_release_future_work, cannot_release_negative_increment, cannot_release_zero_increment, required_code_type_external_ids, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (customer_id, initiative_id) DO UPDATE SET is_summary_required = excluded.is_summary_required, cannot_release_future_work = excluded.cannot_release_future_work,
           cannot_release_negative_increment = excluded.cannot_release_negative_increment, cannot_release_zero_increment = excluded.cannot_release_zero_increment,
           required_code_type_external_ids = excluded.required_code_type_external_ids, updated_at = excluded.updated_at",
    )?
    .execute(params![customer, key, rules.is_summary_required, rules.cannot_release_future_work, rules.cannot_release_negative_increment, rules.cannot_release_zero_increment, json, now.millis()])?;
    Ok(rules)
}

/// The rules that apply to an entry of `initiative`: its own, else customer-wide, else defaults.
pub(crate) fn effective_rules(conn: &Connection, customer: &ObjectId, initiative: Option<&ObjectId>) -> Result<Rules> {
    let key = initiative.map(|i| i.to_string()).unwrap_or_default();
    let mut stmt = conn.prepare_cached(
        "SELECT is_summary_required, cannot_release_future_work, cannot_release_negative_increment, cannot_release_zero_increment, required_code_type_external_ids
         FROM validation_rules WHERE customer_id = ?1 AND initiative_id IN (?2, '') ORDER BY initiative_id DESC LIMIT 1",
    )?;
    let row = stmt
        .query_row(params![customer, key], |r| {
            Ok((r.get::<_, bool>(0)?, r.get::<_, bool>(1)?, r.get::<_, bool>(2)?, r.get::<_, bool>(3)?, r.get::<_, String>(4)?))
        })
        .optional()?;
    Ok(match row {
        None => Rules::default(),
        Some((summary, future, negative, zero, json)) => Rules {
            is_summary_required: summary,
            cannot_release_future_work: future,
            cannot_release_negative_increment: negative,
            cannot_release_zero_increment: zero,
            required_code_type_external_ids: serde_json::from_str(&json).map_err(|e| TenthsError::Storage { reason: format!("corrupt rules: {e}") })?,
        },
    })
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

fn complete_initiative(conn: &Connection, customer: &ObjectId, (mut i, restricts): (Initiative, bool)) -> Result<Initiative> {
    if restricts {
        let mut stmt = conn.prepare_cached("SELECT code_id FROM initiative_codes WHERE customer_id = ?1 AND initiative_id = ?2 ORDER BY code_id")?;
        i.allowed_code_ids = Some(stmt.query_map(params![customer, i.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?);
    }
    let mut stmt = conn.prepare_cached("SELECT kind, user_id FROM initiative_access WHERE customer_id = ?1 AND initiative_id = ?2 ORDER BY user_id")?;
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

/// One initiative with its allowed codes and access lists.
pub(crate) fn initiative(conn: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<Initiative>> {
    let sql = format!("SELECT {INITIATIVE_COLUMNS} FROM initiatives WHERE customer_id = ?1 AND id = ?2");
    let row = conn.prepare_cached(&sql)?.query_row(params![customer, id], initiative_from_row).optional()?;
    row.map(|r| complete_initiative(conn, customer, r)).transpose()
}

/// Every initiative of the customer, by external id.
pub(crate) fn list_initiatives(conn: &Connection, customer: &ObjectId) -> Result<Vec<Initiative>> {
    let sql = format!("SELECT {INITIATIVE_COLUMNS} FROM initiatives WHERE customer_id = ?1 ORDER BY external_id");
    let rows: Vec<(Initiative, bool)> = conn.prepare_cached(&sql)?.query_map(params![customer], initiative_from_row)?.collect::<rusqlite::Result<_>>()?;
    rows.into_iter().map(|r| complete_initiative(conn, customer, r)).collect()
}

fn code_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Code> {
    Ok(Code { id: r.get(0)?, external_id: r.get(1)?, code_type_external_id: r.get(2)?, name: r.get(3)?, description: r.get(4)?, is_disabled: r.get(5)? })
}

/// Every code of the customer.
pub(crate) fn list_codes(conn: &Connection, customer: &ObjectId) -> Result<Vec<Code>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, external_id, code_type_external_id, name, description, is_disabled FROM codes WHERE customer_id = ?1 ORDER BY code_type_external_id, external_id",
    )?;
    let rows = stmt.query_map(params![customer], code_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// One code by id.
pub(crate) fn code(conn: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<Code>> {
    Ok(conn
        .prepare_cached("SELECT id, external_id, code_type_external_id, name, description, is_disabled FROM codes WHERE customer_id = ?1 AND id = ?2")?
        .query_row(params![customer, id], code_from_row)
        .optional()?)
}

/// Every client of the customer.
pub(crate) fn list_clients(conn: &Connection, customer: &ObjectId) -> Result<Vec<Client>> {
    let mut stmt = conn.prepare_cached("SELECT id, external_id, name, call_sign, description FROM clients WHERE customer_id = ?1 ORDER BY external_id")?;
    let rows = stmt
        .query_map(params![customer], |r| Ok(Client { id: r.get(0)?, external_id: r.get(1)?, name: r.get(2)?, call_sign: r.get(3)?, description: r.get(4)? }))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The display forms of several matters with their clients, in one statement (ids bound as
/// one JSON array); matters not stored are absent from the map.
pub(crate) fn initiative_refs(conn: &Connection, customer: &ObjectId, ids: &[ObjectId]) -> Result<std::collections::HashMap<ObjectId, InitiativeRef>> {
    let list = serde_json::to_string(&ids.iter().map(|i| i.as_str()).collect::<Vec<_>>()).map_err(|e| TenthsError::Storage { reason: e.to_string() })?;
    let sql = format!(
        "SELECT {}, c.id, c.external_id, c.name, c.description, c.call_sign FROM initiatives i
         LEFT JOIN clients c ON c.customer_id = i.customer_id AND c.external_id = i.client_external_id
         WHERE i.customer_id = ?1 AND i.id IN (SELECT value FROM json_each(?2))",
        INITIATIVE_COLUMNS.split(", ").map(|c| format!("i.{c}")).collect::<Vec<_>>().join(", ")
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![customer, list], initiative_ref_from_row)?;
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for r in rows {
        let r = r?;
        out.insert(r.id, r);
    }
    Ok(out)
}

fn initiative_ref_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<InitiativeRef> {
    let (i, _) = initiative_from_row(r)?;
    let client = match r.get::<_, Option<ObjectId>>(11)? {
        Some(cid) => Some(ClientRef { id: cid, external_id: r.get(12)?, name: r.get(13)?, description: r.get(14)?, call_sign: r.get(15)? }),
        None => None,
    };
    Ok(InitiativeRef {
        id: i.id,
        kind: i.kind,
        billing_type: i.billing_type,
        call_sign: i.call_sign,
        unit_increments: i.unit_increments,
        external_id: i.external_id,
        name: i.name,
        description: i.description,
        client,
    })
}

/// The display form of a matter with its client, in one statement (a read that needs neither
/// the access lists nor the allowed codes).
pub(crate) fn initiative_ref(conn: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<InitiativeRef>> {
    let sql = format!(
        "SELECT {}, c.id, c.external_id, c.name, c.description, c.call_sign FROM initiatives i
         LEFT JOIN clients c ON c.customer_id = i.customer_id AND c.external_id = i.client_external_id
         WHERE i.customer_id = ?1 AND i.id = ?2",
        INITIATIVE_COLUMNS.split(", ").map(|c| format!("i.{c}")).collect::<Vec<_>>().join(", ")
    );
    Ok(conn.prepare_cached(&sql)?.query_row(params![customer, id], initiative_ref_from_row).optional()?)
}

/// A client by external id.
pub(crate) fn client_by_external(conn: &Connection, customer: &ObjectId, external_id: &str) -> Result<Option<ClientRef>> {
    Ok(conn
        .prepare_cached("SELECT id, external_id, name, description, call_sign FROM clients WHERE customer_id = ?1 AND external_id = ?2")?
        .query_row(params![customer, external_id], |r| {
            Ok(ClientRef { id: r.get(0)?, external_id: r.get(1)?, name: r.get(2)?, description: r.get(3)?, call_sign: r.get(4)? })
        })
        .optional()?)
}
