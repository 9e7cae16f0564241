//! The sync merge policy (rules, pure): how a device's copy of an entry and the server's are
//! reconciled field by field against the last copy both agreed on, and which of two running
//! timers of one user keeps running. Both sides of sync apply these, so they agree whatever
//! the order in which copies arrive; nothing is decided by comparing device clocks.

use serde::{Deserialize, Serialize};

use crate::rules::ids::ObjectId;
use crate::rules::time::Timestamp;

/// The fields of a record that two sides edit apart and [`reconcile`] merges one by one (the
/// fields an entry's user owns, [`crate::model::sync::UserFields`]).
pub trait Fields: Clone + PartialEq {
    /// One field's name.
    type Field: Copy + PartialEq + std::fmt::Debug;
    /// The field that says the record is deleted.
    const DELETED: Self::Field;
    /// The field that says the user released the record.
    const RELEASED: Self::Field;
    /// The fields that differ from `other`, in a fixed order.
    fn diff(&self, other: &Self) -> Vec<Self::Field>;
    /// Whether one field is equal in both.
    fn same(&self, other: &Self, field: Self::Field) -> bool;
    /// One field's value, as JSON (for the conflict log).
    fn value(&self, field: Self::Field) -> serde_json::Value;
    /// Copies one field from `from`.
    fn take(&mut self, from: &Self, field: Self::Field);
    /// Whether the record is deleted.
    fn is_deleted(&self) -> bool;
    /// Whether the user released the record.
    fn released(&self) -> bool;
}

/// A local value that lost to the server's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldConflict<F> {
    pub field: F,
    pub local: serde_json::Value,
    pub server: serde_json::Value,
}

/// What [`reconcile`] decided for an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeOutcome {
    /// The merged copy equals the server's: nothing left to send.
    InSync,
    /// Local changes remain to be sent (against the server's version).
    Pending,
    /// The server locked (released) the entry while it was edited here: the local edit is
    /// quarantined with code `locked` and the server's copy restored.
    Locked,
    /// The server deleted the entry while it was edited here: deleted, the edits logged.
    DeletedRemotely,
}

/// The result of [`reconcile`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge<T: Fields> {
    /// The entry's user fields after the merge.
    pub fields: T,
    /// Local values that lost to the server's.
    pub conflicts: Vec<FieldConflict<T::Field>>,
    pub outcome: MergeOutcome,
}

/// Reconciles a device's copy of an entry with the server's, field by field, against the last
/// copy both agreed on (`base`, the mirror; `None` when the server's copy is new to the device).
///
/// - a field changed on one side only takes that side's value;
/// - a field changed on both sides to different values takes the server's, and the local value
///   is logged as a conflict;
/// - the server deleted the entry while it had local changes: the delete wins, the local
///   changes are logged;
/// - the server locked the entry (released it) while it had local edits, and the customer does
///   not allow post-release edits: the edits are quarantined (`locked`) and the server's copy is
///   kept.
///
/// Nothing is decided by comparing clocks. Pure.
pub fn reconcile<T: Fields>(base: Option<&T>, local: &T, remote: &T, allow_post_release_edit: bool) -> Merge<T> {
    let changed_locally: Vec<T::Field> = match base {
        Some(b) => local.diff(b),
        None => local.diff(remote),
    };
    if changed_locally.is_empty() {
        return Merge { fields: remote.clone(), conflicts: Vec::new(), outcome: MergeOutcome::InSync };
    }
    let lost = |fields: &[T::Field]| -> Vec<FieldConflict<T::Field>> {
        fields.iter().filter(|f| !local.same(remote, **f)).map(|f| FieldConflict { field: *f, local: local.value(*f), server: remote.value(*f) }).collect()
    };
    let deleted_remotely = remote.is_deleted() && base.is_none_or(|b| !b.is_deleted());
    if deleted_remotely {
        let edits: Vec<T::Field> = changed_locally.iter().copied().filter(|f| *f != T::DELETED).collect();
        return Merge { fields: remote.clone(), conflicts: lost(&edits), outcome: MergeOutcome::DeletedRemotely };
    }
    let edits_beyond_release = changed_locally.iter().any(|f| *f != T::RELEASED && !local.same(remote, *f));
    if remote.released() && edits_beyond_release && !allow_post_release_edit {
        return Merge { fields: remote.clone(), conflicts: Vec::new(), outcome: MergeOutcome::Locked };
    }
    let mut fields = remote.clone();
    let mut conflicts = Vec::new();
    for f in changed_locally {
        let changed_remotely = match base {
            Some(b) => !remote.same(b, f),
            None => true,
        };
        if !changed_remotely {
            fields.take(local, f);
        } else if !local.same(remote, f) {
            conflicts.push(FieldConflict { field: f, local: local.value(f), server: remote.value(f) });
        }
    }
    let outcome = if fields == *remote { MergeOutcome::InSync } else { MergeOutcome::Pending };
    Merge { fields, conflicts, outcome }
}

/// Two running timers of one user met (two devices started one each while apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerResolution {
    /// Stop the timer already running at this instant (the incoming one started later).
    StopExisting { at: Timestamp },
    /// Stop the incoming timer at this instant (the one already running started later).
    StopIncoming { at: Timestamp },
}

/// Keeps the timer that started later and stops the other at that instant; equal starts keep
/// the entry with the greater id. Both sides apply this rule, so they agree whatever the order
/// in which the timers arrive. Pure.
pub fn resolve_running_timers(existing: (Timestamp, ObjectId), incoming: (Timestamp, ObjectId)) -> TimerResolution {
    if incoming > existing {
        TimerResolution::StopExisting { at: incoming.0 }
    } else {
        TimerResolution::StopIncoming { at: existing.0 }
    }
}
