//! Webhooks through the real `tenths serve` binary and a real receiver on loopback written here
//! (issue 16, decisions 96–100): signatures verify with the documented algorithm (computed here
//! with the `hmac` crate, not with the server's code), deliveries of a subscription arrive in
//! order, a receiver that is down for a while gets every event after it comes back (duplicates
//! only with the same event id), SIGKILL of the server mid-delivery loses nothing, a slow
//! receiver does not hold up API requests, a delivery dies after its attempts and is redelivered,
//! a subscription whose deliveries keep dying is disabled visibly, and bad targets are refused.
//!
//! No timing is asserted: every wait polls with a generous safety bound, so a broken server
//! fails the test instead of hanging it. With `TENTHS_E2E_STORE=postgres` (and
//! `TENTHS_TEST_PG_URL`) the servers serve from a PostgreSQL database of their own.

mod common;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use tenths::api::{mint_hs256, Principal, Role};
use tenths::ObjectId;

const SECRET: &str = "webhooks-secret";
/// Far longer than any wait a test needs: reaching it means the server did not act.
const SAFETY: Duration = Duration::from_secs(60);

fn id(n: u64) -> ObjectId {
    ObjectId::parse(&format!("{n:024x}")).unwrap()
}

fn token_of(customer: ObjectId, user: ObjectId, role: Role) -> String {
    let exp = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600) as i64;
    mint_hs256(SECRET.as_bytes(), &Principal::new(customer, user, role), exp).unwrap()
}

/// Polls `f` until it answers `Some`, or panics after [`SAFETY`] naming `what`.
fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(started.elapsed() < SAFETY, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ----- the receiver ----------------------------------------------------------------------------

/// One request the receiver took.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// What the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Answer(u16),
    /// Holds every request unanswered until the mode changes.
    Block,
}

/// A minimal HTTP/1.1 receiver on loopback: records every request, answers by its mode, one
/// thread per connection (a blocked request holds up no other).
struct Receiver {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    mode: Arc<Mutex<Mode>>,
    /// Requests being handled now, and the most at once.
    in_flight: Arc<AtomicUsize>,
    most_in_flight: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    fn start(port: u16, mode: Mode) -> Receiver {
        let listener = wait_for("the receiver's port", || TcpListener::bind(("127.0.0.1", port)).ok());
        let port = listener.local_addr().unwrap().port();
        let mut r = Receiver {
            port,
            received: Arc::default(),
            mode: Arc::new(Mutex::new(mode)),
            in_flight: Arc::default(),
            most_in_flight: Arc::default(),
            stop: Arc::default(),
            thread: None,
        };
        r.listen(listener);
        r
    }

    fn listen(&mut self, listener: TcpListener) {
        let (received, mode, stop, in_flight, most) =
            (self.received.clone(), self.mode.clone(), self.stop.clone(), self.in_flight.clone(), self.most_in_flight.clone());
        self.thread = Some(std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (received, mode, stop, in_flight, most) = (received.clone(), mode.clone(), stop.clone(), in_flight.clone(), most.clone());
                std::thread::spawn(move || {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    handle(stream, &received, &mode, &stop);
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                });
            }
        }));
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Stops listening (connections are refused until [`Receiver::up`]).
    fn down(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }

    /// Listens again on the same port, keeping what was received.
    fn up(&mut self) {
        let listener = wait_for("the receiver's port again", || TcpListener::bind(("127.0.0.1", self.port)).ok());
        self.stop.store(false, Ordering::SeqCst);
        self.listen(listener);
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.set(Mode::Answer(200));
        self.down();
    }
}

fn handle(mut s: TcpStream, received: &Mutex<Vec<Received>>, mode: &Mutex<Mode>, stop: &AtomicBool) {
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let headers: Vec<(String, String)> =
        head.lines().skip(1).filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let length: usize = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length")).and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    while buf.len() < head_end + length {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).to_string();
    received.lock().unwrap().push(Received { headers, body });
    let status = loop {
        match *mode.lock().unwrap() {
            Mode::Answer(status) => break status,
            Mode::Block if stop.load(Ordering::SeqCst) => return,
            Mode::Block => {}
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = s.write_all(format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes());
}

// ----- the server ------------------------------------------------------------------------------

struct Server {
    child: Child,
    base: String,
    db: String,
    dir: std::path::PathBuf,
    _pg: Option<common::Database>,
}

/// Flags of every test server: loopback allowed, short retries, a fast poll, a short timeout
/// (so a lease of a killed server expires soon).
const FAST: &[&str] = &["--webhook-allow-host", "127.0.0.1", "--webhook-retry-base-ms", "200", "--webhook-poll-ms", "50", "--webhook-timeout", "2s"];

impl Server {
    fn start(extra: &[&str]) -> Server {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("tenths-webhooks-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (db, pg) = if std::env::var("TENTHS_E2E_STORE").is_ok_and(|v| v == "postgres") {
            let url = common::pg_url().expect("TENTHS_E2E_STORE=postgres needs TENTHS_TEST_PG_URL");
            let pg = common::Database::new(&url, "webhooks");
            (pg.url(), Some(pg))
        } else {
            (dir.join("serve.sqlite").to_str().unwrap().to_string(), None)
        };
        let args: Vec<&str> = FAST.iter().chain(extra).copied().collect();
        let (child, base) = common::spawn_serve(&db, SECRET, &args);
        Server { child, base, db, dir, _pg: pg }
    }

    /// Another process on the same store.
    fn another(&self, extra: &[&str]) -> (Child, String) {
        let args: Vec<&str> = FAST.iter().chain(extra).copied().collect();
        common::spawn_serve(&self.db, SECRET, &args)
    }

    fn kill(&mut self) {
        Command::new("kill").args(["-KILL", &self.child.id().to_string()]).status().unwrap();
        self.child.wait().unwrap();
    }

    fn restart(&mut self, extra: &[&str]) {
        let (child, base) = self.another(extra);
        self.child = child;
        self.base = base;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Api {
    agent: ureq::Agent,
    customer: ObjectId,
    user: ObjectId,
    connector: String,
    lawyer: String,
}

impl Api {
    fn new() -> Api {
        let customer = id(0xc1);
        let user = id(0xa1);
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(SAFETY)).build().into();
        Api { agent, customer, user, connector: token_of(customer, id(0xcc), Role::Connector), lawyer: token_of(customer, user, Role::User) }
    }

    fn call(&self, base: &str, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{base}{path}");
        let auth = format!("Bearer {token}");
        let result = match (method, body) {
            ("GET", _) => self.agent.get(&url).header("Authorization", &auth).call(),
            ("DELETE", _) => self.agent.delete(&url).header("Authorization", &auth).call(),
            (_, body) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .header("Content-Type", "application/json")
                .send(body.map(|b| b.to_string()).unwrap_or_default()),
        };
        let mut r = result.expect("HTTP exchange");
        let text = r.body_mut().read_to_string().unwrap_or_default();
        (r.status().as_u16(), serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn hooks(&self) -> String {
        format!("/api/v1/customers/{}/webhooks", self.customer)
    }

    fn subscribe(&self, base: &str, url: &str, events: &[&str]) -> (String, String) {
        let (status, body) = self.call(base, "POST", &self.hooks(), &self.connector, Some(json!({"url": url, "events": events})));
        assert_eq!(status, 201, "{body}");
        (body["_id"].as_str().unwrap().to_string(), body["secret"].as_str().unwrap().to_string())
    }

    fn create_entry(&self, base: &str, summary: &str) -> String {
        let path = format!("/api/v1/public/customers/{}/users/{}/entries", self.customer, self.user);
        let (status, body) =
            self.call(base, "POST", &path, &self.lawyer, Some(json!({"summary": summary, "durationInSeconds": 600, "workDate": "2026-01-05"})));
        assert_eq!(status, 201, "{body}");
        body["_id"].as_str().unwrap().to_string()
    }

    fn deliveries(&self, base: &str, hook: &str) -> Vec<Value> {
        let (status, body) = self.call(base, "GET", &format!("{}/{hook}/deliveries", self.hooks()), &self.connector, None);
        assert_eq!(status, 200, "{body}");
        body.as_array().unwrap().clone()
    }

    fn webhook(&self, base: &str, hook: &str) -> Value {
        let (status, body) = self.call(base, "GET", &format!("{}/{hook}", self.hooks()), &self.connector, None);
        assert_eq!(status, 200, "{body}");
        body
    }
}

/// The documented signature check, written here independently of the server's code: the
/// header is `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body" under the secret>`.
fn verifies(header: &str, secret: &str, body: &str) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = Some(v.to_string()),
            Some(("v1", v)) => v1 = Some(v.to_string()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    expected == v1 && (now - t.parse::<i64>().unwrap()).abs() < 600
}

/// The event ids received, in arrival order, each once.
fn distinct_entries(received: &[Received]) -> Vec<String> {
    let mut seen = HashSet::new();
    received.iter().map(|r| r.json()["entry"]["entryId"].as_str().unwrap().to_string()).filter(|e| seen.insert(e.clone())).collect()
}

// ----- the tests -------------------------------------------------------------------------------

#[test]
fn signed_deliveries_verify_and_arrive_in_order() {
    let receiver = Receiver::start(0, Mode::Answer(200));
    let server = Server::start(&[]);
    let api = Api::new();
    let (hook, secret) = api.subscribe(&server.base, &receiver.url(), &["entry.created"]);
    assert!(secret.starts_with("whsec_"));
    // The secret is shown once: never in a list or a read.
    let (_, list) = api.call(&server.base, "GET", &api.hooks(), &api.connector, None);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0].get("secret").is_none() && api.webhook(&server.base, &hook).get("secret").is_none(), "{list}");
    assert_eq!(list[0]["status"], "active");

    let created: Vec<String> = (0..8).map(|i| api.create_entry(&server.base, &format!("entry {i}"))).collect();
    let got = wait_for("eight deliveries", || Some(receiver.received()).filter(|r| distinct_entries(r).len() == created.len()));
    assert_eq!(distinct_entries(&got), created, "one subscription's deliveries arrive in the order of its events");
    for r in &got {
        let body = r.json();
        assert!(verifies(r.header("Tenths-Signature").unwrap(), &secret, &r.body), "signature {:?} of {}", r.header("Tenths-Signature"), r.body);
        assert!(!verifies(r.header("Tenths-Signature").unwrap(), "whsec_other", &r.body));
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        assert_eq!(r.header("Tenths-Event-Id"), body["id"].as_str(), "the event id header names the body's event");
        assert_eq!(body["kind"], "entry.created");
        assert!(body["at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(body["entry"]["customerId"], api.customer.to_string());
    }
    assert_eq!(receiver.most_in_flight.load(Ordering::SeqCst), 1, "one delivery in flight per subscription");
    let deliveries = wait_for("every delivery recorded", || Some(api.deliveries(&server.base, &hook)).filter(|d| d.iter().all(|d| d["state"] == "delivered")));
    assert_eq!(deliveries.len(), created.len());
    assert_eq!(deliveries[0]["attempts"], 1);
    assert_eq!(deliveries[0]["lastStatus"], 200);
}

#[test]
fn bad_targets_and_kinds_are_refused_before_anything_is_stored() {
    let server = Server::start(&[]);
    let api = Api::new();
    for (url, why) in [
        ("ftp://example.com/hook", "http"),
        ("https://user:pw@example.com/hook", "credentials"),
        ("http://169.254.169.254/latest/meta-data/", "forbidden"),
        ("http://10.1.2.3/hook", "forbidden"),
        ("http://[::1]:9/hook", "forbidden"),
        ("http://localhost:9/hook", "forbidden"),
        ("http://127.0.0.2:9/hook", "forbidden"),
    ] {
        let (status, body) = api.call(&server.base, "POST", &api.hooks(), &api.connector, Some(json!({"url": url, "events": ["entry.created"]})));
        assert_eq!((status, body["error"]["field"].as_str()), (400, Some("url")), "{url}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(why), "{url}: {body}");
    }
    let (status, body) = api.call(
        &server.base,
        "POST",
        &api.hooks(),
        &api.connector,
        Some(json!({"url": "https://hooks.example.com/x", "events": ["entry.created", "entry.exploded"]})),
    );
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("events[1]")), "{body}");
    let (_, list) = api.call(&server.base, "GET", &api.hooks(), &api.connector, None);
    assert_eq!(list, json!([]), "nothing was stored");

    // A user may not subscribe; another customer's subscription is not found.
    let (status, _) =
        api.call(&server.base, "POST", &api.hooks(), &api.lawyer, Some(json!({"url": "https://hooks.example.com/x", "events": ["entry.created"]})));
    assert_eq!(status, 403);
    let (hook, _) = api.subscribe(&server.base, "https://hooks.example.com/x", &["entry.released"]);
    let other = id(0xc2);
    let theirs = token_of(other, id(0xcc), Role::Admin);
    for (method, path) in [
        ("GET", format!("/api/v1/customers/{other}/webhooks/{hook}")),
        ("DELETE", format!("/api/v1/customers/{other}/webhooks/{hook}")),
        ("GET", format!("/api/v1/customers/{other}/webhooks/{hook}/deliveries")),
        ("POST", format!("/api/v1/customers/{other}/webhooks/{hook}/deliveries/{}/redeliver", id(1))),
    ] {
        let (status, body) = api.call(&server.base, method, &path, &theirs, None);
        assert_eq!(status, 404, "{method} {path}: {body}");
    }
    let (status, _) = api.call(&server.base, "DELETE", &format!("{}/{hook}", api.hooks()), &api.connector, None);
    assert_eq!(status, 204);
    let (status, _) = api.call(&server.base, "GET", &format!("{}/{hook}", api.hooks()), &api.connector, None);
    assert_eq!(status, 404);
}

#[test]
fn a_receiver_down_for_a_while_gets_every_event_after_it_comes_back() {
    let mut receiver = Receiver::start(0, Mode::Answer(200));
    receiver.down();
    let server = Server::start(&[]);
    let api = Api::new();
    let (hook, secret) = api.subscribe(&server.base, &receiver.url(), &["entry.created", "entry.deleted"]);
    let created: Vec<String> = (0..5).map(|i| api.create_entry(&server.base, &format!("while down {i}"))).collect();
    // The first delivery has failed at least once (connection refused) before the receiver is back.
    wait_for("a failed attempt", || api.deliveries(&server.base, &hook).iter().any(|d| d["attempts"].as_i64() >= Some(1)).then_some(()));
    let failed = api.deliveries(&server.base, &hook);
    assert!(failed.iter().all(|d| d["state"] == "pending"), "{failed:?}");
    receiver.up();
    let got = wait_for("every event after the receiver came back", || Some(receiver.received()).filter(|r| distinct_entries(r).len() == created.len()));
    assert_eq!(distinct_entries(&got), created, "none lost, in order");
    // Duplicates, if any, carry the same event id as the first copy.
    let mut ids_of = std::collections::HashMap::new();
    for r in &got {
        assert!(verifies(r.header("Tenths-Signature").unwrap(), &secret, &r.body));
        let (entry, event) = (r.json()["entry"]["entryId"].as_str().unwrap().to_string(), r.json()["id"].as_str().unwrap().to_string());
        assert_eq!(ids_of.entry(entry).or_insert_with(|| event.clone()), &event);
    }
}

#[test]
fn sigkill_of_the_server_mid_delivery_loses_nothing() {
    let receiver = Receiver::start(0, Mode::Block);
    let mut server = Server::start(&[]);
    let api = Api::new();
    let (_hook, _) = api.subscribe(&server.base, &receiver.url(), &["entry.created"]);
    let created: Vec<String> = (0..3).map(|i| api.create_entry(&server.base, &format!("before the kill {i}"))).collect();
    wait_for("the first delivery in flight", || (receiver.in_flight.load(Ordering::SeqCst) == 1).then_some(()));
    server.kill();
    receiver.set(Mode::Answer(200));
    server.restart(&[]);
    let after = api.create_entry(&server.base, "after the restart");
    let expected: Vec<String> = created.iter().cloned().chain([after]).collect();
    let got = wait_for("every event after the restart", || Some(receiver.received()).filter(|r| distinct_entries(r).len() == expected.len()));
    assert_eq!(distinct_entries(&got), expected, "none lost, in order");
}

#[test]
fn a_slow_receiver_does_not_slow_api_requests() {
    let receiver = Receiver::start(0, Mode::Block);
    let server = Server::start(&[]);
    let api = Api::new();
    api.subscribe(&server.base, &receiver.url(), &["entry.created"]);
    api.create_entry(&server.base, "the delivery that blocks");
    wait_for("a delivery held by the receiver", || (receiver.in_flight.load(Ordering::SeqCst) == 1).then_some(()));
    let started = Instant::now();
    for i in 0..20 {
        api.create_entry(&server.base, &format!("while the receiver blocks {i}"));
    }
    let elapsed = started.elapsed();
    // The receiver still holds the first delivery: every request above was answered meanwhile.
    assert_eq!(receiver.in_flight.load(Ordering::SeqCst), 1);
    assert_eq!(receiver.received().len(), 1, "later deliveries wait behind the one in flight");
    eprintln!("20 creates answered in {elapsed:?} while the receiver held a delivery");
    receiver.set(Mode::Answer(200));
    wait_for("the queue drained", || (distinct_entries(&receiver.received()).len() == 21).then_some(()));
}

#[test]
fn dead_deliveries_disable_the_subscription_and_redelivery_revives_it() {
    let receiver = Receiver::start(0, Mode::Answer(500));
    let server = Server::start(&["--webhook-max-attempts", "2", "--webhook-disable-after", "2"]);
    let api = Api::new();
    let (hook, _) = api.subscribe(&server.base, &receiver.url(), &["entry.created"]);
    api.create_entry(&server.base, "first");
    let first = wait_for("a dead delivery", || api.deliveries(&server.base, &hook).into_iter().find(|d| d["state"] == "dead"));
    assert_eq!((first["attempts"].as_i64(), first["lastStatus"].as_i64()), (Some(2), Some(500)), "{first}");
    assert_eq!(api.webhook(&server.base, &hook)["status"], "active", "one dead delivery does not disable");
    api.create_entry(&server.base, "second");
    let hook_now = wait_for("the subscription disabled", || Some(api.webhook(&server.base, &hook)).filter(|h| h["status"] == "disabled"));
    assert!(hook_now["disabledReason"].as_str().unwrap().contains("500"), "{hook_now}");
    assert!(hook_now["disabledAt"].is_string());
    let received = receiver.received().len();
    assert_eq!(received, 4, "two attempts each");
    // A disabled subscription gets no new deliveries.
    api.create_entry(&server.base, "third, while disabled");
    assert_eq!(api.deliveries(&server.base, &hook).len(), 2);

    receiver.set(Mode::Answer(204));
    let redeliver = |d: &str| api.call(&server.base, "POST", &format!("{}/{hook}/deliveries/{d}/redeliver", api.hooks()), &api.connector, None);
    let (status, again) = redeliver(first["_id"].as_str().unwrap());
    assert_eq!((status, again["state"].as_str()), (200, Some("pending")), "{again}");
    assert_eq!(api.webhook(&server.base, &hook)["status"], "active", "a redelivery re-enables");
    wait_for("the redelivered one delivered", || {
        api.deliveries(&server.base, &hook).iter().any(|d| d["_id"] == first["_id"] && d["state"] == "delivered").then_some(())
    });
    let (status, body) = redeliver(first["_id"].as_str().unwrap());
    assert_eq!(status, 409, "only a dead delivery is redelivered: {body}");
    let (status, _) = redeliver(&id(7).to_string());
    assert_eq!(status, 404);
}

#[test]
fn two_servers_on_one_store_never_post_one_delivery_at_once() {
    let receiver = Receiver::start(0, Mode::Answer(200));
    let server = Server::start(&[]);
    let (mut second, base2) = server.another(&[]);
    let api = Api::new();
    let (hook, _) = api.subscribe(&server.base, &receiver.url(), &["entry.created"]);
    let created: Vec<String> = (0..12).map(|i| api.create_entry(if i % 2 == 0 { &server.base } else { &base2 }, &format!("two servers {i}"))).collect();
    let got = wait_for("every event", || Some(receiver.received()).filter(|r| distinct_entries(r).len() == created.len()));
    assert_eq!(distinct_entries(&got), created, "in order");
    assert_eq!(got.len(), created.len(), "each delivered once");
    assert_eq!(receiver.most_in_flight.load(Ordering::SeqCst), 1, "one in flight for the subscription across both servers");
    let recorded = wait_for("every delivery recorded", || Some(api.deliveries(&server.base, &hook)).filter(|d| d.iter().all(|d| d["state"] == "delivered")));
    assert!(recorded.iter().all(|d| d["attempts"] == 1), "{recorded:?}");
    let _ = second.kill();
    let _ = second.wait();
}
