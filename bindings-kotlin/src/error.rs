//! The one error type of the bindings: the core's kinds, one variant each (Kotlin
//! `TenthsException.InvalidArgument`, …; Swift `TenthsError.invalidArgument`), plus `Callback` for
//! a failure inside a host callback. No variant has a field named `message` (it would clash with
//! `Throwable.message` in Kotlin).

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::records::RuleFailure;

/// What went wrong, as a caller acts on it. `code()` is the snake_case wire code of the kind
/// (`invalid_argument`, `not_found`, …), the same as in the HTTP error body and the test vectors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TenthsError {
    /// The input is malformed or out of range; `field` names the offending input (`summary`,
    /// `sources[0].endedAt`, `entryId`).
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: String, reason: String },
    /// The record does not exist in the caller's scope (also for other tenants' records).
    #[error("{what} not found: {id}")]
    NotFound { what: String, id: String },
    /// The operation is not allowed from the record's current state.
    #[error("conflict: {reason}")]
    Conflict { reason: String },
    /// The entry is locked (released) and the operation would change it.
    #[error("locked: {reason}")]
    Locked { reason: String },
    /// The entry fails its validation rules, so it cannot be released.
    #[error("validation failed: {}", rule_ids(.failures))]
    ValidationFailed { failures: Vec<RuleFailure> },
    /// No or bad credentials (the router).
    #[error("unauthenticated: {reason}")]
    Unauthenticated { reason: String },
    /// Credentials are fine but do not allow this (the router).
    #[error("permission denied: {reason}")]
    PermissionDenied { reason: String },
    /// A batch is over its limit.
    #[error("too large: {reason}")]
    TooLarge { reason: String },
    /// SQLite failed (I/O), or an internal error.
    #[error("storage error: {reason}")]
    Storage { reason: String },
    /// The database file is damaged: its integrity check failed at open, or a call met a
    /// malformed page. The engine refuses every write from then on and leaves the file as it
    /// is; not retryable: restore the file from a backup.
    #[error("database corrupt: {reason}")]
    Corrupt { reason: String },
    /// The store cannot answer now but may soon (another writer held the lock past the busy
    /// timeout, the disk is full): nothing was written, the same call may succeed later. A
    /// kind of storage failure that is retryable (`isRetryable()`).
    #[error("unavailable: {reason}")]
    Unavailable { reason: String },
    /// The file is not a tenths database, or was written by a newer tenths.
    #[error("incompatible database: {reason}")]
    IncompatibleDatabase { reason: String },
    /// The engine was closed.
    #[error("the engine is closed")]
    Closed,
    /// A host callback (the change observer) failed or threw.
    #[error("host callback failed: {reason}")]
    Callback { reason: String },
}

fn rule_ids(failures: &[RuleFailure]) -> String {
    failures.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>().join(", ")
}

#[uniffi::export]
impl TenthsError {
    /// The snake_case code of the kind: `invalid_argument`, `not_found`, `conflict`, `locked`,
    /// `validation_failed`, `unauthenticated`, `permission_denied`, `too_large`, `storage`,
    /// `corrupt`, `unavailable`, `incompatible_database`, `closed` or `callback`.
    pub fn code(&self) -> String {
        match self.core_kind() {
            Some(k) => k.code().into(),
            None => "callback".into(),
        }
    }

    /// A one-line description (the Rust `Display` text).
    pub fn describe(&self) -> String {
        self.to_string()
    }

    /// Whether the same call may succeed later unchanged (`Unavailable`: a passing storage
    /// condition).
    pub fn is_retryable(&self) -> bool {
        self.core_kind().is_some_and(tenths::ErrorKind::is_retryable)
    }
}

impl TenthsError {
    fn core_kind(&self) -> Option<tenths::ErrorKind> {
        use tenths::ErrorKind as K;
        Some(match self {
            TenthsError::InvalidArgument { .. } => K::InvalidArgument,
            TenthsError::NotFound { .. } => K::NotFound,
            TenthsError::Conflict { .. } => K::Conflict,
            TenthsError::Locked { .. } => K::Locked,
            TenthsError::ValidationFailed { .. } => K::ValidationFailed,
            TenthsError::Unauthenticated { .. } => K::Unauthenticated,
            TenthsError::PermissionDenied { .. } => K::PermissionDenied,
            TenthsError::TooLarge { .. } => K::TooLarge,
            TenthsError::Storage { .. } => K::Storage,
            TenthsError::Corrupt { .. } => K::Corrupt,
            TenthsError::Unavailable { .. } => K::Unavailable,
            TenthsError::IncompatibleDatabase { .. } => K::IncompatibleDatabase,
            TenthsError::Closed => K::Closed,
            TenthsError::Callback { .. } => return None,
        })
    }

    /// An `InvalidArgument` naming `field`.
    pub fn invalid(field: &str, reason: impl Into<String>) -> TenthsError {
        TenthsError::InvalidArgument { field: field.to_string(), reason: reason.into() }
    }
}

impl From<tenths::TenthsError> for TenthsError {
    fn from(e: tenths::TenthsError) -> Self {
        use tenths::TenthsError as C;
        match e {
            C::InvalidArgument { field, reason } => TenthsError::InvalidArgument { field, reason },
            C::NotFound { what, id } => TenthsError::NotFound { what, id },
            C::Conflict { reason } => TenthsError::Conflict { reason },
            C::Locked { reason } => TenthsError::Locked { reason },
            C::ValidationFailed { failures } => TenthsError::ValidationFailed { failures: failures.into_iter().map(RuleFailure::from).collect() },
            C::Unauthenticated { reason } => TenthsError::Unauthenticated { reason },
            C::PermissionDenied { reason } => TenthsError::PermissionDenied { reason },
            C::TooLarge { reason } => TenthsError::TooLarge { reason },
            C::Storage { reason } => TenthsError::Storage { reason },
            C::Corrupt { reason } => TenthsError::Corrupt { reason },
            C::Unavailable { reason } => TenthsError::Unavailable { reason },
            C::IncompatibleDatabase { reason } => TenthsError::IncompatibleDatabase { reason },
            C::Closed => TenthsError::Closed,
        }
    }
}

/// A Kotlin/Swift callback that threw something other than a `TenthsException`/`TenthsError`.
impl From<uniffi::UnexpectedUniFFICallbackError> for TenthsError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TenthsError::Callback { reason: e.reason }
    }
}

/// The result type of every binding call.
pub type Result<T, E = TenthsError> = std::result::Result<T, E>;

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_else(|| "panic".into())
}

/// Runs one engine call: its error becomes the binding's error, and a panic (a bug) becomes
/// `Storage` instead of UniFFI's untyped internal error. The engine stays usable after a panic
/// (every write is a transaction that rolls back on unwind).
pub fn run<T>(f: impl FnOnce() -> tenths::Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(TenthsError::from),
        Err(p) => Err(TenthsError::Storage { reason: format!("internal error: {}", panic_text(p.as_ref())) }),
    }
}
