//! The rules layer: pure functions over values, no I/O, no clock, no storage. Ids, time and
//! zones, unit-increment math, the status machine (whether an operation is allowed and its whole
//! effect), validation, overlap, settling an entry's derived figures, and the sync merge policy.
//! Everything above (operations, backends, sync, the facade, the router) asks these; nothing
//! here imports a layer above it.

pub mod idempotency;
pub mod ids;
pub mod merge;
pub mod overlap;
pub mod status;
pub mod text;
pub mod time;
pub mod units;
pub mod validation;
pub mod webhooks;
