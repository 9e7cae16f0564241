//! The change-event log (issue 16): the one place an event is appended (`record`), in the
//! transaction of the change it describes, and the reads of the audit API (an entry's history,
//! a customer's events in a window), and pruning by the customer's retention setting.
//!
//! Who acted comes from the transaction's [`Act`]: the router fills it from the caller's token
//! and request id (through the engine's thread slot), a facade call with a [`Scope`] from the
//! scope. A kind made by sync or by a reference change has its own role whoever asked.

use super::{Cx, Rx, Scope, Window};
use crate::error::{Result, TenthsError};
use crate::model::events::{encode_diff, ActorRole, ChangeEvent, EventKind};
use crate::model::{Entry, Page};
use crate::rules::ids::ObjectId;
use crate::rules::time::Timestamp;

/// Who acts in a write transaction, and for which request: filled by the engine before the
/// operation runs, read by `record`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Act {
    /// Who acts (`None`: not known, e.g. a connector call without a user).
    pub actor: Option<ObjectId>,
    /// The role the caller's token gave (`None`: decide from the actor and the entry's owner).
    pub role: Option<ActorRole>,
    /// The request id of the request being served, if any.
    pub request_id: Option<String>,
    /// The time a device recorded the change being applied (sync).
    pub device_at: Option<Timestamp>,
    /// Whether events are appended at all (the engine's `events` switch; on by default).
    pub off: bool,
}

impl Act {
    /// Fills in the actor from a scope when the caller did not name one.
    pub fn with_scope(mut self, scope: &Scope) -> Act {
        self.actor = self.actor.or(Some(scope.actor));
        self
    }
}

/// The role an event records: sync and reference changes have their own; otherwise the role
/// the caller's token gave; otherwise the owner (`user`) or someone acting for them
/// (`delegate`); without a known actor, a release report is a connector's (its callbacks name
/// no user) and anything else the engine's own (`system`).
pub(crate) fn role_of(kind: EventKind, act: &Act, owner: &ObjectId) -> ActorRole {
    match kind {
        EventKind::Synced | EventKind::Merged => ActorRole::Device,
        EventKind::Revalidated => ActorRole::System,
        _ => match (act.role, act.actor) {
            (Some(role), _) => role,
            (None, Some(actor)) if actor == *owner => ActorRole::User,
            (None, Some(_)) => ActorRole::Delegate,
            (None, None) if matches!(kind, EventKind::ReleaseSucceeded | EventKind::ReleaseFailed) => ActorRole::Connector,
            (None, None) => ActorRole::System,
        },
    }
}

/// The kind and operation an event records: a change made while the server applies a device's
/// push (`act.device_at` set) is `entry.synced`, its operation prefixed with `sync-`.
fn kind_of(kind: EventKind, operation: &str, act: &Act) -> (EventKind, String) {
    match (act.device_at, kind) {
        (Some(_), EventKind::Revalidated | EventKind::Merged) | (None, _) => (kind, operation.to_string()),
        (Some(_), _) => (EventKind::Synced, format!("sync-{operation}")),
    }
}

/// Appends the event of one change of `after` (the entry as written; `before`: as it was, `None`
/// for a new entry), in the change's transaction. The only way an event is written.
pub(crate) fn record(cx: &mut Cx<'_>, kind: EventKind, operation: &str, before: Option<&Entry>, after: &Entry) -> Result<()> {
    if cx.act.off {
        return Ok(());
    }
    let (kind, operation) = kind_of(kind, operation, &cx.act);
    let role = role_of(kind, &cx.act, &after.user_id);
    let mut event = ChangeEvent {
        id: ObjectId::generate(cx.now.millis() / 1000),
        seq: 0,
        customer: after.customer_id,
        user: after.user_id,
        entry_id: after.id,
        kind,
        operation,
        actor: if role == ActorRole::System { None } else { cx.act.actor },
        role,
        at: cx.now,
        device_at: if role == ActorRole::Device { cx.act.device_at } else { None },
        request_id: cx.act.request_id.clone(),
        // The log stores the changes as JSON written straight from the typed fields; the
        // webhook payload does not carry them, so the in-memory event goes without.
        changes: Vec::new(),
    };
    event.seq = cx.tx.append_event(&event, &encode_diff(before, after))?;
    prune(cx, &after.customer_id)?;
    crate::ops::webhooks::enqueue(cx, &event, after)?;
    Ok(())
}

/// Events pruned per write at most: a write never pays for a long backlog at once.
pub const PRUNE_PER_WRITE: usize = 100;

/// Removes a bounded number of the customer's events older than its retention, if it set one.
fn prune(cx: &mut Cx<'_>, customer: &ObjectId) -> Result<()> {
    let Some(days) = cx.settings(customer)?.event_retention_days else { return Ok(()) };
    let keep_ms = days.saturating_mul(86_400_000);
    let before = Timestamp::from_millis_clamped(cx.now.millis().saturating_sub(keep_ms));
    cx.tx.prune_events(customer, before, PRUNE_PER_WRITE)?;
    Ok(())
}

/// An event id given as a cursor: the event of this customer it names (and, for a history, of
/// this entry), or a 400 naming `cursor`.
fn cursor_event(rx: &mut Rx<'_>, customer: &ObjectId, cursor: &ObjectId, entry: Option<&ObjectId>) -> Result<ChangeEvent> {
    match rx.tx.event(customer, cursor)? {
        Some(e) if entry.is_none_or(|id| *id == e.entry_id) => Ok(e),
        _ => Err(TenthsError::invalid("cursor", "is no event of this listing: use the nextCursor of the previous page")),
    }
}

/// A page of `page_size` from `page_size + 1` events read (the cursor: the last event's id).
fn page_of(items: Vec<ChangeEvent>, page_size: usize) -> Page<ChangeEvent> {
    super::page_by_id(items, page_size, |e| e.id)
}

/// The history of an entry of `scope`'s user, oldest first: at most `page_size` events after the
/// event `cursor`. A missing entry, another user's, or (unless `sees_deleted`, an admin) a
/// deleted one is the same 404.
pub(crate) fn history(
    rx: &mut Rx<'_>,
    scope: &Scope,
    entry: &ObjectId,
    sees_deleted: bool,
    page_size: usize,
    cursor: Option<&ObjectId>,
) -> Result<Page<ChangeEvent>> {
    super::listing::check_page_size(page_size)?;
    match rx.tx.entry(&scope.customer, entry)? {
        Some((_, e)) if e.user_id == scope.user && (sees_deleted || !e.is_deleted) => {}
        _ => return Err(TenthsError::not_found("entry", entry)),
    }
    let after = match cursor {
        Some(c) => Some(cursor_event(rx, &scope.customer, c, Some(entry))?.seq),
        None => None,
    };
    Ok(page_of(rx.tx.entry_events(&scope.customer, entry, after, page_size.saturating_add(1))?, page_size))
}

/// The customer's events with a time in the window, by time then position: at most `page_size`
/// after the event `cursor`. A window that ends before it starts is a 400 naming `onOrBefore`.
pub(crate) fn customer_events(rx: &mut Rx<'_>, customer: &ObjectId, window: Window, page_size: usize, cursor: Option<&ObjectId>) -> Result<Page<ChangeEvent>> {
    super::listing::check_page_size(page_size)?;
    let window = Window::new(window.after, window.on_or_before)?;
    let from = match cursor {
        Some(c) => {
            let e = cursor_event(rx, customer, c, None)?;
            Some((e.at, e.seq))
        }
        None => None,
    };
    let rows = rx.tx.customer_events(customer, window.after, window.on_or_before, from, page_size.saturating_add(1))?;
    Ok(page_of(rows, page_size))
}
