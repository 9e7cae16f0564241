//! Durable creates per second through `tenths serve` on SQLite (synchronous FULL, a file on the
//! real disk under the target directory), with 1 and with 16 concurrent HTTP clients, group
//! commit on (the default) and off (`--no-group-commit`), interleaved in rounds; p50 and p99 of a
//! create's latency as its client saw it (issue 13 item 3, decision 103).
//!
//! `cargo bench -p tenths-benches --bench group_commit -- [SECONDS per run, default 5] [ROUNDS,
//! default 3]` (`scripts/bench-group-commit` builds the server first). Without `--bench` (how
//! `cargo test --all-targets` runs it) it runs once at a tiny scale, and asserts only that every
//! create was acknowledged. The server binary is `TENTHS_BIN`, else the `tenths` beside this
//! benchmark's own build directory.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "bench-group-commit";
const CUSTOMER: &str = "64b7f0c2a1b2c3d4e5f60c01";

/// The build directory this benchmark runs from (`target/release`, `target/debug`).
fn build_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.parent().and_then(|deps| deps.parent()).expect("a build directory").to_path_buf()
}

fn server_binary() -> PathBuf {
    std::env::var_os("TENTHS_BIN").map(PathBuf::from).unwrap_or_else(|| build_dir().join("tenths"))
}

/// A `tenths serve` on a fresh file of its own.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(db: &std::path::Path, group_commit: bool) -> Server {
        let mut args = vec!["serve".to_string(), "--db".into(), db.display().to_string(), "--addr".into(), "127.0.0.1:0".into(), "--no-metrics".into()];
        if !group_commit {
            args.push("--no-group-commit".into());
        }
        let bin = server_binary();
        let mut child = Command::new(&bin)
            .args(&args)
            .env("TENTHS_JWT_SECRET", SECRET)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} ({e}): build it first (cargo build -p tenths-cli)", bin.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("listening line");
        let base = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("no listening line: {line:?}")).to_string();
        Server { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

fn token(user: &str) -> String {
    let exp = i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs()).expect("seconds") + 3600;
    let principal =
        tenths::api::Principal::new(tenths::ObjectId::parse(CUSTOMER).expect("id"), tenths::ObjectId::parse(user).expect("id"), tenths::api::Role::User);
    tenths::api::mint_hs256(SECRET.as_bytes(), &principal, exp).expect("token")
}

/// One run's figures.
struct Run {
    creates: usize,
    seconds: f64,
    latencies: Vec<Duration>,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.creates as f64 / self.seconds
    }
    fn quantile(&self, q: f64) -> f64 {
        let mut l = self.latencies.clone();
        l.sort();
        let i = ((l.len() as f64 - 1.0) * q).round() as usize;
        l.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
}

/// `clients` clients, each its own user, each creating entries one after another for `length`.
fn run(server: &Server, clients: usize, length: Duration) -> Run {
    let started = Instant::now();
    let per_client: Vec<(usize, Vec<Duration>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|k| {
                let base = server.base.clone();
                s.spawn(move || {
                    let user = format!("64b7f0c2a1b2c3d4e5f6{:04x}", k + 1);
                    let auth = format!("Bearer {}", token(&user));
                    let url = format!("{base}/api/v1/public/customers/{CUSTOMER}/users/{user}/entries");
                    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
                    let mut latencies = Vec::new();
                    let mut n = 0usize;
                    while started.elapsed() < length {
                        n += 1;
                        let body = format!(r#"{{"summary": "Drafted the motion, part {n}", "durationInSeconds": 360}}"#);
                        let t = Instant::now();
                        let mut resp =
                            agent.post(&url).header("Authorization", &auth).header("Content-Type", "application/json").send(body).expect("HTTP exchange");
                        let status = resp.status().as_u16();
                        let text = resp.body_mut().read_to_string().unwrap_or_default();
                        assert_eq!(status, 201, "a create was not acknowledged: {text}");
                        latencies.push(t.elapsed());
                    }
                    (latencies.len(), latencies)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("client")).collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let creates = per_client.iter().map(|(n, _)| n).sum();
    Run { creates, seconds, latencies: per_client.into_iter().flat_map(|(_, l)| l).collect() }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench = args.iter().any(|a| a == "--bench");
    let numbers: Vec<f64> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let (length, rounds) = match bench {
        true => (Duration::from_secs_f64(numbers.first().copied().unwrap_or(5.0)), numbers.get(1).map_or(3, |r| *r as usize)),
        false => (Duration::from_millis(300), 1),
    };
    if !bench && !server_binary().exists() {
        // `cargo test -p tenths-benches` alone builds no server; the test command's workspace build does.
        println!("skipped: {} is not built (cargo build -p tenths-cli)", server_binary().display());
        return;
    }
    let dir = build_dir().join(format!("bench-group-commit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench directory");
    println!(
        "durable creates through tenths serve (SQLite, synchronous FULL, {}), {} s a run, {rounds} rounds, {} cores",
        dir.display(),
        length.as_secs_f64(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut per_case: Vec<((bool, usize), Vec<f64>)> = Vec::new();
    for round in 1..=rounds {
        for group_commit in [false, true] {
            for clients in [1, 16] {
                let db = dir.join(format!("r{round}-{group_commit}-{clients}.sqlite"));
                let server = Server::start(&db, group_commit);
                let r = run(&server, clients, length);
                drop(server);
                assert!(r.creates > 0, "no create was acknowledged");
                let mode = if group_commit { "group commit on " } else { "group commit off" };
                println!(
                    "round {round}  {mode}  {clients:>2} clients  {:>7.0} creates/s  p50 {:>6.2} ms  p99 {:>6.2} ms  ({} creates)",
                    r.per_second(),
                    r.quantile(0.50),
                    r.quantile(0.99),
                    r.creates
                );
                match per_case.iter_mut().find(|(k, _)| *k == (group_commit, clients)) {
                    Some((_, v)) => v.push(r.per_second()),
                    None => per_case.push(((group_commit, clients), vec![r.per_second()])),
                }
            }
        }
    }
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    for group_commit in [false, true] {
        let of = |clients| per_case.iter().find(|(k, _)| *k == (group_commit, clients)).map_or(0.0, |(_, v)| median(v));
        println!("median, group commit {}: 16 clients / 1 client = {:.1}x", if group_commit { "on " } else { "off" }, of(16) / of(1).max(f64::MIN_POSITIVE));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
