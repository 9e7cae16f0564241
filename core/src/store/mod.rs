//! The SQLite store: opening a file safely, pragmas, and versioned migrations. A file that is
//! not a tenths database, or was written by a newer tenths, is refused and left untouched.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{Result, TenthsError};

/// `PRAGMA application_id` of a tenths database ("tnth").
pub const APPLICATION_ID: i64 = 0x746e_7468;

/// Migrations, in order; index + 1 is the schema version they produce. Released entries are
/// frozen: a change of schema is a new migration.
const MIGRATIONS: &[&str] = &[include_str!("migrations/0001_initial.sql"), include_str!("migrations/0002_sync.sql")];

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
    /// Page cache per connection, KiB.
    pub cache_size_kib: i64,
    /// Read-only connections kept beside the writer (file databases only); reads wait for a
    /// free one. 0 reads on the writer.
    pub readers: usize,
    /// How long a statement waits for a lock held by another process, ms.
    pub busy_timeout_ms: u64,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { durability: Durability::Full, cache_size_kib: 16 * 1024, readers: 4, busy_timeout_ms: 5_000 }
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

/// Refuses anything that is not a SQLite file before SQLite sees it (SQLite would otherwise
/// happily treat an empty or foreign file as its own).
fn check_header(path: &Path) -> Result<()> {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else { return Ok(()) };
    let mut header = [0u8; 16];
    let n = f.read(&mut header).map_err(|e| TenthsError::Storage { reason: format!("cannot read {}: {e}", path.display()) })?;
    if n == 0 {
        return Ok(());
    }
    if n < 16 || &header != b"SQLite format 3\0" {
        return Err(incompatible(format!("{} is not a SQLite database; it was left untouched", path.display())));
    }
    Ok(())
}

/// Opens (creating if needed) the writer connection and migrates the schema.
pub(crate) fn open_writer(path: &Path, opts: &OpenOptions) -> Result<Connection> {
    check_header(path)?;
    let conn = Connection::open(path).map_err(|e| incompatible(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_millis(opts.busy_timeout_ms))?;
    // Refuse a foreign or newer file before anything writes to it (switching to WAL rewrites the
    // header).
    check_compatible(&conn)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| incompatible(format!("{} cannot be opened as a database: {e}", path.display())))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(TenthsError::Storage { reason: format!("WAL mode is not available for {} (got {mode})", path.display()) });
    }
    apply_pragmas(&conn, opts, false)?;
    migrate(&conn)?;
    Ok(conn)
}

/// Opens a private in-memory database.
pub(crate) fn open_memory(opts: &OpenOptions) -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    apply_pragmas(&conn, opts, true)?;
    migrate(&conn)?;
    Ok(conn)
}

/// Opens a read-only connection to a file database.
pub(crate) fn open_reader(path: &Path, opts: &OpenOptions) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI)?;
    apply_pragmas(&conn, opts, false)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// Reads the schema version, refusing another application's database or a newer schema.
fn check_compatible(conn: &Connection) -> Result<i64> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| incompatible(format!("the file cannot be read as a database ({e}); it was left untouched")))?;
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
pub(crate) fn migrate(conn: &Connection) -> Result<()> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
        .map_err(|e| incompatible(format!("cannot lock the database to check its schema: {e}")))?;
    let version = check_compatible(&tx)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
        tx.execute_batch(sql).map_err(|e| TenthsError::Storage { reason: format!("migration to version {} failed: {e}", i + 1) })?;
    }
    if version < SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    }
    tx.commit()?;
    Ok(())
}

pub(crate) mod entries;
pub(crate) mod lookups;
pub(crate) mod reference;

pub use entries::Stats;
