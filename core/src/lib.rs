//! # tenths
//!
//! An embeddable engine for billable time entries: timekeepers' work becomes entries on a
//! client's matter, billed in whole unit increments; entries are validated, released to the
//! firm's practice management system, acknowledged or rejected by a connector, unreleased,
//! overridden, soft-deleted, listed and exported. The rules live here once, as pure functions
//! ([`units`], [`status`], [`validation`], [`overlap`]); [`Engine`] applies them over SQLite.

pub mod api;
pub mod engine;
pub mod error;
pub mod model;
pub mod rules;
pub mod store;
pub mod sync;
pub mod wire;

pub use rules::{ids, overlap, status, time, units, validation};

pub use engine::{Engine, Scope, TimerStart, Window};
pub use error::{ErrorKind, Result, RuleFailure, TenthsError};
pub use ids::ObjectId;
pub use model::*;
pub use status::Status;
pub use store::{Durability, OpenOptions};
pub use time::{Clock, Date, FixedClock, SystemClock, Timestamp};
pub use units::Rounding;

/// The README's examples, compiled and run as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
