//! The facade of timers: start, stop, resume.

use super::Engine;
use crate::error::Result;
use crate::model::Entry;
use crate::ops::timers::{self, TimerStart};
use crate::ops::Scope;
use crate::rules::ids::ObjectId;

impl Engine {
    /// Starts a timer: a new timer entry with a running session. The user's other running
    /// timer is stopped in the same transaction.
    pub fn start_timer(&self, scope: &Scope, input: &TimerStart) -> Result<Entry> {
        self.write_as(Some(scope), |cx| timers::start(cx, scope, input))
    }

    /// Stops the entry's running session (at the end of its local day if it ran past midnight).
    pub fn stop_timer(&self, scope: &Scope, id: &ObjectId) -> Result<Entry> {
        self.write_as(Some(scope), |cx| timers::stop(cx, scope, id))
    }

    /// Resumes a timer entry on its own local day (a new session); stops the user's other timer.
    pub fn resume_timer(&self, scope: &Scope, id: &ObjectId) -> Result<Entry> {
        self.write_as(Some(scope), |cx| timers::resume(cx, scope, id))
    }
}
