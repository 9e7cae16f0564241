//! Conversions between Python values and the core's values. Arguments become the wire JSON the
//! HTTP API takes and are parsed by the core's own body parser, so a Python caller gets the same
//! checks and the same field names in errors (`summary`, `sources[0].endedAt`) as an HTTP client.

use chrono::{Datelike, Timelike};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDate, PyDateTime, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyTzInfo};
use pyo3::IntoPyObjectExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tenths::{Date, ObjectId, TenthsError, Timestamp};

use crate::errors::to_py_err;

/// An `InvalidArgument` naming `field`, as a Python exception.
pub fn invalid(field: &str, reason: impl Into<String>) -> PyErr {
    to_py_err(TenthsError::InvalidArgument { field: field.to_string(), reason: reason.into() })
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into())
}

/// A Python `str`, or `InvalidArgument` naming `field`.
pub fn text(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return s.to_cow().map(|c| c.into_owned()).map_err(|_| invalid(field, "must be valid Unicode (no lone surrogates)"));
    }
    Err(invalid(field, format!("expected a str, got {}", type_name(obj))))
}

/// An ObjectId given as a `str`.
pub fn object_id(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<ObjectId> {
    if let Some(id) = ascii_object_id(obj) {
        return Ok(id);
    }
    ObjectId::parse_field(&text(obj, field)?, field).map_err(to_py_err)
}

/// A well-formed id read without allocating (the limited API has no borrowed UTF-8 view before
/// Python 3.10: `text` encodes a `bytes` copy, then a `String`): 24 code points copied into a
/// stack buffer. `None` for anything else, which `object_id` then checks the slow way, with its
/// error message.
fn ascii_object_id(obj: &Bound<'_, PyAny>) -> Option<ObjectId> {
    let s = obj.cast::<PyString>().ok()?;
    let mut buf: [pyo3::ffi::Py_UCS4; 25] = [0; 25];
    // SAFETY: `s` is a live `str` (the GIL is held); `buf` has room for 24 code points and the
    // terminating zero (buflen 25).
    unsafe {
        if pyo3::ffi::PyUnicode_GetLength(s.as_ptr()) != 24 {
            return None;
        }
        if pyo3::ffi::PyUnicode_AsUCS4(s.as_ptr(), buf.as_mut_ptr(), 25, 1).is_null() {
            pyo3::ffi::PyErr_Clear();
            return None;
        }
    }
    let mut b = [0u8; 24];
    for (o, c) in b.iter_mut().zip(buf) {
        *o = u8::try_from(c).ok().filter(u8::is_ascii_hexdigit)?;
    }
    ObjectId::parse(std::str::from_utf8(&b).ok()?).ok()
}

/// An optional ObjectId (`None` = absent).
pub fn opt_object_id(obj: Option<&Bound<'_, PyAny>>, field: &str) -> PyResult<Option<ObjectId>> {
    match obj {
        Some(o) if !o.is_none() => object_id(o, field).map(Some),
        _ => Ok(None),
    }
}

/// A date: a `datetime.date` (not a `datetime`) or an ISO `YYYY-MM-DD` string.
pub fn date(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<Date> {
    match to_json(obj, field)? {
        Value::String(s) => Date::parse_field(&s, field).map_err(to_py_err),
        _ => Err(invalid(field, format!("expected a datetime.date or an ISO date string, got {}", type_name(obj)))),
    }
}

/// An instant: a timezone-aware `datetime` or an RFC 3339 string.
pub fn timestamp(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<Timestamp> {
    if obj.is_instance_of::<PyDate>() && !obj.is_instance_of::<PyDateTime>() {
        return Err(invalid(field, "expected a timezone-aware datetime, got a date"));
    }
    match to_json(obj, field)? {
        Value::String(s) => Timestamp::parse_field(&s, field).map_err(to_py_err),
        _ => Err(invalid(field, format!("expected a timezone-aware datetime or an RFC 3339 string, got {}", type_name(obj)))),
    }
}

/// A whole number (an `int`, or a float with an integral value, as on the wire); `bool` and
/// `str` are refused.
pub fn count(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<i64> {
    let v = to_json(obj, field)?;
    tenths::wire::count_from_json(&v).map_err(|reason| invalid(field, reason))
}

/// Converts a Python value to JSON: `None`, `bool`, `int`, `float` (finite), `str`,
/// timezone-aware `datetime` (RFC 3339), `date` (ISO), mappings with `str` keys, lists and tuples,
/// and the input classes of this module. `path` names the value in errors.
pub fn to_json(obj: &Bound<'_, PyAny>, path: &str) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        // Larger than any count: keep it as a (huge) number so range checks refuse it.
        let f: f64 = obj.extract().map_err(|_| invalid(path, "integer out of range"))?;
        return serde_json::Number::from_f64(f).map(Value::Number).ok_or_else(|| invalid(path, "integer out of range"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let f = f.value();
        return serde_json::Number::from_f64(f).map(Value::Number).ok_or_else(|| invalid(path, "must be a finite number"));
    }
    if obj.is_instance_of::<PyString>() {
        return text(obj, path).map(Value::String);
    }
    if obj.is_instance_of::<PyDateTime>() {
        if obj.call_method0("utcoffset")?.is_none() {
            return Err(invalid(path, "a datetime must be timezone-aware (e.g. tzinfo=timezone.utc)"));
        }
        return Ok(Value::String(obj.call_method0("isoformat")?.extract()?));
    }
    if obj.is_instance_of::<PyDate>() {
        return Ok(Value::String(obj.call_method0("isoformat")?.extract()?));
    }
    if let Some(v) = crate::records::input_json(obj, path)? {
        return Ok(v);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut m = Map::new();
        for (k, v) in d.iter() {
            let key = text(&k, path).map_err(|_| invalid(path, "mapping keys must be str"))?;
            let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            m.insert(key, to_json(&v, &child)?);
        }
        return Ok(Value::Object(m));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, item) in obj.try_iter()?.enumerate() {
            out.push(to_json(&item?, &format!("{path}[{i}]"))?);
        }
        return Ok(Value::Array(out));
    }
    if is_mapping(obj)? {
        let d = PyDict::new(obj.py());
        d.update(obj.cast()?)?;
        return to_json(d.as_any(), path);
    }
    Err(invalid(path, format!("unsupported type {}", type_name(obj))))
}

fn is_mapping(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    static MAPPING: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let py = obj.py();
    let abc = MAPPING.get_or_try_init(py, || py.import("collections.abc")?.getattr("Mapping").map(Bound::unbind))?;
    obj.is_instance(abc.bind(py))
}

/// Builds a wire body from named Python arguments (absent or `None` ones are left out) and
/// parses it with the core's body parser.
pub fn body<T: DeserializeOwned>(fields: &[(&str, Option<&Bound<'_, PyAny>>)]) -> PyResult<T> {
    let mut m = Map::new();
    for (name, value) in fields {
        if let Some(v) = value {
            if !v.is_none() {
                m.insert((*name).to_string(), to_json(v, name)?);
            }
        }
    }
    parse(&Value::Object(m))
}

/// Parses wire JSON into a core input type, naming the offending field as the HTTP API does.
pub fn parse<T: DeserializeOwned>(v: &Value) -> PyResult<T> {
    tenths::api::parse_json_value(v).map_err(to_py_err)
}

/// Wire JSON to Python (`dict`, `list`, `str`, `int`, `float`, `bool`, `None`).
pub fn json_to_py(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Value::Null => py.None(),
        Value::Bool(b) => b.into_py_any(py)?,
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_py_any(py)?,
            (_, Some(u)) => u.into_py_any(py)?,
            _ => n.as_f64().unwrap_or(f64::NAN).into_py_any(py)?,
        },
        Value::String(s) => s.into_py_any(py)?,
        Value::Array(items) => PyList::new(py, items.iter().map(|x| json_to_py(py, x)).collect::<PyResult<Vec<_>>>()?)?.into_any().unbind(),
        Value::Object(m) => {
            let d = PyDict::new(py);
            for (k, x) in m {
                d.set_item(k, json_to_py(py, x)?)?;
            }
            d.into_any().unbind()
        }
    })
}

/// `datetime.datetime`, `datetime.date` and `datetime.timezone.utc`, looked up once (the
/// limited API has no C constructors for them: each value is one call of the type).
fn datetime_types(py: Python<'_>) -> PyResult<&(Py<PyAny>, Py<PyAny>, Py<PyAny>)> {
    static TYPES: PyOnceLock<(Py<PyAny>, Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();
    TYPES.get_or_try_init(py, || {
        let m = py.import("datetime")?;
        Ok((m.getattr("datetime")?.unbind(), m.getattr("date")?.unbind(), PyTzInfo::utc(py)?.to_owned().into_any().unbind()))
    })
}

/// A timestamp as a UTC `datetime`.
pub fn py_datetime(py: Python<'_>, t: Timestamp) -> PyResult<Py<PyAny>> {
    let dt = chrono::DateTime::from_timestamp_millis(t.millis()).unwrap_or(chrono::DateTime::UNIX_EPOCH);
    let (datetime, _, utc) = datetime_types(py)?;
    let args = (dt.year(), dt.month(), dt.day(), dt.hour(), dt.minute(), dt.second(), dt.timestamp_subsec_micros(), utc.clone_ref(py));
    Ok(datetime.bind(py).call1(args)?.unbind())
}

/// A date as a `datetime.date`.
pub fn py_date(py: Python<'_>, d: Date) -> PyResult<Py<PyAny>> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let n = Date::from_ymd(1970, 1, 1).map(|e| e.days_until(d)).unwrap_or(0);
    let nd = epoch.checked_add_signed(chrono::TimeDelta::days(n)).unwrap_or(epoch);
    Ok(datetime_types(py)?.1.bind(py).call1((nd.year(), nd.month(), nd.day()))?.unbind())
}

/// A date given as wire text (`YYYY-MM-DD`) as a `datetime.date`; other values unchanged.
pub fn py_date_str(py: Python<'_>, v: Option<&Value>) -> PyResult<Py<PyAny>> {
    match v {
        Some(Value::String(s)) => match Date::parse(s) {
            Ok(d) => py_date(py, d),
            Err(_) => s.into_py_any(py),
        },
        Some(other) => json_to_py(py, other),
        None => Ok(py.None()),
    }
}

/// A date-time given as wire text as a UTC `datetime`; other values unchanged.
pub fn py_datetime_str(py: Python<'_>, v: Option<&Value>) -> PyResult<Py<PyAny>> {
    match v {
        Some(Value::String(s)) => match Timestamp::parse(s) {
            Ok(t) => py_datetime(py, t),
            Err(_) => s.into_py_any(py),
        },
        Some(other) => json_to_py(py, other),
        None => Ok(py.None()),
    }
}

/// A JSON value as an immutable Python value (arrays become tuples).
pub fn py_frozen(py: Python<'_>, v: Option<&Value>) -> PyResult<Py<PyAny>> {
    match v {
        Some(Value::Array(items)) => Ok(PyTuple::new(py, items.iter().map(|x| py_frozen(py, Some(x))).collect::<PyResult<Vec<_>>>()?)?.into_any().unbind()),
        Some(other) => json_to_py(py, other),
        None => Ok(py.None()),
    }
}
