//! The conformance harness: the cross-crate suites, run unchanged against any storage backend.
//!
//! A [`Backend`] is a factory of fresh, empty engines on a given clock. Every suite in
//! [`crate::suites`] is a set of `pub fn name(backend: &dyn Backend)` bodies that open their
//! engines through the factory and never call `Engine::open_*` themselves. The one exception is
//! the device side of the sync suites: devices are SQLite files on purpose (they are what a phone
//! runs), and the backend under test plays the server.
//!
//! [`conformance_tests!`](crate::conformance_tests) expands to one `#[test]` per suite test, in a
//! module named after the suite (`golden::full_shape`, `api_auth::every_route_with_eight_identities`,
//! …), so a backend runs every suite by adding one test file that holds one line:
//!
//! ```text
//! tenths_tests::conformance_tests!(tenths_tests::conformance::SqliteMemory);
//! ```
//!
//! That is `tests/tests/conformance_sqlite.rs`; a second backend's crate adds the same line with
//! its own factory. The suites that stay SQLite-only (migrations and foreign files in
//! `tests/tests/store.rs`, the timer table's partial unique index, the OpenAPI document) remain
//! ordinary test files. The suites reach the HTTP API only through [`crate::http::Api`], so the
//! router's move off `Engine` touches that one adapter.
//!
//! Two choices differ from a bare `fn open(clock) -> Engine`:
//!
//! - [`Backend::open`] answers an [`Opened`], which dereferences to the [`Engine`] (suites call the
//!   engine exactly as before) and also keeps what the store lives in (a temporary directory, a
//!   scratch database) alive until the engine is dropped, and knows how to list every stored row.
//!   The bad-input suites prove that a refused call changed nothing by comparing every row of
//!   every table before and after; only the backend can read its rows.
//! - [`Backend::open_inspectable`] is what those suites call. An in-memory SQLite database is
//!   private to the engine's connection, so nothing outside can read its rows: [`SqliteMemory`]
//!   answers `open_inspectable` with a database file in a temporary directory (as those suites did
//!   before the harness) and `open` with an in-memory one. A backend whose rows can always be read
//!   implements `open` only; the default `open_inspectable` calls it.
//!
//! Adding a test to a suite means adding its name to the list in the macro; the unit test at the
//! bottom of this file fails when a suite function is missing from the list (or the list names one
//! that does not exist), so no test can be silently dropped.

use std::any::Any;
use std::ops::Deref;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tenths::{Clock, Durability, Engine, FixedClock, GroupCommit, OpenOptions};

use crate::TempDir;

/// A storage backend under test: a factory of fresh, empty engines.
pub trait Backend {
    /// A short name for messages (`sqlite-memory`, `postgres`).
    fn name(&self) -> &'static str;

    /// A fresh, empty engine on `clock`, sharing nothing with any other engine it opened.
    /// Panics when the store cannot be opened (the test fails there, which is what it should do).
    fn open(&self, clock: Arc<dyn Clock>) -> Opened;

    /// Like [`Backend::open`], for suites that call [`Opened::rows`]: the answer must be able to
    /// list every row it stores.
    fn open_inspectable(&self, clock: Arc<dyn Clock>) -> Opened {
        self.open(clock)
    }

    /// Why this backend cannot run here (`None`: it can). A test of a backend that cannot run
    /// says so and passes; a backend that must run (see [`Postgres::from_env`]) never answers
    /// `Some`.
    fn skip_reason(&self) -> Option<String> {
        None
    }

    /// How many random schedules the sync convergence suite runs when `TENTHS_SYNC_SCHEDULES`
    /// does not say.
    fn sync_schedules(&self) -> u64 {
        500
    }
}

/// An engine a [`Backend`] opened, with what it needs beside it.
pub struct Opened {
    // Declared first so it drops first: the engine closes before its directory or scratch
    // database goes away.
    engine: Engine,
    backend: &'static str,
    rows: Option<Box<dyn Fn() -> Vec<String>>>,
    _keep: Option<Box<dyn Any>>,
}

impl Opened {
    /// `engine`, opened by the backend named `backend`.
    pub fn new(backend: &'static str, engine: Engine) -> Opened {
        Opened { engine, backend, rows: None, _keep: None }
    }

    /// Lets [`Opened::rows`] list the store's rows with `rows`.
    pub fn with_rows(mut self, rows: impl Fn() -> Vec<String> + 'static) -> Opened {
        self.rows = Some(Box::new(rows));
        self
    }

    /// Keeps `resource` (a temporary directory, a guard that drops a scratch database) alive
    /// until after the engine is dropped.
    pub fn keeping(mut self, resource: impl Any) -> Opened {
        self._keep = Some(Box::new(resource));
        self
    }

    /// Every row of every table of the store, as text, in an order that depends only on the
    /// data: two calls answer equal lists exactly when nothing stored changed in between.
    pub fn rows(&self) -> Vec<String> {
        match &self.rows {
            Some(rows) => rows(),
            None => panic!("backend {}: this engine cannot list its rows; open it with `open_inspectable`", self.backend),
        }
    }
}

impl Deref for Opened {
    type Target = Engine;

    fn deref(&self) -> &Engine {
        &self.engine
    }
}

/// Opens an engine of `backend` on a clock fixed at `now` (RFC 3339); the suites' counterpart
/// of [`crate::engine_at`].
pub fn open_at(backend: &dyn Backend, now: &str) -> (Opened, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(crate::ts(now)));
    (backend.open(clock.clone()), clock)
}

/// The SQLite backend of the core: in-memory databases, and database files in a temporary
/// directory where the rows must be readable from outside (see the module header).
#[derive(Debug, Clone, Copy, Default)]
pub struct SqliteMemory;

impl Backend for SqliteMemory {
    fn name(&self) -> &'static str {
        "sqlite-memory"
    }

    fn open(&self, clock: Arc<dyn Clock>) -> Opened {
        Opened::new(self.name(), Engine::open_in_memory_with(clock).expect("open an in-memory engine"))
    }

    fn open_inspectable(&self, clock: Arc<dyn Clock>) -> Opened {
        // Parallel tests may start in the same nanosecond; the counter keeps their directories apart.
        static OPENED: AtomicU64 = AtomicU64::new(0);
        let dir = TempDir::new(&format!("conformance-{}", OPENED.fetch_add(1, Ordering::Relaxed)));
        let path = dir.file("store.sqlite");
        let engine = Engine::open_with(&path, OpenOptions::default(), clock).expect("open a file engine");
        Opened::new(self.name(), engine).with_rows(move || sqlite_rows(&path)).keeping(dir)
    }
}

/// The SQLite backend as `tenths serve` runs it: a database file in a temporary directory with
/// group commit on (decision 101; `synchronous = NORMAL` to keep the suites quick: grouping does
/// not depend on it). Every write is a member of a group, in a savepoint of its own.
#[derive(Debug, Clone, Copy, Default)]
pub struct SqliteGrouped;

impl Backend for SqliteGrouped {
    fn name(&self) -> &'static str {
        "sqlite-grouped"
    }

    fn open(&self, clock: Arc<dyn Clock>) -> Opened {
        static OPENED: AtomicU64 = AtomicU64::new(0);
        let dir = TempDir::new(&format!("conformance-grouped-{}", OPENED.fetch_add(1, Ordering::Relaxed)));
        let path = dir.file("store.sqlite");
        let options = OpenOptions { durability: Durability::Normal, group_commit: Some(GroupCommit::default()), ..OpenOptions::default() };
        let engine = Engine::open_with(&path, options, clock).expect("open a grouped file engine");
        Opened::new(self.name(), engine).with_rows(move || sqlite_rows(&path)).keeping(dir)
    }

    /// 100: the schedules' logic is proven by the 500 of the other backends; here they prove
    /// sync's own savepoints nest inside a group member's, on a file store (3x slower a schedule).
    fn sync_schedules(&self) -> u64 {
        100
    }
}

/// Every row of every table of a SQLite file, as text (`table:value|value|…`), read through a
/// connection of its own.
pub fn sqlite_rows(path: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open the database read-only");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .expect("list tables")
        .query_map([], |r| r.get(0))
        .expect("list tables")
        .map(|t| t.expect("table name"))
        .collect();
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1, 2")).expect("select a table");
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let mut s = format!("{t}:");
                for i in 0..n {
                    s.push_str(&format!("{:?}|", r.get_ref(i)?));
                }
                Ok(s)
            })
            .expect("read a table");
        out.extend(rows.map(|r| r.expect("read a row")));
    }
    out
}

/// The PostgreSQL backend (`tenths-postgres`): every engine in a fresh schema of its own in the
/// database `TENTHS_TEST_PG_URL` names (`scripts/with-postgres` starts a private server and sets
/// it), dropped with the engine, so tests run in parallel on one server.
#[derive(Debug, Clone, Default)]
pub struct Postgres {
    url: Option<String>,
}

impl Postgres {
    /// The database of `TENTHS_TEST_PG_URL`. Without it the tests are skipped, unless
    /// `TENTHS_REQUIRE_PG=1`: then this panics, so a run that must test PostgreSQL (CI) cannot
    /// pass by skipping.
    pub fn from_env() -> Postgres {
        let url = std::env::var("TENTHS_TEST_PG_URL").ok().filter(|u| !u.is_empty());
        if url.is_none() && std::env::var("TENTHS_REQUIRE_PG").is_ok_and(|v| v == "1") {
            panic!("TENTHS_REQUIRE_PG=1 but TENTHS_TEST_PG_URL is not set: run the tests under scripts/with-postgres");
        }
        Postgres { url }
    }

    fn url(&self) -> &str {
        self.url.as_deref().expect("TENTHS_TEST_PG_URL")
    }
}

/// An administrative connection to the test database.
pub fn pg_admin(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("connect to the test PostgreSQL (TENTHS_TEST_PG_URL)")
}

/// Migrated schemas emptied by an engine that is done with them, ready for the next one of this
/// process (creating and migrating a schema costs far more than emptying one; the sync suite
/// opens 500 servers).
static EMPTY_SCHEMAS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// An empty schema of the test database: a new one, or one an earlier engine of this process
/// emptied. On drop its rows are deleted and it goes back for reuse (dropped if that fails).
pub struct PgSchema {
    url: String,
    /// The schema's name.
    pub name: String,
}

impl PgSchema {
    /// An empty schema no other engine uses now.
    pub fn new(url: &str) -> PgSchema {
        if let Some(name) = EMPTY_SCHEMAS.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            return PgSchema { url: url.to_string(), name };
        }
        PgSchema::fresh(url)
    }

    /// A new schema with a name no other test of any process uses.
    pub fn fresh(url: &str) -> PgSchema {
        static MADE: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let name = format!("t{}_{}_{nanos}", std::process::id(), MADE.fetch_add(1, Ordering::Relaxed));
        pg_admin(url).batch_execute(&format!("CREATE SCHEMA {name}")).expect("create a test schema");
        PgSchema { url: url.to_string(), name }
    }

    /// Options of an engine whose tables live in this schema.
    pub fn options(&self) -> tenths_postgres::PgOptions {
        tenths_postgres::PgOptions { schema: Some(self.name.clone()), pool_size: 4, ..tenths_postgres::PgOptions::default() }
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let Ok(mut c) = postgres::Client::connect(&self.url, postgres::NoTls) else { return };
        // Every tenant table at once (no per-row key checks); the schema's version table stays,
        // so the next engine opens without migrating.
        let tables: Vec<String> = tenths_postgres::sql::TABLES.iter().map(|t| format!("{}.{t}", self.name)).collect();
        let empty = format!("TRUNCATE {}", tables.join(", "));
        if c.batch_execute(&empty).is_ok() {
            EMPTY_SCHEMAS.lock().unwrap_or_else(|p| p.into_inner()).push(std::mem::take(&mut self.name));
        } else {
            let _ = c.batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name));
        }
    }
}

impl Backend for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn open(&self, clock: Arc<dyn Clock>) -> Opened {
        let schema = PgSchema::new(self.url());
        let engine = tenths_postgres::open_with_clock(self.url(), schema.options(), clock).expect("open a PostgreSQL engine");
        let (url, name) = (self.url().to_string(), schema.name.clone());
        Opened::new(self.name(), engine).with_rows(move || pg_rows(&url, &name)).keeping(schema)
    }

    fn skip_reason(&self) -> Option<String> {
        self.url.is_none().then(|| "TENTHS_TEST_PG_URL is not set (run under scripts/with-postgres)".to_string())
    }
}

/// Every row of every tenant table of a schema, as text (`table:(row)`), in an order that
/// depends only on the data.
pub fn pg_rows(url: &str, schema: &str) -> Vec<String> {
    let mut admin = pg_admin(url);
    let mut out = Vec::new();
    for table in tenths_postgres::sql::TABLES {
        let rows = admin.query(&format!("SELECT t::text FROM {schema}.{table} t ORDER BY 1"), &[]).expect("read a table");
        out.extend(rows.iter().map(|r| format!("{table}:{}", r.get::<_, String>(0))));
    }
    out
}

/// One `#[test]` per suite test, each running the suite body against the backend given as the
/// argument (an expression whose type implements [`Backend`], evaluated once per test).
///
/// The tests land in one module per suite, named as the suite, with the suite function's name:
/// `vectors::every_vector_passes`, `golden::full_shape`, … Run one suite with
/// `cargo test -p tenths-tests --test conformance_sqlite golden::`.
#[macro_export]
macro_rules! conformance_tests {
    ($backend:expr) => {
        /// The backend under test: the argument of `conformance_tests!`.
        fn conformance_backend() -> impl $crate::conformance::Backend {
            $backend
        }

        $crate::conformance_tests! { @suites
            vectors {
                every_vector_passes,
            }
            golden {
                full_shape,
                flat_shape,
                export_item_and_csv,
                absent_optional_fields_are_omitted_and_failures_are_tagged,
            }
            api_auth {
                every_route_with_eight_identities,
                other_users_and_tenants_ids_are_the_same_404_as_missing_ones,
            }
            bad_input {
                engine_methods_refuse_bad_values_and_change_nothing,
            }
            bulk_create {
                each_item_is_answered_in_order_and_a_bad_one_stores_nothing,
                a_replayed_item_answers_the_same_entry_and_another_body_is_its_conflict,
                over_1000_items_is_413_and_1000_are_stored,
                a_non_object_item_or_a_bad_body_is_the_whole_batch_400,
                an_idempotency_key_replays_the_whole_answer,
            }
            idempotency {
                a_replay_answers_the_first_answer_and_does_the_work_once,
                the_same_key_with_another_request_is_422_and_does_nothing,
                a_refusal_is_kept_and_replayed,
                answers_expire_after_24_hours,
                keys_are_per_customer_and_user,
                a_malformed_key_is_400_and_a_key_on_a_read_is_ignored,
                concurrent_requests_with_one_key_do_the_work_once,
            }
            sync_convergence {
                devices_and_server_converge,
            }
            sync_bad_input {
                malformed_truncated_and_foreign_pushes_change_nothing,
                a_replayed_push_answers_its_first_answers_and_applies_nothing_twice,
                an_answer_that_does_not_match_the_batch_in_flight_is_refused,
                foreign_or_broken_pull_pages_are_refused_and_change_nothing,
                an_interrupted_sync_is_finished_by_the_next_one,
                an_offline_release_the_server_refuses_is_quarantined_with_the_rules_and_can_be_retried,
                an_edit_of_an_entry_released_on_the_server_meanwhile_is_quarantined_as_locked,
                a_second_refused_change_keeps_the_first,
                concurrent_edits_of_one_field_keep_the_servers_value_and_log_the_local_one,
                a_noop_sync_sends_nothing_and_pulls_nothing,
            }
            timers {
                resume_on_another_day_is_refused,
                midnight_cap_on_a_spring_forward_night,
                midnight_cap_on_a_fall_back_night,
                a_running_timer_past_midnight_is_settled_before_a_release,
                duration_adjustment_adds_and_never_goes_below_zero,
            }
            export_pages {
                pages_follow_bare_id_cursors_in_every_window,
                export_rows_and_the_csv_show_what_the_entries_show,
                the_http_export_pages_by_bare_id,
            }
            user_pages {
                paging_through_250_entries_returns_each_once_in_order,
                the_cursor_is_a_position_not_an_offset,
                without_paging_parameters_the_answer_stays_a_bare_list,
                a_bad_page_size_or_cursor_is_refused_naming_it,
            }
            overlap {
                both_sides_follow_create_timer_and_delete,
                an_update_reads_only_its_neighbours_among_100k_entries,
                stored_overlap_equals_brute_force,
                an_import_stores_what_single_creates_store,
                a_dense_import_refreshes_each_neighbour_once,
            }
            webhooks {
                the_outbox_row_is_written_with_the_change_and_only_for_wanted_kinds,
                one_delivery_per_subscription_is_due_in_order_and_a_claim_excludes_others,
                failures_back_off_die_disable_and_a_redelivery_revives,
                bad_targets_and_kinds_store_nothing,
            }
            events {
                every_operation_appends_its_events,
                the_router_records_the_callers_role_and_request_id,
                history_and_events_page_export_and_hide_other_users,
                a_device_change_appears_once_with_the_device_time_and_role,
                retention_prunes_old_events_and_the_switch_turns_the_log_off,
            }
        }
    };
    (@suites $($suite:ident { $($test:ident),* $(,)? })*) => {
        $(
            mod $suite {
                $(
                    #[test]
                    fn $test() {
                        let backend = super::conformance_backend();
                        if let Some(why) = $crate::conformance::Backend::skip_reason(&backend) {
                            eprintln!("skipped: {why}");
                            return;
                        }
                        $crate::suites::$suite::$test(&backend);
                    }
                )*
            }
        )*
    };
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// (suite, test) pairs named in the macro's list.
    fn listed() -> BTreeSet<(String, String)> {
        let src = include_str!("conformance.rs");
        let start = src.find("@suites\n").expect("the macro's list");
        let end = start + src[start..].find("\n        }\n    };").expect("the end of the list");
        let mut out = BTreeSet::new();
        let mut suite = None;
        for line in src[start..end].lines().skip(1) {
            let line = line.trim();
            if let Some(name) = line.strip_suffix(" {") {
                suite = Some(name.to_string());
            } else if let (Some(s), Some(test)) = (&suite, line.strip_suffix(',')) {
                out.insert((s.clone(), test.to_string()));
            }
        }
        out
    }

    /// (suite, test) pairs of every `pub fn name(backend: &dyn Backend)` in `src/suites/`.
    fn defined() -> BTreeSet<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/suites");
        let mut out = BTreeSet::new();
        for file in std::fs::read_dir(&dir).expect("src/suites") {
            let path = file.expect("entry").path();
            let suite = path.file_stem().expect("file stem").to_string_lossy().into_owned();
            if suite == "mod" {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("suite source");
            for line in text.lines() {
                if let Some(rest) = line.strip_prefix("pub fn ") {
                    if let Some(name) = rest.strip_suffix("(backend: &dyn Backend) {") {
                        out.insert((suite.clone(), name.to_string()));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn the_macro_runs_every_suite_function_and_nothing_else() {
        let listed = listed();
        let defined = defined();
        assert!(defined.len() >= 28, "only {} suite functions found: {defined:?}", defined.len());
        let missing: Vec<_> = defined.difference(&listed).collect();
        let unknown: Vec<_> = listed.difference(&defined).collect();
        assert!(missing.is_empty(), "suite functions the macro never runs: {missing:?}");
        assert!(unknown.is_empty(), "the macro names functions no suite defines: {unknown:?}");
    }
}
