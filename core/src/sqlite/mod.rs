//! The SQLite backend: every SQL statement and every `rusqlite` type of the core lives under
//! this module. Opening a file safely (a file that is not a tenths database, was written by a
//! newer tenths, or fails `PRAGMA quick_check` is refused and left untouched), pragmas,
//! versioned migrations, one writer connection and a few readers (WAL), each with its own
//! reference cache, and the storage traits of [`crate::store`] over them. A damaged page met
//! at run time is [`TenthsError::Corrupt`] and turns the store read-only (decisions 51, 52).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

use crate::error::{Result, TenthsError};
use crate::rules::ids::ObjectId;
use crate::store::{Backend, ReadTx, RefCache, WriteTx};

pub use group::GroupCommit;

mod device;
mod entries;
mod events;
mod export;
mod group;
mod idempotency;
mod reference;
mod tx;
mod webhooks;

/// A store-side failure: the engine's `Storage` kind, `Unavailable` when waiting may help
/// (another connection holds the lock past the busy timeout, the disk is full), `Corrupt` when
/// SQLite met a damaged page (`SQLITE_CORRUPT` and its extended codes) or a file that stopped
/// being a database under the engine (`SQLITE_NOTADB`; at open that answer is
/// `IncompatibleDatabase`, see `check_compatible`).
impl From<rusqlite::Error> for TenthsError {
    fn from(e: rusqlite::Error) -> Self {
        match sqlite_code(&e) {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::DiskFull) => TenthsError::Unavailable { reason: e.to_string() },
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => TenthsError::Corrupt { reason: e.to_string() },
            _ => TenthsError::Storage { reason: e.to_string() },
        }
    }
}

/// Whether SQLite answered that the file is damaged.
fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(sqlite_code(e), Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase))
}

/// The primary result code of a failed SQLite call (extended codes fold into it).
fn sqlite_code(e: &rusqlite::Error) -> Option<ErrorCode> {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.code),
        _ => None,
    }
}

fn storage(reason: impl std::fmt::Display) -> TenthsError {
    TenthsError::Storage { reason: reason.to_string() }
}

impl rusqlite::ToSql for ObjectId {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(self.as_str()))
    }
}

impl rusqlite::types::FromSql for ObjectId {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let s = v.as_str()?;
        ObjectId::parse(s).map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

/// `PRAGMA application_id` of a tenths database ("tnth").
pub const APPLICATION_ID: i64 = 0x746e_7468;

/// Migrations, in order; index + 1 is the schema version they produce. Released entries are
/// frozen: a change of schema is a new migration.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_sync.sql"),
    include_str!("migrations/0003_feed_positions.sql"),
    include_str!("migrations/0004_quarantine_against.sql"),
    include_str!("migrations/0005_idempotency.sql"),
    include_str!("migrations/0006_events.sql"),
    include_str!("migrations/0007_webhooks.sql"),
    include_str!("migrations/0008_totals_index.sql"),
    include_str!("migrations/0009_export_index.sql"),
    include_str!("migrations/0010_overlap_index.sql"),
];

/// The schema version this code writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How hard a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous = FULL`: a committed write survives power loss (default; service of record).
    #[default]
    Full,
    /// `synchronous = NORMAL` in WAL: never corrupts, may lose the last commits on power loss
    /// (the usual choice on phones).
    Normal,
}

/// Options of [`crate::Engine::open_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOptions {
    /// Commit durability.
    pub durability: Durability,
    /// Commit durability of a device's sync transactions that take in only what the server
    /// holds and answers again (settling a push answer without storing a new batch, applying a
    /// pull page): `Normal` by default (decision 109), so a power cut may lose such a commit
    /// and the next sync fetches it again. A transaction that stores a batch to send, and every
    /// other write, commits with `durability`. Applies to a file database under `Full`
    /// durability without group commit.
    pub sync_durability: Durability,
    /// Page cache per connection, KiB.
    pub cache_size_kib: i64,
    /// Read-only connections kept beside the writer (file databases only); reads wait for a
    /// free one. 0 reads on the writer.
    pub readers: usize,
    /// How long a statement waits for a lock held by another process, ms.
    pub busy_timeout_ms: u64,
    /// Runs `PRAGMA quick_check` on an existing file before anything writes to it and refuses a
    /// damaged one ([`TenthsError::Corrupt`], the file left untouched). On by default; the check
    /// reads the whole file (under a second for the 228 MB of a 100,000-entry firm, decision
    /// 51), so a host that opens a huge file it checks some other way may turn it off.
    pub check_integrity: bool,
    /// Appends one event to the change-event log for every change of an entry (issue 16). On by
    /// default; off only to measure what the log costs (decision 94).
    pub events: bool,
    /// Group commit (decision 101): write transactions that arrive while a commit is in flight
    /// share the next durable commit, each in a savepoint of its own. For a server of many
    /// concurrent writers (`tenths serve` turns it on); off by default, since a single-threaded
    /// embedder never has a second writer waiting. Applies to a file database with readers (with
    /// none, reads run on the writer and would see a group's work before its commit).
    pub group_commit: Option<GroupCommit>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            durability: Durability::Full,
            sync_durability: Durability::Normal,
            cache_size_kib: 16 * 1024,
            readers: 4,
            busy_timeout_ms: 5_000,
            check_integrity: true,
            events: true,
            group_commit: None,
        }
    }
}

fn incompatible(reason: impl Into<String>) -> TenthsError {
    TenthsError::IncompatibleDatabase { reason: reason.into() }
}

fn apply_pragmas(conn: &Connection, opts: &OpenOptions, in_memory: bool) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_millis(opts.busy_timeout_ms))?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "cache_size", -opts.cache_size_kib)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Query-planner stability: plans never depend on bound values. Without it, SQLite marks a
    // statement such as `… WHERE entry_pk = ?1 ORDER BY …` to be re-prepared whenever a parameter
    // is rebound, and the statement cache rebinds on every use, so such a statement was compiled
    // again on every execution. Results are the same either way; only the plan choice is fixed.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    if !in_memory {
        let sync = match opts.durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", sync)?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// The first bytes of a SQLite rollback journal.
const JOURNAL_MAGIC: [u8; 8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];

/// Whether a SQLite rollback journal lies beside `path`: SQLite plays it back on open. A power
/// cut while a new file switches to WAL (the one write tenths makes through a rollback journal)
/// can leave the file's first page torn, header included, beside the journal that undoes it.
fn rollback_journal_beside(path: &Path) -> bool {
    use std::io::Read;
    let mut journal = path.as_os_str().to_owned();
    journal.push("-journal");
    let mut magic = [0u8; 8];
    std::fs::File::open(journal).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && magic == JOURNAL_MAGIC
}

/// Refuses anything that is not a SQLite file before SQLite sees it (SQLite would otherwise
/// happily treat an empty or foreign file as its own), unless SQLite's own rollback journal
/// lies beside it: then SQLite restores the file first, and [`check_compatible`] judges it.
fn check_header(path: &Path) -> Result<()> {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else { return Ok(()) };
    let mut header = [0u8; 16];
    let n = f.read(&mut header).map_err(|e| TenthsError::Storage { reason: format!("cannot read {}: {e}", path.display()) })?;
    if n == 0 {
        return Ok(());
    }
    if (n < 16 || &header != b"SQLite format 3\0") && !rollback_journal_beside(path) {
        return Err(incompatible(format!("{} is not a SQLite database; it was left untouched", path.display())));
    }
    Ok(())
}

/// What a refused damaged file is told.
const UNTOUCHED: &str = "it was left untouched. Restore it from a backup, or open it with the integrity check skipped to read what is still readable";

/// Errors `PRAGMA quick_check` lists before it stops: bounds the report (the scan still reads
/// every page of a sound file).
const QUICK_CHECK_MAX_ERRORS: u32 = 5;

/// Refuses a damaged file: `PRAGMA quick_check` (every page and b-tree is well formed, without
/// matching the indexes against their tables, which `integrity_check` adds at several times
/// the cost).
fn check_integrity(conn: &Connection, path: &Path) -> Result<()> {
    let damaged =
        |detail: String| TenthsError::Corrupt { reason: format!("{} failed its integrity check (PRAGMA quick_check: {detail}); {UNTOUCHED}", path.display()) };
    let lines = conn
        .prepare(&format!("PRAGMA quick_check({QUICK_CHECK_MAX_ERRORS})"))
        .and_then(|mut stmt| stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<String>>>());
    match lines {
        Ok(lines) if matches!(lines.as_slice(), [ok] if ok == "ok") => Ok(()),
        Ok(lines) => Err(damaged(lines.join("; "))),
        Err(e) if is_damage(&e) => Err(damaged(e.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// Drops the connection of a refused file without the checkpoint SQLite runs when the last
/// connection closes (it would copy the pages of a leftover WAL into the file).
fn close_untouched(conn: Connection) {
    let _ = conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true);
    drop(conn);
}

/// Opens (creating if needed) the writer connection and migrates the schema.
fn open_writer(path: &Path, opts: &OpenOptions) -> Result<Connection> {
    check_header(path)?;
    let conn = Connection::open(path).map_err(|e| incompatible(format!("cannot open {}: {e}", path.display())))?;
    match prepare_writer(&conn, path, opts) {
        Ok(()) => Ok(conn),
        Err(e) => {
            close_untouched(conn);
            Err(e)
        }
    }
}

/// Checks the file, then sets the writer up: WAL, pragmas, migrations.
fn prepare_writer(conn: &Connection, path: &Path, opts: &OpenOptions) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_millis(opts.busy_timeout_ms))?;
    // Refuse a foreign, newer or damaged file before anything writes to it (switching to WAL
    // rewrites the header, migrations write pages).
    check_compatible(conn)?;
    if opts.check_integrity {
        check_integrity(conn, path)?;
    }
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| incompatible(format!("{} cannot be opened as a database: {e}", path.display())))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(TenthsError::Storage { reason: format!("WAL mode is not available for {} (got {mode})", path.display()) });
    }
    apply_pragmas(conn, opts, false)?;
    migrate(conn)
}

/// Opens a private in-memory database.
fn open_memory(opts: &OpenOptions) -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    apply_pragmas(&conn, opts, true)?;
    migrate(&conn)?;
    Ok(conn)
}

/// Opens a read-only connection to a file database.
fn open_reader(path: &Path, opts: &OpenOptions) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI)?;
    apply_pragmas(&conn, opts, false)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// Reads the schema version, refusing another application's database or a newer schema.
fn check_compatible(conn: &Connection) -> Result<i64> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| match sqlite_code(&e) {
        Some(ErrorCode::DatabaseCorrupt) => TenthsError::from(e),
        _ => incompatible(format!("the file cannot be read as a database ({e}); it was left untouched")),
    })?;
    let app_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    if app_id != APPLICATION_ID && (app_id != 0 || objects > 0) {
        return Err(incompatible("the file is a SQLite database of another application; it was left untouched"));
    }
    if version > SCHEMA_VERSION {
        return Err(incompatible(format!("the database has schema version {version}, newer than this tenths ({SCHEMA_VERSION}); upgrade tenths")));
    }
    if version < 0 {
        return Err(incompatible(format!("invalid schema version {version}")));
    }
    Ok(version)
}

/// Brings the schema to [`SCHEMA_VERSION`] in one IMMEDIATE transaction.
fn migrate(conn: &Connection) -> Result<()> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
        .map_err(|e| incompatible(format!("cannot lock the database to check its schema: {e}")))?;
    let version = check_compatible(&tx)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
        tx.execute_batch(sql).map_err(|e| match is_damage(&e) {
            true => TenthsError::from(e),
            false => TenthsError::Storage { reason: format!("migration to version {} failed: {e}", i + 1) },
        })?;
    }
    if version < SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    }
    tx.commit()?;
    Ok(())
}

/// A connection and the reference cache of the transactions that run on it.
struct Slot {
    conn: Connection,
    cache: RefCache,
}

/// The SQLite store of an engine: a file (WAL, one writer and `readers` read-only connections)
/// or a private in-memory database (one connection).
pub struct SqliteBackend {
    writer: Mutex<Option<Slot>>,
    /// Idle read-only connections; a reader waits on `reader_ready` when all are busy (opening
    /// a connection per read would parse the schema every time).
    readers: Mutex<Vec<Slot>>,
    reader_ready: Condvar,
    /// Read-only connections kept (0: reads run on the writer).
    reader_count: usize,
    path: Option<PathBuf>,
    closed: AtomicBool,
    /// What the first damaged page met said (decision 52): from then on every write is refused
    /// and the close skips its checkpoint, so the file stays as it was found.
    damage: Mutex<Option<String>>,
    /// Group commit of the writer, when on (see [`group`]).
    groups: Option<group::Groups>,
    /// Whether refetchable writes commit with `synchronous = NORMAL` (see
    /// [`OpenOptions::sync_durability`]).
    relax: bool,
    /// Whether the writer is at `synchronous = NORMAL` now (changed only under its lock).
    relaxed: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic inside a transaction leaves the connection consistent (the transaction rolls back
    // on drop), so a poisoned lock is safe to keep using.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SqliteBackend {
    /// Opens (creating if needed) a database file and migrates it. `":memory:"` opens a private
    /// in-memory database.
    pub fn open(path: &Path, options: &OpenOptions) -> Result<SqliteBackend> {
        if path.as_os_str() == ":memory:" {
            return SqliteBackend::open_in_memory(options);
        }
        let writer = open_writer(path, options)?;
        let mut readers = Vec::with_capacity(options.readers);
        for _ in 0..options.readers {
            readers.push(Slot { conn: open_reader(path, options)?, cache: RefCache::default() });
        }
        Ok(SqliteBackend {
            writer: Mutex::new(Some(Slot { conn: writer, cache: RefCache::default() })),
            readers: Mutex::new(readers),
            reader_ready: Condvar::new(),
            reader_count: options.readers,
            path: Some(path.to_path_buf()),
            closed: AtomicBool::new(false),
            damage: Mutex::new(None),
            groups: options.group_commit.filter(|_| options.readers > 0).map(group::Groups::new),
            relax: options.durability == Durability::Full
                && options.sync_durability == Durability::Normal
                && !(options.group_commit.is_some() && options.readers > 0),
            relaxed: AtomicBool::new(false),
        })
    }

    /// Opens a private in-memory database.
    pub fn open_in_memory(options: &OpenOptions) -> Result<SqliteBackend> {
        let writer = open_memory(options)?;
        Ok(SqliteBackend {
            writer: Mutex::new(Some(Slot { conn: writer, cache: RefCache::default() })),
            readers: Mutex::new(Vec::new()),
            reader_ready: Condvar::new(),
            reader_count: 0,
            path: None,
            closed: AtomicBool::new(false),
            damage: Mutex::new(None),
            groups: None,
            relax: false,
            relaxed: AtomicBool::new(false),
        })
    }

    /// Runs `f` on the writer connection without a transaction of its own (in-memory reads,
    /// file databases opened without readers).
    fn on_writer(&self, f: &mut dyn FnMut(&mut dyn ReadTx, &mut RefCache) -> Result<()>) -> Result<()> {
        let mut guard = lock(&self.writer);
        let slot = guard.as_mut().ok_or(TenthsError::Closed)?;
        slot.cache.begin();
        let out = f(&mut tx::SqliteTx::new(&slot.conn), &mut slot.cache);
        slot.cache.commit();
        out
    }

    /// Remembers the first damage a transaction met (the store is read-only from then on) and
    /// says so in the error.
    fn note_damage<T>(&self, out: Result<T>) -> Result<T> {
        out.map_err(|e| match e {
            TenthsError::Corrupt { reason } => {
                lock(&self.damage).get_or_insert_with(|| reason.clone());
                self.damaged(&reason)
            }
            e => e,
        })
    }

    /// `Corrupt` once the store met a damaged page: what a write answers without touching the
    /// file, and what the health check reports.
    fn refuse_when_damaged(&self) -> Result<()> {
        match lock(&self.damage).as_deref() {
            None => Ok(()),
            Some(first) => Err(self.damaged(first)),
        }
    }

    /// The error of a store found damaged, naming the file and what SQLite said.
    fn damaged(&self, first: &str) -> TenthsError {
        TenthsError::Corrupt {
            reason: format!(
                "{} is damaged ({first}); the engine refuses every write to it from now on and leaves it as it is. Restore it from a backup",
                self.describe()
            ),
        }
    }

    /// A write as a member of a group (see [`group`]): the closure runs on this thread, in its
    /// own savepoint of the group's transaction; the answer comes once the group's commit is
    /// durable (or failed).
    fn write_grouped(&self, groups: &group::Groups, f: &mut dyn FnMut(&mut dyn WriteTx, &mut RefCache) -> Result<()>) -> Result<()> {
        groups.queue();
        let mut guard = lock(&self.writer);
        let open = groups.arrived();
        let slot = guard.as_mut().ok_or(TenthsError::Closed)?;
        let id = match open {
            Some(id) => id,
            None => {
                self.refuse_when_damaged()?;
                group::begin(slot)?;
                groups.begun()
            }
        };
        let member = group::run(slot, f);
        let answer = match groups.ran(&member) {
            group::Next::Finish => {
                let outcome = group::finish(slot, member.broken);
                groups.publish(&outcome);
                drop(guard);
                member.own.and(outcome)
            }
            group::Next::HandOn => {
                drop(guard);
                member.own.and_then(|()| groups.outcome(id))
            }
        };
        if let Some(panic) = member.panic {
            std::panic::resume_unwind(panic);
        }
        answer
    }

    /// A write in a transaction of its own on the writer; `relaxed`: committed with
    /// `synchronous = NORMAL` (the level is set before the transaction opens, as SQLite asks,
    /// and only when it changes).
    fn write_alone(&self, f: &mut dyn FnMut(&mut dyn WriteTx, &mut RefCache) -> Result<()>, relaxed: bool) -> Result<()> {
        let mut guard = lock(&self.writer);
        let slot = guard.as_mut().ok_or(TenthsError::Closed)?;
        self.refuse_when_damaged()?;
        if self.relax && self.relaxed.load(Ordering::SeqCst) != relaxed {
            slot.conn.pragma_update(None, "synchronous", if relaxed { "NORMAL" } else { "FULL" })?;
            self.relaxed.store(relaxed, Ordering::SeqCst);
        }
        let tx = slot.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        slot.cache.begin();
        let out = (|| {
            let mut stx = tx::SqliteTx::new(&tx);
            f(&mut stx, &mut slot.cache)?;
            stx.feed.flush(&tx)
        })()
        .and_then(|()| tx.commit().map_err(TenthsError::from));
        match &out {
            Ok(()) => slot.cache.commit(),
            Err(_) => slot.cache.rollback(),
        }
        self.note_damage(out)
    }

    /// An idle reader, waiting for one when all are busy.
    fn take_reader(&self) -> Result<Slot> {
        let mut idle = lock(&self.readers);
        loop {
            if self.is_closed() {
                return Err(TenthsError::Closed);
            }
            if let Some(s) = idle.pop() {
                return Ok(s);
            }
            idle = self.reader_ready.wait(idle).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Backend for SqliteBackend {
    fn read(&self, f: &mut dyn FnMut(&mut dyn ReadTx, &mut RefCache) -> Result<()>) -> Result<()> {
        if self.reader_count == 0 {
            return self.note_damage(self.on_writer(f));
        }
        let mut slot = self.take_reader()?;
        let out = (|| {
            // Cached statements: `execute_batch` would parse the SQL again on every read.
            slot.conn.prepare_cached("BEGIN DEFERRED")?.execute([])?;
            slot.cache.begin();
            let r = f(&mut tx::SqliteTx::new(&slot.conn), &mut slot.cache);
            slot.cache.commit();
            let _ = slot.conn.prepare_cached("COMMIT").and_then(|mut s| s.execute([]));
            r
        })();
        if !self.is_closed() {
            lock(&self.readers).push(slot);
            self.reader_ready.notify_one();
        }
        self.note_damage(out)
    }

    fn write(&self, f: &mut dyn FnMut(&mut dyn WriteTx, &mut RefCache) -> Result<()>) -> Result<()> {
        if let Some(groups) = &self.groups {
            return self.note_damage(self.write_grouped(groups, f));
        }
        self.write_alone(f, false)
    }

    fn write_refetchable(&self, f: &mut dyn FnMut(&mut dyn WriteTx, &mut RefCache) -> Result<()>) -> Result<()> {
        match self.relax {
            true => self.write_alone(f, true),
            false => self.write(f),
        }
    }

    fn close(&self) -> Result<()> {
        self.closed.store(true, Ordering::SeqCst);
        let mut writer = lock(&self.writer);
        // A group whose members handed the connection on is settled first: they wait for it.
        if let (Some(groups), Some(slot)) = (&self.groups, writer.as_mut()) {
            if groups.open_id().is_some() {
                groups.publish(&group::finish(slot, None));
            }
        }
        let taken = writer.take();
        drop(writer);
        lock(&self.readers).clear();
        self.reader_ready.notify_all();
        if let Some(slot) = taken {
            if self.refuse_when_damaged().is_err() {
                // A damaged file is left as it was found: what was committed stays in the WAL.
                close_untouched(slot.conn);
                return Ok(());
            }
            if self.path.is_some() {
                // Fold the WAL back so the file is complete on its own.
                let _ = slot.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
            }
            slot.conn.close().map_err(|(_, e)| TenthsError::from(e))?;
        }
        Ok(())
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    fn health(&self) -> Result<()> {
        if self.is_closed() {
            return Err(TenthsError::Closed);
        }
        self.refuse_when_damaged()
    }

    fn sizes(&self) -> Option<crate::store::StoreSizes> {
        let path = self.path.as_ref()?;
        let size_of = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        Some(crate::store::StoreSizes { database_bytes: size_of(path), wal_bytes: size_of(Path::new(&wal)) })
    }

    fn describe(&self) -> String {
        match &self.path {
            Some(p) => format!("sqlite:{}", p.display()),
            None => "sqlite::memory:".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: std::os::raw::c_int) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    /// Busy, locked and disk full pass: they are `Unavailable` (retryable, HTTP 503); every other
    /// failure is `Storage`.
    #[test]
    fn passing_conditions_are_unavailable() {
        for code in [rusqlite::ffi::SQLITE_BUSY, rusqlite::ffi::SQLITE_LOCKED, rusqlite::ffi::SQLITE_FULL] {
            let e = TenthsError::from(failure(code));
            assert!(e.is_retryable(), "{e}");
            assert_eq!(e.kind(), crate::error::ErrorKind::Unavailable);
        }
        for code in [rusqlite::ffi::SQLITE_IOERR, rusqlite::ffi::SQLITE_CONSTRAINT] {
            let e = TenthsError::from(failure(code));
            assert!(!e.is_retryable(), "{e}");
            assert_eq!(e.kind(), crate::error::ErrorKind::Storage);
        }
        assert_eq!(TenthsError::from(rusqlite::Error::QueryReturnedNoRows).kind(), crate::error::ErrorKind::Storage);
    }

    fn temp_db(name: &str) -> std::path::PathBuf {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("tenths-sync-durability-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("db.sqlite")
    }

    /// The writer's `synchronous` level now (1 NORMAL, 2 FULL): the level its last commit ran at.
    fn level(b: &SqliteBackend) -> i64 {
        let guard = lock(&b.writer);
        guard.as_ref().map(|s| s.conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap()).unwrap()
    }

    /// A device's refetchable sync commits run at `synchronous = NORMAL` by default and every
    /// other write at FULL (decision 109); `sync_durability: Full`, `Normal` durability and group
    /// commit leave every commit at the engine's durability.
    #[test]
    fn refetchable_writes_commit_at_sync_durability() {
        assert_eq!(OpenOptions::default().sync_durability, Durability::Normal);
        let mut nothing = |_: &mut dyn WriteTx, _: &mut RefCache| Ok(());
        let b = SqliteBackend::open(&temp_db("default"), &OpenOptions::default()).unwrap();
        assert_eq!(level(&b), 2);
        b.write_refetchable(&mut nothing).unwrap();
        assert_eq!(level(&b), 1);
        b.write_refetchable(&mut nothing).unwrap();
        assert_eq!(level(&b), 1);
        b.write(&mut nothing).unwrap();
        assert_eq!(level(&b), 2);
        let full = SqliteBackend::open(&temp_db("full"), &OpenOptions { sync_durability: Durability::Full, ..OpenOptions::default() }).unwrap();
        full.write_refetchable(&mut nothing).unwrap();
        assert_eq!(level(&full), 2);
        let grouped = OpenOptions { group_commit: Some(GroupCommit::default()), ..OpenOptions::default() };
        let grouped = SqliteBackend::open(&temp_db("grouped"), &grouped).unwrap();
        grouped.write_refetchable(&mut nothing).unwrap();
        assert_eq!(level(&grouped), 2);
        let normal = SqliteBackend::open(&temp_db("normal"), &OpenOptions { durability: Durability::Normal, ..OpenOptions::default() }).unwrap();
        normal.write(&mut nothing).unwrap();
        assert_eq!(level(&normal), 1);
    }

    /// A damaged page, with any of its extended codes, and a file that stopped being a database
    /// are `Corrupt`: not retryable (decision 51).
    #[test]
    fn damage_is_corrupt() {
        for code in [rusqlite::ffi::SQLITE_CORRUPT, rusqlite::ffi::SQLITE_CORRUPT_INDEX, rusqlite::ffi::SQLITE_CORRUPT_SEQUENCE, rusqlite::ffi::SQLITE_NOTADB] {
            let e = TenthsError::from(failure(code));
            assert_eq!(e.kind(), crate::error::ErrorKind::Corrupt, "{e}");
            assert!(!e.is_retryable(), "{e}");
        }
    }
}
