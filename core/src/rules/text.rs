//! Text and number limits of input (rules, no I/O): blank text, length limits counted in
//! characters as JSON Schema counts them, and the JSON-number edge where floats become checked
//! integer counts.

use serde::{Deserialize, Deserializer};

use crate::error::{Result, TenthsError};

/// Longest summary or notes accepted, in characters.
pub const MAX_TEXT_BYTES: usize = 10_000;
/// Longest name, title or description of reference data, in characters.
pub const MAX_NAME_BYTES: usize = 1_000;
/// Most codes on one entry.
pub const MAX_CODES_PER_ENTRY: usize = 50;
/// Most sources on one entry.
pub const MAX_SOURCES_PER_ENTRY: usize = 500;
/// Longest single source interval: 25 hours (a local day across a fall-back night). The
/// overlap index relies on this bound.
pub const MAX_SOURCE_MILLIS: i64 = 25 * 3_600 * 1_000;

/// Most items in one batch call (and most messages in one report).
pub const MAX_BATCH_ITEMS: usize = 1_000;
/// Largest page of a cursor listing.
pub const MAX_PAGE_SIZE: usize = 100;
/// Longest retention of the change-event log a customer may set, in days (100 years).
pub const MAX_EVENT_RETENTION_DAYS: i64 = 36_500;

/// Whether a text is blank: empty or only whitespace, where whitespace is what ECMAScript's
/// `\s` (and so the OpenAPI document's patterns) calls whitespace. Unicode's White_Space differs
/// on two characters (U+0085 is not `\s`, U+FEFF is), and the contract must be one.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(|c| (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}')
}

/// Text limits count characters (Unicode scalar values), as JSON Schema's `maxLength` does, so
/// the published schema states exactly what is accepted.
pub(crate) fn check_text(s: &str, field: &str, max: usize) -> Result<()> {
    if s.len() > max && s.chars().count() > max {
        return Err(TenthsError::invalid(field, format!("must be at most {max} characters")));
    }
    if s.contains('\0') {
        return Err(TenthsError::invalid(field, "must not contain NUL characters"));
    }
    Ok(())
}

pub(crate) fn check_name(s: &str, field: &str) -> Result<()> {
    if is_blank(s) {
        return Err(TenthsError::invalid(field, "must not be empty"));
    }
    check_text(s, field, MAX_NAME_BYTES)
}

/// Largest magnitude a JSON count may have: integers are exact in an f64 up to 2^53.
const MAX_JSON_COUNT: f64 = 9_007_199_254_740_992.0;

/// Turns a JSON number into a count: finite, integral, in range (`2` and `2.0` are fine; `2.5`,
/// `1e300` are not).
pub fn count_from_json(v: &serde_json::Value) -> std::result::Result<i64, &'static str> {
    match v {
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return if (i as f64).abs() <= MAX_JSON_COUNT { Ok(i) } else { Err("must be a whole number in range") };
            }
            match n.as_f64() {
                Some(f) if f.is_finite() && f.fract() == 0.0 && f.abs() <= MAX_JSON_COUNT => Ok(f as i64),
                Some(f) if f.is_finite() && f.fract() != 0.0 => Err("must be a whole number"),
                _ => Err("must be a whole number in range"),
            }
        }
        _ => Err("must be a number"),
    }
}

/// serde helper: `null` reads as the default (an optional list given as `null` is empty).
pub fn de_null_as_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> std::result::Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// serde helper: a required count field (see [`count_from_json`]).
pub fn de_count<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<i64, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    count_from_json(&v).map_err(serde::de::Error::custom)
}

/// serde helper: an optional count field (see [`count_from_json`]).
pub fn de_opt_count<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => count_from_json(&v).map(Some).map_err(serde::de::Error::custom),
    }
}
