//! Data frames: the core's [`EntryColumns`] as a pandas `DataFrame` or a pyarrow `Table`.
//! Which fields make which column, their names and which may be null is the core's
//! (`tenths::wire::EntryColumns`); here each column vector becomes one Python list, typed once
//! by pandas or pyarrow (no Python object per row but the values themselves). pandas and pyarrow
//! are optional (the extras `tenths[pandas]`, `tenths[arrow]`): a missing one is an
//! `ImportError` naming the extra to install.

use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tenths::wire::{ColumnValues, EntryColumns};

use crate::convert::{invalid, py_date, text};

/// The library a frame is made with, imported.
pub enum Library<'py> {
    Pandas(Bound<'py, PyModule>),
    Arrow(Bound<'py, PyModule>),
}

/// The `format` argument (`"pandas"`, the default, or `"arrow"`) with its library imported, so a
/// missing package is reported before the engine reads anything.
pub fn library<'py>(py: Python<'py>, format: Option<&Bound<'py, PyAny>>, method: &str) -> PyResult<Library<'py>> {
    let format = match format.filter(|f| !f.is_none()) {
        Some(f) => text(f, "format")?,
        None => "pandas".to_owned(),
    };
    let (module, extra) = match format.as_str() {
        "pandas" => ("pandas", "pandas"),
        "arrow" => ("pyarrow", "arrow"),
        other => return Err(invalid("format", format!("expected \"pandas\" or \"arrow\", got {other:?}"))),
    };
    let m = py.import(module).map_err(|e| {
        if e.is_instance_of::<PyImportError>(py) {
            PyImportError::new_err(format!("{method}(format={format:?}) needs the {module} package: pip install 'tenths[{extra}]' ({e})"))
        } else {
            e
        }
    })?;
    Ok(if module == "pandas" { Library::Pandas(m) } else { Library::Arrow(m) })
}

/// The columns as a frame of `lib`: a pandas `DataFrame` or a pyarrow `Table`, columns in the
/// core's order.
pub fn frame(py: Python<'_>, lib: &Library<'_>, cols: &EntryColumns) -> PyResult<Py<PyAny>> {
    match lib {
        Library::Pandas(pd) => {
            let data = PyDict::new(py);
            for c in &cols.columns {
                data.set_item(c.name, pandas_column(py, pd, &c.values, c.nullable)?)?;
            }
            Ok(pd.call_method1("DataFrame", (data,))?.unbind())
        }
        Library::Arrow(pa) => {
            let (names, arrays) = (PyList::empty(py), PyList::empty(py));
            for c in &cols.columns {
                names.append(c.name)?;
                arrays.append(arrow_column(py, pa, &c.values)?)?;
            }
            let kwargs = PyDict::new(py);
            kwargs.set_item("names", names)?;
            Ok(pa.getattr("Table")?.call_method("from_arrays", (arrays,), Some(&kwargs))?.unbind())
        }
    }
}

/// Dates as days since 1970-01-01, instants as epoch milliseconds: what both libraries type in
/// one call.
fn plain_list<'py>(py: Python<'py>, values: &ColumnValues) -> PyResult<Bound<'py, PyList>> {
    match values {
        ColumnValues::Text(v) => PyList::new(py, v.iter().map(Option::as_deref)),
        ColumnValues::Int(v) => PyList::new(py, v.iter().copied()),
        ColumnValues::Bool(v) => PyList::new(py, v.iter().copied()),
        ColumnValues::Date(v) => PyList::new(py, v.iter().map(|d| d.days_since_epoch())),
        ColumnValues::Timestamp(v) => PyList::new(py, v.iter().map(|t| t.map(|t| t.millis()))),
    }
}

/// A pandas `Series`: `string` text (NA for null), `int64` (`Int64` where null can occur),
/// `bool`, `datetime.date` objects, `datetime64[ns, UTC]` (NaT for null).
fn pandas_column<'py>(py: Python<'py>, pd: &Bound<'py, PyModule>, values: &ColumnValues, nullable: bool) -> PyResult<Bound<'py, PyAny>> {
    let series = |list: Bound<'py, PyAny>, dtype: &str| -> PyResult<Bound<'py, PyAny>> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("dtype", dtype)?;
        pd.call_method("Series", (list,), Some(&kwargs))
    };
    match values {
        ColumnValues::Text(_) => series(plain_list(py, values)?.into_any(), "string"),
        ColumnValues::Int(_) => series(plain_list(py, values)?.into_any(), if nullable { "Int64" } else { "int64" }),
        ColumnValues::Bool(_) => series(plain_list(py, values)?.into_any(), "bool"),
        ColumnValues::Date(v) => series(PyList::new(py, v.iter().map(|d| py_date(py, *d)).collect::<PyResult<Vec<_>>>()?)?.into_any(), "object"),
        ColumnValues::Timestamp(_) => {
            let kwargs = PyDict::new(py);
            kwargs.set_item("unit", "ms")?;
            kwargs.set_item("utc", true)?;
            pd.call_method("to_datetime", (series(plain_list(py, values)?.into_any(), "Int64")?,), Some(&kwargs))
        }
    }
}

/// A pyarrow array: `string`, `int64`, `bool`, `date32`, `timestamp[ms, tz=UTC]` (nulls where
/// the core has `None`).
fn arrow_column<'py>(py: Python<'py>, pa: &Bound<'py, PyModule>, values: &ColumnValues) -> PyResult<Bound<'py, PyAny>> {
    let (stored, typed) = match values {
        ColumnValues::Text(_) => (pa.call_method0("string")?, None),
        ColumnValues::Int(_) => (pa.call_method0("int64")?, None),
        ColumnValues::Bool(_) => (pa.call_method0("bool_")?, None),
        ColumnValues::Date(_) => (pa.call_method0("int32")?, Some(pa.call_method0("date32")?)),
        ColumnValues::Timestamp(_) => {
            let kwargs = PyDict::new(py);
            kwargs.set_item("tz", "UTC")?;
            (pa.call_method0("int64")?, Some(pa.call_method("timestamp", ("ms",), Some(&kwargs))?))
        }
    };
    let kwargs = PyDict::new(py);
    kwargs.set_item("type", stored)?;
    let array = pa.call_method("array", (plain_list(py, values)?,), Some(&kwargs))?;
    match typed {
        Some(t) => array.call_method1("cast", (t,)),
        None => Ok(array),
    }
}
