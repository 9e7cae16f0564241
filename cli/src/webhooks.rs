//! The webhook delivery worker of `tenths serve` (decisions 96–100): a few threads of their
//! own, off the request path, that take due deliveries from the outbox, claim one at a time under
//! a lease (so several processes on one database never post the same delivery at once), post it
//! signed, and record the outcome (the engine decides retries, death and disabling). The
//! addresses a target's name resolves to are checked against the forbidden-address policy on
//! every connection (the resolver below), so a name that changed what it points to since the
//! subscription was made reaches nothing forbidden.

use std::net::IpAddr;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tenths::model::webhooks::{AttemptOutcome, ClaimedDelivery};
use tenths::rules::webhooks::{
    check_resolved, check_target, signature_header, AllowedHosts, RetryPolicy, DELIVERY_ID_HEADER, EVENT_ID_HEADER, SIGNATURE_HEADER,
};
use tenths::Engine;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Hosts allowed as targets although their addresses are forbidden.
    pub allowed: AllowedHosts,
    /// Retries, death, disabling.
    pub policy: RetryPolicy,
    /// The longest one attempt may take (connect, send, answer).
    pub timeout: Duration,
    /// Delivery threads (each posts one delivery at a time).
    pub workers: usize,
    /// How long a thread waits when nothing was due.
    pub poll: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            allowed: AllowedHosts::default(),
            policy: RetryPolicy::default(),
            timeout: Duration::from_secs(10),
            workers: 2,
            poll: Duration::from_millis(250),
        }
    }
}

impl WebhookConfig {
    /// The lease a claim takes: long enough for the attempt and recording it; after it expires
    /// (the process died mid-delivery) another worker may attempt the delivery again.
    pub fn lease_millis(&self) -> i64 {
        i64::try_from(self.timeout.as_millis()).unwrap_or(i64::MAX / 4).saturating_mul(2).saturating_add(2_000)
    }
}

/// Resolves a target's host, then refuses it unless every address is allowed.
#[derive(Debug)]
struct CheckedResolver {
    allowed: AllowedHosts,
}

impl Resolver for CheckedResolver {
    fn resolve(&self, uri: &ureq::http::Uri, config: &ureq::config::Config, timeout: NextTimeout) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let addrs = DefaultResolver::default().resolve(uri, config, timeout)?;
        let host = uri.host().unwrap_or("").trim_start_matches('[').trim_end_matches(']');
        let ips: Vec<IpAddr> = addrs.iter().map(|a| a.ip()).collect();
        check_resolved(host, &ips, &self.allowed).map_err(|why| ureq::Error::Io(std::io::Error::new(std::io::ErrorKind::PermissionDenied, why)))?;
        Ok(addrs)
    }
}

fn agent(config: &WebhookConfig) -> ureq::Agent {
    let c = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(config.timeout))
        .max_redirects(0)
        .proxy(None)
        .user_agent(concat!("tenths-webhooks/", env!("CARGO_PKG_VERSION")))
        .build();
    ureq::Agent::with_parts(c, DefaultConnector::default(), CheckedResolver { allowed: config.allowed.clone() })
}

/// A number in `[0, 1)` from the operating system's generator (the backoff's jitter).
fn jitter() -> f64 {
    let mut b = [0u8; 8];
    match getrandom::fill(&mut b) {
        Ok(()) => (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

/// Posts one claimed delivery; how it ended.
pub fn attempt(agent: &ureq::Agent, allowed: &AllowedHosts, d: &ClaimedDelivery, now_secs: i64) -> AttemptOutcome {
    // The operator may have narrowed the allowed hosts since the subscription was made.
    if let Err(e) = check_target(&d.url, "url", allowed) {
        return AttemptOutcome::Failed { status: None, error: e.to_string() };
    }
    let signature = signature_header(&d.secret, now_secs, d.payload.as_bytes());
    let sent = agent
        .post(&d.url)
        .header("Content-Type", "application/json")
        .header(SIGNATURE_HEADER, &signature)
        .header(EVENT_ID_HEADER, d.event_id.as_str())
        .header(DELIVERY_ID_HEADER, d.delivery.as_str())
        .send(d.payload.as_bytes());
    match sent {
        Ok(r) if r.status().is_success() => AttemptOutcome::Delivered { status: i64::from(r.status().as_u16()) },
        Ok(r) => AttemptOutcome::Failed { status: Some(i64::from(r.status().as_u16())), error: format!("the receiver answered {}", r.status()) },
        Err(e) => AttemptOutcome::Failed { status: None, error: e.to_string() },
    }
}

/// Starts the delivery threads; they stop soon after `stop` is set.
pub fn spawn<E>(engine: Arc<E>, config: WebhookConfig, stop: Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<()>>
where
    E: Deref<Target = Engine> + Send + Sync + 'static,
{
    let process = tenths::ObjectId::generate(engine.now().millis().div_euclid(1000));
    (0..config.workers.max(1))
        .filter_map(|i| {
            let (engine, config, stop) = (engine.clone(), config.clone(), stop.clone());
            let owner = format!("{process}-{i}");
            std::thread::Builder::new().name(format!("webhooks-{i}")).spawn(move || run(&engine, &config, &owner, i, &stop)).ok()
        })
        .collect()
}

fn run(engine: &Engine, config: &WebhookConfig, owner: &str, index: usize, stop: &AtomicBool) {
    let agent = agent(config);
    while !stop.load(Ordering::Relaxed) {
        match step(engine, &agent, config, owner, index) {
            Ok(true) => {}
            Ok(false) => std::thread::sleep(config.poll),
            Err(e) => {
                tracing::warn!(error = %e, "webhook worker: the store failed; waiting");
                std::thread::sleep(config.poll.max(Duration::from_millis(500)));
            }
        }
    }
}

/// Claims and attempts at most one due delivery; answers whether one was attempted.
fn step(engine: &Engine, agent: &ureq::Agent, config: &WebhookConfig, owner: &str, index: usize) -> tenths::Result<bool> {
    let mut due = engine.due_webhook_deliveries(32)?;
    // Threads start at different places of the list so they rarely claim the same row.
    let len = due.len();
    if len > 0 {
        due.rotate_left(index % len);
    }
    for d in &due {
        let Some(claimed) = engine.claim_webhook_delivery(d, owner, config.lease_millis())? else { continue };
        let now_secs = engine.now().millis().div_euclid(1000);
        let outcome = attempt(agent, &config.allowed, &claimed, now_secs);
        match &outcome {
            AttemptOutcome::Delivered { status } => tracing::info!(delivery = %claimed.delivery, event = %claimed.event_id, status, "webhook delivered"),
            AttemptOutcome::Failed { status, error } => {
                tracing::info!(delivery = %claimed.delivery, event = %claimed.event_id, status, error = %error, "webhook attempt failed")
            }
        }
        engine.finish_webhook_delivery(&claimed, owner, &outcome, &config.policy, jitter())?;
        return Ok(true);
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listener on loopback that answers every request 204.
    fn receiver() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                use std::io::{Read, Write};
                let mut s = stream;
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let _ = s.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
            }
        });
        port
    }

    /// The delivery client checks what a name resolves to on every connection: `localhost`
    /// (loopback through /etc/hosts) reaches nothing unless the operator allows it.
    #[test]
    fn the_client_refuses_a_name_that_resolves_to_a_forbidden_address() {
        let port = receiver();
        let url = format!("http://localhost:{port}/hook");
        let refused = agent(&WebhookConfig::default()).post(&url).send("{}").unwrap_err().to_string();
        assert!(refused.contains("forbidden address") && refused.contains("loopback"), "{refused}");
        let allowed = WebhookConfig { allowed: AllowedHosts::new(["localhost"]), ..WebhookConfig::default() };
        assert_eq!(agent(&allowed).post(&url).send("{}").unwrap().status().as_u16(), 204);
        // An address literal is checked the same way.
        let literal = format!("http://127.0.0.1:{port}/hook");
        assert!(agent(&WebhookConfig::default()).post(&literal).send("{}").is_err());
    }
}
