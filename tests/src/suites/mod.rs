//! The bodies of the conformance suites (see [`crate::conformance`]): each `pub fn name(backend:
//! &dyn Backend)` is one test, run by `conformance_tests!` against a backend.

pub mod api_auth;
pub mod bad_input;
pub mod bulk_create;
pub mod events;
pub mod export_pages;
pub mod golden;
pub mod idempotency;
pub mod overlap;
pub mod sync_bad_input;
pub mod sync_convergence;
pub mod timers;
pub mod user_pages;
pub mod vectors;
pub mod webhooks;
