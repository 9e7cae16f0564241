//! `tenths.Engine`: one method per engine operation. Each converts its arguments (through the
//! core's own parsers, so errors name the wire field), calls one engine method with the GIL
//! released, and converts the result or maps the error. No rule lives here.

// One Rust parameter per Python keyword argument.
#![allow(clippy::too_many_arguments)]

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use serde::Deserialize;
use tenths::wire::EntryColumns;
use tenths::{
    AccessKind, ClientInput, CodeInput, CodeTypeInput, CustomerSettingsPatch, EntryPatch, FixedClock, InitiativeInput, NewEntry, ObjectId, OpenOptions,
    OverrideInput, ReleaseDayMode, ReleaseSucceededItem, Scope, SystemClock, TenthsError, TimerStart, UserSettings, ValidationRulesInput, Window,
};

use crate::convert::{body, count, date, invalid, object_id, opt_object_id, py_datetime, text, timestamp, to_json};
use crate::errors::to_py_err;
use crate::frames;
use crate::records::{self, entries, entry, page, to_record};

type Arg<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_else(|| "panic".into())
}

/// Runs an engine call with the GIL released. A panic (a bug) becomes `StorageError`, never a
/// `PanicException`.
pub fn run<T: Send>(py: Python<'_>, f: impl FnOnce() -> tenths::Result<T> + Send) -> PyResult<T> {
    match py.detach(|| std::panic::catch_unwind(AssertUnwindSafe(f))) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_py_err(e)),
        Err(p) => Err(to_py_err(TenthsError::Storage { reason: format!("internal error: {}", panic_message(p.as_ref())) })),
    }
}

fn scope(customer: &Bound<'_, PyAny>, user: &Bound<'_, PyAny>, actor: Arg<'_, '_>) -> PyResult<Scope> {
    let s = Scope::new(object_id(customer, "customerId")?, object_id(user, "userId")?);
    Ok(match opt_object_id(actor, "actorId")? {
        Some(a) => s.acting_as(a),
        None => s,
    })
}

fn window(after: &Bound<'_, PyAny>, on_or_before: &Bound<'_, PyAny>, names: (&str, &str)) -> PyResult<Window> {
    Window::new(timestamp(after, names.0)?, timestamp(on_or_before, names.1)?).map_err(to_py_err)
}

fn page_size(obj: Arg<'_, '_>) -> PyResult<usize> {
    match obj {
        Some(o) if !o.is_none() => usize::try_from(count(o, "pageSize")?).map_err(|_| invalid("pageSize", "must be between 1 and 100")),
        _ => Ok(tenths::engine::MAX_PAGE_SIZE),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InitiativeCodesArgs {
    initiative_external_id: String,
    code_external_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InitiativeAccessArgs {
    initiative_external_id: String,
    #[serde(rename = "type")]
    kind: AccessKind,
    user_ids: Vec<ObjectId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReleaseDayArgs {
    #[serde(default)]
    mode: ReleaseDayMode,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReleaseSucceededArgs {
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    re_release_failed_messages: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReleaseFailedArgs {
    errors: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BatchArgs {
    entries: Vec<ReleaseSucceededItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ImportArgs {
    entries: Vec<NewEntry>,
}

/// An engine over one SQLite database (a file path, or `":memory:"`). Thread-safe: share one
/// engine between threads; calls release the GIL while the engine works.
#[pyclass(frozen, module = "tenths._native")]
pub struct Engine {
    inner: Arc<tenths::Engine>,
    /// The in-process router `request` serves through (it holds the token verifier).
    router: tenths::api::Router,
    clock: Option<Arc<FixedClock>>,
    path: String,
}

#[pymethods]
impl Engine {
    /// Opens (creating and migrating if needed) the database at `path`: a SQLite file, or a
    /// PostgreSQL database when `path` is a `postgresql://user:password@host:port/dbname` URL
    /// (the server of record's, shared with `tenths serve`). With `now` (a
    /// timezone-aware datetime), the engine runs on a fixed clock that only `set_clock` and
    /// `advance_clock` move: for tests and replays. `check_integrity=False` skips the integrity
    /// check of an existing file at open (it reads the whole file; a damaged file then raises
    /// `Corrupt` only when a call meets the damage).
    #[new]
    #[pyo3(signature = (path, *, now = None, check_integrity = true))]
    fn new(py: Python<'_>, path: &Bound<'_, PyAny>, now: Arg<'_, '_>, check_integrity: bool) -> PyResult<Self> {
        let path_text = if path.is_instance_of::<PyString>() { text(path, "path")? } else { text(&py.import("os")?.call_method1("fspath", (path,))?, "path")? };
        if path_text.is_empty() {
            return Err(invalid("path", "must not be empty (use \":memory:\" for an in-memory database)"));
        }
        let clock = match now {
            Some(n) if !n.is_none() => Some(Arc::new(FixedClock::new(timestamp(n, "now")?))),
            _ => None,
        };
        let options = OpenOptions { check_integrity, ..OpenOptions::default() };
        let engine_clock: Arc<dyn tenths::Clock> = match &clock {
            Some(c) => c.clone(),
            None => Arc::new(SystemClock),
        };
        let inner = run(py, || tenths_postgres::open_target(&path_text, options, tenths_postgres::PgOptions::default(), engine_clock))?;
        Ok(Engine { inner: Arc::new(inner), router: tenths::api::Router::new(), clock, path: tenths_postgres::shown(&path_text) })
    }

    /// The database path given at open (a PostgreSQL URL without its password).
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Closes the database; every later call raises `Closed`. Closing twice is fine.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        run(py, || self.inner.close())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!("Engine(path={:?}, closed={})", self.path, self.inner.is_closed())
    }

    /// The engine's clock (UTC).
    fn now(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py_datetime(py, self.inner.now())
    }

    /// Moves a fixed clock (an engine opened with `now=`) to `now`.
    fn set_clock(&self, now: &Bound<'_, PyAny>) -> PyResult<()> {
        let t = timestamp(now, "now")?;
        self.fixed()?.set(t);
        Ok(())
    }

    /// Moves a fixed clock forward (or back, with negative values).
    #[pyo3(signature = (seconds = None, millis = None))]
    #[pyo3(text_signature = "($self, seconds=0, millis=0)")]
    fn advance_clock(&self, seconds: Arg<'_, '_>, millis: Arg<'_, '_>) -> PyResult<()> {
        let seconds = seconds.filter(|s| !s.is_none()).map(|s| count(s, "seconds")).transpose()?.unwrap_or(0);
        let millis = millis.filter(|s| !s.is_none()).map(|s| count(s, "millis")).transpose()?.unwrap_or(0);
        let ms = seconds.checked_mul(1000).and_then(|s| s.checked_add(millis)).ok_or_else(|| invalid("seconds", "out of range"))?;
        self.fixed()?.advance_millis(ms);
        Ok(())
    }

    /// Accepts bearer tokens (HS256, signed with `secret`) in `request`; `None` accepts none.
    #[pyo3(signature = (secret))]
    fn set_jwt_secret(&self, secret: Arg<'_, '_>) -> PyResult<()> {
        let verifier: Option<Arc<dyn tenths::api::Verifier>> = match secret {
            Some(s) if !s.is_none() => Some(Arc::new(tenths::api::Hs256Verifier::new(&secret_bytes(s)?).map_err(to_py_err)?)),
            _ => None,
        };
        self.router.set_token_verifier(verifier);
        Ok(())
    }

    /// Serves one request of the HTTP API in-process (the router `tenths serve` uses). `body`
    /// may be bytes, str, or a JSON-able value; `principal` is a caller the host has already
    /// authenticated (otherwise an `Authorization: Bearer` header is needed).
    #[pyo3(signature = (method, path, headers = None, body = None, principal = None))]
    fn request(
        &self,
        py: Python<'_>,
        method: &Bound<'_, PyAny>,
        path: &Bound<'_, PyAny>,
        headers: Arg<'_, '_>,
        body: Arg<'_, '_>,
        principal: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let mut req = tenths::api::Request::new(&text(method, "method")?, &text(path, "path")?, Vec::new());
        if let Some(h) = headers.filter(|h| !h.is_none()) {
            let pairs: Vec<Bound<'_, PyAny>> = if h.is_instance_of::<PyDict>() || h.hasattr("items")? {
                h.call_method0("items")?.try_iter()?.collect::<PyResult<_>>()?
            } else {
                h.try_iter()?.collect::<PyResult<_>>()?
            };
            for (i, pair) in pairs.iter().enumerate() {
                let field = format!("headers[{i}]");
                let (n, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair.extract().map_err(|_| invalid(&field, "expected a (name, value) pair"))?;
                req.headers.push((text(&n, &field)?, text(&v, &field)?));
            }
        }
        if let Some(b) = body.filter(|b| !b.is_none()) {
            req.body = if let Ok(bytes) = b.cast::<PyBytes>() {
                bytes.as_bytes().to_vec()
            } else if b.is_instance_of::<PyString>() {
                text(b, "body")?.into_bytes()
            } else {
                serde_json::to_vec(&to_json(b, "body")?).map_err(|e| invalid("body", e.to_string()))?
            };
        }
        if let Some(p) = principal.filter(|p| !p.is_none()) {
            let p = p.cast::<records::Principal>().map_err(|_| invalid("principal", "expected a tenths.Principal"))?;
            req.principal = Some(p.get().to_core(py)?);
        }
        let resp = run(py, || Ok(self.router.handle(&self.inner, &req)))?;
        records::response(py, resp)
    }

    // ----- offline-first sync (the conversions live in crate::sync) ---------------------------

    /// Syncs this device's copy of `user_id`'s entries with the server of record through
    /// `transport` (a `tenths.Transport`, e.g. `tenths.HttpTransport`): pushes pending changes
    /// until none is left, then pulls the server's changes until the feed is exhausted. A
    /// transport exception or a refused request raises (`StorageError` naming the transport,
    /// or the server's error kind) and is kept in `sync_status().last_error`; nothing is lost.
    fn sync(&self, py: Python<'_>, transport: &Bound<'_, PyAny>, customer_id: &Bound<'_, PyAny>, user_id: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let (c, u) = (object_id(customer_id, "customerId")?, object_id(user_id, "userId")?);
        let transport = crate::sync::PyTransport::new(transport)?;
        let report = run(py, || self.inner.sync(&transport, &c, &u))?;
        crate::sync::report(py, &report)
    }

    /// The device's sync state for `user_id`: pending changes, quarantine, conflicts, last error.
    fn sync_status(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>, user_id: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let (c, u) = (object_id(customer_id, "customerId")?, object_id(user_id, "userId")?);
        let status = run(py, || self.inner.sync_status(&c, &u))?;
        crate::sync::status(py, &status)
    }

    /// The local changes the server refused, oldest first.
    fn sync_quarantined(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>) -> PyResult<Vec<Py<PyAny>>> {
        let c = object_id(customer_id, "customerId")?;
        let list = run(py, || self.inner.sync_quarantined(&c))?;
        crate::sync::quarantined(py, &list)
    }

    /// Puts the entry's quarantined change back in the push queue (after the user fixed it).
    fn sync_retry(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>, entry_id: &Bound<'_, PyAny>) -> PyResult<()> {
        let (c, e) = (object_id(customer_id, "customerId")?, object_id(entry_id, "entryId")?);
        run(py, || self.inner.sync_retry(&c, &e))
    }

    /// Drops the entry's unsent and quarantined changes; the server's copy is restored.
    fn sync_discard_local_changes(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>, entry_id: &Bound<'_, PyAny>) -> PyResult<()> {
        let (c, e) = (object_id(customer_id, "customerId")?, object_id(entry_id, "entryId")?);
        run(py, || self.inner.sync_discard_local_changes(&c, &e))
    }

    /// The conflict log: local values that lost to the server's, oldest first.
    fn sync_conflicts(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>) -> PyResult<Vec<Py<PyAny>>> {
        let c = object_id(customer_id, "customerId")?;
        let list = run(py, || self.inner.sync_conflicts(&c))?;
        crate::sync::conflicts(py, &list)
    }

    // ----- settings and reference data -----------------------------------------------------

    /// The customer's settings (defaults for a customer not seen yet).
    fn customer_settings(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let c = object_id(customer_id, "customerId")?;
        let s = run(py, || self.inner.customer_settings(&c))?;
        to_record::<_, records::CustomerSettings>(py, &s)
    }

    /// Changes customer settings (absent = unchanged); editable entries are re-settled.
    #[pyo3(signature = (customer_id, *, default_unit_increments = None, rounding = None, minimum_one_unit = None, timezone = None, allow_post_release_edit = None))]
    fn update_customer_settings(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        default_unit_increments: Arg<'_, '_>,
        rounding: Arg<'_, '_>,
        minimum_one_unit: Arg<'_, '_>,
        timezone: Arg<'_, '_>,
        allow_post_release_edit: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let c = object_id(customer_id, "customerId")?;
        let patch: CustomerSettingsPatch = body(&[
            ("defaultUnitIncrements", default_unit_increments),
            ("rounding", rounding),
            ("minimumOneUnit", minimum_one_unit),
            ("timezone", timezone),
            ("allowPostReleaseEdit", allow_post_release_edit),
        ])?;
        let s = run(py, || self.inner.update_customer_settings(&c, &patch))?;
        to_record::<_, records::CustomerSettings>(py, &s)
    }

    /// The user's settings.
    fn user_settings(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>, user_id: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let (c, u) = (object_id(customer_id, "customerId")?, object_id(user_id, "userId")?);
        let s = run(py, || self.inner.user_settings(&c, &u))?;
        to_record::<_, records::UserSettings>(py, &s)
    }

    /// Sets the user's IANA zone (`None` = follow the customer's).
    #[pyo3(signature = (customer_id, user_id, *, timezone = None))]
    fn update_user_settings(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>, user_id: &Bound<'_, PyAny>, timezone: Arg<'_, '_>) -> PyResult<Py<PyAny>> {
        let (c, u) = (object_id(customer_id, "customerId")?, object_id(user_id, "userId")?);
        let settings: UserSettings = body(&[("timezone", timezone)])?;
        let s = run(py, || self.inner.update_user_settings(&c, &u, &settings))?;
        to_record::<_, records::UserSettings>(py, &s)
    }

    /// Upserts a client by external id.
    #[pyo3(signature = (customer_id, *, external_id, name, call_sign = None, description = None))]
    fn upsert_client(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        external_id: Arg<'_, '_>,
        name: Arg<'_, '_>,
        call_sign: Arg<'_, '_>,
        description: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let c = object_id(customer_id, "customerId")?;
        let input: ClientInput = body(&[("externalId", external_id), ("name", name), ("callSign", call_sign), ("description", description)])?;
        let r = run(py, || self.inner.upsert_client(&c, &input))?;
        to_record::<_, records::Client>(py, &r)
    }

    /// Upserts a code type by external id.
    #[pyo3(signature = (customer_id, *, external_id, name, semantic_type))]
    fn upsert_code_type(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        external_id: Arg<'_, '_>,
        name: Arg<'_, '_>,
        semantic_type: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let c = object_id(customer_id, "customerId")?;
        let input: CodeTypeInput = body(&[("externalId", external_id), ("name", name), ("semanticType", semantic_type)])?;
        let r = run(py, || self.inner.upsert_code_type(&c, &input))?;
        to_record::<_, records::CodeType>(py, &r)
    }

    /// Upserts a code by code type and external id.
    #[pyo3(signature = (customer_id, *, external_id, name, code_type_external_id, description = None, is_disabled = None))]
    fn upsert_code(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        external_id: Arg<'_, '_>,
        name: Arg<'_, '_>,
        code_type_external_id: Arg<'_, '_>,
        description: Arg<'_, '_>,
        is_disabled: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let c = object_id(customer_id, "customerId")?;
        let input: CodeInput = body(&[
            ("externalId", external_id),
            ("name", name),
            ("codeTypeExternalId", code_type_external_id),
            ("description", description),
            ("isDisabled", is_disabled),
        ])?;
        let r = run(py, || self.inner.upsert_code(&c, &input))?;
        to_record::<_, records::Code>(py, &r)
    }

    /// Upserts a matter by external id; its editable entries are re-settled.
    #[pyo3(signature = (customer_id, *, external_id, name, billing_type, unit_increments, description = None, call_sign = None, client_external_id = None, status = None, kind = None))]
    fn upsert_initiative(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        external_id: Arg<'_, '_>,
        name: Arg<'_, '_>,
        billing_type: Arg<'_, '_>,
        unit_increments: Arg<'_, '_>,
        description: Arg<'_, '_>,
        call_sign: Arg<'_, '_>,
        client_external_id: Arg<'_, '_>,
        status: Arg<'_, '_>,
        kind: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let c = object_id(customer_id, "customerId")?;
        let input: InitiativeInput = body(&[
            ("externalId", external_id),
            ("name", name),
            ("billingType", billing_type),
            ("unitIncrements", unit_increments),
            ("description", description),
            ("callSign", call_sign),
            ("clientExternalId", client_external_id),
            ("status", status),
            ("type", kind),
        ])?;
        let r = run(py, || self.inner.upsert_initiative(&c, &input))?;
        to_record::<_, records::Initiative>(py, &r)
    }

    /// Replaces the allowed codes of a matter (by external ids).
    fn set_initiative_codes(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        initiative_external_id: &Bound<'_, PyAny>,
        code_external_ids: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let c = object_id(customer_id, "customerId")?;
        let a: InitiativeCodesArgs = body(&[("initiativeExternalId", Some(initiative_external_id)), ("codeExternalIds", Some(code_external_ids))])?;
        let r = run(py, || self.inner.set_initiative_codes(&c, &a.initiative_external_id, &a.code_external_ids))?;
        to_record::<_, records::Initiative>(py, &r)
    }

    /// Replaces the allow (`kind="allow"`) or deny list of a matter.
    fn set_initiative_access(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        initiative_external_id: &Bound<'_, PyAny>,
        kind: &Bound<'_, PyAny>,
        user_ids: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let c = object_id(customer_id, "customerId")?;
        let a: InitiativeAccessArgs = body(&[("initiativeExternalId", Some(initiative_external_id)), ("type", Some(kind)), ("userIds", Some(user_ids))])?;
        let r = run(py, || self.inner.set_initiative_access(&c, &a.initiative_external_id, a.kind, &a.user_ids))?;
        to_record::<_, records::Initiative>(py, &r)
    }

    /// Sets the validation rules of a matter (by external id), or the customer-wide rules when
    /// `initiative_external_id` is `None`; absent flags take the defaults.
    #[pyo3(signature = (customer_id, *, initiative_external_id = None, required_code_type_external_ids = None, is_summary_required = None, cannot_release_future_work = None, cannot_release_negative_increment = None, cannot_release_zero_increment = None))]
    fn set_validation_rules(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        initiative_external_id: Arg<'_, '_>,
        required_code_type_external_ids: Arg<'_, '_>,
        is_summary_required: Arg<'_, '_>,
        cannot_release_future_work: Arg<'_, '_>,
        cannot_release_negative_increment: Arg<'_, '_>,
        cannot_release_zero_increment: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let c = object_id(customer_id, "customerId")?;
        let initiative = match initiative_external_id {
            Some(i) if !i.is_none() => Some(text(i, "initiativeExternalId")?),
            _ => None,
        };
        let input: ValidationRulesInput = body(&[
            ("requiredCodeTypeExternalIds", required_code_type_external_ids),
            ("isSummaryRequired", is_summary_required),
            ("cannotReleaseFutureWork", cannot_release_future_work),
            ("cannotReleaseNegativeIncrement", cannot_release_negative_increment),
            ("cannotReleaseZeroIncrement", cannot_release_zero_increment),
        ])?;
        let r = run(py, || self.inner.set_validation_rules(&c, initiative.as_deref(), &input))?;
        to_record::<_, records::ValidationRules>(py, &r)
    }

    /// Every matter of the customer.
    fn list_initiatives(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>) -> PyResult<Vec<Py<PyAny>>> {
        let c = object_id(customer_id, "customerId")?;
        run(py, || self.inner.list_initiatives(&c))?.iter().map(|r| to_record::<_, records::Initiative>(py, r)).collect()
    }

    /// Every code of the customer.
    fn list_codes(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>) -> PyResult<Vec<Py<PyAny>>> {
        let c = object_id(customer_id, "customerId")?;
        run(py, || self.inner.list_codes(&c))?.iter().map(|r| to_record::<_, records::Code>(py, r)).collect()
    }

    /// Every client of the customer.
    fn list_clients(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>) -> PyResult<Vec<Py<PyAny>>> {
        let c = object_id(customer_id, "customerId")?;
        run(py, || self.inner.list_clients(&c))?.iter().map(|r| to_record::<_, records::Client>(py, r)).collect()
    }

    // ----- entries ---------------------------------------------------------------------------

    /// Creates an entry: a manual `duration_in_seconds`, or `sources`, or neither. Returns
    /// `(entry, created)`; the same device-made `id` with the same arguments again answers the
    /// stored entry with `created=False`.
    #[pyo3(signature = (customer_id, user_id, *, id = None, initiative_id = None, summary = None, notes = None, work_date = None, code_ids = None, duration_in_seconds = None, sources = None, creation_method = None, enrichment_correlation_id = None, actor_id = None))]
    fn create_entry(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        id: Arg<'_, '_>,
        initiative_id: Arg<'_, '_>,
        summary: Arg<'_, '_>,
        notes: Arg<'_, '_>,
        work_date: Arg<'_, '_>,
        code_ids: Arg<'_, '_>,
        duration_in_seconds: Arg<'_, '_>,
        sources: Arg<'_, '_>,
        creation_method: Arg<'_, '_>,
        enrichment_correlation_id: Arg<'_, '_>,
        actor_id: Arg<'_, '_>,
    ) -> PyResult<(Py<PyAny>, bool)> {
        let s = scope(customer_id, user_id, actor_id)?;
        let input: NewEntry = body(&[
            ("_id", id),
            ("initiativeId", initiative_id),
            ("summary", summary),
            ("notes", notes),
            ("workDate", work_date),
            ("codeIds", code_ids),
            ("durationInSeconds", duration_in_seconds),
            ("sources", sources),
            ("creationMethod", creation_method),
            ("enrichmentCorrelationId", enrichment_correlation_id),
        ])?;
        let (e, created) = run(py, || self.inner.create_entry(&s, &input))?;
        Ok((entry(py, e)?, created))
    }

    /// Creates many entries of one user in one transaction (all or none); `entries` are
    /// mappings in the wire shape of a create (`summary`, `durationInSeconds`, `workDate`, …).
    /// Returns their ids in input order.
    #[pyo3(signature = (customer_id, user_id, entries, *, actor_id = None))]
    fn import_entries(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        entries: &Bound<'_, PyAny>,
        actor_id: Arg<'_, '_>,
    ) -> PyResult<Vec<String>> {
        let s = scope(customer_id, user_id, actor_id)?;
        let a: ImportArgs = body(&[("entries", Some(entries))])?;
        Ok(run(py, || self.inner.import_entries(&s, &a.entries))?.iter().map(|id| id.to_string()).collect())
    }

    /// One entry of the user (`NotFound` when missing, deleted, or another user's).
    #[pyo3(signature = (customer_id, user_id, entry_id, *, actor_id = None))]
    fn get_entry(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        entry_id: &Bound<'_, PyAny>,
        actor_id: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let (s, id) = (scope(customer_id, user_id, actor_id)?, object_id(entry_id, "entryId")?);
        entry(py, run(py, || self.inner.get_entry(&s, &id))?)
    }

    /// The user's live entries with a work date in `work_date_from..=work_date_to`.
    #[pyo3(signature = (customer_id, user_id, work_date_from, work_date_to, *, actor_id = None))]
    fn list_entries(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        work_date_from: &Bound<'_, PyAny>,
        work_date_to: &Bound<'_, PyAny>,
        actor_id: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let s = scope(customer_id, user_id, actor_id)?;
        let (from, to) = (date(work_date_from, "workDateFrom")?, date(work_date_to, "workDateTo")?);
        entries(py, run(py, || self.inner.list_entries(&s, from, to))?)
    }

    /// Changes an editable entry (absent = unchanged; `notes=""` clears the notes).
    #[pyo3(signature = (customer_id, user_id, entry_id, *, summary = None, notes = None, work_date = None, initiative_id = None, code_ids = None, unit_increment_count_adjustments = None, timer_duration_adjustment_in_seconds = None, actor_id = None))]
    fn edit_entry(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        entry_id: &Bound<'_, PyAny>,
        summary: Arg<'_, '_>,
        notes: Arg<'_, '_>,
        work_date: Arg<'_, '_>,
        initiative_id: Arg<'_, '_>,
        code_ids: Arg<'_, '_>,
        unit_increment_count_adjustments: Arg<'_, '_>,
        timer_duration_adjustment_in_seconds: Arg<'_, '_>,
        actor_id: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let (s, id) = (scope(customer_id, user_id, actor_id)?, object_id(entry_id, "entryId")?);
        let patch: EntryPatch = body(&[
            ("summary", summary),
            ("notes", notes),
            ("workDate", work_date),
            ("initiativeId", initiative_id),
            ("codeIds", code_ids),
            ("unitIncrementCountAdjustments", unit_increment_count_adjustments),
            ("timerDurationAdjustmentInSeconds", timer_duration_adjustment_in_seconds),
        ])?;
        entry(py, run(py, || self.inner.edit_entry(&s, &id, &patch))?)
    }

    /// The seed's override: an edit limited to its five fields.
    #[pyo3(signature = (customer_id, user_id, entry_id, *, summary = None, unit_increment_count_adjustments = None, initiative_id = None, code_ids = None, work_date = None, actor_id = None))]
    fn override_entry(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        entry_id: &Bound<'_, PyAny>,
        summary: Arg<'_, '_>,
        unit_increment_count_adjustments: Arg<'_, '_>,
        initiative_id: Arg<'_, '_>,
        code_ids: Arg<'_, '_>,
        work_date: Arg<'_, '_>,
        actor_id: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let (s, id) = (scope(customer_id, user_id, actor_id)?, object_id(entry_id, "entryId")?);
        let input: OverrideInput = body(&[
            ("summary", summary),
            ("unitIncrementCountAdjustments", unit_increment_count_adjustments),
            ("initiativeId", initiative_id),
            ("codeIds", code_ids),
            ("workDate", work_date),
        ])?;
        entry(py, run(py, || self.inner.override_entry(&s, &id, &input))?)
    }

    /// Soft-deletes an editable entry; answers it with `is_deleted=True`.
    #[pyo3(signature = (customer_id, user_id, entry_id, *, actor_id = None))]
    fn delete_entry(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        entry_id: &Bound<'_, PyAny>,
        actor_id: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let (s, id) = (scope(customer_id, user_id, actor_id)?, object_id(entry_id, "entryId")?);
        entry(py, run(py, || self.inner.delete_entry(&s, &id))?)
    }

    /// Releases an entry whose rules pass (`ValidationFailed` lists the failing rules).
    #[pyo3(signature = (customer_id, user_id, entry_id, *, actor_id = None))]
    fn release_entry(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        entry_id: &Bound<'_, PyAny>,
        actor_id: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let (s, id) = (scope(customer_id, user_id, actor_id)?, object_id(entry_id, "entryId")?);
        entry(py, run(py, || self.inner.release_entry(&s, &id))?)
    }

    /// Releases every editable entry of a day: `mode` `all-or-nothing` or `ready-subset`.
    #[pyo3(signature = (customer_id, user_id, work_date, mode = None, *, actor_id = None))]
    #[pyo3(text_signature = "($self, customer_id, user_id, work_date, mode='all-or-nothing', *, actor_id=None)")]
    fn release_day(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        work_date: &Bound<'_, PyAny>,
        mode: Arg<'_, '_>,
        actor_id: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let s = scope(customer_id, user_id, actor_id)?;
        let d = date(work_date, "workDate")?;
        let a: ReleaseDayArgs = body(&[("mode", mode)])?;
        let r = run(py, || self.inner.release_day(&s, d, a.mode))?;
        to_record::<_, records::ReleaseDayResult>(py, &r)
    }

    /// The connector reports a successful release (a repeat with the same PMS id is a no-op).
    #[pyo3(signature = (customer_id, entry_id, *, user_id = None, external_id = None, re_release_failed_messages = None))]
    fn release_succeeded(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        entry_id: &Bound<'_, PyAny>,
        user_id: Arg<'_, '_>,
        external_id: Arg<'_, '_>,
        re_release_failed_messages: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let (c, id, u) = (object_id(customer_id, "customerId")?, object_id(entry_id, "entryId")?, opt_object_id(user_id, "userId")?);
        let a: ReleaseSucceededArgs = body(&[("externalId", external_id), ("reReleaseFailedMessages", re_release_failed_messages)])?;
        entry(py, run(py, || self.inner.release_succeeded(&c, u.as_ref(), &id, a.external_id.as_deref(), a.re_release_failed_messages.as_deref()))?)
    }

    /// Batch release-succeeded: one result per item, in input order; one bad item never fails
    /// the others. Items are `ReleaseSucceededItem`s or wire mappings (`entryId`, …).
    fn release_succeeded_batch(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>, entries: &Bound<'_, PyAny>) -> PyResult<Vec<Py<PyAny>>> {
        let c = object_id(customer_id, "customerId")?;
        let a: BatchArgs = body(&[("entries", Some(entries))])?;
        run(py, || self.inner.release_succeeded_batch(&c, &a.entries))?.iter().map(|r| to_record::<_, records::BatchItemResult>(py, r)).collect()
    }

    /// The connector reports a failed release with the PMS messages (at least one).
    #[pyo3(signature = (customer_id, entry_id, errors, *, user_id = None))]
    fn release_failed(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        entry_id: &Bound<'_, PyAny>,
        errors: &Bound<'_, PyAny>,
        user_id: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let (c, id, u) = (object_id(customer_id, "customerId")?, object_id(entry_id, "entryId")?, opt_object_id(user_id, "userId")?);
        let a: ReleaseFailedArgs = body(&[("errors", Some(errors))])?;
        entry(py, run(py, || self.inner.release_failed(&c, u.as_ref(), &id, &a.errors))?)
    }

    /// Takes a release back: unlocks and re-validates; keeps `external_id` and `release_count`.
    #[pyo3(signature = (customer_id, user_id, entry_id, *, actor_id = None))]
    fn unrelease(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        entry_id: &Bound<'_, PyAny>,
        actor_id: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let (s, id) = (scope(customer_id, user_id, actor_id)?, object_id(entry_id, "entryId")?);
        entry(py, run(py, || self.inner.unrelease(&s, &id))?)
    }

    // ----- timers ----------------------------------------------------------------------------

    /// Starts a timer entry with a running session; the user's other running timer stops.
    #[pyo3(signature = (customer_id, user_id, *, id = None, initiative_id = None, summary = None, actor_id = None))]
    fn start_timer(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        id: Arg<'_, '_>,
        initiative_id: Arg<'_, '_>,
        summary: Arg<'_, '_>,
        actor_id: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let s = scope(customer_id, user_id, actor_id)?;
        let input: TimerStart = body(&[("_id", id), ("initiativeId", initiative_id), ("summary", summary)])?;
        entry(py, run(py, || self.inner.start_timer(&s, &input))?)
    }

    /// Stops the entry's running session.
    #[pyo3(signature = (customer_id, user_id, entry_id, *, actor_id = None))]
    fn stop_timer(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        entry_id: &Bound<'_, PyAny>,
        actor_id: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let (s, id) = (scope(customer_id, user_id, actor_id)?, object_id(entry_id, "entryId")?);
        entry(py, run(py, || self.inner.stop_timer(&s, &id))?)
    }

    /// Resumes a timer entry on its own local day.
    #[pyo3(signature = (customer_id, user_id, entry_id, *, actor_id = None))]
    fn resume_timer(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        entry_id: &Bound<'_, PyAny>,
        actor_id: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let (s, id) = (scope(customer_id, user_id, actor_id)?, object_id(entry_id, "entryId")?);
        entry(py, run(py, || self.inner.resume_timer(&s, &id))?)
    }

    // ----- listing and export ----------------------------------------------------------------

    /// Every entry of the customer updated in `(after, on_or_before]` (deleted ones too), by
    /// update time then id (the v1 list).
    fn list_updated(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>, after: &Bound<'_, PyAny>, on_or_before: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let c = object_id(customer_id, "customerId")?;
        let w = window(after, on_or_before, ("updatedAfter", "updatedOnOrBefore"))?;
        entries(py, run(py, || self.inner.list_updated(&c, w))?)
    }

    /// One page (by id, after `cursor`) of the entries updated in the window (the v2 list).
    #[pyo3(signature = (customer_id, after, on_or_before, page_size = None, cursor = None))]
    #[pyo3(text_signature = "($self, customer_id, after, on_or_before, page_size=100, cursor=None)")]
    fn list_updated_page(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        after: &Bound<'_, PyAny>,
        on_or_before: &Bound<'_, PyAny>,
        page_size: Arg<'_, '_>,
        cursor: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let c = object_id(customer_id, "customerId")?;
        let w = window(after, on_or_before, ("updatedAfter", "updatedOnOrBefore"))?;
        let (n, cur) = (self::page_size(page_size)?, opt_object_id(cursor, "cursor")?);
        page(py, run(py, || self.inner.list_updated_page(&c, w, n, cur.as_ref()))?)
    }

    /// Iterates over every entry updated in the window, fetching v2 pages of `page_size`.
    #[pyo3(signature = (customer_id, after, on_or_before, page_size = None))]
    #[pyo3(text_signature = "($self, customer_id, after, on_or_before, page_size=100)")]
    fn iter_updated(
        &self,
        customer_id: &Bound<'_, PyAny>,
        after: &Bound<'_, PyAny>,
        on_or_before: &Bound<'_, PyAny>,
        page_size: Arg<'_, '_>,
    ) -> PyResult<EntryIterator> {
        let c = object_id(customer_id, "customerId")?;
        let w = window(after, on_or_before, ("updatedAfter", "updatedOnOrBefore"))?;
        Ok(EntryIterator::new(self.inner.clone(), c, w, self::page_size(page_size)?, false))
    }

    /// Every entry released in `(after, on_or_before]` and still released (the v1 export).
    fn export_released(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        after: &Bound<'_, PyAny>,
        on_or_before: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let c = object_id(customer_id, "customerId")?;
        let w = window(after, on_or_before, ("releasedAfter", "releasedOnOrBefore"))?;
        entries(py, run(py, || self.inner.export_released(&c, w))?)
    }

    /// One page of the export window (the v2 export).
    #[pyo3(signature = (customer_id, after, on_or_before, page_size = None, cursor = None))]
    #[pyo3(text_signature = "($self, customer_id, after, on_or_before, page_size=100, cursor=None)")]
    fn export_released_page(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        after: &Bound<'_, PyAny>,
        on_or_before: &Bound<'_, PyAny>,
        page_size: Arg<'_, '_>,
        cursor: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let c = object_id(customer_id, "customerId")?;
        let w = window(after, on_or_before, ("releasedAfter", "releasedOnOrBefore"))?;
        let (n, cur) = (self::page_size(page_size)?, opt_object_id(cursor, "cursor")?);
        page(py, run(py, || self.inner.export_released_page(&c, w, n, cur.as_ref()))?)
    }

    /// Iterates over the export window, fetching v2 pages of `page_size`.
    #[pyo3(signature = (customer_id, after, on_or_before, page_size = None))]
    #[pyo3(text_signature = "($self, customer_id, after, on_or_before, page_size=100)")]
    fn iter_export(
        &self,
        customer_id: &Bound<'_, PyAny>,
        after: &Bound<'_, PyAny>,
        on_or_before: &Bound<'_, PyAny>,
        page_size: Arg<'_, '_>,
    ) -> PyResult<EntryIterator> {
        let c = object_id(customer_id, "customerId")?;
        let w = window(after, on_or_before, ("releasedAfter", "releasedOnOrBefore"))?;
        Ok(EntryIterator::new(self.inner.clone(), c, w, self::page_size(page_size)?, true))
    }

    /// The export window as CSV text (header row, one row per entry, RFC 4180 quoting).
    fn export_csv(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>, after: &Bound<'_, PyAny>, on_or_before: &Bound<'_, PyAny>) -> PyResult<String> {
        let c = object_id(customer_id, "customerId")?;
        let w = window(after, on_or_before, ("releasedAfter", "releasedOnOrBefore"))?;
        let bytes = run(py, || {
            let mut out = Vec::new();
            self.inner.export_csv(&c, w, &mut out)?;
            Ok(out)
        })?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The entries `list_updated` answers, as a data frame: a pandas `DataFrame`
    /// (`format="pandas"`) or a pyarrow `Table` (`format="arrow"`), one typed column per field
    /// (the core's `EntryColumns`).
    #[pyo3(signature = (customer_id, after, on_or_before, *, format = None))]
    #[pyo3(text_signature = "($self, customer_id, after, on_or_before, *, format='pandas')")]
    fn entries_frame(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        after: &Bound<'_, PyAny>,
        on_or_before: &Bound<'_, PyAny>,
        format: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let names = ("updatedAfter", "updatedOnOrBefore");
        self.frame_of(py, (customer_id, after, on_or_before, names), format, "entries_frame", tenths::Engine::list_updated)
    }

    /// The entries `export_released` answers, as a data frame (see `entries_frame`).
    #[pyo3(signature = (customer_id, after, on_or_before, *, format = None))]
    #[pyo3(text_signature = "($self, customer_id, after, on_or_before, *, format='pandas')")]
    fn export_frame(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        after: &Bound<'_, PyAny>,
        on_or_before: &Bound<'_, PyAny>,
        format: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let names = ("releasedAfter", "releasedOnOrBefore");
        self.frame_of(py, (customer_id, after, on_or_before, names), format, "export_frame", tenths::Engine::export_released)
    }

    /// Totals per user, work date and matter of live entries with a work date in the range,
    /// for one user or (`user_id=None`) every user.
    #[pyo3(signature = (customer_id, work_date_from, work_date_to, *, user_id = None))]
    fn totals(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        work_date_from: &Bound<'_, PyAny>,
        work_date_to: &Bound<'_, PyAny>,
        user_id: Arg<'_, '_>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let c = object_id(customer_id, "customerId")?;
        let (from, to, u) = (date(work_date_from, "workDateFrom")?, date(work_date_to, "workDateTo")?, opt_object_id(user_id, "userId")?);
        run(py, || self.inner.totals(&c, u.as_ref(), from, to))?.iter().map(|t| to_record::<_, records::Total>(py, t)).collect()
    }

    /// The change events of an entry, oldest first (issue 16): at most `page_size` after the
    /// event `cursor`; `sees_deleted` (an admin) also reads a deleted entry's history.
    #[pyo3(signature = (customer_id, user_id, entry_id, page_size = None, cursor = None, sees_deleted = false))]
    #[pyo3(text_signature = "($self, customer_id, user_id, entry_id, page_size=100, cursor=None, sees_deleted=False)")]
    #[allow(clippy::too_many_arguments)]
    fn entry_history(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        entry_id: &Bound<'_, PyAny>,
        page_size: Arg<'_, '_>,
        cursor: Arg<'_, '_>,
        sees_deleted: bool,
    ) -> PyResult<Py<PyAny>> {
        let (s, e) = (scope(customer_id, user_id, None)?, object_id(entry_id, "entryId")?);
        let (n, cur) = (self::page_size(page_size)?, opt_object_id(cursor, "cursor")?);
        records::event_page(py, run(py, || self.inner.entry_history(&s, &e, sees_deleted, n, cur.as_ref()))?)
    }

    /// The customer's change events with a time in the window (`after` exclusive), by time, at
    /// most `page_size` after the event `cursor`.
    #[pyo3(signature = (customer_id, after, on_or_before, page_size = None, cursor = None))]
    #[pyo3(text_signature = "($self, customer_id, after, on_or_before, page_size=100, cursor=None)")]
    fn events(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        after: &Bound<'_, PyAny>,
        on_or_before: &Bound<'_, PyAny>,
        page_size: Arg<'_, '_>,
        cursor: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let c = object_id(customer_id, "customerId")?;
        let w = window(after, on_or_before, ("after", "onOrBefore"))?;
        let (n, cur) = (self::page_size(page_size)?, opt_object_id(cursor, "cursor")?);
        records::event_page(py, run(py, || self.inner.events(&c, w, n, cur.as_ref()))?)
    }

    // ----- benchmark hooks (private; benches/python/bench_binding.py) --------------------------

    /// Nanoseconds the core takes for `n` `get_entry` calls, timed in Rust (GIL released).
    fn _bench_get_entry_ns(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        entry_id: &Bound<'_, PyAny>,
        n: u64,
    ) -> PyResult<u64> {
        let (s, id) = (scope(customer_id, user_id, None)?, object_id(entry_id, "entryId")?);
        run(py, || crate::bench::time_ns(n, || self.inner.get_entry(&s, &id)))
    }

    /// Nanoseconds the core takes for `n` `list_updated_page` calls (first page), timed in Rust.
    fn _bench_updated_page_ns(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        after: &Bound<'_, PyAny>,
        on_or_before: &Bound<'_, PyAny>,
        page_size: &Bound<'_, PyAny>,
        n: u64,
    ) -> PyResult<u64> {
        let c = object_id(customer_id, "customerId")?;
        let (w, size) = (window(after, on_or_before, ("updatedAfter", "updatedOnOrBefore"))?, self::page_size(Some(page_size))?);
        run(py, || crate::bench::time_ns(n, || self.inner.list_updated_page(&c, w, size, None)))
    }

    /// Nanoseconds the core takes to read every v2 page of the window (`export`: the export
    /// window), timed in Rust, and the number of entries read.
    fn _bench_list_all_ns(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        after: &Bound<'_, PyAny>,
        on_or_before: &Bound<'_, PyAny>,
        export: bool,
    ) -> PyResult<(u64, usize)> {
        let c = object_id(customer_id, "customerId")?;
        let w = window(after, on_or_before, ("after", "onOrBefore"))?;
        run(py, || crate::bench::list_all_ns(&self.inner, &c, w, export))
    }

    /// `get_entry` with its result dropped in Rust (arguments converted, GIL released, no
    /// record built): splits the overhead into the call and the record.
    fn _bench_get_entry_discard(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        entry_id: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (s, id) = (scope(customer_id, user_id, None)?, object_id(entry_id, "entryId")?);
        run(py, || self.inner.get_entry(&s, &id)).map(drop)
    }

    /// `list_updated_page` (first page) with its result dropped in Rust.
    fn _bench_updated_page_discard(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        after: &Bound<'_, PyAny>,
        on_or_before: &Bound<'_, PyAny>,
        page_size: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let c = object_id(customer_id, "customerId")?;
        let (w, size) = (window(after, on_or_before, ("updatedAfter", "updatedOnOrBefore"))?, self::page_size(Some(page_size))?);
        run(py, || self.inner.list_updated_page(&c, w, size, None)).map(drop)
    }

    /// The raw floor of `get_entry`: the same signature, no engine, a `_RawRecord` of the same shape.
    #[pyo3(signature = (customer_id, user_id, entry_id, *, actor_id = None))]
    fn _raw_get_entry(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        entry_id: &Bound<'_, PyAny>,
        actor_id: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let _ = (customer_id, user_id, entry_id, actor_id);
        crate::bench::raw_record(py)
    }

    /// The raw floor of `list_updated_page`: the same signature, no engine, a `Page` of
    /// `page_size` `_RawRecord`s.
    #[pyo3(signature = (customer_id, after, on_or_before, page_size = None, cursor = None))]
    fn _raw_updated_page(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        after: &Bound<'_, PyAny>,
        on_or_before: &Bound<'_, PyAny>,
        page_size: Arg<'_, '_>,
        cursor: Arg<'_, '_>,
    ) -> PyResult<Py<PyAny>> {
        let _ = (customer_id, after, on_or_before, cursor);
        let n = page_size.and_then(|p| p.extract::<usize>().ok()).unwrap_or(tenths::engine::MAX_PAGE_SIZE);
        records::page_of(py, crate::bench::raw_records(py, n)?, py.None())
    }
}

/// A window given as Python values: the customer, the bounds and their wire names.
type WindowArgs<'a, 'py> = (&'a Bound<'py, PyAny>, &'a Bound<'py, PyAny>, &'a Bound<'py, PyAny>, (&'static str, &'static str));

/// A listing of the core over a customer's window (`list_updated`, `export_released`).
type WindowRead = fn(&tenths::Engine, &ObjectId, Window) -> tenths::Result<Vec<tenths::Entry>>;

impl Engine {
    /// The entries `read` answers for the window, as a frame in `format` (frames.rs): the
    /// library is imported before the engine reads.
    fn frame_of(
        &self,
        py: Python<'_>,
        (customer, after, on_or_before, names): WindowArgs<'_, '_>,
        format: Arg<'_, '_>,
        method: &str,
        read: WindowRead,
    ) -> PyResult<Py<PyAny>> {
        let c = object_id(customer, "customerId")?;
        let w = window(after, on_or_before, names)?;
        let lib = frames::library(py, format, method)?;
        frames::frame(py, &lib, &run(py, || read(&self.inner, &c, w).map(|v| EntryColumns::of(&v)))?)
    }

    fn fixed(&self) -> PyResult<&FixedClock> {
        self.clock
            .as_deref()
            .ok_or_else(|| invalid("now", "this engine runs on the system clock; open it with Engine(path, now=...) to set or advance its clock"))
    }
}

fn secret_bytes(s: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = s.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    Ok(text(s, "secret")?.into_bytes())
}

/// Entries of a window, one v2 page at a time (the GIL is released while a page is read).
#[pyclass(module = "tenths._native")]
pub struct EntryIterator {
    engine: Arc<tenths::Engine>,
    customer: ObjectId,
    window: Window,
    page_size: usize,
    export: bool,
    cursor: Option<ObjectId>,
    buffer: VecDeque<Py<PyAny>>,
    done: bool,
}

impl EntryIterator {
    fn new(engine: Arc<tenths::Engine>, customer: ObjectId, window: Window, page_size: usize, export: bool) -> Self {
        EntryIterator { engine, customer, window, page_size, export, cursor: None, buffer: VecDeque::new(), done: false }
    }
}

#[pymethods]
impl EntryIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        if self.buffer.is_empty() && !self.done {
            let (engine, c, w, n, cur, export) = (&self.engine, &self.customer, self.window, self.page_size, self.cursor, self.export);
            let p = run(py, || if export { engine.export_released_page(c, w, n, cur.as_ref()) } else { engine.list_updated_page(c, w, n, cur.as_ref()) })?;
            self.done = p.next_cursor.is_none();
            self.cursor = p.next_cursor;
            let (mut items, mut conv) = (p.items, records::Converter::new(py));
            self.buffer = items.iter_mut().map(|e| conv.entry_mut(e)).collect::<PyResult<_>>()?;
        }
        Ok(self.buffer.pop_front())
    }
}
