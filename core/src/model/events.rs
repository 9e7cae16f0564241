//! The change-event log's records (issue 16): what kinds of change an entry goes through, who
//! acted in which role, and the field-level difference of a change. The difference is a pure
//! function of the entry before and after ([`diff`]): only the fields that changed, named by
//! their flat wire names, with their JSON values before and after (`null` when absent). The
//! bookkeeping every write moves (`updatedAt`, `version`) is left out.

use serde::{Deserialize, Serialize};

use crate::error::{Result, TenthsError};
use crate::model::Entry;
use crate::rules::ids::ObjectId;
use crate::rules::time::Timestamp;

/// What happened to an entry. Serialised by its wire name (`entry.created`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// Created (one, a batch item, an import, a timer start that made an entry).
    #[serde(rename = "entry.created")]
    Created,
    /// Edited (the extension PATCH).
    #[serde(rename = "entry.updated")]
    Updated,
    /// Overridden (the seed's override).
    #[serde(rename = "entry.overridden")]
    Overridden,
    /// Soft-deleted.
    #[serde(rename = "entry.deleted")]
    Deleted,
    /// Released (one entry, or as part of a day).
    #[serde(rename = "entry.released")]
    Released,
    /// The connector reported the PMS accepted it (single or batch).
    #[serde(rename = "entry.release_succeeded")]
    ReleaseSucceeded,
    /// The connector reported the PMS refused it.
    #[serde(rename = "entry.release_failed")]
    ReleaseFailed,
    /// Unreleased.
    #[serde(rename = "entry.unreleased")]
    Unreleased,
    /// A timer started on it.
    #[serde(rename = "entry.timer_started")]
    TimerStarted,
    /// Its running timer stopped.
    #[serde(rename = "entry.timer_stopped")]
    TimerStopped,
    /// Its timer resumed.
    #[serde(rename = "entry.timer_resumed")]
    TimerResumed,
    /// A device's change, applied by the server.
    #[serde(rename = "entry.synced")]
    Synced,
    /// A merge of the server's copy and local changes, applied on a device.
    #[serde(rename = "entry.merged")]
    Merged,
    /// A reference-data change re-settled it (re-validation, new unit increments).
    #[serde(rename = "entry.revalidated")]
    Revalidated,
}

impl EventKind {
    /// Every kind, in this order.
    pub const ALL: [EventKind; 14] = [
        EventKind::Created,
        EventKind::Updated,
        EventKind::Overridden,
        EventKind::Deleted,
        EventKind::Released,
        EventKind::ReleaseSucceeded,
        EventKind::ReleaseFailed,
        EventKind::Unreleased,
        EventKind::TimerStarted,
        EventKind::TimerStopped,
        EventKind::TimerResumed,
        EventKind::Synced,
        EventKind::Merged,
        EventKind::Revalidated,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "entry.created",
            EventKind::Updated => "entry.updated",
            EventKind::Overridden => "entry.overridden",
            EventKind::Deleted => "entry.deleted",
            EventKind::Released => "entry.released",
            EventKind::ReleaseSucceeded => "entry.release_succeeded",
            EventKind::ReleaseFailed => "entry.release_failed",
            EventKind::Unreleased => "entry.unreleased",
            EventKind::TimerStarted => "entry.timer_started",
            EventKind::TimerStopped => "entry.timer_stopped",
            EventKind::TimerResumed => "entry.timer_resumed",
            EventKind::Synced => "entry.synced",
            EventKind::Merged => "entry.merged",
            EventKind::Revalidated => "entry.revalidated",
        }
    }

    /// Parses a wire name; anything else is an invalid `field`.
    pub fn parse_field(s: &str, field: &str) -> Result<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| TenthsError::invalid(field, format!("unknown event kind {s:?}")))
    }

    /// Parses a wire name (the error names the field `kind`).
    pub fn parse(s: &str) -> Result<EventKind> {
        EventKind::parse_field(s, "kind")
    }
}

/// In which role the actor of a change acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorRole {
    /// The entry's owner.
    User,
    /// Another user acting for the owner (`delegatorIds`).
    Delegate,
    /// A firm administrator.
    Admin,
    /// A PMS connector.
    Connector,
    /// A device's offline change, applied by sync.
    Device,
    /// The engine itself (re-settling after a reference change).
    System,
}

impl ActorRole {
    /// Every role, in this order.
    pub const ALL: [ActorRole; 6] = [ActorRole::User, ActorRole::Delegate, ActorRole::Admin, ActorRole::Connector, ActorRole::Device, ActorRole::System];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorRole::User => "user",
            ActorRole::Delegate => "delegate",
            ActorRole::Admin => "admin",
            ActorRole::Connector => "connector",
            ActorRole::Device => "device",
            ActorRole::System => "system",
        }
    }

    /// Parses a wire name (the error names the field `role`).
    pub fn parse(s: &str) -> Result<ActorRole> {
        ActorRole::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| TenthsError::invalid("role", format!("unknown role {s:?}")))
    }
}

/// One changed field: its flat wire name and its JSON values before and after (`null`: absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// One event of the log: a change of one entry, appended in the change's transaction and never
/// updated. Wire shape: camelCase, `eventId`, absent optional fields omitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeEvent {
    /// The event's id.
    #[serde(rename = "eventId")]
    pub id: ObjectId,
    /// Its position in the backend's order of appends (0 before it is appended).
    pub seq: i64,
    /// The tenant.
    #[serde(rename = "customerId")]
    pub customer: ObjectId,
    /// The entry's owner.
    #[serde(rename = "userId")]
    pub user: ObjectId,
    /// The entry.
    pub entry_id: ObjectId,
    /// What happened.
    pub kind: EventKind,
    /// The operation that did it, e.g. `create`, `release-day`, `release-succeeded-batch`.
    pub operation: String,
    /// Who acted, when known (none for a system change or a connector without a user).
    #[serde(rename = "actorId", skip_serializing_if = "Option::is_none")]
    pub actor: Option<ObjectId>,
    /// In which role.
    pub role: ActorRole,
    /// When the server (or the device, for a change made there) wrote it.
    pub at: Timestamp,
    /// For a device's change: the time the device recorded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_at: Option<Timestamp>,
    /// The request id (`X-Request-Id`) of the request that made it, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The fields that changed.
    pub changes: Vec<FieldChange>,
}

/// A code as the flat shape names it.
#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct CodeRef<'a> {
    code_external_id: &'a str,
    code_type_external_id: &'a str,
}

/// A source as the event log records it: its id and its interval.
#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct SourceRef {
    #[serde(rename = "_id")]
    id: ObjectId,
    started_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended_at: Option<Timestamp>,
}

fn codes(e: &Entry) -> Vec<CodeRef<'_>> {
    e.codes.iter().map(|c| CodeRef { code_external_id: &c.external_id, code_type_external_id: &c.code_type_external_id }).collect()
}

fn sources(e: &Entry) -> Vec<SourceRef> {
    e.sources.iter().map(|s| SourceRef { id: s.id, started_at: s.started_at, ended_at: s.ended_at }).collect()
}

fn json(v: impl Serialize) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// An event's changes as the JSON array the log stores (see `encode_diff`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedChanges(String);

impl EncodedChanges {
    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Starts one change object in `out` (after a comma unless it is the array's first), up to the
/// value of `before`. Field names are plain ASCII literals: nothing to escape.
fn open_change(out: &mut Vec<u8>, field: &str) {
    if out.last() != Some(&b'[') {
        out.push(b',');
    }
    out.extend_from_slice(b"{\"field\":\"");
    out.extend_from_slice(field.as_bytes());
    out.extend_from_slice(b"\",\"before\":");
}

/// Serialises a tracked value into `out` (`null` if it cannot be: as `json` does).
fn write_json(out: &mut Vec<u8>, v: &impl Serialize) {
    let mark = out.len();
    if serde_json::to_writer(&mut *out, v).is_err() {
        out.truncate(mark);
        out.extend_from_slice(b"null");
    }
}

/// The tracked fields, listed once: each is compared typed, and turned into JSON only when it
/// changed (so a write pays a few comparisons, not a serialisation of the entry).
macro_rules! tracked {
    ($( $name:literal => |$e:ident| $get:expr ),* $(,)?) => {
        /// The fields of `before` that differ in `after` (every non-null field of `after` when
        /// `before` is `None`), in a fixed order.
        pub fn diff(before: Option<&Entry>, after: &Entry) -> Vec<FieldChange> {
            let mut out = Vec::new();
            $(
                {
                    let now = { let $e = after; $get };
                    match before {
                        Some($e) => {
                            let was = $get;
                            if was != now {
                                out.push(FieldChange { field: $name.to_string(), before: json(was), after: json(now) });
                            }
                        }
                        None => {
                            let now = json(now);
                            if !now.is_null() {
                                out.push(FieldChange { field: $name.to_string(), before: serde_json::Value::Null, after: now });
                            }
                        }
                    }
                }
            )*
            out
        }

        /// [`diff`] written straight as its JSON array (`[{"field", "before", "after"}, …]`),
        /// the form the event log stores: each changed value is serialised once from its typed
        /// form, with no `serde_json::Value` built in between (a write's hot path). Read back,
        /// it parses to the same changes as [`diff`] gives.
        pub fn encode_diff(before: Option<&Entry>, after: &Entry) -> EncodedChanges {
            let mut out = Vec::with_capacity(if before.is_some() { 128 } else { 1024 });
            out.push(b'[');
            $(
                {
                    let now = { let $e = after; $get };
                    match before {
                        Some($e) => {
                            let was = $get;
                            if was != now {
                                open_change(&mut out, $name);
                                write_json(&mut out, &was);
                                out.extend_from_slice(b",\"after\":");
                                write_json(&mut out, &now);
                                out.push(b'}');
                            }
                        }
                        None => {
                            let mark = out.len();
                            open_change(&mut out, $name);
                            out.extend_from_slice(b"null,\"after\":");
                            let value_at = out.len();
                            write_json(&mut out, &now);
                            if out.get(value_at..) == Some(b"null".as_slice()) {
                                out.truncate(mark);
                            } else {
                                out.push(b'}');
                            }
                        }
                    }
                }
            )*
            out.push(b']');
            EncodedChanges(String::from_utf8(out).unwrap_or_else(|_| String::from("[]")))
        }

        /// The tracked fields of an entry as JSON, absent (null) ones left out: what [`diff`]
        /// compares, for tests and readers that rebuild an entry's fields from its history.
        pub fn tracked_fields(e: &Entry) -> serde_json::Map<String, serde_json::Value> {
            let mut out = serde_json::Map::new();
            $(
                {
                    let v = { let $e = e; json($get) };
                    if !v.is_null() {
                        out.insert($name.to_string(), v);
                    }
                }
            )*
            out
        }
    };
}

tracked! {
    "summary" => |e| e.summary.as_str(),
    "notes" => |e| e.notes.as_deref(),
    "workDate" => |e| e.work_date,
    "initiativeId" => |e| e.initiative_id,
    "codes" => |e| codes(e),
    "creationMethod" => |e| e.creation_method.as_str(),
    "enrichmentCorrelationId" => |e| e.enrichment_correlation_id.as_deref(),
    "createdBy" => |e| e.created_by,
    "releasedBy" => |e| e.released_by,
    "externalId" => |e| e.external_id.as_deref(),
    "status" => |e| e.status,
    "validationFailedErrors" => |e| &e.validation_failed_errors,
    "releaseFailedErrors" => |e| &e.release_failed_errors,
    "reReleaseFailedMessages" => |e| &e.re_release_failed_messages,
    "isLocked" => |e| e.is_locked,
    "isDeleted" => |e| e.is_deleted,
    "releaseCount" => |e| e.release_count,
    "lastReleasePendingAt" => |e| e.last_release_pending_at,
    "lastReleaseFailedAt" => |e| e.last_release_failed_at,
    "releaseSuccessAt" => |e| e.release_success_at,
    "lastSyncedAt" => |e| e.last_synced_at,
    "durationInSeconds" => |e| e.entered_duration_in_seconds,
    "timerDurationAdjustmentInSeconds" => |e| e.timer_duration_adjustment_in_seconds,
    "unitIncrements" => |e| e.unit_increments,
    "unitIncrementCountFromSources" => |e| e.unit_increment_count_from_sources,
    "unitIncrementCountAdjustments" => |e| e.unit_increment_count_adjustments,
    "createdAsTimer" => |e| e.created_as_timer,
    "sources" => |e| sources(e),
}

/// Applies changes to a field map (as [`tracked_fields`] gives it): each changed field takes its
/// `after` value, or leaves the map when that is `null`.
pub fn apply_changes(fields: &mut serde_json::Map<String, serde_json::Value>, changes: &[FieldChange]) {
    for c in changes {
        if c.after.is_null() {
            fields.remove(&c.field);
        } else {
            fields.insert(c.field.clone(), c.after.clone());
        }
    }
}

/// The names of the changed fields, in order (what the scenario vectors compare).
pub fn changed_fields(changes: &[FieldChange]) -> Vec<&str> {
    changes.iter().map(|c| c.field.as_str()).collect()
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
