//! Host callbacks: the change observer a Kotlin or Swift app implements to keep its views fresh.
//! The engine calls it after a write has committed, on the calling thread, with no engine lock
//! held, so the observer may call back into the engine (read the changed entries, say).

use crate::error::TenthsError;

/// What a committed write touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ChangeKind {
    /// Customer or user settings (editable entries may have been re-validated too).
    Settings,
    /// Reference data: clients, code types, codes, matters, access lists, validation rules
    /// (editable entries of the customer may have been re-validated too).
    ReferenceData,
    /// The entries in `entryIds`.
    Entries,
    /// A write through `Engine.request` (the router); `operation` is `METHOD path`.
    Request,
}

/// One committed change.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Change {
    pub kind: ChangeKind,
    /// The engine method that made it (`createEntry`, `releaseEntry`, …), or `METHOD path`.
    pub operation: String,
    /// The customer it happened in (`null` for `Request`).
    pub customer_id: Option<String>,
    /// The user whose entries or settings changed, when the operation names one.
    pub user_id: Option<String>,
    /// The entries written (empty for settings and reference data).
    pub entry_ids: Vec<String>,
}

/// Told about every committed write of the engine it is set on (`Engine.setObserver`).
///
/// Called after the commit, on the thread that made the change, with no engine lock held: it
/// may call the engine again. A failure (a thrown exception) never undoes the change nor fails
/// the operation that made it; the engine keeps its description for `takeObserverFailure()`.
#[uniffi::export(with_foreign)]
pub trait ChangeObserver: Send + Sync {
    fn on_change(&self, change: Change) -> Result<(), TenthsError>;
}
