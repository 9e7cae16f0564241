//! `Engine`: one long-lived object per database, one method per engine operation. Each method
//! converts its arguments (through the core's own parsers, so errors name the wire field), calls
//! one engine method, and converts the result or maps the error. No rule lives here.
//!
//! After a write commits, the change observer (if any) is told, with no lock held.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use tenths::{FixedClock, ObjectId, SystemClock};

use crate::error::{run, Result, TenthsError};
use crate::inputs::{
    date, object_id, opt_object_id, parse, timestamp, ClientInput, CodeInput, CodeTypeInput, CustomerSettingsPatch, EngineOptions, EntryPatch, InitiativeInput,
    NewEntry, OverrideInput, ReleaseSucceededItem, Scope, TimerStart, ValidationRulesInput,
};
use crate::observer::{Change, ChangeKind, ChangeObserver};
use crate::records::{
    AccessKind, BatchItemResult, Client, Code, CodeType, CreatedEntry, CustomerSettings, Entry, EntryPage, HttpRequest, HttpResponse, Initiative,
    ReleaseDayMode, ReleaseDayResult, Total, UserSettings, ValidationRules,
};

/// An engine over one SQLite database: a file path, or `":memory:"`. Thread-safe: share one
/// engine between threads. `closeDatabase()` closes the database (every later call fails with
/// `Closed`); dropping the last reference (Kotlin `close()`/`use {}`, Swift `deinit`) closes it too.
#[derive(uniffi::Object)]
pub struct Engine {
    inner: tenths::Engine,
    /// The in-process router `request` serves through (it holds the token verifier).
    router: tenths::api::Router,
    clock: Option<Arc<FixedClock>>,
    observer: RwLock<Option<Arc<dyn ChangeObserver>>>,
    observer_failure: Mutex<Option<String>>,
}

pub(crate) fn window(after: &str, on_or_before: &str, names: (&str, &str)) -> Result<tenths::Window> {
    Ok(tenths::Window::new(timestamp(after, names.0)?, timestamp(on_or_before, names.1)?)?)
}

pub(crate) fn page_size(n: Option<i32>) -> Result<usize> {
    match n {
        Some(n) => usize::try_from(n).map_err(|_| TenthsError::invalid("pageSize", "must be between 1 and 100")),
        None => Ok(tenths::engine::MAX_PAGE_SIZE),
    }
}

fn strings(ids: &[ObjectId]) -> Vec<String> {
    ids.iter().map(|i| i.to_string()).collect()
}

fn entries(list: Vec<tenths::Entry>) -> Vec<Entry> {
    list.into_iter().map(Entry::from).collect()
}

impl Engine {
    /// The core engine (for the sync methods in [`crate::sync`]).
    pub(crate) fn core(&self) -> &tenths::Engine {
        &self.inner
    }

    /// Tells the observer about a committed change. No lock is held while it runs.
    pub(crate) fn notify(&self, kind: ChangeKind, operation: &str, customer: Option<&ObjectId>, user: Option<&ObjectId>, entry_ids: Vec<String>) {
        let observer = self.observer.read().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(observer) = observer else { return };
        let change =
            Change { kind, operation: operation.to_string(), customer_id: customer.map(|c| c.to_string()), user_id: user.map(|u| u.to_string()), entry_ids };
        let failure = match catch_unwind(AssertUnwindSafe(|| observer.on_change(change))) {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e.to_string(),
            Err(_) => "the observer panicked".to_string(),
        };
        *self.observer_failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(failure);
    }

    fn entry_changed(&self, operation: &str, scope: &tenths::Scope, e: tenths::Entry) -> Entry {
        self.notify(ChangeKind::Entries, operation, Some(&scope.customer), Some(&scope.user), vec![e.id.to_string()]);
        e.into()
    }

    fn fixed(&self) -> Result<&FixedClock> {
        self.clock.as_deref().ok_or_else(|| {
            TenthsError::invalid("now", "this engine runs on the system clock; open it with EngineOptions(fixedClock = …) to set or move its clock")
        })
    }
}

#[uniffi::export]
impl Engine {
    /// Opens (creating and migrating if needed) the database at `path`, or a private in-memory
    /// database for `":memory:"`.
    #[uniffi::constructor(default(options = None))]
    pub fn new(path: String, options: Option<EngineOptions>) -> Result<Arc<Self>> {
        if path.is_empty() {
            return Err(TenthsError::invalid("path", "must not be empty (use \":memory:\" for an in-memory database)"));
        }
        let options = options.unwrap_or_default();
        let clock = options.fixed_clock.as_deref().map(|now| timestamp(now, "fixedClock").map(|t| Arc::new(FixedClock::new(t)))).transpose()?;
        let open = options.to_core()?;
        let path = PathBuf::from(path);
        let inner = match &clock {
            Some(c) => run(|| tenths::Engine::open_with(&path, open, c.clone()))?,
            None => run(|| tenths::Engine::open_with(&path, open, Arc::new(SystemClock)))?,
        };
        Ok(Arc::new(Engine { inner, router: tenths::api::Router::new(), clock, observer: RwLock::new(None), observer_failure: Mutex::new(None) }))
    }

    /// Closes the database; every later call fails with `Closed`. Closing twice is fine.
    pub fn close_database(&self) -> Result<()> {
        run(|| self.inner.close())
    }

    /// Whether `closeDatabase()` was called.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// The engine's clock, RFC 3339 UTC.
    pub fn now(&self) -> String {
        self.inner.now().to_string()
    }

    /// Moves a fixed clock (`EngineOptions.fixedClock`) to `now` (RFC 3339).
    pub fn set_clock(&self, now: String) -> Result<()> {
        let t = timestamp(&now, "now")?;
        self.fixed()?.set(t);
        Ok(())
    }

    /// Moves a fixed clock forward (or back, when negative) by `millis`.
    pub fn advance_clock(&self, millis: i64) -> Result<()> {
        self.fixed()?.advance_millis(millis);
        Ok(())
    }

    /// Sets (or with `null` removes) the change observer.
    pub fn set_observer(&self, observer: Option<Arc<dyn ChangeObserver>>) {
        *self.observer.write().unwrap_or_else(|p| p.into_inner()) = observer;
    }

    /// The description of the observer's last failure since the previous call, if any.
    pub fn take_observer_failure(&self) -> Option<String> {
        self.observer_failure.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// Accepts HS256 bearer tokens signed with `secret` in `request` (`null` accepts none).
    pub fn set_jwt_secret(&self, secret: Option<Vec<u8>>) -> Result<()> {
        let verifier: Option<Arc<dyn tenths::api::Verifier>> = match secret {
            Some(s) => Some(Arc::new(tenths::api::Hs256Verifier::new(&s)?)),
            None => None,
        };
        self.router.set_token_verifier(verifier);
        Ok(())
    }

    /// Serves one request of the HTTP API in-process (the router `tenths serve` uses). Errors of
    /// the request are answered as HTTP responses (4xx/5xx with the API's error body); only a
    /// malformed `principal` is an error here.
    pub fn request(&self, request: HttpRequest) -> Result<HttpResponse> {
        let mut req = tenths::api::Request::new(&request.method, &request.path, request.body);
        req.headers = request.headers.into_iter().map(|h| (h.name, h.value)).collect();
        req.principal = request.principal.as_ref().map(|p| p.to_core()).transpose()?;
        let resp = run(|| Ok(self.router.handle(&self.inner, &req)))?;
        if !req.method.eq_ignore_ascii_case("GET") && !req.method.eq_ignore_ascii_case("HEAD") && (200..300).contains(&resp.status) {
            self.notify(ChangeKind::Request, &format!("{} {}", req.method.to_ascii_uppercase(), req.path), None, None, Vec::new());
        }
        Ok(resp.into())
    }

    // ----- settings and reference data -----------------------------------------------------

    /// The customer's settings (defaults for a customer not seen yet).
    pub fn customer_settings(&self, customer_id: String) -> Result<CustomerSettings> {
        let c = object_id(&customer_id, "customerId")?;
        Ok(run(|| self.inner.customer_settings(&c))?.into())
    }

    /// Changes customer settings; editable entries are re-settled under the new settings.
    pub fn update_customer_settings(&self, customer_id: String, patch: CustomerSettingsPatch) -> Result<CustomerSettings> {
        let (c, patch) = (object_id(&customer_id, "customerId")?, parse::<tenths::CustomerSettingsPatch>(&patch)?);
        let s = run(|| self.inner.update_customer_settings(&c, &patch))?;
        self.notify(ChangeKind::Settings, "updateCustomerSettings", Some(&c), None, Vec::new());
        Ok(s.into())
    }

    /// The user's settings.
    pub fn user_settings(&self, customer_id: String, user_id: String) -> Result<UserSettings> {
        let (c, u) = (object_id(&customer_id, "customerId")?, object_id(&user_id, "userId")?);
        Ok(run(|| self.inner.user_settings(&c, &u))?.into())
    }

    /// Sets the user's IANA zone (`null` = follow the customer's); their editable entries are
    /// re-validated.
    pub fn update_user_settings(&self, customer_id: String, user_id: String, settings: UserSettings) -> Result<UserSettings> {
        let (c, u) = (object_id(&customer_id, "customerId")?, object_id(&user_id, "userId")?);
        let settings = parse::<tenths::UserSettings>(&settings)?;
        let s = run(|| self.inner.update_user_settings(&c, &u, &settings))?;
        self.notify(ChangeKind::Settings, "updateUserSettings", Some(&c), Some(&u), Vec::new());
        Ok(s.into())
    }

    /// Upserts a client by external id.
    pub fn upsert_client(&self, customer_id: String, input: ClientInput) -> Result<Client> {
        let (c, input) = (object_id(&customer_id, "customerId")?, parse::<tenths::ClientInput>(&input)?);
        let r = run(|| self.inner.upsert_client(&c, &input))?;
        self.notify(ChangeKind::ReferenceData, "upsertClient", Some(&c), None, Vec::new());
        Ok(r.into())
    }

    /// Upserts a code type by external id.
    pub fn upsert_code_type(&self, customer_id: String, input: CodeTypeInput) -> Result<CodeType> {
        let (c, input) = (object_id(&customer_id, "customerId")?, parse::<tenths::CodeTypeInput>(&input)?);
        let r = run(|| self.inner.upsert_code_type(&c, &input))?;
        self.notify(ChangeKind::ReferenceData, "upsertCodeType", Some(&c), None, Vec::new());
        Ok(r.into())
    }

    /// Upserts a code by code type and external id; entries using it are re-validated.
    pub fn upsert_code(&self, customer_id: String, input: CodeInput) -> Result<Code> {
        let (c, input) = (object_id(&customer_id, "customerId")?, parse::<tenths::CodeInput>(&input)?);
        let r = run(|| self.inner.upsert_code(&c, &input))?;
        self.notify(ChangeKind::ReferenceData, "upsertCode", Some(&c), None, Vec::new());
        Ok(r.into())
    }

    /// Upserts a matter by external id; its editable entries are re-settled.
    pub fn upsert_initiative(&self, customer_id: String, input: InitiativeInput) -> Result<Initiative> {
        let (c, input) = (object_id(&customer_id, "customerId")?, parse::<tenths::InitiativeInput>(&input)?);
        let r = run(|| self.inner.upsert_initiative(&c, &input))?;
        self.notify(ChangeKind::ReferenceData, "upsertInitiative", Some(&c), None, Vec::new());
        Ok(r.into())
    }

    /// Replaces the allowed codes of a matter (by external ids).
    pub fn set_initiative_codes(&self, customer_id: String, initiative_external_id: String, code_external_ids: Vec<String>) -> Result<Initiative> {
        let c = object_id(&customer_id, "customerId")?;
        let r = run(|| self.inner.set_initiative_codes(&c, &initiative_external_id, &code_external_ids))?;
        self.notify(ChangeKind::ReferenceData, "setInitiativeCodes", Some(&c), None, Vec::new());
        Ok(r.into())
    }

    /// Replaces the allow or deny list of a matter.
    pub fn set_initiative_access(&self, customer_id: String, initiative_external_id: String, kind: AccessKind, user_ids: Vec<String>) -> Result<Initiative> {
        let c = object_id(&customer_id, "customerId")?;
        let users = user_ids.iter().enumerate().map(|(n, u)| object_id(u, &format!("userIds[{n}]"))).collect::<Result<Vec<_>>>()?;
        let r = run(|| self.inner.set_initiative_access(&c, &initiative_external_id, kind.into(), &users))?;
        self.notify(ChangeKind::ReferenceData, "setInitiativeAccess", Some(&c), None, Vec::new());
        Ok(r.into())
    }

    /// Sets the validation rules of a matter (by external id), or the customer-wide rules when
    /// `initiativeExternalId` is `null`.
    pub fn set_validation_rules(&self, customer_id: String, initiative_external_id: Option<String>, input: ValidationRulesInput) -> Result<ValidationRules> {
        let (c, input) = (object_id(&customer_id, "customerId")?, parse::<tenths::ValidationRulesInput>(&input)?);
        let r = run(|| self.inner.set_validation_rules(&c, initiative_external_id.as_deref(), &input))?;
        self.notify(ChangeKind::ReferenceData, "setValidationRules", Some(&c), None, Vec::new());
        Ok(r.into())
    }

    /// Every matter of the customer.
    pub fn list_initiatives(&self, customer_id: String) -> Result<Vec<Initiative>> {
        let c = object_id(&customer_id, "customerId")?;
        Ok(run(|| self.inner.list_initiatives(&c))?.into_iter().map(Initiative::from).collect())
    }

    /// Every code of the customer.
    pub fn list_codes(&self, customer_id: String) -> Result<Vec<Code>> {
        let c = object_id(&customer_id, "customerId")?;
        Ok(run(|| self.inner.list_codes(&c))?.into_iter().map(Code::from).collect())
    }

    /// Every client of the customer.
    pub fn list_clients(&self, customer_id: String) -> Result<Vec<Client>> {
        let c = object_id(&customer_id, "customerId")?;
        Ok(run(|| self.inner.list_clients(&c))?.into_iter().map(Client::from).collect())
    }

    // ----- entries ---------------------------------------------------------------------------

    /// Creates an entry. The same device-made id with the same body again answers the stored
    /// entry with `created = false`; another body is a `Conflict`.
    pub fn create_entry(&self, scope: Scope, input: NewEntry) -> Result<CreatedEntry> {
        let (s, input) = (scope.to_core()?, parse::<tenths::NewEntry>(&input)?);
        let (e, created) = run(|| self.inner.create_entry(&s, &input))?;
        let entry = if created { self.entry_changed("createEntry", &s, e) } else { e.into() };
        Ok(CreatedEntry { entry, created })
    }

    /// Creates many entries of one user in one transaction (all or none); their ids in order.
    pub fn import_entries(&self, scope: Scope, inputs: Vec<NewEntry>) -> Result<Vec<String>> {
        let s = scope.to_core()?;
        let inputs = inputs.iter().enumerate().map(|(n, i)| parse::<tenths::NewEntry>(i).map_err(|e| prefix(e, n))).collect::<Result<Vec<_>>>()?;
        let ids = strings(&run(|| self.inner.import_entries(&s, &inputs))?);
        self.notify(ChangeKind::Entries, "importEntries", Some(&s.customer), Some(&s.user), ids.clone());
        Ok(ids)
    }

    /// One entry of the user (`NotFound` when missing, deleted, or another user's).
    pub fn get_entry(&self, scope: Scope, entry_id: String) -> Result<Entry> {
        let (s, id) = (scope.to_core()?, object_id(&entry_id, "entryId")?);
        Ok(run(|| self.inner.get_entry(&s, &id))?.into())
    }

    /// The user's live entries with a work date in `workDateFrom..=workDateTo` (`YYYY-MM-DD`).
    pub fn list_entries(&self, scope: Scope, work_date_from: String, work_date_to: String) -> Result<Vec<Entry>> {
        let (s, from, to) = (scope.to_core()?, date(&work_date_from, "workDateFrom")?, date(&work_date_to, "workDateTo")?);
        Ok(entries(run(|| self.inner.list_entries(&s, from, to))?))
    }

    /// Changes an editable entry.
    pub fn edit_entry(&self, scope: Scope, entry_id: String, patch: EntryPatch) -> Result<Entry> {
        let (s, id, patch) = (scope.to_core()?, object_id(&entry_id, "entryId")?, parse::<tenths::EntryPatch>(&patch)?);
        let e = run(|| self.inner.edit_entry(&s, &id, &patch))?;
        Ok(self.entry_changed("editEntry", &s, e))
    }

    /// The seed's override: an edit limited to its five fields.
    pub fn override_entry(&self, scope: Scope, entry_id: String, input: OverrideInput) -> Result<Entry> {
        let (s, id, input) = (scope.to_core()?, object_id(&entry_id, "entryId")?, parse::<tenths::OverrideInput>(&input)?);
        let e = run(|| self.inner.override_entry(&s, &id, &input))?;
        Ok(self.entry_changed("overrideEntry", &s, e))
    }

    /// Soft-deletes an editable entry; answers it with `isDeleted = true`.
    pub fn delete_entry(&self, scope: Scope, entry_id: String) -> Result<Entry> {
        let (s, id) = (scope.to_core()?, object_id(&entry_id, "entryId")?);
        let e = run(|| self.inner.delete_entry(&s, &id))?;
        Ok(self.entry_changed("deleteEntry", &s, e))
    }

    /// Releases an entry whose rules pass (`ValidationFailed` lists the failing rules).
    pub fn release_entry(&self, scope: Scope, entry_id: String) -> Result<Entry> {
        let (s, id) = (scope.to_core()?, object_id(&entry_id, "entryId")?);
        let e = run(|| self.inner.release_entry(&s, &id))?;
        Ok(self.entry_changed("releaseEntry", &s, e))
    }

    /// Releases every editable entry of a day: all or nothing (default), or the ready subset.
    #[uniffi::method(default(mode = None))]
    pub fn release_day(&self, scope: Scope, work_date: String, mode: Option<ReleaseDayMode>) -> Result<ReleaseDayResult> {
        let (s, d) = (scope.to_core()?, date(&work_date, "workDate")?);
        let r = run(|| self.inner.release_day(&s, d, mode.map(Into::into).unwrap_or_default()))?;
        if !r.released.is_empty() {
            self.notify(ChangeKind::Entries, "releaseDay", Some(&s.customer), Some(&s.user), strings(&r.released));
        }
        Ok(r.into())
    }

    /// The connector reports a successful release (a repeat with the same PMS id is a no-op).
    /// `userId` narrows the scope when the caller knows the user.
    #[uniffi::method(default(user_id = None, external_id = None, re_release_failed_messages = None))]
    pub fn release_succeeded(
        &self,
        customer_id: String,
        entry_id: String,
        user_id: Option<String>,
        external_id: Option<String>,
        re_release_failed_messages: Option<Vec<String>>,
    ) -> Result<Entry> {
        let (c, id, u) = (object_id(&customer_id, "customerId")?, object_id(&entry_id, "entryId")?, opt_object_id(user_id.as_deref(), "userId")?);
        let e = run(|| self.inner.release_succeeded(&c, u.as_ref(), &id, external_id.as_deref(), re_release_failed_messages.as_deref()))?;
        self.notify(ChangeKind::Entries, "releaseSucceeded", Some(&c), Some(&e.user_id), vec![e.id.to_string()]);
        Ok(e.into())
    }

    /// Batch release-succeeded: one result per item, in input order; one bad item never fails
    /// the others.
    pub fn release_succeeded_batch(&self, customer_id: String, items: Vec<ReleaseSucceededItem>) -> Result<Vec<BatchItemResult>> {
        let c = object_id(&customer_id, "customerId")?;
        let items = parse::<Vec<tenths::ReleaseSucceededItem>>(&items)?;
        let results = run(|| self.inner.release_succeeded_batch(&c, &items))?;
        let ok: Vec<String> = results.iter().filter(|r| r.status == "ok").map(|r| r.entry_id.to_ascii_lowercase()).collect();
        if !ok.is_empty() {
            self.notify(ChangeKind::Entries, "releaseSucceededBatch", Some(&c), None, ok);
        }
        Ok(results.into_iter().map(BatchItemResult::from).collect())
    }

    /// The connector reports a failed release with the PMS messages (at least one).
    #[uniffi::method(default(user_id = None))]
    pub fn release_failed(&self, customer_id: String, entry_id: String, errors: Vec<String>, user_id: Option<String>) -> Result<Entry> {
        let (c, id, u) = (object_id(&customer_id, "customerId")?, object_id(&entry_id, "entryId")?, opt_object_id(user_id.as_deref(), "userId")?);
        let e = run(|| self.inner.release_failed(&c, u.as_ref(), &id, &errors))?;
        self.notify(ChangeKind::Entries, "releaseFailed", Some(&c), Some(&e.user_id), vec![e.id.to_string()]);
        Ok(e.into())
    }

    /// Takes a release back: unlocks and re-validates; keeps `externalId` and `releaseCount`.
    pub fn unrelease(&self, scope: Scope, entry_id: String) -> Result<Entry> {
        let (s, id) = (scope.to_core()?, object_id(&entry_id, "entryId")?);
        let e = run(|| self.inner.unrelease(&s, &id))?;
        Ok(self.entry_changed("unrelease", &s, e))
    }

    // ----- timers ----------------------------------------------------------------------------

    /// Starts a timer entry with a running session; the user's other running timer stops.
    pub fn start_timer(&self, scope: Scope, input: TimerStart) -> Result<Entry> {
        let (s, input) = (scope.to_core()?, parse::<tenths::TimerStart>(&input)?);
        let e = run(|| self.inner.start_timer(&s, &input))?;
        Ok(self.entry_changed("startTimer", &s, e))
    }

    /// Stops the entry's running session.
    pub fn stop_timer(&self, scope: Scope, entry_id: String) -> Result<Entry> {
        let (s, id) = (scope.to_core()?, object_id(&entry_id, "entryId")?);
        let e = run(|| self.inner.stop_timer(&s, &id))?;
        Ok(self.entry_changed("stopTimer", &s, e))
    }

    /// Resumes a timer entry on its own local day.
    pub fn resume_timer(&self, scope: Scope, entry_id: String) -> Result<Entry> {
        let (s, id) = (scope.to_core()?, object_id(&entry_id, "entryId")?);
        let e = run(|| self.inner.resume_timer(&s, &id))?;
        Ok(self.entry_changed("resumeTimer", &s, e))
    }

    // ----- listing and export ----------------------------------------------------------------

    /// Every entry of the customer updated in `(updatedAfter, updatedOnOrBefore]` (deleted ones
    /// too), by update time then id (the v1 list).
    pub fn list_updated(&self, customer_id: String, updated_after: String, updated_on_or_before: String) -> Result<Vec<Entry>> {
        let c = object_id(&customer_id, "customerId")?;
        let w = window(&updated_after, &updated_on_or_before, ("updatedAfter", "updatedOnOrBefore"))?;
        Ok(entries(run(|| self.inner.list_updated(&c, w))?))
    }

    /// One page (by id, after `cursor`) of the entries updated in the window (the v2 list), in
    /// one crossing. `pageSize` is 1..100 (100 by default).
    #[uniffi::method(default(page_size = None, cursor = None))]
    pub fn list_updated_page(
        &self,
        customer_id: String,
        updated_after: String,
        updated_on_or_before: String,
        page_size: Option<i32>,
        cursor: Option<String>,
    ) -> Result<EntryPage> {
        let c = object_id(&customer_id, "customerId")?;
        let w = window(&updated_after, &updated_on_or_before, ("updatedAfter", "updatedOnOrBefore"))?;
        let (n, cur) = (self::page_size(page_size)?, opt_object_id(cursor.as_deref(), "cursor")?);
        Ok(run(|| self.inner.list_updated_page(&c, w, n, cur.as_ref()))?.into())
    }

    /// Every entry released in `(releasedAfter, releasedOnOrBefore]` and still released (the v1
    /// export).
    pub fn export_released(&self, customer_id: String, released_after: String, released_on_or_before: String) -> Result<Vec<Entry>> {
        let c = object_id(&customer_id, "customerId")?;
        let w = window(&released_after, &released_on_or_before, ("releasedAfter", "releasedOnOrBefore"))?;
        Ok(entries(run(|| self.inner.export_released(&c, w))?))
    }

    /// One page of the export window (the v2 export), in one crossing.
    #[uniffi::method(default(page_size = None, cursor = None))]
    pub fn export_released_page(
        &self,
        customer_id: String,
        released_after: String,
        released_on_or_before: String,
        page_size: Option<i32>,
        cursor: Option<String>,
    ) -> Result<EntryPage> {
        let c = object_id(&customer_id, "customerId")?;
        let w = window(&released_after, &released_on_or_before, ("releasedAfter", "releasedOnOrBefore"))?;
        let (n, cur) = (self::page_size(page_size)?, opt_object_id(cursor.as_deref(), "cursor")?);
        Ok(run(|| self.inner.export_released_page(&c, w, n, cur.as_ref()))?.into())
    }

    /// The export window as CSV text (header row, one row per entry, RFC 4180 quoting).
    pub fn export_csv(&self, customer_id: String, released_after: String, released_on_or_before: String) -> Result<String> {
        let c = object_id(&customer_id, "customerId")?;
        let w = window(&released_after, &released_on_or_before, ("releasedAfter", "releasedOnOrBefore"))?;
        let mut out = Vec::new();
        run(|| self.inner.export_csv(&c, w, &mut out))?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Totals per user, work date and matter of live entries with a work date in the range, for
    /// one user or (`userId = null`) every user.
    #[uniffi::method(default(user_id = None))]
    pub fn totals(&self, customer_id: String, work_date_from: String, work_date_to: String, user_id: Option<String>) -> Result<Vec<Total>> {
        let c = object_id(&customer_id, "customerId")?;
        let (from, to, u) = (date(&work_date_from, "workDateFrom")?, date(&work_date_to, "workDateTo")?, opt_object_id(user_id.as_deref(), "userId")?);
        Ok(run(|| self.inner.totals(&c, u.as_ref(), from, to))?.into_iter().map(Total::from).collect())
    }
}

/// `entries[3].summary` for an error of the fourth input of a batch.
fn prefix(e: TenthsError, n: usize) -> TenthsError {
    match e {
        TenthsError::InvalidArgument { field, reason } => TenthsError::InvalidArgument { field: format!("entries[{n}].{field}"), reason },
        other => other,
    }
}
