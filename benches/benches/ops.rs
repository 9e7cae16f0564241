//! Every engine operation on the benchmark firm (`tenths_benches::firm`: one million entries at
//! full scale), each beside a raw-rusqlite baseline doing the same I/O on the same file, schema,
//! pragmas and cache size, in the same process, interleaved call by call.
//!
//! Scale: `TENTHS_BENCH_SCALE` = `tiny` | `small` (default) | `full` | a number of entries. In
//! criterion's test mode (`cargo test --benches`) the scale is always `tiny` and every figure is
//! indicative only: nothing here asserts a timing.
//!
//! Criterion measures the per-call operations (get, page, totals, create, override); then an
//! interleaved pass measures every row of the table, prints it as Markdown and writes it to
//! `target/bench-data/results-<entries>.md`.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, TransactionBehavior};
use tenths::{Clock, Date, Durability, Engine, NewEntry, ObjectId, OpenOptions, OverrideInput, Scope, SourceInput, SourceKind, Timestamp, Window};
use tenths_benches::firm::{self, BenchFirm};
use tenths_benches::report::{benchmarking, interleave, krate, ms, p50, rate, total, us, Table};
use tenths_benches::{open_raw, remove_db};

// ----- the raw side ---------------------------------------------------------------------------

const E_COLS: &str = "e.pk, e.customer_id, e.id, e.user_id, e.created_by, e.released_by, e.external_id, e.enrichment_correlation_id, e.summary, e.notes, \
     e.work_date, e.initiative_id, e.creation_method, e.created_as_timer, e.timer_duration_adjustment_in_seconds, e.entered_duration_in_seconds, \
     e.raw_seconds, e.unit_increments, e.units_from_sources, e.units_adjustments, e.overlap_seconds, e.status, e.status_errors, \
     e.re_release_failed_messages, e.is_locked, e.is_deleted, e.release_count, e.last_release_pending_at, e.last_release_failed_at, \
     e.release_success_at, e.last_synced_at, e.created_at, e.updated_at, e.version";

const MATTER_JOIN: &str = "LEFT JOIN initiatives i ON i.customer_id = e.customer_id AND i.id = e.initiative_id
     LEFT JOIN clients c ON c.customer_id = e.customer_id AND c.external_id = i.client_external_id";

const M_COLS: &str = "i.id, i.type, i.billing_type, i.call_sign, i.unit_increments, i.external_id, i.name, i.description, c.id, c.external_id, c.name, c.description, c.call_sign";

/// Reads every column of a row into owned values (strings copied, as a typed reader would).
fn values(r: &rusqlite::Row<'_>, n: usize) -> rusqlite::Result<Vec<Value>> {
    (0..n).map(|i| r.get::<_, Value>(i)).collect()
}

/// A raw point read of one entry with its matter, client, codes and sources: one statement.
fn raw_get(conn: &Connection, customer: &ObjectId, user: &ObjectId, id: &ObjectId) -> Vec<Value> {
    let sql = format!(
        "SELECT {E_COLS}, {M_COLS},
           (SELECT json_group_array(json_array(co.id, co.external_id, co.code_type_external_id, co.name, ec.assigned_by))
              FROM entry_codes ec CROSS JOIN codes co ON co.customer_id = e.customer_id AND co.id = ec.code_id WHERE ec.entry_pk = e.pk),
           (SELECT json_group_array(json_array(s.id, s.kind, s.started_at, s.ended_at, s.title)) FROM sources s WHERE s.entry_pk = e.pk)
         FROM entries e {MATTER_JOIN} WHERE e.customer_id = ?1 AND e.id = ?2 AND e.user_id = ?3 AND e.is_deleted = 0"
    );
    let mut stmt = conn.prepare_cached(&sql).expect("prepare");
    let n = stmt.column_count();
    stmt.query_row(params![customer, id, user], |r| values(r, n)).expect("raw get")
}

/// A raw keyset page of the v2 listing: the page rows with their matter and client, then the
/// page's codes and sources with one statement each. Returns the rows and the last id.
fn raw_page(conn: &Connection, customer: &ObjectId, w: Window, after: &str, limit: i64) -> (usize, Option<String>) {
    let sql = format!(
        "SELECT {E_COLS}, {M_COLS} FROM entries e {MATTER_JOIN}
         WHERE e.customer_id = ?1 AND e.updated_at > ?2 AND e.updated_at <= ?3 AND e.id > ?4 ORDER BY e.id LIMIT ?5"
    );
    let mut stmt = conn.prepare_cached(&sql).expect("prepare");
    let n = stmt.column_count();
    let rows: Vec<Vec<Value>> = stmt
        .query_map(params![customer, w.after.millis(), w.on_or_before.millis(), after, limit], |r| values(r, n))
        .expect("page")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let pks: Vec<String> = rows.iter().filter_map(|r| if let Some(Value::Integer(pk)) = r.first() { Some(pk.to_string()) } else { None }).collect();
    let pk_json = format!("[{}]", pks.join(","));
    let mut codes = conn
        .prepare_cached(
            "SELECT ec.entry_pk, co.id, co.external_id, co.code_type_external_id, co.name, ec.assigned_by FROM entry_codes ec
             CROSS JOIN codes co ON co.customer_id = ?1 AND co.id = ec.code_id WHERE ec.entry_pk IN (SELECT value FROM json_each(?2)) ORDER BY ec.entry_pk, ec.position",
        )
        .expect("prepare");
    let c: Vec<Vec<Value>> = codes.query_map(params![customer, pk_json], |r| values(r, 6)).expect("codes").collect::<rusqlite::Result<_>>().expect("rows");
    let mut sources = conn
        .prepare_cached(
            "SELECT entry_pk, id, kind, started_at, ended_at, title FROM sources WHERE entry_pk IN (SELECT value FROM json_each(?1)) ORDER BY entry_pk, started_at, pk",
        )
        .expect("prepare");
    let s: Vec<Vec<Value>> = sources.query_map(params![pk_json], |r| values(r, 6)).expect("sources").collect::<rusqlite::Result<_>>().expect("rows");
    std::hint::black_box((&c, &s));
    let last = rows.last().and_then(|r| if let Some(Value::Text(id)) = r.get(2) { Some(id.clone()) } else { None });
    (rows.len(), last)
}

fn text(v: &Value) -> &str {
    if let Value::Text(s) = v {
        s
    } else {
        ""
    }
}

fn int(v: &Value) -> i64 {
    if let Value::Integer(i) = v {
        *i
    } else {
        0
    }
}

fn json_str(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *out, s).expect("write");
}

fn csv_field(out: &mut Vec<u8>, s: &str) {
    if s.contains([',', '"', '\r', '\n']) {
        out.push(b'"');
        out.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// The raw export: one scan of the window (rows, matter, client, codes as a string) serialised
/// straight from the row values, as JSON export items or CSV rows. Returns rows written.
fn raw_export(conn: &Connection, customer: &ObjectId, w: Window, csv: bool, out: &mut Vec<u8>) -> u64 {
    let sql = format!(
        "SELECT e.id, e.customer_id, e.user_id, e.work_date, e.summary, e.units_from_sources + e.units_adjustments, e.unit_increments, e.external_id,
           e.notes, e.release_count, e.last_synced_at, {M_COLS},
           (SELECT group_concat(co.code_type_external_id || ':' || co.external_id, ';') FROM entry_codes ec
              CROSS JOIN codes co ON co.customer_id = e.customer_id AND co.id = ec.code_id WHERE ec.entry_pk = e.pk)
         FROM entries e {MATTER_JOIN}
         WHERE e.customer_id = ?1 AND e.last_release_pending_at > ?2 AND e.last_release_pending_at <= ?3 AND e.is_deleted = 0
           AND e.status IN ('release-pending', 'release-succeeded') ORDER BY e.id"
    );
    let mut stmt = conn.prepare_cached(&sql).expect("prepare");
    let mut rows = stmt.query(params![customer, w.after.millis(), w.on_or_before.millis()]).expect("scan");
    let mut n = 0;
    while let Some(r) = rows.next().expect("row") {
        let v: Vec<Value> = values(r, 25).expect("values");
        let count = int(&v[5]);
        let inc = int(&v[6]);
        if csv {
            let fields = [
                text(&v[0]).to_string(),
                text(&v[1]).to_string(),
                text(&v[2]).to_string(),
                text(&v[3]).to_string(),
                text(&v[20]).to_string(),
                text(&v[16]).to_string(),
                text(&v[17]).to_string(),
                text(&v[4]).to_string(),
                text(&v[8]).to_string(),
                text(&v[24]).to_string(),
                count.to_string(),
                inc.to_string(),
                (count * inc).to_string(),
                format!("{}.{:04}", count * inc / 3600, (count * inc % 3600) * 10_000 / 3600),
                text(&v[7]).to_string(),
                int(&v[9]).to_string(),
            ];
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                csv_field(out, f);
            }
            out.extend_from_slice(b"\r\n");
        } else {
            out.extend_from_slice(b"{\"_id\":");
            json_str(out, text(&v[0]));
            out.extend_from_slice(b",\"customerId\":");
            json_str(out, text(&v[1]));
            out.extend_from_slice(b",\"userId\":");
            json_str(out, text(&v[2]));
            out.extend_from_slice(b",\"workDate\":");
            json_str(out, text(&v[3]));
            out.extend_from_slice(b",\"summary\":");
            json_str(out, text(&v[4]));
            let _ = write!(out, ",\"unitIncrementCount\":{count},\"incrementDurationInSeconds\":{}", count * inc);
            out.extend_from_slice(b",\"initiativeProps\":{\"tags\":[],\"initiative\":{\"type\":");
            json_str(out, text(&v[12]));
            out.extend_from_slice(b",\"_id\":");
            json_str(out, text(&v[11]));
            out.extend_from_slice(b",\"billingType\":");
            json_str(out, text(&v[13]));
            out.extend_from_slice(b",\"callSign\":");
            json_str(out, text(&v[14]));
            let _ = write!(out, ",\"unitIncrements\":{}", int(&v[15]));
            out.extend_from_slice(b",\"externalId\":");
            json_str(out, text(&v[16]));
            out.extend_from_slice(b",\"name\":");
            json_str(out, text(&v[17]));
            out.extend_from_slice(b",\"client\":{\"_id\":");
            json_str(out, text(&v[19]));
            out.extend_from_slice(b",\"externalId\":");
            json_str(out, text(&v[20]));
            out.extend_from_slice(b",\"name\":");
            json_str(out, text(&v[21]));
            out.extend_from_slice(b",\"callSign\":");
            json_str(out, text(&v[23]));
            out.extend_from_slice(b"}}}");
            if let Value::Text(x) = &v[7] {
                out.extend_from_slice(b",\"externalId\":");
                json_str(out, x);
            }
            if let Value::Text(x) = &v[8] {
                out.extend_from_slice(b",\"notes\":");
                json_str(out, x);
            }
            let _ = write!(out, ",\"releaseCount\":{}}}", int(&v[9]));
        }
        n += 1;
        if out.len() > 1 << 20 {
            std::hint::black_box(&out);
            out.clear();
        }
    }
    n
}

/// Every column of an entry's rows (entry, its sources, its codes), to insert copies raw.
struct Template {
    entry: Vec<Value>,
    sources: Vec<Vec<Value>>,
    codes: Vec<Vec<Value>>,
}

fn template(conn: &Connection, customer: &ObjectId, id: &ObjectId) -> Template {
    let pk: i64 = conn.query_row("SELECT pk FROM entries WHERE customer_id = ?1 AND id = ?2", params![customer, id], |r| r.get(0)).expect("pk");
    let rows = |sql: &str| -> Vec<Vec<Value>> {
        let mut st = conn.prepare(sql).expect("prepare");
        let n = st.column_count();
        st.query_map(params![pk], |r| values(r, n)).expect("q").collect::<rusqlite::Result<_>>().expect("rows")
    };
    let entry = rows("SELECT * FROM entries WHERE pk = ?1").into_iter().next().expect("row");
    Template { entry, sources: rows("SELECT * FROM sources WHERE entry_pk = ?1"), codes: rows("SELECT * FROM entry_codes WHERE entry_pk = ?1") }
}

fn fresh_id(i: usize) -> ObjectId {
    ObjectId::parse(&format!("7f{:022x}", i as u128 * 7919 + 1_000_000_007)).expect("id")
}

/// Inserts a copy of the template with new ids in one IMMEDIATE transaction (the raw create).
fn raw_create(conn: &mut Connection, t: &Template, n: usize) {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).expect("begin");
    {
        let mut entry = t.entry.clone();
        entry[0] = Value::Null;
        entry[2] = Value::Text(fresh_id(n).to_string());
        let sql = format!("INSERT INTO entries VALUES ({})", vec!["?"; entry.len()].join(", "));
        tx.prepare_cached(&sql).expect("prepare").execute(params_from_iter(entry.iter())).expect("insert entry");
        let pk = tx.last_insert_rowid();
        for (k, s) in t.sources.iter().enumerate() {
            let mut s = s.clone();
            s[0] = Value::Null;
            s[2] = Value::Text(fresh_id(n * 1000 + k + 500_000_000).to_string());
            s[4] = Value::Integer(pk);
            let sql = format!("INSERT INTO sources VALUES ({})", vec!["?"; s.len()].join(", "));
            tx.prepare_cached(&sql).expect("prepare").execute(params_from_iter(s.iter())).expect("insert source");
        }
        for c in &t.codes {
            let mut c = c.clone();
            c[0] = Value::Integer(pk);
            let sql = format!("INSERT INTO entry_codes VALUES ({})", vec!["?"; c.len()].join(", "));
            tx.prepare_cached(&sql).expect("prepare").execute(params_from_iter(c.iter())).expect("insert code");
        }
    }
    tx.commit().expect("commit");
}

/// The raw override: one UPDATE of the changed columns in one IMMEDIATE transaction.
fn raw_override(conn: &mut Connection, customer: &ObjectId, id: &ObjectId, summary: &str, adj: i64, now: i64) {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).expect("begin");
    tx.prepare_cached(
        "UPDATE entries SET summary = ?3, units_adjustments = ?4, updated_at = ?5, version = version + 1 WHERE customer_id = ?1 AND id = ?2 AND is_locked = 0",
    )
    .expect("prepare")
    .execute(params![customer, id, summary, adj, now])
    .expect("update");
    tx.commit().expect("commit");
}

fn raw_release(conn: &mut Connection, customer: &ObjectId, user: &ObjectId, id: &ObjectId, now: i64) {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).expect("begin");
    tx.prepare_cached(
        "UPDATE entries SET status = 'release-pending', is_locked = 1, release_count = release_count + 1, last_release_pending_at = ?4, released_by = ?3,
           updated_at = ?4, version = version + 1 WHERE customer_id = ?1 AND id = ?2 AND user_id = ?3 AND status = 'validation-succeeded'",
    )
    .expect("prepare")
    .execute(params![customer, id, user, now])
    .expect("update");
    tx.commit().expect("commit");
}

fn raw_release_succeeded_batch(conn: &mut Connection, customer: &ObjectId, ids: &[ObjectId], now: i64) {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).expect("begin");
    {
        let mut st = tx
            .prepare_cached(
                "UPDATE entries SET status = 'release-succeeded', external_id = ?3, release_success_at = ?4, last_synced_at = ?4, updated_at = ?4,
                   version = version + 1 WHERE customer_id = ?1 AND id = ?2 AND status = 'release-pending'",
            )
            .expect("prepare");
        for id in ids {
            st.execute(params![customer, id, format!("PMS-{id}"), now]).expect("update");
        }
    }
    tx.commit().expect("commit");
}

const TOTALS_SQL: &str = "SELECT user_id, work_date, initiative_id, count(*), sum(units_from_sources + units_adjustments), sum((units_from_sources + units_adjustments) * unit_increments)
     FROM entries WHERE customer_id = ?1 AND (?2 IS NULL OR user_id = ?2) AND work_date >= ?3 AND work_date <= ?4 AND is_deleted = 0
     GROUP BY user_id, work_date, initiative_id ORDER BY user_id, work_date, initiative_id";

/// The raw aggregate: the same SQL as the engine's, with the user's equality when one is given
/// (so the (customer, user, work date) index serves it).
fn raw_totals(conn: &Connection, customer: &ObjectId, user: Option<&ObjectId>, from: Date, to: Date) -> usize {
    let sql = if user.is_some() {
        TOTALS_SQL.replace("(?2 IS NULL OR user_id = ?2)", "user_id = ?2")
    } else {
        TOTALS_SQL.replace("(?2 IS NULL OR user_id = ?2)", "?2 IS NULL")
    };
    let mut st = conn.prepare_cached(&sql).expect("prepare");
    let rows: Vec<Vec<Value>> = st
        .query_map(params![customer, user, from.to_string(), to.to_string()], |r| values(r, 6))
        .expect("totals")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    rows.len()
}

// ----- memory ---------------------------------------------------------------------------------

/// Resets the peak RSS of this process (Linux `clear_refs` 5); false where unsupported.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn status_kib(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok())
}

// ----- the suite ------------------------------------------------------------------------------

struct Ctx {
    bf: BenchFirm,
    engine: Engine,
    raw: Connection,
    all: Window,
}

fn open_engine(path: &Path, clock: &Arc<tenths::FixedClock>, durability: Durability) -> Engine {
    Engine::open_with(path, OpenOptions { durability, ..OpenOptions::default() }, clock.clone() as Arc<dyn Clock>).expect("open")
}

fn sample_ids(conn: &Connection, customer: &ObjectId, sql: &str, n: usize) -> Vec<(ObjectId, ObjectId)> {
    let mut st = conn.prepare(sql).expect("prepare");
    st.query_map(params![customer, n as i64], |r| Ok((r.get::<_, ObjectId>(0)?, r.get::<_, ObjectId>(1)?)))
        .expect("q")
        .collect::<rusqlite::Result<_>>()
        .expect("rows")
}

fn main() {
    let bench = benchmarking();
    let list = std::env::args().any(|a| a == "--list");
    let scale_name = if bench { std::env::var("TENTHS_BENCH_SCALE").unwrap_or_else(|_| "small".into()) } else { "tiny".into() };
    let entries = firm::scale_entries(&scale_name).unwrap_or_else(|| panic!("TENTHS_BENCH_SCALE={scale_name}: tiny, small, full or a number"));
    if list {
        Criterion::default().configure_from_args().final_summary();
        return;
    }
    let t0 = Instant::now();
    // The smoke test (criterion's test mode) always builds its tiny firm, so the build cannot rot.
    let bf = firm::prepare(entries, !bench);
    eprintln!("bench data ready in {:.1} s ({} entries, built now: {})", t0.elapsed().as_secs_f64(), bf.build.entries, bf.built_now);
    let engine = open_engine(&bf.engine_path, &bf.clock, Durability::Full);
    let raw = open_raw(&bf.engine_path).expect("open raw");
    let all = Window::new(Timestamp::from_millis(0).expect("ts"), Timestamp::parse("9000-01-01T00:00:00Z").expect("ts")).expect("window");
    let mut ctx = Ctx { bf, engine, raw, all };
    let rounds = if bench { 1 } else { 0 };
    let mut table = Table(Vec::new());
    let n_small = if bench { 400 } else { 6 };

    // `TENTHS_BENCH_ONLY=export,writes` runs only the named parts of the table (criterion's
    // per-call reads are the part `reads`); unset, everything runs.
    let only = std::env::var("TENTHS_BENCH_ONLY").ok();
    let runs = |part: &str| only.as_deref().is_none_or(|o| o.split(',').any(|p| p.trim() == part));

    // Criterion: the per-call reads.
    if runs("reads") {
        let mut c =
            Criterion::default().sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2)).configure_from_args();
        criterion_reads(&mut c, &ctx);
        c.final_summary();
    }

    if runs("import") {
        import_and_size(&mut table, &ctx);
    }
    if runs("get") {
        get(&mut table, &ctx, if bench { 5_000 } else { 20 });
    }
    if runs("pages") {
        pages(&mut table, &ctx, if bench { 300 } else { 3 }, rounds);
    }
    if runs("totals") {
        totals(&mut table, &ctx, if bench { 50 } else { 2 });
    }
    if runs("export") {
        export(&mut table, &ctx, bench);
    }
    if runs("writes") {
        writes(&mut table, &mut ctx, n_small);
    }
    if runs("release") {
        release(&mut table, &mut ctx, bench);
    }
    if runs("overlap") {
        overlap(&mut table, &mut ctx, if bench { 20 } else { 2 });
    }

    let md = table.markdown();
    println!("\n{md}");
    let out = firm::data_dir().join(format!("results-{}.md", ctx.bf.build.entries));
    let header = format!(
        "scale {scale_name}: {} entries, {} users, {} matters, {} clients; total run {:.0} s\n\n",
        ctx.bf.build.entries,
        ctx.bf.scale.users,
        ctx.bf.scale.matters,
        ctx.bf.scale.clients,
        t0.elapsed().as_secs_f64()
    );
    std::fs::write(&out, format!("{header}{md}")).expect("write the results");
    println!("written to {}", out.display());
    if !bench {
        println!("(test mode: tiny scale, indicative only)");
    }
    ctx.engine.close().expect("close");
    drop(ctx.raw);
    remove_db(&ctx.bf.engine_path);
}

fn criterion_reads(c: &mut Criterion, ctx: &Ctx) {
    let customer = ctx.bf.firm.customer;
    let ids = sample_ids(&ctx.raw, &customer, "SELECT user_id, id FROM entries WHERE customer_id = ?1 ORDER BY pk % 7919, pk LIMIT ?2", 1000);
    let mut g = c.benchmark_group("ops");
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
            let (u, id) = ids[i % ids.len()];
            i += 1;
            raw_get(&ctx.raw, &customer, &u, &id)
        })
    });
    g.bench_function("v2_page_100/tenths", |b| b.iter(|| ctx.engine.list_updated_page(&customer, ctx.all, 100, None).expect("page")));
    g.bench_function("v2_page_100/raw", |b| b.iter(|| raw_page(&ctx.raw, &customer, ctx.all, "", 101)));
    let week = week_of(ctx);
    g.bench_function("totals_week/tenths", |b| b.iter(|| ctx.engine.totals(&customer, None, week.0, week.1).expect("totals")));
    g.bench_function("totals_week/raw", |b| b.iter(|| raw_totals(&ctx.raw, &customer, None, week.0, week.1)));
    g.finish();
}

/// The last Friday with work of the data set (its weekend is empty and in the past).
fn last_friday(ctx: &Ctx) -> Date {
    ctx.bf.months.iter().flatten().copied().rfind(|d| d.weekday_from_monday() == 4).expect("a friday")
}

fn week_of(ctx: &Ctx) -> (Date, Date) {
    let m = &ctx.bf.months[ctx.bf.months.len() / 2];
    let monday = m.iter().copied().find(|d| d.weekday_from_monday() == 0).unwrap_or(m[0]);
    (monday, monday.add_days(6).expect("date"))
}

fn import_and_size(t: &mut Table, ctx: &Ctx) {
    let b = &ctx.bf.build;
    let n = b.entries as f64;
    let (e, r) = (rate(n, b.engine_import), rate(n, b.raw_insert));
    t.add(
        &format!("bulk import, {} entries (realistic: 1–3 sources, 2 codes, overlaps), {} batches", b.entries, b.batches),
        format!("{} ({:.1} s)", krate(e), b.engine_import.as_secs_f64()),
        format!("{} ({:.1} s)", krate(r), b.raw_insert.as_secs_f64()),
        format!("{:.2}", e / r),
        "≥ 0.80",
        Some(e / r >= 0.80),
    );
    if b.release_day_calls > 0 {
        t.add(
            &format!("release a day (`release_day`, ready subset), {} calls during the build", b.release_day_calls),
            format!("{} p/call, {} entries released", us(b.release_days / b.release_day_calls as u32), b.released),
            "—".into(),
            "n/a".into(),
            "measured",
            None,
        );
    }
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let (es, rs) = (size(&ctx.bf.pristine_engine), size(&ctx.bf.pristine_raw));
    t.add(
        "database size per entry",
        format!("{:.0} B ({:.1} MiB)", es as f64 / n, es as f64 / 1048576.0),
        format!("{:.0} B ({:.1} MiB, raw copy of the same rows)", rs as f64 / n, rs as f64 / 1048576.0),
        format!("{:.2}", es as f64 / rs.max(1) as f64),
        "≤ 1.10",
        Some((es as f64) <= 1.10 * rs as f64),
    );
}

fn get(t: &mut Table, ctx: &Ctx, n: usize) {
    let customer = ctx.bf.firm.customer;
    let ids = sample_ids(
        &ctx.raw,
        &customer,
        "SELECT user_id, id FROM entries WHERE customer_id = ?1 AND is_deleted = 0 ORDER BY (pk * 2654435761) % 1000003 LIMIT ?2",
        n,
    );
    let (te, tr) = interleave(
        ids.len(),
        |i| {
            let (u, id) = ids[i];
            std::hint::black_box(ctx.engine.get_entry(&Scope::new(customer, u), &id).expect("get"));
        },
        |i| {
            let (u, id) = ids[i];
            std::hint::black_box(raw_get(&ctx.raw, &customer, &u, &id));
        },
    );
    let (e, r) = (rate(te.len() as f64, total(&te)), rate(tr.len() as f64, total(&tr)));
    t.add(
        "get by id (typed, matter, client, codes, sources), random ids",
        format!("{} (p50 {})", krate(e), us(p50(&te))),
        format!("{} (p50 {}), one joined statement", krate(r), us(p50(&tr))),
        format!("{:.2}", e / r),
        "≥ 0.75",
        Some(e / r >= 0.75),
    );
}

fn pages(t: &mut Table, ctx: &Ctx, n: usize, rounds: usize) {
    let customer = ctx.bf.firm.customer;
    // Random starting points of pages of 100 across the key space.
    let starts: Vec<String> = {
        let mut st = ctx.raw.prepare("SELECT id FROM entries WHERE customer_id = ?1 ORDER BY (pk * 2654435761) % 1000003 LIMIT ?2").expect("prepare");
        st.query_map(params![customer, n as i64], |r| r.get(0)).expect("q").collect::<rusqlite::Result<_>>().expect("rows")
    };
    let (te, tr) = interleave(
        starts.len(),
        |i| {
            let c = ObjectId::parse(&starts[i]).expect("id");
            std::hint::black_box(ctx.engine.list_updated_page(&customer, ctx.all, 100, Some(&c)).expect("page"));
        },
        |i| {
            std::hint::black_box(raw_page(&ctx.raw, &customer, ctx.all, &starts[i], 101));
        },
    );
    let (pe, pr) = (p50(&te), p50(&tr));
    let ratio = pe.as_secs_f64() / pr.as_secs_f64().max(1e-12);
    t.add(
        "v2 list page of 100 (`list_updated_page`), random cursors",
        format!("p50 {}", us(pe)),
        format!("p50 {} (page + codes + sources, 3 statements)", us(pr)),
        format!("{ratio:.2}× time"),
        "≤ 1.25× time",
        Some(ratio <= 1.25),
    );
    // The full keyset sweep, both sides page by page in turn (so a burst of load from other
    // processes falls on both), each page timed; the totals are summed.
    let _ = rounds;
    let (mut te, mut tr) = (Duration::ZERO, Duration::ZERO);
    let (mut cursor, mut after): (Option<ObjectId>, String) = (None, String::new());
    let (mut e_done, mut r_done) = (false, false);
    let mut rows = 0usize;
    let mut k = 0usize;
    while !(e_done && r_done) {
        let engine_page = |cursor: &mut Option<ObjectId>, done: &mut bool| {
            let t = Instant::now();
            let p = ctx.engine.list_updated_page(&customer, ctx.all, 100, cursor.as_ref()).expect("page");
            let d = t.elapsed();
            match p.next_cursor {
                Some(c) => *cursor = Some(c),
                None => *done = true,
            }
            (d, p.items.len())
        };
        let raw_step = |after: &mut String, done: &mut bool| {
            let t = Instant::now();
            let (got, last) = raw_page(&ctx.raw, &customer, ctx.all, after, 100);
            let d = t.elapsed();
            match last {
                Some(l) if got == 100 => *after = l,
                _ => *done = true,
            }
            d
        };
        if k.is_multiple_of(2) {
            if !e_done {
                let (d, n) = engine_page(&mut cursor, &mut e_done);
                te += d;
                rows += n;
            }
            if !r_done {
                tr += raw_step(&mut after, &mut r_done);
            }
        } else {
            if !r_done {
                tr += raw_step(&mut after, &mut r_done);
            }
            if !e_done {
                let (d, n) = engine_page(&mut cursor, &mut e_done);
                te += d;
                rows += n;
            }
        }
        k += 1;
    }
    let (es, rs) = (vec![te], vec![tr]);
    let (e, r) = (rate(rows as f64, p50(&es)), rate(rows as f64, p50(&rs)));
    t.add(
        &format!("full keyset sweep of {rows} entries, pages of 100"),
        format!("{} ({:.1} s)", krate(e), p50(&es).as_secs_f64()),
        format!("{} ({:.1} s)", krate(r), p50(&rs).as_secs_f64()),
        format!("{:.2}", e / r),
        "≥ 0.80",
        Some(e / r >= 0.80),
    );
}

fn totals(t: &mut Table, ctx: &Ctx, n: usize) {
    let customer = ctx.bf.firm.customer;
    let week = week_of(ctx);
    let (te, tr) = interleave(
        n,
        |_| {
            std::hint::black_box(ctx.engine.totals(&customer, None, week.0, week.1).expect("totals"));
        },
        |_| {
            std::hint::black_box(raw_totals(&ctx.raw, &customer, None, week.0, week.1));
        },
    );
    let ratio = p50(&te).as_secs_f64() / p50(&tr).as_secs_f64().max(1e-12);
    t.add(
        &format!("weekly totals, every user × day × matter ({} … {})", week.0, week.1),
        format!("p50 {}", ms(p50(&te))),
        format!("p50 {} (same SQL, same indexes)", ms(p50(&tr))),
        format!("{ratio:.2}× time"),
        "≤ 1.25× time",
        Some(ratio <= 1.25),
    );
    let user = ctx.bf.firm.users[0].id;
    let (te, tr) = interleave(
        n * 10,
        |_| {
            std::hint::black_box(ctx.engine.totals(&customer, Some(&user), week.0, week.1).expect("totals"));
        },
        |_| {
            std::hint::black_box(raw_totals(&ctx.raw, &customer, Some(&user), week.0, week.1));
        },
    );
    let ratio = p50(&te).as_secs_f64() / p50(&tr).as_secs_f64().max(1e-12);
    t.add(
        "weekly totals of one user × day × matter",
        format!("p50 {}", us(p50(&te))),
        format!("p50 {}", us(p50(&tr))),
        format!("{ratio:.2}× time"),
        "≤ 1.25× time",
        Some(ratio <= 1.25),
    );
}

/// The window of the first `n` released entries (by release time), and of one month.
fn release_window(conn: &Connection, customer: &ObjectId, n: i64) -> Option<Window> {
    let at: Option<i64> = conn
        .query_row(
            "SELECT last_release_pending_at FROM entries WHERE customer_id = ?1 AND last_release_pending_at IS NOT NULL ORDER BY last_release_pending_at LIMIT 1 OFFSET ?2",
            params![customer, n - 1],
            |r| r.get(0),
        )
        .optional()
        .expect("window");
    at.map(|at| Window::new(Timestamp::from_millis(0).expect("ts"), Timestamp::from_millis(at).expect("ts")).expect("window"))
}

fn export(t: &mut Table, ctx: &Ctx, bench: bool) {
    let customer = ctx.bf.firm.customer;
    let months = &ctx.bf.months;
    if months.len() < 2 {
        return;
    }
    // A month of releases: the month before last was released on one day (its day-after noon).
    // Month k is released from its day-after noon, one second per (user, day): the window
    // from a day after the previous month's release to a day after its own holds it alone.
    let k = (months.len() / 2).max(1);
    let end_of = |m: &Vec<Date>| Timestamp::from_millis(firm::day_after_noon(*m.last().expect("day")).millis() + 86_400_000).expect("ts");
    let w = Window::new(end_of(&months[k - 1]), end_of(&months[k])).expect("window");
    let n_rounds = if bench { 3 } else { 1 };
    for how in [Export::Rows, Export::Entries, Export::Csv] {
        let csv = how == Export::Csv;
        let mut te = Vec::new();
        let mut tr = Vec::new();
        let mut rows = 0;
        for k in 0..n_rounds {
            let e = || {
                let t = Instant::now();
                let n = engine_export(&ctx.engine, &customer, w, how);
                (t.elapsed(), n)
            };
            let r = || {
                let t = Instant::now();
                let mut out = Vec::with_capacity(1 << 21);
                let n = raw_export(&ctx.raw, &customer, w, csv, &mut out);
                (t.elapsed(), n)
            };
            if k % 2 == 0 {
                let (d, n) = e();
                te.push(d);
                rows = n;
                tr.push(r().0);
            } else {
                tr.push(r().0);
                te.push(e().0);
            }
        }
        let (e, r) = (rate(rows as f64, p50(&te)), rate(rows as f64, p50(&tr)));
        t.add(
            &format!(
                "export a month of released entries as {} ({rows} entries)",
                match how {
                    Export::Rows => "JSON pages (`export_page` + `export_item`, what the HTTP export serves)",
                    Export::Entries => "JSON pages of complete entries (`export_released_page` + `export_item`)",
                    Export::Csv => "CSV (`export_csv`)",
                }
            ),
            format!("{} ({})", krate(e), ms(p50(&te))),
            format!("{} ({}), one scan serialised from the row values", krate(r), ms(p50(&tr))),
            format!("{:.2}", e / r),
            "≥ 0.70",
            Some(e / r >= 0.70),
        );
    }
    // Peak memory of a CSV export at two window sizes.
    let mut peaks = Vec::new();
    for n in [10_000i64, 1_000_000] {
        let Some(w) = release_window(&ctx.raw, &customer, n.min(ctx.bf.build.released as i64).max(1)) else { continue };
        if !reset_peak() {
            break;
        }
        let before = status_kib("VmHWM:").unwrap_or(0);
        let rows = ctx.engine.export_csv(&customer, w, &mut std::io::sink()).expect("export");
        let peak = status_kib("VmHWM:").unwrap_or(0);
        peaks.push((rows, before, peak));
    }
    if let [(r1, b1, p1), (r2, b2, p2)] = peaks[..] {
        t.add(
            "export CSV peak RSS (whole process) at two window sizes",
            format!("{r1} entries: {} MiB (+{} KiB); {r2} entries: {} MiB (+{} KiB)", p1 / 1024, p1.saturating_sub(b1), p2 / 1024, p2.saturating_sub(b2)),
            "—".into(),
            format!("{:.2}× peak", p2 as f64 / p1.max(1) as f64),
            "independent of the window",
            Some((p2 as f64) < 1.10 * p1 as f64 + 4096.0),
        );
    }
}

/// How the engine side of the export case reads the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Export {
    /// JSON pages of 100 of export rows (`export_page`).
    Rows,
    /// JSON pages of 100 of complete entries (`export_released_page`).
    Entries,
    /// The CSV export.
    Csv,
}

fn engine_export(engine: &Engine, customer: &ObjectId, w: Window, how: Export) -> u64 {
    if how == Export::Csv {
        let mut sink = Vec::with_capacity(1 << 21);
        struct Chunked<'a>(&'a mut Vec<u8>);
        impl std::io::Write for Chunked<'_> {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                if self.0.len() > 1 << 20 {
                    std::hint::black_box(&self.0);
                    self.0.clear();
                }
                self.0.extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        return engine.export_csv(customer, w, &mut Chunked(&mut sink)).expect("export");
    }
    let mut out: Vec<u8> = Vec::with_capacity(1 << 21);
    let mut cursor = None;
    let mut n = 0;
    loop {
        let next = if how == Export::Rows {
            let p = engine.export_page(customer, w, 100, cursor.as_ref()).expect("page");
            for e in &p.items {
                serde_json::to_writer(&mut out, &e.export_item()).expect("json");
                n += 1;
            }
            p.next_cursor
        } else {
            let p = engine.export_released_page(customer, w, 100, cursor.as_ref()).expect("page");
            for e in &p.items {
                serde_json::to_writer(&mut out, &e.export_item()).expect("json");
                n += 1;
            }
            p.next_cursor
        };
        if out.len() > 1 << 20 {
            std::hint::black_box(&out);
            out.clear();
        }
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    n
}

fn writes(t: &mut Table, ctx: &mut Ctx, n: usize) {
    let customer = ctx.bf.firm.customer;
    let users = &ctx.bf.firm.users;
    let u_engine = users[0].id;
    let saturday = last_friday(ctx).add_days(1).expect("a saturday");
    let code_ids: Vec<ObjectId> = ctx.bf.imported.code_ids.values().copied().take(0).collect();
    let matter = ctx.bf.imported.matter_ids[ctx.bf.firm.users[0].matters[0]];
    let base = Timestamp::parse(&format!("{saturday}T00:00:00Z")).expect("ts").millis();
    let new_entry = |i: usize| NewEntry {
        initiative_id: Some(matter),
        summary: Some(format!("Review and respond to email from opposing counsel regarding the protective order ({i}).")),
        sources: vec![SourceInput {
            kind: SourceKind::Email,
            started_at: Timestamp::from_millis(base + i as i64 * 360_000).expect("ts"),
            ended_at: Timestamp::from_millis(base + i as i64 * 360_000 + 300_000).expect("ts"),
            title: Some("RE: FW: the protective order".into()),
        }],
        code_ids: code_ids.clone(),
        creation_method: Some("grouped".into()),
        ..NewEntry::default()
    };
    // Editable entries (mostly of the open month) for overrides, alternately to each side.
    let editable = sample_ids(
        &ctx.raw,
        &customer,
        "SELECT user_id, id FROM entries WHERE customer_id = ?1 AND is_locked = 0 AND is_deleted = 0 ORDER BY (pk * 2654435761) % 1000003 LIMIT ?2",
        4 * n,
    );
    let ed_e: Vec<(ObjectId, ObjectId)> = editable.iter().copied().step_by(2).collect();
    let ed_r: Vec<(ObjectId, ObjectId)> = editable.iter().copied().skip(1).step_by(2).collect();
    let mut ed_offset = 0usize;
    let mut offset = 0usize;
    for durability in [Durability::Full, Durability::Normal] {
        let label = if durability == Durability::Full { "FULL" } else { "NORMAL" };
        ctx.engine.close().expect("close");
        ctx.engine = open_engine(&ctx.bf.engine_path, &ctx.bf.clock, durability);
        ctx.raw.execute_batch(&format!("PRAGMA synchronous = {label}")).expect("pragma");
        let scope = Scope::new(customer, u_engine);
        let (first, _) = ctx.engine.create_entry(&scope, &new_entry(offset)).expect("create");
        let tpl = template(&ctx.raw, &customer, &first.id);
        offset += 1;
        let engine = &ctx.engine;
        let raw = &mut ctx.raw;
        let o = offset;
        let (te, tr) = interleave(
            n,
            |i| {
                std::hint::black_box(engine.create_entry(&scope, &new_entry(o + i)).expect("create"));
            },
            |i| raw_create(raw, &tpl, o + i + if durability == Durability::Full { 0 } else { 1_000_000 }),
        );
        offset += n;
        let (e, r) = (rate(n as f64, total(&te)), rate(n as f64, total(&tr)));
        let dp = p50(&te).as_secs_f64() - p50(&tr).as_secs_f64();
        t.add(
            &format!("single create (1 source, overlap check), one durable transaction, WAL synchronous {label}"),
            format!("{} (p50 {})", krate(e), us(p50(&te))),
            format!("{} (p50 {}), raw insert of the same rows", krate(r), us(p50(&tr))),
            format!("{:.2}, p50 {:+.0} µs", e / r, dp * 1e6),
            "≥ 0.90, p50 ≤ +30 µs",
            Some(e / r >= 0.90 && dp <= 30e-6),
        );
        let m = (ed_e.len().min(ed_r.len()) / 2).min(n);
        let now = ctx.bf.clock.now().millis();
        let eo = ed_offset;
        let (te, tr) = interleave(
            m,
            |i| {
                let (u, id) = ed_e[eo + i];
                let input = OverrideInput {
                    summary: Some(format!("Revised narrative {i} ({label}).")),
                    unit_increment_count_adjustments: Some(1),
                    ..OverrideInput::default()
                };
                std::hint::black_box(engine.override_entry(&Scope::new(customer, u), &id, &input).expect("override"));
            },
            |i| raw_override(raw, &customer, &ed_r[eo + i].1, &format!("Revised narrative {i} ({label})."), 1, now),
        );
        ed_offset += m;
        let (e, r) = (rate(m as f64, total(&te)), rate(m as f64, total(&tr)));
        let dp = p50(&te).as_secs_f64() - p50(&tr).as_secs_f64();
        t.add(
            &format!("single override (summary + adjustment), one durable transaction, WAL synchronous {label}"),
            format!("{} (p50 {})", krate(e), us(p50(&te))),
            format!("{} (p50 {}), raw UPDATE", krate(r), us(p50(&tr))),
            format!("{:.2}, p50 {:+.0} µs", e / r, dp * 1e6),
            "≥ 0.90, p50 ≤ +30 µs",
            Some(e / r >= 0.90 && dp <= 30e-6),
        );
    }
    ctx.engine.close().expect("close");
    ctx.engine = open_engine(&ctx.bf.engine_path, &ctx.bf.clock, Durability::Full);
    ctx.raw.execute_batch("PRAGMA synchronous = FULL").expect("pragma");
}

fn release(t: &mut Table, ctx: &mut Ctx, bench: bool) {
    let customer = ctx.bf.firm.customer;
    // Release: validation-succeeded entries of the open month, split between the two sides.
    let ready: Vec<(ObjectId, ObjectId)> = sample_ids(
        &ctx.raw,
        &customer,
        "SELECT user_id, id FROM entries WHERE customer_id = ?1 AND status = 'validation-succeeded' AND is_locked = 0 AND is_deleted = 0 ORDER BY (pk * 2654435761) % 1000003 LIMIT ?2",
        if bench { 400 } else { 8 },
    );
    // Batch release-succeeded of up to 1,000 release-pending entries per call.
    let pending: Vec<ObjectId> = sample_ids(
        &ctx.raw,
        &customer,
        "SELECT user_id, id FROM entries WHERE customer_id = ?1 AND status = 'release-pending' ORDER BY (pk * 2654435761) % 1000003 LIMIT ?2",
        6_000,
    )
    .into_iter()
    .map(|(_, id)| id)
    .collect();
    let half = ready.len() / 2;
    let now = ctx.bf.clock.now().millis();
    let engine = &ctx.engine;
    let raw = &mut ctx.raw;
    let (te, tr) = interleave(
        half,
        |i| {
            let (u, id) = ready[i];
            std::hint::black_box(engine.release_entry(&Scope::new(customer, u), &id).expect("release"));
        },
        |i| {
            let (u, id) = ready[half + i];
            raw_release(raw, &customer, &u, &id, now);
        },
    );
    let (e, r) = (rate(half as f64, total(&te)), rate(half as f64, total(&tr)));
    t.add(
        "release one entry, one durable transaction (FULL)",
        format!("{} (p50 {})", krate(e), us(p50(&te))),
        format!("{} (p50 {}), raw UPDATE", krate(r), us(p50(&tr))),
        format!("{:.2}", e / r),
        "measured (no goal set)",
        None,
    );
    let size = (pending.len() / 6).min(1_000);
    if size == 0 {
        return;
    }
    let chunks: Vec<&[ObjectId]> = pending.chunks(size).take(6).collect();
    let (te, tr) = interleave(
        3,
        |i| {
            let items = tenths_benches::succeeded_items(chunks[2 * i]);
            std::hint::black_box(engine.release_succeeded_batch(&customer, &items).expect("batch"));
        },
        |i| raw_release_succeeded_batch(raw, &customer, chunks[2 * i + 1], now),
    );
    let (e, r) = (rate(size as f64, p50(&te)), rate(size as f64, p50(&tr)));
    t.add(
        &format!("batch release-succeeded of {size} entries, one transaction (FULL)"),
        format!("{} ({})", krate(e), ms(p50(&te))),
        format!("{} ({}), raw UPDATEs in one transaction", krate(r), ms(p50(&tr))),
        format!("{:.2}", e / r),
        "measured (no goal set)",
        None,
    );
}

fn overlap(t: &mut Table, ctx: &mut Ctx, n: usize) {
    // Two Saturdays of one user: one dense (40 entries over the same two hours, every one
    // overlapping every other), one sparse (40 entries that never overlap). Deleting an entry
    // moves its sources out: the dense day recomputes its 39 neighbours, the sparse one nothing.
    let customer = ctx.bf.firm.customer;
    let user = ctx.bf.firm.users[0].id;
    let scope = Scope::new(customer, user);
    // Sundays one and two weeks back: away from the creates of the Saturday after the last Friday.
    let sunday = last_friday(ctx).add_days(-5).expect("d");
    let base = Timestamp::parse(&format!("{sunday}T14:00:00Z")).expect("ts").millis();
    let sparse_base = base - 7 * 86_400_000;
    let matter = ctx.bf.imported.matter_ids[ctx.bf.firm.users[0].matters[0]];
    let mk = |start: i64, minutes: i64| NewEntry {
        initiative_id: Some(matter),
        summary: Some("Attend strategy meeting regarding claim construction.".into()),
        sources: vec![SourceInput {
            kind: SourceKind::Meeting,
            started_at: Timestamp::from_millis(start).expect("ts"),
            ended_at: Timestamp::from_millis(start + minutes * 60_000).expect("ts"),
            title: None,
        }],
        ..NewEntry::default()
    };
    let dense: Vec<NewEntry> = (0..40).map(|i| mk(base + i * 60_000, 120)).collect();
    let sparse: Vec<NewEntry> = (0..40).map(|i| mk(sparse_base + i * 20 * 60_000, 10)).collect();
    let dense_ids = ctx.engine.import_entries(&scope, &dense).expect("dense");
    let sparse_ids = ctx.engine.import_entries(&scope, &sparse).expect("sparse");
    let visited0 = tenths::engine::overlap_rows_visited(&ctx.engine);
    let engine = &ctx.engine;
    let (td, ts) = interleave(
        n.min(20),
        |i| {
            std::hint::black_box(engine.delete_entry(&scope, &dense_ids[i]).expect("delete"));
        },
        |i| {
            std::hint::black_box(engine.delete_entry(&scope, &sparse_ids[i]).expect("delete"));
        },
    );
    let visited = tenths::engine::overlap_rows_visited(&ctx.engine) - visited0;
    let ratio = p50(&td).as_secs_f64() / p50(&ts).as_secs_f64().max(1e-12);
    t.add(
        "overlap upkeep: delete an entry of a dense day (39 overlapping neighbours recomputed) vs of a sparse day (none)",
        format!("dense p50 {}", us(p50(&td))),
        format!("sparse p50 {} ({} source rows visited in all)", us(p50(&ts)), visited),
        format!("{ratio:.2}× time"),
        "measured (bounded by the neighbours, never the user's history)",
        None,
    );
}
