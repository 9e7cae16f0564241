//! The change-event log (issue 16): the one place an event is appended ([`record`]), in the
//! transaction of the change it describes, and the reads of the audit API (an entry's history,
//! a customer's events in a window), and pruning by the customer's retention setting.
//!
//! Who acted comes from the transaction's [`Act`]: the router fills it from the caller's token
//! and request id (through the engine's thread slot), a facade call with a [`Scope`] from the
//! scope. A kind made by sync or by a reference change has its own role whoever asked.

use super::{Cx, Scope};
use crate::error::Result;
use crate::model::events::{diff, ActorRole, ChangeEvent, EventKind};
use crate::model::Entry;
use crate::rules::ids::ObjectId;
use crate::rules::time::Timestamp;

/// Who acts in a write transaction, and for which request: filled by the engine before the
/// operation runs, read by [`record`].
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
/// (`delegate`); a change without a known actor is a connector's (its callbacks name no user).
pub(crate) fn role_of(kind: EventKind, act: &Act, owner: &ObjectId) -> ActorRole {
    match kind {
        EventKind::Synced | EventKind::Merged => ActorRole::Device,
        EventKind::Revalidated => ActorRole::System,
        _ => match (act.role, act.actor) {
            (Some(role), _) => role,
            (None, Some(actor)) if actor == *owner => ActorRole::User,
            (None, Some(_)) => ActorRole::Delegate,
            (None, None) => ActorRole::Connector,
        },
    }
}

/// Appends the event of one change of `after` (the entry as written; `before`: as it was, `None`
/// for a new entry), in the change's transaction. The only way an event is written.
pub(crate) fn record(cx: &mut Cx<'_>, kind: EventKind, operation: &str, before: Option<&Entry>, after: &Entry) -> Result<()> {
    if cx.act.off {
        return Ok(());
    }
    let role = role_of(kind, &cx.act, &after.user_id);
    let mut event = ChangeEvent {
        id: ObjectId::generate(cx.now.millis() / 1000),
        seq: 0,
        customer: after.customer_id,
        user: after.user_id,
        entry_id: after.id,
        kind,
        operation: operation.to_string(),
        actor: if role == ActorRole::System { None } else { cx.act.actor },
        role,
        at: cx.now,
        device_at: if role == ActorRole::Device { cx.act.device_at } else { None },
        request_id: cx.act.request_id.clone(),
        changes: diff(before, after),
    };
    event.seq = cx.tx.append_event(&event)?;
    crate::ops::webhooks::enqueue(cx, &event, after)?;
    Ok(())
}
