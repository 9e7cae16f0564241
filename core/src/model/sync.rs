//! The sync protocol's records (docs/sync.md): the copy of an entry sync moves
//! ([`SyncedEntry`]), the fields a device owns ([`UserFields`]), a push and its answers, a pull
//! page with the typed reference snapshot, and what a device reports. Plain values with their
//! input checks; what is done with them is in [`crate::sync`], the merge policy in
//! [`crate::rules::merge`].

use serde::{Deserialize, Serialize};

use crate::error::{Result, RuleFailure, TenthsError};
use crate::model::*;
use crate::rules::ids::{check_external_id, ObjectId};
use crate::rules::status::Status;
use crate::rules::time::{Date, Timestamp};

/// Most operations in one push batch, and most entries in one pull page.
pub const MAX_SYNC_BATCH: usize = 500;

/// A timer session or captured activity as sync moves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncedSource {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub kind: SourceKind,
    pub started_at: Timestamp,
    /// Absent while a timer session runs.
    #[serde(default)]
    pub ended_at: Option<Timestamp>,
    #[serde(default)]
    pub title: Option<String>,
}

/// A code on an entry as sync moves it (names come from the reference data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncedCode {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub assigned_by: AssignedBy,
}

/// The whole stored state of one entry as sync moves it: what a device mirrors, pushes and
/// receives. Overlap is not part of it: each side derives it from the user's sources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncedEntry {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub user_id: ObjectId,
    #[serde(default)]
    pub created_by: Option<ObjectId>,
    #[serde(default)]
    pub released_by: Option<ObjectId>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub enrichment_correlation_id: Option<String>,
    pub summary: String,
    #[serde(default)]
    pub notes: Option<String>,
    pub work_date: Date,
    #[serde(default)]
    pub initiative_id: Option<ObjectId>,
    pub creation_method: String,
    pub created_as_timer: bool,
    pub timer_duration_adjustment_in_seconds: i64,
    #[serde(default)]
    pub entered_duration_in_seconds: Option<i64>,
    pub raw_seconds: i64,
    pub unit_increments: i64,
    pub unit_increment_count_from_sources: i64,
    pub unit_increment_count_adjustments: i64,
    pub status: Status,
    #[serde(default)]
    pub validation_failed_errors: Vec<RuleFailure>,
    #[serde(default)]
    pub release_failed_errors: Vec<ReleaseFailure>,
    #[serde(default)]
    pub re_release_failed_messages: Vec<String>,
    pub is_locked: bool,
    pub is_deleted: bool,
    pub release_count: i64,
    #[serde(default)]
    pub last_release_pending_at: Option<Timestamp>,
    #[serde(default)]
    pub last_release_failed_at: Option<Timestamp>,
    #[serde(default)]
    pub release_success_at: Option<Timestamp>,
    #[serde(default)]
    pub last_synced_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
    #[serde(default)]
    pub codes: Vec<SyncedCode>,
    #[serde(default)]
    pub sources: Vec<SyncedSource>,
}

impl SyncedEntry {
    /// The sync copy of a stored entry.
    pub fn from_entry(e: &Entry) -> SyncedEntry {
        SyncedEntry {
            id: e.id,
            user_id: e.user_id,
            created_by: e.created_by,
            released_by: e.released_by,
            external_id: e.external_id.clone(),
            enrichment_correlation_id: e.enrichment_correlation_id.clone(),
            summary: e.summary.clone(),
            notes: e.notes.clone(),
            work_date: e.work_date,
            initiative_id: e.initiative_id,
            creation_method: e.creation_method.clone(),
            created_as_timer: e.created_as_timer,
            timer_duration_adjustment_in_seconds: e.timer_duration_adjustment_in_seconds,
            entered_duration_in_seconds: e.entered_duration_in_seconds,
            raw_seconds: e.raw_seconds,
            unit_increments: e.unit_increments,
            unit_increment_count_from_sources: e.unit_increment_count_from_sources,
            unit_increment_count_adjustments: e.unit_increment_count_adjustments,
            status: e.status,
            validation_failed_errors: e.validation_failed_errors.clone(),
            release_failed_errors: e.release_failed_errors.clone(),
            re_release_failed_messages: e.re_release_failed_messages.clone(),
            is_locked: e.is_locked,
            is_deleted: e.is_deleted,
            release_count: e.release_count,
            last_release_pending_at: e.last_release_pending_at,
            last_release_failed_at: e.last_release_failed_at,
            release_success_at: e.release_success_at,
            last_synced_at: e.last_synced_at,
            created_at: e.created_at,
            updated_at: e.updated_at,
            version: e.version,
            codes: e.codes.iter().map(|c| SyncedCode { id: c.id, assigned_by: c.assigned_by }).collect(),
            sources: {
                // One order on every side: by start, then id.
                let mut sources: Vec<SyncedSource> = e.sources.iter().map(SyncedSource::from_source).collect();
                sources.sort_by_key(|s| (s.started_at, s.id));
                sources
            },
        }
    }

    /// The stored form of this copy, for `customer` (codes carry only their ids: names are
    /// read from the reference data).
    pub fn to_entry(&self, customer: ObjectId) -> Entry {
        Entry {
            id: self.id,
            customer_id: customer,
            user_id: self.user_id,
            created_by: self.created_by,
            released_by: self.released_by,
            external_id: self.external_id.clone(),
            enrichment_correlation_id: self.enrichment_correlation_id.clone(),
            summary: self.summary.clone(),
            notes: self.notes.clone(),
            work_date: self.work_date,
            initiative_id: self.initiative_id,
            initiative: None,
            codes: self
                .codes
                .iter()
                .map(|c| WorkCode {
                    id: c.id,
                    external_id: String::new(),
                    code_type_external_id: String::new(),
                    name: String::new(),
                    assigned_by: c.assigned_by,
                })
                .collect(),
            creation_method: self.creation_method.clone(),
            created_as_timer: self.created_as_timer,
            timer_duration_adjustment_in_seconds: self.timer_duration_adjustment_in_seconds,
            entered_duration_in_seconds: self.entered_duration_in_seconds,
            raw_seconds: self.raw_seconds,
            unit_increments: self.unit_increments,
            unit_increment_count_from_sources: self.unit_increment_count_from_sources,
            unit_increment_count_adjustments: self.unit_increment_count_adjustments,
            overlap_time_in_seconds: 0,
            status: self.status,
            validation_failed_errors: self.validation_failed_errors.clone(),
            release_failed_errors: self.release_failed_errors.clone(),
            re_release_failed_messages: self.re_release_failed_messages.clone(),
            is_locked: self.is_locked,
            is_deleted: self.is_deleted,
            release_count: self.release_count,
            last_release_pending_at: self.last_release_pending_at,
            last_release_failed_at: self.last_release_failed_at,
            release_success_at: self.release_success_at,
            last_synced_at: self.last_synced_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
            sources: self.sources.iter().map(SyncedSource::to_source).collect(),
        }
    }

    /// This copy with the user fields `f` (server-owned fields unchanged; the lock follows a
    /// local release or unrelease as the device shows it until the server answers).
    pub fn with_user_fields(&self, f: &UserFields) -> SyncedEntry {
        let mut e = self.clone();
        e.summary = f.summary.clone();
        e.notes = f.notes.clone();
        e.work_date = f.work_date;
        e.initiative_id = f.initiative_id;
        let by = |id: &ObjectId| self.codes.iter().find(|c| c.id == *id).map(|c| c.assigned_by).unwrap_or(AssignedBy::User);
        e.codes = f.code_ids.iter().map(|id| SyncedCode { id: *id, assigned_by: by(id) }).collect();
        e.unit_increment_count_adjustments = f.unit_increment_count_adjustments;
        e.timer_duration_adjustment_in_seconds = f.timer_duration_adjustment_in_seconds;
        e.entered_duration_in_seconds = f.entered_duration_in_seconds;
        e.sources = f.sources.clone();
        e.is_deleted = f.is_deleted;
        if f.released && !self.is_locked {
            e.is_locked = true;
            e.status = Status::ReleasePending;
        } else if !f.released && self.is_locked {
            e.is_locked = false;
            e.status = Status::ValidationPending;
        }
        e
    }

    /// The fields a device owns (what a push may change).
    pub fn user_fields(&self) -> UserFields {
        UserFields {
            summary: self.summary.clone(),
            notes: self.notes.clone(),
            work_date: self.work_date,
            initiative_id: self.initiative_id,
            code_ids: self.codes.iter().map(|c| c.id).collect(),
            unit_increment_count_adjustments: self.unit_increment_count_adjustments,
            timer_duration_adjustment_in_seconds: self.timer_duration_adjustment_in_seconds,
            entered_duration_in_seconds: self.entered_duration_in_seconds,
            sources: self.sources.clone(),
            is_deleted: self.is_deleted,
            released: self.is_locked,
        }
    }

    /// Checks a copy that came from the other side (a push or a pull page): every bound the
    /// engine keeps on its own writes. `field` prefixes the offending field's name.
    pub fn check(&self, field: &str) -> Result<()> {
        let f = |name: &str| format!("{field}.{name}");
        check_text(&self.summary, &f("summary"), MAX_TEXT_BYTES)?;
        if let Some(n) = &self.notes {
            check_text(n, &f("notes"), MAX_TEXT_BYTES)?;
        }
        if self.creation_method.is_empty() || self.creation_method.chars().count() > 64 || self.creation_method.contains('\0') {
            return Err(TenthsError::invalid(f("creationMethod"), "must be 1 to 64 characters without NUL"));
        }
        for (name, value) in [("externalId", &self.external_id), ("enrichmentCorrelationId", &self.enrichment_correlation_id)] {
            if let Some(x) = value {
                check_external_id(x, &f(name))?;
            }
        }
        if !(1..=86_400).contains(&self.unit_increments) {
            return Err(TenthsError::invalid(f("unitIncrements"), "must be between 1 and 86400"));
        }
        if !(-crate::rules::units::MAX_ADJUSTMENT_UNITS..=crate::rules::units::MAX_ADJUSTMENT_UNITS).contains(&self.unit_increment_count_adjustments) {
            return Err(TenthsError::invalid(f("unitIncrementCountAdjustments"), "out of range"));
        }
        if !(-crate::rules::units::MAX_TIMER_ADJUSTMENT_SECONDS..=crate::rules::units::MAX_TIMER_ADJUSTMENT_SECONDS)
            .contains(&self.timer_duration_adjustment_in_seconds)
        {
            return Err(TenthsError::invalid(f("timerDurationAdjustmentInSeconds"), "out of range"));
        }
        if let Some(d) = self.entered_duration_in_seconds {
            if !(0..=crate::rules::units::MAX_ENTERED_DURATION_SECONDS).contains(&d) {
                return Err(TenthsError::invalid(f("enteredDurationInSeconds"), "out of range"));
            }
        }
        for (name, v) in
            [("rawSeconds", self.raw_seconds), ("unitIncrementCountFromSources", self.unit_increment_count_from_sources), ("releaseCount", self.release_count)]
        {
            if !(0..=i64::from(u32::MAX)).contains(&v) {
                return Err(TenthsError::invalid(f(name), "out of range"));
            }
        }
        if self.version < 1 {
            return Err(TenthsError::invalid(f("version"), "must be at least 1"));
        }
        if self.codes.len() > MAX_CODES_PER_ENTRY {
            return Err(TenthsError::invalid(f("codes"), format!("at most {MAX_CODES_PER_ENTRY} codes")));
        }
        if self.sources.len() > MAX_SOURCES_PER_ENTRY {
            return Err(TenthsError::invalid(f("sources"), format!("at most {MAX_SOURCES_PER_ENTRY} sources")));
        }
        let mut running = 0;
        for (i, s) in self.sources.iter().enumerate() {
            match s.ended_at {
                None => running += 1,
                Some(end) => {
                    let len = end.millis().saturating_sub(s.started_at.millis());
                    if !(0..=MAX_SOURCE_MILLIS).contains(&len) {
                        return Err(TenthsError::invalid(f(&format!("sources[{i}].endedAt")), "must be after startedAt, at most 25 hours later"));
                    }
                }
            }
            if let Some(t) = &s.title {
                check_text(t, &f(&format!("sources[{i}].title")), MAX_NAME_BYTES)?;
            }
        }
        if running > 1 {
            return Err(TenthsError::invalid(f("sources"), "at most one running session"));
        }
        for list in [&self.re_release_failed_messages] {
            for (i, m) in list.iter().enumerate() {
                check_text(m, &f(&format!("reReleaseFailedMessages[{i}]")), MAX_TEXT_BYTES)?;
            }
        }
        Ok(())
    }
}

impl SyncedSource {
    /// The sync copy of a stored source.
    pub fn from_source(s: &Source) -> SyncedSource {
        SyncedSource { id: s.id, kind: s.kind, started_at: s.started_at, ended_at: s.ended_at, title: s.title.clone() }
    }

    /// The stored source.
    pub fn to_source(&self) -> Source {
        Source { id: self.id, kind: self.kind, started_at: self.started_at, ended_at: self.ended_at, title: self.title.clone() }
    }
}

/// The fields of an entry its user owns: what a device may change and push. Everything else
/// (status, lock, `externalId`, release times, `lastSyncedAt`, version) is the server's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserFields {
    pub summary: String,
    pub notes: Option<String>,
    pub work_date: Date,
    pub initiative_id: Option<ObjectId>,
    pub code_ids: Vec<ObjectId>,
    pub unit_increment_count_adjustments: i64,
    pub timer_duration_adjustment_in_seconds: i64,
    pub entered_duration_in_seconds: Option<i64>,
    pub sources: Vec<SyncedSource>,
    pub is_deleted: bool,
    /// The user's release (`true`) or unrelease (`false`) of the entry.
    pub released: bool,
}

/// One field of [`UserFields`], named as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SyncField {
    Summary,
    Notes,
    WorkDate,
    InitiativeId,
    CodeIds,
    UnitIncrementCountAdjustments,
    TimerDurationAdjustmentInSeconds,
    EnteredDurationInSeconds,
    Sources,
    IsDeleted,
    Released,
}

impl SyncField {
    /// Every field, in a fixed order.
    pub const ALL: [SyncField; 11] = [
        SyncField::Summary,
        SyncField::Notes,
        SyncField::WorkDate,
        SyncField::InitiativeId,
        SyncField::CodeIds,
        SyncField::UnitIncrementCountAdjustments,
        SyncField::TimerDurationAdjustmentInSeconds,
        SyncField::EnteredDurationInSeconds,
        SyncField::Sources,
        SyncField::IsDeleted,
        SyncField::Released,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncField::Summary => "summary",
            SyncField::Notes => "notes",
            SyncField::WorkDate => "workDate",
            SyncField::InitiativeId => "initiativeId",
            SyncField::CodeIds => "codeIds",
            SyncField::UnitIncrementCountAdjustments => "unitIncrementCountAdjustments",
            SyncField::TimerDurationAdjustmentInSeconds => "timerDurationAdjustmentInSeconds",
            SyncField::EnteredDurationInSeconds => "enteredDurationInSeconds",
            SyncField::Sources => "sources",
            SyncField::IsDeleted => "isDeleted",
            SyncField::Released => "released",
        }
    }
}

/// A local value of an entry's field that lost to the server's.
pub type FieldConflict = crate::rules::merge::FieldConflict<SyncField>;
/// The merge of an entry's user fields (see [`crate::rules::merge::reconcile`]).
pub type Merge = crate::rules::merge::Merge<UserFields>;

impl crate::rules::merge::Fields for UserFields {
    type Field = SyncField;
    const DELETED: SyncField = SyncField::IsDeleted;
    const RELEASED: SyncField = SyncField::Released;
    fn diff(&self, other: &Self) -> Vec<SyncField> {
        UserFields::diff(self, other)
    }
    fn same(&self, other: &Self, field: SyncField) -> bool {
        UserFields::same(self, other, field)
    }
    fn value(&self, field: SyncField) -> serde_json::Value {
        UserFields::value(self, field)
    }
    fn take(&mut self, from: &Self, field: SyncField) {
        UserFields::take(self, from, field)
    }
    fn is_deleted(&self) -> bool {
        self.is_deleted
    }
    fn released(&self) -> bool {
        self.released
    }
}

impl UserFields {
    /// The value of one field, as JSON (for the conflict log).
    pub fn value(&self, field: SyncField) -> serde_json::Value {
        let v = match field {
            SyncField::Summary => serde_json::to_value(&self.summary),
            SyncField::Notes => serde_json::to_value(&self.notes),
            SyncField::WorkDate => serde_json::to_value(self.work_date),
            SyncField::InitiativeId => serde_json::to_value(self.initiative_id),
            SyncField::CodeIds => serde_json::to_value(&self.code_ids),
            SyncField::UnitIncrementCountAdjustments => serde_json::to_value(self.unit_increment_count_adjustments),
            SyncField::TimerDurationAdjustmentInSeconds => serde_json::to_value(self.timer_duration_adjustment_in_seconds),
            SyncField::EnteredDurationInSeconds => serde_json::to_value(self.entered_duration_in_seconds),
            SyncField::Sources => serde_json::to_value(&self.sources),
            SyncField::IsDeleted => serde_json::to_value(self.is_deleted),
            SyncField::Released => serde_json::to_value(self.released),
        };
        v.unwrap_or(serde_json::Value::Null)
    }

    /// Whether one field is equal in both.
    pub fn same(&self, other: &UserFields, field: SyncField) -> bool {
        match field {
            SyncField::Summary => self.summary == other.summary,
            SyncField::Notes => self.notes == other.notes,
            SyncField::WorkDate => self.work_date == other.work_date,
            SyncField::InitiativeId => self.initiative_id == other.initiative_id,
            SyncField::CodeIds => self.code_ids == other.code_ids,
            SyncField::UnitIncrementCountAdjustments => self.unit_increment_count_adjustments == other.unit_increment_count_adjustments,
            SyncField::TimerDurationAdjustmentInSeconds => self.timer_duration_adjustment_in_seconds == other.timer_duration_adjustment_in_seconds,
            SyncField::EnteredDurationInSeconds => self.entered_duration_in_seconds == other.entered_duration_in_seconds,
            SyncField::Sources => self.sources == other.sources,
            SyncField::IsDeleted => self.is_deleted == other.is_deleted,
            SyncField::Released => self.released == other.released,
        }
    }

    /// Copies one field from `from`.
    pub fn take(&mut self, from: &UserFields, field: SyncField) {
        match field {
            SyncField::Summary => self.summary = from.summary.clone(),
            SyncField::Notes => self.notes = from.notes.clone(),
            SyncField::WorkDate => self.work_date = from.work_date,
            SyncField::InitiativeId => self.initiative_id = from.initiative_id,
            SyncField::CodeIds => self.code_ids = from.code_ids.clone(),
            SyncField::UnitIncrementCountAdjustments => self.unit_increment_count_adjustments = from.unit_increment_count_adjustments,
            SyncField::TimerDurationAdjustmentInSeconds => self.timer_duration_adjustment_in_seconds = from.timer_duration_adjustment_in_seconds,
            SyncField::EnteredDurationInSeconds => self.entered_duration_in_seconds = from.entered_duration_in_seconds,
            SyncField::Sources => self.sources = from.sources.clone(),
            SyncField::IsDeleted => self.is_deleted = from.is_deleted,
            SyncField::Released => self.released = from.released,
        }
    }

    /// The fields that differ from `other`.
    pub fn diff(&self, other: &UserFields) -> Vec<SyncField> {
        SyncField::ALL.into_iter().filter(|f| !self.same(other, *f)).collect()
    }
}

/// One operation of a push: the device's copy of an entry, what changed since the server's
/// `baseVersion` (`None`: the server has never seen the entry), and an id that makes it
/// idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushOp {
    pub op_id: ObjectId,
    #[serde(default)]
    pub base_version: Option<i64>,
    pub changed: Vec<SyncField>,
    pub entry: SyncedEntry,
}

/// A batch of operations, sent as one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushBatch {
    pub batch_id: ObjectId,
    pub ops: Vec<PushOp>,
}

impl PushBatch {
    /// Whether the batch has nothing to send.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// How the server took one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpOutcome {
    /// Applied; `record` is the canonical copy with its new version.
    Applied,
    /// The base version is stale; `record` is the server's copy to merge with.
    Conflict,
    /// Refused (`code`: `locked`, `validation_failed`, `not_found`, …); `record` is the server's
    /// copy when it has one.
    Rejected,
}

/// The server's answer to one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpResult {
    pub op_id: ObjectId,
    pub entry_id: ObjectId,
    pub outcome: OpOutcome,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub failures: Vec<RuleFailure>,
    #[serde(default)]
    pub record: Option<SyncedEntry>,
}

/// The server's answer to a push: one result per operation, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushResponse {
    pub batch_id: ObjectId,
    pub results: Vec<OpResult>,
}

/// A pull position: the last entry change and reference snapshot a device has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PullCursor {
    pub entry_seq: i64,
    pub reference_seq: i64,
}

/// The version of the sync protocol this engine speaks. Version 1 carried the reference data
/// as the rows of SQLite tables; version 2 carries it as the typed records below, so devices
/// and servers of different schema versions and backends interoperate.
pub const PROTOCOL_VERSION: u32 = 2;
/// The oldest protocol version a server of this engine still answers.
pub const OLDEST_PROTOCOL_VERSION: u32 = 2;

/// The rules of one key: customer-wide (`initiativeId` absent) or of one matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RulesRecord {
    #[serde(default)]
    pub initiative_id: Option<ObjectId>,
    pub rules: ValidationRules,
}

/// The customer's reference data as of `seq`, for one user's device: settings, the user's
/// zone, clients, code types, codes, matters with their allowed codes and access lists, and
/// the validation rules, as typed records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReferenceSnapshot {
    pub protocol_version: u32,
    pub seq: i64,
    pub settings: CustomerSettings,
    #[serde(default)]
    pub user_timezone: Option<String>,
    pub clients: Vec<Client>,
    pub code_types: Vec<CodeType>,
    pub codes: Vec<Code>,
    pub initiatives: Vec<Initiative>,
    pub rules: Vec<RulesRecord>,
}

/// One page of the pull feed: entries changed after `after`, in change order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PullPage {
    pub after: PullCursor,
    pub next: PullCursor,
    pub has_more: bool,
    pub entries: Vec<SyncedEntry>,
    #[serde(default)]
    pub reference: Option<ReferenceSnapshot>,
}

/// What a device asks for next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub after: PullCursor,
    pub limit: usize,
}

/// A device's sync state, for the app to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// Entries with local changes not yet acknowledged.
    pub pending: u64,
    /// When the oldest of them last changed here (its `updatedAt`), if any.
    pub oldest_pending_at: Option<Timestamp>,
    /// Entries whose local change the server refused.
    pub quarantined: u64,
    /// Local values that lost a conflict, kept in the log.
    pub conflicts: u64,
    /// Whether a pushed batch waits for its answer.
    pub push_in_flight: bool,
    /// The last sync's error, cleared by a successful sync.
    pub last_error: Option<String>,
    /// When a sync last finished without error.
    pub last_success_at: Option<Timestamp>,
    /// The pull position.
    pub cursor: PullCursor,
}

/// A local change the server refused, with the refused copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quarantined {
    pub entry_id: ObjectId,
    /// `locked`, `validation_failed`, `not_found`, `invalid_argument`, …
    pub code: String,
    pub reason: String,
    pub failures: Vec<RuleFailure>,
    pub local: SyncedEntry,
    pub at: Timestamp,
}

/// One logged conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConflictRecord {
    pub seq: i64,
    pub entry_id: ObjectId,
    pub field: String,
    pub local_value: serde_json::Value,
    pub server_value: serde_json::Value,
    pub at: Timestamp,
}

/// What [`crate::Engine::sync_complete_push`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushSummary {
    pub applied: u64,
    pub conflicts: u64,
    pub quarantined: u64,
}

/// What [`crate::Engine::sync_apply_pull`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PullSummary {
    /// Entries written from the page.
    pub pulled: u64,
    /// Entries of the page already as new here (a repeated page).
    pub skipped: u64,
    /// Fields where the server's value replaced a local change.
    pub conflicts: u64,
    /// Local edits quarantined because the server locked the entry.
    pub quarantined: u64,
    /// Whether the page carried reference data that was applied.
    pub reference_applied: bool,
}

/// What [`crate::Engine::sync`] did, in total.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    /// Operations sent (a resent batch counts again).
    pub pushed: u64,
    pub applied: u64,
    pub conflicts: u64,
    pub quarantined: u64,
    pub pulled: u64,
}

#[cfg(test)]
#[path = "sync_tests.rs"]
mod tests;
