//! Shared helpers of the cross-crate tests: engines on a fixed clock, fixed ids, and a small
//! firm to test against; the conformance harness ([`conformance`]) and the suites it runs
//! against any storage backend ([`suites`]); the one adapter to the in-process HTTP API
//! ([`http`]); the scenario-vector runner ([`vectors`]); damaged database files ([`damage`]); and
//! the recording VFS of the power-loss test ([`crashvfs`]).

pub mod conformance;
pub mod crashvfs;
pub mod damage;
pub mod http;
pub mod suites;
pub mod vectors;

use std::sync::Arc;

use tenths::{Engine, FixedClock, ObjectId, Timestamp};

/// splitmix64: small, seeded, reproducible (the randomised suites and the power-loss test).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)] // an endless source, not an iterator
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    /// One of `items`, or `None` when there are none.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            None
        } else {
            items.get(usize::try_from(self.below(items.len() as u64)).unwrap_or(0)).copied()
        }
    }
}

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
