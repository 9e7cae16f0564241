//! Value types returned to Kotlin and Swift (data classes / structs), mirrors of the core's
//! records with `From` conversions, so the core stays free of UniFFI. Ids are 24-character
//! lower-case hex strings, dates `YYYY-MM-DD`, date-times RFC 3339 in UTC with `Z` (milliseconds
//! only when not zero): exactly the strings of the wire format, lossless both ways.

use serde::Serialize;

use crate::error::{Result, TenthsError};

// ----- enums ------------------------------------------------------------------------------------

/// How raw time is rounded to whole units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, uniffi::Enum)]
#[serde(rename_all = "lowercase")]
pub enum Rounding {
    /// Ceiling: any started unit is billed.
    Up,
    /// Half up.
    Nearest,
    /// Floor.
    Down,
}

impl From<tenths::Rounding> for Rounding {
    fn from(r: tenths::Rounding) -> Self {
        match r {
            tenths::Rounding::Up => Rounding::Up,
            tenths::Rounding::Nearest => Rounding::Nearest,
            tenths::Rounding::Down => Rounding::Down,
        }
    }
}

impl From<Rounding> for tenths::Rounding {
    fn from(r: Rounding) -> Self {
        match r {
            Rounding::Up => tenths::Rounding::Up,
            Rounding::Nearest => tenths::Rounding::Nearest,
            Rounding::Down => tenths::Rounding::Down,
        }
    }
}

/// `pms` (a real matter) or `temporary` (a local placeholder, never releasable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, uniffi::Enum)]
#[serde(rename_all = "lowercase")]
pub enum InitiativeType {
    Pms,
    Temporary,
}

impl From<tenths::InitiativeType> for InitiativeType {
    fn from(t: tenths::InitiativeType) -> Self {
        match t {
            tenths::InitiativeType::Pms => InitiativeType::Pms,
            tenths::InitiativeType::Temporary => InitiativeType::Temporary,
        }
    }
}

impl From<InitiativeType> for tenths::InitiativeType {
    fn from(t: InitiativeType) -> Self {
        match t {
            InitiativeType::Pms => tenths::InitiativeType::Pms,
            InitiativeType::Temporary => tenths::InitiativeType::Temporary,
        }
    }
}

/// `billable` or `non-billable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, uniffi::Enum)]
#[serde(rename_all = "kebab-case")]
pub enum BillingType {
    Billable,
    NonBillable,
}

impl From<tenths::BillingType> for BillingType {
    fn from(t: tenths::BillingType) -> Self {
        match t {
            tenths::BillingType::Billable => BillingType::Billable,
            tenths::BillingType::NonBillable => BillingType::NonBillable,
        }
    }
}

impl From<BillingType> for tenths::BillingType {
    fn from(t: BillingType) -> Self {
        match t {
            BillingType::Billable => tenths::BillingType::Billable,
            BillingType::NonBillable => tenths::BillingType::NonBillable,
        }
    }
}

/// `active` or `inactive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, uniffi::Enum)]
#[serde(rename_all = "lowercase")]
pub enum InitiativeStatus {
    Active,
    Inactive,
}

impl From<tenths::InitiativeStatus> for InitiativeStatus {
    fn from(s: tenths::InitiativeStatus) -> Self {
        match s {
            tenths::InitiativeStatus::Active => InitiativeStatus::Active,
            tenths::InitiativeStatus::Inactive => InitiativeStatus::Inactive,
        }
    }
}

/// `allow` or `deny` list of a matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, uniffi::Enum)]
#[serde(rename_all = "lowercase")]
pub enum AccessKind {
    Allow,
    Deny,
}

impl From<AccessKind> for tenths::AccessKind {
    fn from(k: AccessKind) -> Self {
        match k {
            AccessKind::Allow => tenths::AccessKind::Allow,
            AccessKind::Deny => tenths::AccessKind::Deny,
        }
    }
}

/// The kind of captured activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, uniffi::Enum)]
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

impl From<tenths::SourceKind> for SourceKind {
    fn from(k: tenths::SourceKind) -> Self {
        use tenths::SourceKind as K;
        match k {
            K::Email => SourceKind::Email,
            K::Document => SourceKind::Document,
            K::Call => SourceKind::Call,
            K::Meeting => SourceKind::Meeting,
            K::Research => SourceKind::Research,
            K::Manual => SourceKind::Manual,
            K::Timer => SourceKind::Timer,
        }
    }
}

impl From<SourceKind> for tenths::SourceKind {
    fn from(k: SourceKind) -> Self {
        use tenths::SourceKind as K;
        match k {
            SourceKind::Email => K::Email,
            SourceKind::Document => K::Document,
            SourceKind::Call => K::Call,
            SourceKind::Meeting => K::Meeting,
            SourceKind::Research => K::Research,
            SourceKind::Manual => K::Manual,
            SourceKind::Timer => K::Timer,
        }
    }
}

/// Who assigned a code to an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum AssignedBy {
    User,
    System,
}

impl From<tenths::AssignedBy> for AssignedBy {
    fn from(a: tenths::AssignedBy) -> Self {
        match a {
            tenths::AssignedBy::User => AssignedBy::User,
            tenths::AssignedBy::System => AssignedBy::System,
        }
    }
}

impl From<AssignedBy> for tenths::AssignedBy {
    fn from(a: AssignedBy) -> Self {
        match a {
            AssignedBy::User => tenths::AssignedBy::User,
            AssignedBy::System => tenths::AssignedBy::System,
        }
    }
}

/// The status of an entry (domain.md §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum EntryStatus {
    /// Waiting for data it needs (unknown matter, running timer).
    ValidationPending,
    /// At least one rule fails (`Entry.validationFailedErrors`).
    ValidationFailed,
    /// Ready to release.
    ValidationSucceeded,
    /// Released, waiting for the PMS (locked).
    ReleasePending,
    /// Accepted by the PMS (locked).
    ReleaseSucceeded,
    /// Rejected by the PMS (`Entry.releaseFailedErrors`).
    ReleaseFailed,
}

impl From<tenths::Status> for EntryStatus {
    fn from(s: tenths::Status) -> Self {
        use tenths::Status as S;
        match s {
            S::ValidationPending => EntryStatus::ValidationPending,
            S::ValidationFailed => EntryStatus::ValidationFailed,
            S::ValidationSucceeded => EntryStatus::ValidationSucceeded,
            S::ReleasePending => EntryStatus::ReleasePending,
            S::ReleaseSucceeded => EntryStatus::ReleaseSucceeded,
            S::ReleaseFailed => EntryStatus::ReleaseFailed,
        }
    }
}

impl From<EntryStatus> for tenths::Status {
    fn from(s: EntryStatus) -> Self {
        use tenths::Status as S;
        match s {
            EntryStatus::ValidationPending => S::ValidationPending,
            EntryStatus::ValidationFailed => S::ValidationFailed,
            EntryStatus::ValidationSucceeded => S::ValidationSucceeded,
            EntryStatus::ReleasePending => S::ReleasePending,
            EntryStatus::ReleaseSucceeded => S::ReleaseSucceeded,
            EntryStatus::ReleaseFailed => S::ReleaseFailed,
        }
    }
}

/// Day release: every editable entry or none, or only the ready ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ReleaseDayMode {
    AllOrNothing,
    ReadySubset,
}

impl From<ReleaseDayMode> for tenths::ReleaseDayMode {
    fn from(m: ReleaseDayMode) -> Self {
        match m {
            ReleaseDayMode::AllOrNothing => tenths::ReleaseDayMode::AllOrNothing,
            ReleaseDayMode::ReadySubset => tenths::ReleaseDayMode::ReadySubset,
        }
    }
}

/// A caller's role for `Engine.request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Role {
    /// A timekeeper (or a delegate acting through `delegatorIds`).
    User,
    /// A firm administrator.
    Admin,
    /// A PMS connector.
    Connector,
}

impl From<Role> for tenths::api::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::User => tenths::api::Role::User,
            Role::Admin => tenths::api::Role::Admin,
            Role::Connector => tenths::api::Role::Connector,
        }
    }
}

/// How hard a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Durability {
    /// `synchronous = FULL`: a committed write survives power loss.
    Full,
    /// `synchronous = NORMAL` (WAL): never corrupts, may lose the last commits on power loss;
    /// the usual choice on phones.
    Normal,
}

impl From<Durability> for tenths::Durability {
    fn from(d: Durability) -> Self {
        match d {
            Durability::Full => tenths::Durability::Full,
            Durability::Normal => tenths::Durability::Normal,
        }
    }
}

/// The three wire shapes of an entry (domain.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum EntryShape {
    /// Single-entry reads (with `sources`).
    Full,
    /// The override answer and list items.
    Flat,
    /// Export items.
    Export,
}

// ----- reference data and settings -------------------------------------------------------------

/// Settings of a customer (the tenant).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CustomerSettings {
    /// Seconds per unit when an entry has no matter.
    pub default_unit_increments: i64,
    pub rounding: Rounding,
    /// Bill at least one unit for any positive time.
    pub minimum_one_unit: bool,
    /// IANA zone of users without their own.
    pub timezone: String,
    /// An edit of a released entry first unreleases it.
    pub allow_post_release_edit: bool,
}

impl From<tenths::CustomerSettings> for CustomerSettings {
    fn from(s: tenths::CustomerSettings) -> Self {
        CustomerSettings {
            default_unit_increments: s.default_unit_increments,
            rounding: s.rounding.into(),
            minimum_one_unit: s.minimum_one_unit,
            timezone: s.timezone,
            allow_post_release_edit: s.allow_post_release_edit,
        }
    }
}

/// Settings of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
#[serde(rename_all = "camelCase")]
pub struct UserSettings {
    /// The user's own IANA zone; `null` = the customer's.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub timezone: Option<String>,
}

impl From<tenths::UserSettings> for UserSettings {
    fn from(s: tenths::UserSettings) -> Self {
        UserSettings { timezone: s.timezone }
    }
}

/// A client of the firm.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Client {
    pub id: String,
    pub external_id: String,
    pub name: String,
    pub call_sign: Option<String>,
    pub description: Option<String>,
}

impl From<tenths::Client> for Client {
    fn from(c: tenths::Client) -> Self {
        Client { id: c.id.to_string(), external_id: c.external_id, name: c.name, call_sign: c.call_sign, description: c.description }
    }
}

/// A type of work code (UTBMS task, activity, …).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CodeType {
    pub id: String,
    pub external_id: String,
    pub name: String,
    /// `phase`, `task`, `activity`, `action`, `location`, `currency`, or another string.
    pub semantic_type: String,
}

impl From<tenths::CodeType> for CodeType {
    fn from(c: tenths::CodeType) -> Self {
        CodeType { id: c.id.to_string(), external_id: c.external_id, name: c.name, semantic_type: c.semantic_type }
    }
}

/// A work code.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Code {
    pub id: String,
    pub external_id: String,
    pub code_type_external_id: String,
    pub name: String,
    pub description: Option<String>,
    pub is_disabled: bool,
}

impl From<tenths::Code> for Code {
    fn from(c: tenths::Code) -> Self {
        Code {
            id: c.id.to_string(),
            external_id: c.external_id,
            code_type_external_id: c.code_type_external_id,
            name: c.name,
            description: c.description,
            is_disabled: c.is_disabled,
        }
    }
}

fn ids(list: Vec<tenths::ObjectId>) -> Vec<String> {
    list.into_iter().map(|i| i.to_string()).collect()
}

/// A matter.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Initiative {
    pub id: String,
    /// `type` on the wire.
    pub kind: InitiativeType,
    pub external_id: String,
    pub name: String,
    pub description: Option<String>,
    pub call_sign: Option<String>,
    pub client_external_id: Option<String>,
    pub billing_type: BillingType,
    /// Seconds per unit.
    pub unit_increments: i64,
    pub status: InitiativeStatus,
    /// The allowed codes' ids, when the matter restricts codes.
    pub allowed_code_ids: Option<Vec<String>>,
    /// Users allowed (empty = everyone not denied).
    pub allowed_user_ids: Vec<String>,
    pub denied_user_ids: Vec<String>,
}

impl From<tenths::Initiative> for Initiative {
    fn from(i: tenths::Initiative) -> Self {
        Initiative {
            id: i.id.to_string(),
            kind: i.kind.into(),
            external_id: i.external_id,
            name: i.name,
            description: i.description,
            call_sign: i.call_sign,
            client_external_id: i.client_external_id,
            billing_type: i.billing_type.into(),
            unit_increments: i.unit_increments,
            status: i.status.into(),
            allowed_code_ids: i.allowed_code_ids.map(ids),
            allowed_user_ids: ids(i.allowed_user_ids),
            denied_user_ids: ids(i.denied_user_ids),
        }
    }
}

/// Validation rules of a matter or of the customer.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ValidationRules {
    pub is_summary_required: bool,
    pub cannot_release_future_work: bool,
    pub cannot_release_negative_increment: bool,
    pub cannot_release_zero_increment: bool,
    pub required_code_type_external_ids: Vec<String>,
}

impl From<tenths::ValidationRules> for ValidationRules {
    fn from(r: tenths::ValidationRules) -> Self {
        ValidationRules {
            is_summary_required: r.is_summary_required,
            cannot_release_future_work: r.cannot_release_future_work,
            cannot_release_negative_increment: r.cannot_release_negative_increment,
            cannot_release_zero_increment: r.cannot_release_zero_increment,
            required_code_type_external_ids: r.required_code_type_external_ids,
        }
    }
}

// ----- the entry --------------------------------------------------------------------------------

/// A failing validation rule: `rule` is `initiative`, `summary`, `codes`, `duration`,
/// `zero-increment`, `negative-increment` or `future-work`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RuleFailure {
    pub rule: String,
    pub title: String,
    pub description: String,
}

impl From<tenths::RuleFailure> for RuleFailure {
    fn from(f: tenths::RuleFailure) -> Self {
        RuleFailure { rule: f.rule, title: f.title, description: f.description }
    }
}

impl From<RuleFailure> for tenths::RuleFailure {
    fn from(f: RuleFailure) -> Self {
        tenths::RuleFailure { rule: f.rule, title: f.title, description: f.description }
    }
}

/// A PMS rejection kept on a `release-failed` entry.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReleaseFailure {
    pub original_message: String,
    pub title: String,
    pub description: String,
}

impl From<tenths::ReleaseFailure> for ReleaseFailure {
    fn from(f: tenths::ReleaseFailure) -> Self {
        ReleaseFailure { original_message: f.original_message, title: f.title, description: f.description }
    }
}

impl From<ReleaseFailure> for tenths::ReleaseFailure {
    fn from(f: ReleaseFailure) -> Self {
        tenths::ReleaseFailure { original_message: f.original_message, title: f.title, description: f.description }
    }
}

/// A code on an entry, resolved.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WorkCode {
    pub id: String,
    pub external_id: String,
    pub code_type_external_id: String,
    pub name: String,
    pub assigned_by: AssignedBy,
}

impl From<tenths::WorkCode> for WorkCode {
    fn from(c: tenths::WorkCode) -> Self {
        WorkCode {
            id: c.id.to_string(),
            external_id: c.external_id,
            code_type_external_id: c.code_type_external_id,
            name: c.name,
            assigned_by: c.assigned_by.into(),
        }
    }
}

/// Captured time of an entry; `endedAt` is `null` while a timer session runs.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Source {
    pub id: String,
    pub kind: SourceKind,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub title: Option<String>,
}

impl From<tenths::Source> for Source {
    fn from(s: tenths::Source) -> Self {
        Source { id: s.id.to_string(), kind: s.kind.into(), started_at: s.started_at.to_string(), ended_at: s.ended_at.map(|t| t.to_string()), title: s.title }
    }
}

/// The client of an entry's matter.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ClientRef {
    pub id: String,
    pub external_id: String,
    pub name: String,
    pub description: Option<String>,
    pub call_sign: Option<String>,
}

impl From<tenths::ClientRef> for ClientRef {
    fn from(c: tenths::ClientRef) -> Self {
        ClientRef { id: c.id.to_string(), external_id: c.external_id, name: c.name, description: c.description, call_sign: c.call_sign }
    }
}

/// An entry's matter, as the entry shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InitiativeRef {
    pub id: String,
    pub kind: InitiativeType,
    pub billing_type: BillingType,
    pub call_sign: Option<String>,
    pub unit_increments: i64,
    pub external_id: String,
    pub name: String,
    pub description: Option<String>,
    pub client: Option<ClientRef>,
}

impl From<tenths::InitiativeRef> for InitiativeRef {
    fn from(i: tenths::InitiativeRef) -> Self {
        InitiativeRef {
            id: i.id.to_string(),
            kind: i.kind.into(),
            billing_type: i.billing_type.into(),
            call_sign: i.call_sign,
            unit_increments: i.unit_increments,
            external_id: i.external_id,
            name: i.name,
            description: i.description,
            client: i.client.map(ClientRef::from),
        }
    }
}

/// A time entry (domain.md §4), with every stored field and the derived ones
/// (`unitIncrementCount`, `incrementDurationInSeconds`, `hasOverlap`, `timerRunning`) computed
/// by the core. `Entry.toJson(shape)` gives the exact wire JSON the HTTP API sends.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Entry {
    pub id: String,
    pub customer_id: String,
    pub user_id: String,
    pub created_by: Option<String>,
    pub released_by: Option<String>,
    /// The PMS id, set by a successful release.
    pub external_id: Option<String>,
    pub enrichment_correlation_id: Option<String>,
    pub summary: String,
    pub notes: Option<String>,
    pub work_date: String,
    pub initiative_id: Option<String>,
    /// The matter, when this store knows it.
    pub initiative: Option<InitiativeRef>,
    pub codes: Vec<WorkCode>,
    /// `manual`, `timer`, `grouped`, `import`, `async`, or another string as it came.
    pub creation_method: String,
    pub created_as_timer: bool,
    pub timer_duration_adjustment_in_seconds: i64,
    /// The entered duration of a manual entry without sources.
    pub entered_duration_in_seconds: Option<i64>,
    /// Seconds of the closed sources plus the timer adjustment (or the entered duration).
    pub raw_seconds: i64,
    /// Seconds per unit of the entry's matter (or the customer default).
    pub unit_increments: i64,
    pub unit_increment_count_from_sources: i64,
    pub unit_increment_count_adjustments: i64,
    /// `unitIncrementCountFromSources + unitIncrementCountAdjustments`.
    pub unit_increment_count: i64,
    /// The billed duration: `unitIncrementCount × unitIncrements`.
    pub increment_duration_in_seconds: i64,
    pub has_overlap: bool,
    pub overlap_time_in_seconds: i64,
    pub status: EntryStatus,
    pub validation_failed_errors: Vec<RuleFailure>,
    pub release_failed_errors: Vec<ReleaseFailure>,
    pub re_release_failed_messages: Vec<String>,
    pub is_locked: bool,
    pub is_deleted: bool,
    pub release_count: i64,
    pub last_release_pending_at: Option<String>,
    pub last_release_failed_at: Option<String>,
    pub release_success_at: Option<String>,
    pub last_synced_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Bumped on every write of the entry.
    pub version: i64,
    pub sources: Vec<Source>,
    /// Whether a timer session of this entry is running.
    pub timer_running: bool,
}

fn ts(t: tenths::Timestamp) -> String {
    t.to_string()
}

impl From<tenths::Entry> for Entry {
    fn from(e: tenths::Entry) -> Self {
        // The derived values are the core's own accessors, read before the move.
        let (unit_increment_count, increment_duration_in_seconds, has_overlap, timer_running) =
            (e.unit_increment_count(), e.increment_duration_in_seconds(), e.has_overlap(), e.timer_running());
        Entry {
            id: e.id.to_string(),
            customer_id: e.customer_id.to_string(),
            user_id: e.user_id.to_string(),
            created_by: e.created_by.map(|i| i.to_string()),
            released_by: e.released_by.map(|i| i.to_string()),
            external_id: e.external_id,
            enrichment_correlation_id: e.enrichment_correlation_id,
            summary: e.summary,
            notes: e.notes,
            work_date: e.work_date.to_string(),
            initiative_id: e.initiative_id.map(|i| i.to_string()),
            initiative: e.initiative.map(InitiativeRef::from),
            codes: e.codes.into_iter().map(WorkCode::from).collect(),
            creation_method: e.creation_method,
            created_as_timer: e.created_as_timer,
            timer_duration_adjustment_in_seconds: e.timer_duration_adjustment_in_seconds,
            entered_duration_in_seconds: e.entered_duration_in_seconds,
            raw_seconds: e.raw_seconds,
            unit_increments: e.unit_increments,
            unit_increment_count_from_sources: e.unit_increment_count_from_sources,
            unit_increment_count_adjustments: e.unit_increment_count_adjustments,
            unit_increment_count,
            increment_duration_in_seconds,
            has_overlap,
            overlap_time_in_seconds: e.overlap_time_in_seconds,
            status: e.status.into(),
            validation_failed_errors: e.validation_failed_errors.into_iter().map(RuleFailure::from).collect(),
            release_failed_errors: e.release_failed_errors.into_iter().map(ReleaseFailure::from).collect(),
            re_release_failed_messages: e.re_release_failed_messages,
            is_locked: e.is_locked,
            is_deleted: e.is_deleted,
            release_count: e.release_count,
            last_release_pending_at: e.last_release_pending_at.map(ts),
            last_release_failed_at: e.last_release_failed_at.map(ts),
            release_success_at: e.release_success_at.map(ts),
            last_synced_at: e.last_synced_at.map(ts),
            created_at: ts(e.created_at),
            updated_at: ts(e.updated_at),
            version: e.version,
            sources: e.sources.into_iter().map(Source::from).collect(),
            timer_running,
        }
    }
}

// The way back (for `Entry.toJson`): every stored field is parsed again, naming the field.

fn oid(s: &str, field: &str) -> Result<tenths::ObjectId> {
    Ok(tenths::ObjectId::parse_field(s, field)?)
}

fn opt_oid(s: &Option<String>, field: &str) -> Result<Option<tenths::ObjectId>> {
    s.as_deref().map(|x| oid(x, field)).transpose()
}

fn time(s: &str, field: &str) -> Result<tenths::Timestamp> {
    Ok(tenths::Timestamp::parse_field(s, field)?)
}

fn opt_time(s: &Option<String>, field: &str) -> Result<Option<tenths::Timestamp>> {
    s.as_deref().map(|x| time(x, field)).transpose()
}

impl TryFrom<&Entry> for tenths::Entry {
    type Error = TenthsError;

    fn try_from(e: &Entry) -> Result<tenths::Entry> {
        let initiative = match &e.initiative {
            None => None,
            Some(i) => Some(tenths::InitiativeRef {
                id: oid(&i.id, "initiative.id")?,
                kind: i.kind.into(),
                billing_type: i.billing_type.into(),
                call_sign: i.call_sign.clone(),
                unit_increments: i.unit_increments,
                external_id: i.external_id.clone(),
                name: i.name.clone(),
                description: i.description.clone(),
                client: match &i.client {
                    None => None,
                    Some(c) => Some(tenths::ClientRef {
                        id: oid(&c.id, "initiative.client.id")?,
                        external_id: c.external_id.clone(),
                        name: c.name.clone(),
                        description: c.description.clone(),
                        call_sign: c.call_sign.clone(),
                    }),
                },
            }),
        };
        let codes = e
            .codes
            .iter()
            .enumerate()
            .map(|(n, c)| {
                Ok(tenths::WorkCode {
                    id: oid(&c.id, &format!("codes[{n}].id"))?,
                    external_id: c.external_id.clone(),
                    code_type_external_id: c.code_type_external_id.clone(),
                    name: c.name.clone(),
                    assigned_by: c.assigned_by.into(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let sources = e
            .sources
            .iter()
            .enumerate()
            .map(|(n, s)| {
                Ok(tenths::Source {
                    id: oid(&s.id, &format!("sources[{n}].id"))?,
                    kind: s.kind.into(),
                    started_at: time(&s.started_at, &format!("sources[{n}].startedAt"))?,
                    ended_at: opt_time(&s.ended_at, &format!("sources[{n}].endedAt"))?,
                    title: s.title.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(tenths::Entry {
            id: oid(&e.id, "id")?,
            customer_id: oid(&e.customer_id, "customerId")?,
            user_id: oid(&e.user_id, "userId")?,
            created_by: opt_oid(&e.created_by, "createdBy")?,
            released_by: opt_oid(&e.released_by, "releasedBy")?,
            external_id: e.external_id.clone(),
            enrichment_correlation_id: e.enrichment_correlation_id.clone(),
            summary: e.summary.clone(),
            notes: e.notes.clone(),
            work_date: tenths::Date::parse_field(&e.work_date, "workDate")?,
            initiative_id: opt_oid(&e.initiative_id, "initiativeId")?,
            initiative,
            codes,
            creation_method: e.creation_method.clone(),
            created_as_timer: e.created_as_timer,
            timer_duration_adjustment_in_seconds: e.timer_duration_adjustment_in_seconds,
            entered_duration_in_seconds: e.entered_duration_in_seconds,
            raw_seconds: e.raw_seconds,
            unit_increments: e.unit_increments,
            unit_increment_count_from_sources: e.unit_increment_count_from_sources,
            unit_increment_count_adjustments: e.unit_increment_count_adjustments,
            overlap_time_in_seconds: e.overlap_time_in_seconds,
            status: e.status.into(),
            validation_failed_errors: e.validation_failed_errors.iter().cloned().map(tenths::RuleFailure::from).collect(),
            release_failed_errors: e.release_failed_errors.iter().cloned().map(tenths::ReleaseFailure::from).collect(),
            re_release_failed_messages: e.re_release_failed_messages.clone(),
            is_locked: e.is_locked,
            is_deleted: e.is_deleted,
            release_count: e.release_count,
            last_release_pending_at: opt_time(&e.last_release_pending_at, "lastReleasePendingAt")?,
            last_release_failed_at: opt_time(&e.last_release_failed_at, "lastReleaseFailedAt")?,
            release_success_at: opt_time(&e.release_success_at, "releaseSuccessAt")?,
            last_synced_at: opt_time(&e.last_synced_at, "lastSyncedAt")?,
            created_at: time(&e.created_at, "createdAt")?,
            updated_at: time(&e.updated_at, "updatedAt")?,
            version: e.version,
            sources,
        })
    }
}

#[uniffi::export]
impl Entry {
    /// The entry's wire JSON in one of the three shapes of domain.md §7, exactly as the HTTP
    /// API sends it (for a web view, a log, or a server that speaks the seed's API).
    pub fn to_json(&self, shape: EntryShape) -> Result<String> {
        let core = tenths::Entry::try_from(self)?;
        let value = match shape {
            EntryShape::Full => core.to_full_json(),
            EntryShape::Flat => core.to_flat_json(),
            EntryShape::Export => core.to_export_json(),
        };
        Ok(value.to_string())
    }
}

/// One page of a cursor listing, in one crossing.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EntryPage {
    /// The entries of this page, by id.
    pub entries: Vec<Entry>,
    /// The id after which to continue; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<tenths::Page<tenths::Entry>> for EntryPage {
    fn from(p: tenths::Page<tenths::Entry>) -> Self {
        EntryPage { entries: p.items.into_iter().map(Entry::from).collect(), next_cursor: p.next_cursor.map(|c| c.to_string()) }
    }
}

/// The answer of `createEntry`: the stored entry, and whether it was created now (`false`: the
/// same device-made id and body were sent again, and the stored entry is answered).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CreatedEntry {
    pub entry: Entry,
    pub created: bool,
}

/// An entry of a day release that could not be released, with its failing rules.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NotReady {
    pub entry_id: String,
    pub errors: Vec<RuleFailure>,
}

/// The answer of a day release.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReleaseDayResult {
    pub released: Vec<String>,
    pub not_ready: Vec<NotReady>,
}

impl From<tenths::ReleaseDayResult> for ReleaseDayResult {
    fn from(r: tenths::ReleaseDayResult) -> Self {
        ReleaseDayResult {
            released: ids(r.released),
            not_ready: r
                .not_ready
                .into_iter()
                .map(|n| NotReady { entry_id: n.entry_id.to_string(), errors: n.errors.into_iter().map(RuleFailure::from).collect() })
                .collect(),
        }
    }
}

/// The result of one item of a batch release-succeeded: `status` is `ok` or an error code.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BatchItemResult {
    pub entry_id: String,
    pub status: String,
    /// The error's description when `status` is not `ok`.
    pub error: Option<String>,
}

impl From<tenths::BatchItemResult> for BatchItemResult {
    fn from(r: tenths::BatchItemResult) -> Self {
        BatchItemResult { entry_id: r.entry_id, status: r.status, error: r.error }
    }
}

/// Totals of one (user, work date, matter).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Total {
    pub user_id: String,
    pub work_date: String,
    pub initiative_id: Option<String>,
    pub entries: i64,
    pub unit_increment_count: i64,
    pub increment_duration_in_seconds: i64,
}

impl From<tenths::Total> for Total {
    fn from(t: tenths::Total) -> Self {
        Total {
            user_id: t.user_id.to_string(),
            work_date: t.work_date.to_string(),
            initiative_id: t.initiative_id.map(|i| i.to_string()),
            entries: t.entries,
            unit_increment_count: t.unit_increment_count,
            increment_duration_in_seconds: t.increment_duration_in_seconds,
        }
    }
}

// ----- the router ---------------------------------------------------------------------------------

/// One HTTP header.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// A caller the host has already authenticated (a signed-in device), for `Engine.request`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Principal {
    pub customer_id: String,
    pub user_id: String,
    pub role: Role,
    /// Users this user may act for (a delegate).
    #[uniffi(default)]
    pub delegator_ids: Vec<String>,
}

impl Principal {
    /// The core principal, ids checked and named.
    pub fn to_core(&self) -> Result<tenths::api::Principal> {
        let delegator_ids = self.delegator_ids.iter().enumerate().map(|(n, d)| oid(d, &format!("delegatorIds[{n}]"))).collect::<Result<Vec<_>>>()?;
        Ok(tenths::api::Principal {
            customer: oid(&self.customer_id, "customerId")?,
            user: oid(&self.user_id, "userId")?,
            role: self.role.into(),
            delegator_ids,
        })
    }
}

/// A request of the HTTP API, served in-process by `Engine.request`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// `GET`, `POST`, `PATCH`, `PUT`, `DELETE`.
    pub method: String,
    /// The path with its query string (`/api/v2/customers/…/entries?pageSize=10`).
    pub path: String,
    #[uniffi(default)]
    pub headers: Vec<Header>,
    #[uniffi(default)]
    pub body: Vec<u8>,
    /// A trusted caller; when absent, an `Authorization: Bearer` token is needed.
    #[uniffi(default)]
    pub principal: Option<Principal>,
}

/// A response of the HTTP API.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<Header>,
    pub body: Vec<u8>,
}

impl From<tenths::api::Response> for HttpResponse {
    fn from(r: tenths::api::Response) -> Self {
        HttpResponse { status: r.status, headers: r.headers.into_iter().map(|(name, value)| Header { name, value }).collect(), body: r.body }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn oid(s: &str) -> tenths::ObjectId {
        tenths::ObjectId::parse(s).expect("a valid id")
    }

    /// An entry with every optional part present: matter with client, code, sources, release.
    fn rich_entry() -> tenths::Entry {
        let clock = Arc::new(tenths::FixedClock::new(tenths::Timestamp::parse("2026-03-10T12:00:00.250Z").expect("time")));
        let engine = tenths::Engine::open_in_memory_with(clock).expect("engine");
        let c = oid("c00000000000000000000001");
        let scope = tenths::Scope::new(c, oid("a00000000000000000000001"));
        engine
            .upsert_client(&c, &serde_json::from_str(r#"{"externalId": "CL-1", "name": "Acme", "callSign": "AC", "description": "d"}"#).expect("client"))
            .expect("client");
        let m = engine
            .upsert_initiative(
                &c,
                &serde_json::from_str(
                    r#"{"externalId": "M-1", "name": "M", "clientExternalId": "CL-1", "billingType": "billable", "unitIncrements": 360, "description": "x"}"#,
                )
                .expect("matter"),
            )
            .expect("matter");
        engine.upsert_code_type(&c, &serde_json::from_str(r#"{"externalId": "task", "name": "Task", "semanticType": "task"}"#).expect("type")).expect("type");
        let code = engine
            .upsert_code(&c, &serde_json::from_str(r#"{"externalId": "L110", "name": "Facts", "codeTypeExternalId": "task"}"#).expect("code"))
            .expect("code");
        let body = format!(
            r#"{{"_id": "e00000000000000000000001", "initiativeId": "{}", "summary": "s", "notes": "n", "codeIds": ["{}"], "enrichmentCorrelationId": "corr",
                "sources": [{{"kind": "call", "startedAt": "2026-03-10T09:00:00.5Z", "endedAt": "2026-03-10T09:07:00Z", "title": "t"}}]}}"#,
            m.id, code.id
        );
        let (e, _) = engine.create_entry(&scope, &serde_json::from_str(&body).expect("entry")).expect("create");
        engine.release_entry(&scope, &e.id).expect("release");
        engine.release_succeeded(&c, None, &e.id, Some("PMS-1"), Some(&["old".to_string()])).expect("succeeded")
    }

    #[test]
    fn an_entry_survives_the_trip_through_the_mirror_unchanged() {
        let core = rich_entry();
        let mirror = Entry::from(core.clone());
        assert_eq!(mirror.unit_increment_count, core.unit_increment_count());
        assert_eq!(mirror.increment_duration_in_seconds, core.increment_duration_in_seconds());
        let back = tenths::Entry::try_from(&mirror).expect("back");
        assert_eq!(back, core);
        for (shape, want) in [(EntryShape::Full, core.to_full_json()), (EntryShape::Flat, core.to_flat_json()), (EntryShape::Export, core.to_export_json())] {
            let got: serde_json::Value = serde_json::from_str(&mirror.to_json(shape).expect("json")).expect("parse");
            assert_eq!(got, want);
        }
    }

    #[test]
    fn a_damaged_mirror_is_refused_naming_the_field() {
        let mut mirror = Entry::from(rich_entry());
        mirror.sources[0].ended_at = Some("noon".into());
        match mirror.to_json(EntryShape::Full) {
            Err(TenthsError::InvalidArgument { field, .. }) => assert_eq!(field, "sources[0].endedAt"),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn every_core_error_keeps_its_kind_and_code() {
        let failures = vec![tenths::RuleFailure { rule: "summary".into(), title: "t".into(), description: "d".into() }];
        let cases = [
            tenths::TenthsError::InvalidArgument { field: "f".into(), reason: "r".into() },
            tenths::TenthsError::NotFound { what: "entry".into(), id: "x".into() },
            tenths::TenthsError::Conflict { reason: "r".into() },
            tenths::TenthsError::Locked { reason: "r".into() },
            tenths::TenthsError::ValidationFailed { failures },
            tenths::TenthsError::Unauthenticated { reason: "r".into() },
            tenths::TenthsError::PermissionDenied { reason: "r".into() },
            tenths::TenthsError::TooLarge { reason: "r".into() },
            tenths::TenthsError::Storage { reason: "r".into() },
            tenths::TenthsError::Unavailable { reason: "r".into() },
            tenths::TenthsError::IncompatibleDatabase { reason: "r".into() },
            tenths::TenthsError::Closed,
        ];
        for core in cases {
            let mapped = TenthsError::from(core.clone());
            assert_eq!(mapped.code(), core.kind().code());
            assert_eq!(mapped.to_string(), core.to_string());
            assert_eq!(mapped.is_retryable(), core.is_retryable(), "{core}");
        }
        let callback = TenthsError::from(uniffi::UnexpectedUniFFICallbackError { reason: "boom".into() });
        assert_eq!(callback.code(), "callback");
    }
}
