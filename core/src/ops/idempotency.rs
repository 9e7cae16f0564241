//! Answers kept under idempotency keys (decisions 53–54): the live answer of a key, and keeping
//! an answer inside a write transaction (which also removes a few expired ones). The router
//! decides which requests carry a key and what a replay looks like; the facade decides in which
//! transaction an answer is kept (the one that did the work).

use crate::error::Result;
use crate::http::Response;
use crate::rules::idempotency::{expired_before, is_live, PRUNE_BATCH};
use crate::rules::ids::ObjectId;
use crate::rules::time::Timestamp;
use crate::store::{KeptAnswer, ReadTx};

use super::Cx;

/// Where an answer is kept and what it answers: the caller's customer and user (the
/// authenticated principal's, so one user's keys never meet another's), the client's key, and
/// the request's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerKey {
    pub customer: ObjectId,
    pub user: ObjectId,
    pub key: String,
    pub fingerprint: String,
}

/// The answer kept under `key` that is still live at `now` (an expired one is as none).
pub(crate) fn live(tx: &mut dyn ReadTx, key: &AnswerKey, now: Timestamp) -> Result<Option<KeptAnswer>> {
    Ok(tx.idempotent_answer(&key.customer, &key.user, &key.key)?.filter(|a| is_live(a.created_at, now)))
}

/// Keeps `response` under `key` in this transaction, and removes a few expired answers. The
/// caller has found no live answer under `key` in this same transaction.
pub(crate) fn keep(cx: &mut Cx<'_>, key: &AnswerKey, response: &Response) -> Result<()> {
    let answer = KeptAnswer { fingerprint: key.fingerprint.clone(), response: response.clone(), created_at: cx.now };
    cx.tx.record_idempotent_answer(&key.customer, &key.user, &key.key, &answer)?;
    cx.tx.prune_idempotent_answers(&key.customer, expired_before(cx.now), PRUNE_BATCH)?;
    Ok(())
}
