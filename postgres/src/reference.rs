//! Reference data on PostgreSQL: customers and users, settings, clients, code types, codes,
//! matters with their allowed codes and access lists, validation rules, the per-customer
//! reference version, and replacing all of it by a sync snapshot. Upserts are keyed by external
//! id and keep the record's `_id`. The checks of the input are the operations'.

use std::collections::HashMap;

use postgres::Row;
use tenths::validation::Rules;
use tenths::*;

use crate::tx::{at, big, get, oid, oid_opt, PgTx};
use crate::{sql, storage, Result};

pub(crate) fn reference_version(t: &mut PgTx<'_>, customer: &ObjectId) -> Result<i64> {
    Ok(match t.opt(sql::REFERENCE_VERSION, &[&customer.as_str()])? {
        Some(r) => get(&r, 0)?,
        None => 0,
    })
}

pub(crate) fn bump_reference_version(t: &mut PgTx<'_>, customer: &ObjectId) -> Result<()> {
    t.exec(sql::BUMP_REFERENCE_VERSION, &[&customer.as_str()])?;
    Ok(())
}

pub(crate) fn ensure_customer(t: &mut PgTx<'_>, customer: &ObjectId, now: Timestamp) -> Result<()> {
    t.exec(sql::ENSURE_CUSTOMER, &[&customer.as_str(), &at(now)?])?;
    Ok(())
}

pub(crate) fn ensure_user(t: &mut PgTx<'_>, customer: &ObjectId, user: &ObjectId, now: Timestamp) -> Result<()> {
    ensure_customer(t, customer, now)?;
    t.exec(sql::ENSURE_USER, &[&customer.as_str(), &user.as_str(), &at(now)?])?;
    Ok(())
}

pub(crate) fn customer_settings(t: &mut PgTx<'_>, customer: &ObjectId) -> Result<Option<CustomerSettings>> {
    let Some(r) = t.opt(sql::CUSTOMER_SETTINGS, &[&customer.as_str()])? else { return Ok(None) };
    Ok(Some(CustomerSettings {
        default_unit_increments: get(&r, 0)?,
        rounding: Rounding::parse_field(get(&r, 1)?, "rounding")?,
        minimum_one_unit: get(&r, 2)?,
        timezone: get(&r, 3)?,
        allow_post_release_edit: get(&r, 4)?,
        event_retention_days: get::<Option<i32>>(&r, 5)?.map(i64::from),
    }))
}

pub(crate) fn save_customer_settings(t: &mut PgTx<'_>, customer: &ObjectId, s: &CustomerSettings) -> Result<()> {
    t.exec(
        sql::SAVE_CUSTOMER_SETTINGS,
        &[
            &customer.as_str(),
            &s.default_unit_increments,
            &s.rounding.as_str(),
            &s.minimum_one_unit,
            &s.timezone,
            &s.allow_post_release_edit,
            &s.event_retention_days.map(|d| i32::try_from(d).unwrap_or(i32::MAX)),
        ],
    )?;
    Ok(())
}

pub(crate) fn user_timezone(t: &mut PgTx<'_>, customer: &ObjectId, user: &ObjectId) -> Result<Option<String>> {
    Ok(match t.opt(sql::USER_TIMEZONE, &[&customer.as_str(), &user.as_str()])? {
        Some(r) => get(&r, 0)?,
        None => None,
    })
}

pub(crate) fn save_user_timezone(t: &mut PgTx<'_>, customer: &ObjectId, user: &ObjectId, timezone: Option<&str>) -> Result<()> {
    t.exec(sql::SAVE_USER_TIMEZONE, &[&customer.as_str(), &user.as_str(), &timezone])?;
    Ok(())
}

pub(crate) fn upsert_client(t: &mut PgTx<'_>, customer: &ObjectId, c: &Client, now: Timestamp) -> Result<()> {
    t.exec(sql::UPSERT_CLIENT, &[&customer.as_str(), &c.id.as_str(), &c.external_id, &c.name, &c.call_sign, &c.description, &at(now)?])?;
    Ok(())
}

pub(crate) fn upsert_code_type(t: &mut PgTx<'_>, customer: &ObjectId, c: &CodeType, now: Timestamp) -> Result<()> {
    t.exec(sql::UPSERT_CODE_TYPE, &[&customer.as_str(), &c.id.as_str(), &c.external_id, &c.name, &c.semantic_type, &at(now)?])?;
    Ok(())
}

pub(crate) fn upsert_code(t: &mut PgTx<'_>, customer: &ObjectId, c: &Code, now: Timestamp) -> Result<()> {
    t.exec(
        sql::UPSERT_CODE,
        &[&customer.as_str(), &c.id.as_str(), &c.external_id, &c.code_type_external_id, &c.name, &c.description, &c.is_disabled, &at(now)?],
    )?;
    Ok(())
}

pub(crate) fn upsert_initiative(t: &mut PgTx<'_>, customer: &ObjectId, i: &Initiative, now: Timestamp) -> Result<()> {
    t.exec(
        sql::UPSERT_INITIATIVE,
        &[
            &customer.as_str(),
            &i.id.as_str(),
            &i.kind.as_str(),
            &i.external_id,
            &i.name,
            &i.description,
            &i.call_sign,
            &i.client_external_id,
            &i.billing_type.as_str(),
            &i.unit_increments,
            &i.status.as_str(),
            &at(now)?,
        ],
    )?;
    Ok(())
}

fn id_strs(ids: &[ObjectId]) -> Vec<&str> {
    ids.iter().map(ObjectId::as_str).collect()
}

pub(crate) fn set_initiative_codes(t: &mut PgTx<'_>, customer: &ObjectId, initiative: &ObjectId, codes: &[ObjectId]) -> Result<()> {
    t.exec(sql::DELETE_INITIATIVE_CODES, &[&customer.as_str(), &initiative.as_str()])?;
    if !codes.is_empty() {
        t.exec(sql::INSERT_INITIATIVE_CODES, &[&customer.as_str(), &initiative.as_str(), &id_strs(codes)])?;
    }
    t.exec(sql::SET_RESTRICTS_CODES, &[&customer.as_str(), &initiative.as_str()])?;
    Ok(())
}

pub(crate) fn set_initiative_access(t: &mut PgTx<'_>, customer: &ObjectId, initiative: &ObjectId, kind: AccessKind, users: &[ObjectId]) -> Result<()> {
    t.exec(sql::DELETE_INITIATIVE_ACCESS, &[&customer.as_str(), &initiative.as_str(), &kind.as_str()])?;
    if !users.is_empty() {
        t.exec(sql::INSERT_INITIATIVE_ACCESS, &[&customer.as_str(), &initiative.as_str(), &kind.as_str(), &id_strs(users)])?;
    }
    Ok(())
}

/// Stores rules for a matter, or customer-wide (under the empty key).
pub(crate) fn save_validation_rules(t: &mut PgTx<'_>, customer: &ObjectId, initiative: Option<&ObjectId>, rules: &Rules, now: Timestamp) -> Result<()> {
    let key = initiative.map(ObjectId::as_str).unwrap_or("");
    t.exec(
        sql::SAVE_VALIDATION_RULES,
        &[
            &customer.as_str(),
            &key,
            &rules.is_summary_required,
            &rules.cannot_release_future_work,
            &rules.cannot_release_negative_increment,
            &rules.cannot_release_zero_increment,
            &rules.required_code_type_external_ids,
            &at(now)?,
        ],
    )?;
    Ok(())
}

fn rules_from(r: &Row) -> Result<(Option<ObjectId>, Rules)> {
    let key: &str = get(r, 0)?;
    let initiative = if key.is_empty() { None } else { Some(ObjectId::parse(key).map_err(storage)?) };
    Ok((
        initiative,
        Rules {
            is_summary_required: get(r, 1)?,
            cannot_release_future_work: get(r, 2)?,
            cannot_release_negative_increment: get(r, 3)?,
            cannot_release_zero_increment: get(r, 4)?,
            required_code_type_external_ids: get(r, 5)?,
        },
    ))
}

pub(crate) fn validation_rules(t: &mut PgTx<'_>, customer: &ObjectId, initiative: Option<&ObjectId>) -> Result<Option<Rules>> {
    let key = initiative.map(ObjectId::as_str).unwrap_or("");
    let row = t.opt(sql::VALIDATION_RULES, &[&customer.as_str(), &key])?;
    Ok(row.as_ref().map(rules_from).transpose()?.map(|(_, r)| r))
}

pub(crate) fn list_validation_rules(t: &mut PgTx<'_>, customer: &ObjectId) -> Result<Vec<(Option<ObjectId>, Rules)>> {
    t.rows(sql::LIST_VALIDATION_RULES, &[&customer.as_str()])?.iter().map(rules_from).collect()
}

/// A matter row of [`sql::INITIATIVE`]'s columns (codes and access lists empty) and whether it
/// restricts codes.
fn initiative_from_row(r: &Row) -> Result<(Initiative, bool)> {
    let kind = match get::<&str>(r, 1)? {
        "temporary" => InitiativeType::Temporary,
        _ => InitiativeType::Pms,
    };
    let billing_type = match get::<&str>(r, 7)? {
        "non-billable" => BillingType::NonBillable,
        _ => BillingType::Billable,
    };
    let status = match get::<&str>(r, 9)? {
        "inactive" => InitiativeStatus::Inactive,
        _ => InitiativeStatus::Active,
    };
    Ok((
        Initiative {
            id: oid(r, 0)?,
            kind,
            external_id: get(r, 2)?,
            name: get(r, 3)?,
            description: get(r, 4)?,
            call_sign: get(r, 5)?,
            client_external_id: get(r, 6)?,
            billing_type,
            unit_increments: get(r, 8)?,
            status,
            allowed_code_ids: None,
            allowed_user_ids: Vec::new(),
            denied_user_ids: Vec::new(),
        },
        get(r, 10)?,
    ))
}

fn complete_initiative(t: &mut PgTx<'_>, customer: &ObjectId, (mut i, restricts): (Initiative, bool)) -> Result<Initiative> {
    if restricts {
        let rows = t.rows(sql::INITIATIVE_CODE_IDS, &[&customer.as_str(), &i.id.as_str()])?;
        i.allowed_code_ids = Some(rows.iter().map(|r| oid(r, 0)).collect::<Result<_>>()?);
    }
    for r in t.rows(sql::INITIATIVE_ACCESS, &[&customer.as_str(), &i.id.as_str()])? {
        let user = oid(&r, 1)?;
        if get::<&str>(&r, 0)? == "allow" {
            i.allowed_user_ids.push(user);
        } else {
            i.denied_user_ids.push(user);
        }
    }
    Ok(i)
}

pub(crate) fn initiative(t: &mut PgTx<'_>, customer: &ObjectId, id: &ObjectId) -> Result<Option<Initiative>> {
    let Some(r) = t.opt(sql::INITIATIVE, &[&customer.as_str(), &id.as_str()])? else { return Ok(None) };
    let row = initiative_from_row(&r)?;
    complete_initiative(t, customer, row).map(Some)
}

pub(crate) fn initiative_id_by_external(t: &mut PgTx<'_>, customer: &ObjectId, external_id: &str) -> Result<Option<ObjectId>> {
    t.opt(sql::INITIATIVE_ID_BY_EXTERNAL, &[&customer.as_str(), &external_id])?.map(|r| oid(&r, 0)).transpose()
}

pub(crate) fn list_initiatives(t: &mut PgTx<'_>, customer: &ObjectId) -> Result<Vec<Initiative>> {
    let rows = t.rows(sql::LIST_INITIATIVES, &[&customer.as_str()])?.iter().map(initiative_from_row).collect::<Result<Vec<_>>>()?;
    rows.into_iter().map(|r| complete_initiative(t, customer, r)).collect()
}

fn code_from_row(r: &Row) -> Result<Code> {
    Ok(Code { id: oid(r, 0)?, external_id: get(r, 1)?, code_type_external_id: get(r, 2)?, name: get(r, 3)?, description: get(r, 4)?, is_disabled: get(r, 5)? })
}

pub(crate) fn list_codes(t: &mut PgTx<'_>, customer: &ObjectId) -> Result<Vec<Code>> {
    t.rows(sql::LIST_CODES, &[&customer.as_str()])?.iter().map(code_from_row).collect()
}

pub(crate) fn code(t: &mut PgTx<'_>, customer: &ObjectId, id: &ObjectId) -> Result<Option<Code>> {
    t.opt(sql::CODE, &[&customer.as_str(), &id.as_str()])?.as_ref().map(code_from_row).transpose()
}

pub(crate) fn code_by_external(t: &mut PgTx<'_>, customer: &ObjectId, code_type: &str, external_id: &str) -> Result<Option<Code>> {
    t.opt(sql::CODE_BY_EXTERNAL, &[&customer.as_str(), &code_type, &external_id])?.as_ref().map(code_from_row).transpose()
}

pub(crate) fn code_ids_by_external(t: &mut PgTx<'_>, customer: &ObjectId, external_id: &str, limit: usize) -> Result<Vec<ObjectId>> {
    t.rows(sql::CODE_IDS_BY_EXTERNAL, &[&customer.as_str(), &external_id, &big(limit)])?.iter().map(|r| oid(r, 0)).collect()
}

fn code_type_from_row(r: &Row) -> Result<CodeType> {
    Ok(CodeType { id: oid(r, 0)?, external_id: get(r, 1)?, name: get(r, 2)?, semantic_type: get(r, 3)? })
}

pub(crate) fn code_type_by_external(t: &mut PgTx<'_>, customer: &ObjectId, external_id: &str) -> Result<Option<CodeType>> {
    t.opt(sql::CODE_TYPE_BY_EXTERNAL, &[&customer.as_str(), &external_id])?.as_ref().map(code_type_from_row).transpose()
}

pub(crate) fn list_code_types(t: &mut PgTx<'_>, customer: &ObjectId) -> Result<Vec<CodeType>> {
    t.rows(sql::LIST_CODE_TYPES, &[&customer.as_str()])?.iter().map(code_type_from_row).collect()
}

fn client_from_row(r: &Row) -> Result<Client> {
    Ok(Client { id: oid(r, 0)?, external_id: get(r, 1)?, name: get(r, 2)?, call_sign: get(r, 3)?, description: get(r, 4)? })
}

pub(crate) fn list_clients(t: &mut PgTx<'_>, customer: &ObjectId) -> Result<Vec<Client>> {
    t.rows(sql::LIST_CLIENTS, &[&customer.as_str()])?.iter().map(client_from_row).collect()
}

pub(crate) fn client_by_external(t: &mut PgTx<'_>, customer: &ObjectId, external_id: &str) -> Result<Option<Client>> {
    t.opt(sql::CLIENT_BY_EXTERNAL, &[&customer.as_str(), &external_id])?.as_ref().map(client_from_row).transpose()
}

/// The display forms of matters with their clients, in one statement; matters not stored are
/// absent from the map.
pub(crate) fn initiative_refs(t: &mut PgTx<'_>, customer: &ObjectId, ids: &[ObjectId]) -> Result<HashMap<ObjectId, InitiativeRef>> {
    let mut out = HashMap::with_capacity(ids.len());
    for r in t.rows(sql::INITIATIVE_REFS, &[&customer.as_str(), &id_strs(ids)])? {
        let (i, _) = initiative_from_row(&r)?;
        let client = match oid_opt(&r, 11)? {
            Some(id) => Some(ClientRef { id, external_id: get(&r, 12)?, name: get(&r, 13)?, description: get(&r, 14)?, call_sign: get(&r, 15)? }),
            None => None,
        };
        out.insert(i.id, InitiativeRef::of(i, client));
    }
    Ok(out)
}

/// Removes the customer's reference data, children first; the customer and user rows stay.
pub(crate) fn clear_reference(t: &mut PgTx<'_>, customer: &ObjectId) -> Result<()> {
    for statement in sql::REFERENCE_DELETES {
        t.exec(statement, &[&customer.as_str()])?;
    }
    Ok(())
}
