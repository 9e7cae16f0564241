//! The statements of idempotency keys on PostgreSQL: one row per `(customer, user, key)` in
//! `idempotent_answers` (migration 0002), found by its key, replaced when expired, pruned by age
//! within the customer (so pruning never fans out across shards).

use tenths::http::Response;
use tenths::store::KeptAnswer;
use tenths::*;

use crate::tx::{at, big, get, ts, PgTx};
use crate::{sql, storage, Result};

/// The answer kept under a key, expired or not.
pub(crate) fn answer(t: &mut PgTx<'_>, customer: &ObjectId, user: &ObjectId, key: &str) -> Result<Option<KeptAnswer>> {
    let Some(row) = t.opt(sql::IDEMPOTENT_ANSWER, &[&customer.as_str(), &user.as_str(), &key])? else { return Ok(None) };
    let status: i32 = get(&row, 1)?;
    let status = u16::try_from(status).map_err(|_| storage(format!("a kept answer has status {status}")))?;
    let headers: Vec<(String, String)> =
        serde_json::from_str(get::<&str>(&row, 2)?).map_err(|e| storage(format!("a kept answer's headers are unreadable: {e}")))?;
    Ok(Some(KeptAnswer { fingerprint: get(&row, 0)?, response: Response { status, headers, body: get(&row, 3)? }, created_at: ts(&row, 4)? }))
}

/// Keeps an answer, replacing an expired one under the same key.
pub(crate) fn record(t: &mut PgTx<'_>, customer: &ObjectId, user: &ObjectId, key: &str, answer: &KeptAnswer) -> Result<()> {
    let headers = serde_json::to_string(&answer.response.headers).map_err(storage)?;
    let status = i32::from(answer.response.status);
    t.exec(
        sql::RECORD_IDEMPOTENT_ANSWER,
        &[&customer.as_str(), &user.as_str(), &key, &answer.fingerprint, &status, &headers, &answer.response.body, &at(answer.created_at)?],
    )?;
    Ok(())
}

/// Removes at most `limit` of the customer's answers created before `before`, oldest first.
pub(crate) fn prune(t: &mut PgTx<'_>, customer: &ObjectId, before: Timestamp, limit: usize) -> Result<u64> {
    t.exec(sql::PRUNE_IDEMPOTENT_ANSWERS, &[&customer.as_str(), &at(before)?, &big(limit)])
}
