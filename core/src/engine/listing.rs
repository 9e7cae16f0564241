//! The facade of listing and export: the windows, their pages, the CSV export, totals.

use super::Engine;
use crate::error::Result;
use crate::model::*;
use crate::ops::{listing, Window};
use crate::rules::ids::ObjectId;
use crate::rules::time::Date;

impl Engine {
    /// Every entry of the customer updated in the window (v1; deleted ones included), by
    /// update time then id.
    pub fn list_updated(&self, customer: &ObjectId, window: Window) -> Result<Vec<Entry>> {
        self.read(|rx| listing::list_updated(rx, customer, window))
    }

    /// One page of entries updated in the window (v2), by id after `cursor`.
    pub fn list_updated_page(&self, customer: &ObjectId, window: Window, page_size: usize, cursor: Option<&ObjectId>) -> Result<Page<Entry>> {
        self.read(|rx| listing::list_updated_page(rx, customer, window, page_size, cursor))
    }

    /// Every entry released in the window and still released (v1 export).
    pub fn export_released(&self, customer: &ObjectId, window: Window) -> Result<Vec<Entry>> {
        self.read(|rx| listing::export_released(rx, customer, window))
    }

    /// One page of the export window (v2), by id after `cursor`.
    pub fn export_released_page(&self, customer: &ObjectId, window: Window, page_size: usize, cursor: Option<&ObjectId>) -> Result<Page<Entry>> {
        self.read(|rx| listing::export_released_page(rx, customer, window, page_size, cursor))
    }

    /// The page [`Engine::export_released_page`] answers (the same entries, the same cursor),
    /// as export rows: what the export item shows ([`ExportRow::export_item`]) and nothing more,
    /// read without the entries' other columns, codes and sources. Codes are left empty.
    pub fn export_page(&self, customer: &ObjectId, window: Window, page_size: usize, cursor: Option<&ObjectId>) -> Result<Page<ExportRow>> {
        self.read(|rx| listing::export_page(rx, customer, window, page_size, cursor))
    }

    /// The export window as CSV (header row, one row per entry, RFC 4180), written page by
    /// page so memory stays flat however large the window; read in one snapshot.
    pub fn export_csv(&self, customer: &ObjectId, window: Window, out: &mut dyn std::io::Write) -> Result<u64> {
        self.read(|rx| listing::export_csv(rx, customer, window, out))
    }

    /// Totals per user, work date and matter of live entries with a work date in `from..=to`,
    /// for one user or (with `None`) every user of the customer.
    pub fn totals(&self, customer: &ObjectId, user: Option<&ObjectId>, from: Date, to: Date) -> Result<Vec<Total>> {
        self.read(|rx| listing::totals(rx, customer, user, from, to))
    }
}
