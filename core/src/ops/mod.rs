//! The operations layer: each engine operation written once, over the storage interface. An
//! operation reads the facts it needs (through [`crate::store`] and the reference cache), asks
//! the rules ([`crate::rules`]) what follows, and writes the result. The facade, the router
//! and the sync server all call these; nothing here calls back up, and nothing here knows
//! which backend it runs on.
//!
//! - `entries`: create, import, read, edit, delete, and writing a copy that came through sync;
//! - `timers`: start, stop, resume, and closing a session past its local day;
//! - `release`: release (one entry or a day), the connector's callbacks, unrelease;
//! - `reference`: settings, clients, codes, matters, rules, and re-settling after a change;
//! - `listing`: the updated and export windows, their pages, the CSV export, totals;
//! - `settle`: an entry's derived figures and validation verdict;
//! - [`idempotency`]: the answers kept under idempotency keys;
//! - [`events`]: the change-event log (one event per change of an entry) and the audit reads;
//! - `overlap`: keeping `overlapTimeInSeconds` current through the neighbour query;
//! - [`webhooks`]: subscriptions, the outbox of deliveries, and the delivery worker's steps.

pub(crate) mod entries;
pub mod events;
pub mod idempotency;
pub(crate) mod listing;
pub(crate) mod overlap;
pub(crate) mod reference;
pub(crate) mod release;
pub(crate) mod settle;
pub(crate) mod timers;
pub mod webhooks;

use std::sync::atomic::AtomicU64;

use crate::error::{Result, TenthsError};
use crate::model::{CustomerSettings, Entry};
use crate::rules::ids::ObjectId;
use crate::rules::status::{self, MachineSettings, Operation, Transition};
use crate::rules::time::Timestamp;
use crate::store::{ReadTx, RefCache, WriteTx};

/// Counters the engine keeps for tests and diagnostics.
#[derive(Debug, Default)]
pub struct Stats {
    /// Source rows read while keeping overlap current.
    pub overlap_rows_visited: AtomicU64,
}

/// Who acts, for whom: the customer (tenant), the user who owns the entries, and the user who
/// acts (a delegate or admin acting for the owner; the owner by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub customer: ObjectId,
    pub user: ObjectId,
    pub actor: ObjectId,
}

impl Scope {
    /// The owner acting for themself.
    pub fn new(customer: ObjectId, user: ObjectId) -> Scope {
        Scope { customer, user, actor: user }
    }
    /// Another user (a delegate) acting for the owner.
    pub fn acting_as(self, actor: ObjectId) -> Scope {
        Scope { actor, ..self }
    }
}

/// A half-open time window: `after` exclusive, `on_or_before` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub after: Timestamp,
    pub on_or_before: Timestamp,
}

impl Window {
    /// Checks the bounds are in order.
    pub fn new(after: Timestamp, on_or_before: Timestamp) -> Result<Window> {
        if on_or_before < after {
            return Err(TenthsError::invalid("onOrBefore", "the window ends before it starts"));
        }
        Ok(Window { after, on_or_before })
    }
}

/// What a write operation works with: the transaction, the reference cache of its connection,
/// the transaction's time, the engine's counters, and who acts (for the event log).
pub(crate) struct Cx<'a> {
    pub tx: &'a mut dyn WriteTx,
    pub refs: &'a mut RefCache,
    pub now: Timestamp,
    pub stats: &'a Stats,
    pub act: events::Act,
    /// The webhook subscriptions of a customer, read once per transaction by the first event
    /// that needs them (a batch of 1,000 creates queried them 1,000 times). Nothing an entry
    /// write does changes them, and a re-run transaction starts with a new `Cx`.
    pub subscriptions: Option<(ObjectId, Vec<crate::model::webhooks::Subscription>)>,
}

/// What a read operation works with: the snapshot and the reference cache of its connection.
pub(crate) struct Rx<'a> {
    pub tx: &'a mut dyn ReadTx,
    pub refs: &'a mut RefCache,
}

impl Cx<'_> {
    /// The customer's settings (cached).
    pub(crate) fn settings(&mut self, customer: &ObjectId) -> Result<std::sync::Arc<CustomerSettings>> {
        self.refs.settings(self.tx, customer)
    }

    /// The zone of a user (cached).
    pub(crate) fn zone(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<chrono_tz::Tz> {
        self.refs.zone(self.tx, customer, user)
    }

    /// Fills an entry's matter from the cache.
    pub(crate) fn fill_matter(&mut self, e: &mut Entry) -> Result<()> {
        self.refs.fill_matter(self.tx, e)
    }
}

/// A page of `page_size` from `page_size + 1` items read: the cursor (the last item's id) is set
/// only when more may follow.
pub(crate) fn page_by_id<T>(mut items: Vec<T>, page_size: usize, id: fn(&T) -> ObjectId) -> crate::model::Page<T> {
    let next_cursor = if items.len() > page_size {
        items.truncate(page_size);
        items.last().map(id)
    } else {
        None
    };
    crate::model::Page { items, next_cursor }
}

/// Asks the status machine whether `op` may happen to `e` and how.
pub(crate) fn decide(e: &Entry, op: &Operation, settings: &CustomerSettings) -> Result<Transition> {
    let state = e.state();
    status::transition(&state, op, MachineSettings { allow_post_release_edit: settings.allow_post_release_edit })
        .map_err(|r| status::refusal_error(r, &state, op, e.id.as_str()))
}

/// Prefixes the field an input error names (the item of a batch).
pub(crate) fn prefix_field(e: TenthsError, prefix: &str) -> TenthsError {
    match e {
        TenthsError::InvalidArgument { field, reason } => TenthsError::InvalidArgument { field: format!("{prefix}.{field}"), reason },
        other => other,
    }
}

/// Whether an error ends the whole transaction instead of one item of a batch (the store
/// failed, or is busy).
pub(crate) fn is_fatal(e: &TenthsError) -> bool {
    matches!(e, TenthsError::Storage { .. } | TenthsError::Unavailable { .. } | TenthsError::Closed)
}
