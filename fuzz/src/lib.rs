//! What the fuzz targets share (decision 58): the engine they run against (in memory, a fixed
//! clock, a small data set so requests reach real entries, rebuilt every so many runs so its
//! state stays small), the text form of a fuzzed request, and the invariants every answer of the
//! router must keep. A broken invariant is a `panic!`, which libFuzzer reports as a crash.
//!
//! The text form of a request (what the corpus holds, see `fuzz/seed-corpus`):
//!
//! ```text
//! admin                                  <- who calls (see `caller`)
//! POST /api/v1/public/customers/…/entries?x=y
//! Content-Type: application/json         <- headers, one a line, until an empty line
//!
//! {"summary": "…"}                       <- the body: every byte after the empty line
//! ```

use std::cell::RefCell;
use std::sync::Arc;

use tenths::api::{Hs256Verifier, Principal, Request, Response, Role, Router};
use tenths::{Engine, FixedClock, ObjectId, Timestamp};

/// The secret the router's token verifier checks HS256 tokens with.
pub const SECRET: &[u8] = b"tenths-fuzz-secret";
/// The customer of the data set (the vectors' customer).
pub const CUSTOMER: &str = "c00000000000000000000001";
/// A customer without data.
pub const OTHER_CUSTOMER: &str = "c00000000000000000000009";
/// The user of the data set (the vectors' user).
pub const USER: &str = "a00000000000000000000001";
/// A second user, who is also a delegate of [`USER`].
pub const BOB: &str = "b00000000000000000000002";
/// The fixed clock of the engine (the vectors' usual `now`).
pub const NOW_MS: i64 = 1_773_144_000_000; // 2026-03-10T12:00:00Z
/// Entries of the data set: validated, release-pending, release-succeeded, a running timer, Bob's.
pub const ENTRIES: [&str; 5] =
    ["e00000000000000000000001", "e00000000000000000000002", "e00000000000000000000003", "e00000000000000000000004", "e00000000000000000000005"];

/// An id from one of the constants above.
pub fn oid(s: &str) -> ObjectId {
    ObjectId::parse(s).unwrap_or(ObjectId::MIN)
}

/// The engine, its router and how often it has served since it was built.
pub struct Fixture {
    pub engine: Engine,
    pub router: Router,
    runs: u64,
}

/// Runs between two rebuilds of the engine (`TENTHS_FUZZ_RESET`, default 1000), which keeps its
/// state small in a long run. Building it costs milliseconds (a fresh engine and the data set),
/// so rebuilding for every input would divide the runs per second by ten or more; replaying a
/// crash (one input, one process) always starts from a fresh engine, and
/// `TENTHS_FUZZ_RESET=1` fuzzes with one for every input.
pub fn reset_every() -> u64 {
    std::env::var("TENTHS_FUZZ_RESET").ok().and_then(|v| v.parse().ok()).filter(|n| *n >= 1).unwrap_or(1000)
}

thread_local! {
    static FIXTURE: RefCell<Option<Fixture>> = const { RefCell::new(None) };
}

impl Fixture {
    /// A fresh in-memory engine at [`NOW_MS`] holding the data set, and a router that accepts
    /// HS256 tokens signed with [`SECRET`].
    pub fn new() -> Fixture {
        let clock = Arc::new(FixedClock::new(Timestamp::from_millis_clamped(NOW_MS)));
        let engine = Engine::open_in_memory_with(clock).unwrap_or_else(|e| panic!("cannot open the fuzz engine: {e}"));
        let router = Router::new();
        let verifier = Hs256Verifier::new(SECRET).unwrap_or_else(|e| panic!("verifier: {e}"));
        router.set_token_verifier(Some(Arc::new(verifier)));
        let fixture = Fixture { engine, router, runs: 0 };
        fixture.seed();
        fixture
    }

    /// Runs `f` with the fixture of this thread, rebuilt every [`reset_every`] runs.
    pub fn with<T>(f: impl FnOnce(&Fixture) -> T) -> T {
        FIXTURE.with(|cell| {
            let mut slot = cell.borrow_mut();
            let stale = slot.as_ref().is_none_or(|fx| fx.runs >= reset_every());
            if stale {
                *slot = Some(Fixture::new());
            }
            let fx = slot.as_mut().unwrap_or_else(|| unreachable!());
            fx.runs += 1;
            f(fx)
        })
    }

    /// Serves a request as an admin of [`CUSTOMER`]; a refusal is a broken fixture.
    fn admin(&self, method: &str, path: &str, body: &str) -> serde_json::Value {
        let request = Request::new(method, path, body.as_bytes()).with_principal(Principal::new(oid(CUSTOMER), oid(USER), Role::Admin));
        let response = self.router.handle(&self.engine, &request);
        assert!(response.status < 300, "fixture step {method} {path} answered {}: {}", response.status, String::from_utf8_lossy(&response.body));
        response.body_json()
    }

    /// The data set: a client, a code type and code, two matters, entries in several states.
    fn seed(&self) {
        let c = format!("/api/v1/customers/{CUSTOMER}");
        let user = |u: &str| format!("/api/v1/public/customers/{CUSTOMER}/users/{u}");
        self.admin("POST", &format!("{c}/clients/import"), r#"{"externalId": "CL-1", "name": "Acme Holdings", "callSign": "ACME"}"#);
        self.admin("POST", &format!("{c}/code-types/import"), r#"{"externalId": "activity", "name": "UTBMS activity", "semanticType": "activity"}"#);
        self.admin("POST", &format!("{c}/codes/import"), r#"{"externalId": "A101", "name": "Plan and prepare", "codeTypeExternalId": "activity"}"#);
        let m1 = self.admin(
            "POST",
            &format!("{c}/initiatives/import"),
            r#"{"externalId": "M-1", "name": "Matter M-1", "clientExternalId": "CL-1", "billingType": "billable", "unitIncrements": 360}"#,
        );
        self.admin(
            "POST",
            &format!("{c}/initiatives/import"),
            r#"{"externalId": "M-2", "name": "Matter M-2", "billingType": "non-billable", "unitIncrements": 900}"#,
        );
        let m1 = m1.get("_id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
        for (i, (owner, summary)) in
            [(USER, "Drafted motion"), (USER, "Reviewed file"), (USER, "Call with client"), (USER, ""), (BOB, "Research")].iter().enumerate()
        {
            let id = ENTRIES.get(i).copied().unwrap_or_default();
            let body = format!(r#"{{"_id": "{id}", "initiativeId": "{m1}", "summary": "{summary}", "durationInSeconds": 420}}"#);
            if i == 3 {
                self.admin("POST", &format!("{}/timers", user(owner)), &format!(r#"{{"_id": "{id}", "initiativeId": "{m1}"}}"#));
            } else {
                self.admin("POST", &format!("{}/entries", user(owner)), &body);
            }
        }
        for id in [ENTRIES[1], ENTRIES[2]] {
            self.admin("POST", &format!("{}/entries/{id}/release", user(USER)), "");
        }
        self.admin("POST", &format!("{c}/users/{USER}/entries/{}/release-succeeded", ENTRIES[2]), r#"{"externalId": "PMS-1"}"#);
    }
}

impl Default for Fixture {
    fn default() -> Fixture {
        Fixture::new()
    }
}

/// Splits off the first line (without its `\n` or `\r\n`).
fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == b'\n') {
        Some(i) => {
            let (line, rest) = data.split_at(i);
            (line.strip_suffix(b"\r").unwrap_or(line), rest.get(1..).unwrap_or_default())
        }
        None => (data, &[]),
    }
}

/// Who calls, from the first line of a fuzzed request: a trusted principal (`admin`, `user`,
/// `bob`, `delegate` = Bob acting for the user, `connector`, `other` = an admin of another
/// customer), `token <claims JSON>` (a bearer token signed with [`SECRET`] holding those
/// claims), `bearer <text>` (that text as the token), or nobody (anything else).
pub fn caller(line: &str) -> (Option<Principal>, Option<String>) {
    let (c, u, b) = (oid(CUSTOMER), oid(USER), oid(BOB));
    let principal = match line {
        "admin" => Principal::new(c, u, Role::Admin),
        "user" => Principal::new(c, u, Role::User),
        "bob" => Principal::new(c, b, Role::User),
        "delegate" => Principal { customer: c, user: b, role: Role::User, delegator_ids: vec![u] },
        "connector" => Principal::new(c, u, Role::Connector),
        "other" => Principal::new(oid(OTHER_CUSTOMER), u, Role::Admin),
        _ => {
            if let Some(claims) = line.strip_prefix("token ") {
                let claims: serde_json::Value = serde_json::from_str(claims).unwrap_or(serde_json::Value::String(claims.to_string()));
                let token = jsonwebtoken::EncodingKey::from_secret(SECRET)
                    .ok()
                    .and_then(|key| jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).ok())
                    .unwrap_or_default();
                return (None, Some(format!("Bearer {token}")));
            }
            return (None, line.strip_prefix("bearer ").map(|t| format!("Bearer {t}")));
        }
    };
    (Some(principal), None)
}

/// Reads the text form of a request (see the module header). Never fails: any bytes are a
/// request, however malformed.
pub fn parse_request(data: &[u8]) -> Request {
    let (who, rest) = split_line(data);
    let (start, mut rest) = split_line(rest);
    let start = String::from_utf8_lossy(start);
    let (method, path) = start.split_once(' ').unwrap_or((&start, ""));
    let (principal, authorization) = caller(&String::from_utf8_lossy(who));
    let mut request = Request::new(method, path, Vec::new());
    request.principal = principal;
    if let Some(a) = authorization {
        request.headers.push(("Authorization".into(), a));
    }
    loop {
        let (line, after) = split_line(rest);
        rest = after;
        if line.is_empty() {
            break;
        }
        let line = String::from_utf8_lossy(line);
        let (name, value) = line.split_once(':').unwrap_or((&line, ""));
        request.headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    request.body = rest.to_vec();
    request
}

/// The statuses the API answers (api.md, the OpenAPI document); 500 is never one of them.
const STATUSES: [u16; 14] = [200, 201, 207, 400, 401, 403, 404, 405, 409, 413, 422, 423, 500, 503];

/// The status of each error code of an error body.
fn status_of_code(code: &str) -> Option<u16> {
    Some(match code {
        "invalid_argument" => 400,
        "unauthenticated" => 401,
        "permission_denied" => 403,
        "not_found" => 404,
        "method_not_allowed" => 405,
        "conflict" => 409,
        "too_large" => 413,
        "validation_failed" => 422,
        "locked" => 423,
        "unavailable" => 503,
        _ => return None,
    })
}

/// Checks the invariants of an answer: a status the API uses and never 500 (nor 503 unless
/// `unavailable_ok`: the engine is in memory and open, nothing can make it busy); a body that is
/// empty only on success, else JSON (CSV for the CSV export) with the matching Content-Type; an
/// error body `{"error": {"code", "message"}}` whose code matches the status, naming a `field`
/// on 400.
pub fn check_response(request: &Request, response: &Response, unavailable_ok: bool) {
    let what = || format!("{} {} -> {} {}", request.method, request.path, response.status, String::from_utf8_lossy(&response.body));
    assert!(STATUSES.contains(&response.status), "a status the API does not use: {}", what());
    assert!(response.status != 500, "a 500 is a bug: {}", what());
    assert!(unavailable_ok || response.status != 503, "503 from an open in-memory engine: {}", what());
    let content_type = response.header_value("content-type").unwrap_or("");
    if response.body.is_empty() {
        assert!(response.status == 200, "an empty body on a status other than 200: {}", what());
        return;
    }
    if content_type.starts_with("text/csv") {
        assert!(response.status == 200, "CSV on an error: {}", what());
        let text = std::str::from_utf8(&response.body).unwrap_or_else(|_| panic!("CSV that is not UTF-8: {}", what()));
        // The entries' CSV or the change events' CSV (the audit routes), each with its header.
        let events_header = tenths::wire::EVENT_CSV_COLUMNS.join(",");
        assert!(text.starts_with(&tenths::wire::csv_header()) || text.starts_with(&events_header), "CSV without its header: {}", what());
        return;
    }
    assert_eq!(content_type, "application/json", "a body without the JSON Content-Type: {}", what());
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_else(|e| panic!("a body that is not JSON ({e}): {}", what()));
    if response.status >= 400 {
        let code = body.pointer("/error/code").and_then(|c| c.as_str()).unwrap_or_else(|| panic!("an error body without a code: {}", what()));
        assert_eq!(status_of_code(code), Some(response.status), "error code {code} on the wrong status: {}", what());
        assert!(body.pointer("/error/message").is_some_and(|m| m.is_string()), "an error body without a message: {}", what());
        if response.status == 400 {
            let field = body.pointer("/error/field").and_then(|f| f.as_str()).unwrap_or_else(|| panic!("a 400 naming no field: {}", what()));
            assert!(!field.is_empty(), "a 400 naming an empty field: {}", what());
        }
    }
}
