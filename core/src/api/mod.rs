//! The request router: the seed's HTTP API (and the tenths extensions) served in-process. One
//! call takes a request of plain types (method, path with query, headers, body bytes) and returns
//! a response of plain types; `tenths serve`, the Python and the Kotlin/Swift bindings all put
//! their transport in front of this one function. No HTTP library is involved here.

mod auth;
pub mod openapi;
mod routes;

use serde::Serialize;

pub use auth::{mint_hs256, Hs256Verifier, Principal, Role, Verifier};
pub use routes::{parse_json_value, Access, ParamKind, QueryParam, RouteSpec, ROUTES};

use crate::engine::Engine;
use crate::error::{ErrorKind, TenthsError};

/// Largest request body accepted, in bytes (1 MiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A request, as any transport hands it over.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `GET`, `POST`, `PATCH`, `PUT`, `DELETE` (any case).
    pub method: String,
    /// The path with its query string, e.g. `/api/v2/customers/…/entries?pageSize=10`.
    pub path: String,
    /// Header names and values (names are matched case-insensitively).
    pub headers: Vec<(String, String)>,
    /// The body bytes (empty when none).
    pub body: Vec<u8>,
    /// A principal the host has already authenticated (in-process callers, a signed-in device).
    /// When set, no token is read.
    pub principal: Option<Principal>,
}

impl Request {
    /// A request without headers or principal.
    pub fn new(method: &str, path: &str, body: impl Into<Vec<u8>>) -> Request {
        Request { method: method.to_string(), path: path.to_string(), headers: Vec::new(), body: body.into(), principal: None }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets a trusted principal.
    pub fn with_principal(mut self, principal: Principal) -> Request {
        self.principal = Some(principal);
        self
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response.
    pub fn json(status: u16, value: &impl Serialize) -> Response {
        match serde_json::to_vec(value) {
            Ok(body) => Response { status, headers: vec![("Content-Type".into(), "application/json".into())], body },
            Err(e) => error_response(&TenthsError::Storage { reason: format!("cannot serialise the response: {e}") }),
        }
    }

    /// A response without a body.
    pub fn empty(status: u16) -> Response {
        Response { status, headers: Vec::new(), body: Vec::new() }
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (`Null` when empty or not JSON).
    pub fn body_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

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
        ErrorKind::Closed => 503,
        ErrorKind::Storage | ErrorKind::IncompatibleDatabase => 500,
    }
}

/// The wire code of an error (`api.md`): storage and database errors are `internal`, a closed
/// engine is `unavailable`.
pub fn wire_code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Storage | ErrorKind::IncompatibleDatabase => "internal",
        ErrorKind::Closed => "unavailable",
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

/// The single error body: `{"error": {"code", "message", "field"?, "details"?}}`.
pub fn error_response(e: &TenthsError) -> Response {
    let details = match e {
        TenthsError::ValidationFailed { failures } => Some(failures.as_slice()),
        _ => None,
    };
    let body = ErrorBody { error: ErrorDetail { code: wire_code(e.kind()), message: e.to_string(), field: e.field(), details } };
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| br#"{"error":{"code":"internal","message":"error"}}"#.to_vec());
    Response { status: status_of(e.kind()), headers: vec![("Content-Type".into(), "application/json".into())], body: bytes }
}

/// Serves one request against `engine`. `verifier` checks bearer tokens; without one, only
/// requests carrying a trusted principal (or public operations) are served.
/// A panic inside a handler (a bug) is caught and answered 500 `internal`; the engine stays
/// usable because every write is a transaction that rolls back on unwind.
pub fn handle(engine: &Engine, verifier: Option<&dyn Verifier>, request: &Request) -> Response {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if engine.fault_injection() && request.header_value("x-tenths-fault") == Some("panic") {
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
