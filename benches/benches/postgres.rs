//! The engine on PostgreSQL (`tenths-postgres`) beside the same statements issued raw through
//! the same client crate: a pool built as the backend's (`tenths_postgres::raw::pool`: same
//! connection settings, same per-connection prepared statements), the backend's own statement
//! texts (`tenths_postgres::sql`), the same transaction shape (writes in one `SERIALIZABLE`
//! transaction, reads in one `REPEATABLE READ READ ONLY` snapshot), the two sides interleaved
//! call by call in one process. Rows read raw are copied into owned values, as a typed reader
//! would.
//!
//! The raw side of each operation (what "the same work" is):
//! - get by id: the entry row, its codes, its sources, its matter and client (4 statements);
//! - v2 page of 100: the page rows, their codes, sources, matters and clients (4 statements);
//! - weekly totals: the one aggregate;
//! - single create (one source): the overlap neighbours of its source, the user's feed
//!   position, the entry row, its source (4);
//! - override (summary + adjustment): the entry row, its codes and sources, the feed position,
//!   the row written back with the backend's UPDATE (5).
//!
//! What the engine does beyond that is its own cost (e.g. checking the version of the reference
//! data it caches per connection, one statement a transaction).
//!
//! Needs `TENTHS_TEST_PG_URL` (e.g. `scripts/with-postgres cargo bench -p tenths-benches --bench
//! postgres`); without it the benchmark says so and skips. The data set (the benchmark firm's
//! generator, `TENTHS_BENCH_PG_ENTRIES` entries, default 50,000: 25 users over two years, 1–3
//! sources and 2 codes an entry, overlaps) is imported once through the engine into its own
//! database on that server (`tenths_bench_<entries>_…`, kept for later runs;
//! `TENTHS_BENCH_REBUILD=1` imports it again). In criterion's test mode (`cargo test --benches`)
//! the data set has 1,000 entries, is rebuilt each time and every figure is indicative only:
//! nothing here asserts a timing. The entries a run creates carry [`MARK`] and are deleted at
//! its start and end. Criterion measures the per-call reads; then the interleaved pass
//! measures every row of the table, prints it as Markdown and writes it to
//! `target/bench-data/results-postgres-<entries>.md`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use criterion::Criterion;
use postgres::types::{Json, ToSql, Type};
use postgres::{NoTls, Row};
use tenths::rules::text::MAX_SOURCE_MILLIS;
use tenths::{Clock, Date, Engine, FixedClock, NewEntry, ObjectId, OverrideInput, Scope, SourceInput, SourceKind, Timestamp, UserSettings, Window};
use tenths_benches::firm;
use tenths_benches::report::{benchmarking, interleave, krate, p50, rate, total, us, Table};
use tenths_cli::generate::{self, Dataset, Firm, Imported, Scale};
use tenths_postgres::{raw, sql, PgOptions};

/// Version of the data set's build, part of the database's name.
const BUILD_VERSION: u32 = 2;

/// In the summary of every entry the benchmark creates.
const MARK: &str = "[bench]";

/// The user the raw creates write (so the engine's overlap queries never meet their rows).
const RAW_USER: &str = "65f0000000000000000000ff";

// ----- owned values of raw rows ------------------------------------------------------------------

/// One column value, owned: what the raw side reads, and binds when it writes a row back.
#[derive(Debug, Clone)]
enum V {
    Text(Option<String>),
    I64(Option<i64>),
    I32(Option<i32>),
    Bool(Option<bool>),
    Date(Option<NaiveDate>),
    Ts(Option<DateTime<Utc>>),
    Json(Option<Json<serde_json::Value>>),
    Texts(Option<Vec<String>>),
}

impl V {
    /// The value as a statement parameter.
    fn sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            V::Text(v) => v,
            V::I64(v) => v,
            V::I32(v) => v,
            V::Bool(v) => v,
            V::Date(v) => v,
            V::Ts(v) => v,
            V::Json(v) => v,
            V::Texts(v) => v,
        }
    }
}

/// Column `i` of a row, by its PostgreSQL type.
fn value(r: &Row, i: usize) -> V {
    let t = r.columns()[i].type_();
    if [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME].contains(t) {
        V::Text(r.get(i))
    } else if *t == Type::INT8 {
        V::I64(r.get(i))
    } else if *t == Type::INT4 {
        V::I32(r.get(i))
    } else if *t == Type::BOOL {
        V::Bool(r.get(i))
    } else if *t == Type::DATE {
        V::Date(r.get(i))
    } else if *t == Type::TIMESTAMPTZ {
        V::Ts(r.get(i))
    } else if *t == Type::JSONB || *t == Type::JSON {
        V::Json(r.get(i))
    } else if *t == Type::TEXT_ARRAY {
        V::Texts(r.get(i))
    } else {
        panic!("column {} has type {t}, which the raw side does not read", r.columns()[i].name())
    }
}

/// Every column of a row.
fn values(r: &Row) -> Vec<V> {
    (0..r.len()).map(|i| value(r, i)).collect()
}

/// Every column of every row.
fn all(rows: &[Row]) -> Vec<Vec<V>> {
    rows.iter().map(values).collect()
}

fn params(vals: &[V]) -> Vec<&(dyn ToSql + Sync)> {
    vals.iter().map(V::sql).collect()
}

fn at(t: Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.millis()).expect("instant")
}

fn day(d: Date) -> NaiveDate {
    NaiveDate::parse_from_str(&d.to_string(), "%Y-%m-%d").expect("date")
}

// ----- the raw side ------------------------------------------------------------------------------

/// Runs `sql` (a statement of the backend, prepared on the connection as the backend prepares
/// it) and returns its rows.
fn q(c: &mut raw::PgConn, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Vec<Row> {
    let (client, st) = c.prepared(sql).expect("prepare");
    client.query(&st, params).unwrap_or_else(|e| panic!("{e:?}: {sql}"))
}

/// Runs `f` in a transaction opened by `begin` on a connection of the pool.
fn in_tx<T>(pool: &raw::Pool, begin: &str, f: impl FnOnce(&mut raw::PgConn) -> T) -> T {
    let mut c = pool.get().expect("a connection");
    c.client().batch_execute(begin).expect("begin");
    let out = f(&mut c);
    c.client().batch_execute("COMMIT").expect("commit");
    out
}

/// The codes, sources, matters and clients of entry rows (of [`sql::ENTRY_BY_ID`]'s columns):
/// one statement each, the keys bound as one array, as the backend fills a page.
fn details(c: &mut raw::PgConn, customer: &str, rows: &[Row]) -> (Vec<Vec<V>>, Vec<Vec<V>>, Vec<Vec<V>>) {
    let Some(first) = rows.first() else { return Default::default() };
    let matter_col = first.columns().iter().position(|c| c.name() == "initiative_id").expect("initiative_id");
    let keys: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    let mut matters: Vec<String> = rows.iter().filter_map(|r| r.get::<_, Option<String>>(matter_col)).collect();
    matters.sort();
    matters.dedup();
    let codes = all(&q(c, sql::CODES_OF, &[&customer, &keys]));
    let sources = all(&q(c, sql::SOURCES_OF, &[&customer, &keys]));
    let refs = all(&q(c, sql::INITIATIVE_REFS, &[&customer, &matters]));
    (codes, sources, refs)
}

/// The raw get by id: the entry with its codes, sources, matter and client.
fn raw_get(pool: &raw::Pool, customer: &ObjectId, id: &ObjectId) -> usize {
    in_tx(pool, raw::BEGIN_READ, |c| {
        let rows = q(c, sql::ENTRY_BY_ID, &[&customer.as_str(), &id.as_str()]);
        let entry = all(&rows);
        let d = details(c, customer.as_str(), &rows);
        std::hint::black_box((&entry, &d));
        entry.len()
    })
}

/// The raw v2 page: up to `limit` rows updated in the window with an id after `after`, with
/// their details. Returns the rows and the last id.
fn raw_page(pool: &raw::Pool, customer: &ObjectId, w: Window, after: &str, limit: i64) -> (usize, Option<String>) {
    in_tx(pool, raw::BEGIN_READ, |c| {
        let rows = q(c, sql::PAGE_UPDATED, &[&customer.as_str(), &at(w.after), &at(w.on_or_before), &after, &limit]);
        let page = all(&rows);
        let d = details(c, customer.as_str(), &rows);
        std::hint::black_box(&d);
        (page.len(), rows.last().map(|r| r.get::<_, String>(2)))
    })
}

/// The raw weekly totals: the backend's aggregate.
fn raw_totals(pool: &raw::Pool, customer: &ObjectId, from: Date, to: Date) -> usize {
    in_tx(pool, raw::BEGIN_READ, |c| all(&q(c, sql::TOTALS_OF_CUSTOMER, &[&customer.as_str(), &day(from), &day(to)])).len())
}

/// The column list of an `INSERT INTO table (a, b, …)` statement.
fn insert_columns(statement: &str) -> Vec<&str> {
    let open = statement.find('(').expect("a column list");
    let close = open + statement[open..].find(')').expect("a column list");
    statement[open + 1..close].split(',').map(str::trim).collect()
}

/// For each `$n` of a statement (in order of n), the column it is compared with or assigned to
/// (`name = $n`), or `None` when it stands elsewhere.
fn bound_columns(statement: &str) -> Vec<Option<String>> {
    let mut out: Vec<(usize, Option<String>)> = Vec::new();
    for (i, _) in statement.match_indices('$') {
        let n: usize = statement[i + 1..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect("$n");
        let name = statement[..i].trim_end().strip_suffix('=').map(|b| {
            let b = b.trim_end();
            let start = b.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |k| k + 1);
            b[start..].to_string()
        });
        out.push((n, name));
    }
    out.sort_by_key(|(n, _)| *n);
    out.dedup_by_key(|(n, _)| *n);
    assert!(out.iter().enumerate().all(|(k, (n, _))| *n == k + 1), "parameters $1…$n");
    out.into_iter().map(|(_, name)| name).collect()
}

/// The rows of an entry the engine created, every column its insert statements write, to
/// insert copies raw.
struct Template {
    entry_cols: Vec<&'static str>,
    entry: Vec<V>,
    source_cols: Vec<&'static str>,
    sources: Vec<Vec<V>>,
    codes: Vec<Row>,
}

fn col(cols: &[&str], name: &str) -> usize {
    cols.iter().position(|c| *c == name).unwrap_or_else(|| panic!("no column {name}"))
}

fn template(pool: &raw::Pool, customer: &ObjectId, id: &ObjectId) -> Template {
    let entry_cols = insert_columns(sql::INSERT_ENTRY);
    let source_cols = insert_columns(sql::INSERT_SOURCE);
    let mut c = pool.get().expect("a connection");
    let client = c.client();
    let cust = customer.as_str();
    let e = client
        .query_one(&format!("SELECT pk, {} FROM entries WHERE customer_id = $1 AND id = $2", entry_cols.join(", ")), &[&cust, &id.as_str()])
        .expect("the template entry");
    let pk: i64 = e.get(0);
    let entry = values(&e).split_off(1);
    let sources = all(&client
        .query(&format!("SELECT {} FROM sources WHERE customer_id = $1 AND entry_pk = $2", source_cols.join(", ")), &[&cust, &pk])
        .expect("the template sources"));
    let codes = client
        .query("SELECT code_id, assigned_by, position FROM entry_codes WHERE customer_id = $1 AND entry_pk = $2 ORDER BY position", &[&cust, &pk])
        .expect("the template codes");
    Template { entry_cols, entry, source_cols, sources, codes }
}

fn fresh_id(i: usize, side: u128) -> String {
    format!("7e{:022x}", side * 1_000_000_000 + i as u128 * 7919 + 1_000_000_007)
}

/// The raw create: a copy of the template with new ids for [`RAW_USER`], its source moved on by
/// six minutes a call (as the engine's creates are), in one SERIALIZABLE transaction: the
/// source's overlap neighbours, the user's feed position, the entry, its source, its codes if
/// any.
fn raw_create(pool: &raw::Pool, customer: &ObjectId, t: &Template, n: usize) {
    in_tx(pool, raw::BEGIN_WRITE, |c| {
        let cust = customer.as_str();
        // The overlap check of the new source (its neighbours), then the feed position.
        let shift = chrono::Duration::milliseconds(360_000 * (n as i64 + 1));
        let sources: Vec<Vec<V>> = t
            .sources
            .iter()
            .map(|s| {
                let mut s = s.clone();
                for name in ["started_at", "ended_at"] {
                    if let V::Ts(Some(x)) = &mut s[col(&t.source_cols, name)] {
                        *x += shift;
                    }
                }
                s
            })
            .collect();
        for s in &sources {
            let (V::Ts(Some(start)), V::Ts(Some(end))) = (&s[col(&t.source_cols, "started_at")], &s[col(&t.source_cols, "ended_at")]) else { continue };
            let lowest = *start - chrono::Duration::milliseconds(MAX_SOURCE_MILLIS);
            std::hint::black_box(all(&q(c, sql::NEIGHBOURS, &[&cust, &RAW_USER, &lowest, end, start])));
        }
        let seq: i64 = q(c, sql::FEED_NEXT, &[&cust, &RAW_USER])[0].get(0);
        let mut e = t.entry.clone();
        e[col(&t.entry_cols, "id")] = V::Text(Some(fresh_id(n, 1)));
        e[col(&t.entry_cols, "user_id")] = V::Text(Some(RAW_USER.into()));
        e[col(&t.entry_cols, "change_seq")] = V::I64(Some(seq));
        let pk: i64 = q(c, sql::INSERT_ENTRY, &params(&e))[0].get(0);
        for (k, mut s) in sources.into_iter().enumerate() {
            s[col(&t.source_cols, "id")] = V::Text(Some(fresh_id(n * 100 + k, 2)));
            s[col(&t.source_cols, "user_id")] = V::Text(Some(RAW_USER.into()));
            s[col(&t.source_cols, "entry_pk")] = V::I64(Some(pk));
            q(c, sql::INSERT_SOURCE, &params(&s));
        }
        if !t.codes.is_empty() {
            let ids: Vec<String> = t.codes.iter().map(|r| r.get(0)).collect();
            let by: Vec<String> = t.codes.iter().map(|r| r.get(1)).collect();
            let pos: Vec<i64> = t.codes.iter().map(|r| r.get(2)).collect();
            q(c, sql::INSERT_ENTRY_CODES, &[&cust, &pk, &ids, &by, &pos]);
        }
    })
}

/// The raw override: the entry read (row, codes, sources: what validation and the answer
/// need), the feed position taken, the row written back with the backend's UPDATE (summary,
/// adjustment, updated_at and version changed), in one SERIALIZABLE transaction.
fn raw_override(pool: &raw::Pool, customer: &ObjectId, id: &ObjectId, summary: &str, adjustment: i64, now: Timestamp) {
    let bound = bound_columns(sql::UPDATE_ENTRY);
    in_tx(pool, raw::BEGIN_WRITE, |c| {
        let cust = customer.as_str();
        let rows = q(c, sql::ENTRY_BY_ID, &[&cust, &id.as_str()]);
        let row = rows.first().expect("the entry");
        let names: Vec<&str> = row.columns().iter().map(|c| c.name()).collect();
        let mut vals = values(row);
        let user: String = row.get(col(&names, "user_id"));
        vals[col(&names, "summary")] = V::Text(Some(summary.into()));
        vals[col(&names, "units_adjustments")] = V::I64(Some(adjustment));
        vals[col(&names, "updated_at")] = V::Ts(Some(at(now)));
        let pk: i64 = row.get(0);
        std::hint::black_box(all(&q(c, sql::CODES_OF, &[&cust, &vec![pk]])));
        std::hint::black_box(all(&q(c, sql::SOURCES_OF, &[&cust, &vec![pk]])));
        let version: i64 = row.get(col(&names, "version"));
        vals[col(&names, "version")] = V::I64(Some(version + 1));
        let seq = V::I64(Some(q(c, sql::FEED_NEXT, &[&cust, &user])[0].get(0)));
        let null = V::I64(None);
        let p: Vec<&(dyn ToSql + Sync)> = bound
            .iter()
            .map(|name| match name.as_deref() {
                Some("change_seq") => seq.sql(),
                Some(n) => names.iter().position(|c| *c == n).map_or(null.sql(), |k| vals[k].sql()),
                None => null.sql(),
            })
            .collect();
        q(c, sql::UPDATE_ENTRY, &p);
    })
}

// ----- the data set ------------------------------------------------------------------------------

struct Ctx {
    engine: Engine,
    pool: raw::Pool,
    clock: Arc<FixedClock>,
    firm: Firm,
    imported: Imported,
    months: Vec<Vec<Date>>,
    entries: usize,
    all: Window,
}

/// The URL of database `db` on the server of `url`.
fn with_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let head = base[authority..].find('/').map_or(base, |i| &base[..authority + i]);
    format!("{head}/{db}{query}")
}

fn options() -> PgOptions {
    PgOptions { pool_size: 4, application_name: "tenths-bench".into(), ..PgOptions::default() }
}

/// Finds (or builds) the data set of `entries` entries in its own database; opens the engine
/// and the raw pool on it.
fn prepare(url: &str, entries: usize, rebuild: bool) -> Ctx {
    let scale = Scale::large(entries);
    let firm = Dataset::generate(firm::SEED, scale).firms.into_iter().next().expect("one firm");
    let months = firm::months(&firm);
    let db = format!("tenths_bench_{}_s{}_b{BUILD_VERSION}", scale.entries(firm.start), tenths_postgres::SCHEMA_VERSION);
    let bench_url = with_db(url, &db);
    let mut admin = postgres::Client::connect(url, NoTls).expect("connect to TENTHS_TEST_PG_URL");
    let exists = admin.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&db]).expect("pg_database").is_some();
    let ready = exists
        && !rebuild
        && postgres::Client::connect(&bench_url, NoTls).ok().and_then(|mut c| c.query_one("SELECT entries FROM bench_ready", &[]).ok()).is_some();
    let t0 = Instant::now();
    if !ready {
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).expect("drop the bench database");
        admin.batch_execute(&format!("CREATE DATABASE {db}")).expect("create the bench database");
        build(&bench_url, &firm, &months);
        eprintln!("bench data: built in {:.1} s", t0.elapsed().as_secs_f64());
    }
    let last = months.last().and_then(|m| m.last()).copied().expect("some days");
    let clock = Arc::new(FixedClock::new(firm::day_after_noon(last)));
    let engine = tenths_postgres::open_with_clock(&bench_url, options(), clock.clone() as Arc<dyn Clock>).expect("open the engine");
    let pool = raw::pool(&bench_url, &options()).expect("the raw pool");
    let imported = firm::recover_imported(&engine, &firm);
    let all = Window::new(Timestamp::from_millis(0).expect("ts"), Timestamp::parse("9000-01-01T00:00:00Z").expect("ts")).expect("window");
    let n: i64 = pool.get().expect("conn").client().query_one("SELECT entries FROM bench_ready", &[]).expect("bench_ready").get(0);
    Ctx { engine, pool, clock, firm, imported, months, entries: n as usize, all }
}

/// Imports the firm through the engine: its reference data, then each user's month in one
/// transaction (`import_entries`), month by month with the clock after the month.
fn build(url: &str, firm: &Firm, months: &[Vec<Date>]) {
    let first = months.first().and_then(|m| m.first()).copied().expect("some days");
    let clock = Arc::new(FixedClock::new(Timestamp::parse(&format!("{}T12:00:00Z", first.add_days(-7).expect("date"))).expect("ts")));
    let engine = tenths_postgres::open_with_clock(url, options(), clock.clone() as Arc<dyn Clock>).expect("open the engine");
    let imported = generate::import_reference(&engine, firm).expect("reference data");
    let mut n = 0usize;
    for (mi, month) in months.iter().enumerate() {
        let Some(&last) = month.last() else { continue };
        clock.set(firm::day_after_noon(last));
        for user in 0..firm.users.len() {
            n += generate::import_user_days(&engine, firm, &imported, user, month).expect("import a user's month").len();
        }
        eprintln!("bench data: month {}/{} ({n} entries)", mi + 1, months.len());
    }
    engine.close().expect("close");
    let mut c = postgres::Client::connect(url, NoTls).expect("connect");
    c.batch_execute(&format!("ANALYZE; CREATE TABLE bench_ready (entries bigint NOT NULL); INSERT INTO bench_ready VALUES ({n})")).expect("mark ready");
}

/// Removes the entries the creates of a run made (their summaries carry [`MARK`], the raw
/// copies too, whose ids start with `7e`; overrides never pick them), so each run starts from
/// the same rows.
fn clean(ctx: &Ctx) {
    let mut c = ctx.pool.get().expect("conn");
    let cust = ctx.firm.customer.as_str();
    let like = format!("%{MARK}%");
    for statement in [
        "DELETE FROM sources WHERE customer_id = $1 AND entry_pk IN (SELECT pk FROM entries WHERE customer_id = $1 AND (summary LIKE $2 OR id LIKE '7e%'))",
        "DELETE FROM entry_codes WHERE customer_id = $1 AND entry_pk IN (SELECT pk FROM entries WHERE customer_id = $1 AND (summary LIKE $2 OR id LIKE '7e%'))",
        "DELETE FROM entries WHERE customer_id = $1 AND (summary LIKE $2 OR id LIKE '7e%')",
    ] {
        c.client().execute(statement, &[&cust, &like]).expect("clean");
    }
    for table in ["entries", "sources", "entry_codes", "feed_positions"] {
        c.client().batch_execute(&format!("VACUUM ANALYZE {table}")).expect("vacuum");
    }
}

fn sample(ctx: &Ctx, statement: &str, n: usize) -> Vec<(ObjectId, ObjectId)> {
    let mut c = ctx.pool.get().expect("conn");
    c.client()
        .query(statement, &[&ctx.firm.customer.as_str(), &(n as i64)])
        .expect("sample")
        .iter()
        .map(|r| (ObjectId::parse(r.get(0)).expect("id"), ObjectId::parse(r.get(1)).expect("id")))
        .collect()
}

/// The last Friday with work of the data set (its weekend is empty and in the past).
fn last_friday(ctx: &Ctx) -> Date {
    ctx.months.iter().flatten().copied().rfind(|d| d.weekday_from_monday() == 4).expect("a friday")
}

fn week_of(ctx: &Ctx) -> (Date, Date) {
    let m = &ctx.months[ctx.months.len() / 2];
    let monday = m.iter().copied().find(|d| d.weekday_from_monday() == 0).unwrap_or(m[0]);
    (monday, monday.add_days(6).expect("date"))
}

// ----- the figures -------------------------------------------------------------------------------

/// Adds a row of throughput figures (engine and raw calls interleaved, each timed).
fn add_rates(t: &mut Table, op: &str, baseline: &str, te: &[Duration], tr: &[Duration]) {
    let (e, r) = (rate(te.len() as f64, total(te)), rate(tr.len() as f64, total(tr)));
    let dp = p50(te).as_secs_f64() - p50(tr).as_secs_f64();
    t.add(
        op,
        format!("{} (p50 {})", krate(e), us(p50(te))),
        format!("{} (p50 {}), {baseline}", krate(r), us(p50(tr))),
        format!("{:.2}, p50 {:+.0} µs", e / r, dp * 1e6),
        "≥ 0.80",
        Some(e / r >= 0.80),
    );
}

fn get(t: &mut Table, ctx: &Ctx, n: usize) {
    let customer = ctx.firm.customer;
    let ids = sample(ctx, "SELECT user_id, id FROM entries WHERE customer_id = $1 AND NOT is_deleted ORDER BY md5(id) LIMIT $2", n);
    let (te, tr) = interleave(
        ids.len(),
        |i| {
            let (u, id) = ids[i];
            std::hint::black_box(ctx.engine.get_entry(&Scope::new(customer, u), &id).expect("get"));
        },
        |i| {
            std::hint::black_box(raw_get(&ctx.pool, &customer, &ids[i].1));
        },
    );
    add_rates(t, "get by id (typed, matter, client, codes, sources), random ids", "entry + codes + sources + matter/client, 4 statements", &te, &tr);
}

fn page(t: &mut Table, ctx: &Ctx, n: usize) {
    let customer = ctx.firm.customer;
    let starts = sample(ctx, "SELECT user_id, id FROM entries WHERE customer_id = $1 ORDER BY md5(id || 'page') LIMIT $2", n);
    let (te, tr) = interleave(
        starts.len(),
        |i| {
            std::hint::black_box(ctx.engine.list_updated_page(&customer, ctx.all, 100, Some(&starts[i].1)).expect("page"));
        },
        |i| {
            std::hint::black_box(raw_page(&ctx.pool, &customer, ctx.all, starts[i].1.as_str(), 101));
        },
    );
    add_rates(t, "v2 list page of 100 (`list_updated_page`), random cursors", "page + codes + sources + matters/clients, 4 statements", &te, &tr);
}

fn totals(t: &mut Table, ctx: &Ctx, n: usize) {
    let customer = ctx.firm.customer;
    let week = week_of(ctx);
    let (te, tr) = interleave(
        n,
        |_| {
            std::hint::black_box(ctx.engine.totals(&customer, None, week.0, week.1).expect("totals"));
        },
        |_| {
            std::hint::black_box(raw_totals(&ctx.pool, &customer, week.0, week.1));
        },
    );
    add_rates(t, &format!("weekly totals, every user × day × matter ({} … {})", week.0, week.1), "the same aggregate", &te, &tr);
}

fn writes(t: &mut Table, ctx: &Ctx, n: usize) {
    let customer = ctx.firm.customer;
    let user = ctx.firm.users[0].id;
    let scope = Scope::new(customer, user);
    let saturday = last_friday(ctx).add_days(1).expect("a saturday");
    let matter = ctx.imported.matter_ids[ctx.firm.users[0].matters[0]];
    // Noon UTC: Saturday in every time zone of the firm's users, clear of Friday's work.
    let base = Timestamp::parse(&format!("{saturday}T12:00:00Z")).expect("ts").millis();
    let new_entry = |i: usize| NewEntry {
        initiative_id: Some(matter),
        summary: Some(format!("Review and respond to email from opposing counsel regarding the protective order ({i}) {MARK}.")),
        sources: vec![SourceInput {
            kind: SourceKind::Email,
            started_at: Timestamp::from_millis(base + i as i64 * 360_000).expect("ts"),
            ended_at: Timestamp::from_millis(base + i as i64 * 360_000 + 300_000).expect("ts"),
            title: Some("RE: FW: the protective order".into()),
        }],
        creation_method: Some("grouped".into()),
        ..NewEntry::default()
    };
    ctx.engine.update_user_settings(&customer, &ObjectId::parse(RAW_USER).expect("id"), &UserSettings { timezone: None }).expect("the raw user");
    let (first, _) = ctx.engine.create_entry(&scope, &new_entry(0)).expect("create");
    let tpl = template(&ctx.pool, &customer, &first.id);
    let (te, tr) = interleave(
        n,
        |i| {
            std::hint::black_box(ctx.engine.create_entry(&scope, &new_entry(i + 1)).expect("create"));
        },
        |i| raw_create(&ctx.pool, &customer, &tpl, i),
    );
    add_rates(
        t,
        "single create (1 source, overlap check), one SERIALIZABLE transaction",
        "neighbours + feed position + entry + source, 4 statements",
        &te,
        &tr,
    );

    // Editable entries, alternately to each side.
    let editable = sample(
        ctx,
        "SELECT user_id, id FROM entries WHERE customer_id = $1 AND NOT is_locked AND NOT is_deleted AND summary NOT LIKE '%[bench]%' \
         ORDER BY md5(id || 'edit') LIMIT $2",
        2 * n,
    );
    let half = editable.len() / 2;
    let now = ctx.clock.now();
    let (te, tr) = interleave(
        half,
        |i| {
            let (u, id) = editable[2 * i];
            let input =
                OverrideInput { summary: Some(format!("Revised narrative {i}.")), unit_increment_count_adjustments: Some(1), ..OverrideInput::default() };
            std::hint::black_box(ctx.engine.override_entry(&Scope::new(customer, u), &id, &input).expect("override"));
        },
        |i| raw_override(&ctx.pool, &customer, &editable[2 * i + 1].1, &format!("Revised narrative {i}."), 1, now),
    );
    add_rates(
        t,
        "single override (summary + adjustment), one SERIALIZABLE transaction",
        "entry + codes + sources + feed position + UPDATE, 5 statements",
        &te,
        &tr,
    );
}

fn criterion_reads(c: &mut Criterion, ctx: &Ctx) {
    let customer = ctx.firm.customer;
    let ids = sample(ctx, "SELECT user_id, id FROM entries WHERE customer_id = $1 ORDER BY md5(id || 'criterion') LIMIT $2", 500);
    let mut g = c.benchmark_group("postgres");
    let mut i = 0usize;
    g.bench_function("get_entry/tenths", |b| {
        b.iter(|| {
            let (u, id) = ids[i % ids.len()];
            i += 1;
            ctx.engine.get_entry(&Scope::new(customer, u), &id).expect("get")
        })
    });
    g.bench_function("get_entry/raw", |b| {
        b.iter(|| {
            let (_, id) = ids[i % ids.len()];
            i += 1;
            raw_get(&ctx.pool, &customer, &id)
        })
    });
    g.bench_function("v2_page_100/tenths", |b| b.iter(|| ctx.engine.list_updated_page(&customer, ctx.all, 100, None).expect("page")));
    g.bench_function("v2_page_100/raw", |b| b.iter(|| raw_page(&ctx.pool, &customer, ctx.all, "", 101)));
    let week = week_of(ctx);
    g.bench_function("totals_week/tenths", |b| b.iter(|| ctx.engine.totals(&customer, None, week.0, week.1).expect("totals")));
    g.bench_function("totals_week/raw", |b| b.iter(|| raw_totals(&ctx.pool, &customer, week.0, week.1)));
    g.finish();
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")).unwrap_or_default()
}

fn main() {
    let bench = benchmarking();
    let list = std::env::args().any(|a| a == "--list");
    let Ok(url) = std::env::var("TENTHS_TEST_PG_URL") else {
        println!("postgres benchmark skipped: TENTHS_TEST_PG_URL is not set (run it under scripts/with-postgres)");
        return;
    };
    if list {
        Criterion::default().configure_from_args().final_summary();
        return;
    }
    let entries = if bench {
        std::env::var("TENTHS_BENCH_PG_ENTRIES").ok().map(|s| s.replace('_', "").parse().expect("TENTHS_BENCH_PG_ENTRIES: a number")).unwrap_or(50_000)
    } else {
        1_000
    };
    let rebuild = !bench || std::env::var("TENTHS_BENCH_REBUILD").is_ok_and(|v| v == "1");
    let t0 = Instant::now();
    let ctx = prepare(&url, entries, rebuild);
    clean(&ctx);
    let load_before = loadavg();
    eprintln!("bench data ready in {:.1} s ({} entries, {} users); load average {load_before}", t0.elapsed().as_secs_f64(), ctx.entries, ctx.firm.users.len());

    let mut c = Criterion::default().sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2)).configure_from_args();
    criterion_reads(&mut c, &ctx);
    c.final_summary();

    let mut table = Table(Vec::new());
    writes(&mut table, &ctx, if bench { 400 } else { 4 });
    get(&mut table, &ctx, if bench { 2_000 } else { 10 });
    page(&mut table, &ctx, if bench { 200 } else { 3 });
    totals(&mut table, &ctx, if bench { 200 } else { 3 });

    let md = table.markdown();
    println!("\n{md}");
    let header = format!(
        "PostgreSQL: {} entries, {} users; load average before {load_before}, after {}; total run {:.0} s\n\n",
        ctx.entries,
        ctx.firm.users.len(),
        loadavg(),
        t0.elapsed().as_secs_f64()
    );
    println!("{header}");
    let out = firm::data_dir().join(format!("results-postgres-{}.md", ctx.entries));
    if std::fs::create_dir_all(firm::data_dir()).is_ok() {
        std::fs::write(&out, format!("{header}{md}")).expect("write the results");
        println!("written to {}", out.display());
    }
    if !bench {
        println!("(test mode: 1,000 entries, indicative only)");
    }
    clean(&ctx);
    ctx.engine.close().expect("close");
}
