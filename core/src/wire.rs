//! Wire shapes of entries (domain.md §7): the full shape, the flat shape and the export item,
//! plus the export CSV and the JSON-number edge where floats become checked integers.

use serde::Serialize;

use crate::error::RuleFailure;
use crate::model::{Entry, ExportRow, InitiativeRef, ReleaseFailure, Source, WorkCode};
use crate::rules::ids::ObjectId;
use crate::rules::status::Status;
use crate::rules::time::{Date, Timestamp};
use crate::rules::units::hours_string;

pub use crate::rules::text::{count_from_json, de_count, de_null_as_default, de_opt_count};

/// `statusInfo`: a union tagged by `status`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusInfo<'a> {
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation_failed_errors: Option<&'a [RuleFailure]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_failed_errors: Option<&'a [ReleaseFailure]>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientProps<'a> {
    #[serde(rename = "_id")]
    pub id: &'a ObjectId,
    pub external_id: &'a str,
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_sign: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InitiativeInner<'a> {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'a str>,
    #[serde(rename = "_id")]
    pub id: &'a ObjectId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_sign: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_increments: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientProps<'a>>,
}

/// `initiativeProps`. `colorHex` and `nickname` are per-user display choices tenths does not
/// store, so they are omitted; `tags` is always an empty list.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InitiativeProps<'a> {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'a str>,
    pub tags: [&'a str; 0],
    pub initiative: InitiativeInner<'a>,
}

/// `initiativeProps` of an entry's matter: `id` its id, `known` its display form when filled.
fn initiative_props<'a>(id: Option<&'a ObjectId>, known: Option<&'a InitiativeRef>) -> Option<InitiativeProps<'a>> {
    let id = id?;
    Some(match known {
        Some(i) => InitiativeProps {
            kind: Some(i.kind.as_str()),
            tags: [],
            initiative: InitiativeInner {
                kind: Some(i.kind.as_str()),
                id: &i.id,
                billing_type: Some(i.billing_type.as_str()),
                call_sign: i.call_sign.as_deref(),
                unit_increments: Some(i.unit_increments),
                external_id: Some(&i.external_id),
                name: Some(&i.name),
                description: i.description.as_deref(),
                client: i.client.as_ref().map(|c| ClientProps {
                    id: &c.id,
                    external_id: &c.external_id,
                    name: &c.name,
                    description: c.description.as_deref(),
                    call_sign: c.call_sign.as_deref(),
                }),
            },
        },
        // Named but not known here yet: only its id.
        None => InitiativeProps {
            kind: None,
            tags: [],
            initiative: InitiativeInner {
                kind: None,
                id,
                billing_type: None,
                call_sign: None,
                unit_increments: None,
                external_id: None,
                name: None,
                description: None,
                client: None,
            },
        },
    })
}

/// The full shape (delete response, single-entry reads, the user's lists). `sources` is a
/// tenths extension: the captured intervals, including a running timer session.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FullEntry<'a> {
    #[serde(rename = "_id")]
    pub id: &'a ObjectId,
    pub customer_id: &'a ObjectId,
    pub user_id: &'a ObjectId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enrichment_correlation_id: Option<&'a str>,
    pub status_info: StatusInfo<'a>,
    pub creation_method: &'a str,
    pub created_as_timer: bool,
    pub work_date: Date,
    pub is_locked: bool,
    pub summary: &'a str,
    pub unit_increment_count_from_sources: i64,
    pub unit_increment_count_adjustments: i64,
    pub increment_duration_in_seconds: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiative_props: Option<InitiativeProps<'a>>,
    pub work_codes: &'a [WorkCode],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<&'a str>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub has_overlap: bool,
    pub overlap_time_in_seconds: i64,
    pub is_deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<&'a str>,
    pub release_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_synced_at: Option<Timestamp>,
    pub timer_duration_adjustment_in_seconds: i64,
    pub sources: &'a [Source],
}

/// One code in the flat shape.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlatCode<'a> {
    pub code_external_id: &'a str,
    pub code_type_external_id: &'a str,
}

/// The flat shape (override response, v1/v2 list items).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlatEntry<'a> {
    pub entry_id: &'a ObjectId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<&'a str>,
    pub customer_id: &'a ObjectId,
    pub user_id: &'a ObjectId,
    pub creation_method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_by: Option<&'a ObjectId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<&'a ObjectId>,
    pub work_date: Date,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiative_external_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_external_id: Option<&'a str>,
    pub summary: &'a str,
    pub unit_increment_count: i64,
    pub increment_duration_in_seconds: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_release_pending_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_release_failed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_success_at: Option<Timestamp>,
    pub is_deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<&'a str>,
    pub release_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_synced_at: Option<Timestamp>,
    pub codes: Vec<FlatCode<'a>>,
}

/// The export item (what a connector pushes to the PMS).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportItem<'a> {
    #[serde(rename = "_id")]
    pub id: &'a ObjectId,
    pub customer_id: &'a ObjectId,
    pub user_id: &'a ObjectId,
    pub work_date: Date,
    pub summary: &'a str,
    pub unit_increment_count: i64,
    pub increment_duration_in_seconds: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiative_props: Option<InitiativeProps<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<&'a str>,
    pub release_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_synced_at: Option<Timestamp>,
}

/// The export item of `$e` (an [`Entry`] or an [`ExportRow`]: the fields the item shows have
/// the same names in both), `$matter` its matter's display form: one body for both.
macro_rules! export_item {
    ($e:expr, $matter:expr) => {
        ExportItem {
            id: &$e.id,
            customer_id: &$e.customer_id,
            user_id: &$e.user_id,
            work_date: $e.work_date,
            summary: &$e.summary,
            unit_increment_count: $e.unit_increment_count(),
            increment_duration_in_seconds: $e.increment_duration_in_seconds(),
            initiative_props: initiative_props($e.initiative_id.as_ref(), $matter),
            external_id: $e.external_id.as_deref(),
            notes: $e.notes.as_deref(),
            release_count: $e.release_count,
            last_synced_at: $e.last_synced_at,
        }
    };
}

impl Entry {
    /// The full wire view.
    pub fn full(&self) -> FullEntry<'_> {
        FullEntry {
            id: &self.id,
            customer_id: &self.customer_id,
            user_id: &self.user_id,
            enrichment_correlation_id: self.enrichment_correlation_id.as_deref(),
            status_info: StatusInfo {
                status: self.status,
                validation_failed_errors: (self.status == Status::ValidationFailed).then_some(self.validation_failed_errors.as_slice()),
                release_failed_errors: (self.status == Status::ReleaseFailed).then_some(self.release_failed_errors.as_slice()),
            },
            creation_method: &self.creation_method,
            created_as_timer: self.created_as_timer,
            work_date: self.work_date,
            is_locked: self.is_locked,
            summary: &self.summary,
            unit_increment_count_from_sources: self.unit_increment_count_from_sources,
            unit_increment_count_adjustments: self.unit_increment_count_adjustments,
            increment_duration_in_seconds: self.increment_duration_in_seconds(),
            initiative_props: initiative_props(self.initiative_id.as_ref(), self.initiative.as_ref()),
            work_codes: &self.codes,
            external_id: self.external_id.as_deref(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            has_overlap: self.has_overlap(),
            overlap_time_in_seconds: self.overlap_time_in_seconds,
            is_deleted: self.is_deleted,
            notes: self.notes.as_deref(),
            release_count: self.release_count,
            last_synced_at: self.last_synced_at,
            timer_duration_adjustment_in_seconds: self.timer_duration_adjustment_in_seconds,
            sources: &self.sources,
        }
    }

    /// The flat wire view.
    pub fn flat(&self) -> FlatEntry<'_> {
        FlatEntry {
            entry_id: &self.id,
            external_id: self.external_id.as_deref(),
            customer_id: &self.customer_id,
            user_id: &self.user_id,
            creation_method: &self.creation_method,
            released_by: self.released_by.as_ref(),
            created_by: self.created_by.as_ref(),
            work_date: self.work_date,
            created_at: self.created_at,
            updated_at: self.updated_at,
            initiative_external_id: self.initiative.as_ref().map(|i| i.external_id.as_str()),
            client_external_id: self.initiative.as_ref().and_then(|i| i.client.as_ref()).map(|c| c.external_id.as_str()),
            summary: &self.summary,
            unit_increment_count: self.unit_increment_count(),
            increment_duration_in_seconds: self.increment_duration_in_seconds(),
            last_release_pending_at: self.last_release_pending_at,
            last_release_failed_at: self.last_release_failed_at,
            release_success_at: self.release_success_at,
            is_deleted: self.is_deleted,
            notes: self.notes.as_deref(),
            release_count: self.release_count,
            last_synced_at: self.last_synced_at,
            codes: self.codes.iter().map(|c| FlatCode { code_external_id: &c.external_id, code_type_external_id: &c.code_type_external_id }).collect(),
        }
    }

    /// The export wire view.
    pub fn export_item(&self) -> ExportItem<'_> {
        export_item!(self, self.initiative.as_ref())
    }

    /// The full shape as a JSON value.
    pub fn to_full_json(&self) -> serde_json::Value {
        serde_json::to_value(self.full()).unwrap_or(serde_json::Value::Null)
    }
    /// The flat shape as a JSON value.
    pub fn to_flat_json(&self) -> serde_json::Value {
        serde_json::to_value(self.flat()).unwrap_or(serde_json::Value::Null)
    }
    /// The export shape as a JSON value.
    pub fn to_export_json(&self) -> serde_json::Value {
        serde_json::to_value(self.export_item()).unwrap_or(serde_json::Value::Null)
    }
}

impl ExportRow {
    /// The export wire view: the same item [`Entry::export_item`] answers for its entry.
    pub fn export_item(&self) -> ExportItem<'_> {
        export_item!(self, self.initiative.as_deref())
    }
}

/// Columns of the export CSV, in order.
pub const CSV_COLUMNS: [&str; 16] = [
    "_id",
    "customerId",
    "userId",
    "workDate",
    "clientExternalId",
    "initiativeExternalId",
    "initiativeName",
    "summary",
    "notes",
    "codes",
    "unitIncrementCount",
    "unitIncrements",
    "incrementDurationInSeconds",
    "hours",
    "externalId",
    "releaseCount",
];

/// Appends one RFC 4180 field: quoted when it holds a comma, quote, CR or LF.
fn push_csv_field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// The columns of the change-event CSV (`changes` is the JSON array of {field, before, after}).
pub const EVENT_CSV_COLUMNS: &[&str] = &["eventId", "at", "kind", "operation", "entryId", "userId", "actorId", "role", "deviceAt", "requestId", "changes"];

/// Change events as CSV: the header row, then one row per event (CRLF-terminated).
pub fn events_csv(events: &[crate::model::events::ChangeEvent]) -> String {
    let mut out = EVENT_CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for e in events {
        let changes = serde_json::to_string(&e.changes).unwrap_or_else(|_| "[]".into());
        let fields = [
            e.id.to_string(),
            e.at.to_rfc3339(),
            e.kind.as_str().to_string(),
            e.operation.clone(),
            e.entry_id.to_string(),
            e.user.to_string(),
            e.actor.map(|a| a.to_string()).unwrap_or_default(),
            e.role.as_str().to_string(),
            e.device_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            e.request_id.clone().unwrap_or_default(),
            changes,
        ];
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_csv_field(&mut out, f);
        }
        out.push_str("\r\n");
    }
    out
}

/// The CSV header row (CRLF-terminated).
pub fn csv_header() -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    out
}

/// The entry's codes as one text, `codeType:code` pairs joined by `;` (empty without codes):
/// the `codes` column of the CSV export and of [`EntryColumns`].
fn codes_text(e: &Entry) -> String {
    codes_of(&e.codes)
}

/// `codeType:code` pairs joined by `;`.
fn codes_of(list: &[WorkCode]) -> String {
    let mut codes = String::new();
    for (i, c) in list.iter().enumerate() {
        if i > 0 {
            codes.push(';');
        }
        codes.push_str(&c.code_type_external_id);
        codes.push(':');
        codes.push_str(&c.external_id);
    }
    codes
}

/// Appends one entry as a CSV row (CRLF-terminated). Fields go straight into `out` (numbers and
/// dates need no quoting), one small string for the codes: an export writes one row per entry.
pub fn push_csv_row(out: &mut String, e: &Entry) {
    push_export_csv_row(out, &ExportRow::of_entry(e));
}

/// Appends one export row as a CSV row (CRLF-terminated), as [`push_csv_row`] does for an entry.
pub fn push_export_csv_row(out: &mut String, e: &ExportRow) {
    use std::fmt::Write as _;
    let initiative = e.initiative.as_deref();
    let client = initiative.and_then(|i| i.client.as_ref()).map(|c| c.external_id.as_str()).unwrap_or("");
    let codes = codes_of(&e.codes);
    let text: [&str; 9] = [
        e.id.as_str(),
        e.customer_id.as_str(),
        e.user_id.as_str(),
        "",
        client,
        initiative.map(|i| i.external_id.as_str()).unwrap_or(""),
        initiative.map(|i| i.name.as_str()).unwrap_or(""),
        &e.summary,
        e.notes.as_deref().unwrap_or(""),
    ];
    for (i, f) in text.iter().enumerate() {
        if i == 3 {
            let _ = write!(out, "{}", e.work_date);
        } else {
            push_csv_field(out, f);
        }
        out.push(',');
    }
    push_csv_field(out, &codes);
    let _ = write!(out, ",{},{},{},", e.unit_increment_count(), e.unit_increments, e.increment_duration_in_seconds());
    push_csv_field(out, &hours_string(e.increment_duration_in_seconds()));
    out.push(',');
    push_csv_field(out, e.external_id.as_deref().unwrap_or(""));
    let _ = write!(out, ",{}\r\n", e.release_count);
}

/// The values of one column of [`EntryColumns`], one per entry, in the entries' order. `None`
/// is a null (only in a column whose [`Column::nullable`] is true).
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    /// Text.
    Text(Vec<Option<String>>),
    /// 64-bit integers.
    Int(Vec<Option<i64>>),
    /// Booleans (never null).
    Bool(Vec<bool>),
    /// Calendar dates (never null).
    Date(Vec<Date>),
    /// Instants (UTC).
    Timestamp(Vec<Option<Timestamp>>),
}

/// One named column of [`EntryColumns`].
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The wire name (camelCase, `_id` for the id; the CSV export's names for its columns).
    pub name: &'static str,
    /// Whether the field can be null at all (a property of the field, not of these rows), so a
    /// frame's column type does not depend on the rows it happens to hold.
    pub nullable: bool,
    /// The values.
    pub values: ColumnValues,
}

/// Entries as columns, for data frames (pandas, Arrow): which fields make which column, their
/// names, types and nullability are decided here once; a binding only converts each vector.
/// Holds every scalar field of the entry, the matter's and client's external ids and the
/// matter's name, and the codes as the CSV export writes them; sources and error lists (nested
/// values) are left to the records.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryColumns {
    /// Rows (entries).
    pub rows: usize,
    /// The columns, in their documented order.
    pub columns: Vec<Column>,
}

/// Builds [`EntryColumns`] one column at a time from a slice of entries.
struct ColumnsOf<'a> {
    entries: &'a [Entry],
    columns: Vec<Column>,
}

impl<'a> ColumnsOf<'a> {
    /// A column of `f`'s value for each entry, stored by `make` (a [`ColumnValues`] variant).
    fn col<T>(&mut self, name: &'static str, nullable: bool, f: impl Fn(&'a Entry) -> T, make: fn(Vec<T>) -> ColumnValues) {
        let values = make(self.entries.iter().map(f).collect());
        self.columns.push(Column { name, nullable, values });
    }
    /// A column no entry leaves null.
    fn req<T>(&mut self, name: &'static str, f: impl Fn(&'a Entry) -> T, make: fn(Vec<Option<T>>) -> ColumnValues) {
        self.col(name, false, |e| Some(f(e)), make);
    }
    /// A column where null can occur.
    fn opt<T>(&mut self, name: &'static str, f: impl Fn(&'a Entry) -> Option<T>, make: fn(Vec<Option<T>>) -> ColumnValues) {
        self.col(name, true, f, make);
    }
}

impl EntryColumns {
    /// The entries as columns, in the entries' order.
    pub fn of(entries: &[Entry]) -> EntryColumns {
        use ColumnValues as V;
        let id = |i: &Option<ObjectId>| i.as_ref().map(ObjectId::to_string);
        let mut c = ColumnsOf { entries, columns: Vec::with_capacity(38) };
        c.req("_id", |e| e.id.to_string(), V::Text);
        c.req("customerId", |e| e.customer_id.to_string(), V::Text);
        c.req("userId", |e| e.user_id.to_string(), V::Text);
        c.req("status", |e| e.status.as_str().to_owned(), V::Text);
        c.col("workDate", false, |e| e.work_date, V::Date);
        c.req("summary", |e| e.summary.clone(), V::Text);
        c.opt("notes", |e| e.notes.clone(), V::Text);
        c.opt("initiativeId", |e| id(&e.initiative_id), V::Text);
        c.opt("initiativeExternalId", |e| e.initiative.as_ref().map(|i| i.external_id.clone()), V::Text);
        c.opt("initiativeName", |e| e.initiative.as_ref().map(|i| i.name.clone()), V::Text);
        c.opt("clientExternalId", |e| e.initiative.as_ref().and_then(|i| i.client.as_ref()).map(|c| c.external_id.clone()), V::Text);
        c.req("codes", codes_text, V::Text);
        c.req("creationMethod", |e| e.creation_method.clone(), V::Text);
        c.col("createdAsTimer", false, |e| e.created_as_timer, V::Bool);
        c.req("rawSeconds", |e| e.raw_seconds, V::Int);
        c.opt("enteredDurationInSeconds", |e| e.entered_duration_in_seconds, V::Int);
        c.req("timerDurationAdjustmentInSeconds", |e| e.timer_duration_adjustment_in_seconds, V::Int);
        c.req("unitIncrements", |e| e.unit_increments, V::Int);
        c.req("unitIncrementCountFromSources", |e| e.unit_increment_count_from_sources, V::Int);
        c.req("unitIncrementCountAdjustments", |e| e.unit_increment_count_adjustments, V::Int);
        c.req("unitIncrementCount", Entry::unit_increment_count, V::Int);
        c.req("incrementDurationInSeconds", Entry::increment_duration_in_seconds, V::Int);
        c.req("overlapTimeInSeconds", |e| e.overlap_time_in_seconds, V::Int);
        c.col("hasOverlap", false, Entry::has_overlap, V::Bool);
        c.col("isLocked", false, |e| e.is_locked, V::Bool);
        c.col("isDeleted", false, |e| e.is_deleted, V::Bool);
        c.opt("externalId", |e| e.external_id.clone(), V::Text);
        c.opt("enrichmentCorrelationId", |e| e.enrichment_correlation_id.clone(), V::Text);
        c.req("releaseCount", |e| e.release_count, V::Int);
        c.opt("createdBy", |e| id(&e.created_by), V::Text);
        c.opt("releasedBy", |e| id(&e.released_by), V::Text);
        c.req("createdAt", |e| e.created_at, V::Timestamp);
        c.req("updatedAt", |e| e.updated_at, V::Timestamp);
        c.opt("lastReleasePendingAt", |e| e.last_release_pending_at, V::Timestamp);
        c.opt("lastReleaseFailedAt", |e| e.last_release_failed_at, V::Timestamp);
        c.opt("releaseSuccessAt", |e| e.release_success_at, V::Timestamp);
        c.opt("lastSyncedAt", |e| e.last_synced_at, V::Timestamp);
        c.req("version", |e| e.version, V::Int);
        EntryColumns { rows: entries.len(), columns: c.columns }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_at_the_json_edge() {
        assert_eq!(count_from_json(&json!(2)), Ok(2));
        assert_eq!(count_from_json(&json!(2.0)), Ok(2));
        assert_eq!(count_from_json(&json!(-3)), Ok(-3));
        assert!(count_from_json(&json!(2.5)).is_err());
        assert!(count_from_json(&json!(1e300)).is_err());
        assert!(count_from_json(&json!("2")).is_err());
        assert!(count_from_json(&json!(i64::MAX)).is_err());
    }

    #[test]
    fn csv_quotes_per_rfc4180() {
        let mut s = String::new();
        push_csv_field(&mut s, "plain");
        s.push('|');
        push_csv_field(&mut s, "a,b");
        s.push('|');
        push_csv_field(&mut s, "say \"hi\"\nthen");
        assert_eq!(s, "plain|\"a,b\"|\"say \"\"hi\"\"\nthen\"");
    }

    #[test]
    fn entry_columns_are_named_once_and_keep_the_csv_names() {
        let cols = EntryColumns::of(&[]);
        assert_eq!(cols.rows, 0);
        let names: Vec<&str> = cols.columns.iter().map(|c| c.name).collect();
        let unique: std::collections::BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "a column name repeats: {names:?}");
        // A frame read from the CSV export and an export frame share their column names (`hours`
        // is the CSV's text form of incrementDurationInSeconds).
        for csv in CSV_COLUMNS.iter().filter(|n| **n != "hours") {
            assert!(unique.contains(csv), "CSV column {csv} missing from the frame columns");
        }
    }
}
