//! `tenths._native`: the PyO3 module behind the `tenths` Python package. It converts Python
//! values to the core's types (through the core's own parsers), calls one engine method with the
//! GIL released, and maps results and errors back. Every rule stays in the `tenths` crate.

use pyo3::prelude::*;

mod bench;
mod convert;
mod engine;
mod errors;
mod frames;
mod pyser;
mod records;
mod sync;

use convert::{count, object_id, text, timestamp};

/// Units billed for `raw_seconds` at `unit_increments` seconds per unit (domain.md §4.1):
/// rounded once with `rounding` (`up`, `nearest`, `down`), at least one unit for positive time
/// when `minimum_one_unit`.
#[pyfunction]
#[pyo3(signature = (raw_seconds, unit_increments, rounding = None, minimum_one_unit = None))]
#[pyo3(text_signature = "(raw_seconds, unit_increments, rounding='up', minimum_one_unit=True)")]
fn units_from_raw(
    raw_seconds: &Bound<'_, PyAny>,
    unit_increments: &Bound<'_, PyAny>,
    rounding: Option<&Bound<'_, PyAny>>,
    minimum_one_unit: Option<&Bound<'_, PyAny>>,
) -> PyResult<i64> {
    let raw = count(raw_seconds, "rawSeconds")?;
    let inc = count(unit_increments, "unitIncrements")?;
    let rounding = match rounding.filter(|r| !r.is_none()) {
        Some(r) => tenths::Rounding::parse_field(&text(r, "rounding")?, "rounding").map_err(errors::to_py_err)?,
        None => tenths::Rounding::Up,
    };
    let minimum_one_unit = match minimum_one_unit.filter(|m| !m.is_none()) {
        Some(m) => m.cast::<pyo3::types::PyBool>().map_err(|_| convert::invalid("minimumOneUnit", "expected a bool"))?.is_true(),
        None => true,
    };
    tenths::units::units_from_raw(raw, inc, tenths::units::UnitPolicy { rounding, minimum_one_unit }).map_err(errors::to_py_err)
}

/// A signed HS256 bearer token for `principal`, valid until `expires_at` (a timezone-aware
/// datetime), for `Engine.request` on an engine with `set_jwt_secret(secret)`.
#[pyfunction]
fn mint_token(py: Python<'_>, secret: &Bound<'_, PyAny>, principal: &Bound<'_, PyAny>, expires_at: &Bound<'_, PyAny>) -> PyResult<String> {
    let secret = text(secret, "secret")?;
    let p = principal.cast::<records::Principal>().map_err(|_| convert::invalid("principal", "expected a tenths.Principal"))?.get().to_core(py)?;
    let exp = timestamp(expires_at, "expiresAt")?.millis() / 1000;
    tenths::api::mint_hs256(secret.as_bytes(), &p, exp).map_err(errors::to_py_err)
}

/// A new ObjectId (24 lower-case hex characters), as a device makes one for an entry it creates.
#[pyfunction]
fn new_object_id() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    tenths::ObjectId::generate(i64::try_from(secs).unwrap_or(0)).to_string()
}

/// Checks an ObjectId and answers its lower-case form (`InvalidArgument` otherwise).
#[pyfunction]
fn parse_object_id(value: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(object_id(value, "id")?.to_string())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<engine::Engine>()?;
    m.add_class::<engine::EntryIterator>()?;
    m.add_class::<records::Entry>()?;
    m.add_class::<records::Page>()?;
    m.add_class::<records::Source>()?;
    m.add_class::<records::WorkCode>()?;
    m.add_class::<records::RuleFailure>()?;
    m.add_class::<records::ReleaseFailure>()?;
    m.add_class::<records::InitiativeRef>()?;
    m.add_class::<records::ClientRef>()?;
    m.add_class::<records::Client>()?;
    m.add_class::<records::CodeType>()?;
    m.add_class::<records::Code>()?;
    m.add_class::<records::Initiative>()?;
    m.add_class::<records::ValidationRules>()?;
    m.add_class::<records::CustomerSettings>()?;
    m.add_class::<records::UserSettings>()?;
    m.add_class::<records::Total>()?;
    m.add_class::<records::FieldChange>()?;
    m.add_class::<records::ChangeEvent>()?;
    m.add_class::<records::EventPage>()?;
    m.add_class::<records::NotReady>()?;
    m.add_class::<records::ReleaseDayResult>()?;
    m.add_class::<records::BatchItemResult>()?;
    m.add_class::<records::Response>()?;
    m.add_class::<records::SourceInput>()?;
    m.add_class::<records::ReleaseSucceededItem>()?;
    m.add_class::<records::Principal>()?;
    m.add_function(wrap_pyfunction!(units_from_raw, m)?)?;
    m.add_function(wrap_pyfunction!(mint_token, m)?)?;
    m.add_function(wrap_pyfunction!(new_object_id, m)?)?;
    m.add_function(wrap_pyfunction!(parse_object_id, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
