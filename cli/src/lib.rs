//! The `tenths` command line, as a library: the deterministic data [`generate`]or (shared with
//! the benchmarks), the end-to-end [`demo`], and the HTTP server ([`serve`]).

pub mod demo;
pub mod generate;
pub mod serve;
