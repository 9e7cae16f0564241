//! The facade of the change-event log: an entry's history and a customer's events (the audit
//! API).

use super::Engine;
use crate::error::Result;
use crate::model::events::ChangeEvent;
use crate::model::Page;
use crate::ops::{events, Scope, Window};
use crate::rules::ids::ObjectId;

impl Engine {
    /// The events of an entry of `scope`'s user, oldest first: at most `page_size` (1 to
    /// [`super::MAX_PAGE_SIZE`]) after the event `cursor` (the `nextCursor` of the previous
    /// page). A missing entry, another user's, or a deleted one unless `sees_deleted` (an
    /// admin reads a deleted entry's history) is a 404.
    pub fn entry_history(&self, scope: &Scope, entry: &ObjectId, sees_deleted: bool, page_size: usize, cursor: Option<&ObjectId>) -> Result<Page<ChangeEvent>> {
        self.read(|rx| events::history(rx, scope, entry, sees_deleted, page_size, cursor))
    }

    /// The customer's events with a time in the half-open `window`, by time then position: at
    /// most `page_size` after the event `cursor`.
    pub fn events(&self, customer: &ObjectId, window: Window, page_size: usize, cursor: Option<&ObjectId>) -> Result<Page<ChangeEvent>> {
        self.read(|rx| events::customer_events(rx, customer, window, page_size, cursor))
    }
}
