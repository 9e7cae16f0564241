//! Group commit of the writer (decision 101): decides which write transactions share one
//! durable commit and who runs it.
//!
//! A caller that wants the writer first says so (it is *queued*), then takes the writer
//! connection in turn. The first caller of a group opens one `BEGIN IMMEDIATE` transaction;
//! every caller runs its own closure, on its own thread, inside a savepoint of its own (`SAVEPOINT
//! member`): a refused closure (`Err`, or a panic) rolls back only that savepoint, forgets what
//! the reference cache learnt (the cache is cleared, as after any rollback), and answers at once.
//! After its closure, a caller commits the group itself when nobody else is queued, the group
//! holds [`GroupCommit::max_members`] members, or it has been open for
//! [`GroupCommit::max_open_micros`]; otherwise it hands the connection on and waits for the
//! group's outcome. So callers that arrive while a commit is in flight (the committer holds the
//! connection through its `fsync`) form the next group, and every caller whose work is in a
//! group learns the outcome of the one commit that holds it: `Ok` once that commit is durable,
//! or the commit's error (nothing of the group stored). A member that leaves the transaction
//! unusable (SQLite rolled the whole transaction back on a full disk or an I/O error, a savepoint
//! statement failed, a damaged page) fails the group at once.

use std::any::Any;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::{lock, tx, Slot};
use crate::error::{Result, TenthsError};
use crate::store::{RefCache, WriteTx};

/// Group commit of a file store's writer (`OpenOptions::group_commit`): the bounds that cap a
/// group, hence the latency a member may add to the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupCommit {
    /// Members at most in one commit (at least 1).
    pub max_members: usize,
    /// A group open this long (µs, from its `BEGIN`) commits after the member running now.
    pub max_open_micros: u64,
}

impl Default for GroupCommit {
    /// 64 members, 2 ms.
    fn default() -> Self {
        GroupCommit { max_members: 64, max_open_micros: 2_000 }
    }
}

/// The open group.
struct Open {
    id: u64,
    began: Instant,
    /// Members that ran so far.
    members: usize,
    /// Members that did their work and wait for the outcome.
    waiting: usize,
}

#[derive(Default)]
struct State {
    /// Callers that asked for the writer and have not run yet.
    queued: usize,
    open: Option<Open>,
    next_id: u64,
    /// Outcomes of finished groups not yet collected by all their waiting members: id →
    /// (outcome, members still to collect it).
    outcomes: HashMap<u64, (Result<()>, usize)>,
    /// Groups committed or failed, and the members they held (for tests and benchmarks).
    groups: u64,
    members: u64,
}

/// The group state of one writer.
pub(super) struct Groups {
    limits: GroupCommit,
    state: Mutex<State>,
    finished: Condvar,
}

/// What running one member's closure left.
pub(super) struct Member {
    /// The closure's own answer.
    pub(super) own: Result<()>,
    /// Why the group's transaction can no longer commit, if it cannot.
    pub(super) broken: Option<TenthsError>,
    /// A panic of the closure, resumed once the group is settled.
    pub(super) panic: Option<Box<dyn Any + Send>>,
}

/// What a member does once its closure ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// Commit (or roll back a broken group) now.
    Finish,
    /// Hand the connection on; wait for the outcome if the closure succeeded.
    HandOn,
}

impl Groups {
    pub(super) fn new(limits: GroupCommit) -> Groups {
        Groups { limits, state: Mutex::new(State::default()), finished: Condvar::new() }
    }

    /// A caller asks for the writer (before it waits for the connection).
    pub(super) fn queue(&self) {
        let mut st = lock(&self.state);
        st.queued = st.queued.saturating_add(1);
    }

    /// The caller holds the connection now: it is no longer queued. Answers the open group.
    pub(super) fn arrived(&self) -> Option<u64> {
        let mut st = lock(&self.state);
        st.queued = st.queued.saturating_sub(1);
        st.open.as_ref().map(|o| o.id)
    }

    /// The open group, if any.
    pub(super) fn open_id(&self) -> Option<u64> {
        lock(&self.state).open.as_ref().map(|o| o.id)
    }

    /// Records a group just begun (its `BEGIN` succeeded).
    pub(super) fn begun(&self) -> u64 {
        let mut st = lock(&self.state);
        let id = st.next_id;
        st.next_id = st.next_id.wrapping_add(1);
        st.open = Some(Open { id, began: Instant::now(), members: 0, waiting: 0 });
        id
    }

    /// Counts a member that ran and answers whether it finishes the group.
    pub(super) fn ran(&self, member: &Member) -> Next {
        let limits = self.limits;
        let mut st = lock(&self.state);
        let queued = st.queued;
        let Some(open) = st.open.as_mut() else { return Next::Finish };
        open.members = open.members.saturating_add(1);
        let full = open.members >= limits.max_members.max(1) || open.began.elapsed() >= Duration::from_micros(limits.max_open_micros);
        if member.broken.is_some() || queued == 0 || full {
            return Next::Finish;
        }
        if member.own.is_ok() {
            open.waiting = open.waiting.saturating_add(1);
        }
        Next::HandOn
    }

    /// Publishes the outcome of the open group to the members waiting for it.
    pub(super) fn publish(&self, outcome: &Result<()>) {
        let mut st = lock(&self.state);
        if let Some(open) = st.open.take() {
            st.groups = st.groups.saturating_add(1);
            st.members = st.members.saturating_add(u64::try_from(open.members).unwrap_or(u64::MAX));
            if open.waiting > 0 {
                st.outcomes.insert(open.id, (outcome.clone(), open.waiting));
            }
        }
        drop(st);
        self.finished.notify_all();
    }

    /// Waits for the outcome of group `id` (a member that handed the connection on).
    pub(super) fn outcome(&self, id: u64) -> Result<()> {
        let mut st = lock(&self.state);
        loop {
            if let Some((outcome, left)) = st.outcomes.get_mut(&id) {
                let out = outcome.clone();
                *left = left.saturating_sub(1);
                if *left == 0 {
                    st.outcomes.remove(&id);
                }
                return out;
            }
            st = self.finished.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Groups finished and the members they held so far.
    #[cfg(test)]
    pub(super) fn counts(&self) -> (u64, u64) {
        let st = lock(&self.state);
        (st.groups, st.members)
    }

    /// Callers waiting for the connection now.
    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        lock(&self.state).queued
    }
}

fn run_sql(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Opens a group's transaction on the writer.
pub(super) fn begin(slot: &mut Slot) -> Result<()> {
    run_sql(&slot.conn, "BEGIN IMMEDIATE")?;
    slot.cache.begin();
    Ok(())
}

/// Runs one member's closure in its own savepoint of the open transaction.
pub(super) fn run(slot: &mut Slot, f: &mut dyn FnMut(&mut dyn WriteTx, &mut RefCache) -> Result<()>) -> Member {
    if let Err(e) = run_sql(&slot.conn, "SAVEPOINT member") {
        return Member { own: Err(e.clone()), broken: Some(e), panic: None };
    }
    let conn = &slot.conn;
    let cache = &mut slot.cache;
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let mut stx = tx::SqliteTx::new(conn);
        f(&mut stx, cache)?;
        // Each member's feed positions are stored inside its own savepoint.
        stx.feed.flush(conn)
    }));
    let (own, panic) = match caught {
        Ok(own) => (own, None),
        Err(p) => (Err(TenthsError::Storage { reason: "a write transaction panicked".into() }), Some(p)),
    };
    let broken = match &own {
        Ok(()) => run_sql(conn, "RELEASE member").err(),
        // SQLite rolled the whole transaction back (a full disk, an I/O error): the group is lost.
        Err(e) if conn.is_autocommit() => Some(e.clone()),
        Err(e) => {
            slot.cache.rollback();
            let undone = run_sql(conn, "ROLLBACK TO member").and_then(|()| run_sql(conn, "RELEASE member"));
            match (undone, e) {
                (Err(u), _) => Some(u),
                // A damaged page turns the store read-only: nothing more is committed.
                (Ok(()), TenthsError::Corrupt { .. }) => Some(e.clone()),
                (Ok(()), _) => None,
            }
        }
    };
    Member { own, broken, panic }
}

/// Ends the open transaction: commits it, or rolls it back when `broken` says it cannot commit
/// or the commit fails. The cache keeps what the group learnt only when it committed.
pub(super) fn finish(slot: &mut Slot, broken: Option<TenthsError>) -> Result<()> {
    let outcome = match broken {
        Some(e) => Err(e),
        None => run_sql(&slot.conn, "COMMIT"),
    };
    match outcome {
        Ok(()) => slot.cache.commit(),
        Err(_) => {
            if !slot.conn.is_autocommit() {
                let _ = run_sql(&slot.conn, "ROLLBACK");
            }
            slot.cache.rollback();
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    //! Each test lines its writers up deterministically: the first member's closure waits, holding
    //! the connection inside the open group, until the others are queued for it, so they all join
    //! its group (no timing is asserted; the wait is only a rendezvous).

    use std::path::PathBuf;
    use std::sync::{mpsc, Arc};
    use std::thread::{self, JoinHandle};

    use super::*;
    use crate::error::ErrorKind;
    use crate::rules::ids::ObjectId;
    use crate::rules::time::Timestamp;
    use crate::sqlite::{Durability, OpenOptions, SqliteBackend};
    use crate::store::Backend;

    type Work = Box<dyn FnMut(&mut dyn WriteTx, &mut RefCache) -> Result<()> + Send>;

    fn temp_file(name: &str) -> PathBuf {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("tenths-group-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("group.sqlite")
    }

    fn open(path: &std::path::Path, limits: GroupCommit) -> Arc<SqliteBackend> {
        let options = OpenOptions { durability: Durability::Normal, group_commit: Some(limits), ..OpenOptions::default() };
        Arc::new(SqliteBackend::open(path, &options).unwrap())
    }

    /// The default cap of members, and no cap of time: the first member holds its group open
    /// while the others line up.
    fn patient() -> GroupCommit {
        GroupCommit { max_open_micros: 60_000_000, ..GroupCommit::default() }
    }

    fn customer(i: u32) -> ObjectId {
        ObjectId::parse(&format!("{i:024x}")).unwrap()
    }

    fn now() -> Timestamp {
        Timestamp::from_millis_clamped(1_700_000_000_000)
    }

    /// A member that stores customer `i`.
    fn store(i: u32) -> Work {
        Box::new(move |tx, _| tx.ensure_customer(&customer(i), now()))
    }

    /// A member that stores customer `i`, then refuses.
    fn refuse(i: u32) -> Work {
        Box::new(move |tx, _| {
            tx.ensure_customer(&customer(i), now())?;
            Err(TenthsError::invalid("summary", "refused on purpose"))
        })
    }

    fn stored(b: &SqliteBackend, i: u32) -> bool {
        let mut found = false;
        b.read(&mut |tx, _| {
            found = tx.customer_settings(&customer(i))?.is_some();
            Ok(())
        })
        .unwrap();
        found
    }

    /// Waits (a rendezvous, bounded) until `n` callers are queued for the writer.
    fn wait_queued(b: &SqliteBackend, n: usize) {
        for _ in 0..20_000 {
            if b.groups.as_ref().map_or(0, |g| g.queued()) >= n {
                return;
            }
            thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    fn spawn(b: &Arc<SqliteBackend>, mut work: Work) -> JoinHandle<Result<()>> {
        let b = Arc::clone(b);
        thread::spawn(move || b.write(&mut |tx, cache| work(tx, cache)))
    }

    /// Runs `members` from one thread each, the first holding the group open until the others
    /// are queued. Answers each member's answer (`Err` for a panic), in order.
    fn in_one_group(b: &Arc<SqliteBackend>, mut members: Vec<Work>) -> Vec<thread::Result<Result<()>>> {
        let others = members.len().saturating_sub(1);
        let mut first = members.remove(0);
        let (inside, started) = mpsc::channel();
        let held = Arc::clone(b);
        let first = spawn(
            b,
            Box::new(move |tx, cache| {
                let _ = inside.send(());
                wait_queued(&held, others);
                first(tx, cache)
            }),
        );
        started.recv().unwrap();
        let rest: Vec<_> = members.into_iter().map(|w| spawn(b, w)).collect();
        std::iter::once(first).chain(rest).map(|h| h.join()).collect()
    }

    #[test]
    fn concurrent_writers_share_one_commit_and_a_refusal_undoes_only_its_own() {
        let path = temp_file("refusal");
        let b = open(&path, patient());
        let answers = in_one_group(&b, vec![store(0), store(1), store(2), refuse(3), store(4), store(5), store(6), store(7)]);
        for (i, answer) in (0u32..).zip(&answers) {
            let answer = answer.as_ref().unwrap();
            match i {
                3 => assert_eq!(answer.as_ref().map_err(|e| e.kind()), Err(ErrorKind::InvalidArgument)),
                _ => assert!(answer.is_ok(), "member {i}: {answer:?}"),
            }
            assert_eq!(stored(&b, i), i != 3, "customer {i}");
        }
        assert_eq!(b.groups.as_ref().unwrap().counts(), (1, 8), "one commit of eight members");
    }

    #[test]
    fn a_group_holds_at_most_max_members() {
        let path = temp_file("cap");
        let b = open(&path, GroupCommit { max_members: 3, ..patient() });
        let answers = in_one_group(&b, (0..8).map(store).collect());
        assert!(answers.iter().all(|a| matches!(a, Ok(Ok(())))), "{answers:?}");
        assert_eq!(b.groups.as_ref().unwrap().counts(), (3, 8), "3 + 3 + 2");
        assert!((0..8).all(|i| stored(&b, i)));
    }

    #[test]
    fn a_group_past_its_time_commits_after_the_member_running() {
        let path = temp_file("time");
        let b = open(&path, GroupCommit { max_open_micros: 0, ..GroupCommit::default() });
        let answers = in_one_group(&b, (0..4).map(store).collect());
        assert!(answers.iter().all(|a| matches!(a, Ok(Ok(())))), "{answers:?}");
        assert_eq!(b.groups.as_ref().unwrap().counts(), (4, 4), "each member past the time commits its own group");
        assert!((0..4).all(|i| stored(&b, i)));
    }

    #[test]
    fn a_commit_failure_fails_every_member_and_stores_nothing() {
        let path = temp_file("commit");
        drop(open(&path, patient()));
        // A deferred foreign key broken by customer 5's row: checked only at COMMIT, which fails.
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch(&format!(
            "CREATE TABLE gc_parent (id TEXT PRIMARY KEY);
             CREATE TABLE gc_child (parent TEXT REFERENCES gc_parent (id) DEFERRABLE INITIALLY DEFERRED);
             CREATE TRIGGER gc_poison AFTER INSERT ON customers WHEN NEW.id = '{}' BEGIN INSERT INTO gc_child VALUES ('missing'); END;",
            customer(5)
        ))
        .unwrap();
        drop(raw);
        let b = open(&path, patient());
        let answers = in_one_group(&b, (0..8).map(store).collect());
        for (i, answer) in (0u32..).zip(&answers) {
            let answer = answer.as_ref().unwrap();
            assert!(answer.as_ref().is_err_and(|e| e.to_string().contains("FOREIGN KEY")), "member {i}: {answer:?}");
            assert!(!stored(&b, i), "customer {i} was stored by a failed commit");
        }
        assert_eq!(b.groups.as_ref().unwrap().counts(), (1, 8));
        // The writer is usable again: the next group commits.
        assert!(matches!(&in_one_group(&b, vec![store(10), store(11)])[..], [Ok(Ok(())), Ok(Ok(()))]));
        assert!(stored(&b, 10) && stored(&b, 11));
    }

    #[test]
    fn a_panicking_member_undoes_only_its_own_and_panics_on_its_thread() {
        let path = temp_file("panic");
        let b = open(&path, patient());
        let boom: Work = Box::new(|tx, _| {
            tx.ensure_customer(&customer(2), now())?;
            panic!("a member panics")
        });
        let answers = in_one_group(&b, vec![store(0), store(1), boom, store(3)]);
        assert!(answers[2].is_err(), "the panic reaches its own thread");
        for i in [0, 1, 3] {
            assert!(matches!(answers[i as usize], Ok(Ok(()))), "member {i}");
            assert!(stored(&b, i));
        }
        assert!(!stored(&b, 2));
    }

    /// A refused member forgets what the reference cache learnt inside its savepoint: the next
    /// member of the same group that ensures the same user writes the user's row.
    #[test]
    fn a_refused_member_leaves_no_cache_entry_behind() {
        let path = temp_file("cache");
        let b = open(&path, patient());
        let (c, u) = (customer(1), customer(2));
        let (later_inside, later_started) = mpsc::channel::<()>();
        let later: Work = Box::new(move |tx, cache| {
            cache.ensure_user(tx, &c, &u, now())?;
            tx.save_user_timezone(&c, &u, Some("Europe/Paris"))
        });
        // The refusing member runs second; it queues the later one and waits for it to be queued
        // before it refuses, so the later one runs third, in the same group.
        let (b2, later_cell) = (Arc::clone(&b), std::sync::Mutex::new(Some(later)));
        let spawned = Arc::new(std::sync::Mutex::new(None));
        let spawned2 = Arc::clone(&spawned);
        let refusing: Work = Box::new(move |tx, cache| {
            cache.ensure_user(tx, &c, &u, now())?;
            if let Some(w) = later_cell.lock().unwrap().take() {
                *spawned2.lock().unwrap() = Some(spawn(&b2, w));
                let _ = later_inside.send(());
            }
            wait_queued(&b2, 1);
            Err(TenthsError::invalid("summary", "refused on purpose"))
        });
        let answers = in_one_group(&b, vec![store(0), refusing]);
        later_started.recv().unwrap();
        let later_answer = spawned.lock().unwrap().take().unwrap().join().unwrap();
        assert!(matches!(answers[..], [Ok(Ok(())), Ok(Err(_))]), "{answers:?}");
        assert!(later_answer.is_ok(), "{later_answer:?}");
        assert_eq!(b.groups.as_ref().unwrap().counts(), (1, 3), "the three ran in one group");
        let mut zone = None;
        b.read(&mut |tx, _| {
            zone = tx.user_timezone(&c, &u)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(zone.as_deref(), Some("Europe/Paris"), "the user's row was written by the later member");
    }
}
