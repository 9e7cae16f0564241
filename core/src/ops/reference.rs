//! Reference data: customer and user settings, clients, code types, codes, matters with their
//! allowed codes and access lists, and validation rules. Every write moves the customer's
//! reference version first (so caches, here and in other processes, and devices pulling the
//! snapshot see it), then re-settles the editable entries the change may affect.

use super::entries::settle_and_save;
use super::settle::settle;
use super::{Cx, Rx};
use crate::error::{Result, TenthsError};
use crate::model::*;
use crate::rules::ids::{check_external_id, ObjectId};
use crate::rules::status::Status;
use crate::rules::time::parse_zone;
use crate::rules::units::check_increment;
use crate::rules::validation::Rules;
use crate::store::{Affected, Counter, WriteTx};

/// Starts a reference write of `customer`: the version moves and the cache of this connection
/// forgets the customer, so the rest of the transaction reads the new data.
fn begin_reference_write(cx: &mut Cx<'_>, customer: &ObjectId) -> Result<()> {
    cx.tx.bump_reference_version(customer)?;
    cx.tx.ensure_customer(customer, cx.now)?;
    cx.refs.forget(customer);
    Ok(())
}

fn check_opt_text(v: &Option<String>, field: &str) -> Result<()> {
    if let Some(s) = v {
        check_text(s, field, MAX_NAME_BYTES)?;
    }
    Ok(())
}

/// Re-settles the entries a reference change may affect. Released entries keep their units,
/// and `release-failed` entries keep their PMS messages until the user acts on them (a release
/// re-checks the rules anyway). An entry whose figures and status did not move is not written.
fn resettle(cx: &mut Cx<'_>, customer: &ObjectId, which: Affected<'_>) -> Result<()> {
    cx.refs.forget(customer);
    for key in cx.tx.affected(customer, which)? {
        let mut e = cx.tx.entry_by_key(customer, key)?;
        if e.status == Status::ReleaseFailed {
            continue;
        }
        let was = e.clone();
        settle(cx.tx, cx.refs, cx.now, &mut e)?;
        let figures = |e: &Entry| (e.status, e.unit_increment_count_from_sources, e.unit_increments, e.raw_seconds);
        if figures(&was) != figures(&e) || was.validation_failed_errors != e.validation_failed_errors {
            e.touch(cx.now);
            cx.tx.update_entry(key, &e, Counter::Bump)?;
            super::events::record(cx, crate::model::events::EventKind::Revalidated, "revalidate", Some(&was), &e)?;
        }
    }
    Ok(())
}

/// The customer's settings (defaults for a customer not seen yet).
pub(crate) fn customer_settings(rx: &mut Rx<'_>, customer: &ObjectId) -> Result<CustomerSettings> {
    Ok(rx.tx.customer_settings(customer)?.unwrap_or_default())
}

/// Changes customer settings; editable entries are re-settled under the new settings.
pub(crate) fn update_customer_settings(cx: &mut Cx<'_>, customer: &ObjectId, patch: &CustomerSettingsPatch) -> Result<CustomerSettings> {
    if let Some(inc) = patch.default_unit_increments {
        check_increment(inc, "defaultUnitIncrements")?;
    }
    if let Some(tz) = &patch.timezone {
        parse_zone(tz, "timezone")?;
    }
    if let Some(d) = patch.event_retention_days {
        if !(0..=crate::rules::text::MAX_EVENT_RETENTION_DAYS).contains(&d) {
            return Err(TenthsError::invalid(
                "eventRetentionDays",
                format!("must be between 0 (forever) and {}", crate::rules::text::MAX_EVENT_RETENTION_DAYS),
            ));
        }
    }
    begin_reference_write(cx, customer)?;
    let mut s = cx.tx.customer_settings(customer)?.unwrap_or_default();
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
    if let Some(d) = patch.event_retention_days {
        s.event_retention_days = (d > 0).then_some(d);
    }
    cx.tx.save_customer_settings(customer, &s)?;
    resettle(cx, customer, Affected::Customer)?;
    Ok(s)
}

/// The user's settings.
pub(crate) fn user_settings(rx: &mut Rx<'_>, customer: &ObjectId, user: &ObjectId) -> Result<UserSettings> {
    Ok(UserSettings { timezone: rx.tx.user_timezone(customer, user)? })
}

/// Changes a user's zone; their editable entries are re-validated (future work).
pub(crate) fn update_user_settings(cx: &mut Cx<'_>, customer: &ObjectId, user: &ObjectId, settings: &UserSettings) -> Result<UserSettings> {
    if let Some(tz) = &settings.timezone {
        parse_zone(tz, "timezone")?;
    }
    begin_reference_write(cx, customer)?;
    cx.tx.ensure_user(customer, user, cx.now)?;
    cx.tx.save_user_timezone(customer, user, settings.timezone.as_deref())?;
    resettle(cx, customer, Affected::User(user))?;
    Ok(settings.clone())
}

/// Upserts a client by external id (its `_id` is kept).
pub(crate) fn upsert_client(cx: &mut Cx<'_>, customer: &ObjectId, input: &ClientInput) -> Result<Client> {
    check_external_id(&input.external_id, "externalId")?;
    check_name(&input.name, "name")?;
    check_opt_text(&input.call_sign, "callSign")?;
    check_opt_text(&input.description, "description")?;
    begin_reference_write(cx, customer)?;
    let id = cx.tx.client_by_external(customer, &input.external_id)?.map(|c| c.id).unwrap_or_else(|| ObjectId::generate(cx.now.millis() / 1000));
    let client = Client {
        id,
        external_id: input.external_id.clone(),
        name: input.name.clone(),
        call_sign: input.call_sign.clone(),
        description: input.description.clone(),
    };
    cx.tx.upsert_client(customer, &client, cx.now)?;
    Ok(client)
}

/// Upserts a code type by external id.
pub(crate) fn upsert_code_type(cx: &mut Cx<'_>, customer: &ObjectId, input: &CodeTypeInput) -> Result<CodeType> {
    check_external_id(&input.external_id, "externalId")?;
    check_name(&input.name, "name")?;
    check_name(&input.semantic_type, "semanticType")?;
    begin_reference_write(cx, customer)?;
    let id = cx.tx.code_type_by_external(customer, &input.external_id)?.map(|t| t.id).unwrap_or_else(|| ObjectId::generate(cx.now.millis() / 1000));
    let t = CodeType { id, external_id: input.external_id.clone(), name: input.name.clone(), semantic_type: input.semantic_type.clone() };
    cx.tx.upsert_code_type(customer, &t, cx.now)?;
    Ok(t)
}

/// Upserts a code by code type and external id (the code type must exist); entries using it
/// are re-validated.
pub(crate) fn upsert_code(cx: &mut Cx<'_>, customer: &ObjectId, input: &CodeInput) -> Result<Code> {
    check_external_id(&input.external_id, "externalId")?;
    check_external_id(&input.code_type_external_id, "codeTypeExternalId")?;
    check_name(&input.name, "name")?;
    check_opt_text(&input.description, "description")?;
    begin_reference_write(cx, customer)?;
    if cx.tx.code_type_by_external(customer, &input.code_type_external_id)?.is_none() {
        return Err(TenthsError::not_found("code type", format!("{:?} (codeTypeExternalId); import it first", input.code_type_external_id)));
    }
    let id = cx
        .tx
        .code_by_external(customer, &input.code_type_external_id, &input.external_id)?
        .map(|c| c.id)
        .unwrap_or_else(|| ObjectId::generate(cx.now.millis() / 1000));
    let code = Code {
        id,
        external_id: input.external_id.clone(),
        code_type_external_id: input.code_type_external_id.clone(),
        name: input.name.clone(),
        description: input.description.clone(),
        is_disabled: input.is_disabled.unwrap_or(false),
    };
    cx.tx.upsert_code(customer, &code, cx.now)?;
    resettle(cx, customer, Affected::Code(&code.id))?;
    Ok(code)
}

fn initiative_by_external(cx: &mut Cx<'_>, customer: &ObjectId, external_id: &str) -> Result<ObjectId> {
    cx.tx.initiative_id_by_external(customer, external_id)?.ok_or_else(|| TenthsError::not_found("initiative", external_id))
}

fn stored_initiative(cx: &mut Cx<'_>, customer: &ObjectId, id: &ObjectId) -> Result<Initiative> {
    cx.tx.initiative(customer, id)?.ok_or_else(|| TenthsError::not_found("initiative", id))
}

/// Upserts a matter by external id (its allowed codes and access lists are kept); its editable
/// entries are re-settled (a matter that arrives after its entries turns them from pending to
/// validated).
pub(crate) fn upsert_initiative(cx: &mut Cx<'_>, customer: &ObjectId, input: &InitiativeInput) -> Result<Initiative> {
    check_external_id(&input.external_id, "externalId")?;
    check_name(&input.name, "name")?;
    check_opt_text(&input.description, "description")?;
    check_opt_text(&input.call_sign, "callSign")?;
    if let Some(c) = &input.client_external_id {
        check_external_id(c, "clientExternalId")?;
    }
    check_increment(input.unit_increments, "unitIncrements")?;
    begin_reference_write(cx, customer)?;
    let id = cx.tx.initiative_id_by_external(customer, &input.external_id)?.unwrap_or_else(|| ObjectId::generate(cx.now.millis() / 1000));
    let record = Initiative {
        id,
        kind: input.kind.unwrap_or(InitiativeType::Pms),
        external_id: input.external_id.clone(),
        name: input.name.clone(),
        description: input.description.clone(),
        call_sign: input.call_sign.clone(),
        client_external_id: input.client_external_id.clone(),
        billing_type: input.billing_type,
        unit_increments: input.unit_increments,
        status: input.status.unwrap_or(InitiativeStatus::Active),
        allowed_code_ids: None,
        allowed_user_ids: Vec::new(),
        denied_user_ids: Vec::new(),
    };
    cx.tx.upsert_initiative(customer, &record, cx.now)?;
    resettle(cx, customer, Affected::Initiative(&id))?;
    stored_initiative(cx, customer, &id)
}

/// Replaces the allowed codes of a matter (by external ids: each must name exactly one code).
pub(crate) fn set_initiative_codes(cx: &mut Cx<'_>, customer: &ObjectId, initiative_external_id: &str, code_external_ids: &[String]) -> Result<Initiative> {
    begin_reference_write(cx, customer)?;
    let id = initiative_by_external(cx, customer, initiative_external_id)?;
    let mut ids = Vec::with_capacity(code_external_ids.len());
    for (i, ext) in code_external_ids.iter().enumerate() {
        let field = format!("codeExternalIds[{i}]");
        check_external_id(ext, &field)?;
        match cx.tx.code_ids_by_external(customer, ext, 2)?.as_slice() {
            [one] => ids.push(*one),
            [] => return Err(TenthsError::not_found("code", format!("{ext:?} ({field})"))),
            _ => return Err(TenthsError::conflict(format!("{field}: code {ext:?} exists in several code types"))),
        }
    }
    cx.tx.set_initiative_codes(customer, &id, &ids)?;
    resettle(cx, customer, Affected::Initiative(&id))?;
    stored_initiative(cx, customer, &id)
}

/// Replaces the allow or deny list of a matter.
pub(crate) fn set_initiative_access(
    cx: &mut Cx<'_>,
    customer: &ObjectId,
    initiative_external_id: &str,
    kind: AccessKind,
    users: &[ObjectId],
) -> Result<Initiative> {
    begin_reference_write(cx, customer)?;
    let id = initiative_by_external(cx, customer, initiative_external_id)?;
    cx.tx.set_initiative_access(customer, &id, kind, users)?;
    resettle(cx, customer, Affected::Initiative(&id))?;
    stored_initiative(cx, customer, &id)
}

/// Sets the validation rules of a matter (by external id), or the customer-wide rules.
pub(crate) fn set_validation_rules(
    cx: &mut Cx<'_>,
    customer: &ObjectId,
    initiative_external_id: Option<&str>,
    input: &ValidationRulesInput,
) -> Result<ValidationRules> {
    begin_reference_write(cx, customer)?;
    let id = initiative_external_id.map(|ext| initiative_by_external(cx, customer, ext)).transpose()?;
    for (i, ext) in input.required_code_type_external_ids.iter().enumerate() {
        check_external_id(ext, &format!("requiredCodeTypeExternalIds[{i}]"))?;
    }
    let d = Rules::default();
    let rules = Rules {
        is_summary_required: input.is_summary_required.unwrap_or(d.is_summary_required),
        cannot_release_future_work: input.cannot_release_future_work.unwrap_or(d.cannot_release_future_work),
        cannot_release_negative_increment: input.cannot_release_negative_increment.unwrap_or(d.cannot_release_negative_increment),
        cannot_release_zero_increment: input.cannot_release_zero_increment.unwrap_or(d.cannot_release_zero_increment),
        required_code_type_external_ids: input.required_code_type_external_ids.clone(),
    };
    cx.tx.save_validation_rules(customer, id.as_ref(), &rules, cx.now)?;
    match &id {
        Some(i) => resettle(cx, customer, Affected::Initiative(i))?,
        None => resettle(cx, customer, Affected::Customer)?,
    }
    Ok(ValidationRules::from(rules))
}

/// Every matter of the customer.
pub(crate) fn list_initiatives(rx: &mut Rx<'_>, customer: &ObjectId) -> Result<Vec<Initiative>> {
    rx.tx.list_initiatives(customer)
}

/// Every code of the customer.
pub(crate) fn list_codes(rx: &mut Rx<'_>, customer: &ObjectId) -> Result<Vec<Code>> {
    rx.tx.list_codes(customer)
}

/// Every client of the customer.
pub(crate) fn list_clients(rx: &mut Rx<'_>, customer: &ObjectId) -> Result<Vec<Client>> {
    rx.tx.list_clients(customer)
}

/// Re-settles one entry that came through sync as pending (device side): its units and status
/// as this device's rules see them, without counting a new change.
pub(crate) fn resettle_local(cx: &mut Cx<'_>, customer: &ObjectId, key: crate::store::EntryKey) -> Result<()> {
    let mut e = cx.tx.entry_by_key(customer, key)?;
    cx.fill_matter(&mut e)?;
    if e.status.is_editable() && !e.is_locked && !e.is_deleted {
        settle_and_save(cx, key, &mut e)?;
    }
    Ok(())
}

/// Replaces the customer's reference data by a snapshot (a device applying the server's), the
/// same sequence on every backend: everything out, then parents in before children; the customer
/// and user rows are kept and updated in place.
pub(crate) fn replace_reference(
    tx: &mut dyn WriteTx,
    customer: &ObjectId,
    user: &ObjectId,
    snap: &crate::model::sync::ReferenceSnapshot,
    now: crate::rules::time::Timestamp,
) -> Result<()> {
    tx.clear_reference(customer)?;
    tx.ensure_user(customer, user, now)?;
    tx.save_customer_settings(customer, &snap.settings)?;
    tx.save_user_timezone(customer, user, snap.user_timezone.as_deref())?;
    for client in &snap.clients {
        tx.upsert_client(customer, client, now)?;
    }
    for code_type in &snap.code_types {
        tx.upsert_code_type(customer, code_type, now)?;
    }
    for code in &snap.codes {
        tx.upsert_code(customer, code, now)?;
    }
    for i in &snap.initiatives {
        tx.upsert_initiative(customer, i, now)?;
        if let Some(codes) = &i.allowed_code_ids {
            tx.set_initiative_codes(customer, &i.id, codes)?;
        }
        tx.set_initiative_access(customer, &i.id, AccessKind::Allow, &i.allowed_user_ids)?;
        tx.set_initiative_access(customer, &i.id, AccessKind::Deny, &i.denied_user_ids)?;
    }
    for r in &snap.rules {
        tx.save_validation_rules(customer, r.initiative_id.as_ref(), &Rules::from(r.rules.clone()), now)?;
    }
    Ok(())
}
