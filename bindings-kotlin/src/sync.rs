//! Offline-first sync for Kotlin and Swift apps: the [`SyncTransport`] foreign trait the app
//! implements with its own HTTP stack (OkHttp, Ktor, URLSession…), `Engine.sync` that drives a
//! whole push-then-pull run through it, and the status, quarantine and conflict calls. Every
//! decision is the core's (`tenths::sync`); this module converts values and maps errors.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::engine::Engine;
use crate::error::{run, Result, TenthsError};
use crate::inputs::object_id;
use crate::observer::ChangeKind;
use crate::records::{Header, HttpRequest, HttpResponse, RuleFailure};

/// Moves one request of the router's shape to the server of record and back: implemented by
/// the app with its own HTTP client (base URL, `Authorization` header, TLS, proxies, retries
/// are the app's). `request.path` is the path with its query string
/// (`/api/v1/public/customers/…/sync/push`); `request.principal` is always `null`.
///
/// Answer every HTTP exchange that completed with its status, headers and body, even a 4xx or
/// 5xx: the engine reads error answers itself. Throw (any exception; a `TenthsException` keeps
/// its text) only when the exchange failed (no network, timeout): the sync stops with a
/// `Storage` error naming the transport, `syncStatus().lastError` keeps it, and the next sync
/// takes up where this one stopped. Called on the thread that called `Engine.sync`, with no
/// engine lock held.
#[uniffi::export(with_foreign)]
pub trait SyncTransport: Send + Sync {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TenthsError>;
}

/// The host's transport as the core's.
struct Foreign<'a>(&'a dyn SyncTransport);

impl tenths::sync::Transport for Foreign<'_> {
    fn send(&self, r: tenths::api::Request) -> std::result::Result<tenths::api::Response, String> {
        let headers = r.headers.into_iter().map(|(name, value)| Header { name, value }).collect();
        let request = HttpRequest { method: r.method, path: r.path, headers, body: r.body, principal: None };
        match catch_unwind(AssertUnwindSafe(|| self.0.send(request))) {
            Ok(Ok(a)) => Ok(tenths::api::Response { status: a.status, headers: a.headers.into_iter().map(|h| (h.name, h.value)).collect(), body: a.body }),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the transport panicked".into()),
        }
    }
}

/// What one `Engine.sync` did, in total.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// Operations sent (a resent batch counts again).
    pub pushed: u64,
    /// Operations the server applied.
    pub applied: u64,
    /// Fields where the server's value replaced a local change (logged in `syncConflicts`).
    pub conflicts: u64,
    /// Local changes the server refused (see `syncQuarantined`).
    pub quarantined: u64,
    /// Entries written from the server's feed.
    pub pulled: u64,
}

impl From<tenths::sync::SyncReport> for SyncReport {
    fn from(r: tenths::sync::SyncReport) -> Self {
        SyncReport { pushed: r.pushed, applied: r.applied, conflicts: r.conflicts, quarantined: r.quarantined, pulled: r.pulled }
    }
}

/// A device's pull position in the server's feed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncCursor {
    /// The last entry change received.
    pub entry_seq: i64,
    /// The reference-data snapshot received.
    pub reference_seq: i64,
}

/// A device's sync state, for the app to show.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncStatus {
    /// Entries with local changes not yet acknowledged by the server.
    pub pending: u64,
    /// When the oldest of them last changed here (RFC 3339), if any.
    pub oldest_pending_at: Option<String>,
    /// Local changes the server refused.
    pub quarantined: u64,
    /// Entries in the conflict log.
    pub conflicts: u64,
    /// Whether a pushed batch waits for its answer (it is resent first by the next sync).
    pub push_in_flight: bool,
    /// The last sync's error, cleared by a successful sync.
    pub last_error: Option<String>,
    /// When a sync last finished without error (RFC 3339).
    pub last_success_at: Option<String>,
    /// The pull position.
    pub cursor: SyncCursor,
}

impl From<tenths::sync::SyncStatus> for SyncStatus {
    fn from(s: tenths::sync::SyncStatus) -> Self {
        SyncStatus {
            pending: s.pending,
            oldest_pending_at: s.oldest_pending_at.map(|t| t.to_string()),
            quarantined: s.quarantined,
            conflicts: s.conflicts,
            push_in_flight: s.push_in_flight,
            last_error: s.last_error,
            last_success_at: s.last_success_at.map(|t| t.to_string()),
            cursor: SyncCursor { entry_seq: s.cursor.entry_seq, reference_seq: s.cursor.reference_seq },
        }
    }
}

/// A local change the server refused: it waits for the user (edit then `syncRetry`, or
/// `syncDiscardLocalChanges`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QuarantinedChange {
    pub entry_id: String,
    /// `locked`, `validation_failed`, `not_found`, `invalid_argument`, …
    pub code: String,
    pub reason: String,
    /// The failing rules, for `validation_failed`.
    pub failures: Vec<RuleFailure>,
    /// The refused copy of the entry as sync moves it (JSON, camelCase wire shape).
    pub local_json: String,
    /// When it was refused (RFC 3339).
    pub at: String,
}

impl From<tenths::sync::Quarantined> for QuarantinedChange {
    fn from(q: tenths::sync::Quarantined) -> Self {
        QuarantinedChange {
            entry_id: q.entry_id.to_string(),
            code: q.code,
            reason: q.reason,
            failures: q.failures.into_iter().map(RuleFailure::from).collect(),
            local_json: serde_json::to_string(&q.local).unwrap_or_default(),
            at: q.at.to_string(),
        }
    }
}

/// One local value that lost to the server's (both sides changed the same field).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncConflict {
    /// The log's order.
    pub seq: i64,
    pub entry_id: String,
    /// The wire name of the field (`summary`, `notes`, `workDate`, `codeIds`, …).
    pub field: String,
    /// The lost local value, as JSON (`"text"`, `null`, `["…"]`).
    pub local_value_json: String,
    /// The server's value that was kept, as JSON.
    pub server_value_json: String,
    /// When the conflict was resolved (RFC 3339).
    pub at: String,
}

impl From<tenths::sync::ConflictRecord> for SyncConflict {
    fn from(c: tenths::sync::ConflictRecord) -> Self {
        SyncConflict {
            seq: c.seq,
            entry_id: c.entry_id.to_string(),
            field: c.field,
            local_value_json: c.local_value.to_string(),
            server_value_json: c.server_value.to_string(),
            at: c.at.to_string(),
        }
    }
}

#[uniffi::export]
impl Engine {
    /// Syncs this device's copy of `userId`'s entries with the server of record through
    /// `transport`: pushes pending changes until none is left, then pulls the server's changes
    /// (entries and reference data) until the feed is exhausted. A transport failure or a
    /// refused request stops the run with an error that `syncStatus().lastError` keeps; nothing
    /// is lost and the next sync takes up where this one stopped. The change observer is told
    /// (`Entries`, operation `sync`, no ids) when the run wrote anything.
    pub fn sync(&self, transport: Arc<dyn SyncTransport>, customer_id: String, user_id: String) -> Result<SyncReport> {
        let (c, u) = (object_id(&customer_id, "customerId")?, object_id(&user_id, "userId")?);
        let report = run(|| self.core().sync(&Foreign(transport.as_ref()), &c, &u))?;
        if report.applied + report.pulled + report.conflicts + report.quarantined > 0 {
            self.notify(ChangeKind::Entries, "sync", Some(&c), Some(&u), Vec::new());
        }
        Ok(report.into())
    }

    /// The device's sync state for `userId`: pending changes, quarantine, conflicts, last error.
    pub fn sync_status(&self, customer_id: String, user_id: String) -> Result<SyncStatus> {
        let (c, u) = (object_id(&customer_id, "customerId")?, object_id(&user_id, "userId")?);
        Ok(run(|| self.core().sync_status(&c, &u))?.into())
    }

    /// The local changes the server refused, oldest first.
    pub fn sync_quarantined(&self, customer_id: String) -> Result<Vec<QuarantinedChange>> {
        let c = object_id(&customer_id, "customerId")?;
        Ok(run(|| self.core().sync_quarantined(&c))?.into_iter().map(QuarantinedChange::from).collect())
    }

    /// Puts the entry's quarantined change back in the push queue (after the user fixed it).
    pub fn sync_retry(&self, customer_id: String, entry_id: String) -> Result<()> {
        let (c, e) = (object_id(&customer_id, "customerId")?, object_id(&entry_id, "entryId")?);
        run(|| self.core().sync_retry(&c, &e))
    }

    /// Drops the entry's unsent and quarantined changes; the server's copy is restored.
    pub fn sync_discard_local_changes(&self, customer_id: String, entry_id: String) -> Result<()> {
        let (c, e) = (object_id(&customer_id, "customerId")?, object_id(&entry_id, "entryId")?);
        run(|| self.core().sync_discard_local_changes(&c, &e))
    }

    /// The conflict log: local values that lost to the server's, oldest first.
    pub fn sync_conflicts(&self, customer_id: String) -> Result<Vec<SyncConflict>> {
        let c = object_id(&customer_id, "customerId")?;
        Ok(run(|| self.core().sync_conflicts(&c))?.into_iter().map(SyncConflict::from).collect())
    }
}
