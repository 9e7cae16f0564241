//! The request router: the seed's HTTP API (and the tenths extensions) served in-process. One
//! call takes a request of plain types (method, path with query, headers, body bytes) and returns
//! a response of plain types; `tenths serve`, the Python and the Kotlin/Swift bindings all put
//! their transport in front of this one function. No HTTP library is involved here.

mod auth;
pub mod idempotency;
mod json;
mod matching;
pub mod openapi;
mod routes;
mod table;

use serde::Serialize;

pub use auth::{mint_hs256, EitherVerifier, Hs256Verifier, JwksOptions, JwksVerifier, Principal, Role, Verifier, CLOCK_SKEW_LEEWAY_SECONDS};
pub use json::parse_json_value;
pub use table::{Access, ParamKind, QueryParam, RouteSpec, ROUTES};

use crate::engine::Engine;
use crate::error::{ErrorKind, TenthsError};
pub use crate::http::{Request, Response};

/// Largest request body accepted, in bytes (1 MiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The HTTP status of an error kind (`api.md` conventions).
pub fn status_of(kind: ErrorKind) -> u16 {
    match kind {
        ErrorKind::InvalidArgument => 400,
        ErrorKind::Unauthenticated => 401,
        ErrorKind::PermissionDenied => 403,
        ErrorKind::NotFound => 404,
        ErrorKind::Conflict => 409,
        ErrorKind::TooLarge => 413,
        ErrorKind::ValidationFailed => 422,
        ErrorKind::Locked => 423,
        ErrorKind::Closed | ErrorKind::Unavailable | ErrorKind::Corrupt => 503,
        ErrorKind::Storage | ErrorKind::IncompatibleDatabase => 500,
    }
}

/// The wire code of an error (`api.md`): storage and database errors are `internal`; a closed
/// engine and a passing storage condition (busy, disk full) are `unavailable`; a damaged
/// database file is `corrupt` (503, no `Retry-After`: it does not pass by waiting).
pub fn wire_code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Storage | ErrorKind::IncompatibleDatabase => "internal",
        ErrorKind::Closed | ErrorKind::Unavailable => "unavailable",
        k => k.code(),
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a [crate::error::RuleFailure]>,
}

fn detail_of(e: &TenthsError) -> ErrorDetail<'_> {
    let details = match e {
        TenthsError::ValidationFailed { failures } => Some(failures.as_slice()),
        _ => None,
    };
    ErrorDetail { code: wire_code(e.kind()), message: e.to_string(), field: e.field(), details }
}

/// The inside of the error body (`{"code", "message", "field"?, "details"?}`), as batch answers
/// give it per item.
pub fn error_detail(e: &TenthsError) -> serde_json::Value {
    serde_json::to_value(detail_of(e)).unwrap_or_else(|_| serde_json::json!({"code": "internal", "message": "error"}))
}

/// The single error body: `{"error": {"code", "message", "field"?, "details"?}}`.
pub fn error_response(e: &TenthsError) -> Response {
    let body = ErrorBody { error: detail_of(e) };
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| br#"{"error":{"code":"internal","message":"error"}}"#.to_vec());
    let mut headers = vec![("Content-Type".into(), "application/json".into())];
    if e.is_retryable() {
        headers.push(("Retry-After".into(), RETRY_AFTER_SECONDS.to_string()));
    }
    Response { status: status_of(e.kind()), headers, body: bytes }
}

/// The `Retry-After` of a passing storage condition, in seconds: about one busy timeout.
pub const RETRY_AFTER_SECONDS: u32 = 1;

/// Serves one request against `engine`. `verifier` checks bearer tokens; without one, only
/// requests carrying a trusted principal (or public operations) are served.
/// A panic inside a handler (a bug) is caught and answered 500 `internal`; the engine stays
/// usable because every write is a transaction that rolls back on unwind.
pub fn handle(engine: &Engine, verifier: Option<&dyn Verifier>, request: &Request) -> Response {
    serve(engine, verifier, request, false)
}

fn serve(engine: &Engine, verifier: Option<&dyn Verifier>, request: &Request, fault_injection: bool) -> Response {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if fault_injection && request.header_value("x-tenths-fault") == Some("panic") {
            panic!("fault injected by X-Tenths-Fault");
        }
        routes::dispatch(engine, verifier, request)
    }));
    match outcome {
        Ok(response) => response,
        Err(payload) => {
            let what =
                payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned()).unwrap_or_else(|| "panic".into());
            error_response(&TenthsError::Storage { reason: format!("internal error: {what}") })
        }
    }
}

/// How an operation ended, as an [`Observer`] is told: by the class of its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered 1xx–3xx (a 207 batch counts here, whatever its items say).
    Ok,
    /// Refused: a 4xx (bad input, not found, conflict, locked, unauthenticated, …).
    Refused,
    /// Failed: a 5xx (a passing condition or a bug).
    Failed,
}

impl Outcome {
    /// The outcome of an answer with `status`.
    pub fn of_status(status: u16) -> Outcome {
        match status {
            0..=399 => Outcome::Ok,
            400..=499 => Outcome::Refused,
            _ => Outcome::Failed,
        }
    }

    /// Its name in metrics and logs: `ok`, `refused`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }
}

/// Told of every operation a [`Router`] serves: the host's metrics hook (the core holds no
/// metrics library). `operation` is the route's `operationId`; `duration` is the time spent in the
/// router and the engine (authentication, the handler, its transaction), without the transport.
/// Called on the thread that served the request, after the answer is made: keep it cheap.
pub trait Observer: Send + Sync {
    /// One operation served.
    fn on_operation(&self, operation: &'static str, duration: std::time::Duration, outcome: Outcome);
}

/// The router of a host: the token verifier it checks bearer tokens with, an optional
/// [`Observer`], and a test hook. One per server (or binding); it serves any engine.
#[derive(Default)]
pub struct Router {
    verifier: std::sync::RwLock<Option<std::sync::Arc<dyn Verifier>>>,
    observer: std::sync::RwLock<Option<std::sync::Arc<dyn Observer>>>,
    fault_injection: std::sync::atomic::AtomicBool,
}

impl Router {
    /// A router without a verifier: only requests with a trusted principal pass.
    pub fn new() -> Router {
        Router::default()
    }

    /// Sets the verifier of bearer tokens (e.g. an [`Hs256Verifier`]).
    pub fn set_token_verifier(&self, verifier: Option<std::sync::Arc<dyn Verifier>>) {
        *self.verifier.write().unwrap_or_else(|p| p.into_inner()) = verifier;
    }

    /// Test hook: when enabled, a request carrying `X-Tenths-Fault: panic` panics inside its
    /// handler, to prove the router and server survive a bug. Off by default.
    pub fn enable_fault_injection(&self, on: bool) {
        self.fault_injection.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Sets the observer told of every operation served (see [`Observer`]).
    pub fn set_observer(&self, observer: Option<std::sync::Arc<dyn Observer>>) {
        *self.observer.write().unwrap_or_else(|p| p.into_inner()) = observer;
    }

    /// The path template of the route that serves `method` on `path` (a query is ignored), as
    /// the OpenAPI document names it: `/api/v1/public/customers/{customerId}/…`. `None` when no
    /// route serves it (the request is answered 404 or 405). For metrics by route without
    /// re-parsing paths in the host.
    pub fn route_template(&self, method: &str, path: &str) -> Option<&'static str> {
        matching::route_of(method, path).map(|spec| spec.path)
    }

    /// Serves one request of the HTTP API against `engine` (see [`handle`]).
    pub fn handle(&self, engine: &Engine, request: &Request) -> Response {
        let verifier = self.verifier.read().unwrap_or_else(|p| p.into_inner()).clone();
        let observer = self.observer.read().unwrap_or_else(|p| p.into_inner()).clone();
        let started = std::time::Instant::now();
        let response = serve(engine, verifier.as_deref(), request, self.fault_injection.load(std::sync::atomic::Ordering::Relaxed));
        if let Some(observer) = observer {
            if let Some(spec) = matching::route_of(&request.method, &request.path) {
                observer.on_operation(spec.id, started.elapsed(), Outcome::of_status(response.status));
            }
        }
        response
    }
}

/// The server engine in the same process as a sync transport, acting as a trusted principal.
pub struct InProcessTransport<'a> {
    pub server: &'a Engine,
    pub principal: Principal,
}

impl crate::sync::Transport for InProcessTransport<'_> {
    fn send(&self, request: Request) -> std::result::Result<Response, String> {
        Ok(handle(self.server, None, &request.with_principal(self.principal.clone())))
    }
}
