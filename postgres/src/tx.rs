//! One transaction (or read snapshot) on one pooled connection: the statement helpers every
//! query goes through (prepared once per connection, errors mapped and remembered so the
//! backend can tell a serialization failure), the conversions between the engine's values and
//! PostgreSQL's (ids as text, instants as `timestamptz`, work dates as `date`), and the storage
//! traits, each method one call into [`crate::entries`] or [`crate::reference`].

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use postgres::types::{FromSql, ToSql};
use postgres::{Row, Statement};
use tenths::model::webhooks::{Delivery, DeliveryState, DueDelivery, Subscription};
use tenths::overlap::Interval;
use tenths::store::{
    no_device_state, Affected, Counter, Detail, DeviceState, EntryKey, KeptAnswer, Listing, PageOf, ReadTx, RunningSession, SourceKey, WriteTx,
};
use tenths::validation::Rules;
use tenths::*;

use crate::entries::FeedPositions;
use crate::{entries, events, from_pg, idempotency, reference, storage, webhooks, Result};

/// Parameters of a statement.
pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Remembers the PostgreSQL error behind a failure (the backend retries a write on a
/// serialization failure) and answers it as the engine's error.
pub(crate) fn note(failure: &mut Option<postgres::Error>, e: postgres::Error) -> TenthsError {
    let out = match e.as_db_error() {
        Some(db) if db.code() == &postgres::error::SqlState::UNIQUE_VIOLATION && db.constraint() == Some("one_running_timer_per_user") => {
            TenthsError::Conflict { reason: "the user already has a running timer".into() }
        }
        _ => from_pg(&e),
    };
    *failure = Some(e);
    out
}

/// A transaction on one connection.
pub(crate) struct PgTx<'c> {
    client: &'c mut postgres::Client,
    statements: &'c mut HashMap<&'static str, Statement>,
    failure: &'c mut Option<postgres::Error>,
    /// The feed positions this transaction took (flushed before the commit).
    pub(crate) feed: FeedPositions,
    /// Entries this transaction inserted (see [`PgTx::note_entry_inserted`]).
    entries_inserted: u64,
}

/// After this many entries inserted by one transaction (and again at ten and a hundred times
/// as many), the transaction analyzes the tables it fills (decision 90). Above the HTTP batch's
/// 1,000 items: only imports reach it.
const ANALYZE_AFTER_ENTRIES: u64 = 2_000;

impl<'c> PgTx<'c> {
    pub(crate) fn new(
        client: &'c mut postgres::Client,
        statements: &'c mut HashMap<&'static str, Statement>,
        failure: &'c mut Option<postgres::Error>,
    ) -> PgTx<'c> {
        PgTx { client, statements, failure, feed: FeedPositions::default(), entries_inserted: 0 }
    }

    fn fail(&mut self, e: postgres::Error) -> TenthsError {
        note(self.failure, e)
    }

    /// The statement prepared on this connection (prepared on first use).
    fn prepared(&mut self, sql: &'static str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql).map_err(|e| note(self.failure, e))?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    /// Every row of a query.
    pub(crate) fn rows(&mut self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>> {
        let s = self.prepared(sql)?;
        self.client.query(&s, params).map_err(|e| self.fail(e))
    }

    /// The row of a query answering at most one.
    pub(crate) fn opt(&mut self, sql: &'static str, params: Params<'_>) -> Result<Option<Row>> {
        let s = self.prepared(sql)?;
        self.client.query_opt(&s, params).map_err(|e| self.fail(e))
    }

    /// The row of a query answering exactly one.
    pub(crate) fn one(&mut self, sql: &'static str, params: Params<'_>) -> Result<Row> {
        let s = self.prepared(sql)?;
        self.client.query_one(&s, params).map_err(|e| self.fail(e))
    }

    /// Runs a statement; the number of rows it changed.
    pub(crate) fn exec(&mut self, sql: &'static str, params: Params<'_>) -> Result<u64> {
        let s = self.prepared(sql)?;
        self.client.execute(&s, params).map_err(|e| self.fail(e))
    }

    /// Counts an inserted entry. A bulk import (one transaction, thousands of entries) must not
    /// be planned from statistics that predate it: a tenant new to tables analyzed while they
    /// held other rows (or none) looks empty, and PostgreSQL then checks each new source's
    /// foreign key through any index that leads with `customer_id`, scanning the tenant's rows
    /// once per row. `ANALYZE` inside the transaction counts its own rows, so the plans that
    /// follow find the primary key. A user without the right to analyze gets a warning, not an
    /// error; the import goes on.
    pub(crate) fn note_entry_inserted(&mut self) -> Result<()> {
        self.entries_inserted = self.entries_inserted.saturating_add(1);
        let n = self.entries_inserted;
        if n == ANALYZE_AFTER_ENTRIES || n == ANALYZE_AFTER_ENTRIES * 10 || n == ANALYZE_AFTER_ENTRIES * 100 {
            self.control("ANALYZE entries, sources, entry_codes")?;
        }
        Ok(())
    }

    /// Runs transaction control (savepoints).
    fn control(&mut self, sql: &str) -> Result<()> {
        self.client.batch_execute(sql).map_err(|e| self.fail(e))
    }

    /// Stores the feed positions taken (before the commit).
    pub(crate) fn flush(&mut self) -> Result<()> {
        let taken = std::mem::take(&mut self.feed);
        entries::flush_feed(self, taken)
    }
}

// ----- conversions -------------------------------------------------------------------------------

/// A column of a row.
pub(crate) fn get<'a, T: FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i).map_err(|e| storage(format!("column {i}: {e}")))
}

/// An id column.
pub(crate) fn oid(r: &Row, i: usize) -> Result<ObjectId> {
    ObjectId::parse(get::<&str>(r, i)?).map_err(storage)
}

/// An optional id column.
pub(crate) fn oid_opt(r: &Row, i: usize) -> Result<Option<ObjectId>> {
    get::<Option<&str>>(r, i)?.map(|s| ObjectId::parse(s).map_err(storage)).transpose()
}

/// An instant as PostgreSQL's.
pub(crate) fn at_ms(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| storage(format!("instant {ms} ms is out of range")))
}

/// An instant as PostgreSQL's.
pub(crate) fn at(t: Timestamp) -> Result<DateTime<Utc>> {
    at_ms(t.millis())
}

/// An optional instant as PostgreSQL's.
pub(crate) fn at_opt(t: Option<Timestamp>) -> Result<Option<DateTime<Utc>>> {
    t.map(at).transpose()
}

/// An instant column, in milliseconds.
pub(crate) fn ms(r: &Row, i: usize) -> Result<i64> {
    Ok(get::<DateTime<Utc>>(r, i)?.timestamp_millis())
}

/// An instant column.
pub(crate) fn ts(r: &Row, i: usize) -> Result<Timestamp> {
    Timestamp::from_millis(ms(r, i)?).map_err(storage)
}

/// An optional instant column.
pub(crate) fn ts_opt(r: &Row, i: usize) -> Result<Option<Timestamp>> {
    get::<Option<DateTime<Utc>>>(r, i)?.map(|t| Timestamp::from_millis(t.timestamp_millis()).map_err(storage)).transpose()
}

/// A work date as PostgreSQL's.
pub(crate) fn day(d: Date) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(&d.to_string(), "%Y-%m-%d").map_err(storage)
}

/// A work date column.
pub(crate) fn date(r: &Row, i: usize) -> Result<Date> {
    let d: NaiveDate = get(r, i)?;
    Date::from_ymd(d.year(), d.month(), d.day()).map_err(storage)
}

/// A count or limit as a bigint.
pub(crate) fn big(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

// ----- the storage traits ----------------------------------------------------------------------

impl ReadTx for PgTx<'_> {
    fn reference_version(&mut self, customer: &ObjectId) -> Result<i64> {
        reference::reference_version(self, customer)
    }
    fn customer_settings(&mut self, customer: &ObjectId) -> Result<Option<CustomerSettings>> {
        reference::customer_settings(self, customer)
    }
    fn user_timezone(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<Option<String>> {
        reference::user_timezone(self, customer, user)
    }
    fn validation_rules(&mut self, customer: &ObjectId, initiative: Option<&ObjectId>) -> Result<Option<Rules>> {
        reference::validation_rules(self, customer, initiative)
    }
    fn initiative(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<Initiative>> {
        reference::initiative(self, customer, id)
    }
    fn initiative_refs(&mut self, customer: &ObjectId, ids: &[ObjectId]) -> Result<HashMap<ObjectId, InitiativeRef>> {
        reference::initiative_refs(self, customer, ids)
    }
    fn client_by_external(&mut self, customer: &ObjectId, external_id: &str) -> Result<Option<Client>> {
        reference::client_by_external(self, customer, external_id)
    }
    fn code_type_by_external(&mut self, customer: &ObjectId, external_id: &str) -> Result<Option<CodeType>> {
        reference::code_type_by_external(self, customer, external_id)
    }
    fn code(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<Code>> {
        reference::code(self, customer, id)
    }
    fn code_by_external(&mut self, customer: &ObjectId, code_type_external_id: &str, external_id: &str) -> Result<Option<Code>> {
        reference::code_by_external(self, customer, code_type_external_id, external_id)
    }
    fn code_ids_by_external(&mut self, customer: &ObjectId, external_id: &str, limit: usize) -> Result<Vec<ObjectId>> {
        reference::code_ids_by_external(self, customer, external_id, limit)
    }
    fn initiative_id_by_external(&mut self, customer: &ObjectId, external_id: &str) -> Result<Option<ObjectId>> {
        reference::initiative_id_by_external(self, customer, external_id)
    }
    fn list_initiatives(&mut self, customer: &ObjectId) -> Result<Vec<Initiative>> {
        reference::list_initiatives(self, customer)
    }
    fn list_codes(&mut self, customer: &ObjectId) -> Result<Vec<Code>> {
        reference::list_codes(self, customer)
    }
    fn list_code_types(&mut self, customer: &ObjectId) -> Result<Vec<CodeType>> {
        reference::list_code_types(self, customer)
    }
    fn list_clients(&mut self, customer: &ObjectId) -> Result<Vec<Client>> {
        reference::list_clients(self, customer)
    }
    fn list_validation_rules(&mut self, customer: &ObjectId) -> Result<Vec<(Option<ObjectId>, Rules)>> {
        reference::list_validation_rules(self, customer)
    }

    fn entry(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<(EntryKey, Entry)>> {
        entries::entry(self, customer, id)
    }
    fn entry_by_key(&mut self, customer: &ObjectId, key: EntryKey) -> Result<Entry> {
        entries::entry_by_key(self, customer, key)
    }
    fn entry_key(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<EntryKey>> {
        entries::entry_key(self, customer, id)
    }
    fn existing_ids(&mut self, customer: &ObjectId, ids: &[ObjectId]) -> Result<HashSet<ObjectId>> {
        entries::existing_ids(self, customer, ids)
    }
    fn create_request(&mut self, customer: &ObjectId, key: EntryKey) -> Result<Option<String>> {
        entries::create_request(self, customer, key)
    }
    fn sources(&mut self, customer: &ObjectId, key: EntryKey) -> Result<Vec<Source>> {
        entries::sources(self, customer, key)
    }
    fn list(&mut self, customer: &ObjectId, listing: Listing<'_>) -> Result<Vec<(EntryKey, Entry)>> {
        entries::list(self, customer, listing)
    }
    fn page(&mut self, customer: &ObjectId, of: PageOf, after_id: Option<&ObjectId>, limit: usize, detail: Detail) -> Result<Vec<Entry>> {
        entries::page(self, customer, of, after_id, limit, detail)
    }
    fn export_bounds(&mut self, customer: &ObjectId, after: Timestamp, on_or_before: Timestamp) -> Result<Option<(ObjectId, ObjectId)>> {
        entries::export_bounds(self, customer, after, on_or_before)
    }
    fn totals(&mut self, customer: &ObjectId, user: Option<&ObjectId>, from: Date, to: Date) -> Result<Vec<Total>> {
        entries::totals(self, customer, user, from, to)
    }
    fn affected(&mut self, customer: &ObjectId, which: Affected<'_>) -> Result<Vec<EntryKey>> {
        entries::affected(self, customer, which)
    }
    fn neighbours(&mut self, customer: &ObjectId, user: &ObjectId, iv: Interval) -> Result<Vec<(EntryKey, Interval)>> {
        entries::neighbours(self, customer, user, iv)
    }
    fn running_session(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<Option<RunningSession>> {
        entries::running_session(self, customer, user)
    }
    fn feed(&mut self, customer: &ObjectId, user: &ObjectId, after: i64, limit: usize) -> Result<Vec<(Entry, i64)>> {
        entries::feed(self, customer, user, after, limit)
    }
    fn applied_op(&mut self, customer: &ObjectId, op_id: &ObjectId) -> Result<Option<String>> {
        entries::applied_op(self, customer, op_id)
    }
    fn idempotent_answer(&mut self, customer: &ObjectId, user: &ObjectId, key: &str) -> Result<Option<KeptAnswer>> {
        idempotency::answer(self, customer, user, key)
    }
    fn local_changes(&mut self, customer: &ObjectId, key: EntryKey) -> Result<i64> {
        entries::local_changes(self, customer, key)
    }
    // ----- webhooks
    fn webhook_subscriptions(&mut self, customer: &ObjectId) -> Result<Vec<Subscription>> {
        webhooks::subscriptions(self, customer)
    }
    fn webhook_subscription(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<Subscription>> {
        webhooks::subscription(self, customer, id)
    }
    fn webhook_deliveries(&mut self, customer: &ObjectId, subscription: &ObjectId, limit: usize) -> Result<Vec<Delivery>> {
        webhooks::deliveries(self, customer, subscription, limit)
    }
    fn webhook_delivery(&mut self, customer: &ObjectId, subscription: &ObjectId, id: &ObjectId) -> Result<Option<Delivery>> {
        webhooks::delivery(self, customer, subscription, id)
    }
    fn webhook_head(&mut self, customer: &ObjectId, subscription: &ObjectId) -> Result<Option<ObjectId>> {
        webhooks::head(self, customer, subscription)
    }
    fn due_webhook_deliveries(&mut self, now: Timestamp, limit: usize) -> Result<Vec<DueDelivery>> {
        webhooks::due(self, now, limit)
    }
    fn device(&mut self) -> Result<&mut dyn DeviceState> {
        Err(no_device_state())
    }

    // ----- events
    fn event(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<ChangeEvent>> {
        events::event(self, customer, id)
    }
    fn entry_events(&mut self, customer: &ObjectId, entry: &ObjectId, after_seq: Option<i64>, limit: usize) -> Result<Vec<ChangeEvent>> {
        events::entry_events(self, customer, entry, after_seq, limit)
    }
    fn customer_events(
        &mut self,
        customer: &ObjectId,
        after: Timestamp,
        on_or_before: Timestamp,
        from: Option<(Timestamp, i64)>,
        limit: usize,
    ) -> Result<Vec<ChangeEvent>> {
        events::customer_events(self, customer, after, on_or_before, from, limit)
    }
}

impl WriteTx for PgTx<'_> {
    fn ensure_user(&mut self, customer: &ObjectId, user: &ObjectId, now: Timestamp) -> Result<()> {
        reference::ensure_user(self, customer, user, now)
    }
    fn ensure_customer(&mut self, customer: &ObjectId, now: Timestamp) -> Result<()> {
        reference::ensure_customer(self, customer, now)
    }
    fn bump_reference_version(&mut self, customer: &ObjectId) -> Result<()> {
        reference::bump_reference_version(self, customer)
    }
    fn save_customer_settings(&mut self, customer: &ObjectId, settings: &CustomerSettings) -> Result<()> {
        reference::save_customer_settings(self, customer, settings)
    }
    fn save_user_timezone(&mut self, customer: &ObjectId, user: &ObjectId, timezone: Option<&str>) -> Result<()> {
        reference::save_user_timezone(self, customer, user, timezone)
    }
    fn upsert_client(&mut self, customer: &ObjectId, client: &Client, now: Timestamp) -> Result<()> {
        reference::upsert_client(self, customer, client, now)
    }
    fn upsert_code_type(&mut self, customer: &ObjectId, code_type: &CodeType, now: Timestamp) -> Result<()> {
        reference::upsert_code_type(self, customer, code_type, now)
    }
    fn upsert_code(&mut self, customer: &ObjectId, code: &Code, now: Timestamp) -> Result<()> {
        reference::upsert_code(self, customer, code, now)
    }
    fn upsert_initiative(&mut self, customer: &ObjectId, initiative: &Initiative, now: Timestamp) -> Result<()> {
        reference::upsert_initiative(self, customer, initiative, now)
    }
    fn set_initiative_codes(&mut self, customer: &ObjectId, initiative: &ObjectId, codes: &[ObjectId]) -> Result<()> {
        reference::set_initiative_codes(self, customer, initiative, codes)
    }
    fn set_initiative_access(&mut self, customer: &ObjectId, initiative: &ObjectId, kind: AccessKind, users: &[ObjectId]) -> Result<()> {
        reference::set_initiative_access(self, customer, initiative, kind, users)
    }
    fn save_validation_rules(&mut self, customer: &ObjectId, initiative: Option<&ObjectId>, rules: &Rules, now: Timestamp) -> Result<()> {
        reference::save_validation_rules(self, customer, initiative, rules, now)
    }
    fn clear_reference(&mut self, customer: &ObjectId) -> Result<()> {
        reference::clear_reference(self, customer)
    }
    fn insert_entry(&mut self, e: &Entry, create_request: Option<&str>) -> Result<EntryKey> {
        entries::insert_entry(self, e, create_request)
    }
    fn update_entry(&mut self, key: EntryKey, e: &Entry, counter: Counter) -> Result<()> {
        entries::update_entry(self, key, e, counter)
    }
    fn set_overlap(&mut self, customer: &ObjectId, key: EntryKey, seconds: i64) -> Result<()> {
        entries::set_overlap(self, customer, key, seconds)
    }
    fn replace_codes(&mut self, customer: &ObjectId, key: EntryKey, codes: &[WorkCode]) -> Result<()> {
        entries::replace_codes(self, customer, key, codes)
    }
    fn insert_source(&mut self, customer: &ObjectId, user: &ObjectId, key: EntryKey, source: &Source) -> Result<()> {
        entries::insert_source(self, customer, user, key, source)
    }
    fn replace_sources(&mut self, customer: &ObjectId, user: &ObjectId, key: EntryKey, sources: &[Source]) -> Result<()> {
        entries::replace_sources(self, customer, user, key, sources)
    }
    fn close_session(&mut self, customer: &ObjectId, source: SourceKey, at: Timestamp) -> Result<()> {
        entries::close_session(self, customer, source, at)
    }
    fn release_sources_to_pool(&mut self, customer: &ObjectId, key: EntryKey) -> Result<()> {
        entries::release_sources_to_pool(self, customer, key)
    }
    fn set_local_changes(&mut self, customer: &ObjectId, key: EntryKey, n: i64) -> Result<()> {
        entries::set_local_changes(self, customer, key, n)
    }
    fn record_applied_op(&mut self, customer: &ObjectId, op_id: &ObjectId, user: &ObjectId, answer: &str, now: Timestamp) -> Result<()> {
        entries::record_applied_op(self, customer, op_id, user, answer, now)
    }
    fn record_idempotent_answer(&mut self, customer: &ObjectId, user: &ObjectId, key: &str, answer: &KeptAnswer) -> Result<()> {
        idempotency::record(self, customer, user, key, answer)
    }
    fn prune_idempotent_answers(&mut self, customer: &ObjectId, before: Timestamp, limit: usize) -> Result<u64> {
        idempotency::prune(self, customer, before, limit)
    }
    // ----- webhooks
    fn insert_webhook_subscription(&mut self, s: &Subscription) -> Result<()> {
        webhooks::insert_subscription(self, s)
    }
    fn update_webhook_subscription(&mut self, s: &Subscription) -> Result<()> {
        webhooks::update_subscription(self, s)
    }
    fn delete_webhook_subscription(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<bool> {
        webhooks::delete_subscription(self, customer, id)
    }
    fn insert_webhook_delivery(&mut self, customer: &ObjectId, d: &Delivery) -> Result<i64> {
        webhooks::insert_delivery(self, customer, d)
    }
    fn update_webhook_delivery(&mut self, customer: &ObjectId, d: &Delivery) -> Result<()> {
        webhooks::update_delivery(self, customer, d)
    }
    fn move_webhook_deliveries(&mut self, customer: &ObjectId, subscription: &ObjectId, from: DeliveryState, to: DeliveryState, due: Timestamp) -> Result<u64> {
        webhooks::move_deliveries(self, customer, subscription, from, to, due)
    }

    // ----- events
    fn append_event(&mut self, event: &ChangeEvent, changes: &EncodedChanges) -> Result<i64> {
        events::append(self, event, changes)
    }
    fn prune_events(&mut self, customer: &ObjectId, before: Timestamp, limit: usize) -> Result<u64> {
        events::prune(self, customer, before, limit)
    }

    fn savepoint(&mut self) -> Result<()> {
        self.control("SAVEPOINT op")
    }
    fn release_savepoint(&mut self) -> Result<()> {
        self.control("RELEASE SAVEPOINT op")
    }
    fn rollback_savepoint(&mut self) -> Result<()> {
        self.control("ROLLBACK TO SAVEPOINT op; RELEASE SAVEPOINT op")
    }
}
