//! Records returned to Python: frozen, slotted classes whose attributes are Python objects made
//! once (never copied on each access), each with `to_dict()` giving the exact wire shape the
//! core produces. And the three input classes (`SourceInput`, `ReleaseSucceededItem`,
//! `Principal`), which turn into wire JSON.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use serde_json::{json, Value};

use crate::convert::{json_to_py, py_date, py_date_str, py_datetime, py_datetime_str, py_frozen};
use rustc_hash::FxHashMap as FxMap;

fn hash_json(v: &Value) -> u64 {
    let mut h = DefaultHasher::new();
    v.to_string().hash(&mut h);
    h.finish()
}

/// A record made from its wire JSON.
pub trait JsonRecord: Sized {
    fn from_json(py: Python<'_>, json: Value) -> PyResult<Self>;
}

fn make<T: JsonRecord + pyo3::PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Into<pyo3::PyClassInitializer<T>>>(
    py: Python<'_>,
    json: Value,
) -> PyResult<Py<PyAny>> {
    Ok(Py::new(py, T::from_json(py, json)?)?.into_any())
}

/// A tuple of records from a JSON array (an empty tuple when absent).
fn tuple_of<T>(py: Python<'_>, v: Option<&Value>) -> PyResult<Py<PyAny>>
where
    T: JsonRecord + pyo3::PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Into<pyo3::PyClassInitializer<T>>,
{
    let items = match v {
        Some(Value::Array(a)) => a.iter().map(|x| make::<T>(py, x.clone())).collect::<PyResult<Vec<_>>>()?,
        _ => Vec::new(),
    };
    Ok(PyTuple::new(py, items)?.into_any().unbind())
}

/// One record from a JSON object, `None` when absent or null.
fn one_of<T>(py: Python<'_>, v: Option<&Value>) -> PyResult<Py<PyAny>>
where
    T: JsonRecord + pyo3::PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Into<pyo3::PyClassInitializer<T>>,
{
    match v {
        Some(x @ Value::Object(_)) => make::<T>(py, x.clone()),
        _ => Ok(py.None()),
    }
}

macro_rules! record {
    ($(#[$doc:meta])* $ty:ident { $($field:ident : $key:literal => $conv:expr),* $(,)? }) => {
        $(#[$doc])*
        #[pyclass(frozen, module = "tenths._native")]
        pub struct $ty {
            json: Value,
            $( #[pyo3(get)] $field: Py<PyAny>, )*
        }

        impl JsonRecord for $ty {
            fn from_json(py: Python<'_>, json: Value) -> PyResult<Self> {
                Ok($ty { $( $field: ($conv)(py, json.get($key))?, )* json })
            }
        }

        impl $ty {
            #[allow(dead_code)]
            pub fn py(py: Python<'_>, json: Value) -> PyResult<Py<PyAny>> {
                make::<$ty>(py, json)
            }
        }

        #[pymethods]
        impl $ty {
            /// The record in its wire shape (camelCase keys, absent optional fields left out).
            fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                json_to_py(py, &self.json)
            }
            fn __repr__(&self) -> String {
                format!("{}({})", stringify!($ty), self.json)
            }
            fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
                other.cast::<$ty>().map(|o| o.get().json == self.json).unwrap_or(false)
            }
            fn __hash__(&self) -> u64 {
                hash_json(&self.json)
            }
        }
    };
}

record!(
    /// A failing validation rule: `rule` is `initiative`, `summary`, `codes`, `duration`,
    /// `zero-increment`, `negative-increment` or `future-work`.
    RuleFailure { rule: "rule" => py_frozen, title: "title" => py_frozen, description: "description" => py_frozen }
);
record!(
    /// A PMS rejection kept on a `release-failed` entry.
    ReleaseFailure { original_message: "originalMessage" => py_frozen, title: "title" => py_frozen, description: "description" => py_frozen }
);
record!(
    /// A work code on an entry.
    WorkCode {
        id: "_id" => py_frozen,
        external_id: "externalId" => py_frozen,
        code_type_external_id: "codeTypeExternalId" => py_frozen,
        name: "name" => py_frozen,
        assigned_by: "assignedBy" => py_frozen,
    }
);
record!(
    /// Captured time of an entry; `ended_at` is `None` while a timer session runs.
    Source {
        id: "_id" => py_frozen,
        kind: "kind" => py_frozen,
        started_at: "startedAt" => py_datetime_str,
        ended_at: "endedAt" => py_datetime_str,
        title: "title" => py_frozen,
    }
);
record!(
    /// The client of an entry's matter.
    ClientRef {
        id: "_id" => py_frozen,
        external_id: "externalId" => py_frozen,
        name: "name" => py_frozen,
        description: "description" => py_frozen,
        call_sign: "callSign" => py_frozen,
    }
);
record!(
    /// An entry's matter as the entry shows it.
    InitiativeRef {
        id: "_id" => py_frozen,
        kind: "type" => py_frozen,
        billing_type: "billingType" => py_frozen,
        call_sign: "callSign" => py_frozen,
        unit_increments: "unitIncrements" => py_frozen,
        external_id: "externalId" => py_frozen,
        name: "name" => py_frozen,
        description: "description" => py_frozen,
        client: "client" => one_of::<ClientRef>,
    }
);
record!(
    /// A client of the firm.
    Client {
        id: "_id" => py_frozen,
        external_id: "externalId" => py_frozen,
        name: "name" => py_frozen,
        call_sign: "callSign" => py_frozen,
        description: "description" => py_frozen,
    }
);
record!(
    /// A type of work code.
    CodeType { id: "_id" => py_frozen, external_id: "externalId" => py_frozen, name: "name" => py_frozen, semantic_type: "semanticType" => py_frozen }
);
record!(
    /// A work code.
    Code {
        id: "_id" => py_frozen,
        external_id: "externalId" => py_frozen,
        code_type_external_id: "codeTypeExternalId" => py_frozen,
        name: "name" => py_frozen,
        description: "description" => py_frozen,
        is_disabled: "isDisabled" => py_frozen,
    }
);
record!(
    /// A matter.
    Initiative {
        id: "_id" => py_frozen,
        kind: "type" => py_frozen,
        external_id: "externalId" => py_frozen,
        name: "name" => py_frozen,
        description: "description" => py_frozen,
        call_sign: "callSign" => py_frozen,
        client_external_id: "clientExternalId" => py_frozen,
        billing_type: "billingType" => py_frozen,
        unit_increments: "unitIncrements" => py_frozen,
        status: "status" => py_frozen,
        allowed_code_ids: "allowedCodeIds" => py_frozen,
        allowed_user_ids: "allowedUserIds" => py_frozen,
        denied_user_ids: "deniedUserIds" => py_frozen,
    }
);
record!(
    /// Validation rules of a matter or of the customer.
    ValidationRules {
        is_summary_required: "isSummaryRequired" => py_frozen,
        cannot_release_future_work: "cannotReleaseFutureWork" => py_frozen,
        cannot_release_negative_increment: "cannotReleaseNegativeIncrement" => py_frozen,
        cannot_release_zero_increment: "cannotReleaseZeroIncrement" => py_frozen,
        required_code_type_external_ids: "requiredCodeTypeExternalIds" => py_frozen,
    }
);
record!(
    /// Settings of a customer.
    CustomerSettings {
        default_unit_increments: "defaultUnitIncrements" => py_frozen,
        rounding: "rounding" => py_frozen,
        minimum_one_unit: "minimumOneUnit" => py_frozen,
        timezone: "timezone" => py_frozen,
        allow_post_release_edit: "allowPostReleaseEdit" => py_frozen,
    }
);
record!(
    /// Settings of a user (`timezone` is `None` when the user follows the customer's zone).
    UserSettings { timezone: "timezone" => py_frozen }
);
record!(
    /// Totals of one (user, work date, matter).
    Total {
        user_id: "userId" => py_frozen,
        work_date: "workDate" => py_date_str,
        initiative_id: "initiativeId" => py_frozen,
        entries: "entries" => py_frozen,
        unit_increment_count: "unitIncrementCount" => py_frozen,
        increment_duration_in_seconds: "incrementDurationInSeconds" => py_frozen,
    }
);
record!(
    /// One changed field of a change event: its wire name and its values before and after
    /// (`None`: absent).
    FieldChange { field: "field" => py_frozen, before: "before" => py_frozen, after: "after" => py_frozen }
);
record!(
    /// One event of the change-event log (issue 16).
    ChangeEvent {
        event_id: "eventId" => py_frozen,
        seq: "seq" => py_frozen,
        customer_id: "customerId" => py_frozen,
        user_id: "userId" => py_frozen,
        entry_id: "entryId" => py_frozen,
        kind: "kind" => py_frozen,
        operation: "operation" => py_frozen,
        actor_id: "actorId" => py_frozen,
        role: "role" => py_frozen,
        at: "at" => py_datetime_str,
        device_at: "deviceAt" => py_datetime_str,
        request_id: "requestId" => py_frozen,
        changes: "changes" => tuple_of::<FieldChange>,
    }
);

/// A page of change events (`events`, `next_cursor`: the cursor of the next page, or `None`).
#[pyclass(frozen, module = "tenths._native")]
pub struct EventPage {
    #[pyo3(get)]
    events: Py<PyAny>,
    #[pyo3(get)]
    next_cursor: Py<PyAny>,
}

/// A Python `EventPage` of a core page of events.
pub fn event_page(py: Python<'_>, p: tenths::Page<tenths::ChangeEvent>) -> PyResult<Py<PyAny>> {
    let events: Vec<Py<PyAny>> = p.items.iter().map(|e| ChangeEvent::py(py, serde_json::to_value(e).unwrap_or(Value::Null))).collect::<PyResult<_>>()?;
    let next_cursor = opt_s(py, p.next_cursor.as_ref().map(|c| c.as_str()))?;
    Ok(Py::new(py, EventPage { events: pyo3::types::PyList::new(py, events)?.into_any().unbind(), next_cursor })?.into_any())
}

record!(
    /// An entry of a day release that was not released, with its failing rules.
    NotReady { entry_id: "entryId" => py_frozen, errors: "errors" => tuple_of::<RuleFailure> }
);
record!(
    /// The answer of a day release.
    ReleaseDayResult { released: "released" => py_frozen, not_ready: "notReady" => tuple_of::<NotReady> }
);
record!(
    /// The result of one item of a batch release-succeeded: `status` is `ok` or an error code.
    BatchItemResult { entry_id: "entryId" => py_frozen, status: "status" => py_frozen, error: "error" => py_frozen }
);

/// A rule failure as a Python record (for `ValidationFailed.errors`).
pub fn rule_failure(py: Python<'_>, f: &tenths::RuleFailure) -> PyResult<Py<PyAny>> {
    RuleFailure::py(py, serde_json::to_value(f).unwrap_or(Value::Null))
}

/// A serialisable core record as a Python record.
pub fn to_record<R: serde::Serialize, T>(py: Python<'_>, r: &R) -> PyResult<Py<PyAny>>
where
    T: JsonRecord + pyo3::PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Into<pyo3::PyClassInitializer<T>>,
{
    let json = serde_json::to_value(r).map_err(|e| crate::convert::invalid("result", e.to_string()))?;
    make::<T>(py, json)
}

// ----- the entry -------------------------------------------------------------------------------

/// Converts core entries to Python `Entry` records. Values that repeat across entries and calls
/// (customer, user and matter ids, statuses, creation methods, `datetime` and `date` values,
/// matter and work-code records) come from one process-wide cache (`Cache`), locked once per
/// conversion (a page, a list, one entry): a record shares them instead of making its own.
pub struct Converter<'py> {
    py: Python<'py>,
    /// The cache, or `None` while another thread converts (values are then made afresh).
    cache: Option<MutexGuard<'static, Option<Cache>>>,
    /// The matter of the entry being built (for its `Wire`).
    matter_core: Option<Arc<tenths::InitiativeRef>>,
}

/// Python values kept across calls, process-wide. Every value is immutable (`str`, `int`,
/// `datetime`, `date`, frozen records); a record is reused only while the core value it was
/// made from is equal (so a changed matter gets a new record). Each map is emptied when it holds
/// more than `CACHE_MAX` values (records made from it keep theirs). The `last_*` and `recent_*`
/// values are the last ones made or found, compared before hashing: a page repeats its
/// customer, user and matter ids, statuses, units and often timestamps from one entry to the
/// next, and repeated reads repeat them from one call to the next.
#[derive(Default)]
struct Cache {
    matters: FxMap<tenths::ObjectId, (Arc<tenths::InitiativeRef>, Py<PyAny>)>,
    codes: FxMap<tenths::ObjectId, (tenths::WorkCode, Py<PyAny>)>,
    dates: FxMap<tenths::Date, Py<PyAny>>,
    /// UTC `datetime` values by millisecond.
    times: FxMap<i64, Py<PyAny>>,
    /// `str` of customer, user and matter ids (never of entry ids: one each, no reuse).
    ids: FxMap<tenths::ObjectId, Py<PyAny>>,
    /// `str` of enum-like texts (statuses, creation methods).
    texts: FxMap<String, Py<PyAny>>,
    recent_ids: [Option<(tenths::ObjectId, Py<PyAny>)>; 4],
    next_id: usize,
    /// `int` values outside CPython's own small-int cache (-5..=256): units, seconds.
    recent_ints: [Option<(i64, Py<PyAny>)>; 4],
    next_int: usize,
    last_time: Option<(i64, Py<PyAny>)>,
    last_date: Option<(tenths::Date, Py<PyAny>)>,
    /// By kind: 0 creation method, 1 status.
    last_texts: [Option<(String, Py<PyAny>)>; 2],
    last_matter: Option<(Arc<tenths::InitiativeRef>, Py<PyAny>)>,
}

const CACHE_MAX: usize = 4096;
static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

/// Inserts into a cache map, emptying it first when full.
fn put<K: std::hash::Hash + Eq, V>(map: &mut FxMap<K, V>, k: K, v: V) {
    if map.len() >= CACHE_MAX {
        map.clear();
    }
    map.insert(k, v);
}

impl<'py> Converter<'py> {
    /// A converter for a batch of entries. It holds the cache lock (taken with `try_lock`, so a
    /// re-entrant or concurrent conversion never waits: it makes its values afresh) until dropped;
    /// nothing run under it calls back into this module's conversions except through Python
    /// finalizers, which then find the lock taken.
    pub fn new(py: Python<'py>) -> Self {
        let cache = match CACHE.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        };
        let mut c = Converter { py, cache, matter_core: None };
        if let Some(g) = c.cache.as_mut() {
            g.get_or_insert_with(Cache::default);
        }
        c
    }

    /// A converter for one entry.
    pub fn single(py: Python<'py>) -> Self {
        Converter::new(py)
    }

    fn cache(&mut self) -> Option<&mut Cache> {
        self.cache.as_mut().and_then(|g| g.as_mut())
    }

    /// A Python `Entry` for a core entry.
    pub fn entry(&mut self, mut e: tenths::Entry) -> PyResult<Py<PyAny>> {
        self.entry_mut(&mut e)
    }

    /// A Python `Entry` for a core entry, taking its lists and matter (no copy of the entry).
    pub fn entry_mut(&mut self, e: &mut tenths::Entry) -> PyResult<Py<PyAny>> {
        Ok(Py::new(self.py, Entry::build(self, e)?)?.into_any())
    }

    /// A `str` for an id that repeats across entries.
    fn id(&mut self, v: &tenths::ObjectId) -> PyResult<Py<PyAny>> {
        let py = self.py;
        let Some(c) = self.cache() else { return v.as_str().into_py_any(py) };
        if let Some((_, o)) = c.recent_ids.iter().flatten().find(|(k, _)| k == v) {
            return Ok(o.clone_ref(py));
        }
        let o = match c.ids.get(v) {
            Some(o) => o.clone_ref(py),
            None => {
                let o = v.as_str().into_py_any(py)?;
                put(&mut c.ids, *v, o.clone_ref(py));
                o
            }
        };
        c.recent_ids[c.next_id % 4] = Some((*v, o.clone_ref(py)));
        c.next_id = c.next_id.wrapping_add(1);
        Ok(o)
    }

    /// An `int`, shared with the last ones made when outside CPython's small-int range.
    fn int(&mut self, v: i64) -> PyResult<Py<PyAny>> {
        let py = self.py;
        if (-5..=256).contains(&v) {
            return v.into_py_any(py);
        }
        let Some(c) = self.cache() else { return v.into_py_any(py) };
        if let Some((_, o)) = c.recent_ints.iter().flatten().find(|(k, _)| *k == v) {
            return Ok(o.clone_ref(py));
        }
        let o = v.into_py_any(py)?;
        c.recent_ints[c.next_int % 4] = Some((v, o.clone_ref(py)));
        c.next_int = c.next_int.wrapping_add(1);
        Ok(o)
    }

    fn opt_id(&mut self, v: Option<&tenths::ObjectId>) -> PyResult<Py<PyAny>> {
        match v {
            Some(v) => self.id(v),
            None => Ok(self.py.None()),
        }
    }

    /// A `str` for an enum-like text (`slot` 0: a creation method, 1: a status).
    fn text(&mut self, v: &str, slot: usize) -> PyResult<Py<PyAny>> {
        let py = self.py;
        let Some(c) = self.cache() else { return v.into_py_any(py) };
        if let Some((k, o)) = &c.last_texts[slot] {
            if k == v {
                return Ok(o.clone_ref(py));
            }
        }
        let o = match c.texts.get(v) {
            Some(o) => o.clone_ref(py),
            None => {
                let o = v.into_py_any(py)?;
                put(&mut c.texts, v.to_string(), o.clone_ref(py));
                o
            }
        };
        c.last_texts[slot] = Some((v.to_string(), o.clone_ref(py)));
        Ok(o)
    }

    fn date(&mut self, d: tenths::Date) -> PyResult<Py<PyAny>> {
        let py = self.py;
        let Some(c) = self.cache() else { return py_date(py, d) };
        if let Some((_, o)) = c.last_date.as_ref().filter(|(k, _)| *k == d) {
            return Ok(o.clone_ref(py));
        }
        let o = match c.dates.get(&d) {
            Some(o) => o.clone_ref(py),
            None => {
                let o = py_date(py, d)?;
                put(&mut c.dates, d, o.clone_ref(py));
                o
            }
        };
        c.last_date = Some((d, o.clone_ref(py)));
        Ok(o)
    }

    fn time(&mut self, t: tenths::Timestamp) -> PyResult<Py<PyAny>> {
        let py = self.py;
        let ms = t.millis();
        let Some(c) = self.cache() else { return py_datetime(py, t) };
        if let Some((_, o)) = c.last_time.as_ref().filter(|(k, _)| *k == ms) {
            return Ok(o.clone_ref(py));
        }
        let o = match c.times.get(&ms) {
            Some(o) => o.clone_ref(py),
            None => {
                let o = py_datetime(py, t)?;
                put(&mut c.times, ms, o.clone_ref(py));
                o
            }
        };
        c.last_time = Some((ms, o.clone_ref(py)));
        Ok(o)
    }

    fn opt_time(&mut self, t: Option<tenths::Timestamp>) -> PyResult<Py<PyAny>> {
        match t {
            Some(t) => self.time(t),
            None => Ok(self.py.None()),
        }
    }

    fn matter(&mut self, m: Option<&tenths::InitiativeRef>) -> PyResult<Py<PyAny>> {
        self.matter_core = None;
        let Some(m) = m else { return Ok(self.py.None()) };
        let py = self.py;
        let found = match self.cache() {
            Some(c) => match c.last_matter.as_ref().filter(|(k, _)| **k == *m) {
                Some((k, o)) => Some((k.clone(), o.clone_ref(py))),
                None => c.matters.get(&m.id).filter(|(k, _)| **k == *m).map(|(k, o)| (k.clone(), o.clone_ref(py))),
            },
            None => None,
        };
        let (k, o) = match found {
            Some(x) => x,
            None => {
                let o = InitiativeRef::py(py, initiative_json(m))?;
                let k = Arc::new(m.clone());
                if let Some(c) = self.cache() {
                    put(&mut c.matters, m.id, (k.clone(), o.clone_ref(py)));
                }
                (k, o)
            }
        };
        if let Some(c) = self.cache() {
            c.last_matter = Some((k.clone(), o.clone_ref(py)));
        }
        self.matter_core = Some(k);
        Ok(o)
    }

    /// The matter's `externalId` and its client's, shared with the matter record's attributes.
    fn matter_ids(&self, matter: &Py<PyAny>) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
        let py = self.py;
        match matter.bind(py).cast::<InitiativeRef>() {
            Ok(m) => {
                let m = m.get();
                let client = match m.client.bind(py).cast::<ClientRef>() {
                    Ok(c) => c.get().external_id.clone_ref(py),
                    Err(_) => py.None(),
                };
                Ok((m.external_id.clone_ref(py), client))
            }
            Err(_) => Ok((py.None(), py.None())),
        }
    }

    fn codes(&mut self, codes: &[tenths::WorkCode]) -> PyResult<Py<PyAny>> {
        let py = self.py;
        if codes.is_empty() {
            return Ok(PyTuple::empty(py).into_any().unbind());
        }
        let mut items = Vec::with_capacity(codes.len());
        for c in codes {
            let known = self.cache().and_then(|r| r.codes.get(&c.id)).filter(|(k, _)| k == c).map(|(_, o)| o.clone_ref(py));
            let o = match known {
                Some(o) => o,
                None => {
                    let o = to_record::<_, WorkCode>(py, c)?;
                    if let Some(r) = self.cache() {
                        put(&mut r.codes, c.id, (c.clone(), o.clone_ref(py)));
                    }
                    o
                }
            };
            items.push(o);
        }
        Ok(PyTuple::new(py, items)?.into_any().unbind())
    }

    fn sources(&mut self, sources: &[tenths::Source]) -> PyResult<Py<PyAny>> {
        if sources.is_empty() {
            return Ok(PyTuple::empty(self.py).into_any().unbind());
        }
        let items = sources.iter().map(|x| to_record::<_, Source>(self.py, x)).collect::<PyResult<Vec<_>>>()?;
        Ok(PyTuple::new(self.py, items)?.into_any().unbind())
    }
}

macro_rules! entry_class {
    ($( $(#[$doc:meta])* $name:ident => |$cv:ident, $e:ident| $body:expr ; )*) => {
        /// A time entry. Attributes are Python objects made once, when the record is built (a
        /// read is a slot read); `to_dict()`, `to_flat_dict()` and `to_export_dict()` give the
        /// three wire shapes.
        #[pyclass(frozen, module = "tenths._native")]
        pub struct Entry {
            wire: Wire,
            $( $(#[$doc])* #[pyo3(get)] $name: Py<PyAny>, )*
        }

        impl Entry {
            fn build(conv: &mut Converter<'_>, inner: &mut tenths::Entry) -> PyResult<Self> {
                $( let $name = { let $cv = &mut *conv; let $e = &*inner; $body }?; )*
                let wire = Wire::new(conv, inner);
                Ok(Entry { wire, $( $name, )* })
            }
        }
    };
}

/// What an `Entry` record keeps of the core entry besides its Python attributes, for the wire
/// shapes: plain values (no allocation: the record stays a small-object allocation), the matter
/// shared with the converter's cache, and the lists only when one is not empty.
struct Wire {
    status: tenths::Status,
    work_date: tenths::Date,
    created_at: tenths::Timestamp,
    updated_at: tenths::Timestamp,
    last_release_pending_at: Option<tenths::Timestamp>,
    last_release_failed_at: Option<tenths::Timestamp>,
    release_success_at: Option<tenths::Timestamp>,
    last_synced_at: Option<tenths::Timestamp>,
    initiative: Option<Arc<tenths::InitiativeRef>>,
    lists: Option<Box<Lists>>,
}

/// The lists of an entry, kept only when one is not empty.
struct Lists {
    codes: Vec<tenths::WorkCode>,
    sources: Vec<tenths::Source>,
    validation_failed_errors: Vec<tenths::RuleFailure>,
    release_failed_errors: Vec<tenths::ReleaseFailure>,
}

impl Wire {
    /// Takes the lists and the matter out of `e` (the rest is copied; `e` is dropped by the
    /// caller, as the page or list it belongs to).
    fn new(conv: &mut Converter<'_>, e: &mut tenths::Entry) -> Wire {
        use std::mem::take;
        let empty = e.codes.is_empty() && e.sources.is_empty() && e.validation_failed_errors.is_empty() && e.release_failed_errors.is_empty();
        let lists = (!empty).then(|| {
            Box::new(Lists {
                codes: take(&mut e.codes),
                sources: take(&mut e.sources),
                validation_failed_errors: take(&mut e.validation_failed_errors),
                release_failed_errors: take(&mut e.release_failed_errors),
            })
        });
        let initiative = match conv.matter_core.take() {
            Some(m) => Some(m),
            None => e.initiative.take().map(Arc::new),
        };
        Wire {
            status: e.status,
            work_date: e.work_date,
            created_at: e.created_at,
            updated_at: e.updated_at,
            last_release_pending_at: e.last_release_pending_at,
            last_release_failed_at: e.last_release_failed_at,
            release_success_at: e.release_success_at,
            last_synced_at: e.last_synced_at,
            initiative,
            lists,
        }
    }

    fn codes(&self) -> &[tenths::WorkCode] {
        self.lists.as_ref().map(|l| l.codes.as_slice()).unwrap_or(&[])
    }
}

fn py_text(py: Python<'_>, o: &Py<PyAny>, field: &str) -> PyResult<String> {
    crate::convert::text(o.bind(py), field)
}

fn py_opt_text(py: Python<'_>, o: &Py<PyAny>, field: &str) -> PyResult<Option<String>> {
    if o.is_none(py) {
        return Ok(None);
    }
    py_text(py, o, field).map(Some)
}

fn py_id(py: Python<'_>, o: &Py<PyAny>, field: &str) -> PyResult<tenths::ObjectId> {
    crate::convert::object_id(o.bind(py), field)
}

fn py_opt_id(py: Python<'_>, o: &Py<PyAny>, field: &str) -> PyResult<Option<tenths::ObjectId>> {
    crate::convert::opt_object_id(Some(o.bind(py)), field)
}

fn py_i64(py: Python<'_>, o: &Py<PyAny>) -> PyResult<i64> {
    o.bind(py).extract()
}

fn py_bool(py: Python<'_>, o: &Py<PyAny>) -> PyResult<bool> {
    o.bind(py).extract()
}

impl Entry {
    /// The core entry again, from the attributes (strings, ids, counts) and the `Wire` part,
    /// for the wire shapes built by the core's own serde views (`full()`, `export_item()`).
    /// `entered_duration_in_seconds` is in no wire shape and not kept.
    fn core(&self, py: Python<'_>) -> PyResult<tenths::Entry> {
        let w = &self.wire;
        let lists = w.lists.as_deref();
        let mut messages = Vec::new();
        for m in self.re_release_failed_messages.bind(py).try_iter()? {
            messages.push(crate::convert::text(&m?, "reReleaseFailedMessages")?);
        }
        Ok(tenths::Entry {
            id: py_id(py, &self.id, "_id")?,
            customer_id: py_id(py, &self.customer_id, "customerId")?,
            user_id: py_id(py, &self.user_id, "userId")?,
            created_by: py_opt_id(py, &self.created_by, "createdBy")?,
            released_by: py_opt_id(py, &self.released_by, "releasedBy")?,
            external_id: py_opt_text(py, &self.external_id, "externalId")?,
            enrichment_correlation_id: py_opt_text(py, &self.enrichment_correlation_id, "enrichmentCorrelationId")?,
            summary: py_text(py, &self.summary, "summary")?,
            notes: py_opt_text(py, &self.notes, "notes")?,
            work_date: w.work_date,
            initiative_id: py_opt_id(py, &self.initiative_id, "initiativeId")?,
            initiative: w.initiative.as_deref().cloned(),
            codes: lists.map(|l| l.codes.clone()).unwrap_or_default(),
            creation_method: py_text(py, &self.creation_method, "creationMethod")?,
            created_as_timer: py_bool(py, &self.created_as_timer)?,
            timer_duration_adjustment_in_seconds: py_i64(py, &self.timer_duration_adjustment_in_seconds)?,
            entered_duration_in_seconds: None,
            raw_seconds: py_i64(py, &self.raw_seconds)?,
            unit_increments: py_i64(py, &self.unit_increments)?,
            unit_increment_count_from_sources: py_i64(py, &self.unit_increment_count_from_sources)?,
            unit_increment_count_adjustments: py_i64(py, &self.unit_increment_count_adjustments)?,
            overlap_time_in_seconds: py_i64(py, &self.overlap_time_in_seconds)?,
            status: w.status,
            validation_failed_errors: lists.map(|l| l.validation_failed_errors.clone()).unwrap_or_default(),
            release_failed_errors: lists.map(|l| l.release_failed_errors.clone()).unwrap_or_default(),
            re_release_failed_messages: messages,
            is_locked: py_bool(py, &self.is_locked)?,
            is_deleted: py_bool(py, &self.is_deleted)?,
            release_count: py_i64(py, &self.release_count)?,
            last_release_pending_at: w.last_release_pending_at,
            last_release_failed_at: w.last_release_failed_at,
            release_success_at: w.release_success_at,
            last_synced_at: w.last_synced_at,
            created_at: w.created_at,
            updated_at: w.updated_at,
            version: py_i64(py, &self.version)?,
            sources: lists.map(|l| l.sources.clone()).unwrap_or_default(),
        })
    }
}

#[pymethods]
impl Entry {
    /// The full wire shape (single-entry reads; with `sources`).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::pyser::to_py(py, &self.core(py)?.full())
    }
    /// The flat wire shape (override answer, v1/v2 list items).
    fn to_flat_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.flat_dict(py)
    }
    /// The export item wire shape.
    fn to_export_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::pyser::to_py(py, &self.core(py)?.export_item())
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let e = self.core(py)?;
        Ok(format!(
            "Entry(id={:?}, user_id={:?}, work_date={}, status={:?}, units={}, summary={:?})",
            e.id.as_str(),
            e.user_id.as_str(),
            e.work_date,
            e.status.as_str(),
            e.unit_increment_count(),
            e.summary
        ))
    }
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast::<Entry>() {
            Ok(o) => Ok(self.core(py)? == o.get().core(py)?),
            Err(_) => Ok(false),
        }
    }
    fn __hash__(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(hash_json(&self.core(py)?.to_full_json()))
    }
}

impl Entry {
    /// The flat wire shape (`tenths::wire::FlatEntry`, the connector's listing item) built
    /// straight from this record's Python values: interned keys, the id, summary and other
    /// strings shared with the attributes, only the wire texts of dates and times made here.
    fn flat_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        use pyo3::intern;
        let e = &self.wire;
        let d = PyDict::new(py);
        let text = |t: tenths::Timestamp| t.to_rfc3339();
        let opt = |k: &Bound<'_, PyString>, v: &Py<PyAny>| if v.is_none(py) { Ok(()) } else { d.set_item(k, v) };
        d.set_item(intern!(py, "entryId"), &self.id)?;
        opt(intern!(py, "externalId"), &self.external_id)?;
        d.set_item(intern!(py, "customerId"), &self.customer_id)?;
        d.set_item(intern!(py, "userId"), &self.user_id)?;
        d.set_item(intern!(py, "creationMethod"), &self.creation_method)?;
        opt(intern!(py, "releasedBy"), &self.released_by)?;
        opt(intern!(py, "createdBy"), &self.created_by)?;
        d.set_item(intern!(py, "workDate"), e.work_date.to_string())?;
        d.set_item(intern!(py, "createdAt"), text(e.created_at))?;
        d.set_item(intern!(py, "updatedAt"), text(e.updated_at))?;
        opt(intern!(py, "initiativeExternalId"), &self.initiative_external_id)?;
        opt(intern!(py, "clientExternalId"), &self.client_external_id)?;
        d.set_item(intern!(py, "summary"), &self.summary)?;
        d.set_item(intern!(py, "unitIncrementCount"), &self.unit_increment_count)?;
        d.set_item(intern!(py, "incrementDurationInSeconds"), &self.increment_duration_in_seconds)?;
        for (k, t) in [
            (intern!(py, "lastReleasePendingAt"), e.last_release_pending_at),
            (intern!(py, "lastReleaseFailedAt"), e.last_release_failed_at),
            (intern!(py, "releaseSuccessAt"), e.release_success_at),
        ] {
            if let Some(t) = t {
                d.set_item(k, text(t))?;
            }
        }
        d.set_item(intern!(py, "isDeleted"), &self.is_deleted)?;
        opt(intern!(py, "notes"), &self.notes)?;
        d.set_item(intern!(py, "releaseCount"), &self.release_count)?;
        if let Some(t) = e.last_synced_at {
            d.set_item(intern!(py, "lastSyncedAt"), text(t))?;
        }
        let codes = PyList::empty(py);
        for c in e.codes() {
            let cd = PyDict::new(py);
            cd.set_item(intern!(py, "codeExternalId"), &c.external_id)?;
            cd.set_item(intern!(py, "codeTypeExternalId"), &c.code_type_external_id)?;
            codes.append(cd)?;
        }
        d.set_item(intern!(py, "codes"), codes)?;
        Ok(d.into_any().unbind())
    }
}

fn s(py: Python<'_>, v: &str) -> PyResult<Py<PyAny>> {
    v.into_py_any(py)
}

fn opt_s(py: Python<'_>, v: Option<&str>) -> PyResult<Py<PyAny>> {
    v.into_py_any(py)
}

fn b(py: Python<'_>, v: bool) -> PyResult<Py<PyAny>> {
    v.into_py_any(py)
}

fn json_tuple<T, I: serde::Serialize>(py: Python<'_>, v: &[I]) -> PyResult<Py<PyAny>>
where
    T: JsonRecord + pyo3::PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Into<pyo3::PyClassInitializer<T>>,
{
    if v.is_empty() {
        return Ok(PyTuple::empty(py).into_any().unbind());
    }
    tuple_of::<T>(py, Some(&serde_json::to_value(v).unwrap_or(Value::Null)))
}

fn initiative_json(i: &tenths::InitiativeRef) -> Value {
    let mut v = json!({
        "_id": i.id.as_str(), "type": i.kind.as_str(), "billingType": i.billing_type.as_str(),
        "unitIncrements": i.unit_increments, "externalId": i.external_id, "name": i.name,
    });
    if let Some(c) = &i.call_sign {
        v["callSign"] = json!(c);
    }
    if let Some(d) = &i.description {
        v["description"] = json!(d);
    }
    if let Some(c) = &i.client {
        let mut cj = json!({"_id": c.id.as_str(), "externalId": c.external_id, "name": c.name});
        if let Some(d) = &c.description {
            cj["description"] = json!(d);
        }
        if let Some(s) = &c.call_sign {
            cj["callSign"] = json!(s);
        }
        v["client"] = cj;
    }
    v
}

entry_class! {
    /// `_id`.
    id => |c, e| s(c.py, e.id.as_str());
    customer_id => |c, e| c.id(&e.customer_id);
    user_id => |c, e| c.id(&e.user_id);
    created_by => |c, e| c.opt_id(e.created_by.as_ref());
    released_by => |c, e| c.opt_id(e.released_by.as_ref());
    /// The PMS id, set by a successful release.
    external_id => |c, e| opt_s(c.py, e.external_id.as_deref());
    enrichment_correlation_id => |c, e| opt_s(c.py, e.enrichment_correlation_id.as_deref());
    summary => |c, e| s(c.py, &e.summary);
    notes => |c, e| opt_s(c.py, e.notes.as_deref());
    work_date => |c, e| c.date(e.work_date);
    initiative_id => |c, e| c.opt_id(e.initiative_id.as_ref());
    /// The matter, when this store knows it.
    initiative => |c, e| c.matter(e.initiative.as_ref());
    initiative_external_id => |c, e| { let _ = e; c.matter_ids(&initiative).map(|ids| ids.0) };
    client_external_id => |c, e| { let _ = e; c.matter_ids(&initiative).map(|ids| ids.1) };
    codes => |c, e| c.codes(&e.codes);
    creation_method => |c, e| c.text(&e.creation_method, 0);
    created_as_timer => |c, e| b(c.py, e.created_as_timer);
    timer_duration_adjustment_in_seconds => |c, e| c.int(e.timer_duration_adjustment_in_seconds);
    /// Seconds of the closed sources plus the timer adjustment (or the entered duration).
    raw_seconds => |c, e| c.int(e.raw_seconds);
    /// Seconds per unit of the entry's matter (or the customer default).
    unit_increments => |c, e| c.int(e.unit_increments);
    unit_increment_count_from_sources => |c, e| c.int(e.unit_increment_count_from_sources);
    unit_increment_count_adjustments => |c, e| c.int(e.unit_increment_count_adjustments);
    unit_increment_count => |c, e| c.int(e.unit_increment_count());
    /// The billed duration: `unit_increment_count * unit_increments`.
    increment_duration_in_seconds => |c, e| c.int(e.increment_duration_in_seconds());
    has_overlap => |c, e| b(c.py, e.has_overlap());
    overlap_time_in_seconds => |c, e| c.int(e.overlap_time_in_seconds);
    /// `validation-pending`, `validation-failed`, `validation-succeeded`, `release-pending`,
    /// `release-succeeded` or `release-failed`.
    status => |c, e| c.text(e.status.as_str(), 1);
    validation_failed_errors => |c, e| json_tuple::<RuleFailure, _>(c.py, &e.validation_failed_errors);
    release_failed_errors => |c, e| json_tuple::<ReleaseFailure, _>(c.py, &e.release_failed_errors);
    re_release_failed_messages => |c, e| if e.re_release_failed_messages.is_empty() { Ok(PyTuple::empty(c.py).into_any().unbind()) } else { PyTuple::new(c.py, e.re_release_failed_messages.iter()).map(|t| t.into_any().unbind()) };
    is_locked => |c, e| b(c.py, e.is_locked);
    is_deleted => |c, e| b(c.py, e.is_deleted);
    release_count => |c, e| c.int(e.release_count);
    last_release_pending_at => |c, e| c.opt_time(e.last_release_pending_at);
    last_release_failed_at => |c, e| c.opt_time(e.last_release_failed_at);
    release_success_at => |c, e| c.opt_time(e.release_success_at);
    last_synced_at => |c, e| c.opt_time(e.last_synced_at);
    created_at => |c, e| c.time(e.created_at);
    updated_at => |c, e| c.time(e.updated_at);
    /// Bumped on every write of the entry.
    version => |c, e| c.int(e.version);
    sources => |c, e| c.sources(&e.sources);
    /// Whether a timer session of this entry is running.
    timer_running => |c, e| b(c.py, e.timer_running());
}

/// A Python `Entry` for a core entry.
pub fn entry(py: Python<'_>, e: tenths::Entry) -> PyResult<Py<PyAny>> {
    Converter::single(py).entry(e)
}

/// A list of Python entries.
pub fn entries(py: Python<'_>, mut list: Vec<tenths::Entry>) -> PyResult<Py<PyAny>> {
    let mut conv = Converter::new(py);
    let items = list.iter_mut().map(|e| conv.entry_mut(e)).collect::<PyResult<Vec<_>>>()?;
    Ok(pyo3::types::PyList::new(py, items)?.into_any().unbind())
}

/// One page of a cursor listing.
#[pyclass(frozen, module = "tenths._native")]
pub struct Page {
    /// The entries of this page, by id.
    #[pyo3(get)]
    entries: Py<PyAny>,
    /// The id after which to continue, or `None` on the last page.
    #[pyo3(get)]
    next_cursor: Py<PyAny>,
}

#[pymethods]
impl Page {
    fn __repr__(&self, py: Python<'_>) -> String {
        let n = self.entries.bind(py).len().unwrap_or(0);
        format!("Page({n} entries, next_cursor={})", self.next_cursor.bind(py).repr().map(|r| r.to_string()).unwrap_or_default())
    }
}

/// A Python `Page` for a core page.
pub fn page(py: Python<'_>, p: tenths::Page<tenths::Entry>) -> PyResult<Py<PyAny>> {
    let next = opt_s(py, p.next_cursor.as_ref().map(|c| c.as_str()))?;
    Ok(Py::new(py, Page { entries: entries(py, p.items)?, next_cursor: next })?.into_any())
}

/// A Python `Page` of already converted entries.
pub fn page_of(py: Python<'_>, entries: Py<PyAny>, next_cursor: Py<PyAny>) -> PyResult<Py<PyAny>> {
    Ok(Py::new(py, Page { entries, next_cursor })?.into_any())
}

// ----- the response of `Engine.request` ---------------------------------------------------------

/// An HTTP response of the in-process router.
#[pyclass(frozen, module = "tenths._native")]
pub struct Response {
    /// The HTTP status code.
    #[pyo3(get)]
    status: u16,
    /// The headers as (name, value) pairs.
    #[pyo3(get)]
    headers: Py<PyAny>,
    /// The body bytes.
    #[pyo3(get)]
    body: Py<PyAny>,
    inner: tenths::api::Response,
}

/// A Python `Response` for a core response.
pub fn response(py: Python<'_>, r: tenths::api::Response) -> PyResult<Py<PyAny>> {
    let headers = pyo3::types::PyList::new(py, r.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))?.into_any().unbind();
    let body = PyBytes::new(py, &r.body).into_any().unbind();
    Ok(Py::new(py, Response { status: r.status, headers, body, inner: r })?.into_any())
}

#[pymethods]
impl Response {
    /// The body parsed as JSON (`None` when the body is empty).
    fn json(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        if self.inner.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(py.None());
        }
        let v: Value = serde_json::from_slice(&self.inner.body).map_err(|e| crate::convert::invalid("body", format!("the body is not JSON: {e}")))?;
        json_to_py(py, &v)
    }
    /// The body as text (UTF-8, invalid bytes replaced).
    #[getter]
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.inner.body).into_owned()
    }
    /// The first value of a header, by case-insensitive name.
    fn header(&self, name: &str) -> Option<String> {
        self.inner.header_value(name).map(str::to_string)
    }
    fn __repr__(&self) -> String {
        format!("Response(status={}, {} bytes)", self.inner.status, self.inner.body.len())
    }
}

// ----- inputs -----------------------------------------------------------------------------------

/// A source given at creation: `kind` (`email`, `document`, `call`, `meeting`, `research`,
/// `manual`, `timer`), timezone-aware `started_at` and `ended_at`, an optional `title`.
#[pyclass(frozen, module = "tenths._native")]
pub struct SourceInput {
    #[pyo3(get)]
    kind: Py<PyAny>,
    #[pyo3(get)]
    started_at: Py<PyAny>,
    #[pyo3(get)]
    ended_at: Py<PyAny>,
    #[pyo3(get)]
    title: Py<PyAny>,
}

#[pymethods]
impl SourceInput {
    #[new]
    #[pyo3(signature = (kind, started_at, ended_at, title = None))]
    fn new(kind: Py<PyAny>, started_at: Py<PyAny>, ended_at: Py<PyAny>, title: Option<Py<PyAny>>, py: Python<'_>) -> Self {
        SourceInput { kind, started_at, ended_at, title: title.unwrap_or_else(|| py.None()) }
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        let r = |o: &Py<PyAny>| o.bind(py).repr().map(|x| x.to_string()).unwrap_or_default();
        format!("SourceInput(kind={}, started_at={}, ended_at={}, title={})", r(&self.kind), r(&self.started_at), r(&self.ended_at), r(&self.title))
    }
}

/// One item of a batch release-succeeded.
#[pyclass(frozen, module = "tenths._native")]
pub struct ReleaseSucceededItem {
    #[pyo3(get)]
    entry_id: Py<PyAny>,
    #[pyo3(get)]
    user_id: Py<PyAny>,
    #[pyo3(get)]
    external_id: Py<PyAny>,
    #[pyo3(get)]
    re_release_failed_messages: Py<PyAny>,
}

#[pymethods]
impl ReleaseSucceededItem {
    #[new]
    #[pyo3(signature = (entry_id, user_id = None, external_id = None, re_release_failed_messages = None))]
    fn new(
        entry_id: Py<PyAny>,
        user_id: Option<Py<PyAny>>,
        external_id: Option<Py<PyAny>>,
        re_release_failed_messages: Option<Py<PyAny>>,
        py: Python<'_>,
    ) -> Self {
        ReleaseSucceededItem {
            entry_id,
            user_id: user_id.unwrap_or_else(|| py.None()),
            external_id: external_id.unwrap_or_else(|| py.None()),
            re_release_failed_messages: re_release_failed_messages.unwrap_or_else(|| py.None()),
        }
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        let r = |o: &Py<PyAny>| o.bind(py).repr().map(|x| x.to_string()).unwrap_or_default();
        format!("ReleaseSucceededItem(entry_id={}, user_id={}, external_id={})", r(&self.entry_id), r(&self.user_id), r(&self.external_id))
    }
}

/// A caller the host has already authenticated, for `Engine.request`: `role` is `user`
/// (or `delegate`), `admin` or `connector`.
#[pyclass(frozen, module = "tenths._native")]
pub struct Principal {
    #[pyo3(get)]
    customer_id: Py<PyAny>,
    #[pyo3(get)]
    user_id: Py<PyAny>,
    #[pyo3(get)]
    role: Py<PyAny>,
    #[pyo3(get)]
    delegator_ids: Py<PyAny>,
}

#[pymethods]
impl Principal {
    #[new]
    #[pyo3(signature = (customer_id, user_id, role = None, delegator_ids = None))]
    #[pyo3(text_signature = "(customer_id, user_id, role='user', delegator_ids=())")]
    fn new(customer_id: Py<PyAny>, user_id: Py<PyAny>, role: Option<Py<PyAny>>, delegator_ids: Option<Py<PyAny>>, py: Python<'_>) -> PyResult<Self> {
        Ok(Principal {
            customer_id,
            user_id,
            role: match role {
                Some(r) => r,
                None => "user".into_py_any(py)?,
            },
            delegator_ids: match delegator_ids {
                Some(d) => d,
                None => PyTuple::empty(py).into_any().unbind(),
            },
        })
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        let r = |o: &Py<PyAny>| o.bind(py).repr().map(|x| x.to_string()).unwrap_or_default();
        format!("Principal(customer_id={}, user_id={}, role={})", r(&self.customer_id), r(&self.user_id), r(&self.role))
    }
}

impl Principal {
    /// The core principal (ids and role checked, naming the field).
    pub fn to_core(&self, py: Python<'_>) -> PyResult<tenths::api::Principal> {
        use crate::convert::{object_id, text};
        let customer = object_id(self.customer_id.bind(py), "customerId")?;
        let user = object_id(self.user_id.bind(py), "userId")?;
        let role = tenths::api::Role::parse(&text(self.role.bind(py), "role")?).map_err(crate::errors::to_py_err)?;
        let mut delegators = Vec::new();
        for (i, d) in self.delegator_ids.bind(py).try_iter().map_err(|_| crate::convert::invalid("delegatorIds", "expected a sequence of ids"))?.enumerate() {
            delegators.push(object_id(&d?, &format!("delegatorIds[{i}]"))?);
        }
        Ok(tenths::api::Principal { customer, user, role, delegator_ids: delegators })
    }
}

/// The wire JSON of an input object of this module, or `None` for any other object.
pub fn input_json(obj: &Bound<'_, PyAny>, path: &str) -> PyResult<Option<Value>> {
    use crate::convert::to_json;
    let at = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
    if let Ok(s) = obj.cast::<SourceInput>() {
        let s = s.get();
        let py = obj.py();
        let mut m = serde_json::Map::new();
        m.insert("kind".into(), to_json(s.kind.bind(py), &at("kind"))?);
        m.insert("startedAt".into(), to_json(s.started_at.bind(py), &at("startedAt"))?);
        m.insert("endedAt".into(), to_json(s.ended_at.bind(py), &at("endedAt"))?);
        if !s.title.bind(py).is_none() {
            m.insert("title".into(), to_json(s.title.bind(py), &at("title"))?);
        }
        return Ok(Some(Value::Object(m)));
    }
    if let Ok(item) = obj.cast::<ReleaseSucceededItem>() {
        let item = item.get();
        let py = obj.py();
        let mut m = serde_json::Map::new();
        m.insert("entryId".into(), to_json(item.entry_id.bind(py), &at("entryId"))?);
        for (k, v) in [("userId", &item.user_id), ("externalId", &item.external_id), ("reReleaseFailedMessages", &item.re_release_failed_messages)] {
            if !v.bind(py).is_none() {
                m.insert(k.into(), to_json(v.bind(py), &at(k))?);
            }
        }
        return Ok(Some(Value::Object(m)));
    }
    Ok(None)
}
