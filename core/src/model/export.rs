//! The export row: one entry of an export window as the export shows it (the JSON export item
//! and the CSV row), and nothing else. The export reads these instead of complete entries: the
//! export never shows an entry's status, errors, sources or timestamps, so it neither reads nor
//! parses them.

use std::sync::Arc;

use super::{Entry, InitiativeRef, WorkCode};
use crate::rules::ids::ObjectId;
use crate::rules::time::{Date, Timestamp};

/// One entry of an export window, as exported (see [`crate::wire::ExportItem`] and the CSV
/// columns). Its matter is shared by every row of the same matter.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow {
    /// `_id`.
    pub id: ObjectId,
    /// `customerId`.
    pub customer_id: ObjectId,
    /// `userId`.
    pub user_id: ObjectId,
    /// `workDate`.
    pub work_date: Date,
    /// `summary`.
    pub summary: String,
    /// Units from the sources (or the entered duration).
    pub unit_increment_count_from_sources: i64,
    /// Units added or removed by overrides.
    pub unit_increment_count_adjustments: i64,
    /// Seconds per unit.
    pub unit_increments: i64,
    /// The matter's id, if any.
    pub initiative_id: Option<ObjectId>,
    /// The matter's display form (`None`: no matter, or not filled in yet).
    pub initiative: Option<Arc<InitiativeRef>>,
    /// The codes (filled only by readers that show them: the CSV export).
    pub codes: Vec<WorkCode>,
    /// `externalId` (the PMS record).
    pub external_id: Option<String>,
    /// `notes`.
    pub notes: Option<String>,
    /// `releaseCount`.
    pub release_count: i64,
    /// `lastSyncedAt`.
    pub last_synced_at: Option<Timestamp>,
}

impl ExportRow {
    /// `unitIncrementCount`: the same rule as [`Entry::unit_increment_count`].
    pub fn unit_increment_count(&self) -> i64 {
        super::unit_count(self.unit_increment_count_from_sources, self.unit_increment_count_adjustments)
    }

    /// `incrementDurationInSeconds`: the same rule as [`Entry::increment_duration_in_seconds`].
    pub fn increment_duration_in_seconds(&self) -> i64 {
        super::billed_seconds(self.unit_increment_count(), self.unit_increments)
    }

    /// The export row of a complete entry (its matter and codes included).
    pub fn of_entry(e: &Entry) -> ExportRow {
        ExportRow {
            id: e.id,
            customer_id: e.customer_id,
            user_id: e.user_id,
            work_date: e.work_date,
            summary: e.summary.clone(),
            unit_increment_count_from_sources: e.unit_increment_count_from_sources,
            unit_increment_count_adjustments: e.unit_increment_count_adjustments,
            unit_increments: e.unit_increments,
            initiative_id: e.initiative_id,
            initiative: e.initiative.clone().map(Arc::new),
            codes: e.codes.clone(),
            external_id: e.external_id.clone(),
            notes: e.notes.clone(),
            release_count: e.release_count,
            last_synced_at: e.last_synced_at,
        }
    }
}
