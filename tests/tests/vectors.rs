//! The scenario-vector runner's own rules: the subset match and the strict parsing of argument
//! bodies. The vectors themselves run through the conformance harness, once per backend
//! (`vectors::every_vector_passes` in `tests/tests/conformance_sqlite.rs`).

use serde_json::json;
use tenths_tests::vectors::{self, subset_diff};

#[test]
fn subset_match_semantics() {
    let actual = json!({"a": 1, "b": [1, 2], "c": {"d": "x", "e": true}, "n": 2.0});
    assert!(subset_diff(&json!({"a": 1}), &actual).is_empty());
    assert!(subset_diff(&json!({"c": {"d": "x"}}), &actual).is_empty());
    assert!(subset_diff(&json!({"n": 2}), &actual).is_empty(), "2 equals 2.0");
    assert!(subset_diff(&json!({"z": null}), &actual).is_empty(), "null means absent");
    assert_eq!(subset_diff(&json!({"a": null}), &actual).len(), 1, "present is not absent");
    assert_eq!(subset_diff(&json!({"b": [1]}), &actual).len(), 1, "arrays need equal length");
    assert_eq!(subset_diff(&json!({"b": [1, 3]}), &actual), vec!["b[1]: expected 3, got 2".to_string()]);
    assert_eq!(subset_diff(&json!({"z": 1}), &actual).len(), 1, "a missing key fails");
}

#[test]
fn bodies_are_refused_naming_the_field() {
    let e = vectors::parse_body::<tenths::NewEntry>(&json!({"summry": "x"})).unwrap_err();
    assert_eq!((e.code.as_str(), e.field.as_deref()), ("invalid_argument", Some("summry")));
    let e = vectors::parse_body::<tenths::OverrideInput>(&json!({"unitIncrementCountAdjustments": 2.5})).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("unitIncrementCountAdjustments"));
    let e = vectors::parse_body::<tenths::ClientInput>(&json!({"name": "x"})).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("externalId"));
    let e =
        vectors::parse_body::<tenths::NewEntry>(&json!({"sources": [{"kind": "email", "startedAt": "2026-01-01T00:00:00Z", "endedAt": "nope"}]})).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("sources[0].endedAt"));
}
