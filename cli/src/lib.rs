//! The `tenths` command line, as a library: the deterministic data [`generate`]or (shared with
//! the benchmarks) and the end-to-end [`demo`].

pub mod demo;
pub mod generate;
