//! Two `tenths serve` processes on one PostgreSQL database (issue 12, item 6): eight HTTP
//! clients create (with their own `_id`s, and with a deliberate second send of some requests as
//! if the first answer had been lost), override, release and run timers through both nodes,
//! while one device syncs through node A and another through node B. Then:
//!
//! - every write either node acknowledged is stored once, with the last acknowledged values
//!   (nothing lost, nothing doubled: the count of each user's entries is the count of creates);
//! - each device's pull pages chain (`after` of a page is the `next` of the one before), and no
//!   device saw one version of an entry twice or an older version after a newer one;
//! - no user ever has more than one running timer, and no feed position is taken twice;
//! - both devices hold exactly the server's copy of every entry of their user.
//!
//! The second test runs the same while node B is SIGKILLed and restarted mid-run: clients whose
//! request met the dead node retry it on the other one with the same `Idempotency-Key`.
//!
//! Needs `TENTHS_TEST_PG_URL` (`scripts/with-postgres`); each test runs in a database of its own.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::Child;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use common::{pg_url, spawn_serve, Database};
use serde_json::{json, Value};
use tenths::api::{mint_hs256, Principal, Role};
use tenths::api::{Request, Response};
use tenths::sync::{PullPage, Transport};
use tenths::{Engine, EntryPatch, NewEntry, ObjectId, Scope};
use tenths_cli::sync::HttpTransport;

const SECRET: &str = "two-nodes-secret";
const CLIENTS: usize = 8;
const USERS: usize = 4;
const OPS_PER_CLIENT: usize = 40;
const DEVICE_ROUNDS: usize = 8;
const WORK_DATE: &str = "2026-03-02";

fn id(n: u64) -> ObjectId {
    ObjectId::parse(&format!("{n:024x}")).unwrap()
}

fn customer() -> ObjectId {
    id(0xc0ffee)
}

fn user(i: usize) -> ObjectId {
    id(0xa000 + i as u64)
}

fn token(user: ObjectId, role: Role) -> String {
    let exp = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600) as i64;
    mint_hs256(SECRET.as_bytes(), &Principal::new(customer(), user, role), exp).unwrap()
}

/// The two nodes: their current base URLs (a restarted node listens on a new port) and
/// processes.
struct Cluster {
    db_url: String,
    /// Exchanges answered 503 (a write that kept meeting serialization failures, a node
    /// stopping), and exchanges that got no answer (a dead node): each was sent again.
    unavailable: AtomicUsize,
    unanswered: AtomicUsize,
    bases: RwLock<[String; 2]>,
    children: Mutex<Vec<Option<Child>>>,
}

impl Cluster {
    fn start(db_url: String) -> Arc<Cluster> {
        let (a, base_a) = spawn_serve(&db_url, SECRET, &["--pool-size", "4"]);
        let (b, base_b) = spawn_serve(&db_url, SECRET, &["--pool-size", "4"]);
        Arc::new(Cluster {
            db_url,
            unavailable: AtomicUsize::new(0),
            unanswered: AtomicUsize::new(0),
            bases: RwLock::new([base_a, base_b]),
            children: Mutex::new(vec![Some(a), Some(b)]),
        })
    }

    fn base(&self, node: usize) -> String {
        self.bases.read().unwrap()[node % 2].clone()
    }

    /// SIGKILLs a node, waits a moment with it down, and starts it again on a new port.
    fn kill_and_restart(&self, node: usize) {
        if let Some(mut child) = self.children.lock().unwrap()[node].take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(300));
        let (child, base) = spawn_serve(&self.db_url, SECRET, &["--pool-size", "4"]);
        self.children.lock().unwrap()[node] = Some(child);
        self.bases.write().unwrap()[node] = base;
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in self.children.lock().unwrap().iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(20))).build().into()
}

/// One exchange: status, body and whether the answer was a replay; `Err` when no answer came.
fn exchange(agent: &ureq::Agent, base: &str, method: &str, path: &str, token: &str, key: &str, body: Option<&Value>) -> Result<(u16, Value, bool), String> {
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("Authorization", format!("Bearer {token}"))
        .header("Idempotency-Key", key)
        .header("Content-Type", "application/json");
    let mut answer = agent.run(request.body(body.map(Value::to_string).unwrap_or_default()).unwrap()).map_err(|e| e.to_string())?;
    let replayed = answer.headers().get("Idempotent-Replayed").is_some();
    let status = answer.status().as_u16();
    let text = answer.body_mut().read_to_string().map_err(|e| e.to_string())?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null), replayed))
}

/// Sends one logical request until a node answers it with something other than 503: a lost
/// exchange or a 503 is sent again, with the same key, to the other node.
fn send(cluster: &Cluster, agent: &ureq::Agent, prefer: usize, method: &str, path: &str, token: &str, key: &str, body: Option<&Value>) -> (u16, Value) {
    let mut last = String::new();
    for attempt in 0..400 {
        match exchange(agent, &cluster.base(prefer + attempt), method, path, token, key, body) {
            Ok((503, v, _)) => {
                last = format!("503 {v}");
                cluster.unavailable.fetch_add(1, Ordering::SeqCst);
            }
            Ok((status, v, _)) => return (status, v),
            Err(e) => {
                last = e;
                cluster.unanswered.fetch_add(1, Ordering::SeqCst);
            }
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("{method} {path}: no answer after 400 tries: {last}");
}

/// What a client knows it was told: the last acknowledged state of each entry it made.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    user: ObjectId,
    summary: String,
    adjustments: i64,
    released: bool,
    timer: bool,
}

/// One HTTP client: creates, overrides, releases and timers of its user, alternating nodes.
fn run_client(cluster: &Cluster, n: usize, matter: ObjectId, done: &AtomicUsize) -> BTreeMap<ObjectId, Expected> {
    let agent = agent();
    let u = user(n % USERS);
    let tok = token(u, Role::User);
    let base_path = format!("/api/v1/public/customers/{}/users/{u}", customer());
    let mut mine: BTreeMap<ObjectId, Expected> = BTreeMap::new();
    let mut open: Vec<ObjectId> = Vec::new();
    let mut timer: Option<ObjectId> = None;
    for k in 0..OPS_PER_CLIENT {
        let node = n + k;
        let key = format!("client{n}-op{k}");
        match k % 5 {
            0 | 2 if open.len() < 3 || k % 5 == 0 => {
                let entry = id(((n as u64 + 1) << 32) | k as u64);
                let summary = format!("Client {n} task {k}");
                let body = json!({"_id": entry, "initiativeId": matter, "summary": summary, "durationInSeconds": 600 + k, "workDate": WORK_DATE});
                let path = format!("{base_path}/entries");
                let (status, v) = send(cluster, &agent, node, "POST", &path, &tok, &key, Some(&body));
                assert_eq!(status, 201, "create: {v}");
                if k % 10 == 0 {
                    // The first answer "lost": the same request again through the other node
                    // answers the same, and stores nothing twice.
                    let (again, v2) = send(cluster, &agent, node + 1, "POST", &path, &tok, &key, Some(&body));
                    assert_eq!((again, &v2), (201, &v), "a repeated create answers the first answer");
                }
                mine.insert(entry, Expected { user: u, summary, adjustments: 0, released: false, timer: false });
                open.push(entry);
            }
            1 if !open.is_empty() => {
                let entry = open[k % open.len()];
                let summary = format!("Client {n} task overridden at {k}");
                let adjustments = (k % 3) as i64;
                let body = json!({"summary": summary, "unitIncrementCountAdjustments": adjustments});
                let (status, v) = send(cluster, &agent, node, "PATCH", &format!("{base_path}/entries/{entry}/override"), &tok, &key, Some(&body));
                assert_eq!(status, 200, "override: {v}");
                let e = mine.get_mut(&entry).unwrap();
                e.summary = summary;
                e.adjustments = adjustments;
            }
            2 => {
                let entry = open.remove(0);
                let (status, v) = send(cluster, &agent, node, "POST", &format!("{base_path}/entries/{entry}/release"), &tok, &key, None);
                assert_eq!(status, 200, "release: {v}");
                mine.get_mut(&entry).unwrap().released = true;
            }
            3 => {
                let entry = id(((n as u64 + 1) << 32) | 0x8000_0000 | k as u64);
                let summary = format!("Client {n} timer {k}");
                let body = json!({"_id": entry, "initiativeId": matter, "summary": summary});
                let (status, v) = send(cluster, &agent, node, "POST", &format!("{base_path}/timers"), &tok, &key, Some(&body));
                assert_eq!(status, 201, "timer: {v}");
                mine.insert(entry, Expected { user: u, summary, adjustments: 0, released: false, timer: true });
                timer = Some(entry);
            }
            4 => {
                if let Some(entry) = timer.take() {
                    // The other client of this user may have stopped it by starting its own.
                    let (status, v) = send(cluster, &agent, node, "POST", &format!("{base_path}/entries/{entry}/timer/stop"), &tok, &key, None);
                    assert!(status == 200 || status == 409, "timer stop: {status} {v}");
                }
            }
            _ => {}
        }
        done.fetch_add(1, Ordering::SeqCst);
    }
    mine
}

/// A transport that keeps every pull page a device received.
struct Recording {
    inner: HttpTransport,
    pages: Arc<Mutex<Vec<PullPage>>>,
}

impl Transport for Recording {
    fn send(&self, request: Request) -> Result<Response, String> {
        let is_pull = request.method == "GET" && request.path.contains("/sync/changes");
        let answer = self.inner.send(request)?;
        if is_pull && answer.status == 200 {
            let page: PullPage = serde_json::from_slice(&answer.body).map_err(|e| format!("pull page: {e}"))?;
            self.pages.lock().unwrap().push(page);
        }
        Ok(answer)
    }
}

/// Syncs a device through its node until a sync succeeds (the node may be down a while).
fn sync_until_done(cluster: &Cluster, node: usize, engine: &Engine, u: ObjectId, pages: &Arc<Mutex<Vec<PullPage>>>) {
    let tok = token(u, Role::User);
    let mut last = String::new();
    for _ in 0..400 {
        let transport = Recording { inner: HttpTransport::new(&cluster.base(node), &tok, Duration::from_secs(20)), pages: pages.clone() };
        match engine.sync(&transport, &customer(), &u) {
            Ok(report) => {
                assert_eq!(report.quarantined, 0, "nothing of a device is refused: {report:?}");
                return;
            }
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("device of {u} never synced through node {node}: {last}");
}

/// A device of user `u` on node `node`: offline creates and edits of its own entries, a sync
/// after each round.
fn run_device(
    cluster: &Cluster,
    node: usize,
    u: ObjectId,
    matter: ObjectId,
    engine: &Engine,
    pages: &Arc<Mutex<Vec<PullPage>>>,
) -> BTreeMap<ObjectId, Expected> {
    let scope = Scope::new(customer(), u);
    let mut mine = BTreeMap::new();
    sync_until_done(cluster, node, engine, u, pages);
    for round in 0..DEVICE_ROUNDS {
        let entry = id((0xd0 + node as u64) << 40 | round as u64);
        let summary = format!("Device {node} work {round}");
        let input = NewEntry {
            id: Some(entry),
            initiative_id: Some(matter),
            summary: Some(summary.clone()),
            duration_in_seconds: Some(900),
            work_date: Some(tenths::Date::parse(WORK_DATE).unwrap()),
            ..NewEntry::default()
        };
        engine.create_entry(&scope, &input).unwrap();
        mine.insert(entry, Expected { user: u, summary, adjustments: 0, released: false, timer: false });
        if round > 0 {
            let earlier = id((0xd0 + node as u64) << 40 | (round - 1) as u64);
            let summary = format!("Device {node} work {} edited", round - 1);
            engine.edit_entry(&scope, &earlier, &EntryPatch { summary: Some(summary.clone()), ..EntryPatch::default() }).unwrap();
            mine.get_mut(&earlier).unwrap().summary = summary;
        }
        sync_until_done(cluster, node, engine, u, pages);
    }
    mine
}

/// The pages of one device chain, and no version of an entry came twice or out of order.
fn check_pages(pages: &[PullPage], device: &str) {
    let mut newest: HashMap<ObjectId, i64> = HashMap::new();
    let mut seen: HashSet<(ObjectId, i64)> = HashSet::new();
    for pair in pages.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        // A device's next page starts where its last one ended (or, after a completed pull
        // loop, at the same position again): never beyond it.
        assert!(b.after.entry_seq <= a.next.entry_seq, "{device}: a page skipped positions {} .. {}", a.next.entry_seq, b.after.entry_seq);
    }
    for page in pages {
        assert!(page.next.entry_seq >= page.after.entry_seq, "{device}: a page went back");
        for e in &page.entries {
            assert!(seen.insert((e.id, e.version)), "{device}: entry {} version {} delivered twice", e.id, e.version);
            let before = newest.insert(e.id, e.version).unwrap_or(0);
            assert!(e.version > before, "{device}: entry {} version {} after version {before}", e.id, e.version);
        }
    }
}

fn two_nodes(kill_node_b: bool) {
    let Some(admin_url) = pg_url() else { return };
    let db = Database::new(&admin_url, if kill_node_b { "two_nodes_kill" } else { "two_nodes" });
    let cluster = Cluster::start(db.url());
    let connector = token(id(0xcc), Role::Connector);
    let agent = agent();
    let c = customer();
    let (status, _) = send(
        &cluster,
        &agent,
        0,
        "POST",
        &format!("/api/v1/customers/{c}/clients/import"),
        &connector,
        "client",
        Some(&json!({"externalId": "CL-1", "name": "Acme"})),
    );
    assert_eq!(status, 201);
    let (status, matter) = send(
        &cluster,
        &agent,
        1,
        "POST",
        &format!("/api/v1/customers/{c}/initiatives/import"),
        &connector,
        "matter",
        Some(&json!({"externalId": "M-1", "name": "Acme v. Widget", "clientExternalId": "CL-1", "billingType": "billable", "unitIncrements": 360})),
    );
    assert_eq!(status, 201, "{matter}");
    let matter = ObjectId::parse(matter["_id"].as_str().unwrap()).unwrap();

    let dir = std::env::temp_dir().join(format!("tenths-two-nodes-{}-{kill_node_b}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let (expected, devices) = std::thread::scope(|s| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|n| {
                let (cluster, done) = (&cluster, &done);
                s.spawn(move || run_client(cluster, n, matter, done))
            })
            .collect();
        let devices: Vec<_> = [0usize, 1]
            .into_iter()
            .map(|node| {
                let (cluster, dir) = (&cluster, &dir);
                s.spawn(move || {
                    let engine = Engine::open(dir.join(format!("device-{node}.sqlite"))).unwrap();
                    let pages = Arc::new(Mutex::new(Vec::new()));
                    let mine = run_device(cluster, node, user(node), matter, &engine, &pages);
                    (node, engine, pages, mine)
                })
            })
            .collect();
        if kill_node_b {
            // Mid-run: node B dies with requests in flight, and comes back on a new port.
            while done.load(Ordering::SeqCst) < CLIENTS * OPS_PER_CLIENT / 3 {
                std::thread::sleep(Duration::from_millis(5));
            }
            cluster.kill_and_restart(1);
        }
        let mut expected = BTreeMap::new();
        for c in clients {
            expected.extend(c.join().unwrap());
        }
        let devices: Vec<_> = devices.into_iter().map(|d| d.join().unwrap()).collect();
        (expected, devices)
    });
    let (unavailable, unanswered) = (cluster.unavailable.load(Ordering::SeqCst), cluster.unanswered.load(Ordering::SeqCst));
    eprintln!(
        "two nodes (node B killed: {kill_node_b}): {} entries acknowledged; sent again after a 503: {unavailable}, after no answer: {unanswered}",
        expected.len()
    );
    if kill_node_b {
        assert!(unavailable + unanswered > 0, "no request met the killed node: the run did not test a kill");
    }
    let mut expected = expected;
    for (_, _, _, mine) in &devices {
        expected.extend(mine.clone());
    }

    // Every acknowledged write is there once, with its last acknowledged values.
    let mut pg = db.client();
    let rows =
        pg.query("SELECT id, user_id, summary, units_adjustments, release_count, is_deleted FROM entries WHERE customer_id = $1", &[&c.to_string()]).unwrap();
    let mut stored: BTreeMap<ObjectId, (ObjectId, String, i64, i64, bool)> = BTreeMap::new();
    for r in &rows {
        let entry = ObjectId::parse(r.get::<_, &str>(0)).unwrap();
        let previous = stored.insert(entry, (ObjectId::parse(r.get::<_, &str>(1)).unwrap(), r.get(2), r.get(3), r.get(4), r.get(5)));
        assert!(previous.is_none(), "entry {entry} stored twice");
    }
    assert_eq!(stored.len(), expected.len(), "as many entries as acknowledged creates");
    for (entry, want) in &expected {
        let (u, summary, adjustments, releases, deleted) = stored.get(entry).unwrap_or_else(|| panic!("acknowledged entry {entry} lost"));
        assert_eq!((u, summary, adjustments, deleted), (&want.user, &want.summary, &want.adjustments, &false), "entry {entry}");
        assert_eq!(*releases > 0, want.released, "entry {entry} released as acknowledged");
    }
    assert!(expected.values().filter(|e| e.timer).count() >= CLIENTS, "timers were started");

    // At most one running timer per user, one feed position per change.
    let running = pg.query("SELECT user_id, count(*) FROM sources WHERE customer_id = $1 AND ended_at IS NULL GROUP BY user_id", &[&c.to_string()]).unwrap();
    for r in &running {
        assert!(r.get::<_, i64>(1) <= 1, "user {} has {} running timers", r.get::<_, &str>(0), r.get::<_, i64>(1));
    }
    let doubled: i64 = pg
        .query_one(
            "SELECT count(*) FROM (SELECT user_id, change_seq FROM entries WHERE customer_id = $1 GROUP BY user_id, change_seq HAVING count(*) > 1) d",
            &[&c.to_string()],
        )
        .unwrap()
        .get(0);
    assert_eq!(doubled, 0, "a feed position taken twice");

    // Each device: a last sync, pages that chain without repeats, and the server's copy of
    // every entry of its user.
    for (node, engine, pages, _) in devices {
        let u = user(node);
        sync_until_done(&cluster, node, &engine, u, &pages);
        let pages = pages.lock().unwrap();
        assert!(pages.len() > DEVICE_ROUNDS, "device {node} pulled {} pages", pages.len());
        check_pages(&pages, &format!("device {node}"));
        let server: Vec<(String, i64, String, bool)> = pg
            .query(
                "SELECT id, version, summary, is_deleted FROM entries WHERE customer_id = $1 AND user_id = $2 ORDER BY id",
                &[&c.to_string(), &u.to_string()],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect();
        let scope = Scope::new(c, u);
        for (entry, version, summary, _) in &server {
            let local = engine.get_entry(&scope, &ObjectId::parse(entry).unwrap()).unwrap_or_else(|e| panic!("device {node} lacks {entry}: {e}"));
            assert_eq!((local.version, &local.summary), (*version, summary), "device {node}, entry {entry}");
        }
        let status = engine.sync_status(&c, &u).unwrap();
        assert_eq!((status.pending, status.quarantined), (0, 0), "device {node}: {status:?}");
        let local_count = engine.list_entries(&scope, tenths::Date::parse("2026-01-01").unwrap(), tenths::Date::parse("2026-12-31").unwrap()).unwrap().len();
        assert_eq!(local_count, server.iter().filter(|s| !s.3).count(), "device {node} holds what the server holds");
        engine.close().unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_nodes_on_one_database_lose_and_double_nothing() {
    two_nodes(false);
}

#[test]
fn a_node_killed_and_restarted_mid_run_loses_and_doubles_nothing() {
    two_nodes(true);
}
