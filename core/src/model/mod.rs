//! The records of the engine (domain.md §3): customers and their settings, users, reference
//! data (clients, code types, codes, initiatives, validation rules), sources and entries. Each
//! record serialises to its wire shape (camelCase, `_id`, absent optional fields omitted); input
//! records refuse unknown fields so a typo is never silently ignored.

use serde::{Deserialize, Serialize};

use crate::error::{Result, RuleFailure, TenthsError};
use crate::rules::ids::ObjectId;
use crate::rules::status::Status;
use crate::rules::time::{Date, Timestamp};
use crate::rules::units::Rounding;

pub mod events;
pub mod export;
pub mod sync;
pub mod webhooks;

pub use events::{ActorRole, ChangeEvent, EncodedChanges, EventKind, FieldChange};
pub use export::ExportRow;

/// `unitIncrementCount` of units from sources and adjustments (saturating).
fn unit_count(from_sources: i64, adjustments: i64) -> i64 {
    from_sources.saturating_add(adjustments)
}

/// `incrementDurationInSeconds`: `count` units of `increments` seconds (saturating).
fn billed_seconds(count: i64, increments: i64) -> i64 {
    count.saturating_mul(increments)
}

pub(crate) use crate::rules::text::{check_name, check_text};
pub use crate::rules::text::{count_from_json, de_count, de_null_as_default, de_opt_count};
pub use crate::rules::text::{
    is_blank, MAX_BATCH_ITEMS, MAX_CODES_PER_ENTRY, MAX_NAME_BYTES, MAX_PAGE_SIZE, MAX_SOURCES_PER_ENTRY, MAX_SOURCE_MILLIS, MAX_TEXT_BYTES,
};

/// Settings of a customer (the tenant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerSettings {
    /// Seconds per unit when an entry has no initiative (360).
    pub default_unit_increments: i64,
    /// Rounding mode (`up`).
    pub rounding: Rounding,
    /// Bill at least one unit for any positive time (true).
    pub minimum_one_unit: bool,
    /// IANA zone of users without their own (`UTC`).
    pub timezone: String,
    /// An edit of a released entry first unreleases it (false).
    pub allow_post_release_edit: bool,
    /// Days an event of the change-event log is kept (none: forever, the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_retention_days: Option<i64>,
}

impl Default for CustomerSettings {
    fn default() -> Self {
        CustomerSettings {
            default_unit_increments: 360,
            rounding: Rounding::Up,
            minimum_one_unit: true,
            timezone: "UTC".into(),
            allow_post_release_edit: false,
            event_retention_days: None,
        }
    }
}

/// A change of customer settings: every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerSettingsPatch {
    #[serde(default, deserialize_with = "crate::rules::text::de_opt_count")]
    pub default_unit_increments: Option<i64>,
    pub rounding: Option<Rounding>,
    pub minimum_one_unit: Option<bool>,
    pub timezone: Option<String>,
    pub allow_post_release_edit: Option<bool>,
    /// Days events are kept, 1 to [`crate::rules::text::MAX_EVENT_RETENTION_DAYS`]; 0 keeps
    /// them forever again.
    #[serde(default, deserialize_with = "crate::rules::text::de_opt_count")]
    pub event_retention_days: Option<i64>,
}

/// Settings of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserSettings {
    /// The user's own IANA zone; absent = the customer's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// A client of the firm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Client {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub external_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_sign: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Import of a client (upsert by external id).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientInput {
    pub external_id: String,
    pub name: String,
    #[serde(default)]
    pub call_sign: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A type of work code (UTBMS task, activity, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CodeType {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub external_id: String,
    pub name: String,
    pub semantic_type: String,
}

/// Import of a code type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CodeTypeInput {
    pub external_id: String,
    pub name: String,
    pub semantic_type: String,
}

/// A work code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Code {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub external_id: String,
    pub code_type_external_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub is_disabled: bool,
}

/// Import of a code (upsert by code type and external id).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CodeInput {
    pub external_id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub code_type_external_id: String,
    #[serde(default)]
    pub is_disabled: Option<bool>,
}

/// `pms` (a real matter) or `temporary` (a local placeholder, never releasable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InitiativeType {
    Pms,
    Temporary,
}

impl InitiativeType {
    pub fn as_str(self) -> &'static str {
        match self {
            InitiativeType::Pms => "pms",
            InitiativeType::Temporary => "temporary",
        }
    }
}

/// `billable` or `non-billable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BillingType {
    Billable,
    NonBillable,
}

impl BillingType {
    pub fn as_str(self) -> &'static str {
        match self {
            BillingType::Billable => "billable",
            BillingType::NonBillable => "non-billable",
        }
    }
}

/// `active` or `inactive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InitiativeStatus {
    Active,
    Inactive,
}

impl InitiativeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InitiativeStatus::Active => "active",
            InitiativeStatus::Inactive => "inactive",
        }
    }
}

/// A matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Initiative {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    #[serde(rename = "type")]
    pub kind: InitiativeType,
    pub external_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_sign: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_external_id: Option<String>,
    pub billing_type: BillingType,
    pub unit_increments: i64,
    pub status: InitiativeStatus,
    /// The allowed codes' ids, when the matter restricts codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_code_ids: Option<Vec<ObjectId>>,
    /// Users allowed (empty = everyone not denied).
    pub allowed_user_ids: Vec<ObjectId>,
    /// Users denied.
    pub denied_user_ids: Vec<ObjectId>,
}

/// Import of an initiative (upsert by external id).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InitiativeInput {
    pub external_id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub call_sign: Option<String>,
    #[serde(default)]
    pub client_external_id: Option<String>,
    pub billing_type: BillingType,
    #[serde(deserialize_with = "crate::rules::text::de_count")]
    pub unit_increments: i64,
    #[serde(default)]
    pub status: Option<InitiativeStatus>,
    /// `pms` unless said otherwise.
    #[serde(default, rename = "type")]
    pub kind: Option<InitiativeType>,
}

/// `allow` or `deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessKind {
    Allow,
    Deny,
}

impl AccessKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKind::Allow => "allow",
            AccessKind::Deny => "deny",
        }
    }
}

impl From<ValidationRules> for crate::rules::validation::Rules {
    fn from(r: ValidationRules) -> Self {
        crate::rules::validation::Rules {
            is_summary_required: r.is_summary_required,
            cannot_release_future_work: r.cannot_release_future_work,
            cannot_release_negative_increment: r.cannot_release_negative_increment,
            cannot_release_zero_increment: r.cannot_release_zero_increment,
            required_code_type_external_ids: r.required_code_type_external_ids,
        }
    }
}

impl From<crate::rules::validation::Rules> for ValidationRules {
    fn from(r: crate::rules::validation::Rules) -> Self {
        ValidationRules {
            is_summary_required: r.is_summary_required,
            cannot_release_future_work: r.cannot_release_future_work,
            cannot_release_negative_increment: r.cannot_release_negative_increment,
            cannot_release_zero_increment: r.cannot_release_zero_increment,
            required_code_type_external_ids: r.required_code_type_external_ids,
        }
    }
}

impl CustomerSettings {
    /// The rounding policy.
    pub fn policy(&self) -> crate::rules::units::UnitPolicy {
        crate::rules::units::UnitPolicy { rounding: self.rounding, minimum_one_unit: self.minimum_one_unit }
    }
}

/// Validation rules as stored and sent (see [`crate::rules::validation::Rules`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidationRules {
    pub is_summary_required: bool,
    pub cannot_release_future_work: bool,
    pub cannot_release_negative_increment: bool,
    pub cannot_release_zero_increment: bool,
    pub required_code_type_external_ids: Vec<String>,
}

/// A change of validation rules; absent flags take the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidationRulesInput {
    #[serde(default, deserialize_with = "crate::rules::text::de_null_as_default")]
    pub required_code_type_external_ids: Vec<String>,
    pub is_summary_required: Option<bool>,
    pub cannot_release_future_work: Option<bool>,
    pub cannot_release_negative_increment: Option<bool>,
    pub cannot_release_zero_increment: Option<bool>,
}

/// The kind of captured activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Email,
    Document,
    Call,
    Meeting,
    Research,
    Manual,
    Timer,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Email => "email",
            SourceKind::Document => "document",
            SourceKind::Call => "call",
            SourceKind::Meeting => "meeting",
            SourceKind::Research => "research",
            SourceKind::Manual => "manual",
            SourceKind::Timer => "timer",
        }
    }
    pub fn parse(s: &str) -> Result<SourceKind> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| TenthsError::invalid("sources.kind", format!("unknown source kind {s:?}")))
    }
}

/// Captured time of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub kind: SourceKind,
    pub started_at: Timestamp,
    /// Absent while a timer session runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// A source given at creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceInput {
    pub kind: SourceKind,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    #[serde(default)]
    pub title: Option<String>,
}

/// Who assigned a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssignedBy {
    User,
    System,
}

impl AssignedBy {
    /// The stored and wire name: `user` or `system`.
    pub fn as_str(self) -> &'static str {
        match self {
            AssignedBy::User => "user",
            AssignedBy::System => "system",
        }
    }

    /// From a stored name: `system`, or anything else as `User` (the column's default).
    pub fn from_stored(s: &str) -> AssignedBy {
        if s == "system" {
            AssignedBy::System
        } else {
            AssignedBy::User
        }
    }
}

/// A code on an entry, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkCode {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub external_id: String,
    pub code_type_external_id: String,
    pub name: String,
    pub assigned_by: AssignedBy,
}

/// A PMS rejection kept on a `release-failed` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReleaseFailure {
    pub original_message: String,
    pub title: String,
    pub description: String,
}

/// The client of an entry's matter, as embedded in `initiativeProps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRef {
    pub id: ObjectId,
    pub external_id: String,
    pub name: String,
    pub description: Option<String>,
    pub call_sign: Option<String>,
}

/// An entry's matter, resolved for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitiativeRef {
    pub id: ObjectId,
    pub kind: InitiativeType,
    pub billing_type: BillingType,
    pub call_sign: Option<String>,
    pub unit_increments: i64,
    pub external_id: String,
    pub name: String,
    pub description: Option<String>,
    pub client: Option<ClientRef>,
}

impl InitiativeRef {
    /// The reference an entry shows of matter `i`, with its client's (`None`: no client).
    pub fn of(i: Initiative, client: Option<ClientRef>) -> InitiativeRef {
        InitiativeRef {
            id: i.id,
            kind: i.kind,
            billing_type: i.billing_type,
            call_sign: i.call_sign,
            unit_increments: i.unit_increments,
            external_id: i.external_id,
            name: i.name,
            description: i.description,
            client,
        }
    }
}

/// An entry with everything a reader needs (domain.md §4). Wire views are in [`crate::wire`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: ObjectId,
    pub customer_id: ObjectId,
    pub user_id: ObjectId,
    pub created_by: Option<ObjectId>,
    pub released_by: Option<ObjectId>,
    pub external_id: Option<String>,
    pub enrichment_correlation_id: Option<String>,
    pub summary: String,
    pub notes: Option<String>,
    pub work_date: Date,
    pub initiative_id: Option<ObjectId>,
    /// The matter, when this store knows it.
    pub initiative: Option<InitiativeRef>,
    pub codes: Vec<WorkCode>,
    /// `creationMethod`, kept as it came for unknown values.
    pub creation_method: String,
    pub created_as_timer: bool,
    pub timer_duration_adjustment_in_seconds: i64,
    /// The entered duration of a manual entry without sources.
    pub entered_duration_in_seconds: Option<i64>,
    pub raw_seconds: i64,
    pub unit_increments: i64,
    pub unit_increment_count_from_sources: i64,
    pub unit_increment_count_adjustments: i64,
    pub overlap_time_in_seconds: i64,
    pub status: Status,
    pub validation_failed_errors: Vec<RuleFailure>,
    pub release_failed_errors: Vec<ReleaseFailure>,
    pub re_release_failed_messages: Vec<String>,
    pub is_locked: bool,
    pub is_deleted: bool,
    pub release_count: i64,
    pub last_release_pending_at: Option<Timestamp>,
    pub last_release_failed_at: Option<Timestamp>,
    pub release_success_at: Option<Timestamp>,
    pub last_synced_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Bumped on every write of the entry (optimistic concurrency, sync).
    pub version: i64,
    pub sources: Vec<Source>,
}

impl Entry {
    /// Applies the effect of an accepted operation (see [`crate::rules::status::effect`]):
    /// status, lock, release stamps, cleared errors, soft delete, and the write's `updatedAt`
    /// and `version`. `actor` is who released.
    pub fn apply(&mut self, effect: &crate::rules::status::Effect, now: Timestamp, actor: ObjectId) {
        if let Some(s) = effect.status {
            self.status = s;
        }
        if let Some(l) = effect.locked {
            self.is_locked = l;
        }
        if effect.count_release {
            self.release_count = self.release_count.saturating_add(1);
            self.last_release_pending_at = Some(now);
            self.released_by = Some(actor);
        }
        if effect.stamp_success {
            self.release_success_at = Some(now);
            self.last_synced_at = Some(now);
        }
        if effect.stamp_failure {
            self.last_release_failed_at = Some(now);
        }
        if let Some(x) = &effect.external_id {
            self.external_id = Some(x.clone());
        }
        if effect.clear_validation_errors {
            self.validation_failed_errors.clear();
        }
        if effect.clear_release_errors {
            self.release_failed_errors.clear();
        }
        if effect.deleted {
            self.is_deleted = true;
            self.sources.clear();
        }
        if effect.touch {
            self.touch(now);
        }
    }

    /// A write of the entry: `updatedAt` moves forward (never back) and `version` by one.
    pub fn touch(&mut self, now: Timestamp) {
        self.updated_at = now.max(self.updated_at);
        self.version = self.version.saturating_add(1);
    }

    /// The state the status machine reads.
    pub fn state(&self) -> crate::rules::status::EntryState {
        crate::rules::status::EntryState { status: self.status, locked: self.is_locked, deleted: self.is_deleted, external_id: self.external_id.clone() }
    }

    /// `unitIncrementCount`.
    pub fn unit_increment_count(&self) -> i64 {
        unit_count(self.unit_increment_count_from_sources, self.unit_increment_count_adjustments)
    }
    /// `incrementDurationInSeconds`: the billed duration.
    pub fn increment_duration_in_seconds(&self) -> i64 {
        billed_seconds(self.unit_increment_count(), self.unit_increments)
    }
    /// `hasOverlap`.
    pub fn has_overlap(&self) -> bool {
        self.overlap_time_in_seconds > 0
    }
    /// Whether a timer session of this entry is running.
    pub fn timer_running(&self) -> bool {
        self.sources.iter().any(|s| s.ended_at.is_none())
    }
}

/// A new entry: a manual duration, or sources (or neither: zero time).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewEntry {
    /// A device-made id; the engine makes one when absent.
    #[serde(default, rename = "_id")]
    pub id: Option<ObjectId>,
    #[serde(default)]
    pub initiative_id: Option<ObjectId>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// Defaults to the local date of the first source, else today, in the user's zone.
    #[serde(default)]
    pub work_date: Option<Date>,
    #[serde(default, deserialize_with = "crate::rules::text::de_null_as_default")]
    pub code_ids: Vec<ObjectId>,
    #[serde(default, deserialize_with = "crate::rules::text::de_opt_count")]
    pub duration_in_seconds: Option<i64>,
    #[serde(default, deserialize_with = "crate::rules::text::de_null_as_default")]
    pub sources: Vec<SourceInput>,
    /// `manual` when absent (`grouped` when sources are given).
    #[serde(default)]
    pub creation_method: Option<String>,
    #[serde(default)]
    pub enrichment_correlation_id: Option<String>,
}

/// A change of an entry (the extension `PATCH` and the seed's override): absent = unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntryPatch {
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub work_date: Option<Date>,
    #[serde(default)]
    pub initiative_id: Option<ObjectId>,
    #[serde(default)]
    pub code_ids: Option<Vec<ObjectId>>,
    #[serde(default, deserialize_with = "crate::rules::text::de_opt_count")]
    pub unit_increment_count_adjustments: Option<i64>,
    #[serde(default, deserialize_with = "crate::rules::text::de_opt_count")]
    pub timer_duration_adjustment_in_seconds: Option<i64>,
}

/// The seed's override body: a subset of [`EntryPatch`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OverrideInput {
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "crate::rules::text::de_opt_count")]
    pub unit_increment_count_adjustments: Option<i64>,
    #[serde(default)]
    pub initiative_id: Option<ObjectId>,
    #[serde(default)]
    pub code_ids: Option<Vec<ObjectId>>,
    #[serde(default)]
    pub work_date: Option<Date>,
}

impl From<OverrideInput> for EntryPatch {
    fn from(o: OverrideInput) -> Self {
        EntryPatch {
            summary: o.summary,
            unit_increment_count_adjustments: o.unit_increment_count_adjustments,
            initiative_id: o.initiative_id,
            code_ids: o.code_ids,
            work_date: o.work_date,
            ..EntryPatch::default()
        }
    }
}

/// `all-or-nothing` (default) or `ready-subset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReleaseDayMode {
    #[default]
    AllOrNothing,
    ReadySubset,
}

/// The answer of a day release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseDayResult {
    pub released: Vec<ObjectId>,
    pub not_ready: Vec<NotReady>,
}

/// An entry of a day release that could not be released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotReady {
    pub entry_id: ObjectId,
    pub errors: Vec<RuleFailure>,
}

/// One item of a batch release-succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReleaseSucceededItem {
    pub entry_id: String,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub re_release_failed_messages: Option<Vec<String>>,
}

/// The result of one batch item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchItemResult {
    pub entry_id: String,
    /// `ok` or the error code.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A page of a cursor listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present only when more items may follow.
    pub next_cursor: Option<ObjectId>,
}

/// Totals of one (user, work date, matter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Total {
    pub user_id: ObjectId,
    pub work_date: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiative_id: Option<ObjectId>,
    pub entries: i64,
    pub unit_increment_count: i64,
    pub increment_duration_in_seconds: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_follows_the_schema_whitespace() {
        assert!(is_blank(""));
        assert!(is_blank(" \t\n\u{a0}\u{3000}\u{feff}"));
        assert!(!is_blank("\u{85}"), "NEL is not \\s in ECMAScript");
        assert!(!is_blank(" x "));
    }

    #[test]
    fn text_limits_count_characters() {
        assert!(check_text(&"é".repeat(10), "summary", 10).is_ok());
        assert_eq!(check_text(&"é".repeat(11), "summary", 10).unwrap_err().field(), Some("summary"));
        assert!(check_text("a\0b", "summary", 10).is_err());
    }
}
