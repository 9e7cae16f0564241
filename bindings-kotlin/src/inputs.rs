//! Input value types (Kotlin data classes with defaults, Swift structs). Each becomes the wire
//! JSON the HTTP API takes and is parsed by the core's own body parser, so a Kotlin or Swift
//! caller gets the same checks and the same field names in errors (`_id`, `codeIds[0]`,
//! `sources[0].endedAt`) as an HTTP client. Absent optional fields are left out of the body.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Result, TenthsError};
use crate::records::{BillingType, InitiativeStatus, InitiativeType, Rounding, SourceKind};

/// Parses an input through its wire JSON with the core's types (as the HTTP router does). The
/// error names the member's path (`sources[0].endedAt`); a missing member names itself.
pub fn parse<T: DeserializeOwned>(input: &impl Serialize) -> Result<T> {
    let value = serde_json::to_value(input).map_err(|e| TenthsError::invalid("body", e.to_string()))?;
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        let field = match msg.strip_prefix("missing field `") {
            Some(rest) => {
                let name = rest.split('`').next().unwrap_or("");
                if path == "." || path.is_empty() {
                    name.to_string()
                } else {
                    format!("{path}.{name}")
                }
            }
            None if path == "." || path.is_empty() => "body".to_string(),
            None => path,
        };
        TenthsError::invalid(&field, msg)
    })
}

/// An id argument, named in the error.
pub fn object_id(s: &str, field: &str) -> Result<tenths::ObjectId> {
    Ok(tenths::ObjectId::parse_field(s, field)?)
}

/// An optional id argument.
pub fn opt_object_id(s: Option<&str>, field: &str) -> Result<Option<tenths::ObjectId>> {
    s.map(|x| object_id(x, field)).transpose()
}

/// A date argument (`YYYY-MM-DD`).
pub fn date(s: &str, field: &str) -> Result<tenths::Date> {
    Ok(tenths::Date::parse_field(s, field)?)
}

/// A date-time argument (RFC 3339, any offset).
pub fn timestamp(s: &str, field: &str) -> Result<tenths::Timestamp> {
    Ok(tenths::Timestamp::parse_field(s, field)?)
}

/// Who acts, for whom: the customer (tenant), the user who owns the entries, and the user who
/// acts for them (a delegate or an admin; the owner when `actorId` is `null`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Scope {
    pub customer_id: String,
    pub user_id: String,
    #[uniffi(default)]
    pub actor_id: Option<String>,
}

impl Scope {
    /// The core scope, ids checked (errors name `customerId`, `userId`, `actorId`).
    pub fn to_core(&self) -> Result<tenths::Scope> {
        let scope = tenths::Scope::new(object_id(&self.customer_id, "customerId")?, object_id(&self.user_id, "userId")?);
        Ok(match opt_object_id(self.actor_id.as_deref(), "actorId")? {
            Some(actor) => scope.acting_as(actor),
            None => scope,
        })
    }
}

/// A change of customer settings: `null` = unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, uniffi::Record)]
#[serde(rename_all = "camelCase")]
pub struct CustomerSettingsPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub default_unit_increments: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub rounding: Option<Rounding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub minimum_one_unit: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub allow_post_release_edit: Option<bool>,
}

/// Import of a client (upsert by external id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
#[serde(rename_all = "camelCase")]
pub struct ClientInput {
    pub external_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub call_sign: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub description: Option<String>,
}

/// Import of a code type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
#[serde(rename_all = "camelCase")]
pub struct CodeTypeInput {
    pub external_id: String,
    pub name: String,
    pub semantic_type: String,
}

/// Import of a code (upsert by code type and external id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
#[serde(rename_all = "camelCase")]
pub struct CodeInput {
    pub external_id: String,
    pub name: String,
    pub code_type_external_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub is_disabled: Option<bool>,
}

/// Import of a matter (upsert by external id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
#[serde(rename_all = "camelCase")]
pub struct InitiativeInput {
    pub external_id: String,
    pub name: String,
    pub billing_type: BillingType,
    /// Seconds per unit (1..86,400).
    pub unit_increments: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub call_sign: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub client_external_id: Option<String>,
    /// `active` unless said otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub status: Option<InitiativeStatus>,
    /// `pms` unless said otherwise (`type` on the wire).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub kind: Option<InitiativeType>,
}

/// Validation rules of a matter or the customer; `null` flags take the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, uniffi::Record)]
#[serde(rename_all = "camelCase")]
pub struct ValidationRulesInput {
    #[uniffi(default)]
    pub required_code_type_external_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub is_summary_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub cannot_release_future_work: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub cannot_release_negative_increment: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub cannot_release_zero_increment: Option<bool>,
}

/// A source given at creation (RFC 3339 date-times, any offset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
#[serde(rename_all = "camelCase")]
pub struct SourceInput {
    pub kind: SourceKind,
    pub started_at: String,
    pub ended_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub title: Option<String>,
}

/// A new entry: a manual `durationInSeconds`, or `sources`, or neither (zero time).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, uniffi::Record)]
#[serde(rename_all = "camelCase")]
pub struct NewEntry {
    /// A device-made id (24 hex characters; `newObjectId()`); the engine makes one when `null`.
    #[serde(rename = "_id", skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub initiative_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub notes: Option<String>,
    /// `YYYY-MM-DD`; defaults to the local date of the first source, else today, in the user's zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub work_date: Option<String>,
    #[uniffi(default)]
    pub code_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub duration_in_seconds: Option<i64>,
    #[uniffi(default)]
    pub sources: Vec<SourceInput>,
    /// `manual` when `null` (`grouped` when sources are given).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub creation_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub enrichment_correlation_id: Option<String>,
}

/// A change of an editable entry: `null` = unchanged (`notes = ""` clears the notes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, uniffi::Record)]
#[serde(rename_all = "camelCase")]
pub struct EntryPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub work_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub initiative_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub code_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub unit_increment_count_adjustments: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub timer_duration_adjustment_in_seconds: Option<i64>,
}

/// The seed's override: an edit limited to its five fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, uniffi::Record)]
#[serde(rename_all = "camelCase")]
pub struct OverrideInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub unit_increment_count_adjustments: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub initiative_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub code_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub work_date: Option<String>,
}

/// The start of a timer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, uniffi::Record)]
#[serde(rename_all = "camelCase")]
pub struct TimerStart {
    #[serde(rename = "_id", skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub initiative_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub summary: Option<String>,
}

/// One item of a batch release-succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseSucceededItem {
    pub entry_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[uniffi(default)]
    pub re_release_failed_messages: Option<Vec<String>>,
}

/// How to open an engine. Every field has a default: `EngineOptions()` is the core's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct EngineOptions {
    /// `FULL` by default; `NORMAL` is the usual choice on a phone.
    #[uniffi(default)]
    pub durability: Option<crate::records::Durability>,
    /// Page cache per connection, KiB (`null` = the core's default, 16 MiB).
    #[uniffi(default)]
    pub cache_size_kib: Option<i64>,
    /// Read-only connections kept beside the writer (file databases only; reads wait for a free
    /// one, 0 reads on the writer). `null` = the core's default.
    #[uniffi(default)]
    pub readers: Option<i32>,
    /// How long a statement waits for a lock held by another process, ms (`null` = the core's
    /// default, 5,000).
    #[uniffi(default)]
    pub busy_timeout_ms: Option<i64>,
    /// Whether an existing file must pass `PRAGMA quick_check` before anything writes to it
    /// (`null` = yes; a damaged file is refused with `Corrupt` and left untouched). `false` skips
    /// the check, which reads the whole file.
    #[uniffi(default)]
    pub check_integrity: Option<bool>,
    /// Runs the engine on a fixed clock at this RFC 3339 instant, moved only by `setClock` and
    /// `advanceClock` (tests, replays). `null` = the system clock.
    #[uniffi(default)]
    pub fixed_clock: Option<String>,
}

impl EngineOptions {
    /// The core's open options (a negative count or timeout is an `InvalidArgument`).
    pub fn to_core(&self) -> Result<tenths::OpenOptions> {
        let d = tenths::OpenOptions::default();
        let readers = match self.readers {
            Some(r) => usize::try_from(r).map_err(|_| TenthsError::invalid("readers", "must not be negative"))?,
            None => d.readers,
        };
        let busy_timeout_ms = match self.busy_timeout_ms {
            Some(ms) => u64::try_from(ms).map_err(|_| TenthsError::invalid("busyTimeoutMs", "must not be negative"))?,
            None => d.busy_timeout_ms,
        };
        Ok(tenths::OpenOptions {
            durability: self.durability.map(Into::into).unwrap_or(d.durability),
            cache_size_kib: self.cache_size_kib.unwrap_or(d.cache_size_kib),
            readers,
            busy_timeout_ms,
            check_integrity: self.check_integrity.unwrap_or(d.check_integrity),
            group_commit: d.group_commit,
            sync_durability: d.sync_durability,
            events: d.events,
        })
    }
}
