//! The change-event log (issue 16) for Kotlin and Swift: an entry's history and the customer's
//! events as records, each method one call of the core facade.

use crate::engine::{page_size, window, Engine};
use crate::error::{run, Result};
use crate::inputs::{object_id, opt_object_id, Scope};

/// One changed field: its wire name and its JSON values before and after (`"null"`: absent).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldChange {
    pub field: String,
    /// The value before, as JSON text.
    pub before_json: String,
    /// The value after, as JSON text.
    pub after_json: String,
}

/// One event of the change-event log.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChangeEvent {
    pub event_id: String,
    /// The order of appends.
    pub seq: i64,
    pub customer_id: String,
    pub user_id: String,
    pub entry_id: String,
    /// `entry.created`, `entry.updated`, … (the wire names).
    pub kind: String,
    pub operation: String,
    pub actor_id: Option<String>,
    /// `user`, `delegate`, `admin`, `connector`, `device` or `system`.
    pub role: String,
    /// RFC 3339, the server's time.
    pub at: String,
    /// RFC 3339, the device's recorded time of a synced change.
    pub device_at: Option<String>,
    pub request_id: Option<String>,
    pub changes: Vec<FieldChange>,
}

impl From<tenths::ChangeEvent> for ChangeEvent {
    fn from(e: tenths::ChangeEvent) -> Self {
        ChangeEvent {
            event_id: e.id.to_string(),
            seq: e.seq,
            customer_id: e.customer.to_string(),
            user_id: e.user.to_string(),
            entry_id: e.entry_id.to_string(),
            kind: e.kind.as_str().into(),
            operation: e.operation,
            actor_id: e.actor.map(|a| a.to_string()),
            role: e.role.as_str().into(),
            at: e.at.to_rfc3339(),
            device_at: e.device_at.map(|t| t.to_rfc3339()),
            request_id: e.request_id,
            changes: e
                .changes
                .into_iter()
                .map(|c| FieldChange { field: c.field, before_json: c.before.to_string(), after_json: c.after.to_string() })
                .collect(),
        }
    }
}

/// A page of change events, in one crossing.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EventPage {
    pub events: Vec<ChangeEvent>,
    /// The event id after which to continue; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<tenths::Page<tenths::ChangeEvent>> for EventPage {
    fn from(p: tenths::Page<tenths::ChangeEvent>) -> Self {
        EventPage { events: p.items.into_iter().map(ChangeEvent::from).collect(), next_cursor: p.next_cursor.map(|c| c.to_string()) }
    }
}

#[uniffi::export]
impl Engine {
    /// The events of an entry of the scope's user, oldest first; `seesDeleted` (an admin) also
    /// reads a deleted entry's history.
    #[uniffi::method(default(page_size = None, cursor = None, sees_deleted = false))]
    pub fn entry_history(&self, scope: Scope, entry_id: String, page_size: Option<i32>, cursor: Option<String>, sees_deleted: bool) -> Result<EventPage> {
        let (s, id) = (scope.to_core()?, object_id(&entry_id, "entryId")?);
        let (n, cur) = (self::page_size(page_size)?, opt_object_id(cursor.as_deref(), "cursor")?);
        Ok(run(|| self.core().entry_history(&s, &id, sees_deleted, n, cur.as_ref()))?.into())
    }

    /// The customer's events with a time in the window (`after` exclusive), by time.
    #[uniffi::method(default(page_size = None, cursor = None))]
    pub fn events(&self, customer_id: String, after: String, on_or_before: String, page_size: Option<i32>, cursor: Option<String>) -> Result<EventPage> {
        let c = object_id(&customer_id, "customerId")?;
        let w = window(&after, &on_or_before, ("after", "onOrBefore"))?;
        let (n, cur) = (self::page_size(page_size)?, opt_object_id(cursor.as_deref(), "cursor")?);
        Ok(run(|| self.core().events(&c, w, n, cur.as_ref()))?.into())
    }
}
