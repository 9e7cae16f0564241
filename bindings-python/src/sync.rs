//! Offline-first sync for Python: the host's transport (any object with a `send` method, see
//! `tenths.Transport`) as the core's [`tenths::sync::Transport`], and the conversions of the
//! sync records to the frozen dataclasses of `tenths._sync`. The engine call runs with the GIL
//! released; the transport re-attaches to call into Python. Every decision is the core's.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList, PyTuple};
use serde::Serialize;

use crate::convert::json_to_py;

/// A Python transport: `send(method, path, headers, body) -> (status, headers, body)`.
pub struct PyTransport {
    obj: Py<PyAny>,
}

impl PyTransport {
    /// Wraps `obj`, which must have a callable `send`.
    pub fn new(obj: &Bound<'_, PyAny>) -> PyResult<PyTransport> {
        if !obj.getattr("send").map(|s| s.is_callable()).unwrap_or(false) {
            return Err(crate::convert::invalid("transport", "expected an object with a send(method, path, headers, body) method"));
        }
        Ok(PyTransport { obj: obj.clone().unbind() })
    }

    fn call(&self, py: Python<'_>, r: tenths::api::Request) -> PyResult<tenths::api::Response> {
        let headers = PyList::new(py, r.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))?;
        let answer = self.obj.bind(py).call_method1("send", (r.method.as_str(), r.path.as_str(), headers, PyBytes::new(py, &r.body)))?;
        let (status, headers, body): (Bound<'_, PyAny>, Bound<'_, PyAny>, Bound<'_, PyAny>) =
            answer.extract().map_err(|_| pyo3::exceptions::PyTypeError::new_err("send() must return a (status, headers, body) tuple"))?;
        let status: u16 = status.extract().map_err(|_| pyo3::exceptions::PyTypeError::new_err("send(): status must be an int in 0..65535"))?;
        let mut pairs = Vec::new();
        for pair in headers.try_iter()? {
            let (n, v): (String, String) = pair?.extract().map_err(|_| pyo3::exceptions::PyTypeError::new_err("send(): headers must be (str, str) pairs"))?;
            pairs.push((n, v));
        }
        let body: Vec<u8> = body.cast::<PyBytes>().map_err(|_| pyo3::exceptions::PyTypeError::new_err("send(): body must be bytes"))?.as_bytes().to_vec();
        Ok(tenths::api::Response { status, headers: pairs, body })
    }
}

impl tenths::sync::Transport for PyTransport {
    fn send(&self, request: tenths::api::Request) -> Result<tenths::api::Response, String> {
        Python::attach(|py| self.call(py, request).map_err(|e| describe(py, &e)))
    }
}

/// `ExceptionType: message` of a Python exception.
fn describe(py: Python<'_>, e: &PyErr) -> String {
    let kind = e.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
    match e.value(py).str() {
        Ok(s) if !s.to_string().is_empty() => format!("{kind}: {s}"),
        _ => kind,
    }
}

fn sync_module(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static MODULE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    MODULE.get_or_try_init(py, || py.import("tenths._sync").map(|m| m.into_any().unbind())).map(|m| m.bind(py))
}

/// `tenths._sync.<class_name>` made from the record's wire JSON.
fn record(py: Python<'_>, class_name: &str, value: &impl Serialize) -> PyResult<Py<PyAny>> {
    let json = serde_json::to_value(value).map_err(|e| crate::convert::invalid(class_name, e.to_string()))?;
    let wire = json_to_py(py, &json)?;
    Ok(sync_module(py)?.getattr(class_name)?.call_method1("_from_wire", (wire,))?.unbind())
}

/// A `tenths.SyncReport`.
pub fn report(py: Python<'_>, r: &tenths::sync::SyncReport) -> PyResult<Py<PyAny>> {
    record(py, "SyncReport", r)
}

/// A `tenths.SyncStatus`.
pub fn status(py: Python<'_>, s: &tenths::sync::SyncStatus) -> PyResult<Py<PyAny>> {
    record(py, "SyncStatus", s)
}

/// A list of `tenths.QuarantinedChange` (their failures as `tenths.RuleFailure`).
pub fn quarantined(py: Python<'_>, list: &[tenths::sync::Quarantined]) -> PyResult<Vec<Py<PyAny>>> {
    list.iter()
        .map(|q| {
            let failures = q.failures.iter().map(|f| crate::records::rule_failure(py, f)).collect::<PyResult<Vec<_>>>()?;
            let json = serde_json::to_value(q).map_err(|e| crate::convert::invalid("QuarantinedChange", e.to_string()))?;
            let wire = json_to_py(py, &json)?;
            wire.bind(py).set_item("failures", PyTuple::new(py, failures)?)?;
            Ok(sync_module(py)?.getattr("QuarantinedChange")?.call_method1("_from_wire", (wire,))?.unbind())
        })
        .collect()
}

/// A list of `tenths.SyncConflict`.
pub fn conflicts(py: Python<'_>, list: &[tenths::sync::ConflictRecord]) -> PyResult<Vec<Py<PyAny>>> {
    list.iter().map(|c| record(py, "SyncConflict", c)).collect()
}
