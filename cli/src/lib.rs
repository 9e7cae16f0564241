//! The `tenths` command line, as a library: the deterministic data [`generate`]or (shared with
//! the benchmarks), the end-to-end [`demo`], the HTTP server ([`serve`], its connections in
//! [`conns`], its metrics and request ids in [`observe`], its identity-provider keys in
//! [`jwks`], its webhook delivery worker in [`webhooks`]), and the HTTP sync transport of a
//! device ([`sync`]).

pub mod conns;
pub mod demo;
pub mod generate;
pub mod jwks;
pub mod observe;
pub mod serve;
pub mod sync;
pub mod webhooks;
