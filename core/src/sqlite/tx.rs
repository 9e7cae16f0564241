//! The storage traits on one SQLite connection inside a transaction: each method is one call
//! of the statement functions in [`super::entries`], [`super::reference`] and
//! [`super::device`].

use std::collections::{HashMap, HashSet};

use rusqlite::Connection;

use super::{device, entries, events, export, idempotency, reference, webhooks};
use crate::error::Result;
use crate::model::sync::{ConflictRecord, Quarantined, SyncedEntry};
use crate::model::webhooks::{Delivery, DeliveryState, DueDelivery, Subscription};
use crate::model::*;
use crate::rules::ids::ObjectId;
use crate::rules::overlap::Interval;
use crate::rules::time::{Date, Timestamp};
use crate::rules::validation::Rules;
use crate::store::{Affected, Counter, Detail, DeviceState, EntryKey, KeptAnswer, Listing, PageOf, Pending, ReadTx, RunningSession, SourceKey, WriteTx};

/// A transaction (or read snapshot) on one connection.
pub(super) struct SqliteTx<'c> {
    pub(super) conn: &'c Connection,
    /// The feed positions this transaction took (flushed before the commit).
    pub(super) feed: entries::FeedPositions,
}

impl<'c> SqliteTx<'c> {
    pub(super) fn new(conn: &'c Connection) -> SqliteTx<'c> {
        SqliteTx { conn, feed: entries::FeedPositions::default() }
    }
}

impl ReadTx for SqliteTx<'_> {
    fn reference_version(&mut self, customer: &ObjectId) -> Result<i64> {
        reference::reference_version(self.conn, customer)
    }
    fn customer_settings(&mut self, customer: &ObjectId) -> Result<Option<CustomerSettings>> {
        reference::customer_settings(self.conn, customer)
    }
    fn user_timezone(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<Option<String>> {
        reference::user_timezone(self.conn, customer, user)
    }
    fn validation_rules(&mut self, customer: &ObjectId, initiative: Option<&ObjectId>) -> Result<Option<Rules>> {
        reference::validation_rules(self.conn, customer, initiative)
    }
    fn initiative(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<Initiative>> {
        reference::initiative(self.conn, customer, id)
    }
    fn initiative_refs(&mut self, customer: &ObjectId, ids: &[ObjectId]) -> Result<HashMap<ObjectId, InitiativeRef>> {
        reference::initiative_refs(self.conn, customer, ids)
    }
    fn client_by_external(&mut self, customer: &ObjectId, external_id: &str) -> Result<Option<Client>> {
        reference::client_by_external(self.conn, customer, external_id)
    }
    fn code_type_by_external(&mut self, customer: &ObjectId, external_id: &str) -> Result<Option<CodeType>> {
        reference::code_type_by_external(self.conn, customer, external_id)
    }
    fn code(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<Code>> {
        reference::code(self.conn, customer, id)
    }
    fn code_by_external(&mut self, customer: &ObjectId, code_type_external_id: &str, external_id: &str) -> Result<Option<Code>> {
        reference::code_by_external(self.conn, customer, code_type_external_id, external_id)
    }
    fn code_ids_by_external(&mut self, customer: &ObjectId, external_id: &str, limit: usize) -> Result<Vec<ObjectId>> {
        reference::code_ids_by_external(self.conn, customer, external_id, limit)
    }
    fn initiative_id_by_external(&mut self, customer: &ObjectId, external_id: &str) -> Result<Option<ObjectId>> {
        reference::initiative_id_by_external(self.conn, customer, external_id)
    }
    fn list_initiatives(&mut self, customer: &ObjectId) -> Result<Vec<Initiative>> {
        reference::list_initiatives(self.conn, customer)
    }
    fn list_codes(&mut self, customer: &ObjectId) -> Result<Vec<Code>> {
        reference::list_codes(self.conn, customer)
    }
    fn list_code_types(&mut self, customer: &ObjectId) -> Result<Vec<CodeType>> {
        reference::list_code_types(self.conn, customer)
    }
    fn list_clients(&mut self, customer: &ObjectId) -> Result<Vec<Client>> {
        reference::list_clients(self.conn, customer)
    }
    fn list_validation_rules(&mut self, customer: &ObjectId) -> Result<Vec<(Option<ObjectId>, Rules)>> {
        reference::list_validation_rules(self.conn, customer)
    }

    fn entry(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<(EntryKey, Entry)>> {
        entries::entry(self.conn, customer, id)
    }
    fn entry_by_key(&mut self, customer: &ObjectId, key: EntryKey) -> Result<Entry> {
        entries::entry_by_key(self.conn, customer, key)
    }
    fn entry_key(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<EntryKey>> {
        entries::entry_key(self.conn, customer, id)
    }
    fn existing_ids(&mut self, customer: &ObjectId, ids: &[ObjectId]) -> Result<HashSet<ObjectId>> {
        entries::existing_ids(self.conn, customer, ids)
    }
    fn create_request(&mut self, customer: &ObjectId, key: EntryKey) -> Result<Option<String>> {
        entries::create_request(self.conn, customer, key)
    }
    fn sources(&mut self, customer: &ObjectId, key: EntryKey) -> Result<Vec<Source>> {
        entries::sources(self.conn, customer, key)
    }
    fn list(&mut self, customer: &ObjectId, listing: Listing<'_>) -> Result<Vec<(EntryKey, Entry)>> {
        entries::list(self.conn, customer, listing)
    }
    fn page(&mut self, customer: &ObjectId, of: PageOf, after_id: Option<&ObjectId>, limit: usize, detail: Detail) -> Result<Vec<Entry>> {
        entries::page(self.conn, customer, of, after_id, limit, detail)
    }
    fn export_bounds(&mut self, customer: &ObjectId, after: Timestamp, on_or_before: Timestamp) -> Result<Option<(ObjectId, ObjectId)>> {
        export::export_bounds(self.conn, customer, after, on_or_before)
    }
    fn export_rows(&mut self, customer: &ObjectId, of: PageOf, after_id: Option<&ObjectId>, limit: usize, codes: bool) -> Result<Vec<ExportRow>> {
        match of {
            PageOf::Released { after, on_or_before, low, high } => {
                export::rows(self.conn, customer, (after, on_or_before), (&low, &high), after_id, limit, codes)
            }
            PageOf::Updated { .. } => {
                Ok(crate::store::export_rows_of(&entries::page(self.conn, customer, of, after_id, limit, Detail::WithoutSources)?, codes))
            }
        }
    }
    fn totals(&mut self, customer: &ObjectId, user: Option<&ObjectId>, from: Date, to: Date) -> Result<Vec<Total>> {
        entries::totals(self.conn, customer, user, from, to)
    }
    fn affected(&mut self, customer: &ObjectId, which: Affected<'_>) -> Result<Vec<EntryKey>> {
        entries::affected(self.conn, customer, which)
    }
    fn neighbours(&mut self, customer: &ObjectId, user: &ObjectId, iv: Interval) -> Result<Vec<(EntryKey, Interval)>> {
        entries::neighbours(self.conn, customer, user, iv)
    }
    fn running_session(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<Option<RunningSession>> {
        entries::running_session(self.conn, customer, user)
    }
    fn feed(&mut self, customer: &ObjectId, user: &ObjectId, after: i64, limit: usize) -> Result<Vec<(Entry, i64)>> {
        entries::feed(self.conn, customer, user, after, limit)
    }
    fn applied_op(&mut self, customer: &ObjectId, op_id: &ObjectId) -> Result<Option<String>> {
        entries::applied_op(self.conn, customer, op_id)
    }
    fn idempotent_answer(&mut self, customer: &ObjectId, user: &ObjectId, key: &str) -> Result<Option<KeptAnswer>> {
        idempotency::answer(self.conn, customer, user, key)
    }
    fn local_changes(&mut self, customer: &ObjectId, key: EntryKey) -> Result<i64> {
        entries::local_changes(self.conn, customer, key)
    }
    // ----- webhooks
    fn webhook_subscriptions(&mut self, customer: &ObjectId) -> Result<Vec<Subscription>> {
        webhooks::subscriptions(self.conn, customer)
    }
    fn webhook_subscription(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<Subscription>> {
        webhooks::subscription(self.conn, customer, id)
    }
    fn webhook_deliveries(&mut self, customer: &ObjectId, subscription: &ObjectId, limit: usize) -> Result<Vec<Delivery>> {
        webhooks::deliveries(self.conn, customer, subscription, limit)
    }
    fn webhook_delivery(&mut self, customer: &ObjectId, subscription: &ObjectId, id: &ObjectId) -> Result<Option<Delivery>> {
        webhooks::delivery(self.conn, customer, subscription, id)
    }
    fn webhook_head(&mut self, customer: &ObjectId, subscription: &ObjectId) -> Result<Option<ObjectId>> {
        webhooks::head(self.conn, customer, subscription)
    }
    fn due_webhook_deliveries(&mut self, now: Timestamp, limit: usize) -> Result<Vec<DueDelivery>> {
        webhooks::due(self.conn, now, limit)
    }
    fn device(&mut self) -> Result<&mut dyn DeviceState> {
        Ok(self)
    }

    // ----- events
    fn event(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<ChangeEvent>> {
        events::event(self.conn, customer, id)
    }
    fn entry_events(&mut self, customer: &ObjectId, entry: &ObjectId, after_seq: Option<i64>, limit: usize) -> Result<Vec<ChangeEvent>> {
        events::entry_events(self.conn, customer, entry, after_seq, limit)
    }
    fn customer_events(
        &mut self,
        customer: &ObjectId,
        after: Timestamp,
        on_or_before: Timestamp,
        from: Option<(Timestamp, i64)>,
        limit: usize,
    ) -> Result<Vec<ChangeEvent>> {
        events::customer_events(self.conn, customer, after, on_or_before, from, limit)
    }
}

impl WriteTx for SqliteTx<'_> {
    fn ensure_user(&mut self, customer: &ObjectId, user: &ObjectId, now: Timestamp) -> Result<()> {
        reference::ensure_user(self.conn, customer, user, now)
    }
    fn ensure_customer(&mut self, customer: &ObjectId, now: Timestamp) -> Result<()> {
        reference::ensure_customer(self.conn, customer, now)
    }
    fn bump_reference_version(&mut self, customer: &ObjectId) -> Result<()> {
        reference::bump_reference_version(self.conn, customer)
    }
    fn save_customer_settings(&mut self, customer: &ObjectId, settings: &CustomerSettings) -> Result<()> {
        reference::save_customer_settings(self.conn, customer, settings)
    }
    fn save_user_timezone(&mut self, customer: &ObjectId, user: &ObjectId, timezone: Option<&str>) -> Result<()> {
        reference::save_user_timezone(self.conn, customer, user, timezone)
    }
    fn upsert_client(&mut self, customer: &ObjectId, client: &Client, now: Timestamp) -> Result<()> {
        reference::upsert_client(self.conn, customer, client, now)
    }
    fn upsert_code_type(&mut self, customer: &ObjectId, code_type: &CodeType, now: Timestamp) -> Result<()> {
        reference::upsert_code_type(self.conn, customer, code_type, now)
    }
    fn upsert_code(&mut self, customer: &ObjectId, code: &Code, now: Timestamp) -> Result<()> {
        reference::upsert_code(self.conn, customer, code, now)
    }
    fn upsert_initiative(&mut self, customer: &ObjectId, initiative: &Initiative, now: Timestamp) -> Result<()> {
        reference::upsert_initiative(self.conn, customer, initiative, now)
    }
    fn set_initiative_codes(&mut self, customer: &ObjectId, initiative: &ObjectId, codes: &[ObjectId]) -> Result<()> {
        reference::set_initiative_codes(self.conn, customer, initiative, codes)
    }
    fn set_initiative_access(&mut self, customer: &ObjectId, initiative: &ObjectId, kind: AccessKind, users: &[ObjectId]) -> Result<()> {
        reference::set_initiative_access(self.conn, customer, initiative, kind, users)
    }
    fn save_validation_rules(&mut self, customer: &ObjectId, initiative: Option<&ObjectId>, rules: &Rules, now: Timestamp) -> Result<()> {
        reference::save_validation_rules(self.conn, customer, initiative, rules, now)
    }
    fn clear_reference(&mut self, customer: &ObjectId) -> Result<()> {
        reference::clear_reference(self.conn, customer)
    }
    fn insert_entry(&mut self, e: &Entry, create_request: Option<&str>) -> Result<EntryKey> {
        entries::insert_entry(self.conn, &mut self.feed, e, create_request, None)
    }
    fn insert_synced_entry(&mut self, e: &Entry) -> Result<EntryKey> {
        entries::insert_entry(self.conn, &mut self.feed, e, None, Some(0))
    }
    fn update_entry(&mut self, key: EntryKey, e: &Entry, counter: Counter) -> Result<()> {
        entries::update_entry(self.conn, &mut self.feed, key, e, counter)
    }
    fn set_overlap(&mut self, customer: &ObjectId, key: EntryKey, seconds: i64) -> Result<()> {
        entries::set_overlap(self.conn, customer, key, seconds)
    }
    fn replace_codes(&mut self, customer: &ObjectId, key: EntryKey, codes: &[WorkCode]) -> Result<()> {
        entries::replace_codes(self.conn, customer, key, codes)
    }
    fn insert_source(&mut self, customer: &ObjectId, user: &ObjectId, key: EntryKey, source: &Source) -> Result<()> {
        entries::insert_source(self.conn, customer, user, key, source)
    }
    fn replace_sources(&mut self, customer: &ObjectId, user: &ObjectId, key: EntryKey, sources: &[Source]) -> Result<()> {
        entries::replace_sources(self.conn, customer, user, key, sources)
    }
    fn close_session(&mut self, customer: &ObjectId, source: SourceKey, at: Timestamp) -> Result<()> {
        entries::close_session(self.conn, customer, source, at)
    }
    fn release_sources_to_pool(&mut self, customer: &ObjectId, key: EntryKey) -> Result<()> {
        entries::release_sources_to_pool(self.conn, customer, key)
    }
    fn set_local_changes(&mut self, customer: &ObjectId, key: EntryKey, n: i64) -> Result<()> {
        entries::set_local_changes(self.conn, customer, key, n)
    }
    fn record_applied_op(&mut self, customer: &ObjectId, op_id: &ObjectId, user: &ObjectId, answer: &str, now: Timestamp) -> Result<()> {
        entries::record_applied_op(self.conn, customer, op_id, user, answer, now)
    }
    fn record_idempotent_answer(&mut self, customer: &ObjectId, user: &ObjectId, key: &str, answer: &KeptAnswer) -> Result<()> {
        idempotency::record(self.conn, customer, user, key, answer)
    }
    fn prune_idempotent_answers(&mut self, customer: &ObjectId, before: Timestamp, limit: usize) -> Result<u64> {
        idempotency::prune(self.conn, customer, before, limit)
    }
    // ----- webhooks
    fn insert_webhook_subscription(&mut self, s: &Subscription) -> Result<()> {
        webhooks::insert_subscription(self.conn, s)
    }
    fn update_webhook_subscription(&mut self, s: &Subscription) -> Result<()> {
        webhooks::update_subscription(self.conn, s)
    }
    fn delete_webhook_subscription(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<bool> {
        webhooks::delete_subscription(self.conn, customer, id)
    }
    fn insert_webhook_delivery(&mut self, customer: &ObjectId, d: &Delivery) -> Result<i64> {
        webhooks::insert_delivery(self.conn, customer, d)
    }
    fn update_webhook_delivery(&mut self, customer: &ObjectId, d: &Delivery) -> Result<()> {
        webhooks::update_delivery(self.conn, customer, d)
    }
    fn move_webhook_deliveries(&mut self, customer: &ObjectId, subscription: &ObjectId, from: DeliveryState, to: DeliveryState, due: Timestamp) -> Result<u64> {
        webhooks::move_deliveries(self.conn, customer, subscription, from, to, due)
    }

    // ----- events
    fn append_event(&mut self, event: &ChangeEvent, changes: &EncodedChanges) -> Result<i64> {
        events::append(self.conn, event, changes)
    }
    fn prune_events(&mut self, customer: &ObjectId, before: Timestamp, limit: usize) -> Result<u64> {
        events::prune(self.conn, customer, before, limit)
    }

    fn savepoint(&mut self) -> Result<()> {
        self.conn.prepare_cached("SAVEPOINT op")?.execute([])?;
        Ok(())
    }
    fn release_savepoint(&mut self) -> Result<()> {
        self.conn.prepare_cached("RELEASE op")?.execute([])?;
        Ok(())
    }
    fn rollback_savepoint(&mut self) -> Result<()> {
        self.conn.prepare_cached("ROLLBACK TO op")?.execute([])?;
        self.conn.prepare_cached("RELEASE op")?.execute([])?;
        Ok(())
    }
}

impl DeviceState for SqliteTx<'_> {
    fn register(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<bool> {
        device::register(self.conn, customer, user)
    }
    fn inflight(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<Option<String>> {
        device::inflight(self.conn, customer, user)
    }
    fn set_inflight(&mut self, customer: &ObjectId, user: &ObjectId, inflight: Option<&str>) -> Result<()> {
        device::set_inflight(self.conn, customer, user, inflight)
    }
    fn pending(&mut self, customer: &ObjectId, user: &ObjectId, after: Option<EntryKey>, limit: usize) -> Result<Vec<Pending>> {
        device::pending(self.conn, customer, user, after, limit)
    }
    fn pending_summary(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<(u64, Option<Timestamp>)> {
        device::pending_summary(self.conn, customer, user)
    }
    fn mirror(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<SyncedEntry>> {
        device::mirror(self.conn, customer, id)
    }
    fn mirror_version(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<i64>> {
        device::mirror_version(self.conn, customer, id)
    }
    fn set_mirror(&mut self, customer: &ObjectId, record: &SyncedEntry) -> Result<()> {
        device::set_mirror(self.conn, customer, record)
    }
    fn acknowledge(&mut self, key: EntryKey, e: &Entry, sent_seq: i64) -> Result<bool> {
        device::acknowledge(self.conn, &mut self.feed, key, e, sent_seq)
    }
    fn quarantine(&mut self, customer: &ObjectId, q: &Quarantined, against: Option<&SyncedEntry>) -> Result<()> {
        device::quarantine(self.conn, customer, q, against)
    }
    fn quarantined_one(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<(SyncedEntry, Option<SyncedEntry>)>> {
        device::quarantined_one(self.conn, customer, id)
    }
    fn take_quarantined(&mut self, customer: &ObjectId, id: &ObjectId) -> Result<Option<SyncedEntry>> {
        device::take_quarantined(self.conn, customer, id)
    }
    fn quarantined(&mut self, customer: &ObjectId) -> Result<Vec<Quarantined>> {
        device::quarantined(self.conn, customer)
    }
    fn log_conflict(&mut self, customer: &ObjectId, id: &ObjectId, field: &str, local: &str, server: &str, at: Timestamp) -> Result<()> {
        device::log_conflict(self.conn, customer, id, field, local, server, at)
    }
    fn conflicts(&mut self, customer: &ObjectId) -> Result<Vec<ConflictRecord>> {
        device::conflicts(self.conn, customer)
    }
    fn counts(&mut self, customer: &ObjectId) -> Result<(u64, u64)> {
        device::counts(self.conn, customer)
    }
    fn cursor(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<(i64, i64)> {
        device::cursor(self.conn, customer, user)
    }
    fn set_cursor(&mut self, customer: &ObjectId, user: &ObjectId, entry_seq: i64, reference_seq: i64) -> Result<()> {
        device::set_cursor(self.conn, customer, user, entry_seq, reference_seq)
    }
    fn outcome(&mut self, customer: &ObjectId, user: &ObjectId) -> Result<(bool, Option<String>, Option<Timestamp>)> {
        device::outcome(self.conn, customer, user)
    }
    fn record_outcome(&mut self, customer: &ObjectId, user: &ObjectId, error: Option<&str>, now: Timestamp) -> Result<()> {
        device::record_outcome(self.conn, customer, user, error, now)
    }
}
