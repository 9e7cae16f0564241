//! The engine facade: one [`Engine`] per store, `Send + Sync`. Every method is a few lines: it
//! opens one transaction of the backend (a write is one `BEGIN IMMEDIATE` transaction on
//! SQLite that applies whole or not at all) and calls one operation of [`crate::ops`] or
//! [`crate::sync`]. The methods are split by domain: `entries`, `timers`, `release`,
//! `reference`, `listing`, `sync`; `idempotency` keeps a route's answer with its work.

mod acting;
mod entries;
mod events;
mod idempotency;
mod listing;
mod reference;
mod release;
mod sync;
mod timers;
mod webhooks;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Result, TenthsError};
use crate::ops::{Cx, Rx, Stats};
use crate::rules::time::{Clock, Timestamp};
use crate::sqlite::{OpenOptions, SqliteBackend};
use crate::store::Backend;

pub use crate::ops::events::Act;
pub use crate::ops::idempotency::AnswerKey;
pub use crate::ops::timers::TimerStart;
pub use crate::ops::{Scope, Window};
pub use crate::rules::text::{MAX_BATCH_ITEMS, MAX_PAGE_SIZE};
pub use crate::rules::units::MAX_ENTERED_DURATION_SECONDS;
pub use crate::store::KeptAnswer;
pub use idempotency::Keeping;

/// The system clock: the one place the engine reads the time of day (the rules never do; an
/// engine is given a [`Clock`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis_clamped(chrono::Utc::now().timestamp_millis())
    }
}

/// The engine. Cheap to share: wrap it in an `Arc` and call it from any thread.
pub struct Engine {
    backend: Box<dyn Backend>,
    clock: Arc<dyn Clock>,
    stats: Stats,
    /// The hosts a webhook may target although their addresses are forbidden (decision 97).
    webhook_hosts: std::sync::RwLock<crate::rules::webhooks::AllowedHosts>,

    /// Whether changes append events (decision 94; on by default).
    events: AtomicBool,
}

impl Engine {
    /// Opens (creating if needed) a database file with default options and the system clock.
    pub fn open(path: impl AsRef<Path>) -> Result<Engine> {
        Engine::open_with(path, OpenOptions::default(), Arc::new(SystemClock))
    }

    /// Opens a private in-memory database with the system clock.
    pub fn open_in_memory() -> Result<Engine> {
        Engine::open_in_memory_with(Arc::new(SystemClock))
    }

    /// Opens a private in-memory database with the given clock.
    pub fn open_in_memory_with(clock: Arc<dyn Clock>) -> Result<Engine> {
        Ok(Engine::with_backend(Box::new(SqliteBackend::open_in_memory(&OpenOptions::default())?), clock))
    }

    /// Opens a database file with options and a clock. `":memory:"` opens an in-memory database.
    pub fn open_with(path: impl AsRef<Path>, options: OpenOptions, clock: Arc<dyn Clock>) -> Result<Engine> {
        let engine = Engine::with_backend(Box::new(SqliteBackend::open(path.as_ref(), &options)?), clock);
        engine.set_events(options.events);
        Ok(engine)
    }

    /// Turns the change-event log on or off for later writes (on by default). Off only to
    /// measure its cost: a change made while it is off leaves no trace in any history.
    pub fn set_events(&self, on: bool) {
        self.events.store(on, Ordering::Relaxed);
    }

    /// An engine over any store that implements the storage interface (e.g. the PostgreSQL
    /// backend of `tenths-postgres`).
    pub fn with_backend(backend: Box<dyn Backend>, clock: Arc<dyn Clock>) -> Engine {
        Engine { backend, clock, stats: Stats::default(), events: AtomicBool::new(true), webhook_hosts: Default::default() }
    }

    /// Closes the store. Every later call answers [`TenthsError::Closed`]; closing twice is fine.
    pub fn close(&self) -> Result<()> {
        self.backend.close()
    }

    /// Whether [`Engine::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.backend.is_closed()
    }

    /// Whether the engine can serve (what `/healthz` reports): [`TenthsError::Closed`] once
    /// closed, [`TenthsError::Corrupt`] once the store met a damaged page and refuses writes
    /// (decision 52), `Ok` otherwise.
    pub fn health(&self) -> Result<()> {
        self.backend.health()
    }

    /// Whether the store answers: opens and ends one empty read (a health check). A closed
    /// engine is [`TenthsError::Closed`]; a database that cannot be reached is
    /// [`TenthsError::Unavailable`].
    pub fn check_store(&self) -> Result<()> {
        self.read(|_| Ok(()))
    }

    /// How much room the store takes now (the SQLite file and its WAL), or `None` for an
    /// in-memory database or a store that cannot say. For metrics.
    pub fn store_sizes(&self) -> Option<crate::store::StoreSizes> {
        self.backend.sizes()
    }

    /// The clock's current time.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Counters for diagnostics and tests.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Runs `f` in one write transaction: committed on `Ok`, rolled back on `Err`. A backend may
    /// run `f` again from the start in a new transaction (PostgreSQL after a serialization
    /// failure), so `f` acts only through the transaction; every run sees the same `now`.
    /// Inside [`Engine::keeping`], the transaction also keeps the route's answer (or finds one
    /// kept); a re-run starts that afresh, since the earlier attempt was rolled back.
    fn write<T: 'static>(&self, f: impl FnMut(&mut Cx<'_>) -> Result<T>) -> Result<T> {
        self.write_as(None, f)
    }

    /// [`Engine::write`] on behalf of `scope`: its events name the scope's actor unless the
    /// router named one ([`Engine::acting`]).
    fn write_as<T: 'static>(&self, scope: Option<&Scope>, f: impl FnMut(&mut Cx<'_>) -> Result<T>) -> Result<T> {
        self.write_in(scope, false, f)
    }

    /// [`Engine::write`] for a device's transaction that takes in only what the server holds
    /// and answers again ([`crate::store::Backend::write_refetchable`]).
    fn write_refetchable<T: 'static>(&self, f: impl FnMut(&mut Cx<'_>) -> Result<T>) -> Result<T> {
        self.write_in(None, true, f)
    }

    fn write_in<T: 'static>(&self, scope: Option<&Scope>, refetchable: bool, mut f: impl FnMut(&mut Cx<'_>) -> Result<T>) -> Result<T> {
        let mut out = None;
        let now = self.clock.now();
        let mut act = acting::current();
        if let Some(scope) = scope {
            act = act.with_scope(scope);
        }
        act.off = !self.events.load(Ordering::Relaxed);
        let mut work = |tx: &mut dyn crate::store::WriteTx, refs: &mut crate::store::RefCache| {
            idempotency::begin_attempt();
            let mut cx = Cx { tx, refs, now, stats: &self.stats, act: act.clone(), subscriptions: None };
            idempotency::before_work(&mut cx)?;
            let value = f(&mut cx)?;
            idempotency::after_work(&mut cx, &value)?;
            out = Some(value);
            Ok(())
        };
        match refetchable {
            true => self.backend.write_refetchable(&mut work)?,
            false => self.backend.write(&mut work)?,
        }
        out.ok_or_else(|| TenthsError::Storage { reason: "a write transaction answered nothing".into() })
    }

    /// Runs `f` in one read snapshot.
    fn read<T>(&self, f: impl FnOnce(&mut Rx<'_>) -> Result<T>) -> Result<T> {
        let mut f = Some(f);
        let mut out = None;
        self.backend.read(&mut |tx, refs| {
            let f = f.take().ok_or_else(|| TenthsError::Storage { reason: "a read ran twice".into() })?;
            out = Some(f(&mut Rx { tx, refs })?);
            Ok(())
        })?;
        out.ok_or_else(|| TenthsError::Storage { reason: "a read answered nothing".into() })
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Engine>();
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("store", &self.backend.describe()).field("closed", &self.is_closed()).finish()
    }
}

/// Overlap rows visited so far (see [`Stats`]).
pub fn overlap_rows_visited(engine: &Engine) -> u64 {
    engine.stats.overlap_rows_visited.load(Ordering::Relaxed)
}
