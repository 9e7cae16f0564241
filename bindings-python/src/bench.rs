//! Benchmark hooks (private, for `benches/python/bench_binding.py`): the Rust-only time of an
//! engine call, timed in Rust around the core call, and "raw" PyO3 calls of the same signatures
//! that skip the engine and answer trivially built objects of the same shape, as the floor of a
//! binding call. Nothing here is public API; the names start with `_`.

use std::time::Instant;

use pyo3::prelude::*;
use pyo3::types::PyList;

/// Attributes of an `Entry` record (the shape the raw calls imitate).
pub const ENTRY_FIELDS: usize = 42;

/// A record of the same shape as `Entry` (as many object slots), every slot `None`. Not added
/// to the module (so not in its `__all__` nor the stubs): only `_raw_*` calls make it.
#[pyclass(frozen, module = "tenths._native", name = "_RawRecord")]
pub struct RawRecord {
    #[allow(dead_code)]
    fields: [Py<PyAny>; ENTRY_FIELDS],
}

/// A `_RawRecord` built trivially (no engine, no conversion).
pub fn raw_record(py: Python<'_>) -> PyResult<Py<PyAny>> {
    Ok(Py::new(py, RawRecord { fields: std::array::from_fn(|_| py.None()) })?.into_any())
}

/// A list of `n` raw records, as a page holds entries.
pub fn raw_records(py: Python<'_>, n: usize) -> PyResult<Py<PyAny>> {
    let items = (0..n).map(|_| raw_record(py)).collect::<PyResult<Vec<_>>>()?;
    Ok(PyList::new(py, items)?.into_any().unbind())
}

/// Runs `f` `n` times and answers the elapsed nanoseconds (the caller releases the GIL).
pub fn time_ns<T>(n: u64, mut f: impl FnMut() -> tenths::Result<T>) -> tenths::Result<u64> {
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(f()?);
    }
    Ok(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX))
}

/// Reads every v2 page of a window in the core (no conversion); answers the elapsed nanoseconds
/// and the number of entries.
pub fn list_all_ns(engine: &tenths::Engine, customer: &tenths::ObjectId, window: tenths::Window, export: bool) -> tenths::Result<(u64, usize)> {
    let t = Instant::now();
    let (mut cursor, mut n) = (None, 0usize);
    loop {
        let size = tenths::engine::MAX_PAGE_SIZE;
        let p = if export {
            engine.export_released_page(customer, window, size, cursor.as_ref())?
        } else {
            engine.list_updated_page(customer, window, size, cursor.as_ref())?
        };
        n += p.items.len();
        cursor = p.next_cursor;
        if cursor.is_none() {
            return Ok((u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX), n));
        }
    }
}
