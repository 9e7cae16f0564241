//! Offline-first sync (docs/sync.md). A device's engine and the server of record run the same
//! code: the device keeps a per-entry count of unsent local changes and a mirror of the last
//! server-acknowledged copy; the server applies pushed operations under the same rules and
//! feeds changes back after a cursor.
//!
//! - the records sync moves are in [`crate::model::sync`] (re-exported here);
//! - the merge policy is pure, in [`crate::rules::merge`] (re-exported here);
//! - `server`: applying a push, the pull feed and the typed reference snapshot, over the
//!   storage interface;
//! - `device`: the primitives a device calls (prepare and complete a push, apply a pull), a
//!   pure plan of what each answer or page does, then one apply step over the storage interface;
//! - a host moves the bytes through a [`Transport`].

pub(crate) mod device;
pub(crate) mod plan;
pub(crate) mod server;

use crate::rules::ids::ObjectId;

pub use crate::model::sync::*;
pub use crate::rules::merge::{reconcile, resolve_running_timers, MergeOutcome, TimerResolution};

/// Moves one request of the router's shape to the server and back: an HTTP client, or the
/// server engine itself in-process. The host owns auth, retries and scheduling.
pub trait Transport {
    /// Performs the request; an `Err` is a transport failure (the server was not reached or
    /// did not answer), never an HTTP status.
    fn send(&self, request: crate::http::Request) -> std::result::Result<crate::http::Response, String>;
}

/// The route of a push for a user.
pub fn push_path(customer: &ObjectId, user: &ObjectId) -> String {
    format!("/api/v1/public/customers/{customer}/users/{user}/sync/push")
}

/// The route of a pull page for a user.
pub fn pull_path(customer: &ObjectId, user: &ObjectId, request: &PullRequest) -> String {
    format!(
        "/api/v1/public/customers/{customer}/users/{user}/sync/changes?entrySeq={}&referenceSeq={}&limit={}&protocolVersion={PROTOCOL_VERSION}",
        request.after.entry_seq, request.after.reference_seq, request.limit
    )
}
