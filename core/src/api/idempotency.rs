//! The `Idempotency-Key` header of the router (decisions 53–54): which requests may carry one,
//! the key a request's answer is kept under (the authenticated caller's customer and user, the
//! client's key, the request's fingerprint), the replay of a kept answer, the refusal of a key
//! reused for another request, and keeping a refusal. The facade keeps a success with its work
//! ([`Engine::keeping`]).

use super::auth::Principal;
use super::{error_response, Request, Response};
use crate::engine::{AnswerKey, Engine, KeptAnswer};
use crate::error::{Result, TenthsError};
use crate::rules::idempotency::{check_key, fingerprint, HEADER};

/// The header a replayed answer carries (`true`), so a client can tell a replay from the first
/// answer.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";

/// The error code of a key reused with another method, path or body (HTTP 422).
pub const MISMATCH_CODE: &str = "idempotency_mismatch";

/// Whether requests of this method (upper case) change something, and so may carry a key.
pub fn is_mutating(method: &str) -> bool {
    matches!(method, "POST" | "PATCH" | "PUT" | "DELETE")
}

/// The key of a request, when it carries one: a mutating request of an authenticated caller.
/// A malformed key is a 400 on the header; a key on a read is ignored (reads change nothing).
pub(super) fn key_of(request: &Request, method: &str, principal: Option<&Principal>) -> Result<Option<AnswerKey>> {
    let (true, Some(raw), Some(p)) = (is_mutating(method), request.header_value(HEADER), principal) else { return Ok(None) };
    check_key(raw)?;
    Ok(Some(AnswerKey { customer: p.customer, user: p.user, key: raw.to_string(), fingerprint: fingerprint(method, &request.path, &request.body) }))
}

/// The answer to a request whose key has an answer kept: that answer again, marked as a
/// replay, when it answered this same request; a 422 `idempotency_mismatch` otherwise.
pub(super) fn replay(kept: KeptAnswer, key: &AnswerKey) -> Response {
    if kept.fingerprint != key.fingerprint {
        return Response::json(
            422,
            &serde_json::json!({"error": {"code": MISMATCH_CODE, "field": HEADER, "message":
                "this Idempotency-Key was used with another request (method, path or body) in the last 24 hours; use a new key for a new request"}}),
        );
    }
    let mut r = kept.response;
    r.headers.push((REPLAYED_HEADER.into(), "true".into()));
    r
}

/// A keyed request was refused (it wrote nothing): keeps the refusal when it is one to keep,
/// or replays the answer another request with the key kept meanwhile. When keeping fails, the
/// refusal is answered all the same (nothing was written, so a retry is refused again).
pub(super) fn refused(engine: &Engine, key: &AnswerKey, e: TenthsError) -> Result<Response> {
    match engine.keep_answer(key, &error_response(&e)) {
        Ok(Some(found)) => Ok(replay(found, key)),
        Ok(None) | Err(_) => Err(e),
    }
}
