//! The statements of idempotency keys: one row per `(customer, user, key)` in
//! `idempotent_answers` (migration 0005), found by its key, replaced when expired, pruned by age.

use rusqlite::{params, Connection, OptionalExtension};

use super::storage;
use crate::error::Result;
use crate::http::Response;
use crate::rules::ids::ObjectId;
use crate::rules::time::Timestamp;
use crate::store::KeptAnswer;

/// The answer kept under a key, expired or not.
pub(super) fn answer(c: &Connection, customer: &ObjectId, user: &ObjectId, key: &str) -> Result<Option<KeptAnswer>> {
    let row = c
        .prepare_cached("SELECT fingerprint, status, headers, body, created_at FROM idempotent_answers WHERE customer_id = ?1 AND user_id = ?2 AND key = ?3")?
        .query_row(params![customer, user, key], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, Vec<u8>>(3)?, r.get::<_, i64>(4)?))
        })
        .optional()?;
    let Some((fingerprint, status, headers, body, created_at)) = row else { return Ok(None) };
    let status = u16::try_from(status).map_err(|_| storage(format!("a kept answer has status {status}")))?;
    let headers: Vec<(String, String)> = serde_json::from_str(&headers).map_err(|e| storage(format!("a kept answer's headers are unreadable: {e}")))?;
    Ok(Some(KeptAnswer { fingerprint, response: Response { status, headers, body }, created_at: Timestamp::from_millis_clamped(created_at) }))
}

/// Keeps an answer, replacing an expired one under the same key.
pub(super) fn record(c: &Connection, customer: &ObjectId, user: &ObjectId, key: &str, answer: &KeptAnswer) -> Result<()> {
    let headers = serde_json::to_string(&answer.response.headers).map_err(storage)?;
    c.prepare_cached(
        "INSERT OR REPLACE INTO idempotent_answers (customer_id, user_id, key, fingerprint, status, headers, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        customer,
        user,
        key,
        answer.fingerprint,
        i64::from(answer.response.status),
        headers,
        answer.response.body,
        answer.created_at.millis()
    ])?;
    Ok(())
}

/// Removes at most `limit` of the customer's answers created before `before`, oldest first.
pub(super) fn prune(c: &Connection, customer: &ObjectId, before: Timestamp, limit: usize) -> Result<u64> {
    let n = c
        .prepare_cached(
            "DELETE FROM idempotent_answers WHERE rowid IN
             (SELECT rowid FROM idempotent_answers WHERE customer_id = ?1 AND created_at < ?2 ORDER BY created_at LIMIT ?3)",
        )?
        .execute(params![customer, before.millis(), i64::try_from(limit).unwrap_or(i64::MAX)])?;
    Ok(u64::try_from(n).unwrap_or(u64::MAX))
}
