//! # tenths
//!
//! An embeddable engine for billable time entries: timekeepers' work becomes entries on a
//! client's matter, billed in whole unit increments; entries are validated, released to the
//! firm's practice management system, acknowledged or rejected by a connector, unreleased,
//! overridden, soft-deleted, listed and exported. The rules live here once, as pure functions
//! ([`rules`]); operations ([`ops`]) apply them over a storage interface ([`store`]) that a
//! backend implements ([`sqlite`] here; PostgreSQL in `tenths-postgres`); [`Engine`] is the facade.
//!
//! Every write is one transaction that applies whole or not at all; every error is a
//! [`TenthsError`] whose [`ErrorKind`] maps to an HTTP status ([`api`] is the HTTP API
//! in-process, `tenths serve` the server).
//!
//! # Record and release
//!
//! A timekeeper records time on a matter (an *initiative*, billed here in 6-minute units) and
//! releases the entry once its rules pass:
//!
//! ```
//! use tenths::{BillingType, Engine, InitiativeInput, NewEntry, ObjectId, Scope, Status};
//!
//! let engine = Engine::open_in_memory()?; // or Engine::open("firm.sqlite")
//! let firm = ObjectId::parse("64b7f0c2a1b2c3d4e5f60001")?;
//! let lawyer = Scope::new(firm, ObjectId::parse("64b7f0c2a1b2c3d4e5f60002")?);
//! let matter = engine.upsert_initiative(&firm, &InitiativeInput {
//!     external_id: "M-1".into(),
//!     name: "Acme v. Widget".into(),
//!     billing_type: BillingType::Billable,
//!     unit_increments: 360, // seconds in a unit
//!     description: None, call_sign: None, client_external_id: None, status: None, kind: None,
//! })?;
//!
//! let (entry, created) = engine.create_entry(&lawyer, &NewEntry {
//!     initiative_id: Some(matter.id),
//!     summary: Some("Reviewed the supply contract".into()),
//!     duration_in_seconds: Some(1500), // 25 minutes: 5 units, rounded up
//!     ..Default::default()
//! })?;
//! assert!(created);
//! assert_eq!((entry.unit_increment_count(), entry.status), (5, Status::ValidationSucceeded));
//!
//! let released = engine.release_entry(&lawyer, &entry.id)?;
//! assert_eq!(released.status, Status::ReleasePending); // locked, waiting for the PMS
//! # Ok::<(), tenths::TenthsError>(())
//! ```
//!
//! # The connector loop
//!
//! A connector exports what was released in a window, pushes it to the firm's practice
//! management system (PMS), and reports each answer back: the PMS id on success
//! ([`Engine::release_succeeded_batch`], one result per item), the PMS messages on failure
//! ([`Engine::release_failed`]).
//!
//! ```
//! # use tenths::{BillingType, Engine, InitiativeInput, NewEntry, ObjectId, Scope};
//! # let engine = Engine::open_in_memory()?;
//! # let firm = ObjectId::parse("64b7f0c2a1b2c3d4e5f60001")?;
//! # let lawyer = Scope::new(firm, ObjectId::parse("64b7f0c2a1b2c3d4e5f60002")?);
//! # let matter = engine.upsert_initiative(&firm, &InitiativeInput { external_id: "M-1".into(),
//! #     name: "Acme v. Widget".into(), billing_type: BillingType::Billable, unit_increments: 360,
//! #     description: None, call_sign: None, client_external_id: None, status: None, kind: None })?;
//! # let new = |summary: &str| NewEntry { initiative_id: Some(matter.id), summary: Some(summary.into()),
//! #     duration_in_seconds: Some(1500), ..Default::default() };
//! # for summary in ["Drafted the reply", "Call with opposing counsel"] {
//! #     let (entry, _) = engine.create_entry(&lawyer, &new(summary))?;
//! #     engine.release_entry(&lawyer, &entry.id)?;
//! # }
//! use tenths::{ReleaseSucceededItem, Status, Timestamp, Window};
//!
//! let window = Window::new(Timestamp::parse("2000-01-01T00:00:00Z")?, engine.now())?;
//! let released = engine.export_released(&firm, window)?;
//! assert_eq!(released.len(), 2);
//!
//! // The PMS took the first entry and refused the second.
//! let results = engine.release_succeeded_batch(&firm, &[ReleaseSucceededItem {
//!     entry_id: released[0].id.to_string(),
//!     external_id: Some("PMS-1001".into()),
//!     user_id: None,
//!     re_release_failed_messages: None,
//! }])?;
//! assert_eq!(results[0].status, "ok");
//! let refused = engine.release_failed(&firm, None, &released[1].id, &["Matter closed".into()])?;
//! assert_eq!(refused.status, Status::ReleaseFailed);
//!
//! let done = engine.get_entry(&lawyer, &released[0].id)?;
//! assert_eq!((done.status, done.external_id.as_deref()), (Status::ReleaseSucceeded, Some("PMS-1001")));
//! // The next run exports from where this one stopped: nothing new.
//! let next = Window::new(window.on_or_before, engine.now())?;
//! assert!(engine.export_released(&firm, next)?.is_empty());
//! # Ok::<(), tenths::TenthsError>(())
//! ```
//!
//! # Sync a device
//!
//! A phone's engine records offline; [`Engine::sync`] pushes its pending changes and pulls the
//! server's through a [`sync::Transport`] (the host's HTTP stack; in-process, the server engine
//! itself through [`api::InProcessTransport`]). Conflicts and refused changes are kept, not lost
//! (`docs/sync.md`).
//!
//! ```
//! use tenths::api::{InProcessTransport, Principal, Role};
//! use tenths::{Engine, NewEntry, ObjectId, Scope};
//!
//! let server = Engine::open_in_memory()?;
//! let phone = Engine::open_in_memory()?; // a file on the device in practice
//! let (firm, lawyer) = (ObjectId::parse("64b7f0c2a1b2c3d4e5f60001")?, ObjectId::parse("64b7f0c2a1b2c3d4e5f60002")?);
//! let scope = Scope::new(firm, lawyer);
//! let (entry, _) = phone.create_entry(&scope, &NewEntry {
//!     summary: Some("Call with the client, on the train".into()),
//!     duration_in_seconds: Some(900),
//!     ..Default::default()
//! })?;
//!
//! let transport = InProcessTransport { server: &server, principal: Principal::new(firm, lawyer, Role::User) };
//! let report = phone.sync(&transport, &firm, &lawyer)?;
//! assert_eq!(report.applied, 1);
//! assert_eq!(server.get_entry(&scope, &entry.id)?.summary, entry.summary);
//! assert_eq!(phone.sync_status(&firm, &lawyer)?.pending, 0);
//! # Ok::<(), tenths::TenthsError>(())
//! ```

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
pub use sqlite::{Durability, GroupCommit, OpenOptions};

/// The README's examples, compiled and run as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
