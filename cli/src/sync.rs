//! `tenths sync`: a device database synced with a `tenths serve` over HTTP. [`HttpTransport`] is
//! the host side of the core's [`tenths::sync::Transport`]: it only moves the router's requests
//! (adding `Authorization: Bearer <token>`) and answers; every sync decision is the engine's.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use tenths::api::{Request, Response};
use tenths::sync::{SyncReport, SyncStatus, Transport};
use tenths::{Engine, ObjectId};

/// Largest answer body read (a pull page of `MAX_SYNC_BATCH` entries is far below it).
const MAX_ANSWER_BYTES: u64 = 64 * 1024 * 1024;

/// The router's requests over HTTP/1.1 to a server at `base` (e.g. `http://127.0.0.1:8080`),
/// with a bearer token. An HTTP error status is an answer (the engine reads it); only a failed
/// exchange (no connection, timeout, broken body) is a transport error.
pub struct HttpTransport {
    agent: ureq::Agent,
    base: String,
    authorization: String,
}

impl HttpTransport {
    /// A transport to `base` (scheme, host and port; a trailing `/` is ignored) sending `token`.
    pub fn new(base: &str, token: &str, timeout: Duration) -> HttpTransport {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(timeout)).build().into();
        HttpTransport { agent, base: base.trim_end_matches('/').to_string(), authorization: format!("Bearer {token}") }
    }

    fn exchange(&self, request: Request) -> Result<Response, String> {
        let mut builder = ureq::http::Request::builder().method(request.method.as_str()).uri(format!("{}{}", self.base, request.path));
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let http_request = builder.header("Authorization", self.authorization.as_str()).body(request.body).map_err(|e| format!("bad request: {e}"))?;
        let mut answer = self.agent.run(http_request).map_err(|e| e.to_string())?;
        let status = answer.status().as_u16();
        let headers = answer.headers().iter().filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str().to_string(), v.to_string()))).collect();
        let body = answer.body_mut().with_config().limit(MAX_ANSWER_BYTES).read_to_vec().map_err(|e| format!("reading the answer: {e}"))?;
        Ok(Response { status, headers, body })
    }
}

impl Transport for HttpTransport {
    fn send(&self, request: Request) -> Result<Response, String> {
        let what = format!("{} {}", request.method, request.path.split('?').next().unwrap_or(""));
        self.exchange(request).map_err(|e| format!("{what}: {e}"))
    }
}

/// What `tenths sync` needs.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// The device database (created if missing).
    pub db: PathBuf,
    /// The server's base URL.
    pub server: String,
    /// The bearer token (`tenths token`).
    pub token: String,
    pub customer: String,
    pub user: String,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// The outcome of one `tenths sync`: the run's report (`None` when it failed) and the device's
/// status afterwards.
#[derive(Debug)]
pub struct SyncOutcome {
    pub report: Option<SyncReport>,
    pub error: Option<String>,
    pub status: SyncStatus,
}

impl SyncOutcome {
    /// The outcome as JSON: `{"report": …|null, "error": …|null, "status": …}`.
    pub fn to_json(&self) -> serde_json::Value {
        json!({ "report": self.report, "error": self.error, "status": self.status })
    }

    /// The outcome as text lines.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        match (&self.report, &self.error) {
            (Some(r), _) => out.push_str(&format!(
                "synced: pushed {} (applied {}), pulled {}, conflicts {}, quarantined {}\n",
                r.pushed, r.applied, r.pulled, r.conflicts, r.quarantined
            )),
            (None, Some(e)) => out.push_str(&format!("sync failed: {e}\n")),
            (None, None) => {}
        }
        let s = &self.status;
        out.push_str(&format!(
            "status: pending {}, quarantined {}, conflicts logged {}, push in flight {}, cursor {}/{}\n",
            s.pending, s.quarantined, s.conflicts, s.push_in_flight, s.cursor.entry_seq, s.cursor.reference_seq
        ));
        if let Some(t) = s.oldest_pending_at {
            out.push_str(&format!("oldest pending change: {t}\n"));
        }
        if let Some(t) = s.last_success_at {
            out.push_str(&format!("last success: {t}\n"));
        }
        if let Some(e) = &s.last_error {
            out.push_str(&format!("last error: {e}\n"));
        }
        out
    }
}

/// Opens the device database and runs one sync. `Err` only when the database or the ids are
/// unusable; a failed sync is reported in the outcome (with the status the engine kept).
pub fn run(config: &SyncConfig) -> Result<SyncOutcome, String> {
    let customer = ObjectId::parse_field(&config.customer, "customer").map_err(|e| e.to_string())?;
    let user = ObjectId::parse_field(&config.user, "user").map_err(|e| e.to_string())?;
    let engine = Engine::open(&config.db).map_err(|e| format!("cannot open {}: {e}", config.db.display()))?;
    let transport = HttpTransport::new(&config.server, &config.token, config.timeout);
    let (report, error) = match engine.sync(&transport, &customer, &user) {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let status = engine.sync_status(&customer, &user).map_err(|e| e.to_string())?;
    engine.close().map_err(|e| format!("closing the database failed: {e}"))?;
    Ok(SyncOutcome { report, error, status })
}
