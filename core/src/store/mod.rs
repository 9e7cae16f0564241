//! The storage interface: what the operations may ask of a store, and nothing about how a store
//! answers. A backend (SQLite in [`crate::sqlite`], PostgreSQL in the `tenths-postgres` crate)
//! implements these traits; the operations, sync and the facade use only them.
//!
//! - [`ReadTx`]: typed queries inside one read snapshot (an entry by customer and id, a user's
//!   day, the listing, export and feed pages, overlap neighbours, the running session, totals,
//!   reference lookups).
//! - [`WriteTx`]: the writes of one transaction (entries, their codes and sources, sessions,
//!   reference data, the applied operations of sync) and savepoints.
//! - [`DeviceState`]: the sync state only a device keeps (registration, mirror, in-flight batch,
//!   quarantine, conflict log); a server backend need not implement it.
//! - [`Backend`]: opens transactions and closes the store.
//!
//! No SQL crosses this interface: every query is a method with typed arguments, an entry is
//! named by its customer and id or by an opaque [`EntryKey`] the backend handed out, and a
//! backend's errors arrive as [`TenthsError::Storage`], when waiting may help (busy, locked,
//! disk full, a serialization failure) as [`TenthsError::Unavailable`], and when the stored
//! data is damaged as [`TenthsError::Corrupt`].

mod cache;

use std::collections::{HashMap, HashSet};

pub use cache::RefCache;

use crate::error::{Result, TenthsError};
use crate::model::sync::{ConflictRecord, Quarantined, SyncedEntry};
use crate::model::webhooks::{Delivery, DeliveryState, DueDelivery, Subscription};
use crate::model::*;
use crate::rules::ids::ObjectId;
use crate::rules::overlap::Interval;
use crate::rules::time::{Date, Timestamp};
use crate::rules::validation::Rules;

/// A stored entry's handle inside one backend: handed out by the backend, meaningful only to
/// it, and never shown outside the engine. Cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryKey(i64);

impl EntryKey {
    /// Wraps a backend's own key (a row id, a surrogate key).
    pub fn from_raw(raw: i64) -> EntryKey {
        EntryKey(raw)
    }
    /// The backend's own key.
    pub fn raw(self) -> i64 {
        self.0
    }
}

/// A stored source's handle, like [`EntryKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceKey(i64);

impl SourceKey {
    /// Wraps a backend's own key.
    pub fn from_raw(raw: i64) -> SourceKey {
        SourceKey(raw)
    }
    /// The backend's own key.
    pub fn raw(self) -> i64 {
        self.0
    }
}

/// An entry with unsent changes on a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// Its key.
    pub key: EntryKey,
    /// Its id.
    pub id: ObjectId,
    /// Its unsent-change counter.
    pub counter: i64,
    /// Its feed position: every write of the entry row takes a new one.
    pub seq: i64,
}

/// The running timer session of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunningSession {
    pub source: SourceKey,
    /// The entry it belongs to (`None`: the session is in the unassigned pool).
    pub entry: Option<(EntryKey, ObjectId)>,
    pub started_at: Timestamp,
}

/// An answer kept under an idempotency key (decision 53): the request it answered (its
/// fingerprint), the answer as given, and when it was first given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    /// The hex SHA-256 of the request's method, path and body
    /// ([`crate::rules::idempotency::fingerprint`]).
    pub fingerprint: String,
    /// The status, headers and body first answered.
    pub response: crate::http::Response,
    /// When the answer was first given.
    pub created_at: Timestamp,
}

/// Which editable entries a reference change may re-settle (live and unlocked ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affected<'a> {
    /// Every entry of the customer.
    Customer,
    /// The entries of one user.
    User(&'a ObjectId),
    /// The entries of one matter.
    Initiative(&'a ObjectId),
    /// The entries carrying one code.
    Code(&'a ObjectId),
}

/// The entries a listing reads, each in its own order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing<'a> {
    /// A user's live entries with a work date in `from..=to`, by work date then id.
    UserDates { user: &'a ObjectId, from: Date, to: Date },
    /// A page of [`Listing::UserDates`]: at most `limit` of those entries, the first ones after
    /// the position `after` (a work date and an id, exclusive; `None`: from the start). A
    /// position, not an offset, so entries written between two pages move no page boundary.
    UserDatesPage { user: &'a ObjectId, from: Date, to: Date, after: Option<(Date, &'a ObjectId)>, limit: usize },
    /// A user's live, unlocked entries of one work date, by id.
    UserDayEditable { user: &'a ObjectId, day: Date },
    /// Every entry updated in the window (deleted ones too), by update time then id.
    Updated { after: Timestamp, on_or_before: Timestamp },
    /// Every live entry released in the window and still released, by id.
    Released { after: Timestamp, on_or_before: Timestamp },
}

/// A page by id of a window: entries after `after_id` (exclusive), at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageOf {
    /// Entries updated in the window (deleted ones too).
    Updated { after: Timestamp, on_or_before: Timestamp },
    /// Live entries released in the window and still released, inside the id bounds (the
    /// window's first and last id, see [`ReadTx::export_bounds`]).
    Released { after: Timestamp, on_or_before: Timestamp, low: ObjectId, high: ObjectId },
}

/// What of an entry a read fills in besides its own fields (the matter is filled by the
/// operations, from the reference cache).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Codes and sources.
    Full,
    /// Codes only (a reader that never looks at sources, e.g. the CSV export).
    WithoutSources,
}

/// The export rows of complete entries (codes kept only when `codes`): what
/// [`ReadTx::export_rows`] answers by default.
pub fn export_rows_of(entries: &[Entry], codes: bool) -> Vec<ExportRow> {
    entries
        .iter()
        .map(|e| {
            let mut row = ExportRow::of_entry(e);
            if !codes {
                row.codes.clear();
            }
            row
        })
        .collect()
}

/// Reads inside one snapshot. Every query is scoped by customer (tenancy).
pub trait ReadTx {
    // ----- reference data --------------------------------------------------------------------

    /// The version of the customer's reference data: changes with every reference write of
    /// the customer (by any process), so a cache can tell it is stale. 0 when never written.
    fn reference_version(&mut self, customer: &ObjectId) -> Result<i64>;
    /// The customer's stored settings (`None`: never stored, the defaults apply).
    fn customer_settings(&mut self, customer: &ObjectId) -> Result<Option<CustomerSettings>>;
    /// The user's own zone, if set.
    fn user_timezone(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<Option<String>>;
    /// The rules stored for exactly this key (`None`: customer-wide).
    fn validation_rules(&mut self, customer: &ObjectId, initiative: Option<&ObjectId>) -> Result<Option<Rules>>;
    /// One matter with its allowed codes and access lists.
    fn initiative(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<Initiative>>;
    /// The display forms of matters with their clients; matters not stored are absent.
    fn initiative_refs(&mut self, customer: &ObjectId, ids: &[ObjectId]) -> Result<HashMap<ObjectId, InitiativeRef>>;
    /// A client by external id.
    fn client_by_external(&mut self, customer: &ObjectId, external_id: &str) -> Result<Option<Client>>;
    /// A code type by external id.
    fn code_type_by_external(&mut self, customer: &ObjectId, external_id: &str) -> Result<Option<CodeType>>;
    /// A code by id.
    fn code(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<Code>>;
    /// A code by code type and external id.
    fn code_by_external(&mut self, customer: &ObjectId, code_type_external_id: &str, external_id: &str) -> Result<Option<Code>>;
    /// The ids of the codes with this external id in any code type (at most `limit`).
    fn code_ids_by_external(&mut self, customer: &ObjectId, external_id: &str, limit: usize) -> Result<Vec<ObjectId>>;
    /// A matter's id by external id.
    fn initiative_id_by_external(&mut self, customer: &ObjectId, external_id: &str) -> Result<Option<ObjectId>>;
    /// Every matter, by external id.
    fn list_initiatives(&mut self, customer: &ObjectId) -> Result<Vec<Initiative>>;
    /// Every code, by code type then external id.
    fn list_codes(&mut self, customer: &ObjectId) -> Result<Vec<Code>>;
    /// Every code type, by external id.
    fn list_code_types(&mut self, customer: &ObjectId) -> Result<Vec<CodeType>>;
    /// Every client, by external id.
    fn list_clients(&mut self, customer: &ObjectId) -> Result<Vec<Client>>;
    /// Every stored rule set: customer-wide (`None`) first, then per matter by id.
    fn list_validation_rules(&mut self, customer: &ObjectId) -> Result<Vec<(Option<ObjectId>, Rules)>>;

    // ----- entries ---------------------------------------------------------------------------

    /// An entry by id (deleted ones too) with its codes and sources; its matter is left empty.
    fn entry(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<(EntryKey, Entry)>>;
    /// An entry by key, as [`ReadTx::entry`].
    fn entry_by_key(&mut self, customer: &ObjectId, key: EntryKey) -> Result<Entry>;
    /// The key of an entry by id.
    fn entry_key(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<EntryKey>>;
    /// Which of `ids` are entries of the customer.
    fn existing_ids(&mut self, customer: &ObjectId, ids: &[ObjectId]) -> Result<HashSet<ObjectId>>;
    /// The create body stored with an entry made with a device id.
    fn create_request(&mut self, customer: &ObjectId, key: EntryKey) -> Result<Option<String>>;
    /// The sources of an entry, by start then id.
    fn sources(&mut self, customer: &ObjectId, key: EntryKey) -> Result<Vec<Source>>;
    /// The entries of a listing, complete (codes and sources).
    fn list(&mut self, customer: &ObjectId, listing: Listing<'_>) -> Result<Vec<(EntryKey, Entry)>>;
    /// A page by id: at most `limit` entries after `after_id`.
    fn page(&mut self, customer: &ObjectId, of: PageOf, after_id: Option<&ObjectId>, limit: usize, detail: Detail) -> Result<Vec<Entry>>;
    /// A page of the export window ([`PageOf::Released`]) as export rows, codes filled only
    /// when `codes`, matters left empty: the entries [`ReadTx::page`] answers, without what the
    /// export does not show. The default reads complete entries; a backend may read less.
    fn export_rows(&mut self, customer: &ObjectId, of: PageOf, after_id: Option<&ObjectId>, limit: usize, codes: bool) -> Result<Vec<ExportRow>> {
        Ok(export_rows_of(&self.page(customer, of, after_id, limit, Detail::WithoutSources)?, codes))
    }
    /// The smallest and largest id of the export window (`None` when it is empty).
    fn export_bounds(&mut self, customer: &ObjectId, after: Timestamp, on_or_before: Timestamp) -> Result<Option<(ObjectId, ObjectId)>>;
    /// Totals per user, work date and matter of live entries with a work date in `from..=to`.
    fn totals(&mut self, customer: &ObjectId, user: Option<&ObjectId>, from: Date, to: Date) -> Result<Vec<Total>>;
    /// The keys of the live, unlocked entries a reference change may re-settle.
    fn affected(&mut self, customer: &ObjectId, which: Affected<'_>) -> Result<Vec<EntryKey>>;
    /// Closed source intervals of the user's live entries with a start in
    /// `(iv.start - MAX_SOURCE_MILLIS, iv.end)` and an end after `iv.start`: every stored
    /// interval that may meet `iv`, with its entry.
    fn neighbours(&mut self, customer: &ObjectId, user: &ObjectId, iv: Interval) -> Result<Vec<(EntryKey, Interval)>>;
    /// The user's running timer session, if any.
    fn running_session(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<Option<RunningSession>>;

    // ----- sync, server side -----------------------------------------------------------------

    /// The user's entries changed after feed position `after`, in feed order, with their
    /// position (at most `limit`).
    fn feed(&mut self, customer: &ObjectId, user: &ObjectId, after: i64, limit: usize) -> Result<Vec<(Entry, i64)>>;
    /// The stored answer of a pushed operation already applied.
    fn applied_op(&mut self, customer: &ObjectId, op_id: &ObjectId) -> Result<Option<String>>;
    /// The answer kept under an idempotency key of the user `(customer, user, key)`, expired
    /// or not (the caller decides).
    fn idempotent_answer(&mut self, customer: &ObjectId, user: &ObjectId, key: &str) -> Result<Option<KeptAnswer>>;
    /// The unsent-change counter of an entry (device side; 0 on a server).
    fn local_changes(&mut self, customer: &ObjectId, key: EntryKey) -> Result<i64>;

    // ----- webhooks --------------------------------------------------------------------------

    /// The customer's webhook subscriptions, oldest first.
    fn webhook_subscriptions(&mut self, customer: &ObjectId) -> Result<Vec<Subscription>>;
    /// One subscription of the customer.
    fn webhook_subscription(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<Subscription>>;
    /// The newest `limit` deliveries of a subscription, newest (highest `seq`) first.
    fn webhook_deliveries(&mut self, customer: &ObjectId, subscription: &ObjectId, limit: usize) -> Result<Vec<Delivery>>;
    /// One delivery of a subscription.
    fn webhook_delivery(&mut self, customer: &ObjectId, subscription: &ObjectId, id: &ObjectId) -> Result<Option<Delivery>>;
    /// The id of a subscription's pending delivery with the lowest `seq` (the only one that may
    /// be attempted: one in flight per subscription, in order).
    fn webhook_head(&mut self, customer: &ObjectId, subscription: &ObjectId) -> Result<Option<ObjectId>>;
    /// Up to `limit` deliveries of any customer that may be attempted at `now`: pending, due,
    /// not leased (or the lease expired), and first of their subscription. The one statement
    /// that spans customers (decision 99); the worker then claims each in the customer's own
    /// transaction.
    fn due_webhook_deliveries(&mut self, now: Timestamp, limit: usize) -> Result<Vec<DueDelivery>>;

    /// The device-only sync state, when this store keeps it.
    fn device(&mut self) -> Result<&mut dyn DeviceState>;

    // ----- events ----------------------------------------------------------------------------

    /// An event of the customer by id.
    fn event(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<ChangeEvent>>;
    /// The events of one entry, oldest first (by position): at most `limit` after position
    /// `after_seq` (exclusive; `None`: from the first).
    fn entry_events(&mut self, customer: &ObjectId, entry: &ObjectId, after_seq: Option<i64>, limit: usize) -> Result<Vec<ChangeEvent>>;
    /// The customer's events with a time in `after..=on_or_before`, by time then position: at
    /// most `limit` after the position `from` (a time and a position, exclusive; `None`: from
    /// the window's start).
    fn customer_events(
        &mut self,
        customer: &ObjectId,
        after: Timestamp,
        on_or_before: Timestamp,
        from: Option<(Timestamp, i64)>,
        limit: usize,
    ) -> Result<Vec<ChangeEvent>>;
}

/// How an entry's row is written back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// A change made here: counted as unsent when the store syncs for the entry's user and
    /// the version moved.
    Bump,
    /// A copy that came through sync: the unsent-change counter is set to this.
    Set(i64),
}

/// Writes of one transaction. Every write moves the entry's feed position.
pub trait WriteTx: ReadTx {
    /// Creates the customer (default settings) and the user if they are new.
    fn ensure_user(&mut self, customer: &ObjectId, user: &ObjectId, now: Timestamp) -> Result<()>;
    /// Creates the customer if it is new.
    fn ensure_customer(&mut self, customer: &ObjectId, now: Timestamp) -> Result<()>;
    /// Moves the customer's reference version (every reference write calls this first).
    fn bump_reference_version(&mut self, customer: &ObjectId) -> Result<()>;
    /// Stores the customer's settings.
    fn save_customer_settings(&mut self, customer: &ObjectId, settings: &CustomerSettings) -> Result<()>;
    /// Stores the user's zone.
    fn save_user_timezone(&mut self, customer: &ObjectId, user: &ObjectId, timezone: Option<&str>) -> Result<()>;
    /// Inserts or updates a client (by external id; `client.id` is kept for a new one).
    fn upsert_client(&mut self, customer: &ObjectId, client: &Client, now: Timestamp) -> Result<()>;
    /// Inserts or updates a code type (by external id).
    fn upsert_code_type(&mut self, customer: &ObjectId, code_type: &CodeType, now: Timestamp) -> Result<()>;
    /// Inserts or updates a code (by code type and external id).
    fn upsert_code(&mut self, customer: &ObjectId, code: &Code, now: Timestamp) -> Result<()>;
    /// Inserts or updates a matter's own fields (by external id); its codes and access lists
    /// are kept.
    fn upsert_initiative(&mut self, customer: &ObjectId, initiative: &Initiative, now: Timestamp) -> Result<()>;
    /// Replaces the allowed codes of a matter (and marks it as restricting codes).
    fn set_initiative_codes(&mut self, customer: &ObjectId, initiative: &ObjectId, codes: &[ObjectId]) -> Result<()>;
    /// Replaces the allow or deny list of a matter.
    fn set_initiative_access(&mut self, customer: &ObjectId, initiative: &ObjectId, kind: AccessKind, users: &[ObjectId]) -> Result<()>;
    /// Stores rules for a matter, or customer-wide.
    fn save_validation_rules(&mut self, customer: &ObjectId, initiative: Option<&ObjectId>, rules: &Rules, now: Timestamp) -> Result<()>;
    /// Removes the customer's reference data (clients, code types, codes, matters with their
    /// codes and access lists, validation rules); the customer and user rows stay (entries
    /// reference them). A device then writes the server's snapshot through the upserts above
    /// (`ops::reference::replace_reference`).
    fn clear_reference(&mut self, customer: &ObjectId) -> Result<()>;

    /// Inserts a new entry with its codes and sources (`create_request`: the create body kept
    /// to answer a repeat). Returns its key.
    fn insert_entry(&mut self, e: &Entry, create_request: Option<&str>) -> Result<EntryKey>;
    /// Inserts a copy the server of record already holds (a device's pulled entry): as
    /// [`WriteTx::insert_entry`], with no unsent change counted. Returns its key.
    fn insert_synced_entry(&mut self, e: &Entry) -> Result<EntryKey> {
        let key = self.insert_entry(e, None)?;
        self.set_local_changes(&e.customer_id, key, 0)?;
        Ok(key)
    }
    /// Writes every mutable field of an entry back (not its codes or sources).
    fn update_entry(&mut self, key: EntryKey, e: &Entry, counter: Counter) -> Result<()>;
    /// Stores the overlap of an entry (when it changed).
    fn set_overlap(&mut self, customer: &ObjectId, key: EntryKey, seconds: i64) -> Result<()>;
    /// Replaces the codes of an entry.
    fn replace_codes(&mut self, customer: &ObjectId, key: EntryKey, codes: &[WorkCode]) -> Result<()>;
    /// Adds a source to an entry. A second running session of the user is a `Conflict`.
    fn insert_source(&mut self, customer: &ObjectId, user: &ObjectId, key: EntryKey, source: &Source) -> Result<()>;
    /// Replaces the sources of an entry (kept with their ids: a source of that id elsewhere,
    /// e.g. in the unassigned pool, moves here).
    fn replace_sources(&mut self, customer: &ObjectId, user: &ObjectId, key: EntryKey, sources: &[Source]) -> Result<()>;
    /// Closes a session at `at`, or at its start if `at` is earlier.
    fn close_session(&mut self, customer: &ObjectId, source: SourceKey, at: Timestamp) -> Result<()>;
    /// Moves an entry's sources to the unassigned pool.
    fn release_sources_to_pool(&mut self, customer: &ObjectId, key: EntryKey) -> Result<()>;
    /// Sets the unsent-change counter of an entry (device side).
    fn set_local_changes(&mut self, customer: &ObjectId, key: EntryKey, n: i64) -> Result<()>;
    /// Records a pushed operation's answer (each operation id at most once).
    fn record_applied_op(&mut self, customer: &ObjectId, op_id: &ObjectId, user: &ObjectId, answer: &str, now: Timestamp) -> Result<()>;

    /// Keeps an answer under `(customer, user, key)`, replacing the one kept there (the caller
    /// has checked, in this transaction, that any such one has expired).
    fn record_idempotent_answer(&mut self, customer: &ObjectId, user: &ObjectId, key: &str, answer: &KeptAnswer) -> Result<()>;
    /// Removes at most `limit` of the customer's kept answers created before `before`; answers
    /// how many. Per customer, like every other statement, so it never spans tenants or shards.
    fn prune_idempotent_answers(&mut self, customer: &ObjectId, before: Timestamp, limit: usize) -> Result<u64>;

    // ----- webhooks --------------------------------------------------------------------------

    /// Stores a new subscription.
    fn insert_webhook_subscription(&mut self, s: &Subscription) -> Result<()>;
    /// Writes a subscription's state back (disabled or not, dead deliveries in a row).
    fn update_webhook_subscription(&mut self, s: &Subscription) -> Result<()>;
    /// Removes a subscription with its deliveries; answers whether it existed.
    fn delete_webhook_subscription(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<bool>;
    /// Appends a delivery to its subscription's outbox (its `seq` is ignored: the next one of
    /// the subscription is taken, in this transaction). Answers the `seq` given.
    fn insert_webhook_delivery(&mut self, customer: &ObjectId, d: &Delivery) -> Result<i64>;
    /// Writes a delivery's state back (state, attempts, times, last answer, lease).
    fn update_webhook_delivery(&mut self, customer: &ObjectId, d: &Delivery) -> Result<()>;
    /// Moves every delivery of a subscription in state `from` to state `to`, due at `due` (holding
    /// them when the subscription is disabled, queueing them again when it is re-enabled).
    fn move_webhook_deliveries(&mut self, customer: &ObjectId, subscription: &ObjectId, from: DeliveryState, to: DeliveryState, due: Timestamp) -> Result<u64>;

    // ----- events ----------------------------------------------------------------------------

    /// Appends an event with its changes as `changes` (its `seq` and `changes` fields are
    /// ignored); answers the position it was given.
    fn append_event(&mut self, event: &ChangeEvent, changes: &EncodedChanges) -> Result<i64>;
    /// Removes at most `limit` of the customer's events older than `before`, oldest first;
    /// answers how many (the retention setting's pruning, never an API).
    fn prune_events(&mut self, customer: &ObjectId, before: Timestamp, limit: usize) -> Result<u64>;

    /// Opens a savepoint inside the transaction.
    fn savepoint(&mut self) -> Result<()>;
    /// Keeps what was written since the last [`WriteTx::savepoint`].
    fn release_savepoint(&mut self) -> Result<()>;
    /// Undoes what was written since the last [`WriteTx::savepoint`] and closes it.
    fn rollback_savepoint(&mut self) -> Result<()>;
}

/// The sync state a device keeps for the `(customer, user)` it syncs.
pub trait DeviceState {
    /// Registers the device on first use; answers whether it was new. A new device counts
    /// every entry of the user without a mirror copy as pending.
    fn register(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<bool>;
    /// The stored in-flight push (as the sync layer serialised it).
    fn inflight(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<Option<String>>;
    /// Stores or clears the in-flight push.
    fn set_inflight(&mut self, customer: &ObjectId, user: &ObjectId, inflight: Option<&str>) -> Result<()>;
    /// Up to `limit` pending entries (unsent changes) after key `after`, by key.
    fn pending(&mut self, customer: &ObjectId, user: &ObjectId, after: Option<EntryKey>, limit: usize) -> Result<Vec<Pending>>;
    /// Count of pending entries and the oldest `updatedAt` among them.
    fn pending_summary(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<(u64, Option<Timestamp>)>;
    /// The mirror copy of an entry (the last server-acknowledged copy).
    fn mirror(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<SyncedEntry>>;
    /// The version of the mirror copy of an entry.
    fn mirror_version(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<i64>>;
    /// Stores the mirror copy of an entry.
    fn set_mirror(&mut self, customer: &ObjectId, record: &SyncedEntry) -> Result<()>;
    /// Writes the server-acknowledged copy `e` over the entry `key` with no unsent change
    /// left, in one statement, when the row is still the one sent (feed position `sent_seq`)
    /// and `e` keeps the row's indexed columns; the caller has checked that `e`'s sessions and
    /// codes are the ones sent. Answers whether it wrote: on `false` nothing was written and the
    /// caller writes the whole copy.
    fn acknowledge(&mut self, key: EntryKey, e: &Entry, sent_seq: i64) -> Result<bool>;
    /// Quarantines a refused local copy with the server's copy it was refused against (one
    /// per entry: the sync layer merges a later refusal into the earlier one and stores the
    /// result here, replacing it).
    fn quarantine(&mut self, customer: &ObjectId, q: &Quarantined, against: Option<&SyncedEntry>) -> Result<()>;
    /// The quarantined copy of an entry and the server's copy it was refused against (`None`
    /// for one quarantined before that was kept).
    fn quarantined_one(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<(SyncedEntry, Option<SyncedEntry>)>>;
    /// Removes and returns the quarantined copy of an entry.
    fn take_quarantined(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<SyncedEntry>>;
    /// Quarantined copies, oldest first.
    fn quarantined(&mut self, customer: &ObjectId) -> Result<Vec<Quarantined>>;
    /// Appends to the conflict log.
    fn log_conflict(&mut self, customer: &ObjectId, id: &ObjectId, field: &str, local: &str, server: &str, at: Timestamp) -> Result<()>;
    /// The conflict log, oldest first.
    fn conflicts(&mut self, customer: &ObjectId) -> Result<Vec<ConflictRecord>>;
    /// Counts of quarantined copies and logged conflicts.
    fn counts(&mut self, customer: &ObjectId) -> Result<(u64, u64)>;
    /// The pull cursor: (entry feed position, reference version).
    fn cursor(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<(i64, i64)>;
    /// Stores the pull cursor.
    fn set_cursor(&mut self, customer: &ObjectId, user: &ObjectId, entry_seq: i64, reference_seq: i64) -> Result<()>;
    /// The last outcome: (whether a push is in flight, last error, last success).
    fn outcome(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<(bool, Option<String>, Option<Timestamp>)>;
    /// Records a sync run's outcome (`None`: success at `now`).
    fn record_outcome(&mut self, customer: &ObjectId, user: &ObjectId, error: Option<&str>, now: Timestamp) -> Result<()>;
}

/// A store the engine runs over: opens read and write transactions, each with the reference
/// cache of the connection it runs on.
pub trait Backend: Send + Sync {
    /// Runs `f` in one read snapshot.
    fn read(&self, f: &mut dyn FnMut(&mut dyn ReadTx, &mut RefCache) -> Result<()>) -> Result<()>;
    /// Runs `f` in one write transaction: committed when `f` answers `Ok`, rolled back
    /// otherwise (and the cache of that connection forgets what it learnt inside it). A backend
    /// whose transactions can fail only because another ran at the same time (PostgreSQL's
    /// serialization failures) may roll back and run `f` again from the start, a bounded number
    /// of times; `f` must therefore act only through the transaction it is given.
    fn write(&self, f: &mut dyn FnMut(&mut dyn WriteTx, &mut RefCache) -> Result<()>) -> Result<()>;
    /// [`Backend::write`] for a transaction that takes in only what the server of record holds
    /// and answers again (a device settling a push answer without storing a new batch, or
    /// applying a pull page): a backend may commit it with less wait for the disk, since a
    /// power cut that loses it loses nothing the next sync does not bring back (SQLite:
    /// [`crate::OpenOptions::sync_durability`]). The default is [`Backend::write`].
    fn write_refetchable(&self, f: &mut dyn FnMut(&mut dyn WriteTx, &mut RefCache) -> Result<()>) -> Result<()> {
        self.write(f)
    }
    /// Closes the store; later transactions answer [`TenthsError::Closed`].
    fn close(&self) -> Result<()>;
    /// Whether [`Backend::close`] was called.
    fn is_closed(&self) -> bool;
    /// Whether the store can serve: [`TenthsError::Closed`] once closed, and
    /// [`TenthsError::Corrupt`] once a backend that turns read-only on damage has met it
    /// (decision 52). The default knows only the first.
    fn health(&self) -> Result<()> {
        match self.is_closed() {
            true => Err(TenthsError::Closed),
            false => Ok(()),
        }
    }
    /// A short description for `Debug` (the file, the database).
    fn describe(&self) -> String;
    /// How much room the store takes, read now; `None` for a store that cannot say (in memory,
    /// a server database). The default says nothing.
    fn sizes(&self) -> Option<StoreSizes> {
        None
    }
}

/// How much room a store takes, in bytes (for metrics): its main file and its write-ahead log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreSizes {
    /// The database file.
    pub database_bytes: u64,
    /// The write-ahead log (0 when there is none, e.g. right after a checkpoint that truncated it).
    pub wal_bytes: u64,
}

/// The error of a store that keeps no device state.
pub fn no_device_state() -> TenthsError {
    TenthsError::Storage { reason: "this store keeps no device sync state (it serves devices, it is not one)".into() }
}
