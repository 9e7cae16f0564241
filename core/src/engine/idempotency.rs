//! The facade of idempotency keys (decisions 53–54). The router wraps the one facade call of a
//! mutating route in [`Engine::keeping`]. The first write transaction that call opens first looks
//! for a live answer under the key (a request with the same key may have kept one since the
//! router looked): when there is one, it writes nothing and the kept answer is replayed;
//! otherwise it does the work, renders the answer of its result and keeps it, and commits both
//! at once. So an acknowledged answer is never lost and the work is never done twice, whether
//! the same key arrives twice at once, from two threads or two processes (write transactions
//! are serialised), or the process dies between the work and the answer (there is no between).
//!
//! A call refused before or inside its transaction wrote nothing; its refusal is kept in a
//! transaction of its own ([`Engine::keep_answer`]), which also finds an answer another request
//! kept meanwhile.
//!
//! The link between [`Engine::keeping`] and the transaction is a slot of the calling thread that
//! is filled for the duration of the call: facade methods are synchronous and open their
//! transactions on the calling thread. A keeping call does not nest.

use std::any::Any;
use std::cell::RefCell;

use super::Engine;
use crate::error::{Result, TenthsError};
use crate::http::Response;
use crate::ops::idempotency::{self, AnswerKey};
use crate::ops::Cx;
use crate::rules::idempotency::is_kept;
use crate::store::KeptAnswer;

/// The route's answer of a call's result, type-erased (`None`: a result of another type).
type Render = Box<dyn Fn(&dyn Any) -> Option<Response>>;

/// A keeping call waiting on this thread: its key, how to render its result, what happened.
struct Keeper {
    key: AnswerKey,
    /// The route's answer of the call's result (`None`: a result of another type, i.e. not the
    /// route's own write).
    render: Render,
    state: State,
}

enum State {
    /// No transaction has kept or found an answer yet.
    Waiting,
    /// A transaction did the work and kept its answer (final once the call succeeds).
    KeptWithWork,
    /// A transaction found an answer kept under the key and wrote nothing.
    Found(KeptAnswer),
}

thread_local! {
    static KEEPER: RefCell<Option<Keeper>> = const { RefCell::new(None) };
}

/// Fills this thread's slot; empties it when dropped (also on unwind).
struct Filled;

impl Filled {
    fn new(keeper: Keeper) -> Filled {
        KEEPER.set(Some(keeper));
        Filled
    }
    fn take_state(&self) -> Option<State> {
        KEEPER.with_borrow_mut(|k| k.take().map(|k| k.state))
    }
}

impl Drop for Filled {
    fn drop(&mut self) {
        KEEPER.set(None);
    }
}

/// The key of the keeping call waiting on this thread, if any.
fn waiting_key() -> Option<AnswerKey> {
    KEEPER.with_borrow(|k| k.as_ref().filter(|k| matches!(k.state, State::Waiting)).map(|k| k.key.clone()))
}

fn set_state(state: State) {
    KEEPER.with_borrow_mut(|k| {
        if let Some(k) = k {
            k.state = state;
        }
    });
}

/// A backend may run a write transaction again (PostgreSQL after a serialization failure): the
/// earlier attempt was rolled back, so what it kept or found is forgotten and the key waits again.
pub(super) fn begin_attempt() {
    set_state(State::Waiting);
}

/// At the start of a write transaction: when a keeping call waits on this thread and a live
/// answer is kept under its key, refuses the transaction (so nothing is written) and remembers
/// the answer for [`Engine::keeping`].
pub(super) fn before_work(cx: &mut Cx<'_>) -> Result<()> {
    let Some(key) = waiting_key() else { return Ok(()) };
    if let Some(found) = idempotency::live(cx.tx, &key, cx.now)? {
        set_state(State::Found(found));
        return Err(TenthsError::conflict("an answer is already kept under this idempotency key"));
    }
    Ok(())
}

/// At the end of a write transaction that did its work: when a keeping call waits on this
/// thread and `value` is its result, keeps the rendered answer in this same transaction.
pub(super) fn after_work(cx: &mut Cx<'_>, value: &dyn Any) -> Result<()> {
    let Some(key) = waiting_key() else { return Ok(()) };
    let Some(response) = KEEPER.with_borrow(|k| k.as_ref().and_then(|k| (k.render)(value))) else { return Ok(()) };
    if is_kept(response.status) {
        idempotency::keep(cx, &key, &response)?;
        set_state(State::KeptWithWork);
    }
    Ok(())
}

/// What [`Engine::keeping`] answers.
#[derive(Debug)]
pub enum Keeping<T> {
    /// The call ran; its answer is kept under the key (with its work, in one commit).
    Done(T),
    /// An answer was already kept under the key: the call wrote nothing.
    Kept(KeptAnswer),
}

impl Engine {
    /// The answer kept under `key` that is still live (kept less than 24 hours ago), if any.
    pub fn kept_answer(&self, key: &AnswerKey) -> Result<Option<KeptAnswer>> {
        let now = self.clock.now();
        self.read(|rx| idempotency::live(rx.tx, key, now))
    }

    /// Runs `call` (one facade call) so that the write transaction it opens also keeps
    /// `render`'s answer of its result under `key`, in the same commit; or, when an answer is
    /// already kept under `key`, writes nothing and answers that one. A refused call answers
    /// its error (keep the refusal with [`Engine::keep_answer`]).
    pub fn keeping<T: 'static>(&self, key: &AnswerKey, render: fn(&T) -> Response, call: impl FnOnce() -> Result<T>) -> Result<Keeping<T>> {
        let (out, state) = {
            let slot = Filled::new(Keeper { key: key.clone(), render: Box::new(move |v| v.downcast_ref::<T>().map(render)), state: State::Waiting });
            let out = call();
            (out, slot.take_state())
        };
        match (out, state) {
            (Ok(value), Some(State::KeptWithWork)) => Ok(Keeping::Done(value)),
            // The call wrote nothing (or its answer is not one to keep): keep it now.
            (Ok(value), _) => Ok(match self.keep_answer(key, &render(&value))? {
                Some(found) => Keeping::Kept(found),
                None => Keeping::Done(value),
            }),
            (Err(_), Some(State::Found(found))) => Ok(Keeping::Kept(found)),
            (Err(e), _) => Err(e),
        }
    }

    /// Keeps `answer` under `key` in a transaction of its own, unless a live answer is kept
    /// there already: answers that one, if any. For refusals and calls that wrote nothing. An
    /// answer that is not kept (a 5xx, a 401) is not written; the one kept, if any, is answered.
    pub fn keep_answer(&self, key: &AnswerKey, answer: &Response) -> Result<Option<KeptAnswer>> {
        if !is_kept(answer.status) {
            return self.kept_answer(key);
        }
        self.write(|cx| {
            if let Some(found) = idempotency::live(cx.tx, key, cx.now)? {
                return Ok(Some(found));
            }
            idempotency::keep(cx, key, answer)?;
            Ok(None)
        })
    }
}
