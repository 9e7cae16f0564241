//! The facade of entries: create, import, read, list, edit, override, delete.

use super::Engine;
use crate::error::Result;
use crate::model::*;
use crate::ops::{entries, Scope};
use crate::rules::ids::ObjectId;
use crate::rules::time::Date;

impl Engine {
    /// Creates an entry. With a device-made `_id` already stored: the same body again answers
    /// the stored entry (`created = false`), another body is a conflict.
    pub fn create_entry(&self, scope: &Scope, input: &NewEntry) -> Result<(Entry, bool)> {
        entries::check_new_entry(input)?;
        self.write_as(Some(scope), |cx| entries::create(cx, scope, input))
    }

    /// Creates many entries of one user in one transaction (imports, benchmarks); all or none.
    /// Returns their ids in input order.
    pub fn import_entries(&self, scope: &Scope, inputs: &[NewEntry]) -> Result<Vec<ObjectId>> {
        self.write_as(Some(scope), |cx| entries::import(cx, scope, inputs))
    }

    /// Creates each entry of a batch (at most [`MAX_BATCH_ITEMS`])
    /// on its own, in one transaction: one outcome an item, in input order, as
    /// [`create_entry`](Self::create_entry) would answer it (a repeat of a stored `_id` with the
    /// same body answers the stored entry, `created = false`); a refused item changes nothing.
    pub fn create_entries(&self, scope: &Scope, inputs: &[NewEntry]) -> Result<Vec<Result<(Entry, bool)>>> {
        self.write_as(Some(scope), |cx| entries::create_each(cx, scope, inputs))
    }

    /// One entry of the user (404 when missing, deleted, or another user's).
    pub fn get_entry(&self, scope: &Scope, id: &ObjectId) -> Result<Entry> {
        self.read(|rx| entries::get(rx, scope, id))
    }

    /// The user's live entries with a work date in `from..=to`, by work date then id.
    pub fn list_entries(&self, scope: &Scope, from: Date, to: Date) -> Result<Vec<Entry>> {
        self.read(|rx| entries::list(rx, scope, from, to))
    }

    /// One page of the user's live entries with a work date in `from..=to`, by work date then
    /// id: at most `page_size` (1..=100) after the entry `cursor` (the `next_cursor` of the
    /// previous page).
    pub fn list_entries_page(&self, scope: &Scope, from: Date, to: Date, page_size: usize, cursor: Option<&ObjectId>) -> Result<Page<Entry>> {
        self.read(|rx| entries::list_page(rx, scope, from, to, page_size, cursor))
    }

    /// Changes an editable entry (the extension PATCH); answers the full entry.
    pub fn edit_entry(&self, scope: &Scope, id: &ObjectId, patch: &EntryPatch) -> Result<Entry> {
        entries::check_patch(patch)?;
        self.write_as(Some(scope), |cx| entries::edit(cx, scope, id, patch, false))
    }

    /// The seed's override: the same as an edit, limited to the override's fields.
    pub fn override_entry(&self, scope: &Scope, id: &ObjectId, input: &OverrideInput) -> Result<Entry> {
        let patch = EntryPatch::from(input.clone());
        entries::check_patch(&patch)?;
        self.write_as(Some(scope), |cx| entries::edit(cx, scope, id, &patch, true))
    }

    /// Soft-deletes an editable entry; its sources return to the unassigned pool.
    pub fn delete_entry(&self, scope: &Scope, id: &ObjectId) -> Result<Entry> {
        self.write_as(Some(scope), |cx| entries::delete(cx, scope, id))
    }
}
