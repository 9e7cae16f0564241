//! The one public error type of the engine. Every failure a caller can act on is one kind here;
//! the HTTP router, the Python exceptions and the Kotlin/Swift errors are mappings of these kinds.

use serde::{Deserialize, Serialize};

/// One failing validation rule of an entry (domain.md §4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFailure {
    /// Stable rule id: `initiative`, `summary`, `codes`, `duration`, `zero-increment`,
    /// `negative-increment` or `future-work`.
    pub rule: String,
    /// Short human title.
    pub title: String,
    /// What is wrong and how to fix it.
    pub description: String,
}

/// What went wrong, as a caller acts on it. No variant carries a field named `message`
/// (it clashes with `Throwable.message` in generated Kotlin).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenthsError {
    /// The input is malformed or out of range; `field` names the offending input.
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
    /// No or bad credentials.
    #[error("unauthenticated: {reason}")]
    Unauthenticated { reason: String },
    /// Credentials are fine but do not allow this.
    #[error("permission denied: {reason}")]
    PermissionDenied { reason: String },
    /// A request body or batch is over its limit.
    #[error("too large: {reason}")]
    TooLarge { reason: String },
    /// The store failed (I/O, a bug in a backend).
    #[error("storage error: {reason}")]
    Storage { reason: String },
    /// The database file is damaged (SQLite found a malformed page, `PRAGMA quick_check`
    /// failed at open). The engine refuses every write from then on and leaves the file as it
    /// is; reads are still tried. Not retryable: the file does not heal by waiting; restore it
    /// from a backup (decisions 51 and 52).
    #[error("database corrupt: {reason}")]
    Corrupt { reason: String },
    /// The store cannot answer now but may soon: another writer held the lock past the busy
    /// timeout, the disk is full, a serialization conflict outlived its retries. Retrying
    /// later may succeed; nothing was written.
    #[error("unavailable: {reason}")]
    Unavailable { reason: String },
    /// The file is not a tenths database, or was written by a newer tenths.
    #[error("incompatible database: {reason}")]
    IncompatibleDatabase { reason: String },
    /// The engine was closed.
    #[error("the engine is closed")]
    Closed,
}

fn rule_ids(failures: &[RuleFailure]) -> String {
    failures.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>().join(", ")
}

/// The kinds of [`TenthsError`], without their data: what bindings and the router switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    InvalidArgument,
    NotFound,
    Conflict,
    Locked,
    ValidationFailed,
    Unauthenticated,
    PermissionDenied,
    TooLarge,
    Storage,
    Corrupt,
    Unavailable,
    IncompatibleDatabase,
    Closed,
}

impl ErrorKind {
    /// Whether an error of this kind may pass: the same call may succeed later unchanged.
    pub fn is_retryable(self) -> bool {
        self == ErrorKind::Unavailable
    }

    /// The snake_case code used on the wire (`api.md` error body) and in test vectors.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Locked => "locked",
            ErrorKind::ValidationFailed => "validation_failed",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Storage => "storage",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::IncompatibleDatabase => "incompatible_database",
            ErrorKind::Closed => "closed",
        }
    }
}

impl TenthsError {
    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            TenthsError::InvalidArgument { .. } => ErrorKind::InvalidArgument,
            TenthsError::NotFound { .. } => ErrorKind::NotFound,
            TenthsError::Conflict { .. } => ErrorKind::Conflict,
            TenthsError::Locked { .. } => ErrorKind::Locked,
            TenthsError::ValidationFailed { .. } => ErrorKind::ValidationFailed,
            TenthsError::Unauthenticated { .. } => ErrorKind::Unauthenticated,
            TenthsError::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            TenthsError::TooLarge { .. } => ErrorKind::TooLarge,
            TenthsError::Storage { .. } => ErrorKind::Storage,
            TenthsError::Corrupt { .. } => ErrorKind::Corrupt,
            TenthsError::Unavailable { .. } => ErrorKind::Unavailable,
            TenthsError::IncompatibleDatabase { .. } => ErrorKind::IncompatibleDatabase,
            TenthsError::Closed => ErrorKind::Closed,
        }
    }

    /// Whether the same call may succeed later unchanged (a passing storage condition).
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// The input field this error names, when it names one.
    pub fn field(&self) -> Option<&str> {
        match self {
            TenthsError::InvalidArgument { field, .. } => Some(field),
            _ => None,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        TenthsError::InvalidArgument { field: field.into(), reason: reason.into() }
    }

    pub(crate) fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        TenthsError::NotFound { what: what.to_string(), id: id.to_string() }
    }

    pub(crate) fn conflict(reason: impl Into<String>) -> Self {
        TenthsError::Conflict { reason: reason.into() }
    }

    pub(crate) fn locked(reason: impl Into<String>) -> Self {
        TenthsError::Locked { reason: reason.into() }
    }

    pub(crate) fn overflow(field: &str) -> Self {
        TenthsError::invalid(field, "value out of range")
    }
}

/// Result alias of the engine.
pub type Result<T, E = TenthsError> = std::result::Result<T, E>;
