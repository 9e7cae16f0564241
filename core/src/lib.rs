//! # tenths
//!
//! An embeddable engine for billable time entries: timekeepers' work becomes entries on a
//! client's matter, billed in whole unit increments; entries are validated, released to the
//! firm's practice management system, acknowledged or rejected by a connector, unreleased,
//! overridden, soft-deleted, listed and exported. The rules live here once, as pure functions
//! ([`rules`]); operations ([`ops`]) apply them over a storage interface ([`store`]) that a
//! backend implements ([`sqlite`] here; PostgreSQL in `tenths-postgres`); [`Engine`] is the facade.

pub mod api;
pub mod engine;
pub mod error;
pub mod http;
pub mod model;
pub mod ops;
pub mod rules;
pub mod sqlite;
pub mod store;
pub mod sync;
pub mod wire;

pub use engine::{Engine, Scope, SystemClock, TimerStart, Window};
pub use error::{ErrorKind, Result, RuleFailure, TenthsError};
pub use model::*;
pub use rules::ids::ObjectId;
pub use rules::status::Status;
pub use rules::time::{Clock, Date, FixedClock, Timestamp};
pub use rules::units::Rounding;
pub use rules::{ids, overlap, status, time, units, validation};
pub use sqlite::{Durability, OpenOptions};

/// The README's examples, compiled and run as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
