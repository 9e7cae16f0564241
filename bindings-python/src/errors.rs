//! The engine's error kinds as the Python exceptions of `tenths._errors` (all deriving from
//! `tenths.TenthsError`). The classes are plain Python so that `InvalidArgument` can also be a
//! `ValueError` and `NotFound` a `LookupError`.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple};
use tenths::{ErrorKind, TenthsError};

fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArgument => "InvalidArgument",
        ErrorKind::NotFound => "NotFound",
        ErrorKind::Conflict => "Conflict",
        ErrorKind::Locked => "Locked",
        ErrorKind::ValidationFailed => "ValidationFailed",
        ErrorKind::Unauthenticated => "Unauthenticated",
        ErrorKind::PermissionDenied => "PermissionDenied",
        ErrorKind::TooLarge => "TooLarge",
        ErrorKind::Storage => "StorageError",
        ErrorKind::Corrupt => "Corrupt",
        ErrorKind::Unavailable => "Unavailable",
        ErrorKind::IncompatibleDatabase => "IncompatibleDatabase",
        ErrorKind::Closed => "Closed",
    }
}

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static MODULE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    MODULE.get_or_try_init(py, || py.import("tenths._errors").map(|m| m.into_any().unbind())).map(|m| m.bind(py))
}

fn build(py: Python<'_>, e: &TenthsError) -> PyResult<PyErr> {
    let cls = errors_module(py)?.getattr(class_name(e.kind()))?;
    let kwargs = PyDict::new(py);
    if let Some(f) = e.field() {
        kwargs.set_item("field", f)?;
    }
    if let TenthsError::ValidationFailed { failures } = e {
        let items = failures.iter().map(|f| crate::records::rule_failure(py, f)).collect::<PyResult<Vec<_>>>()?;
        kwargs.set_item("errors", PyTuple::new(py, items)?)?;
    }
    Ok(PyErr::from_value(cls.call((e.to_string(),), Some(&kwargs))?))
}

/// The Python exception of an engine error.
pub fn to_py_err(e: TenthsError) -> PyErr {
    Python::attach(|py| build(py, &e).unwrap_or_else(|err| PyRuntimeError::new_err(format!("{e} (and tenths._errors failed: {err})"))))
}
