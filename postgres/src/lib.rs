//! The PostgreSQL backend of tenths: the storage interface of the core ([`tenths::store`]) on a
//! PostgreSQL database that several `tenths serve` processes share. Devices keep SQLite; this
//! backend is the server of record, so it keeps no device sync state
//! ([`tenths::store::no_device_state`]).
//!
//! What this module decides:
//! - Client and pool: the synchronous `postgres` crate under an `r2d2` pool of [`PgConn`]s; each
//!   connection carries its own prepared statements (prepared on first use, kept for the
//!   connection's life) and its own reference cache.
//! - Transactions: every write is one `SERIALIZABLE` transaction, re-run from the start up to
//!   [`PgOptions::write_attempts`] times, after a random pause that grows with each attempt,
//!   when PostgreSQL reports a serialization failure or a deadlock; exhausted, it is the retryable [`TenthsError::Unavailable`]. Reads run in one
//!   `REPEATABLE READ READ ONLY` snapshot.
//! - Errors: a connection refused or dropped, a serialization failure, a deadlock, a statement
//!   timeout, too many connections, a pool that has no connection to give: `Unavailable` (HTTP
//!   503); the second running timer of a user (the partial unique index): `Conflict`, as on
//!   SQLite; anything else: `Storage`. No message carries the connection's password.
//! - Schema: versioned migrations (`migrations/000N_*.sql`), applied in one transaction under an
//!   advisory lock with their version in `tenths_schema_migrations`; a database written by a
//!   newer tenths is refused with `IncompatibleDatabase`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use postgres::{Client, NoTls, Statement};
use tenths::store::{Backend, ReadTx, RefCache, WriteTx};
use tenths::{Clock, Engine, SystemClock, TenthsError};

mod entries;
mod events;
mod idempotency;
mod reference;
pub mod sql;
mod tx;
mod webhooks;

/// Result of this crate: the engine's error type.
pub type Result<T> = std::result::Result<T, TenthsError>;

/// Migrations, in order; index + 1 is the schema version they produce. Released entries are
/// frozen: a change of schema is a new migration.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_idempotency.sql"),
    include_str!("../migrations/0003_events.sql"),
    include_str!("../migrations/0004_webhooks.sql"),
    include_str!("../migrations/0005_totals_index.sql"),
    include_str!("../migrations/0006_export_index.sql"),
    include_str!("../migrations/0007_overlap_index.sql"),
];

/// The schema version this code writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The advisory lock key that serialises migrations of one database ("tnth" as in the SQLite
/// application id, a fixed 64-bit key).
const MIGRATION_LOCK: i64 = 0x746e_7468_6d69_6772;

/// Options of [`open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// Connections of the pool (each holds its prepared statements and reference cache).
    pub pool_size: u32,
    /// Longest a statement may run, ms (0: no limit); past it the statement is cancelled and
    /// the operation answers `Unavailable`.
    pub statement_timeout_ms: u64,
    /// Longest to wait for a connection (opening one, or a free one from the pool), ms.
    pub connect_timeout_ms: u64,
    /// How many times a write transaction runs before a serialization failure is given up as
    /// `Unavailable` (at least 1).
    pub write_attempts: u32,
    /// The name the connections show in `pg_stat_activity` (e.g. the node's name).
    pub application_name: String,
    /// The schema the tables live in (`None`: the connection's default search path). Letters,
    /// digits and `_` only.
    pub schema: Option<String>,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions { pool_size: 8, statement_timeout_ms: 10_000, connect_timeout_ms: 5_000, write_attempts: 10, application_name: "tenths".into(), schema: None }
    }
}

/// Opens the engine on a PostgreSQL database (`postgresql://user:pass@host:port/dbname`),
/// migrating its schema, with the system clock.
pub fn open(url: &str, options: PgOptions) -> Result<Engine> {
    open_with_clock(url, options, Arc::new(SystemClock))
}

/// Like [`open`], with a clock.
pub fn open_with_clock(url: &str, options: PgOptions, clock: Arc<dyn Clock>) -> Result<Engine> {
    Ok(Engine::with_backend(Box::new(PgBackend::open(url, &options)?), clock))
}

/// Whether `target` names a PostgreSQL database (`postgresql://…` or `postgres://…`) rather
/// than a SQLite file: the one rule `tenths serve --db` and the bindings' `Engine(path)` share.
pub fn is_url(target: &str) -> bool {
    target.starts_with("postgresql://") || target.starts_with("postgres://")
}

/// Opens the engine of `target`: a PostgreSQL URL ([`is_url`]) on this backend with `pg`,
/// anything else as a SQLite file with `sqlite`, on `clock`.
pub fn open_target(target: &str, sqlite: tenths::OpenOptions, pg: PgOptions, clock: Arc<dyn Clock>) -> Result<Engine> {
    if is_url(target) {
        open_with_clock(target, pg, clock)
    } else {
        Engine::open_with(target, sqlite, clock)
    }
}

/// `target` as it may be shown or logged: a PostgreSQL URL without its password
/// (`postgresql://user@host/db`), anything else as it is.
pub fn shown(target: &str) -> String {
    let Some((scheme, rest)) = target.split_once("://").filter(|_| is_url(target)) else {
        return target.to_string();
    };
    match rest.rsplit_once('@') {
        Some((credentials, place)) => {
            let user = credentials.split_once(':').map_or(credentials, |(user, _)| user);
            format!("{scheme}://{user}@{place}")
        }
        None => target.to_string(),
    }
}

fn storage(reason: impl std::fmt::Display) -> TenthsError {
    TenthsError::Storage { reason: reason.to_string() }
}

fn unavailable(reason: impl std::fmt::Display) -> TenthsError {
    TenthsError::Unavailable { reason: reason.to_string() }
}

/// [`from_pg`] for `map_err`.
fn pg(e: postgres::Error) -> TenthsError {
    from_pg(&e)
}

/// Whether a PostgreSQL error passes with time (see the module header).
fn passes(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    match e.code() {
        Some(code) => {
            let class = code.code().get(..2).unwrap_or("");
            // 08: connection exception; 53: insufficient resources (too many connections, disk
            // full, out of memory); 57P: the server shuts down or starts.
            class == "08"
                || class == "53"
                || code.code().starts_with("57P")
                || [&SqlState::T_R_SERIALIZATION_FAILURE, &SqlState::T_R_DEADLOCK_DETECTED, &SqlState::QUERY_CANCELED, &SqlState::LOCK_NOT_AVAILABLE]
                    .contains(&code)
        }
        // No SQL state: the connection failed, closed or timed out; a value that did not
        // convert has a source that is not an I/O error.
        None => e.is_closed() || std::error::Error::source(e).is_none_or(|s| s.is::<std::io::Error>()),
    }
}

/// Whether a write transaction failed only because another one ran at the same time (it is
/// worth running again from the start).
fn retry_write(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    matches!(e.code(), Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

/// A PostgreSQL error as the engine's.
pub(crate) fn from_pg(e: &postgres::Error) -> TenthsError {
    let reason = match e.as_db_error() {
        Some(db) => format!("PostgreSQL {}: {}", db.code().code(), db.message()),
        None => format!("PostgreSQL: {e}"),
    };
    if passes(e) {
        unavailable(reason)
    } else {
        storage(reason)
    }
}

/// A connection of the pool: the client, its prepared statements and its reference cache.
#[doc(hidden)]
pub struct PgConn {
    client: Client,
    statements: HashMap<&'static str, Statement>,
    cache: RefCache,
    /// Whether a transaction failed in a way that may leave the session unusable.
    broken: bool,
}

/// Opens connections for the pool.
#[doc(hidden)]
pub struct Manager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> std::result::Result<PgConn, postgres::Error> {
        Ok(PgConn { client: self.config.connect(NoTls)?, statements: HashMap::new(), cache: RefCache::default(), broken: false })
    }

    fn is_valid(&self, conn: &mut PgConn) -> std::result::Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.broken || conn.client.is_closed()
    }
}

/// The connection settings of a URL and options; a URL that does not parse is refused without
/// repeating it (it may hold a password).
fn config(url: &str, options: &PgOptions) -> Result<postgres::Config> {
    let mut config: postgres::Config = url.parse().map_err(|_| TenthsError::InvalidArgument {
        field: "db".into(),
        reason: "not a PostgreSQL connection URL (postgresql://user:password@host:port/dbname)".into(),
    })?;
    // Custom plans: a statement prepared while its tables were small (a new tenant, a bulk
    // import inside one transaction) would otherwise keep a generic plan of sequential scans.
    let mut settings = format!("-c statement_timeout={} -c plan_cache_mode=force_custom_plan", options.statement_timeout_ms);
    if let Some(schema) = &options.schema {
        if schema.is_empty() || !schema.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(TenthsError::InvalidArgument { field: "schema".into(), reason: "letters, digits and _ only".into() });
        }
        settings.push_str(&format!(" -c search_path={schema}"));
    }
    config.options(&settings);
    config.application_name(&options.application_name);
    config.connect_timeout(Duration::from_millis(options.connect_timeout_ms.max(1)));
    Ok(config)
}

/// Connecting failed: name the server (never the password) and keep the retryable kind when the
/// server could not be reached.
fn connect_error(config: &postgres::Config, e: postgres::Error) -> TenthsError {
    let user = config.get_user().unwrap_or("(default user)");
    let db = config.get_dbname().unwrap_or("(default database)");
    let err = from_pg(&e);
    let reason = format!("cannot connect to PostgreSQL database {db} as {user}: {err}");
    match err {
        TenthsError::Unavailable { .. } => unavailable(reason),
        _ => TenthsError::IncompatibleDatabase { reason },
    }
}

/// Brings the schema to [`SCHEMA_VERSION`] in one transaction under an advisory lock, so two
/// processes starting at once migrate once; refuses a database of a newer tenths.
fn migrate(client: &mut Client) -> Result<()> {
    let mut tx = client.transaction().map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(pg)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS tenths_schema_migrations (version bigint PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
        .map_err(pg)?;
    let version: i64 = tx.query_one("SELECT coalesce(max(version), 0) FROM tenths_schema_migrations", &[]).map_err(pg)?.get(0);
    if version > SCHEMA_VERSION {
        return Err(TenthsError::IncompatibleDatabase {
            reason: format!("the database has schema version {version}, newer than this tenths ({SCHEMA_VERSION}); upgrade tenths"),
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
        let to = i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1);
        tx.batch_execute(sql).map_err(|e| storage(format!("migration to version {to} failed: {}", from_pg(&e))))?;
        tx.execute("INSERT INTO tenths_schema_migrations (version) VALUES ($1)", &[&to]).map_err(pg)?;
    }
    tx.commit().map_err(pg)
}

/// Connects, migrates the schema and builds the pool of the backend; with the description of
/// the database (host and name, never the password).
fn pool(url: &str, options: &PgOptions) -> Result<(r2d2::Pool<Manager>, String)> {
    let config = config(url, options)?;
    let mut first = config.connect(NoTls).map_err(|e| connect_error(&config, e))?;
    migrate(&mut first)?;
    drop(first);
    let description =
        format!("postgresql:{}/{}", config.get_hosts().first().map(|h| format!("{h:?}")).unwrap_or_default(), config.get_dbname().unwrap_or_default());
    let pool = r2d2::Pool::builder()
        .max_size(options.pool_size.max(1))
        .min_idle(Some(0))
        .test_on_check_out(false)
        .connection_timeout(Duration::from_millis(options.connect_timeout_ms.max(1)))
        .error_handler(Box::new(r2d2::NopErrorHandler))
        .build_unchecked(Manager { config });
    Ok((pool, description))
}

/// Not part of the API: the backend's pool and connections without the engine, for the raw
/// baseline of the benchmarks (`benches/benches/postgres.rs`): the same connection settings,
/// the same per-connection prepared statements, the same transaction statements.
#[doc(hidden)]
pub mod raw {
    use postgres::{Client, Statement};

    pub use crate::{Manager, PgConn};
    use crate::{PgOptions, Result};

    /// The statement that opens a write transaction.
    pub const BEGIN_WRITE: &str = "BEGIN ISOLATION LEVEL SERIALIZABLE";
    /// The statement that opens a read snapshot.
    pub const BEGIN_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

    /// A pool built as the backend's.
    pub type Pool = r2d2::Pool<Manager>;

    /// Connects, migrates and builds a pool exactly as [`crate::open`] does.
    pub fn pool(url: &str, options: &PgOptions) -> Result<Pool> {
        crate::pool(url, options).map(|(p, _)| p)
    }

    impl PgConn {
        /// The client and `sql` prepared on this connection (prepared on first use and kept,
        /// as the backend's statements are).
        pub fn prepared(&mut self, sql: &'static str) -> Result<(&mut Client, Statement)> {
            let s = match self.statements.get(sql) {
                Some(s) => s.clone(),
                None => {
                    let s = self.client.prepare(sql).map_err(crate::pg)?;
                    self.statements.insert(sql, s.clone());
                    s
                }
            };
            Ok((&mut self.client, s))
        }

        /// The client.
        pub fn client(&mut self) -> &mut Client {
            &mut self.client
        }
    }
}

/// The PostgreSQL store of an engine: a pool of connections to one database.
pub struct PgBackend {
    pool: r2d2::Pool<Manager>,
    write_attempts: u32,
    closed: AtomicBool,
    description: String,
}

impl PgBackend {
    /// Connects, migrates the schema and builds the pool. A server that cannot be reached is
    /// `Unavailable`; a refused login or a database of a newer tenths is `IncompatibleDatabase`.
    pub fn open(url: &str, options: &PgOptions) -> Result<PgBackend> {
        let (pool, description) = pool(url, options)?;
        Ok(PgBackend { pool, write_attempts: options.write_attempts.max(1), closed: AtomicBool::new(false), description })
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<Manager>> {
        if self.is_closed() {
            return Err(TenthsError::Closed);
        }
        self.pool.get().map_err(|e| unavailable(format!("no PostgreSQL connection: {e}")))
    }

    /// Runs one write transaction on `conn`: `Ok(Err(e))` when `e` came from PostgreSQL and the
    /// whole transaction may be run again.
    fn write_once(conn: &mut PgConn, f: &mut dyn FnMut(&mut dyn WriteTx, &mut RefCache) -> Result<()>) -> std::result::Result<Result<()>, postgres::Error> {
        let PgConn { client, statements, cache, broken } = conn;
        let mut failure = None;
        let out = (|| {
            client.batch_execute(raw::BEGIN_WRITE).map_err(|e| tx::note(&mut failure, e))?;
            cache.begin();
            let mut t = tx::PgTx::new(client, statements, &mut failure);
            f(&mut t, cache)?;
            t.flush()?;
            drop(t);
            client.batch_execute("COMMIT").map_err(|e| tx::note(&mut failure, e))
        })();
        match &out {
            Ok(()) => cache.commit(),
            Err(_) => {
                cache.rollback();
                if client.batch_execute("ROLLBACK").is_err() {
                    *broken = true;
                }
            }
        }
        match failure {
            Some(e) if out.is_err() && retry_write(&e) => Err(e),
            _ => Ok(out),
        }
    }
}

/// The pause before running a write again: a random time up to 2 ms × 2^(attempt − 1), at most
/// 100 ms ("full jitter"). Two writers that conflicted and ran again at once would conflict
/// again; a random pause spreads them apart (decision 79).
fn retry_pause(attempt: u32) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let ceiling_us = 2_000u64.saturating_mul(1u64 << attempt.saturating_sub(1).min(16)).min(100_000);
    // RandomState is seeded at random per instance: a random number without a dependency.
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    Duration::from_micros(random % ceiling_us.max(1))
}

impl Backend for PgBackend {
    fn read(&self, f: &mut dyn FnMut(&mut dyn ReadTx, &mut RefCache) -> Result<()>) -> Result<()> {
        let mut conn = self.conn()?;
        let PgConn { client, statements, cache, broken } = &mut *conn;
        let mut failure = None;
        let out = (|| {
            client.batch_execute(raw::BEGIN_READ).map_err(|e| tx::note(&mut failure, e))?;
            cache.begin();
            let r = f(&mut tx::PgTx::new(client, statements, &mut failure), cache);
            cache.commit();
            r
        })();
        if client.batch_execute("COMMIT").is_err() {
            *broken = true;
        }
        out
    }

    fn write(&self, f: &mut dyn FnMut(&mut dyn WriteTx, &mut RefCache) -> Result<()>) -> Result<()> {
        let mut last = None;
        for attempt in 0..self.write_attempts {
            if attempt > 0 {
                std::thread::sleep(retry_pause(attempt));
            }
            let mut conn = self.conn()?;
            match PgBackend::write_once(&mut conn, f) {
                Ok(out) => return out,
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) => unavailable(format!("gave up after {} attempts: {}", self.write_attempts, from_pg(&e))),
            None => unavailable("no attempt ran"),
        })
    }

    fn close(&self) -> Result<()> {
        self.closed.store(true, Ordering::SeqCst);
        Ok(())
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A URL with a password that does not parse is refused without repeating it.
    #[test]
    fn a_bad_url_is_refused_without_its_password() {
        let Err(e) = config("postgresql://u:s3cret@host:notaport/db", &PgOptions::default()) else { panic!("a bad port must be refused") };
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert_eq!(e.kind(), tenths::ErrorKind::InvalidArgument);
    }

    /// A schema name is an identifier, never SQL.
    #[test]
    fn a_schema_name_that_is_not_an_identifier_is_refused() {
        let opts = PgOptions { schema: Some("x; DROP TABLE entries".into()), ..PgOptions::default() };
        assert!(config("postgresql://u@localhost/db", &opts).is_err());
        let opts = PgOptions { schema: Some("tenant_7".into()), ..PgOptions::default() };
        assert!(config("postgresql://u@localhost/db", &opts).is_ok());
    }
}

#[cfg(test)]
mod target_tests {
    use super::{is_url, shown};

    #[test]
    fn urls_are_told_from_paths_and_shown_without_their_password() {
        assert!(is_url("postgresql://u:p@h:5432/db") && is_url("postgres://h/db"));
        assert!(!is_url("entries.sqlite") && !is_url("/tmp/postgresql://x") && !is_url(":memory:"));
        assert_eq!(shown("postgresql://tenths:s3cr:et@db.internal:5432/tenths"), "postgresql://tenths@db.internal:5432/tenths");
        assert_eq!(shown("postgres://tenths@db/tenths"), "postgres://tenths@db/tenths");
        assert_eq!(shown("postgresql://db.internal/tenths"), "postgresql://db.internal/tenths");
        assert_eq!(shown("/var/lib/tenths/firm.sqlite"), "/var/lib/tenths/firm.sqlite");
    }
}
