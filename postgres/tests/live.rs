//! The PostgreSQL backend against a real server (`TENTHS_TEST_PG_URL`, set by
//! `scripts/with-postgres`): the schema's keys, migrations (a newer database refused, two
//! processes migrating at once), the start-up error of a wrong password, a connection cut in
//! the middle of a write, a statement past the statement timeout, and the health check of an
//! unreachable database. Without the URL each test says it was skipped and passes, unless
//! `TENTHS_REQUIRE_PG=1`.
//!
//! ```text
//! TENTHS_REQUIRE_PG=1 scripts/with-postgres cargo test -p tenths-postgres
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use postgres::{Client, NoTls};
use tenths::store::Backend;
use tenths::{ErrorKind, FixedClock, ObjectId, Timestamp};
use tenths_postgres::{PgBackend, PgOptions};

/// The test database's URL, or `None` (skip) when not required.
fn url() -> Option<String> {
    let url = std::env::var("TENTHS_TEST_PG_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        assert!(
            !std::env::var("TENTHS_REQUIRE_PG").is_ok_and(|v| v == "1"),
            "TENTHS_REQUIRE_PG=1 but TENTHS_TEST_PG_URL is not set: run under scripts/with-postgres"
        );
        eprintln!("skipped: TENTHS_TEST_PG_URL is not set");
    }
    url
}

fn admin(url: &str) -> Client {
    Client::connect(url, NoTls).expect("connect to the test database")
}

/// A name no other test of any process uses.
fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}{}_{}_{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// A fresh schema, dropped at the end.
struct Schema {
    url: String,
    name: String,
}

impl Schema {
    fn new(url: &str) -> Schema {
        let name = unique("live");
        admin(url).batch_execute(&format!("CREATE SCHEMA {name}")).expect("create schema");
        Schema { url: url.to_string(), name }
    }
    fn options(&self) -> PgOptions {
        PgOptions { schema: Some(self.name.clone()), pool_size: 2, ..PgOptions::default() }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = admin(&self.url).batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name));
    }
}

/// `customer_id` is the first column of every primary key and unique index, and every foreign
/// key includes it (the schema can be distributed by tenant).
#[test]
fn every_key_leads_with_customer_id() {
    let Some(url) = url() else { return };
    let schema = Schema::new(&url);
    PgBackend::open(&url, &schema.options()).expect("open");
    let mut c = admin(&url);
    let indexes = c
        .query(
            "SELECT t.relname::text, i.relname::text, a.attname::text FROM pg_index x
             JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
             WHERE n.nspname = $1 AND x.indisunique AND t.relname <> 'tenths_schema_migrations'",
            &[&schema.name],
        )
        .expect("indexes");
    assert!(indexes.len() >= 20, "only {} unique indexes found", indexes.len());
    for r in &indexes {
        let (table, index, first): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        assert_eq!(first, "customer_id", "unique index {index} of {table} starts with {first}");
    }
    let fks = c
        .query(
            "SELECT t.relname::text, k.conname::text, bool_or(a.attname = 'customer_id') FROM pg_constraint k
             JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (k.conkey)
             WHERE n.nspname = $1 AND k.contype = 'f' GROUP BY 1, 2",
            &[&schema.name],
        )
        .expect("foreign keys");
    assert!(fks.len() >= 10, "only {} foreign keys found", fks.len());
    for r in &fks {
        let (table, fk, has): (String, String, bool) = (r.get(0), r.get(1), r.get(2));
        assert!(has, "foreign key {fk} of {table} does not include customer_id");
    }
}

/// A database migrated by a newer tenths is refused, naming both versions, and left as it was.
#[test]
fn a_newer_schema_is_refused() {
    let Some(url) = url() else { return };
    let schema = Schema::new(&url);
    PgBackend::open(&url, &schema.options()).expect("open");
    admin(&url).batch_execute(&format!("INSERT INTO {}.tenths_schema_migrations (version) VALUES (99)", schema.name)).expect("bump");
    let Err(e) = PgBackend::open(&url, &schema.options()) else { panic!("a newer database must be refused") };
    assert_eq!(e.kind(), ErrorKind::IncompatibleDatabase, "{e}");
    assert!(e.to_string().contains("99") && e.to_string().contains("newer"), "{e}");
}

/// Processes starting at once on an empty database migrate it once (the advisory lock), and
/// every one of them opens.
#[test]
fn processes_starting_at_once_migrate_once() {
    let Some(url) = url() else { return };
    let schema = Schema::new(&url);
    let opened: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| PgBackend::open(&url, &schema.options()).is_ok())).collect();
        handles.into_iter().map(|h| h.join().unwrap_or(false)).collect()
    });
    assert_eq!(opened, vec![true; 4]);
    let versions: i64 = admin(&url).query_one(&format!("SELECT count(*) FROM {}.tenths_schema_migrations", schema.name), &[]).expect("versions").get(0);
    assert_eq!(versions, tenths_postgres::SCHEMA_VERSION);
}

/// A wrong password is a clear start-up error that names the user and never the password.
#[test]
fn a_wrong_password_is_a_clear_error_without_the_password() {
    let Some(url) = url() else { return };
    let config: postgres::Config = url.parse().expect("test URL");
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("postgres");
    let bad = format!("postgresql://tenths_password_test:Wr0ng-S3cret@127.0.0.1:{port}/{db}");
    let Err(e) = tenths_postgres::open(&bad, PgOptions::default()) else { panic!("a wrong password must be refused") };
    let text = e.to_string();
    assert!(!text.contains("Wr0ng-S3cret"), "the password leaked: {text}");
    assert!(text.contains("password authentication failed") && text.contains("tenths_password_test"), "{text}");
    assert_eq!(e.kind(), ErrorKind::IncompatibleDatabase);
}

fn oid(n: u64) -> ObjectId {
    ObjectId::parse(&format!("{n:024x}")).expect("id")
}

/// A connection cut between two statements of one write is a retryable `Unavailable`, and
/// nothing of that write is stored.
#[test]
fn a_connection_cut_mid_write_stores_nothing() {
    let Some(url) = url() else { return };
    let schema = Schema::new(&url);
    let app = unique("cut");
    let backend = PgBackend::open(&url, &PgOptions { application_name: app.clone(), ..schema.options() }).expect("open");
    let now = Timestamp::from_millis(1_700_000_000_000).expect("now");
    let mut runs = 0;
    let out = backend.write(&mut |tx, _| {
        runs += 1;
        tx.ensure_user(&oid(1), &oid(2), now)?;
        // Another session ends the engine's connection (its application name is this test's).
        let pids = admin(&url)
            .query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'", &[&app])
            .expect("terminate");
        assert!(!pids.is_empty(), "no connection of the engine was found");
        tx.ensure_user(&oid(1), &oid(3), now)
    });
    let Err(e) = out else { panic!("a cut connection must fail the write") };
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    assert_eq!(runs, 1, "a cut connection is not a serialization failure: the write is not run again");
    let users: i64 = admin(&url).query_one(&format!("SELECT count(*) FROM {}.users", schema.name), &[]).expect("count").get(0);
    let customers: i64 = admin(&url).query_one(&format!("SELECT count(*) FROM {}.customers", schema.name), &[]).expect("count").get(0);
    assert_eq!((users, customers), (0, 0));
    // The next write gets a working connection.
    backend.write(&mut |tx, _| tx.ensure_user(&oid(1), &oid(2), now)).expect("a later write works");
}

/// The health check answers `Unavailable` (HTTP 503) when the database cannot be reached, and
/// recovers when it can again.
#[test]
fn the_health_check_is_unavailable_while_the_database_cannot_be_reached() {
    let Some(url) = url() else { return };
    let role = unique("lim");
    let schema = unique("hz");
    let mut a = admin(&url);
    a.batch_execute(&format!("CREATE ROLE {role} LOGIN; CREATE SCHEMA {schema} AUTHORIZATION {role}")).expect("role");
    let config: postgres::Config = url.parse().expect("test URL");
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("postgres");
    let role_url = format!("postgresql://{role}@127.0.0.1:{port}/{db}");
    let options = PgOptions { schema: Some(schema.clone()), pool_size: 1, connect_timeout_ms: 2_000, ..PgOptions::default() };
    let engine = tenths_postgres::open_with_clock(&role_url, options, Arc::new(FixedClock::new(Timestamp::from_millis(0).expect("t"))))
        .expect("open as the limited role");
    engine.check_store().expect("reachable");
    // No new connection of the role is accepted, and its open one is ended.
    a.batch_execute(&format!("ALTER ROLE {role} CONNECTION LIMIT 0")).expect("limit");
    a.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", &[&role]).expect("terminate");
    let e = engine.check_store().expect_err("unreachable");
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    let response = tenths::api::Router::new().handle(
        &engine,
        &tenths::api::Request { method: "GET".into(), path: "/healthz".into(), headers: Vec::new(), body: Vec::new(), principal: None, request_id: None },
    );
    assert_eq!(response.status, 503);
    a.batch_execute(&format!("ALTER ROLE {role} CONNECTION LIMIT -1")).expect("unlimit");
    engine.check_store().expect("reachable again");
    drop(engine);
    let _ = a.batch_execute(&format!("DROP SCHEMA {schema} CASCADE; DROP ROLE {role}"));
}

/// Two writes that read then update one row at the same time: PostgreSQL refuses the second
/// (serialization failure), and the backend runs it again from the start in a new transaction,
/// so both apply, once each.
#[test]
fn a_serialization_failure_runs_the_write_again() {
    let Some(url) = url() else { return };
    let schema = Schema::new(&url);
    let backend = PgBackend::open(&url, &schema.options()).expect("open");
    let customer = oid(7);
    backend.write(&mut |tx, _| tx.bump_reference_version(&customer)).expect("first version");
    let both_read = std::sync::Barrier::new(2);
    let runs: Vec<u32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut runs = 0u32;
                    backend
                        .write(&mut |tx, _| {
                            runs += 1;
                            let seen = tx.reference_version(&customer)?;
                            assert!(seen >= 1);
                            if runs == 1 {
                                // Both transactions have read the row before either writes it.
                                both_read.wait();
                            }
                            tx.bump_reference_version(&customer)
                        })
                        .expect("the write applies");
                    runs
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let mut sorted = runs.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![1, 2], "one write ran twice: {runs:?}");
    let mut version = 0;
    backend
        .read(&mut |tx, _| {
            version = tx.reference_version(&customer)?;
            Ok(())
        })
        .expect("read");
    assert_eq!(version, 3, "each write applied exactly once");
}

/// A statement that runs past the statement timeout (here: it waits on a table another session
/// holds locked) is cancelled: a retryable `Unavailable`, nothing of the write stored, and the
/// connection works again for the next write once the lock is gone.
#[test]
fn a_statement_timeout_is_unavailable_and_stores_nothing() {
    let Some(url) = url() else { return };
    let schema = Schema::new(&url);
    let backend = PgBackend::open(&url, &PgOptions { statement_timeout_ms: 300, ..schema.options() }).expect("open");
    let now = Timestamp::from_millis(1_700_000_000_000).expect("now");
    // Another session holds the users table until it ends its transaction.
    let mut holder = admin(&url);
    let mut lock = holder.transaction().expect("begin");
    lock.batch_execute(&format!("LOCK TABLE {}.users IN ACCESS EXCLUSIVE MODE", schema.name)).expect("lock");
    let started = std::time::Instant::now();
    let out = backend.write(&mut |tx, _| {
        tx.ensure_user(&oid(1), &oid(2), now)?;
        tx.ensure_user(&oid(1), &oid(3), now)
    });
    let Err(e) = out else { panic!("a statement past the timeout must fail the write") };
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    assert!(e.to_string().contains("57014"), "the statement timeout's SQLSTATE is named: {e}");
    eprintln!("statement timeout answered after {:?}", started.elapsed());
    lock.rollback().expect("unlock");
    let customers: i64 = admin(&url).query_one(&format!("SELECT count(*) FROM {}.customers", schema.name), &[]).expect("count").get(0);
    assert_eq!(customers, 0, "nothing of the cancelled write is stored");
    backend.write(&mut |tx, _| tx.ensure_user(&oid(1), &oid(2), now)).expect("a later write works");
    let users: i64 = admin(&url).query_one(&format!("SELECT count(*) FROM {}.users", schema.name), &[]).expect("count").get(0);
    assert_eq!(users, 1);
}

/// A bulk import analyzes the tables it fills inside its own transaction (decision 90): with
/// statistics left from other rows (another tenant's, then emptied), PostgreSQL would check each
/// new source's foreign key by scanning the importing tenant's entries through another index.
/// An import of 2,500 entries runs one `ANALYZE`, visible in the catalog once it commits.
#[test]
fn a_bulk_import_analyzes_the_tables_it_fills() {
    let Some(url) = url() else { return };
    let schema = Schema::new(&url);
    let clock = Arc::new(FixedClock::new(Timestamp::from_millis(1_700_000_000_000).expect("now")));
    let engine = tenths_postgres::open_with_clock(&url, schema.options(), clock).expect("open");
    let analyzed = |table: &str| -> i64 {
        admin(&url)
            .query_one("SELECT analyze_count FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = $2", &[&schema.name, &table])
            .expect("stats")
            .get(0)
    };
    let scope = tenths::Scope::new(oid(1), oid(2));
    let day = tenths::Date::parse("2026-03-02").expect("day");
    let entries = |n: usize| -> Vec<tenths::NewEntry> {
        (0..n)
            .map(|_| tenths::NewEntry { summary: Some("Imported".into()), duration_in_seconds: Some(360), work_date: Some(day), ..Default::default() })
            .collect()
    };
    engine.import_entries(&scope, &entries(1_999)).expect("a smaller import");
    assert_eq!(analyzed("entries"), 0, "fewer than 2,000 entries in one transaction: no ANALYZE");
    engine.import_entries(&scope, &entries(2_500)).expect("a bulk import");
    // The statistics collector reports a moment later.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while analyzed("entries") == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!((analyzed("entries"), analyzed("sources")), (1, 1), "one ANALYZE of each table the import fills");
    assert_eq!(engine.list_entries(&scope, day, day).expect("list").len(), 4_499);
}
