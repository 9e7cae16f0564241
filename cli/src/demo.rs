//! `tenths demo`: a month in the life of a small firm, end to end through the engine.
//!
//! It recreates a database file, imports a firm (clients, matters in 360, 900 and 36 second
//! increments, UTBMS code types and codes, required code types, validation rules), captures a
//! month of activities for each timekeeper (grouped into entries, one transaction per user-day),
//! runs timers with a [`FixedClock`] that the demo walks through each day, releases days (ready
//! subset), plays a PMS connector that polls the export window with a watermark, accepts most
//! entries and rejects some, lets the users fix and re-release the rejected ones, unreleases
//! one, and prints a report; then writes the export CSV.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tenths::engine::MAX_BATCH_ITEMS;
use tenths::time::parse_zone;
use tenths::units::hours_string;
use tenths::{
    Clock, Date, Engine, Entry, EntryPatch, FixedClock, ObjectId, OpenOptions, ReleaseDayMode, ReleaseSucceededItem, Scope, SourceKind, Status, TimerStart,
    Timestamp, Window,
};

use crate::generate::{self, Dataset, Rng, Scale, TASK};

/// Errors of the demo: engine errors, I/O errors, and its own checks.
pub type DemoError = Box<dyn std::error::Error + Send + Sync>;

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// The database file (recreated).
    pub db: PathBuf,
    /// The export CSV; `tenths-demo-export.csv` next to the database when absent.
    pub csv: Option<PathBuf>,
    pub seed: u64,
    pub users: usize,
    /// Calendar days from the start date (Monday 2026-03-02).
    pub days: usize,
    pub entries_per_day: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions { db: PathBuf::from("tenths-demo.sqlite"), csv: None, seed: 42, users: 5, days: 30, entries_per_day: 6 }
    }
}

/// What the demo did, for callers and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub activities: usize,
    pub imported_entries: usize,
    pub timer_entries: usize,
    pub day_releases: usize,
    pub polls: usize,
    pub accepted: usize,
    pub rejected: usize,
    /// Live entries by status (every status present, zero or not).
    pub statuses: BTreeMap<&'static str, usize>,
    pub overlap_seconds: i64,
    pub csv_path: PathBuf,
    pub csv_rows: u64,
    pub elapsed: Duration,
}

/// The default CSV path: `tenths-demo-export.csv` in the database's folder.
pub fn default_csv_path(db: &Path) -> PathBuf {
    let dir = db.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    dir.join("tenths-demo-export.csv")
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Whether `path` holds a tenths database (or nothing yet): the only files the demo deletes.
/// Reads the SQLite header only; never opens the file with SQLite (which would change it).
fn is_replaceable(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut header = [0u8; 100];
    let mut f = File::open(path)?;
    let mut n = 0;
    while n < header.len() {
        match f.read(&mut header[n..])? {
            0 => break,
            k => n += k,
        }
    }
    if n == 0 {
        return Ok(true);
    }
    if n < 100 || &header[..16] != b"SQLite format 3\0" {
        return Ok(false);
    }
    let app_id = u32::from_be_bytes([header[68], header[69], header[70], header[71]]);
    let user_version = u32::from_be_bytes([header[60], header[61], header[62], header[63]]);
    // A tenths file whose first migration is still only in its WAL (an interrupted run) has no
    // application id in the main file yet.
    let unmigrated_with_wal = app_id == 0 && user_version == 0 && sidecar(path, "-wal").exists();
    Ok(app_id == tenths::sqlite::APPLICATION_ID as u32 || unmigrated_with_wal)
}

/// Deletes an existing demo database (and its `-wal`/`-shm`) so the run starts fresh. Refuses
/// to delete a file that is not a tenths database.
pub fn recreate_database(db: &Path) -> Result<(), DemoError> {
    if db.is_dir() {
        return Err(format!("{} is a directory", db.display()).into());
    }
    if db.exists() {
        if !is_replaceable(db)? {
            return Err(format!("refusing to replace {}: it is not a tenths database (delete it yourself or pass another --db)", db.display()).into());
        }
        std::fs::remove_file(db)?;
    }
    // Without its database a WAL or shared-memory file is stale: SQLite must not replay it.
    for suffix in ["-wal", "-shm"] {
        match std::fs::remove_file(sidecar(db, suffix)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    if let Some(dir) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    Ok(())
}

/// A progress bar that stays hidden unless its phase takes more than a second and stdout is a
/// terminal.
struct Phase {
    bar: ProgressBar,
    started: Instant,
    visible: bool,
    tty: bool,
}

impl Phase {
    fn new(len: u64, message: &'static str) -> Phase {
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template("{msg:<24} [{bar:32}] {pos}/{len} ({elapsed})").unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        bar.set_message(message);
        Phase { bar, started: Instant::now(), visible: false, tty: std::io::stdout().is_terminal() }
    }

    fn inc(&mut self, n: u64) {
        self.bar.inc(n);
        if self.tty && !self.visible && self.started.elapsed() >= Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stdout());
            self.visible = true;
        }
    }

    fn finish(self) -> Duration {
        self.bar.finish_and_clear();
        self.started.elapsed()
    }
}

/// The demo's clock: a [`FixedClock`] that only moves forward.
struct DemoClock(Arc<FixedClock>);

impl DemoClock {
    fn now(&self) -> Timestamp {
        self.0.now()
    }
    fn advance_to(&self, t: Timestamp) {
        if t > self.now() {
            self.0.set(t);
        }
    }
    fn advance_secs(&self, s: i64) {
        self.0.advance_millis(s * 1000);
    }
}

fn at(date: Date, zone: &str, seconds_after_midnight: i64) -> Result<Timestamp, DemoError> {
    let z = parse_zone(zone, "timezone")?;
    let t = date.start_in(z).checked_add_millis(seconds_after_midnight * 1000).ok_or("time out of range")?;
    Ok(t)
}

/// One step of a timekeeper's timer use.
#[derive(Debug, Clone)]
enum TimerStep {
    /// Start a timer; `stops` is the timer this start must stop.
    Start {
        id: ObjectId,
        matter: usize,
        narrative: String,
        stops: Option<ObjectId>,
    },
    Stop(ObjectId),
    Resume(ObjectId),
}

/// What a PMS rejection asks the user to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fix {
    AddTaskCode,
    OneTaskNarrative,
    Resend,
}

#[derive(Debug, Clone)]
struct Rejection {
    entry: ObjectId,
    user: ObjectId,
    matter: Option<ObjectId>,
    work_date: Date,
    message: String,
    fix: Fix,
    fixed: bool,
}

/// A PMS connector: polls the export window after its watermark, pushes each entry to the
/// "PMS", and reports back.
struct Connector {
    rng: Rng,
    watermark: Timestamp,
    next_pms_id: u64,
    polls: usize,
    pages: usize,
    /// Accepted entries: entry → (user, PMS id).
    accepted: BTreeMap<ObjectId, (ObjectId, String)>,
    rejections: Vec<Rejection>,
    updates: usize,
}

impl Connector {
    fn new(seed: u64) -> Result<Connector, DemoError> {
        Ok(Connector {
            rng: Rng::derive(seed, &[0xC0FFEE]),
            watermark: Timestamp::from_millis(0)?,
            next_pms_id: 0,
            polls: 0,
            pages: 0,
            accepted: BTreeMap::new(),
            rejections: Vec::new(),
            updates: 0,
        })
    }

    /// One poll of the window (watermark, now]: page through it, accept or reject each entry,
    /// report back, and move the watermark. With `force_reject`, at least one entry of a
    /// non-empty window is rejected. Returns the indexes of the new rejections.
    fn poll(&mut self, engine: &Engine, customer: &ObjectId, now: Timestamp, force_reject: bool) -> Result<Vec<usize>, DemoError> {
        let window = Window::new(self.watermark, now)?;
        let mut items: Vec<Entry> = Vec::new();
        let mut cursor = None;
        loop {
            let page = engine.export_released_page(customer, window, 100, cursor.as_ref())?;
            self.pages += 1;
            items.extend(page.items);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        self.polls += 1;
        let mut accept = Vec::new();
        let mut reject = Vec::new();
        for e in items {
            if e.status != Status::ReleasePending {
                continue;
            }
            let first_release = e.external_id.is_none() && e.release_count <= 1;
            if first_release && self.rng.permille(25) {
                reject.push(e);
            } else {
                accept.push(e);
            }
        }
        if force_reject && reject.is_empty() {
            if let Some(pos) = accept.iter().position(|e| e.external_id.is_none() && e.release_count <= 1) {
                reject.push(accept.remove(pos));
            }
        }
        let mut batch = Vec::with_capacity(accept.len());
        for e in &accept {
            // A re-release updates the PMS record it already has.
            let pms_id = match &e.external_id {
                Some(x) => {
                    self.updates += 1;
                    x.clone()
                }
                None => {
                    self.next_pms_id += 1;
                    format!("PMS-{:06}", self.next_pms_id)
                }
            };
            let earlier: Vec<String> = self.rejections.iter().filter(|r| r.entry == e.id).map(|r| r.message.clone()).collect();
            batch.push(ReleaseSucceededItem {
                entry_id: e.id.to_string(),
                user_id: Some(e.user_id.to_string()),
                external_id: Some(pms_id.clone()),
                re_release_failed_messages: (!earlier.is_empty()).then_some(earlier),
            });
            self.accepted.insert(e.id, (e.user_id, pms_id));
        }
        for chunk in batch.chunks(MAX_BATCH_ITEMS) {
            for r in engine.release_succeeded_batch(customer, chunk)? {
                if r.status != "ok" {
                    return Err(format!("release-succeeded of {} answered {}: {}", r.entry_id, r.status, r.error.unwrap_or_default()).into());
                }
            }
        }
        let mut new = Vec::new();
        for e in reject {
            let lacks_task = !e.codes.iter().any(|c| c.code_type_external_id == TASK);
            let (message, fix) = if lacks_task {
                ("LEDES E207: UTBMS task code required by billing guidelines".to_string(), Fix::AddTaskCode)
            } else if e.summary.contains(';') && self.rng.permille(600) {
                ("PMS-4012: block billing; describe one task per entry".to_string(), Fix::OneTaskNarrative)
            } else {
                (format!("PMS-5003: no rate for the timekeeper on {}; resend later", matter_ext(&e)), Fix::Resend)
            };
            engine.release_failed(customer, Some(&e.user_id), &e.id, std::slice::from_ref(&message))?;
            new.push(self.rejections.len());
            self.rejections.push(Rejection { entry: e.id, user: e.user_id, matter: e.initiative_id, work_date: e.work_date, message, fix, fixed: false });
        }
        self.watermark = now;
        Ok(new)
    }
}

fn matter_ext(e: &Entry) -> String {
    e.initiative.as_ref().map(|i| i.external_id.clone()).unwrap_or_else(|| "?".into())
}

fn short(id: &ObjectId) -> String {
    id.as_str()[16..].to_string()
}

/// Runs the demo and writes its report to `out`.
pub fn run(opts: &DemoOptions, out: &mut dyn Write) -> Result<DemoSummary, DemoError> {
    let t0 = Instant::now();
    if opts.users == 0 || opts.users > 500 {
        return Err("--users must be between 1 and 500".into());
    }
    if opts.days == 0 || opts.days > 3_660 {
        return Err("--days must be between 1 and 3660".into());
    }
    if opts.entries_per_day == 0 || opts.entries_per_day > 40 {
        return Err("--entries-per-day must be between 1 and 40".into());
    }
    let mut summary = DemoSummary::default();
    let data = Dataset::generate(opts.seed, Scale::firm(1, opts.users, opts.days, opts.entries_per_day));
    let firm = &data.firms[0];
    let customer = firm.customer;
    let dates = firm.dates();
    let work_days = firm.work_days();
    let (Some(&first), Some(&last)) = (dates.first(), dates.last()) else { return Err("no days to generate".into()) };
    let close_day = last.succ().ok_or("date out of range")?;

    recreate_database(&opts.db)?;
    let clock = DemoClock(Arc::new(FixedClock::new(at(first.add_days(-7).ok_or("date out of range")?, "UTC", 13 * 3600)?)));
    let engine = Engine::open_with(&opts.db, OpenOptions::default(), clock.0.clone() as Arc<dyn Clock>)?;

    writeln!(
        out,
        "tenths demo: seed {}, {} users, {} days ({first} to {last}), {} entries per user and work day",
        opts.seed, opts.users, opts.days, opts.entries_per_day
    )?;
    writeln!(out, "database {} (recreated)", opts.db.display())?;
    writeln!(out)?;

    // ----- 1. the firm --------------------------------------------------------------------
    let imported = generate::import_reference(&engine, firm)?;
    let mut incs: BTreeMap<i64, usize> = BTreeMap::new();
    for m in &firm.matters {
        *incs.entry(m.input.unit_increments).or_default() += 1;
    }
    let incs = incs.iter().rev().map(|(inc, n)| format!("{n} at {inc} s")).collect::<Vec<_>>().join(", ");
    let ruled: Vec<String> = firm
        .matters
        .iter()
        .filter_map(|m| m.rules.as_ref().map(|r| format!("{} needs {}", m.input.external_id, r.required_code_type_external_ids.join("+"))))
        .collect();
    writeln!(out, "1. Firm imported: {} ({}), {} clients, {} matters ({incs})", firm.name, firm.timezone, firm.clients.len(), firm.matters.len())?;
    writeln!(
        out,
        "   {} code types, {} codes ({} disabled); rules: customer-wide (summary, no future work) and {}",
        firm.code_types.len(),
        firm.codes.len(),
        firm.codes.iter().filter(|c| c.is_disabled == Some(true)).count(),
        ruled.join(", ")
    )?;
    for u in firm.users.iter().take(8) {
        writeln!(out, "   timekeeper {:<16} {:<17} {}", u.name, u.title, u.timezone)?;
    }
    if firm.users.len() > 8 {
        writeln!(out, "   … and {} more timekeepers", firm.users.len() - 8)?;
    }

    // ----- 2. a month of work --------------------------------------------------------------
    let timer_users: Vec<usize> = (0..firm.users.len()).filter(|u| u % 2 == 0).collect();
    let mut phase = Phase::new((work_days.len() * (firm.users.len() + timer_users.len())) as u64, "capturing the month");
    let mut by_kind: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut manual = 0usize;
    let mut timer_stats = (0usize, 0usize, 0usize); // sessions, resumes, auto-stops
    for (day_index, date) in work_days.iter().enumerate() {
        // Around lunch, some timekeepers time their calls. Each one's steps are planned on their
        // own local clock, then all steps run in time order on the one shared clock.
        let mut steps: Vec<(Timestamp, usize, usize, TimerStep)> = Vec::new();
        for &u in &timer_users {
            let mut rng = Rng::derive(opts.seed, &[7, u as u64, day_index as u64]);
            let mut t = at(*date, &firm.users[u].timezone, 12 * 3600 + 600 + rng.range(0, 40 * 60))?;
            let mut plan = |t: &mut Timestamp, step: TimerStep, minutes: (i64, i64), rng: &mut Rng| -> Result<(), DemoError> {
                steps.push((*t, u, steps.len(), step));
                *t = t.checked_add_millis(rng.range(minutes.0 * 60, minutes.1 * 60) * 1000).ok_or("time out of range")?;
                Ok(())
            };
            let matter = firm.timer_matter(u, &mut rng);
            let id = rng.object_id(t.millis() / 1000);
            let narrative = firm.call_summary(matter, &mut rng);
            plan(&mut t, TimerStep::Start { id, matter, narrative, stops: None }, (18, 35), &mut rng)?;
            plan(&mut t, TimerStep::Stop(id), (20, 50), &mut rng)?;
            plan(&mut t, TimerStep::Resume(id), (6, 20), &mut rng)?;
            if day_index % 3 == 1 {
                // An urgent call: starting its timer stops the running one.
                let other = firm.timer_matter(u, &mut rng);
                let id2 = rng.object_id(t.millis() / 1000);
                let narrative = firm.call_summary(other, &mut rng);
                plan(&mut t, TimerStep::Start { id: id2, matter: other, narrative, stops: Some(id) }, (5, 15), &mut rng)?;
                plan(&mut t, TimerStep::Stop(id2), (0, 0), &mut rng)?;
            } else {
                plan(&mut t, TimerStep::Stop(id), (0, 0), &mut rng)?;
            }
        }
        steps.sort_by_key(|(t, u, i, _)| (*t, *u, *i));
        for (t, u, _, step) in steps {
            clock.advance_to(t);
            let scope = Scope::new(customer, firm.users[u].id);
            match step {
                TimerStep::Start { id, matter, narrative, stops } => {
                    engine
                        .start_timer(&scope, &TimerStart { id: Some(id), initiative_id: imported.matter_ids.get(matter).copied(), summary: Some(narrative) })?;
                    summary.timer_entries += 1;
                    timer_stats.0 += 1;
                    if let Some(previous) = stops {
                        if engine.get_entry(&scope, &previous)?.timer_running() {
                            return Err("starting a timer did not stop the running one".into());
                        }
                        timer_stats.2 += 1;
                    }
                }
                TimerStep::Stop(id) => {
                    engine.stop_timer(&scope, &id)?;
                }
                TimerStep::Resume(id) => {
                    engine.resume_timer(&scope, &id)?;
                    timer_stats.0 += 1;
                    timer_stats.1 += 1;
                }
            }
        }
        phase.inc(timer_users.len() as u64);
        // In the evening each timekeeper's captured day is grouped into entries and saved, one
        // transaction per user-day.
        let mut evening = clock.now();
        for u in &firm.users {
            evening = evening.max(at(*date, &u.timezone, 20 * 3600 + 1800)?);
        }
        clock.advance_to(evening);
        for u in 0..firm.users.len() {
            let day = firm.user_day(u, *date);
            for a in day.activities() {
                *by_kind.entry(a.kind.as_str()).or_default() += 1;
                summary.activities += 1;
            }
            manual += day.entries.iter().filter(|e| e.activities.is_empty()).count();
            summary.imported_entries += generate::import_day(&engine, firm, &imported, &day)?.len();
            phase.inc(1);
        }
    }
    let took = phase.finish();
    let kinds = by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ");
    writeln!(
        out,
        "2. Month captured in {:.2} s: {} activities ({kinds}) grouped into {} entries ({} with sources, {manual} manual)",
        took.as_secs_f64(),
        summary.activities,
        summary.imported_entries,
        summary.imported_entries - manual
    )?;
    writeln!(
        out,
        "   timers: {} timer entries for {} timekeepers, {} sessions, {} resumes, {} stopped by starting another",
        summary.timer_entries,
        timer_users.len(),
        timer_stats.0,
        timer_stats.1,
        timer_stats.2
    )?;

    // ----- 3. release, sync with the PMS, fix, re-release -----------------------------------
    // The last work day is held back (still validation-succeeded); the day before it is
    // released after the connector's last poll (release-pending); the rest goes through the
    // connector in rounds of up to a week.
    let (held, to_release) = match work_days.split_last() {
        Some((h, rest)) => (Some(*h), rest.to_vec()),
        None => (None, Vec::new()),
    };
    let (tail, polled) = match to_release.split_last() {
        Some((t, rest)) => (Some(*t), rest.to_vec()),
        None => (None, Vec::new()),
    };
    let chunk = polled.len().div_ceil(2).clamp(1, 5);
    let rounds: Vec<&[Date]> = polled.chunks(chunk).collect();
    let mut phase = Phase::new(((polled.len() + usize::from(tail.is_some())) * firm.users.len() + rounds.len()) as u64, "releasing and syncing");
    clock.advance_to(at(close_day, "UTC", 13 * 3600)?);
    let mut connector = Connector::new(opts.seed)?;
    let mut not_ready = 0usize;
    let mut fixes = BTreeMap::<&'static str, usize>::new();
    let release_days = |days: &[Date], phase: &mut Phase, not_ready: &mut usize| -> Result<usize, DemoError> {
        let mut n = 0;
        for d in days {
            for u in &firm.users {
                let r = engine.release_day(&Scope::new(customer, u.id), *d, ReleaseDayMode::ReadySubset)?;
                n += r.released.len();
                *not_ready += r.not_ready.len();
                clock.advance_secs(2);
                phase.inc(1);
            }
        }
        Ok(n)
    };
    let mut released = 0usize;
    for (r, days) in rounds.iter().enumerate() {
        let last_round = r + 1 == rounds.len();
        released += release_days(days, &mut phase, &mut not_ready)?;
        summary.day_releases += days.len() * firm.users.len();
        clock.advance_secs(600);
        let new = connector.poll(&engine, &customer, clock.now(), r == 0 || last_round)?;
        phase.inc(1);
        if last_round {
            break;
        }
        // The users fix what the PMS rejected, and release it again.
        clock.advance_secs(1800);
        for i in new {
            let rej = connector.rejections[i].clone();
            let scope = Scope::new(customer, rej.user);
            match rej.fix {
                Fix::AddTaskCode => {
                    let e = engine.get_entry(&scope, &rej.entry)?;
                    let mut ids: Vec<ObjectId> = e.codes.iter().map(|c| c.id).collect();
                    let matter = rej.matter.and_then(|m| imported.matter_index(&m)).unwrap_or(0);
                    if let Some(id) = imported.code_id(&firm.default_task_code(matter)) {
                        ids.insert(0, id);
                    }
                    engine.edit_entry(&scope, &rej.entry, &EntryPatch { code_ids: Some(ids), ..EntryPatch::default() })?;
                    *fixes.entry("task code added").or_default() += 1;
                }
                Fix::OneTaskNarrative => {
                    let e = engine.get_entry(&scope, &rej.entry)?;
                    let first = e.summary.split(';').next().unwrap_or("").trim().trim_end_matches('.').to_string();
                    engine.edit_entry(&scope, &rej.entry, &EntryPatch { summary: Some(format!("{first}.")), ..EntryPatch::default() })?;
                    *fixes.entry("narrative narrowed").or_default() += 1;
                }
                Fix::Resend => {
                    *fixes.entry("resent unchanged").or_default() += 1;
                }
            }
            engine.release_entry(&scope, &rej.entry)?;
            connector.rejections[i].fixed = true;
            clock.advance_secs(5);
        }
        clock.advance_secs(3600);
    }
    // One timekeeper takes back an accepted entry to correct it (it keeps its PMS id).
    let unreleaser = firm.users[1 % firm.users.len()].id;
    let mut unreleased = None;
    if let Some((id, (user, pms))) = connector.accepted.iter().find(|(_, (u, _))| *u == unreleaser).or_else(|| connector.accepted.iter().next()) {
        clock.advance_secs(900);
        let e = engine.unrelease(&Scope::new(customer, *user), id)?;
        unreleased = Some((e, pms.clone()));
    }
    // The day before the held one is released after the last poll: it waits for the PMS.
    if let Some(t) = tail {
        clock.advance_secs(900);
        released += release_days(&[t], &mut phase, &mut not_ready)?;
        summary.day_releases += firm.users.len();
    }
    let took = phase.finish();
    // The next morning a timekeeper starts a timer: it runs while the report is made.
    clock.advance_secs(1200);
    let mut rng = Rng::derive(opts.seed, &[9]);
    let matter = firm.timer_matter(0, &mut rng);
    let running = engine.start_timer(
        &Scope::new(customer, firm.users[0].id),
        &TimerStart { id: None, initiative_id: imported.matter_ids.get(matter).copied(), summary: Some(firm.call_summary(matter, &mut rng)) },
    )?;
    summary.timer_entries += 1;
    summary.polls = connector.polls;
    summary.accepted = connector.accepted.len();
    summary.rejected = connector.rejections.len();
    writeln!(
        out,
        "3. Released and synced in {:.2} s: {} day releases (ready subset) released {released} entries, {not_ready} entries not ready",
        took.as_secs_f64(),
        summary.day_releases
    )?;
    writeln!(
        out,
        "   connector: {} polls ({} pages of at most 100), {} accepted with PMS ids ({} updates of a record), {} rejected; {}",
        connector.polls,
        connector.pages,
        connector.accepted.len(),
        connector.updates,
        connector.rejections.len(),
        if fixes.is_empty() {
            "nothing to fix".to_string()
        } else {
            format!("fixed and re-released: {}", fixes.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", "))
        }
    )?;
    if let Some(t) = tail {
        writeln!(
            out,
            "   {t} released after the last poll (waiting for the PMS); {} held back (not released)",
            held.map(|h| h.to_string()).unwrap_or_default()
        )?;
    }
    writeln!(out, "   timer started {} on {} and still running", running.created_at, running.work_date)?;
    writeln!(out)?;

    // ----- 4. the report --------------------------------------------------------------------
    let names: HashMap<ObjectId, &generate::User> = firm.users.iter().map(|u| (u.id, u)).collect();
    let matter_of =
        |id: &Option<ObjectId>| -> Option<&generate::Matter> { id.as_ref().and_then(|i| imported.matter_index(i)).and_then(|m| firm.matters.get(m)) };
    let today = clock.now().local_date(parse_zone(&firm.timezone, "timezone")?);
    let to = today.max(close_day);

    // Hours and units per user and matter, from the engine's totals.
    let totals = engine.totals(&customer, None, first, to)?;
    let mut per_user_matter: BTreeMap<(usize, usize), (i64, i64, i64)> = BTreeMap::new();
    let mut per_matter: BTreeMap<usize, (i64, i64, i64)> = BTreeMap::new();
    let user_index: HashMap<ObjectId, usize> = firm.users.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
    for t in &totals {
        let u = user_index.get(&t.user_id).copied().unwrap_or(usize::MAX);
        let m = t.initiative_id.as_ref().and_then(|i| imported.matter_index(i)).unwrap_or(usize::MAX);
        for slot in [per_user_matter.entry((u, m)).or_default(), per_matter.entry(m).or_default()] {
            slot.0 += t.entries;
            slot.1 += t.unit_increment_count;
            slot.2 += t.increment_duration_in_seconds;
        }
    }
    writeln!(out, "Hours and units by timekeeper and matter, {first} to {to} (Engine::totals, live entries in every status)")?;
    writeln!(out, "  {:<44} {:>6} {:>8} {:>9} {:>9}", "timekeeper / matter", "inc", "entries", "units", "hours")?;
    let mut current_user = usize::MAX;
    let mut user_sum = (0i64, 0i64);
    let flush_user = |out: &mut dyn Write, sum: (i64, i64)| -> std::io::Result<()> {
        writeln!(out, "  {:<44} {:>6} {:>8} {:>9} {:>9}", "  all matters", "", sum.0, "", hours_string(sum.1))
    };
    for (&(u, m), &(entries, units, secs)) in &per_user_matter {
        if u != current_user {
            if current_user != usize::MAX {
                flush_user(out, user_sum)?;
            }
            current_user = u;
            user_sum = (0, 0);
            let name = firm.users.get(u).map(|x| format!("{} ({})", x.name, x.title)).unwrap_or_else(|| "?".into());
            writeln!(out, "  {name}")?;
        }
        user_sum.0 += entries;
        user_sum.1 += secs;
        let (label, inc) = match firm.matters.get(m) {
            Some(mm) => (format!("{} {}", mm.input.external_id, mm.input.name), mm.input.unit_increments.to_string()),
            None => ("(no matter)".to_string(), String::new()),
        };
        writeln!(out, "    {:<42} {:>6} {:>8} {:>9} {:>9}", clip(&label, 42), inc, entries, units, hours_string(secs))?;
    }
    if current_user != usize::MAX {
        flush_user(out, user_sum)?;
    }
    writeln!(out)?;
    writeln!(out, "By matter")?;
    let (mut all_entries, mut all_secs) = (0i64, 0i64);
    for (&m, &(entries, units, secs)) in &per_matter {
        let (label, inc, billing) = match firm.matters.get(m) {
            Some(mm) => (format!("{} {}", mm.input.external_id, mm.input.name), mm.input.unit_increments.to_string(), mm.input.billing_type.as_str()),
            None => ("(no matter)".to_string(), String::new(), ""),
        };
        all_entries += entries;
        all_secs += secs;
        writeln!(out, "  {:<44} {:>6} {:>8} {:>9} {:>9}  {billing}", clip(&label, 44), inc, entries, units, hours_string(secs))?;
    }
    writeln!(out, "  {:<44} {:>6} {:>8} {:>9} {:>9}", "all matters", "", all_entries, "", hours_string(all_secs))?;
    writeln!(out)?;

    // Statuses, validation failures and overlap, from the users' entries.
    let mut statuses: BTreeMap<usize, (&'static str, usize)> = Status::ALL.iter().enumerate().map(|(i, s)| (i, (s.as_str(), 0))).collect();
    let mut rules: BTreeMap<String, usize> = BTreeMap::new();
    let mut overlapping = 0usize;
    let mut with_timer = 0usize;
    for u in &firm.users {
        for e in engine.list_entries(&Scope::new(customer, u.id), first, to)? {
            if let Some(i) = Status::ALL.iter().position(|s| *s == e.status) {
                if let Some(slot) = statuses.get_mut(&i) {
                    slot.1 += 1;
                }
            }
            for f in &e.validation_failed_errors {
                *rules.entry(f.rule.clone()).or_default() += 1;
            }
            if e.overlap_time_in_seconds > 0 {
                overlapping += 1;
            }
            if e.sources.iter().any(|s| s.kind == SourceKind::Timer) {
                with_timer += 1;
            }
            summary.overlap_seconds += e.overlap_time_in_seconds;
        }
    }
    writeln!(out, "Entries by status")?;
    let mut live = 0;
    for (name, n) in statuses.values() {
        let note = match *name {
            "validation-pending" => "a timer is running".to_string(),
            "validation-failed" if !rules.is_empty() => {
                format!("failing rules: {}", rules.iter().map(|(r, n)| format!("{r} {n}")).collect::<Vec<_>>().join(", "))
            }
            "validation-succeeded" => "ready, not released".to_string(),
            "release-pending" => "released, waiting for the PMS".to_string(),
            "release-succeeded" => "accepted by the PMS".to_string(),
            "release-failed" => "rejected by the PMS, to fix".to_string(),
            _ => String::new(),
        };
        writeln!(out, "  {name:<22} {n:>6}  {note}")?;
        summary.statuses.insert(name, *n);
        live += n;
    }
    writeln!(out, "  {:<22} {live:>6}  ({with_timer} timer entries)", "all live entries")?;
    writeln!(out)?;

    let still_failed = connector.rejections.iter().filter(|r| !r.fixed).count();
    writeln!(
        out,
        "PMS rejections: {} ({} fixed and re-released, {still_failed} still release-failed)",
        connector.rejections.len(),
        connector.rejections.len() - still_failed
    )?;
    for r in &connector.rejections {
        let who = names.get(&r.user).map(|u| u.name.as_str()).unwrap_or("?");
        let matter = matter_of(&r.matter).map(|m| m.input.external_id.as_str()).unwrap_or("?");
        let now = match (r.fixed, connector.accepted.get(&r.entry)) {
            (true, Some((_, pms))) => format!("fixed, accepted as {pms}"),
            (true, None) => "fixed, re-released".to_string(),
            (false, _) => "to fix".to_string(),
        };
        writeln!(out, "  …{} {:<15} {:<10} {}  {:<62}  {now}", short(&r.entry), clip(who, 15), matter, r.work_date, r.message)?;
    }
    if let Some((e, pms)) = &unreleased {
        let who = names.get(&e.user_id).map(|u| u.name.as_str()).unwrap_or("?");
        writeln!(
            out,
            "Unreleased: …{} ({who}, {}, {}) is {} again and keeps PMS id {} for its re-release",
            short(&e.id),
            matter_ext(e),
            e.work_date,
            e.status.as_str(),
            e.external_id.as_deref().unwrap_or(pms)
        )?;
    }
    writeln!(
        out,
        "Overlap: {overlapping} entries overlap another entry of the same timekeeper; sum of overlapTimeInSeconds = {} s ({} h)",
        summary.overlap_seconds,
        hours_string(summary.overlap_seconds)
    )?;

    // ----- 5. the export CSV ----------------------------------------------------------------
    let csv_path = opts.csv.clone().unwrap_or_else(|| default_csv_path(&opts.db));
    if let Some(dir) = csv_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut w = BufWriter::new(File::create(&csv_path)?);
    let rows = engine.export_csv(&customer, Window::new(Timestamp::from_millis(0)?, clock.now())?, &mut w)?;
    w.flush()?;
    drop(w);
    let exported = summary.statuses.get("release-pending").copied().unwrap_or(0) + summary.statuses.get("release-succeeded").copied().unwrap_or(0);
    if rows as usize != exported {
        return Err(format!("the export has {rows} rows but {exported} entries are release-pending or release-succeeded").into());
    }
    writeln!(out, "Export: {rows} released entries written to {}", csv_path.display())?;
    engine.close()?;
    summary.csv_path = csv_path;
    summary.csv_rows = rows;
    summary.elapsed = t0.elapsed();
    writeln!(out, "Done in {:.2} s (wall time).", summary.elapsed.as_secs_f64())?;
    Ok(summary)
}

fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
