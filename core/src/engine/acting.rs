//! Who acts, for the change-event log: the router runs a route's facade call inside
//! [`Engine::acting`], which fills a slot of the calling thread with the caller's identity, role
//! and request id for the duration of the call (like the idempotency slot: facade methods are
//! synchronous and open their transactions on the calling thread). Each write transaction
//! copies the slot into its [`Act`]; a call made outside the router leaves it empty, and the
//! facade fills the actor from the call's scope.

use std::cell::RefCell;

use super::Engine;
use crate::ops::events::Act;

thread_local! {
    static ACTING: RefCell<Option<Act>> = const { RefCell::new(None) };
}

/// Empties the slot when dropped (also on unwind), restoring what was there.
struct Filled(Option<Act>);

impl Drop for Filled {
    fn drop(&mut self) {
        ACTING.set(self.0.take());
    }
}

/// What the slot of this thread holds (an empty [`Act`] outside [`Engine::acting`]).
pub(super) fn current() -> Act {
    ACTING.with_borrow(|a| a.clone().unwrap_or_default())
}

impl Engine {
    /// Runs `call` (facade calls) with `act` as who acts: every event its write transactions
    /// append records `act`'s actor, role and request id.
    pub fn acting<T>(&self, act: Act, call: impl FnOnce() -> T) -> T {
        let _restore = Filled(ACTING.replace(Some(act)));
        call()
    }
}
