//! The Rust runner of the language-neutral scenario vectors in `tests/vectors/*.json`.
//!
//! The format is documented in `tests/vectors/README.md`; the Python and Kotlin suites run the
//! same files through their own bindings. In short: a vector names a customer, a user and a start
//! time, then lists steps; each step is one operation (`op`) with wire-named arguments (`args`),
//! optional values to `save` for later `$name` references, and an `expect` that is matched as a
//! subset against the operation's result object, or names the error it must fail with. Every
//! step that expects an error also checks that the store did not change.
//!
//! Argument bodies are deserialised with serde into the core's own input types (`NewEntry`,
//! `EntryPatch`, `OverrideInput`, `ClientInput`, …), so unknown fields, malformed ids and
//! fractional counts are refused exactly as a JSON API refuses them: as `invalid_argument`
//! naming the field (the serde path, e.g. `sources[0].endedAt`).

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tenths::time::MAX_TIMESTAMP_MS;
use tenths::units::{units_from_raw, UnitPolicy};
use tenths::{
    AccessKind, ClientInput, CodeInput, CodeTypeInput, CustomerSettingsPatch, Date, Entry, EntryPatch, FixedClock, InitiativeInput, NewEntry, ObjectId,
    OverrideInput, ReleaseDayMode, ReleaseSucceededItem, Rounding, Scope, TenthsError, TimerStart, Timestamp, UserSettings, ValidationRulesInput, Window,
};

use crate::conformance::{Backend, Opened};

// ----- the format ----------------------------------------------------------------------------

/// One vector file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Vector {
    /// Equal to the file name without `.json`.
    pub name: String,
    pub description: String,
    /// Which rules of domain.md / api.md the vector covers (free text, e.g. `§4.2 release`).
    #[serde(default)]
    pub covers: Vec<String>,
    /// The clock at the start (RFC 3339).
    pub now: String,
    /// The default customer of every step.
    pub customer_id: String,
    /// The default user of every step (optional: steps may name their own).
    #[serde(default)]
    pub user_id: Option<String>,
    /// Named values available as `$name` from the first step on.
    #[serde(default)]
    pub vars: Map<String, Value>,
    pub steps: Vec<Step>,
}

/// One step. Every string value anywhere in the step that is exactly `$name` is replaced by the
/// value saved or declared under that name before the step runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Step {
    pub op: String,
    /// Free text for readers.
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub customer_id: Option<Value>,
    #[serde(default)]
    pub user_id: Option<Value>,
    /// The user who acts for `userId` (a delegate); defaults to `userId`.
    #[serde(default)]
    pub actor_id: Option<Value>,
    #[serde(default)]
    pub entry_id: Option<Value>,
    #[serde(default)]
    pub args: Option<Value>,
    /// `{"name": "path.in.result"}`: values to keep for later steps.
    #[serde(default)]
    pub save: Map<String, Value>,
    #[serde(default)]
    pub expect: Option<Map<String, Value>>,
}

/// Keys of `expect` the runner interprets itself; every other key is matched against the
/// operation's result object.
const CONTROL_KEYS: [&str; 4] = ["error", "field", "rules", "storeUnchanged"];

// ----- failures ------------------------------------------------------------------------------

/// Why a vector failed.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The vector file.
    pub file: PathBuf,
    /// The failing step (0-based), when a step failed.
    pub step: Option<usize>,
    /// That step's op.
    pub op: String,
    /// Each problem on its own line (diff lines, messages).
    pub problems: Vec<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match self.step {
            Some(i) => writeln!(f, "{name}: step {i} ({})", self.op)?,
            None => writeln!(f, "{name}")?,
        }
        for p in &self.problems {
            writeln!(f, "    {p}")?;
        }
        Ok(())
    }
}

/// The error of an operation, as the vectors name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpError {
    /// `ErrorKind::code()`: `invalid_argument`, `not_found`, `conflict`, `locked`, …
    pub code: String,
    /// The input field an `invalid_argument` names.
    pub field: Option<String>,
    /// Failing rule ids of a `validation_failed`.
    pub rules: Vec<String>,
    pub message: String,
}

impl From<TenthsError> for OpError {
    fn from(e: TenthsError) -> Self {
        let rules = match &e {
            TenthsError::ValidationFailed { failures } => failures.iter().map(|f| f.rule.clone()).collect(),
            _ => Vec::new(),
        };
        OpError { code: e.kind().code().to_string(), field: e.field().map(str::to_string), rules, message: e.to_string() }
    }
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(field) = &self.field {
            write!(f, " (field {field})")?;
        }
        if !self.rules.is_empty() {
            write!(f, " rules {:?}", self.rules)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What went wrong inside a step: the operation failed (compared with `expect`), or the vector
/// itself is malformed (always a failure).
#[derive(Debug)]
enum StepErr {
    Op(OpError),
    Vector(String),
}

impl From<TenthsError> for StepErr {
    fn from(e: TenthsError) -> Self {
        StepErr::Op(e.into())
    }
}

fn invalid(field: &str, message: impl Into<String>) -> StepErr {
    StepErr::Op(OpError { code: "invalid_argument".into(), field: Some(field.to_string()), rules: Vec::new(), message: message.into() })
}

fn malformed(message: impl Into<String>) -> StepErr {
    StepErr::Vector(message.into())
}

// ----- loading -------------------------------------------------------------------------------

/// Every `*.json` file of `dir`, sorted by name.
pub fn discover(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file()).collect();
    files.sort();
    Ok(files)
}

/// Reads and checks one vector file (its `name` must equal the file stem).
pub fn load(path: &Path) -> Result<Vector, Failure> {
    let fail = |msg: String| Failure { file: path.to_path_buf(), step: None, op: String::new(), problems: vec![msg] };
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let v: Vector = serde_json::from_str(&text).map_err(|e| fail(format!("not a valid vector: {e}")))?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if v.name != stem {
        return Err(fail(format!("name {:?} differs from the file name {stem:?}", v.name)));
    }
    if v.steps.is_empty() {
        return Err(fail("a vector needs at least one step".into()));
    }
    Ok(v)
}

/// Loads and runs one vector file on a fresh engine of `backend`.
pub fn run_file(backend: &dyn Backend, path: &Path) -> Result<(), Failure> {
    let v = load(path)?;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_vector(backend, &v, path)));
    match outcome {
        Ok(r) => r,
        Err(panic) => {
            let msg = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
            Err(Failure { file: path.to_path_buf(), step: None, op: String::new(), problems: vec![format!("panicked: {msg}")] })
        }
    }
}

/// Runs a vector on a fresh engine of `backend`. A backend that cannot open one panics; [`run_file`]
/// reports that as the vector's failure.
pub fn run_vector(backend: &dyn Backend, v: &Vector, file: &Path) -> Result<(), Failure> {
    let fail = |step: Option<usize>, op: &str, problems: Vec<String>| Failure { file: file.to_path_buf(), step, op: op.to_string(), problems };
    let now = Timestamp::parse(&v.now).map_err(|e| fail(None, "", vec![format!("bad `now`: {e}")]))?;
    let customer = ObjectId::parse(&v.customer_id).map_err(|e| fail(None, "", vec![format!("bad `customerId`: {e}")]))?;
    let clock = Arc::new(FixedClock::new(now));
    let engine = backend.open(clock.clone());
    let mut run =
        Runner { engine, clock, customer, user: v.user_id.clone(), vars: v.vars.clone(), customers: BTreeSet::from([customer]), users: BTreeSet::new() };
    for (i, step) in v.steps.iter().enumerate() {
        run.step(step).map_err(|problems| fail(Some(i), &step.op, problems))?;
    }
    Ok(())
}

// ----- matching ------------------------------------------------------------------------------

/// Subset match of `actual` against `expected`; returns one line per difference.
///
/// Objects match when every expected key matches (an expected `null` means the key is absent or
/// null); arrays must have equal length and match element by element; numbers compare by value
/// (`2` equals `2.0`); everything else compares for equality.
pub fn subset_diff(expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_at("", expected, actual, &mut out);
    out
}

fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 400 {
        format!("{}…", &s[..s.char_indices().nth(400).map(|(i, _)| i).unwrap_or(s.len())])
    } else {
        s
    }
}

fn diff_at(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    let here = if path.is_empty() { "(root)".to_string() } else { path.to_string() };
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match (ev, a.get(k)) {
                    (Value::Null, None | Some(Value::Null)) => {}
                    (Value::Null, Some(av)) => out.push(format!("{p}: expected absent, got {}", show(av))),
                    (_, None) => out.push(format!("{p}: expected {}, but the key is absent", show(ev))),
                    (_, Some(av)) => diff_at(&p, ev, av, out),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!("{here}: expected {} items, got {}: expected {}, got {}", e.len(), a.len(), show(expected), show(actual)));
                return;
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                diff_at(&format!("{path}[{i}]"), ev, av, out);
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            let same = match (e.as_i64(), a.as_i64()) {
                (Some(x), Some(y)) => x == y,
                _ => e.as_f64() == a.as_f64(),
            };
            if !same {
                out.push(format!("{here}: expected {e}, got {a}"));
            }
        }
        _ => {
            if expected != actual {
                out.push(format!("{here}: expected {}, got {}", show(expected), show(actual)));
            }
        }
    }
}

/// Full structural difference of two snapshots (for the store-unchanged check).
fn exact_diff(path: &str, before: &Value, after: &Value, out: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
            for k in keys {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match (b.get(k), a.get(k)) {
                    (Some(x), Some(y)) => exact_diff(&p, x, y, out),
                    (Some(x), None) => out.push(format!("{p}: was {}, now absent", show(x))),
                    (None, Some(y)) => out.push(format!("{p}: was absent, now {}", show(y))),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(b), Value::Array(a)) if b.len() == a.len() => {
            for (i, (x, y)) in b.iter().zip(a).enumerate() {
                exact_diff(&format!("{path}[{i}]"), x, y, out);
            }
        }
        _ => {
            if before != after {
                out.push(format!("{path}: was {}, now {}", show(before), show(after)));
            }
        }
    }
}

/// `$name` with a name of letters, digits and `_`: a reference (other strings are literal).
fn is_reference(s: &str) -> bool {
    s.len() > 1 && s.starts_with('$') && s[1..].chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Replaces every string `$name` inside `v` by the named value.
fn substitute(v: &Value, vars: &Map<String, Value>) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) if is_reference(s) => vars.get(&s[1..]).cloned().ok_or_else(|| format!("unknown reference {s}"))?,
        Value::Array(items) => Value::Array(items.iter().map(|x| substitute(x, vars)).collect::<Result<_, _>>()?),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| Ok((k.clone(), substitute(x, vars)?))).collect::<Result<_, String>>()?),
        other => other.clone(),
    })
}

/// Follows a dot path (`entry._id`, `entries.0.entryId`) into a value.
fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    if path.is_empty() {
        return Some(cur);
    }
    for seg in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

// ----- argument parsing ----------------------------------------------------------------------

/// Deserialises a request body into a core input type. A failure is `invalid_argument` naming
/// the field by its path (`summry`, `_id`, `sources[0].endedAt`, `unitIncrementCountAdjustments`).
pub fn parse_body<T: DeserializeOwned>(body: &Value) -> Result<T, OpError> {
    serde_path_to_error::deserialize::<_, T>(body.clone()).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let named = |prefix: &str| {
            message
                .strip_prefix(prefix)
                .and_then(|rest| rest.split('`').next())
                .map(|name| if path == "." { name.to_string() } else { format!("{path}.{name}") })
        };
        let field = if message.starts_with("unknown field `") {
            // serde_path_to_error already ends the path with the unknown key.
            path.clone()
        } else if let Some(f) = named("missing field `") {
            f
        } else if path == "." {
            // The body as a whole is wrong (not an object, wrong type): the router says `body`.
            "body".to_string()
        } else {
            path.clone()
        };
        OpError { code: "invalid_argument".into(), field: Some(field), rules: Vec::new(), message }
    })
}

fn body<T: DeserializeOwned>(args: &Value) -> Result<T, StepErr> {
    parse_body(args).map_err(StepErr::Op)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdatedWindowArgs {
    updated_after: Timestamp,
    updated_on_or_before: Timestamp,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdatedPageArgs {
    updated_after: Timestamp,
    updated_on_or_before: Timestamp,
    #[serde(default, deserialize_with = "tenths::wire::de_opt_count")]
    page_size: Option<i64>,
    #[serde(default)]
    cursor: Option<ObjectId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReleasedWindowArgs {
    released_after: Timestamp,
    released_on_or_before: Timestamp,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReleasedPageArgs {
    released_after: Timestamp,
    released_on_or_before: Timestamp,
    #[serde(default, deserialize_with = "tenths::wire::de_opt_count")]
    page_size: Option<i64>,
    #[serde(default)]
    cursor: Option<ObjectId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WorkDateRangeArgs {
    work_date_from: Date,
    work_date_to: Date,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TotalsArgs {
    work_date_from: Date,
    work_date_to: Date,
    #[serde(default)]
    user_id: Option<ObjectId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReleaseDayArgs {
    work_date: Date,
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
struct BatchArgs {
    entries: Vec<ReleaseSucceededItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReleaseFailedArgs {
    errors: Vec<String>,
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
struct UnitMathArgs {
    #[serde(default, deserialize_with = "tenths::wire::de_opt_count")]
    raw_seconds: Option<i64>,
    #[serde(default, deserialize_with = "tenths::wire::de_opt_count")]
    unit_increments: Option<i64>,
    #[serde(default)]
    rounding: Option<Rounding>,
    #[serde(default)]
    minimum_one_unit: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SetClockArgs {
    now: Timestamp,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AdvanceClockArgs {
    #[serde(default)]
    seconds: Option<i64>,
    #[serde(default)]
    millis: Option<i64>,
}

fn page_size(n: Option<i64>) -> Result<usize, StepErr> {
    match n {
        None => Ok(100),
        Some(n) => usize::try_from(n).map_err(|_| invalid("pageSize", "must be between 1 and 100")),
    }
}

fn entry_result(e: &Entry) -> Value {
    json!({ "entry": e.to_full_json(), "flat": e.to_flat_json() })
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn ids_and(entries: &[Entry], shape: fn(&Entry) -> Value, next_cursor: Option<Option<ObjectId>>) -> Value {
    let mut out = Map::new();
    out.insert("ids".into(), Value::Array(entries.iter().map(|e| Value::String(e.id.to_string())).collect()));
    out.insert("entries".into(), Value::Array(entries.iter().map(shape).collect()));
    if let Some(Some(c)) = next_cursor {
        out.insert("nextCursor".into(), Value::String(c.to_string()));
    }
    Value::Object(out)
}

// ----- the runner ----------------------------------------------------------------------------

struct Runner {
    engine: Opened,
    clock: Arc<FixedClock>,
    customer: ObjectId,
    user: Option<String>,
    vars: Map<String, Value>,
    /// Customers and (customer, user) pairs named so far: what a snapshot covers.
    customers: BTreeSet<ObjectId>,
    users: BTreeSet<(ObjectId, ObjectId)>,
}

/// A step after `$name` substitution.
struct Resolved {
    op: String,
    customer_id: Option<Value>,
    user_id: Option<Value>,
    actor_id: Option<Value>,
    entry_id: Option<Value>,
    args: Value,
}

fn id_param(v: Option<&Value>, field: &str) -> Result<Option<ObjectId>, StepErr> {
    match v {
        None => Ok(None),
        Some(Value::String(s)) => ObjectId::parse_field(s, field).map(Some).map_err(StepErr::from),
        Some(other) => Err(invalid(field, format!("expected an id string, got {other}"))),
    }
}

impl Runner {
    fn step(&mut self, step: &Step) -> Result<(), Vec<String>> {
        let sub = |v: &Option<Value>| v.as_ref().map(|x| substitute(x, &self.vars)).transpose().map_err(|e| vec![e]);
        let resolved = Resolved {
            op: step.op.clone(),
            customer_id: sub(&step.customer_id)?,
            user_id: sub(&step.user_id)?.or_else(|| self.user.clone().map(Value::String)),
            actor_id: sub(&step.actor_id)?,
            entry_id: sub(&step.entry_id)?,
            args: sub(&step.args)?.unwrap_or_else(|| json!({})),
        };
        let expect = match &step.expect {
            Some(m) => match substitute(&Value::Object(m.clone()), &self.vars).map_err(|e| vec![e])? {
                Value::Object(m) => m,
                _ => unreachable!("an object stays an object"),
            },
            None => Map::new(),
        };
        for k in expect.keys() {
            if k == "storeUnchanged" && !expect[k].is_boolean() {
                return Err(vec!["expect.storeUnchanged must be a boolean".into()]);
            }
        }
        // Remember who is named, so snapshots cover them (before the step, even if it fails).
        if let Ok(Some(c)) = id_param(resolved.customer_id.as_ref(), "customerId") {
            self.customers.insert(c);
        }
        if let Ok(Some(u)) = id_param(resolved.user_id.as_ref(), "userId") {
            let c = id_param(resolved.customer_id.as_ref(), "customerId").ok().flatten().unwrap_or(self.customer);
            self.users.insert((c, u));
        }

        let wants_error = expect.contains_key("error");
        let check_store = wants_error || expect.get("storeUnchanged") == Some(&Value::Bool(true));
        let before = if check_store { Some(self.snapshot().map_err(|e| vec![format!("cannot snapshot the store: {e}")])?) } else { None };

        let outcome = self.exec(&resolved);
        let mut problems = Vec::new();
        let result = match outcome {
            Err(StepErr::Vector(msg)) => return Err(vec![format!("malformed step: {msg}")]),
            Err(StepErr::Op(e)) => {
                match expect.get("error") {
                    None => problems.push(format!("unexpected error {e}")),
                    Some(Value::String(code)) if *code == e.code => {}
                    Some(code) => problems.push(format!("error: expected {code}, got {e}")),
                }
                if let Some(f) = expect.get("field") {
                    let got = e.field.clone().map(Value::String).unwrap_or(Value::Null);
                    if *f != got {
                        problems.push(format!("field: expected {f}, got {got} ({e})"));
                    }
                }
                if let Some(r) = expect.get("rules") {
                    let got = Value::Array(e.rules.iter().cloned().map(Value::String).collect());
                    problems.extend(subset_diff(r, &got).into_iter().map(|d| format!("rules: {d}")));
                }
                let result_keys: Vec<&String> = expect.keys().filter(|k| !CONTROL_KEYS.contains(&k.as_str())).collect();
                if !result_keys.is_empty() {
                    problems.push(format!("expected result keys {result_keys:?}, but the operation failed"));
                }
                None
            }
            Ok(result) => {
                if let Some(code) = expect.get("error") {
                    problems.push(format!("expected error {code}, but the operation succeeded with {}", show(&result)));
                }
                if expect.contains_key("field") && !wants_error {
                    problems.push("expect.field needs expect.error".into());
                }
                if let Some(r) = expect.get("rules") {
                    let got: Vec<Value> = lookup(&result, "entry.statusInfo.validationFailedErrors")
                        .and_then(Value::as_array)
                        .map(|list| list.iter().filter_map(|f| f.get("rule").cloned()).collect())
                        .unwrap_or_default();
                    problems.extend(subset_diff(r, &Value::Array(got)).into_iter().map(|d| format!("rules: {d}")));
                }
                let subset: Map<String, Value> =
                    expect.iter().filter(|(k, _)| !CONTROL_KEYS.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
                problems.extend(subset_diff(&Value::Object(subset), &result));
                Some(result)
            }
        };
        if let Some(before) = before {
            let after = self.snapshot().map_err(|e| vec![format!("cannot snapshot the store: {e}")])?;
            let mut changes = Vec::new();
            exact_diff("", &before, &after, &mut changes);
            if !changes.is_empty() {
                problems.push("the store changed although it must not:".into());
                problems.extend(changes.into_iter().take(20).map(|c| format!("  {c}")));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        if !step.save.is_empty() {
            let Some(result) = result else { return Err(vec!["`save` on a step that failed".into()]) };
            for (name, path) in &step.save {
                let Some(path) = path.as_str() else { return Err(vec![format!("save.{name} must be a path string")]) };
                match lookup(&result, path) {
                    Some(v) => {
                        self.vars.insert(name.clone(), v.clone());
                    }
                    None => return Err(vec![format!("save.{name}: no {path:?} in the result {}", show(&result))]),
                }
            }
        }
        Ok(())
    }

    /// Everything the vector can observe: per customer, settings, reference data and every
    /// entry (deleted ones too) in full and flat shape; per named user, their settings.
    fn snapshot(&self) -> Result<Value, TenthsError> {
        let wide = Window { after: Timestamp::from_millis(0)?, on_or_before: Timestamp::from_millis(MAX_TIMESTAMP_MS)? };
        let mut out = Map::new();
        for c in &self.customers {
            let entries: Map<String, Value> = self
                .engine
                .list_updated(c, wide)?
                .iter()
                .map(|e| (e.id.to_string(), json!({ "full": e.to_full_json(), "flat": e.to_flat_json(), "export": e.to_export_json() })))
                .collect();
            let users: Map<String, Value> = self
                .users
                .iter()
                .filter(|(cu, _)| cu == c)
                .map(|(_, u)| Ok((u.to_string(), to_json(&self.engine.user_settings(c, u)?))))
                .collect::<Result<_, TenthsError>>()?;
            out.insert(
                c.to_string(),
                json!({
                    "settings": to_json(&self.engine.customer_settings(c)?),
                    "clients": to_json(&self.engine.list_clients(c)?),
                    "codes": to_json(&self.engine.list_codes(c)?),
                    "initiatives": to_json(&self.engine.list_initiatives(c)?),
                    "users": users,
                    "entries": entries,
                }),
            );
        }
        Ok(Value::Object(out))
    }

    fn customer(&self, r: &Resolved) -> Result<ObjectId, StepErr> {
        Ok(id_param(r.customer_id.as_ref(), "customerId")?.unwrap_or(self.customer))
    }

    fn user(&self, r: &Resolved) -> Result<ObjectId, StepErr> {
        id_param(r.user_id.as_ref(), "userId")?.ok_or_else(|| malformed(format!("{} needs a userId (on the step or the vector)", r.op)))
    }

    fn scope(&self, r: &Resolved) -> Result<Scope, StepErr> {
        let scope = Scope::new(self.customer(r)?, self.user(r)?);
        Ok(match id_param(r.actor_id.as_ref(), "actorId")? {
            Some(actor) => scope.acting_as(actor),
            None => scope,
        })
    }

    fn entry_id(&self, r: &Resolved) -> Result<ObjectId, StepErr> {
        id_param(r.entry_id.as_ref(), "entryId")?.ok_or_else(|| malformed(format!("{} needs an entryId", r.op)))
    }

    fn no_args(&self, r: &Resolved) -> Result<(), StepErr> {
        match &r.args {
            Value::Object(m) if m.is_empty() => Ok(()),
            other => Err(malformed(format!("{} takes no args, got {other}", r.op))),
        }
    }

    fn exec(&self, r: &Resolved) -> Result<Value, StepErr> {
        let e = &self.engine;
        let args = &r.args;
        Ok(match r.op.as_str() {
            // --- the runner's own ops
            "setClock" => {
                let a: SetClockArgs = serde_json::from_value(args.clone()).map_err(|err| malformed(format!("setClock args: {err}")))?;
                self.clock.set(a.now);
                json!({ "now": self.engine.now().to_string() })
            }
            "advanceClock" => {
                let a: AdvanceClockArgs = serde_json::from_value(args.clone()).map_err(|err| malformed(format!("advanceClock args: {err}")))?;
                let ms = match (a.seconds, a.millis) {
                    (Some(s), None) => s.checked_mul(1000).ok_or_else(|| malformed("advanceClock: seconds out of range"))?,
                    (None, Some(ms)) => ms,
                    _ => return Err(malformed("advanceClock needs exactly one of seconds, millis")),
                };
                self.clock.advance_millis(ms);
                json!({ "now": self.engine.now().to_string() })
            }
            "unitMath" => {
                let a: UnitMathArgs = body(args)?;
                let raw = a.raw_seconds.ok_or_else(|| invalid("rawSeconds", "is required"))?;
                let inc = a.unit_increments.ok_or_else(|| invalid("unitIncrements", "is required"))?;
                let policy = UnitPolicy { rounding: a.rounding.unwrap_or(Rounding::Up), minimum_one_unit: a.minimum_one_unit.unwrap_or(true) };
                json!({ "unitIncrementCount": units_from_raw(raw, inc, policy)? })
            }

            // --- settings and reference data
            "setCustomerSettings" => {
                let patch: CustomerSettingsPatch = body(args)?;
                to_json(&e.update_customer_settings(&self.customer(r)?, &patch)?)
            }
            "setUserSettings" => {
                let s: UserSettings = body(args)?;
                to_json(&e.update_user_settings(&self.customer(r)?, &self.user(r)?, &s)?)
            }
            "importClient" => {
                let input: ClientInput = body(args)?;
                to_json(&e.upsert_client(&self.customer(r)?, &input)?)
            }
            "importCodeType" => {
                let input: CodeTypeInput = body(args)?;
                to_json(&e.upsert_code_type(&self.customer(r)?, &input)?)
            }
            "importCode" => {
                let input: CodeInput = body(args)?;
                to_json(&e.upsert_code(&self.customer(r)?, &input)?)
            }
            "importInitiative" => {
                let input: InitiativeInput = body(args)?;
                to_json(&e.upsert_initiative(&self.customer(r)?, &input)?)
            }
            "setInitiativeCodes" => {
                let a: InitiativeCodesArgs = body(args)?;
                to_json(&e.set_initiative_codes(&self.customer(r)?, &a.initiative_external_id, &a.code_external_ids)?)
            }
            "setInitiativeAccess" => {
                let a: InitiativeAccessArgs = body(args)?;
                to_json(&e.set_initiative_access(&self.customer(r)?, &a.initiative_external_id, a.kind, &a.user_ids)?)
            }
            "setRules" => {
                let mut rest = match args {
                    Value::Object(m) => m.clone(),
                    _ => return Err(invalid("body", "expected an object")),
                };
                let initiative = match rest.remove("initiativeExternalId") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(s),
                    Some(_) => return Err(invalid("initiativeExternalId", "expected a string")),
                };
                let input: ValidationRulesInput = body(&Value::Object(rest))?;
                to_json(&e.set_validation_rules(&self.customer(r)?, initiative.as_deref(), &input)?)
            }

            // --- entries
            "createEntry" => {
                let input: NewEntry = body(args)?;
                let (entry, created) = e.create_entry(&self.scope(r)?, &input)?;
                let mut out = entry_result(&entry);
                out["created"] = Value::Bool(created);
                out
            }
            "getEntry" => {
                self.no_args(r)?;
                entry_result(&e.get_entry(&self.scope(r)?, &self.entry_id(r)?)?)
            }
            "listEntries" => {
                let a: WorkDateRangeArgs = body(args)?;
                ids_and(&e.list_entries(&self.scope(r)?, a.work_date_from, a.work_date_to)?, Entry::to_full_json, None)
            }
            "editEntry" => {
                let patch: EntryPatch = body(args)?;
                let (scope, id) = (self.scope(r)?, self.entry_id(r)?);
                entry_result(&e.edit_entry(&scope, &id, &patch)?)
            }
            "override" => {
                let input: OverrideInput = body(args)?;
                let (scope, id) = (self.scope(r)?, self.entry_id(r)?);
                entry_result(&e.override_entry(&scope, &id, &input)?)
            }
            "deleteEntry" => {
                self.no_args(r)?;
                entry_result(&e.delete_entry(&self.scope(r)?, &self.entry_id(r)?)?)
            }
            "release" => {
                self.no_args(r)?;
                entry_result(&e.release_entry(&self.scope(r)?, &self.entry_id(r)?)?)
            }
            "releaseDay" => {
                let a: ReleaseDayArgs = body(args)?;
                to_json(&e.release_day(&self.scope(r)?, a.work_date, a.mode)?)
            }
            "releaseSucceeded" => {
                let a: ReleaseSucceededArgs = body(args)?;
                let (customer, id) = (self.customer(r)?, self.entry_id(r)?);
                let user = id_param(r.user_id.as_ref(), "userId")?;
                entry_result(&e.release_succeeded(&customer, user.as_ref(), &id, a.external_id.as_deref(), a.re_release_failed_messages.as_deref())?)
            }
            "releaseSucceededBatch" => {
                let items: Vec<ReleaseSucceededItem> = match args {
                    Value::Array(_) => body(args)?,
                    _ => body::<BatchArgs>(args)?.entries,
                };
                json!({ "results": to_json(&e.release_succeeded_batch(&self.customer(r)?, &items)?) })
            }
            "releaseFailed" => {
                let a: ReleaseFailedArgs = body(args)?;
                let (customer, id) = (self.customer(r)?, self.entry_id(r)?);
                let user = id_param(r.user_id.as_ref(), "userId")?;
                entry_result(&e.release_failed(&customer, user.as_ref(), &id, &a.errors)?)
            }
            "unrelease" => {
                self.no_args(r)?;
                entry_result(&e.unrelease(&self.scope(r)?, &self.entry_id(r)?)?)
            }

            // --- timers
            "startTimer" => {
                let input: TimerStart = body(args)?;
                entry_result(&e.start_timer(&self.scope(r)?, &input)?)
            }
            "stopTimer" => {
                self.no_args(r)?;
                entry_result(&e.stop_timer(&self.scope(r)?, &self.entry_id(r)?)?)
            }
            "resumeTimer" => {
                self.no_args(r)?;
                entry_result(&e.resume_timer(&self.scope(r)?, &self.entry_id(r)?)?)
            }

            // --- listing, export, totals
            "listUpdated" => {
                let a: UpdatedWindowArgs = body(args)?;
                let w = Window::new(a.updated_after, a.updated_on_or_before)?;
                ids_and(&e.list_updated(&self.customer(r)?, w)?, Entry::to_flat_json, None)
            }
            "listUpdatedPage" => {
                let a: UpdatedPageArgs = body(args)?;
                let w = Window::new(a.updated_after, a.updated_on_or_before)?;
                let p = e.list_updated_page(&self.customer(r)?, w, page_size(a.page_size)?, a.cursor.as_ref())?;
                ids_and(&p.items, Entry::to_flat_json, Some(p.next_cursor))
            }
            "exportReleased" => {
                let a: ReleasedWindowArgs = body(args)?;
                let w = Window::new(a.released_after, a.released_on_or_before)?;
                ids_and(&e.export_released(&self.customer(r)?, w)?, Entry::to_export_json, None)
            }
            "exportReleasedPage" => {
                let a: ReleasedPageArgs = body(args)?;
                let w = Window::new(a.released_after, a.released_on_or_before)?;
                let p = e.export_released_page(&self.customer(r)?, w, page_size(a.page_size)?, a.cursor.as_ref())?;
                ids_and(&p.items, Entry::to_export_json, Some(p.next_cursor))
            }
            "totals" => {
                let a: TotalsArgs = body(args)?;
                json!({ "totals": to_json(&e.totals(&self.customer(r)?, a.user_id.as_ref(), a.work_date_from, a.work_date_to)?) })
            }
            // --- the change-event log (issue 16): kind, role, operation, actor, changed fields
            "entryHistory" => {
                self.no_args(r)?;
                let page = e.entry_history(&self.scope(r)?, &self.entry_id(r)?, true, tenths::engine::MAX_PAGE_SIZE, None)?;
                let events: Vec<Value> = page
                    .items
                    .iter()
                    .map(|ev| {
                        let fields: Vec<&str> = ev.changes.iter().map(|c| c.field.as_str()).collect();
                        json!({"kind": ev.kind.as_str(), "role": ev.role.as_str(), "operation": ev.operation, "actorId": ev.actor, "fields": fields})
                    })
                    .collect();
                json!({ "events": events })
            }
            other => return Err(malformed(format!("unknown op {other:?}"))),
        })
    }
}
