//! The engine facade: one `Engine` per database, `Send + Sync`, one writer connection and a few
//! readers (WAL). Every write is one `BEGIN IMMEDIATE` transaction that either applies whole or
//! leaves the store as it was. Each method checks its input, asks the pure rules (units, status
//! machine, validation, overlap) and lets the store apply the answer.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{params, Connection, TransactionBehavior};

use crate::error::{Result, TenthsError};
use crate::rules::ids::{check_external_id, ObjectId};
use crate::model::*;
use crate::rules::status::{self, EntryState, MachineSettings, Operation, Refusal, Status, Transition};
use crate::store::entries::{self as store, Stats};
use crate::store::lookups::Lookups;
use crate::store::{self as db, reference, OpenOptions};
use crate::rules::time::{Clock, Date, SystemClock, Timestamp};
use crate::rules::units::{MAX_ADJUSTMENT_UNITS, MAX_TIMER_ADJUSTMENT_SECONDS};
use crate::rules::validation::Verdict;
use crate::wire;

/// Longest manual duration accepted at creation (a week; release needs ≤ 24 h).
pub const MAX_ENTERED_DURATION_SECONDS: i64 = 604_800;
/// Most items in one batch call.
pub const MAX_BATCH_ITEMS: usize = 1_000;
/// Largest page of a cursor listing.
pub const MAX_PAGE_SIZE: usize = 100;

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

/// Start of a timer.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimerStart {
    #[serde(default, rename = "_id")]
    pub id: Option<ObjectId>,
    #[serde(default)]
    pub initiative_id: Option<ObjectId>,
    #[serde(default)]
    pub summary: Option<String>,
}

struct Connections {
    writer: Connection,
    readers: Vec<Connection>,
}

/// The engine. Cheap to share: wrap it in an `Arc` and call it from any thread.
pub struct Engine {
    conns: Mutex<Option<Connections>>,
    /// Idle read-only connections; a reader waits on `reader_ready` when all are busy (opening a
    /// connection per read would parse the schema every time).
    readers: Mutex<Vec<Connection>>,
    reader_ready: std::sync::Condvar,
    path: Option<PathBuf>,
    options: OpenOptions,
    clock: Arc<dyn Clock>,
    stats: Stats,
    verifier: std::sync::RwLock<Option<Arc<dyn crate::api::Verifier>>>,
    fault_injection: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic inside a transaction leaves the connection consistent (the transaction rolls back
    // on drop), so a poisoned lock is safe to keep using.
    m.lock().unwrap_or_else(|p| p.into_inner())
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
        let options = OpenOptions::default();
        let writer = db::open_memory(&options)?;
        Ok(Engine {
            conns: Mutex::new(Some(Connections { writer, readers: Vec::new() })),
            readers: Mutex::new(Vec::new()),
            reader_ready: Default::default(),
            path: None,
            options,
            clock,
            stats: Stats::default(),
            verifier: Default::default(),
            fault_injection: Default::default(),
        })
    }

    /// Opens a database file with options and a clock. `":memory:"` opens an in-memory database.
    pub fn open_with(path: impl AsRef<Path>, options: OpenOptions, clock: Arc<dyn Clock>) -> Result<Engine> {
        let path = path.as_ref();
        if path.as_os_str() == ":memory:" {
            return Engine::open_in_memory_with(clock);
        }
        let writer = db::open_writer(path, &options)?;
        let mut readers = Vec::new();
        for _ in 0..options.readers {
            readers.push(db::open_reader(path, &options)?);
        }
        Ok(Engine {
            conns: Mutex::new(Some(Connections { writer, readers: Vec::new() })),
            readers: Mutex::new(readers),
            reader_ready: Default::default(),
            path: Some(path.to_path_buf()),
            options,
            clock,
            stats: Stats::default(),
            verifier: Default::default(),
            fault_injection: Default::default(),
        })
    }

    /// Closes the database. Every later call answers [`TenthsError::Closed`]; closing twice is fine.
    pub fn close(&self) -> Result<()> {
        let taken = lock(&self.conns).take();
        lock(&self.readers).clear();
        self.reader_ready.notify_all();
        if let Some(c) = taken {
            drop(c.readers);
            if self.path.is_some() {
                // Fold the WAL back so the file is complete on its own.
                let _ = c.writer.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
            }
            c.writer.close().map_err(|(_, e)| TenthsError::from(e))?;
        }
        Ok(())
    }

    /// Whether [`Engine::close`] was called.
    pub fn is_closed(&self) -> bool {
        lock(&self.conns).is_none()
    }

    /// The clock's current time.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Sets the verifier of bearer tokens used by [`Engine::request`] (e.g. an
    /// [`crate::api::Hs256Verifier`]). Without one, only requests with a trusted principal pass.
    pub fn set_token_verifier(&self, verifier: Option<Arc<dyn crate::api::Verifier>>) {
        *self.verifier.write().unwrap_or_else(|p| p.into_inner()) = verifier;
    }

    /// Serves one request of the HTTP API in-process (the same router `tenths serve` uses).
    /// Never panics: a bug inside a handler answers 500.
    pub fn request(&self, request: &crate::api::Request) -> crate::api::Response {
        let verifier = self.verifier.read().unwrap_or_else(|p| p.into_inner()).clone();
        crate::api::handle(self, verifier.as_deref(), request)
    }

    /// Test hook: when enabled, a request carrying `X-Tenths-Fault: panic` panics inside its
    /// handler, to prove the router and server survive a bug. Off by default.
    pub fn enable_fault_injection(&self, on: bool) {
        self.fault_injection.store(on, Ordering::Relaxed);
    }

    pub(crate) fn fault_injection(&self) -> bool {
        self.fault_injection.load(Ordering::Relaxed)
    }

    /// Counters for diagnostics and tests.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Runs `f` in one IMMEDIATE transaction: commit on `Ok`, roll back on `Err`.
    fn write<T>(&self, f: impl FnOnce(&Connection, Timestamp) -> Result<T>) -> Result<T> {
        let mut guard = lock(&self.conns);
        let conns = guard.as_mut().ok_or(TenthsError::Closed)?;
        let tx = conns.writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = self.clock.now();
        let out = f(&tx, now)?;
        tx.commit()?;
        Ok(out)
    }

    /// [`Engine::write`] of reference data: also bumps the customer's reference sequence, so the
    /// next sync pull sends devices the new snapshot.
    fn write_reference<T>(&self, customer: &ObjectId, f: impl FnOnce(&Connection, Timestamp) -> Result<T>) -> Result<T> {
        self.write(|c, now| {
            let out = f(c, now)?;
            crate::sync::server::bump_reference_seq(c, customer)?;
            Ok(out)
        })
    }

    /// Runs a read on a reader connection (the writer for in-memory databases) in one snapshot.
    fn read<T>(&self, f: impl FnOnce(&Connection, Timestamp) -> Result<T>) -> Result<T> {
        let now = self.clock.now();
        if self.path.is_none() {
            let guard = lock(&self.conns);
            let conns = guard.as_ref().ok_or(TenthsError::Closed)?;
            return f(&conns.writer, now);
        }
        if self.options.readers == 0 {
            let guard = lock(&self.conns);
            let conns = guard.as_ref().ok_or(TenthsError::Closed)?;
            return f(&conns.writer, now);
        }
        let conn = {
            let mut idle = lock(&self.readers);
            loop {
                if self.is_closed() {
                    return Err(TenthsError::Closed);
                }
                if let Some(c) = idle.pop() {
                    break c;
                }
                idle = self.reader_ready.wait(idle).unwrap_or_else(|p| p.into_inner());
            }
        };
        let out = (|| {
            // Cached statements: `execute_batch` would parse the SQL again on every read.
            conn.prepare_cached("BEGIN DEFERRED")?.execute([])?;
            let r = f(&conn, now);
            let _ = conn.prepare_cached("COMMIT").and_then(|mut s| s.execute([]));
            r
        })();
        if !self.is_closed() {
            lock(&self.readers).push(conn);
            self.reader_ready.notify_one();
        }
        out
    }

    // ----- settings and reference data -------------------------------------------------------

    /// The customer's settings (defaults for a customer not seen yet).
    pub fn customer_settings(&self, customer: &ObjectId) -> Result<CustomerSettings> {
        self.read(|c, _| reference::customer_settings(c, customer))
    }

    /// Changes customer settings; editable entries are re-settled under the new settings.
    pub fn update_customer_settings(&self, customer: &ObjectId, patch: &CustomerSettingsPatch) -> Result<CustomerSettings> {
        self.write_reference(customer, |c, now| {
            let s = reference::update_customer_settings(c, customer, patch, now)?;
            resettle(c, now, "SELECT pk FROM entries WHERE customer_id = ?1 AND is_deleted = 0 AND is_locked = 0", params![customer])?;
            Ok(s)
        })
    }

    /// The user's settings.
    pub fn user_settings(&self, customer: &ObjectId, user: &ObjectId) -> Result<UserSettings> {
        self.read(|c, _| Ok(UserSettings { timezone: reference::user_timezone(c, customer, user)? }))
    }

    /// Changes a user's zone; their editable entries are re-validated (future work).
    pub fn update_user_settings(&self, customer: &ObjectId, user: &ObjectId, settings: &UserSettings) -> Result<UserSettings> {
        self.write_reference(customer, |c, now| {
            let s = reference::update_user_settings(c, customer, user, settings, now)?;
            resettle(c, now, "SELECT pk FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND is_deleted = 0 AND is_locked = 0", params![customer, user])?;
            Ok(s)
        })
    }

    /// Upserts a client by external id.
    pub fn upsert_client(&self, customer: &ObjectId, input: &ClientInput) -> Result<Client> {
        self.write_reference(customer, |c, now| reference::upsert_client(c, customer, input, now))
    }

    /// Upserts a code type by external id.
    pub fn upsert_code_type(&self, customer: &ObjectId, input: &CodeTypeInput) -> Result<CodeType> {
        self.write_reference(customer, |c, now| reference::upsert_code_type(c, customer, input, now))
    }

    /// Upserts a code by code type and external id; entries using it are re-validated.
    pub fn upsert_code(&self, customer: &ObjectId, input: &CodeInput) -> Result<Code> {
        self.write_reference(customer, |c, now| {
            let code = reference::upsert_code(c, customer, input, now)?;
            resettle(
                c,
                now,
                "SELECT e.pk FROM entry_codes ec JOIN entries e ON e.pk = ec.entry_pk WHERE ec.code_id = ?2 AND e.customer_id = ?1 AND e.is_deleted = 0 AND e.is_locked = 0",
                params![customer, code.id],
            )?;
            Ok(code)
        })
    }

    /// Upserts an initiative by external id; its editable entries are re-settled (a matter that
    /// arrives after its entries turns them from pending to validated).
    pub fn upsert_initiative(&self, customer: &ObjectId, input: &InitiativeInput) -> Result<Initiative> {
        self.write_reference(customer, |c, now| {
            let id = reference::upsert_initiative(c, customer, input, now)?;
            resettle_initiative(c, now, customer, &id)?;
            reference::initiative(c, customer, &id)?.ok_or_else(|| TenthsError::not_found("initiative", id))
        })
    }

    /// Replaces the allowed codes of an initiative (by external ids).
    pub fn set_initiative_codes(&self, customer: &ObjectId, initiative_external_id: &str, code_external_ids: &[String]) -> Result<Initiative> {
        self.write_reference(customer, |c, now| {
            let id = reference::initiative_id_by_external(c, customer, initiative_external_id)?;
            reference::set_initiative_codes(c, customer, &id, code_external_ids)?;
            resettle_initiative(c, now, customer, &id)?;
            reference::initiative(c, customer, &id)?.ok_or_else(|| TenthsError::not_found("initiative", id))
        })
    }

    /// Replaces the allow or deny list of an initiative.
    pub fn set_initiative_access(&self, customer: &ObjectId, initiative_external_id: &str, kind: AccessKind, users: &[ObjectId]) -> Result<Initiative> {
        self.write_reference(customer, |c, now| {
            let id = reference::initiative_id_by_external(c, customer, initiative_external_id)?;
            reference::set_initiative_access(c, customer, &id, kind, users)?;
            resettle_initiative(c, now, customer, &id)?;
            reference::initiative(c, customer, &id)?.ok_or_else(|| TenthsError::not_found("initiative", id))
        })
    }

    /// Sets the validation rules of an initiative (by external id), or the customer-wide rules
    /// when `initiative_external_id` is `None`.
    pub fn set_validation_rules(&self, customer: &ObjectId, initiative_external_id: Option<&str>, input: &ValidationRulesInput) -> Result<ValidationRules> {
        self.write_reference(customer, |c, now| {
            let id = initiative_external_id.map(|ext| reference::initiative_id_by_external(c, customer, ext)).transpose()?;
            let rules = reference::set_rules(c, customer, id.as_ref(), input, now)?;
            match &id {
                Some(id) => resettle_initiative(c, now, customer, id)?,
                None => resettle(c, now, "SELECT pk FROM entries WHERE customer_id = ?1 AND is_deleted = 0 AND is_locked = 0", params![customer])?,
            }
            Ok(rules)
        })
    }

    /// Every initiative of the customer.
    pub fn list_initiatives(&self, customer: &ObjectId) -> Result<Vec<Initiative>> {
        self.read(|c, _| reference::list_initiatives(c, customer))
    }

    /// Every code of the customer.
    pub fn list_codes(&self, customer: &ObjectId) -> Result<Vec<Code>> {
        self.read(|c, _| reference::list_codes(c, customer))
    }

    /// Every client of the customer.
    pub fn list_clients(&self, customer: &ObjectId) -> Result<Vec<Client>> {
        self.read(|c, _| reference::list_clients(c, customer))
    }

    // ----- entries ---------------------------------------------------------------------------

    /// Creates an entry. With a device-made `_id` already stored: the same body again answers
    /// the stored entry (`created = false`), another body is a conflict.
    pub fn create_entry(&self, scope: &Scope, input: &NewEntry) -> Result<(Entry, bool)> {
        check_new_entry(input)?;
        self.write(|c, now| {
            let mut lk = Lookups::default();
            let mut inserter = store::Inserter::new(c)?;
            let (pk, id, created) = create_in_tx(c, &mut lk, &mut inserter, now, scope, input, false, &self.stats)?;
            inserter.finish(&self.stats)?;
            let (_, e) = store::find(c, &mut lk, &scope.customer, &id)?.ok_or_else(|| TenthsError::not_found("entry", pk))?;
            if !created && e.user_id != scope.user {
                return Err(TenthsError::conflict("an entry with this _id already exists"));
            }
            Ok((e, created))
        })
    }

    /// Creates many entries of one user in one transaction (imports, benchmarks); all or none.
    /// Returns their ids in input order.
    pub fn import_entries(&self, scope: &Scope, inputs: &[NewEntry]) -> Result<Vec<ObjectId>> {
        for (i, input) in inputs.iter().enumerate() {
            check_new_entry(input).map_err(|e| prefix_field(e, &format!("entries[{i}]")))?;
        }
        self.write(|c, now| {
            let mut lk = Lookups::default();
            let mut inserter = store::Inserter::new(c)?;
            // One read for the batch: which device ids exist already, and the stored intervals
            // the new ones may meet.
            let given: Vec<ObjectId> = inputs.iter().filter_map(|i| i.id).collect();
            let existing = store::existing_ids(c, &scope.customer, &given)?;
            let mut seen = std::collections::HashSet::with_capacity(given.len());
            let new_intervals: Vec<crate::rules::overlap::Interval> = inputs
                .iter()
                .flat_map(|i| i.sources.iter())
                .map(|s| crate::rules::overlap::Interval { start: s.started_at.millis(), end: s.ended_at.millis() })
                .collect();
            inserter.prefetch(&scope.customer, &scope.user, &new_intervals, &self.stats)?;
            let mut ids = Vec::with_capacity(inputs.len());
            for (i, input) in inputs.iter().enumerate() {
                let fresh = input.id.is_some_and(|id| !existing.contains(&id) && seen.insert(id));
                let (_, id, _) =
                    create_in_tx(c, &mut lk, &mut inserter, now, scope, input, fresh, &self.stats).map_err(|e| prefix_field(e, &format!("entries[{i}]")))?;
                ids.push(id);
            }
            inserter.finish(&self.stats)?;
            Ok(ids)
        })
    }

    /// One entry of the user (404 when missing, deleted, or another user's).
    pub fn get_entry(&self, scope: &Scope, id: &ObjectId) -> Result<Entry> {
        self.read(|c, _| Ok(store::find_scoped(c, &mut Lookups::default(), &scope.customer, Some(&scope.user), id)?.1))
    }

    /// The user's live entries with a work date in `from..=to`, by work date then id.
    pub fn list_entries(&self, scope: &Scope, from: Date, to: Date) -> Result<Vec<Entry>> {
        if to < from {
            return Err(TenthsError::invalid("workDateTo", "is before workDateFrom"));
        }
        self.read(|c, _| {
            let sql = format!(
                "SELECT {} FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND work_date >= ?3 AND work_date <= ?4 AND is_deleted = 0 ORDER BY work_date, id",
                store::ENTRY_COLUMNS
            );
            store::query_entries(c, &sql, params![scope.customer, scope.user, from.to_string(), to.to_string()])
        })
    }

    /// Changes an editable entry (the extension PATCH); answers the full entry.
    pub fn edit_entry(&self, scope: &Scope, id: &ObjectId, patch: &EntryPatch) -> Result<Entry> {
        check_patch(patch)?;
        self.write(|c, now| edit_in_tx(c, &mut Lookups::default(), now, scope, id, patch))
    }

    /// The seed's override: the same as an edit, limited to the override's fields.
    pub fn override_entry(&self, scope: &Scope, id: &ObjectId, input: &OverrideInput) -> Result<Entry> {
        self.edit_entry(scope, id, &EntryPatch::from(input.clone()))
    }

    /// Soft-deletes an editable entry; its sources return to the unassigned pool.
    pub fn delete_entry(&self, scope: &Scope, id: &ObjectId) -> Result<Entry> {
        self.write(|c, now| {
            let mut lk = Lookups::default();
            let (pk, e) = store::find_scoped(c, &mut lk, &scope.customer, Some(&scope.user), id)?;
            delete_in_tx(c, &mut lk, now, scope, pk, e, &self.stats)
        })
    }

    /// Releases an entry whose rules pass; a failing entry answers `ValidationFailed` with its rules.
    pub fn release_entry(&self, scope: &Scope, id: &ObjectId) -> Result<Entry> {
        self.write(|c, now| {
            let mut lk = Lookups::default();
            settle_running_timer(c, &mut lk, now, &scope.customer, &scope.user, &self.stats)?;
            let (pk, mut e) = store::find_scoped(c, &mut lk, &scope.customer, Some(&scope.user), id)?;
            release_in_tx(c, &mut lk, now, scope, pk, &mut e)?;
            Ok(e)
        })
    }

    /// Releases every editable entry of a day: all or nothing, or the ready subset.
    pub fn release_day(&self, scope: &Scope, work_date: Date, mode: ReleaseDayMode) -> Result<ReleaseDayResult> {
        self.write(|c, now| {
            let mut lk = Lookups::default();
            settle_running_timer(c, &mut lk, now, &scope.customer, &scope.user, &self.stats)?;
            // `+id`: the same order, but SQLite then reads the day through `entries_by_user_day`
            // instead of walking every entry of the customer in id order to avoid a sort.
            let sql = format!(
                "SELECT {} FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND work_date = ?3 AND is_deleted = 0 AND is_locked = 0 ORDER BY +id",
                store::ENTRY_COLUMNS
            );
            let mut ready = Vec::new();
            let mut not_ready = Vec::new();
            for (pk, mut probe) in store::query_entries_with_pk(c, &mut lk, &sql, params![scope.customer, scope.user, work_date.to_string()])? {
                if !probe.status.is_editable() {
                    continue;
                }
                // Settled once here; the release below applies this verdict (nothing it depends
                // on changes in between: releasing one entry never changes another's rules).
                match settled_verdict(c, &mut lk, now, &mut probe)? {
                    Verdict::Succeeded => ready.push((pk, probe)),
                    Verdict::Failed(errors) => not_ready.push(NotReady { entry_id: probe.id, errors }),
                    Verdict::Pending => not_ready.push(NotReady { entry_id: probe.id, errors: vec![pending_failure(&probe)] }),
                }
            }
            if mode == ReleaseDayMode::AllOrNothing && !not_ready.is_empty() {
                return Ok(ReleaseDayResult { released: Vec::new(), not_ready });
            }
            let mut released = Vec::with_capacity(ready.len());
            for (pk, mut e) in ready {
                release_settled(c, &mut lk, now, scope, pk, &mut e, Verdict::Succeeded)?;
                released.push(e.id);
            }
            Ok(ReleaseDayResult { released, not_ready })
        })
    }

    /// The connector reports a successful release (a repeat with the same PMS id is a no-op).
    /// `user` narrows the scope when the route names the user.
    pub fn release_succeeded(
        &self,
        customer: &ObjectId,
        user: Option<&ObjectId>,
        id: &ObjectId,
        external_id: Option<&str>,
        re_release_failed_messages: Option<&[String]>,
    ) -> Result<Entry> {
        check_release_succeeded(external_id, re_release_failed_messages)?;
        self.write(|c, now| release_succeeded_in_tx(c, &mut Lookups::default(), now, customer, user, id, external_id, re_release_failed_messages))
    }

    /// Batch release-succeeded: one result per item, in input order; one bad item never fails
    /// the others (each item has its own savepoint).
    pub fn release_succeeded_batch(&self, customer: &ObjectId, items: &[ReleaseSucceededItem]) -> Result<Vec<BatchItemResult>> {
        if items.len() > MAX_BATCH_ITEMS {
            return Err(TenthsError::TooLarge { reason: format!("at most {MAX_BATCH_ITEMS} items per batch") });
        }
        self.write(|c, now| {
            let mut lk = Lookups::default();
            let mut results = Vec::with_capacity(items.len());
            for item in items {
                c.execute_batch("SAVEPOINT item")?;
                let outcome = (|| {
                    let id = ObjectId::parse_field(&item.entry_id, "entryId")?;
                    let user = item.user_id.as_deref().map(|u| ObjectId::parse_field(u, "userId")).transpose()?;
                    check_release_succeeded(item.external_id.as_deref(), item.re_release_failed_messages.as_deref())?;
                    release_succeeded_in_tx(
                        c,
                        &mut lk,
                        now,
                        customer,
                        user.as_ref(),
                        &id,
                        item.external_id.as_deref(),
                        item.re_release_failed_messages.as_deref(),
                    )
                })();
                match outcome {
                    Ok(_) => {
                        c.execute_batch("RELEASE item")?;
                        results.push(BatchItemResult { entry_id: item.entry_id.clone(), status: "ok".into(), error: None });
                    }
                    Err(e) => {
                        c.execute_batch("ROLLBACK TO item; RELEASE item")?;
                        if matches!(e, TenthsError::Storage { .. } | TenthsError::Closed) {
                            return Err(e);
                        }
                        results.push(BatchItemResult { entry_id: item.entry_id.clone(), status: e.kind().code().into(), error: Some(e.to_string()) });
                    }
                }
            }
            Ok(results)
        })
    }

    /// The connector reports a failed release with the PMS messages (at least one).
    pub fn release_failed(&self, customer: &ObjectId, user: Option<&ObjectId>, id: &ObjectId, errors: &[String]) -> Result<Entry> {
        if errors.is_empty() {
            return Err(TenthsError::invalid("errors", "at least one error message is required"));
        }
        if errors.len() > MAX_BATCH_ITEMS {
            return Err(TenthsError::invalid("errors", format!("at most {MAX_BATCH_ITEMS} messages")));
        }
        for (i, m) in errors.iter().enumerate() {
            if is_blank(m) {
                return Err(TenthsError::invalid(format!("errors[{i}]"), "must not be empty"));
            }
            check_text(m, &format!("errors[{i}]"), MAX_TEXT_BYTES)?;
        }
        self.write(|c, now| {
            let mut lk = Lookups::default();
            let (pk, mut e) = store::find_scoped(c, &mut lk, customer, user, id)?;
            let settings = lk.settings(c, customer)?;
            decide(&e, &Operation::ReleaseFailed, &settings)?;
            e.status = Status::ReleaseFailed;
            e.is_locked = false;
            e.last_release_failed_at = Some(now);
            e.release_failed_errors =
                errors.iter().map(|m| ReleaseFailure { original_message: m.clone(), title: "Rejected by the PMS".into(), description: m.clone() }).collect();
            e.validation_failed_errors.clear();
            touch(&mut e, now);
            store::save(c, pk, &e)?;
            Ok(e)
        })
    }

    /// Takes a release back: unlocks and re-validates; keeps `externalId` and `releaseCount`.
    pub fn unrelease(&self, scope: &Scope, id: &ObjectId) -> Result<Entry> {
        self.write(|c, now| {
            let mut lk = Lookups::default();
            let (pk, e) = store::find_scoped(c, &mut lk, &scope.customer, Some(&scope.user), id)?;
            unrelease_in_tx(c, &mut lk, now, scope, pk, e)
        })
    }

    // ----- timers ----------------------------------------------------------------------------

    /// Starts a timer: a new timer entry with a running session. The user's other running timer
    /// is stopped in the same transaction.
    pub fn start_timer(&self, scope: &Scope, input: &TimerStart) -> Result<Entry> {
        if let Some(s) = &input.summary {
            check_text(s, "summary", MAX_TEXT_BYTES)?;
        }
        self.write(|c, now| {
            let mut lk = Lookups::default();
            stop_running_timer(c, &mut lk, now, &scope.customer, &scope.user, &self.stats)?;
            let new = NewEntry {
                id: input.id,
                initiative_id: input.initiative_id,
                summary: input.summary.clone(),
                creation_method: Some("timer".into()),
                ..NewEntry::default()
            };
            lk.ensure_user(c, &scope.customer, &scope.user, now)?;
            let zone = lk.zone(c, &scope.customer, &scope.user)?;
            let mut e = blank_entry(scope, &new, now, now.local_date(zone));
            e.created_as_timer = true;
            if store::pk_of(c, &scope.customer, &e.id)?.is_some() {
                return Err(TenthsError::conflict("an entry with this _id already exists"));
            }
            let pk = store::insert(c, &e, None)?;
            let session = Source { id: ObjectId::generate(now.millis() / 1000), kind: SourceKind::Timer, started_at: now, ended_at: None, title: None };
            store::insert_source(c, &scope.customer, &scope.user, pk, &session)?;
            e.sources = vec![session];
            store::settle_and_save(c, &mut lk, now, pk, &mut e)?;
            Ok(e)
        })
    }

    /// Stops the entry's running session (at the end of its local day if it ran past midnight).
    pub fn stop_timer(&self, scope: &Scope, id: &ObjectId) -> Result<Entry> {
        self.write(|c, now| {
            let mut lk = Lookups::default();
            let (pk, e) = store::find_scoped(c, &mut lk, &scope.customer, Some(&scope.user), id)?;
            let settings = lk.settings(c, &scope.customer)?;
            decide(&e, &Operation::Edit, &settings)?;
            match store::running_session(c, &scope.customer, &scope.user)? {
                Some((source_pk, Some(entry_pk), started)) if entry_pk == pk => {
                    let zone = lk.zone(c, &scope.customer, &scope.user)?;
                    let cap = started.local_date(zone).last_millisecond_in(zone);
                    store::close_session(c, source_pk, now.min(cap))?;
                    let mut e = e;
                    after_sources_changed(c, &mut lk, now, scope, pk, &mut e, &self.stats)?;
                    Ok(e)
                }
                _ => Err(TenthsError::conflict("the timer of this entry is not running")),
            }
        })
    }

    /// Resumes a timer entry on its own local day (a new session); stops the user's other timer.
    pub fn resume_timer(&self, scope: &Scope, id: &ObjectId) -> Result<Entry> {
        self.write(|c, now| {
            let mut lk = Lookups::default();
            settle_running_timer(c, &mut lk, now, &scope.customer, &scope.user, &self.stats)?;
            let (pk, e) = store::find_scoped(c, &mut lk, &scope.customer, Some(&scope.user), id)?;
            if !e.created_as_timer {
                return Err(TenthsError::conflict("only a timer entry can be resumed"));
            }
            if e.timer_running() {
                return Err(TenthsError::conflict("the timer is already running"));
            }
            let settings = lk.settings(c, &scope.customer)?;
            let transition = decide(&e, &Operation::Edit, &settings)?;
            let zone = lk.zone(c, &scope.customer, &scope.user)?;
            if now.local_date(zone) != e.work_date {
                return Err(TenthsError::conflict(format!("a timer resumes only on its own day ({}); start a new timer", e.work_date)));
            }
            stop_running_timer(c, &mut lk, now, &scope.customer, &scope.user, &self.stats)?;
            let (_, mut e) = store::find_scoped(c, &mut lk, &scope.customer, Some(&scope.user), id)?;
            if transition == Transition::UnreleaseThenRevalidate {
                e.is_locked = false;
                e.status = Status::ValidationPending;
            }
            let session = Source { id: ObjectId::generate(now.millis() / 1000), kind: SourceKind::Timer, started_at: now, ended_at: None, title: None };
            store::insert_source(c, &scope.customer, &scope.user, pk, &session)?;
            after_sources_changed(c, &mut lk, now, scope, pk, &mut e, &self.stats)?;
            Ok(e)
        })
    }

    // ----- sync (docs/sync.md) ---------------------------------------------------------------

    /// Device: the next push batch for `(customer, user)` (at most `limit` operations). The same
    /// batch, with the same operation ids, is returned again until [`Engine::sync_complete_push`]
    /// settles it, so a batch lost in transit or in a crash is resent as it was. Empty when
    /// nothing is pending.
    pub fn sync_prepare_push(&self, customer: &ObjectId, user: &ObjectId, limit: usize) -> Result<crate::sync::PushBatch> {
        self.write(|c, now| crate::sync::device::prepare_push(c, &mut Lookups::default(), now, customer, user, limit, &self.stats))
    }

    /// Device: settles the server's answer to the in-flight batch (see [`crate::sync`]).
    pub fn sync_complete_push(&self, customer: &ObjectId, user: &ObjectId, response: &crate::sync::PushResponse) -> Result<crate::sync::PushSummary> {
        self.write(|c, now| crate::sync::device::complete_push(c, &mut Lookups::default(), now, customer, user, response, &self.stats))
    }

    /// Device: what to ask the server for next (the saved cursor).
    pub fn sync_pull_request(&self, customer: &ObjectId, user: &ObjectId, limit: usize) -> Result<crate::sync::PullRequest> {
        let after = self.read(|c, _| crate::sync::device::cursor(c, customer, user))?;
        Ok(crate::sync::PullRequest { after, limit: limit.clamp(1, crate::sync::MAX_SYNC_BATCH) })
    }

    /// Device: applies one page of the server's feed; idempotent, the cursor saved with the data.
    pub fn sync_apply_pull(&self, customer: &ObjectId, user: &ObjectId, page: &crate::sync::PullPage) -> Result<crate::sync::PullSummary> {
        self.write(|c, now| crate::sync::device::apply_pull(c, &mut Lookups::default(), now, customer, user, page, &self.stats))
    }

    /// Device: pushes until nothing is pending, then pulls until the feed is exhausted, through
    /// `transport`. A transport failure or a refused request stops the run with an error that
    /// [`Engine::sync_status`] keeps; the next run takes up where this one stopped.
    pub fn sync(&self, transport: &dyn crate::sync::Transport, customer: &ObjectId, user: &ObjectId) -> Result<crate::sync::SyncReport> {
        let outcome = crate::sync::run(self, transport, customer, user);
        let error = outcome.as_ref().err().map(|e| e.to_string());
        self.write(|c, now| crate::sync::device::record_outcome(c, now, customer, user, error.as_deref()))?;
        outcome
    }

    /// Device: pending count, oldest pending change, quarantined changes, last error.
    pub fn sync_status(&self, customer: &ObjectId, user: &ObjectId) -> Result<crate::sync::SyncStatus> {
        self.read(|c, _| crate::sync::device::status(c, customer, user))
    }

    /// Device: the local changes the server refused.
    pub fn sync_quarantined(&self, customer: &ObjectId) -> Result<Vec<crate::sync::Quarantined>> {
        self.read(|c, _| crate::sync::device::quarantined(c, customer))
    }

    /// Device: puts a quarantined change back in the push queue.
    pub fn sync_retry(&self, customer: &ObjectId, entry_id: &ObjectId) -> Result<()> {
        self.write(|c, now| crate::sync::device::retry(c, &mut Lookups::default(), now, customer, entry_id, &self.stats))
    }

    /// Device: drops the entry's unsent and quarantined changes; the server's copy is restored.
    pub fn sync_discard_local_changes(&self, customer: &ObjectId, entry_id: &ObjectId) -> Result<()> {
        self.write(|c, now| crate::sync::device::discard_local_changes(c, &mut Lookups::default(), now, customer, entry_id, &self.stats))
    }

    /// Device: the conflict log (local values that lost to the server's), oldest first.
    pub fn sync_conflicts(&self, customer: &ObjectId) -> Result<Vec<crate::sync::ConflictRecord>> {
        self.read(|c, _| crate::sync::device::conflicts(c, customer))
    }

    /// Server: applies a device's push for `scope`'s user (the route `POST …/sync/push`).
    pub fn sync_apply_push(&self, scope: &Scope, batch: &crate::sync::PushBatch) -> Result<crate::sync::PushResponse> {
        self.write(|c, now| crate::sync::server::apply_push(c, &mut Lookups::default(), now, scope, batch, &self.stats))
    }

    /// Server: one page of the user's changes after `after` (the route `GET …/sync/changes`).
    pub fn sync_changes(&self, customer: &ObjectId, user: &ObjectId, after: crate::sync::PullCursor, limit: usize) -> Result<crate::sync::PullPage> {
        self.read(|c, _| crate::sync::server::changes(c, &mut Lookups::default(), customer, user, after, limit))
    }

    // ----- listing and export ----------------------------------------------------------------

    /// Every entry of the customer updated in the window (v1; deleted ones included), by
    /// update time then id.
    pub fn list_updated(&self, customer: &ObjectId, window: Window) -> Result<Vec<Entry>> {
        self.read(|c, _| {
            let sql =
                format!("SELECT {} FROM entries WHERE customer_id = ?1 AND updated_at > ?2 AND updated_at <= ?3 ORDER BY updated_at, id", store::ENTRY_COLUMNS);
            store::query_entries(c, &sql, params![customer, window.after.millis(), window.on_or_before.millis()])
        })
    }

    /// One page of entries updated in the window (v2), by id after `cursor`.
    pub fn list_updated_page(&self, customer: &ObjectId, window: Window, page_size: usize, cursor: Option<&ObjectId>) -> Result<Page<Entry>> {
        check_page_size(page_size)?;
        self.read(|c, _| {
            let sql = format!(
                "SELECT {} FROM entries WHERE customer_id = ?1 AND updated_at > ?2 AND updated_at <= ?3 AND id > ?4 ORDER BY id LIMIT ?5",
                store::ENTRY_COLUMNS
            );
            page(c, &sql, customer, window, page_size, cursor)
        })
    }

    /// Every entry released in the window and still released (v1 export).
    pub fn export_released(&self, customer: &ObjectId, window: Window) -> Result<Vec<Entry>> {
        self.read(|c, _| {
            let sql = format!(
                "SELECT {} FROM entries WHERE customer_id = ?1 AND last_release_pending_at > ?2 AND last_release_pending_at <= ?3 AND is_deleted = 0
                   AND status IN ('release-pending', 'release-succeeded') ORDER BY id",
                store::ENTRY_COLUMNS
            );
            store::query_entries(c, &sql, params![customer, window.after.millis(), window.on_or_before.millis()])
        })
    }

    /// One page of the export window (v2), by id after `cursor`.
    pub fn export_released_page(&self, customer: &ObjectId, window: Window, page_size: usize, cursor: Option<&ObjectId>) -> Result<Page<Entry>> {
        check_page_size(page_size)?;
        self.read(|c, _| {
            // The first page starts at the window's smallest id (not at the customer's first),
            // and stops at its largest.
            let (low, high) = match cursor {
                Some(_) => (String::new(), ID_CEILING.to_string()),
                None => match export_bounds(c, customer, window)? {
                    Some(b) => b,
                    None => return Ok(Page { items: Vec::new(), next_cursor: None }),
                },
            };
            let limit = i64::try_from(page_size).unwrap_or(100).saturating_add(1);
            let after = cursor.map(|c| c.to_string()).unwrap_or_default();
            let mut items =
                store::query_entries(c, &export_page_sql(), params![customer, window.after.millis(), window.on_or_before.millis(), after, limit, low, high])?;
            let next_cursor = if items.len() > page_size {
                items.truncate(page_size);
                items.last().map(|e| e.id)
            } else {
                None
            };
            Ok(Page { items, next_cursor })
        })
    }

    /// The export window as CSV (header row, one row per entry, RFC 4180), written page by page
    /// so memory stays flat however large the window. The whole window is read in one snapshot,
    /// and each matter is read once for the whole export.
    pub fn export_csv(&self, customer: &ObjectId, window: Window, out: &mut dyn std::io::Write) -> Result<u64> {
        let io = |e: std::io::Error| TenthsError::Storage { reason: format!("cannot write the export: {e}") };
        out.write_all(wire::csv_header().as_bytes()).map_err(io)?;
        self.read(|c, _| {
            let Some((low, high)) = export_bounds(c, customer, window)? else { return Ok(0) };
            let sql = export_page_sql();
            let mut lk = Lookups::default();
            let page_size = i64::try_from(MAX_PAGE_SIZE).unwrap_or(100);
            let mut cursor = String::new();
            let mut rows = 0u64;
            let mut buf = String::new();
            loop {
                let page = store::query_entries_without_sources(
                    c,
                    &mut lk,
                    &sql,
                    params![customer, window.after.millis(), window.on_or_before.millis(), cursor, page_size, low, high],
                )?;
                buf.clear();
                for (_, e) in &page {
                    wire::push_csv_row(&mut buf, e);
                    rows += 1;
                }
                out.write_all(buf.as_bytes()).map_err(io)?;
                match page.last() {
                    Some((_, e)) if page.len() == MAX_PAGE_SIZE => cursor = e.id.to_string(),
                    _ => break,
                }
            }
            Ok(rows)
        })
    }

    /// Totals per user, work date and matter of live entries with a work date in `from..=to`,
    /// for one user or (with `None`) every user of the customer.
    pub fn totals(&self, customer: &ObjectId, user: Option<&ObjectId>, from: Date, to: Date) -> Result<Vec<Total>> {
        if to < from {
            return Err(TenthsError::invalid("workDateTo", "is before workDateFrom"));
        }
        self.read(|c, _| {
            // Two statements: `(?2 IS NULL OR user_id = ?2)` in one would keep the planner from
            // the (customer, user, work date) index, so one user's totals scanned the customer.
            let mut stmt = c.prepare_cached(if user.is_some() {
                "SELECT user_id, work_date, initiative_id, count(*), sum(units_from_sources + units_adjustments), sum((units_from_sources + units_adjustments) * unit_increments)
                 FROM entries WHERE customer_id = ?1 AND user_id = ?2 AND work_date >= ?3 AND work_date <= ?4 AND is_deleted = 0
                 GROUP BY user_id, work_date, initiative_id ORDER BY user_id, work_date, initiative_id"
            } else {
                "SELECT user_id, work_date, initiative_id, count(*), sum(units_from_sources + units_adjustments), sum((units_from_sources + units_adjustments) * unit_increments)
                 FROM entries WHERE customer_id = ?1 AND ?2 IS NULL AND work_date >= ?3 AND work_date <= ?4 AND is_deleted = 0
                 GROUP BY user_id, work_date, initiative_id ORDER BY user_id, work_date, initiative_id"
            })?;
            let rows = stmt.query_map(params![customer, user, from.to_string(), to.to_string()], |r| {
                Ok((r.get::<_, ObjectId>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<ObjectId>>(2)?, r.get::<_, i64>(3)?, r.get::<_, i64>(4)?, r.get::<_, i64>(5)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (user_id, day, initiative_id, entries, units, seconds) = row?;
                out.push(Total { user_id, work_date: Date::parse(&day)?, initiative_id, entries, unit_increment_count: units, increment_duration_in_seconds: seconds });
            }
            Ok(out)
        })
    }
}

// ----- helpers (inside a write transaction) ---------------------------------------------------

fn prefix_field(e: TenthsError, prefix: &str) -> TenthsError {
    match e {
        TenthsError::InvalidArgument { field, reason } => TenthsError::InvalidArgument { field: format!("{prefix}.{field}"), reason },
        other => other,
    }
}

fn check_page_size(n: usize) -> Result<()> {
    if !(1..=MAX_PAGE_SIZE).contains(&n) {
        return Err(TenthsError::invalid("pageSize", format!("must be between 1 and {MAX_PAGE_SIZE}")));
    }
    Ok(())
}

fn page(c: &Connection, sql: &str, customer: &ObjectId, window: Window, page_size: usize, cursor: Option<&ObjectId>) -> Result<Page<Entry>> {
    let limit = i64::try_from(page_size).unwrap_or(100).saturating_add(1);
    let after = cursor.map(|c| c.to_string()).unwrap_or_default();
    let mut items = store::query_entries(c, sql, params![customer, window.after.millis(), window.on_or_before.millis(), after, limit])?;
    let next_cursor = if items.len() > page_size {
        items.truncate(page_size);
        items.last().map(|e| e.id)
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// Greater than every id (ids are lower-case hexadecimal).
const ID_CEILING: &str = "g";

/// A page of the export window by id after `?4`, inside the id bounds `?6..=?7`.
fn export_page_sql() -> String {
    format!(
        "SELECT {} FROM entries WHERE customer_id = ?1 AND last_release_pending_at > ?2 AND last_release_pending_at <= ?3 AND id > ?4 AND id >= ?6 AND id <= ?7
           AND is_deleted = 0 AND status IN ('release-pending', 'release-succeeded') ORDER BY id LIMIT ?5",
        store::ENTRY_COLUMNS
    )
}

/// The smallest and largest id of the export window (`None` when it is empty), read through the
/// release-time index: the pages by id then walk only the window's id range, not the customer's.
fn export_bounds(c: &Connection, customer: &ObjectId, window: Window) -> Result<Option<(String, String)>> {
    let row: (Option<String>, Option<String>) = c
        .prepare_cached(
            "SELECT min(id), max(id) FROM entries INDEXED BY entries_by_release WHERE customer_id = ?1 AND last_release_pending_at > ?2
               AND last_release_pending_at <= ?3 AND is_deleted = 0 AND status IN ('release-pending', 'release-succeeded')",
        )?
        .query_row(params![customer, window.after.millis(), window.on_or_before.millis()], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(match row {
        (Some(low), Some(high)) => Some((low, high)),
        _ => None,
    })
}

fn entry_id_of(c: &Connection, pk: i64) -> Result<ObjectId> {
    Ok(c.prepare_cached("SELECT id FROM entries WHERE pk = ?1")?.query_row(params![pk], |r| r.get(0))?)
}

fn touch(e: &mut Entry, now: Timestamp) {
    e.updated_at = now.max(e.updated_at);
    e.version = e.version.saturating_add(1);
}

fn state_of(e: &Entry) -> EntryState {
    EntryState { status: e.status, locked: e.is_locked, deleted: e.is_deleted, external_id: e.external_id.clone() }
}

pub(crate) fn decide(e: &Entry, op: &Operation, settings: &CustomerSettings) -> Result<Transition> {
    let state = state_of(e);
    status::transition(&state, op, MachineSettings { allow_post_release_edit: settings.allow_post_release_edit })
        .map_err(|r| status::refusal_error(r, &state, op, e.id.as_str()))
}

fn pending_failure(e: &Entry) -> crate::error::RuleFailure {
    let description = if e.timer_running() { "Stop the running timer first." } else { "The entry's matter is not known on this device yet." };
    crate::error::RuleFailure { rule: "pending".into(), title: "Waiting for data".into(), description: description.into() }
}

fn fresh_verdict(c: &Connection, lk: &mut Lookups, now: Timestamp, e: &Entry) -> Result<Verdict> {
    let initiative = match &e.initiative_id {
        Some(id) => lk.initiative(c, &e.customer_id, id)?,
        None => None,
    };
    store::verdict(c, lk, now, e, initiative.as_deref())
}

/// Settles an editable, unlocked entry and answers the verdict a release checks: the one the
/// settling applied, else (an editable entry left as it is) a fresh one, else (not editable)
/// `Succeeded`.
fn settled_verdict(c: &Connection, lk: &mut Lookups, now: Timestamp, e: &mut Entry) -> Result<Verdict> {
    let applied = if e.status.is_editable() && !e.is_locked { store::settle(c, lk, now, e)? } else { None };
    match applied {
        Some(v) => Ok(v),
        None if e.status.is_editable() => fresh_verdict(c, lk, now, e),
        None => Ok(Verdict::Succeeded),
    }
}

pub(crate) fn release_in_tx(c: &Connection, lk: &mut Lookups, now: Timestamp, scope: &Scope, pk: i64, e: &mut Entry) -> Result<()> {
    let verdict = settled_verdict(c, lk, now, e)?;
    release_settled(c, lk, now, scope, pk, e, verdict)
}

/// Releases an entry already settled by [`settled_verdict`], which answered `verdict`.
fn release_settled(c: &Connection, lk: &mut Lookups, now: Timestamp, scope: &Scope, pk: i64, e: &mut Entry, verdict: Verdict) -> Result<()> {
    let settings = lk.settings(c, &scope.customer)?;
    let state = state_of(e);
    let op = Operation::Release { rules_pass: verdict == Verdict::Succeeded };
    match status::transition(&state, &op, MachineSettings { allow_post_release_edit: settings.allow_post_release_edit }) {
        Ok(_) => {}
        Err(Refusal::RulesFail) => {
            return Err(match verdict {
                Verdict::Failed(failures) => TenthsError::ValidationFailed { failures },
                _ => TenthsError::conflict(format!("the entry is waiting for data: {}", pending_failure(e).description)),
            })
        }
        Err(r) => return Err(status::refusal_error(r, &state, &op, e.id.as_str())),
    }
    e.status = Status::ReleasePending;
    e.is_locked = true;
    e.release_count = e.release_count.saturating_add(1);
    e.last_release_pending_at = Some(now);
    e.released_by = Some(scope.actor);
    e.validation_failed_errors.clear();
    e.release_failed_errors.clear();
    touch(e, now);
    store::save(c, pk, e)
}

fn check_release_succeeded(external_id: Option<&str>, messages: Option<&[String]>) -> Result<()> {
    if let Some(x) = external_id {
        check_external_id(x, "externalId")?;
    }
    if let Some(list) = messages {
        if list.len() > MAX_BATCH_ITEMS {
            return Err(TenthsError::invalid("reReleaseFailedMessages", format!("at most {MAX_BATCH_ITEMS} messages")));
        }
        for (i, m) in list.iter().enumerate() {
            check_text(m, &format!("reReleaseFailedMessages[{i}]"), MAX_TEXT_BYTES)?;
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn release_succeeded_in_tx(
    c: &Connection,
    lk: &mut Lookups,
    now: Timestamp,
    customer: &ObjectId,
    user: Option<&ObjectId>,
    id: &ObjectId,
    external_id: Option<&str>,
    messages: Option<&[String]>,
) -> Result<Entry> {
    let (pk, mut e) = store::find_scoped(c, lk, customer, user, id)?;
    let settings = lk.settings(c, customer)?;
    let op = Operation::ReleaseSucceeded { external_id: external_id.map(str::to_string) };
    match decide(&e, &op, &settings)? {
        Transition::NoChange => Ok(e),
        _ => {
            e.status = Status::ReleaseSucceeded;
            e.is_locked = true;
            e.release_success_at = Some(now);
            e.last_synced_at = Some(now);
            if let Some(x) = external_id {
                e.external_id = Some(x.to_string());
            }
            if let Some(m) = messages {
                e.re_release_failed_messages = m.to_vec();
            }
            e.release_failed_errors.clear();
            touch(&mut e, now);
            store::save(c, pk, &e)?;
            Ok(e)
        }
    }
}

fn check_new_entry(input: &NewEntry) -> Result<()> {
    if let Some(s) = &input.summary {
        check_text(s, "summary", MAX_TEXT_BYTES)?;
    }
    if let Some(s) = &input.notes {
        check_text(s, "notes", MAX_TEXT_BYTES)?;
    }
    if let Some(m) = &input.creation_method {
        if is_blank(m) || m.chars().count() > 64 || m.contains('\0') {
            return Err(TenthsError::invalid("creationMethod", "must be 1 to 64 characters, not blank, without NUL"));
        }
    }
    if let Some(x) = &input.enrichment_correlation_id {
        check_external_id(x, "enrichmentCorrelationId")?;
    }
    if input.duration_in_seconds.is_some() && !input.sources.is_empty() {
        return Err(TenthsError::invalid("durationInSeconds", "give either durationInSeconds or sources, not both"));
    }
    if let Some(d) = input.duration_in_seconds {
        if !(0..=MAX_ENTERED_DURATION_SECONDS).contains(&d) {
            return Err(TenthsError::invalid("durationInSeconds", format!("must be between 0 and {MAX_ENTERED_DURATION_SECONDS}")));
        }
    }
    if input.sources.len() > MAX_SOURCES_PER_ENTRY {
        return Err(TenthsError::invalid("sources", format!("at most {MAX_SOURCES_PER_ENTRY} sources")));
    }
    for (i, s) in input.sources.iter().enumerate() {
        let len = s.ended_at.millis() - s.started_at.millis();
        if len <= 0 {
            return Err(TenthsError::invalid(format!("sources[{i}].endedAt"), "must be after startedAt"));
        }
        if len > MAX_SOURCE_MILLIS {
            return Err(TenthsError::invalid(format!("sources[{i}].endedAt"), "a source may last at most 25 hours"));
        }
        if let Some(t) = &s.title {
            check_text(t, &format!("sources[{i}].title"), MAX_NAME_BYTES)?;
        }
    }
    if input.code_ids.len() > MAX_CODES_PER_ENTRY {
        return Err(TenthsError::invalid("codeIds", format!("at most {MAX_CODES_PER_ENTRY} codes")));
    }
    Ok(())
}

fn check_patch(p: &EntryPatch) -> Result<()> {
    if let Some(s) = &p.summary {
        check_text(s, "summary", MAX_TEXT_BYTES)?;
    }
    if let Some(s) = &p.notes {
        check_text(s, "notes", MAX_TEXT_BYTES)?;
    }
    if let Some(a) = p.unit_increment_count_adjustments {
        if !(-MAX_ADJUSTMENT_UNITS..=MAX_ADJUSTMENT_UNITS).contains(&a) {
            return Err(TenthsError::invalid("unitIncrementCountAdjustments", format!("must be between -{MAX_ADJUSTMENT_UNITS} and {MAX_ADJUSTMENT_UNITS}")));
        }
    }
    if let Some(a) = p.timer_duration_adjustment_in_seconds {
        if !(-MAX_TIMER_ADJUSTMENT_SECONDS..=MAX_TIMER_ADJUSTMENT_SECONDS).contains(&a) {
            return Err(TenthsError::invalid(
                "timerDurationAdjustmentInSeconds",
                format!("must be between -{MAX_TIMER_ADJUSTMENT_SECONDS} and {MAX_TIMER_ADJUSTMENT_SECONDS}"),
            ));
        }
    }
    if let Some(ids) = &p.code_ids {
        if ids.len() > MAX_CODES_PER_ENTRY {
            return Err(TenthsError::invalid("codeIds", format!("at most {MAX_CODES_PER_ENTRY} codes")));
        }
    }
    Ok(())
}

fn blank_entry(scope: &Scope, input: &NewEntry, now: Timestamp, work_date: Date) -> Entry {
    Entry {
        id: input.id.unwrap_or_else(|| ObjectId::generate(now.millis() / 1000)),
        customer_id: scope.customer,
        user_id: scope.user,
        created_by: Some(scope.actor),
        released_by: None,
        external_id: None,
        enrichment_correlation_id: input.enrichment_correlation_id.clone(),
        summary: input.summary.clone().unwrap_or_default(),
        notes: input.notes.clone(),
        work_date,
        initiative_id: input.initiative_id,
        initiative: None,
        codes: Vec::new(),
        creation_method: input.creation_method.clone().unwrap_or_else(|| if input.sources.is_empty() { "manual".into() } else { "grouped".into() }),
        created_as_timer: false,
        timer_duration_adjustment_in_seconds: 0,
        entered_duration_in_seconds: input.duration_in_seconds,
        raw_seconds: 0,
        unit_increments: 360,
        unit_increment_count_from_sources: 0,
        unit_increment_count_adjustments: 0,
        overlap_time_in_seconds: 0,
        status: Status::ValidationPending,
        validation_failed_errors: Vec::new(),
        release_failed_errors: Vec::new(),
        re_release_failed_messages: Vec::new(),
        is_locked: false,
        is_deleted: false,
        release_count: 0,
        last_release_pending_at: None,
        last_release_failed_at: None,
        release_success_at: None,
        last_synced_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
        sources: Vec::new(),
    }
}

/// Creates one entry inside a transaction; returns (pk, id, created). A repeated create with
/// the same device id and body returns the stored entry with `created = false`. `fresh` says
/// the caller already knows the device id is not stored (a batch checks its ids at once).
///
/// The entry is settled in memory and stored once, settled, with its overlap. The create body
/// is kept only when it carries a device id: a repeat is recognised by that id alone, so a body
/// without one can never be compared again.
#[allow(clippy::too_many_arguments)]
fn create_in_tx(
    c: &Connection,
    lk: &mut Lookups,
    inserter: &mut store::Inserter<'_>,
    now: Timestamp,
    scope: &Scope,
    input: &NewEntry,
    fresh: bool,
    stats: &Stats,
) -> Result<(i64, ObjectId, bool)> {
    let request = match &input.id {
        None => None,
        Some(id) => {
            let request = serde_json::to_string(input).map_err(|e| TenthsError::Storage { reason: e.to_string() })?;
            if let Some(pk) = if fresh { None } else { store::pk_of(c, &scope.customer, id)? } {
                return if store::create_request(c, pk)?.as_deref() == Some(request.as_str()) {
                    Ok((pk, *id, false))
                } else {
                    Err(TenthsError::conflict("an entry with this _id already exists with another body"))
                };
            }
            Some(request)
        }
    };
    lk.ensure_user(c, &scope.customer, &scope.user, now)?;
    let zone = lk.zone(c, &scope.customer, &scope.user)?;
    let work_date = match input.work_date {
        Some(d) => d,
        None => input.sources.iter().map(|s| s.started_at).min().unwrap_or(now).local_date(zone),
    };
    let mut e = blank_entry(scope, input, now, work_date);
    e.codes = store::resolve_codes(c, lk, &scope.customer, &input.code_ids)?;
    e.sources = input
        .sources
        .iter()
        .map(|s| Source {
            id: ObjectId::generate(now.millis() / 1000),
            kind: s.kind,
            started_at: s.started_at,
            ended_at: Some(s.ended_at),
            title: s.title.clone(),
        })
        .collect();
    store::settle(c, lk, now, &mut e)?;
    let pk = inserter.insert_new(&mut e, request.as_deref(), stats)?;
    Ok((pk, e.id, true))
}

fn edit_in_tx(c: &Connection, lk: &mut Lookups, now: Timestamp, scope: &Scope, id: &ObjectId, patch: &EntryPatch) -> Result<Entry> {
    let (pk, mut e) = store::find_scoped(c, lk, &scope.customer, Some(&scope.user), id)?;
    let settings = lk.settings(c, &scope.customer)?;
    if decide(&e, &Operation::Edit, &settings)? == Transition::UnreleaseThenRevalidate {
        e.is_locked = false;
        e.status = Status::ValidationPending;
    }
    if let Some(s) = &patch.summary {
        e.summary = s.clone();
    }
    if let Some(n) = &patch.notes {
        e.notes = if n.is_empty() { None } else { Some(n.clone()) };
    }
    if let Some(d) = patch.work_date {
        e.work_date = d;
    }
    if let Some(i) = patch.initiative_id {
        e.initiative_id = Some(i);
    }
    if let Some(a) = patch.unit_increment_count_adjustments {
        e.unit_increment_count_adjustments = a;
    }
    if let Some(a) = patch.timer_duration_adjustment_in_seconds {
        e.timer_duration_adjustment_in_seconds = a;
    }
    if let Some(ids) = &patch.code_ids {
        e.codes = store::resolve_codes(c, lk, &scope.customer, ids)?;
        store::replace_codes(c, pk, &e.codes)?;
    }
    touch(&mut e, now);
    store::settle_and_save(c, lk, now, pk, &mut e)?;
    Ok(e)
}

/// Soft-deletes an entry found in this transaction (the status machine decides).
pub(crate) fn delete_in_tx(c: &Connection, lk: &mut Lookups, now: Timestamp, scope: &Scope, pk: i64, mut e: Entry, stats: &Stats) -> Result<Entry> {
    let settings = lk.settings(c, &scope.customer)?;
    decide(&e, &Operation::Delete, &settings)?;
    if let Some((source_pk, Some(entry_pk), _)) = store::running_session(c, &scope.customer, &scope.user)? {
        if entry_pk == pk {
            store::close_session(c, source_pk, now)?;
        }
    }
    let touched = store::intervals(&store::sources_of(c, pk)?);
    store::release_sources_to_pool(c, pk)?;
    e.is_deleted = true;
    e.sources.clear();
    touch(&mut e, now);
    store::save(c, pk, &e)?;
    e.overlap_time_in_seconds = store::refresh_overlap(c, &scope.customer, &scope.user, pk, &touched, stats)?;
    Ok(e)
}

/// Takes back the release of an entry found in this transaction.
pub(crate) fn unrelease_in_tx(c: &Connection, lk: &mut Lookups, now: Timestamp, scope: &Scope, pk: i64, mut e: Entry) -> Result<Entry> {
    let settings = lk.settings(c, &scope.customer)?;
    decide(&e, &Operation::Unrelease, &settings)?;
    e.is_locked = false;
    e.status = Status::ValidationPending;
    touch(&mut e, now);
    store::settle_and_save(c, lk, now, pk, &mut e)?;
    Ok(e)
}

/// Creates an entry a device made offline, from its pushed copy: the device's id, fields,
/// sessions (with their ids) and creation time; the server's rules settle it. Stored through the
/// batch's `inserter` (its neighbours' overlap is refreshed when the batch finishes). Returns its
/// pk and the stored entry.
pub(crate) fn create_synced_in_tx(
    c: &Connection,
    lk: &mut Lookups,
    now: Timestamp,
    scope: &Scope,
    incoming: &crate::sync::SyncedEntry,
    inserter: &mut store::Inserter<'_>,
    stats: &Stats,
) -> Result<(i64, Entry)> {
    lk.ensure_user(c, &scope.customer, &scope.user, now)?;
    let new = NewEntry {
        id: Some(incoming.id),
        initiative_id: incoming.initiative_id,
        summary: Some(incoming.summary.clone()),
        notes: incoming.notes.clone(),
        creation_method: Some(incoming.creation_method.clone()),
        enrichment_correlation_id: incoming.enrichment_correlation_id.clone(),
        duration_in_seconds: incoming.entered_duration_in_seconds,
        ..NewEntry::default()
    };
    let mut e = blank_entry(scope, &new, incoming.created_at.min(now), incoming.work_date);
    e.updated_at = now;
    e.created_as_timer = incoming.created_as_timer;
    e.unit_increment_count_adjustments = incoming.unit_increment_count_adjustments;
    e.timer_duration_adjustment_in_seconds = incoming.timer_duration_adjustment_in_seconds;
    let code_ids: Vec<ObjectId> = incoming.codes.iter().map(|c| c.id).collect();
    e.codes = store::resolve_codes(c, lk, &scope.customer, &code_ids)?;
    e.sources = settle_incoming_sessions(c, lk, now, scope, &incoming.id, &incoming.sources, stats)?;
    store::settle(c, lk, now, &mut e)?;
    let pk = inserter.insert_new(&mut e, None, stats)?;
    Ok((pk, e))
}

/// Pushed sessions of entry `id` after the running-timer rule ([`crate::sync::resolve_running_timers`]):
/// when one of them runs while another entry of the user runs a timer here, the later start
/// keeps running and the other stops at that instant (capped at the end of its local day).
pub(crate) fn settle_incoming_sessions(
    c: &Connection,
    lk: &mut Lookups,
    now: Timestamp,
    scope: &Scope,
    id: &ObjectId,
    incoming: &[crate::sync::SyncedSource],
    stats: &Stats,
) -> Result<Vec<Source>> {
    let mut sources: Vec<Source> = incoming.iter().map(crate::sync::SyncedSource::to_source).collect();
    let Some(running) = sources.iter().position(|s| s.ended_at.is_none()) else { return Ok(sources) };
    let Some((source_pk, Some(entry_pk), started)) = store::running_session(c, &scope.customer, &scope.user)? else { return Ok(sources) };
    let other = entry_id_of(c, entry_pk)?;
    if other == *id {
        return Ok(sources);
    }
    let start = sources.get(running).map(|s| s.started_at).unwrap_or(now);
    match crate::sync::resolve_running_timers((started, other), (start, *id)) {
        crate::sync::TimerResolution::StopExisting { at } => close_session_settled(c, lk, now, scope, source_pk, entry_pk, started, at, stats)?,
        crate::sync::TimerResolution::StopIncoming { at } => {
            let zone = lk.zone(c, &scope.customer, &scope.user)?;
            if let Some(s) = sources.get_mut(running) {
                s.ended_at = Some(at.min(s.started_at.local_date(zone).last_millisecond_in(zone)));
            }
        }
    }
    Ok(sources)
}

/// Closes the running session `source_pk` (of entry `entry_pk`, started at `started`) at `at`,
/// capped at the end of its local day, and settles its entry.
#[allow(clippy::too_many_arguments)]
pub(crate) fn close_session_settled(
    c: &Connection,
    lk: &mut Lookups,
    now: Timestamp,
    scope: &Scope,
    source_pk: i64,
    entry_pk: i64,
    started: Timestamp,
    at: Timestamp,
    stats: &Stats,
) -> Result<()> {
    let zone = lk.zone(c, &scope.customer, &scope.user)?;
    store::close_session(c, source_pk, at.min(started.local_date(zone).last_millisecond_in(zone)).max(started))?;
    let id = entry_id_of(c, entry_pk)?;
    if let Some((pk, mut e)) = store::find(c, lk, &scope.customer, &id)? {
        let touched = store::intervals(&e.sources);
        touch(&mut e, now);
        store::settle_and_save(c, lk, now, pk, &mut e)?;
        store::refresh_overlap(c, &scope.customer, &scope.user, pk, &touched, stats)?;
    }
    Ok(())
}

/// Re-reads the sources of an entry after a session opened or closed, settles and saves it,
/// and refreshes overlap around the old and new intervals.
fn after_sources_changed(c: &Connection, lk: &mut Lookups, now: Timestamp, scope: &Scope, pk: i64, e: &mut Entry, stats: &Stats) -> Result<()> {
    let mut touched = store::intervals(&e.sources);
    e.sources = store::sources_of(c, pk)?;
    touched.extend(store::intervals(&e.sources));
    touch(e, now);
    store::settle_and_save(c, lk, now, pk, e)?;
    e.overlap_time_in_seconds = store::refresh_overlap(c, &scope.customer, &scope.user, pk, &touched, stats)?;
    Ok(())
}

/// Stops the user's running timer, if any, at `now` or at the end of its local day.
fn stop_running_timer(c: &Connection, lk: &mut Lookups, now: Timestamp, customer: &ObjectId, user: &ObjectId, stats: &Stats) -> Result<()> {
    close_running(c, lk, now, customer, user, stats, false)
}

/// Stops the user's running timer only if it ran past the end of its local day.
fn settle_running_timer(c: &Connection, lk: &mut Lookups, now: Timestamp, customer: &ObjectId, user: &ObjectId, stats: &Stats) -> Result<()> {
    close_running(c, lk, now, customer, user, stats, true)
}

fn close_running(
    c: &Connection,
    lk: &mut Lookups,
    now: Timestamp,
    customer: &ObjectId,
    user: &ObjectId,
    stats: &Stats,
    only_past_midnight: bool,
) -> Result<()> {
    let Some((source_pk, entry_pk, started)) = store::running_session(c, customer, user)? else { return Ok(()) };
    let zone = lk.zone(c, customer, user)?;
    let cap = started.local_date(zone).last_millisecond_in(zone);
    if only_past_midnight && now <= cap {
        return Ok(());
    }
    store::close_session(c, source_pk, now.min(cap))?;
    if let Some(pk) = entry_pk {
        let id = entry_id_of(c, pk)?;
        if let Some((_, mut e)) = store::find(c, lk, customer, &id)? {
            let scope = Scope::new(*customer, *user);
            // The session just closed: `e.sources` already shows it closed; overlap is refreshed
            // around it.
            let touched = store::intervals(&e.sources);
            touch(&mut e, now);
            store::settle_and_save(c, lk, now, pk, &mut e)?;
            store::refresh_overlap(c, &scope.customer, &scope.user, pk, &touched, stats)?;
        }
    }
    Ok(())
}

/// Re-settles the entries `sql` selects after reference data changed. Released entries keep
/// their units, and `release-failed` entries keep their PMS messages until the user acts on them
/// (a release re-checks the rules anyway).
///
/// Called after the reference write, it reads reference data through a cache of its own.
fn resettle(c: &Connection, now: Timestamp, sql: &str, p: impl rusqlite::Params) -> Result<()> {
    let pks: Vec<i64> = c.prepare_cached(sql)?.query_map(p, |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let mut lk = Lookups::default();
    for pk in pks {
        let (_, mut e) = store::row_by_pk(c, pk)?;
        if e.status == Status::ReleaseFailed {
            continue;
        }
        store::complete(c, &mut lk, pk, &mut e)?;
        let before = (e.status, e.validation_failed_errors.clone(), e.unit_increment_count_from_sources, e.unit_increments, e.raw_seconds);
        store::settle(c, &mut lk, now, &mut e)?;
        if before != (e.status, e.validation_failed_errors.clone(), e.unit_increment_count_from_sources, e.unit_increments, e.raw_seconds) {
            touch(&mut e, now);
            store::save(c, pk, &e)?;
        }
    }
    Ok(())
}

fn resettle_initiative(c: &Connection, now: Timestamp, customer: &ObjectId, initiative: &ObjectId) -> Result<()> {
    resettle(c, now, "SELECT pk FROM entries WHERE customer_id = ?1 AND initiative_id = ?2 AND is_deleted = 0 AND is_locked = 0", params![customer, initiative])
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
        f.debug_struct("Engine").field("path", &self.path).field("closed", &self.is_closed()).finish()
    }
}

/// Overlap rows visited so far (see [`Stats`]).
pub fn overlap_rows_visited(engine: &Engine) -> u64 {
    engine.stats.overlap_rows_visited.load(Ordering::Relaxed)
}
