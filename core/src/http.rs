//! The plain value types of a request and its answer, as any transport hands them over (an
//! HTTP server, an in-process caller, a binding), and who is calling. No HTTP library and no
//! behaviour: the router ([`crate::api`]) serves them, and a sync [`crate::sync::Transport`]
//! moves them.

use serde::{Deserialize, Serialize};

use crate::error::{Result, TenthsError};
use crate::rules::ids::ObjectId;

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A timekeeper: their own entries and those of their delegators.
    User,
    /// A firm administrator: every user of the customer, reference data, settings.
    Admin,
    /// A PMS connector: export, release callbacks, reference data.
    Connector,
}

impl Role {
    /// Parses a role claim; `delegate` is a user acting through `delegatorIds`.
    pub fn parse(s: &str) -> Result<Role> {
        match s {
            "user" | "delegate" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            "connector" => Ok(Role::Connector),
            _ => Err(TenthsError::invalid("role", "expected user, delegate, admin or connector")),
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The tenant.
    pub customer: ObjectId,
    /// The calling user (`sub`).
    pub user: ObjectId,
    /// The role.
    pub role: Role,
    /// Users this user may act for.
    pub delegator_ids: Vec<ObjectId>,
}

impl Principal {
    /// A principal without delegators.
    pub fn new(customer: ObjectId, user: ObjectId, role: Role) -> Principal {
        Principal { customer, user, role, delegator_ids: Vec::new() }
    }
}

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
    /// The request id the host gave the request (`tenths serve`: the client's `X-Request-Id` or
    /// one it made), recorded in the change events the request makes.
    pub request_id: Option<String>,
}

impl Request {
    /// A request without headers or principal.
    pub fn new(method: &str, path: &str, body: impl Into<Vec<u8>>) -> Request {
        Request { method: method.to_string(), path: path.to_string(), headers: Vec::new(), body: body.into(), principal: None, request_id: None }
    }

    /// Sets the request id.
    pub fn with_request_id(mut self, id: &str) -> Request {
        self.request_id = Some(id.to_string());
        self
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
            // Unreachable for the engine's own types; a fixed body keeps the contract's shape.
            Err(_) => Response {
                status: 500,
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: br#"{"error":{"code":"internal","message":"cannot serialise the response"}}"#.to_vec(),
            },
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
