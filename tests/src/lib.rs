//! Shared helpers of the cross-crate tests: engines on a fixed clock, fixed ids, and a small
//! firm to test against; the conformance harness ([`conformance`]) and the suites it runs
//! against any storage backend ([`suites`]); the one adapter to the in-process HTTP API
//! ([`http`]); the scenario-vector runner ([`vectors`]); damaged database files ([`damage`]).

pub mod conformance;
pub mod damage;
pub mod http;
pub mod suites;
pub mod vectors;

use std::sync::Arc;

use tenths::{Engine, FixedClock, ObjectId, Timestamp};

/// An in-memory engine on a clock fixed at `now` (RFC 3339).
pub fn engine_at(now: &str) -> (Engine, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(ts(now)));
    let engine = Engine::open_in_memory_with(clock.clone()).expect("open in-memory engine");
    (engine, clock)
}

/// Parses a timestamp or panics (test input only).
pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("valid timestamp in test")
}

/// A fixed id: `n` padded into 24 hex digits.
pub fn oid(n: u64) -> ObjectId {
    ObjectId::parse(&format!("{n:024x}")).expect("valid id")
}

/// A unique temporary path for a database file (the directory is removed on drop).
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let p = std::env::temp_dir().join(format!("tenths-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
    pub fn file(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Imports a client and one PMS matter (360 s units) and returns the matter's id.
pub fn simple_matter(engine: &Engine, customer: &ObjectId) -> ObjectId {
    engine
        .upsert_client(
            customer,
            &tenths::ClientInput { external_id: "CL-1".into(), name: "Acme Holdings".into(), call_sign: Some("ACME".into()), description: None },
        )
        .expect("client");
    engine
        .upsert_initiative(
            customer,
            &tenths::InitiativeInput {
                external_id: "M-1".into(),
                name: "Acme v. Widget".into(),
                description: Some("Contract dispute".into()),
                call_sign: None,
                client_external_id: Some("CL-1".into()),
                billing_type: tenths::BillingType::Billable,
                unit_increments: 360,
                status: None,
                kind: None,
            },
        )
        .expect("initiative")
        .id
}
