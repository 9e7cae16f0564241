//! Where `tenths serve --jwks` gets an identity provider's keys: a file or an `http(s)://` URL,
//! read at start (a source that cannot be read or parsed stops the server) and again on an
//! interval (a failed refresh keeps the last good keys and is logged at warn). Parsing and
//! verifying are the core's [`tenths::api::JwksVerifier`]; this only fetches (decision 67).

use std::sync::Arc;
use std::time::Duration;

use tenths::api::{JwksOptions, JwksVerifier};

/// The largest JWKS document read, in bytes.
const MAX_JWKS_BYTES: u64 = 1024 * 1024;

/// How long a fetch of a URL may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads the JWKS document at `source`: an `http://` or `https://` URL (GET), else a file path.
pub fn fetch(source: &str) -> Result<Vec<u8>, String> {
    if source.starts_with("http://") || source.starts_with("https://") {
        let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(FETCH_TIMEOUT)).build().into();
        let mut answer = agent.get(source).call().map_err(|e| format!("GET {source}: {e}"))?;
        answer.body_mut().with_config().limit(MAX_JWKS_BYTES).read_to_vec().map_err(|e| format!("GET {source}: reading the answer: {e}"))
    } else {
        std::fs::read(source).map_err(|e| format!("reading {source}: {e}"))
    }
}

/// The verifier of the keys at `source`, or why the server cannot start with it.
pub fn load(source: &str, options: JwksOptions) -> Result<Arc<JwksVerifier>, String> {
    let what = |e: String| format!("cannot use the JWKS at {source}: {e}");
    let document = fetch(source).map_err(what)?;
    let verifier = JwksVerifier::new(&document, options).map_err(|e| what(e.to_string()))?;
    tracing::info!(source, kids = ?verifier.key_ids(), "JWKS loaded");
    Ok(Arc::new(verifier))
}

/// Re-reads `source` every `interval` on a thread of its own (for the life of the process) and
/// replaces the verifier's keys; a refresh that fails keeps the keys in place.
pub fn keep_fresh(source: String, verifier: Arc<JwksVerifier>, interval: Duration) {
    let spawned = std::thread::Builder::new().name("jwks-refresh".into()).spawn(move || loop {
        std::thread::sleep(interval);
        match fetch(&source).and_then(|doc| verifier.replace_keys(&doc).map_err(|e| e.to_string())) {
            Ok(_) => tracing::debug!(source = %source, kids = ?verifier.key_ids(), "JWKS refreshed"),
            Err(e) => tracing::warn!(source = %source, error = %e, "JWKS refresh failed: keeping the last good keys"),
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the JWKS refresh: the keys read at start stay");
    }
}
