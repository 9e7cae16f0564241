//! Sync convergence (issue 6): seeded, reproducible, bounded random schedules of 2–5 device
//! engines (database files) and one server engine. Devices create, edit, release, delete and run
//! timers offline, sync partially at random moments, are closed and reopened between preparing a
//! push and completing it, lose push answers (the batch is resent) and receive pull pages
//! repeated and out of order; the server's connector releases, rejects and unreleases, the user
//! edits on the web, and the admin toggles a rule. After a final full sync every device must
//! equal the server on every entry of its user, with the same billed totals, at most one running
//! timer per user, no entry lost or duplicated, and every local write either on the server,
//! superseded by a later write, or recorded in the device's conflict log or quarantine.
//! The server is the backend under test; the devices are SQLite files, as on phones.
//!
//! `TENTHS_SYNC_SCHEDULES=n` runs n schedules (by default the backend's `sync_schedules()`: 500, 100 grouped); `TENTHS_SYNC_SEED=s` replays one.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use tenths::api::{Principal, Request, Role};
use tenths::sync::{PullCursor, PullPage, PushResponse, SyncedEntry};
use tenths::{Date, Durability, Engine, EntryPatch, FixedClock, NewEntry, ObjectId, OpenOptions, Scope, Status, TimerStart, ValidationRulesInput};

use crate::conformance::{Backend, Opened};
use crate::http::{Api, ApiTransport};
use crate::{oid, ts, Rng, TempDir};

struct Device {
    user: ObjectId,
    path: PathBuf,
    clock: Arc<FixedClock>,
    engine: Option<Engine>,
    known: Vec<ObjectId>,
}

impl Device {
    fn engine(&self) -> &Engine {
        self.engine.as_ref().expect("device open")
    }
    fn reopen(&mut self) {
        if let Some(e) = self.engine.take() {
            e.close().expect("close device");
        }
        self.engine = Some(open_device(&self.path, self.clock.clone()));
    }
}

fn open_device(path: &std::path::Path, clock: Arc<FixedClock>) -> Engine {
    let options = OpenOptions { durability: Durability::Normal, readers: 0, ..OpenOptions::default() };
    Engine::open_with(path, options, clock).expect("open device")
}

/// A summary write: by whom, when (global step), what.
#[derive(Clone, Debug)]
struct Write {
    writer: usize,
    step: usize,
    value: String,
}

const SERVER: usize = usize::MAX;

struct World {
    seed: u64,
    rng: Rng,
    customer: ObjectId,
    matter: ObjectId,
    server: Opened,
    server_clock: Arc<FixedClock>,
    devices: Vec<Device>,
    created: HashSet<ObjectId>,
    writes: HashMap<ObjectId, Vec<Write>>,
    step: usize,
    _dir: TempDir,
}

impl World {
    fn new(backend: &dyn Backend, seed: u64) -> World {
        let mut rng = Rng(seed);
        let dir = TempDir::new(&format!("sync-{seed}"));
        let start = ts("2026-11-02T13:00:00Z").millis() + i64::try_from(rng.below(86_400_000)).unwrap_or(0);
        let server_clock = Arc::new(FixedClock::new(tenths::Timestamp::from_millis(start).expect("start")));
        let server = backend.open(server_clock.clone());
        let customer = oid(0xc1);
        let matter = crate::simple_matter(&server, &customer);
        let users = [oid(0xa1), oid(0xa2)];
        let n = 2 + usize::try_from(rng.below(4)).unwrap_or(0);
        let devices = (0..n)
            .map(|i| {
                // Device clocks are skewed up to ±2 h: nothing may depend on them agreeing.
                let skew = i64::try_from(rng.below(4 * 3_600_000)).unwrap_or(0) - 2 * 3_600_000;
                let clock = Arc::new(FixedClock::new(tenths::Timestamp::from_millis(start + skew).expect("skewed start")));
                let path = dir.file(&format!("device-{i}.sqlite"));
                let engine = Some(open_device(&path, clock.clone()));
                Device { user: users[i % 2], path, clock, engine, known: Vec::new() }
            })
            .collect();
        let mut world =
            World { seed, rng, customer, matter, server, server_clock, devices, created: HashSet::new(), writes: HashMap::new(), step: 0, _dir: dir };
        for d in 0..world.devices.len() {
            world.full_sync(d);
        }
        world
    }

    fn transport(&self, d: usize) -> ApiTransport<'_> {
        Api::new(&self.server, None).transport(Principal::new(self.customer, self.devices[d].user, Role::User))
    }

    fn scope(&self, d: usize) -> Scope {
        Scope::new(self.customer, self.devices[d].user)
    }

    fn full_sync(&mut self, d: usize) {
        let report = self.devices[d].engine().sync(&self.transport(d), &self.customer, &self.devices[d].user);
        match report {
            Err(e) => panic!("seed {}: device {d} sync failed: {e}", self.seed),
            Ok(r) => {
                if std::env::var("TENTHS_SYNC_VERBOSE").is_ok() {
                    eprintln!("seed {} device {d}: {r:?}", self.seed);
                }
            }
        }
        self.learn(d);
    }

    /// Lets the device know the ids it holds (for picking entries to act on).
    fn learn(&mut self, d: usize) {
        let ids: Vec<ObjectId> = entries_of(self.devices[d].engine(), &self.customer, &self.devices[d].user).into_keys().collect();
        self.devices[d].known = ids;
    }

    fn wrote(&mut self, writer: usize, id: ObjectId, value: &str) {
        self.writes.entry(id).or_default().push(Write { writer, step: self.step, value: value.to_string() });
    }

    fn advance(&mut self) {
        let ms = i64::try_from(self.rng.below(900_000)).unwrap_or(0);
        self.server_clock.advance_millis(ms);
        for d in &self.devices {
            d.clock.advance_millis(ms);
        }
    }

    fn device_step(&mut self, d: usize) {
        let scope = self.scope(d);
        let summary = format!("s{}-{}", d, self.step);
        let target = self.rng.pick(&self.devices[d].known.clone());
        match self.rng.below(14) {
            0..=2 => {
                let input = NewEntry {
                    summary: Some(summary.clone()),
                    initiative_id: self.rng.chance(85).then_some(self.matter),
                    duration_in_seconds: Some(i64::try_from(60 + self.rng.below(7_200)).unwrap_or(60)),
                    ..NewEntry::default()
                };
                if let Ok((e, _)) = self.devices[d].engine().create_entry(&scope, &input) {
                    self.created.insert(e.id);
                    self.devices[d].known.push(e.id);
                    self.wrote(d, e.id, &summary);
                }
            }
            3..=4 => {
                if let Some(id) = target {
                    let patch = EntryPatch { summary: Some(summary.clone()), ..EntryPatch::default() };
                    if self.devices[d].engine().edit_entry(&scope, &id, &patch).is_ok() {
                        self.wrote(d, id, &summary);
                    }
                }
            }
            5 => {
                if let Some(id) = target {
                    let patch = EntryPatch { unit_increment_count_adjustments: Some(i64::try_from(self.rng.below(5)).unwrap_or(0)), ..EntryPatch::default() };
                    let _ = self.devices[d].engine().edit_entry(&scope, &id, &patch);
                }
            }
            6..=7 => {
                if let Some(id) = target {
                    let _ = self.devices[d].engine().release_entry(&scope, &id);
                }
            }
            8 => {
                if let Some(id) = target {
                    let _ = self.devices[d].engine().delete_entry(&scope, &id);
                }
            }
            9 => {
                let start = TimerStart { initiative_id: Some(self.matter), summary: Some(summary.clone()), ..TimerStart::default() };
                if let Ok(e) = self.devices[d].engine().start_timer(&scope, &start) {
                    self.created.insert(e.id);
                    self.devices[d].known.push(e.id);
                    self.wrote(d, e.id, &summary);
                }
            }
            10 => {
                if let Some(id) = target {
                    let _ = self.devices[d].engine().stop_timer(&scope, &id);
                }
            }
            11 => self.push_with_faults(d),
            12 => self.pull_with_faults(d),
            _ => self.full_sync(d),
        }
    }

    /// A push whose answer may be lost (the batch is resent later) or whose device may be closed
    /// and reopened between prepare and complete (the same batch comes back).
    fn push_with_faults(&mut self, d: usize) {
        let (customer, user) = (self.customer, self.devices[d].user);
        let batch = self.devices[d].engine().sync_prepare_push(&customer, &user, 1 + usize::try_from(self.rng.below(5)).unwrap_or(0)).expect("prepare");
        if batch.is_empty() {
            return;
        }
        if self.rng.chance(30) {
            self.devices[d].reopen();
            let again = self.devices[d].engine().sync_prepare_push(&customer, &user, 50).expect("prepare again");
            assert_eq!(again, batch, "seed {}: a reopened device must resend the same batch", self.seed);
        }
        let body = serde_json::to_vec(&batch).expect("batch json");
        let request = Request::new("POST", &tenths::sync::push_path(&customer, &user), body);
        let response = self.transport_send(d, request);
        assert_eq!(response.status, 200, "seed {}: push refused: {}", self.seed, String::from_utf8_lossy(&response.body));
        if self.rng.chance(30) {
            return; // the answer is lost; the same batch goes again next time
        }
        let answer: PushResponse = serde_json::from_slice(&response.body).expect("push answer");
        self.devices[d].engine().sync_complete_push(&customer, &user, &answer).unwrap_or_else(|e| panic!("seed {}: complete_push: {e}", self.seed));
        self.learn(d);
    }

    fn transport_send(&self, d: usize, request: Request) -> tenths::api::Response {
        use tenths::sync::Transport;
        self.transport(d).send(request).expect("in-process transport")
    }

    /// Pull pages fetched with a small limit, applied out of order and more than once.
    fn pull_with_faults(&mut self, d: usize) {
        let (customer, user) = (self.customer, self.devices[d].user);
        let limit = 1 + usize::try_from(self.rng.below(4)).unwrap_or(0);
        let request = self.devices[d].engine().sync_pull_request(&customer, &user, limit).expect("pull request");
        let mut pages: Vec<PullPage> = Vec::new();
        let mut after = request.after;
        for _ in 0..3 {
            let path = tenths::sync::pull_path(&customer, &user, &tenths::sync::PullRequest { after, limit });
            let response = self.transport_send(d, Request::new("GET", &path, Vec::new()));
            assert_eq!(response.status, 200, "seed {}: pull refused", self.seed);
            let page: PullPage = serde_json::from_slice(&response.body).expect("page");
            let more = page.has_more;
            after = page.next;
            pages.push(page);
            if !more {
                break;
            }
        }
        if self.rng.chance(50) {
            pages.reverse();
        }
        if self.rng.chance(50) {
            if let Some(p) = pages.first().cloned() {
                pages.push(p);
            }
        }
        for page in pages {
            self.devices[d].engine().sync_apply_pull(&customer, &user, &page).unwrap_or_else(|e| panic!("seed {}: apply_pull: {e}", self.seed));
        }
        self.learn(d);
    }

    fn server_step(&mut self) {
        let user = self.devices[usize::try_from(self.rng.below(self.devices.len() as u64)).unwrap_or(0)].user;
        let entries = entries_of(&self.server, &self.customer, &user);
        let with_status = |s: Status| entries.values().filter(|e| e.status == s && !e.is_deleted).map(|e| e.id).collect::<Vec<_>>();
        let pending = with_status(Status::ReleasePending);
        let released = entries.values().filter(|e| e.is_locked && !e.is_deleted).map(|e| e.id).collect::<Vec<_>>();
        let editable = entries.values().filter(|e| !e.is_locked && !e.is_deleted).map(|e| e.id).collect::<Vec<_>>();
        match self.rng.below(5) {
            0 => {
                if let Some(id) = self.rng.pick(&pending) {
                    self.server.release_succeeded(&self.customer, None, &id, Some(&format!("PMS-{}", self.step)), None).expect("release succeeded");
                }
            }
            1 => {
                if let Some(id) = self.rng.pick(&pending) {
                    self.server.release_failed(&self.customer, None, &id, &["Matter closed".to_string()]).expect("release failed");
                }
            }
            2 => {
                if let Some(id) = self.rng.pick(&released) {
                    let _ = self.server.unrelease(&Scope::new(self.customer, user), &id);
                }
            }
            3 => {
                if let Some(id) = self.rng.pick(&editable) {
                    let summary = format!("web-{}", self.step);
                    let patch = EntryPatch { summary: Some(summary.clone()), ..EntryPatch::default() };
                    if self.server.edit_entry(&Scope::new(self.customer, user), &id, &patch).is_ok() {
                        self.wrote(SERVER, id, &summary);
                    }
                }
            }
            _ => {
                let required = self.rng.chance(50);
                let rules = ValidationRulesInput { is_summary_required: Some(required), ..ValidationRulesInput::default() };
                self.server.set_validation_rules(&self.customer, None, &rules).expect("rules");
            }
        }
    }

    fn run(&mut self) {
        let steps = 20 + self.rng.below(30);
        for step in 0..steps {
            self.step = usize::try_from(step).unwrap_or(0) + 1;
            self.advance();
            if self.rng.chance(15) {
                self.server_step();
            } else {
                let d = usize::try_from(self.rng.below(self.devices.len() as u64)).unwrap_or(0);
                self.device_step(d);
            }
        }
        // Final full sync: every device until nothing is pending anywhere, then one more pull
        // round so each sees the others' last pushes.
        for _ in 0..4 {
            for d in 0..self.devices.len() {
                self.full_sync(d);
            }
        }
        self.check();
    }

    fn check(&self) {
        let seed = self.seed;
        let from = Date::parse("2026-01-01").expect("date");
        let to = Date::parse("2027-12-31").expect("date");
        let mut server_ids = HashSet::new();
        for user in [oid(0xa1), oid(0xa2)] {
            let server = entries_of(&self.server, &self.customer, &user);
            server_ids.extend(server.keys().copied());
            assert!(running_timers(&server) <= 1, "seed {seed}: the server has two running timers for a user");
            let server_totals = self.server.totals(&self.customer, Some(&user), from, to).expect("server totals");
            for (d, device) in self.devices.iter().enumerate().filter(|(_, dv)| dv.user == user) {
                let engine = device.engine();
                let status = engine.sync_status(&self.customer, &user).expect("status");
                assert_eq!(status.pending, 0, "seed {seed}: device {d} still has pending changes after the final sync");
                assert!(!status.push_in_flight, "seed {seed}: device {d} has a batch in flight");
                let local = entries_of(engine, &self.customer, &user);
                assert_eq!(local.len(), server.len(), "seed {seed}: device {d} holds {} entries, the server {}", local.len(), server.len());
                for (id, remote) in &server {
                    let mine = local.get(id).unwrap_or_else(|| panic!("seed {seed}: device {d} lacks entry {id}"));
                    assert_eq!(mine, remote, "seed {seed}: device {d} differs from the server on entry {id}");
                }
                assert!(running_timers(&local) <= 1, "seed {seed}: device {d} has two running timers");
                assert_eq!(engine.totals(&self.customer, Some(&user), from, to).expect("totals"), server_totals, "seed {seed}: device {d} totals differ");
                // Every local write is on the server, superseded by a later write of someone
                // else, or recorded here as a lost conflict or a quarantined change: still in
                // the quarantined copy (an entry merely having one does not count, since a
                // second refusal could have replaced the write; decision 12).
                let conflicts = engine.sync_conflicts(&self.customer).expect("conflicts");
                let quarantined: HashSet<(ObjectId, String)> =
                    engine.sync_quarantined(&self.customer).expect("quarantined").into_iter().map(|q| (q.entry_id, q.local.summary)).collect();
                for (id, writes) in &self.writes {
                    let Some(last) = writes.iter().filter(|w| w.writer == d).max_by_key(|w| w.step) else { continue };
                    let Some(remote) = server.get(id) else { continue };
                    let kept = remote.summary == last.value;
                    let superseded = writes.iter().any(|w| w.writer != d && w.step > last.step);
                    let logged = conflicts.iter().any(|c| c.entry_id == *id && c.field == "summary" && c.local_value == serde_json::json!(last.value));
                    assert!(
                        kept || superseded || logged || quarantined.contains(&(*id, last.value.clone())) || remote.is_deleted,
                        "seed {seed}: device {d}'s write {:?} of entry {id} was lost (server has {:?})",
                        last.value,
                        remote.summary
                    );
                }
            }
        }
        // The web's writes: a device's change made before one (offline, on an older copy) must
        // not overwrite it; only a later write may.
        let mut all_server = BTreeMap::new();
        for user in [oid(0xa1), oid(0xa2)] {
            all_server.extend(entries_of(&self.server, &self.customer, &user));
        }
        for (id, writes) in &self.writes {
            let Some(last) = writes.iter().filter(|w| w.writer == SERVER).max_by_key(|w| w.step) else { continue };
            let Some(remote) = all_server.get(id) else { continue };
            let superseded = writes.iter().any(|w| w.writer != SERVER && w.step > last.step);
            assert!(
                remote.summary == last.value || superseded || remote.is_deleted,
                "seed {seed}: the web's write {:?} of entry {id} was overwritten by an older change ({:?})",
                last.value,
                remote.summary
            );
        }
        for id in &self.created {
            assert!(server_ids.contains(id), "seed {seed}: entry {id} created on a device never reached the server");
        }
        assert_eq!(server_ids.len(), self.created.len(), "seed {seed}: the server holds entries nobody created (duplicates)");
    }
}

/// Every entry of a user as the sync feed shows it (deleted ones too), by id.
fn entries_of(engine: &Engine, customer: &ObjectId, user: &ObjectId) -> BTreeMap<ObjectId, SyncedEntry> {
    let mut out = BTreeMap::new();
    let mut after = PullCursor::default();
    loop {
        let page = engine.sync_changes(customer, user, after, 500).expect("feed");
        for e in page.entries {
            out.insert(e.id, e);
        }
        if !page.has_more {
            break;
        }
        after = page.next;
    }
    out
}

fn running_timers(entries: &BTreeMap<ObjectId, SyncedEntry>) -> usize {
    entries.values().filter(|e| e.sources.iter().any(|s| s.ended_at.is_none())).count()
}

pub fn devices_and_server_converge(backend: &dyn Backend) {
    if let Ok(seed) = std::env::var("TENTHS_SYNC_SEED") {
        let seed: u64 = seed.parse().expect("TENTHS_SYNC_SEED must be an integer");
        World::new(backend, seed).run();
        return;
    }
    let schedules: u64 = std::env::var("TENTHS_SYNC_SCHEDULES").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| backend.sync_schedules());
    for seed in 0..schedules {
        // Each schedule opens engines of its own; the backend keeps no state a panic could
        // leave half-changed for the next seed.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| World::new(backend, seed).run()));
        if let Err(panic) = outcome {
            eprintln!("sync convergence failed on {}; replay with TENTHS_SYNC_SEED={seed}", backend.name());
            std::panic::resume_unwind(panic);
        }
    }
}
