//! Runs every scenario vector of `tests/vectors/*.json` (format: `tests/vectors/README.md`)
//! against the Rust engine. Set `TENTHS_VECTOR=<text>` to run only the vectors whose name
//! contains that text, and `TENTHS_VECTOR_DIR=<dir>` to run another directory of vectors.

use std::path::{Path, PathBuf};

use serde_json::json;
use tenths_tests::vectors::{self, subset_diff};

/// The suite must not silently shrink.
const MIN_VECTORS: usize = 40;

#[test]
fn every_vector_passes() {
    let (dir, min) = match std::env::var_os("TENTHS_VECTOR_DIR") {
        Some(d) if !d.is_empty() => (PathBuf::from(d), 1),
        _ => (Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors"), MIN_VECTORS),
    };
    let files = vectors::discover(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    assert!(files.len() >= min, "only {} vector files in {} (at least {min} expected)", files.len(), dir.display());
    let filter = std::env::var("TENTHS_VECTOR").ok().filter(|f| !f.is_empty());
    let mut failures = Vec::new();
    let mut ran = 0;
    for file in &files {
        let name = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        ran += 1;
        match vectors::run_file(file) {
            Ok(()) => println!("ok    {name}"),
            Err(f) => {
                println!("FAIL  {name}");
                failures.push(f);
            }
        }
    }
    if !failures.is_empty() {
        let report: String = failures.iter().map(|f| f.to_string()).collect();
        panic!("{} of {ran} vectors failed:\n{report}", failures.len());
    }
    println!("{ran} vectors passed");
}

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
