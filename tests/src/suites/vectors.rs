//! Runs every scenario vector of `tests/vectors/*.json` (format: `tests/vectors/README.md`)
//! against the Rust engine, each on a fresh engine of the backend under test. Set
//! `TENTHS_VECTOR=<text>` to run only the vectors whose name contains that text, and
//! `TENTHS_VECTOR_DIR=<dir>` to run another directory of vectors.

use std::path::{Path, PathBuf};

use crate::conformance::Backend;
use crate::vectors;

/// The suite must not silently shrink.
const MIN_VECTORS: usize = 40;

pub fn every_vector_passes(backend: &dyn Backend) {
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
        match vectors::run_file(backend, file) {
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
