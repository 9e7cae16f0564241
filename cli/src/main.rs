//! `tenths`: the command line of the tenths engine.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tenths_cli::demo::{self, DemoOptions};

/// tenths: an embeddable engine for billable legal time entries.
#[derive(Debug, Parser)]
#[command(name = "tenths", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a month in the life of a small firm through the engine and print a report.
    ///
    /// Imports a firm (3 clients, 8 matters billed in 360, 900 and 36 second increments, UTBMS
    /// code types and codes, required code types, validation rules), captures a month of
    /// activities for each timekeeper (some overlapping) grouped into entries, runs timers,
    /// releases days, plays a PMS connector that accepts most entries and rejects some, fixes
    /// and re-releases the rejected ones, unreleases one, prints hours, units, statuses,
    /// failures and overlap, and writes the export CSV. The same seed gives the same data.
    ///
    /// The database file is recreated on every run: if PATH exists and is a tenths database,
    /// it is deleted together with its -wal and -shm files first (any other file is refused).
    Demo {
        /// Database file to (re)create.
        #[arg(long, value_name = "PATH", default_value = "tenths-demo.sqlite")]
        db: PathBuf,
        /// Export CSV to write [default: tenths-demo-export.csv next to the database].
        #[arg(long, value_name = "PATH")]
        csv: Option<PathBuf>,
        /// Seed of the generated data.
        #[arg(long, value_name = "N", default_value_t = 42)]
        seed: u64,
        /// Timekeepers (1 to 500).
        #[arg(long, value_name = "N", default_value_t = 5)]
        users: usize,
        /// Calendar days from Monday 2026-03-02 (1 to 3660); work happens on weekdays.
        #[arg(long, value_name = "N", default_value_t = 30)]
        days: usize,
        /// Entries per timekeeper and work day (1 to 40).
        #[arg(long, value_name = "N", default_value_t = 6)]
        entries_per_day: usize,
    },
    /// Serve the Entries API over HTTP (the seed's routes and the tenths extensions).
    ///
    /// Requests need `Authorization: Bearer <JWT>` signed with HS256 by the shared secret (see
    /// `tenths token`) or, with --jwks, RS256/ES256 by an identity provider. Serves Prometheus
    /// metrics at GET /metrics (see --no-metrics, --metrics-auth); echoes or makes X-Request-Id. Logs one line per request on stderr (RUST_LOG sets the level; default
    /// info). SIGINT or SIGTERM stops accepting, finishes in-flight requests and closes the
    /// database cleanly.
    Serve {
        /// Database: a SQLite file (created if missing) or a PostgreSQL URL
        /// (postgresql://user:pass@host:port/dbname; the schema is created or migrated).
        #[arg(long, value_name = "PATH|URL", default_value = "tenths.sqlite")]
        db: PathBuf,
        /// PostgreSQL: connections in the pool.
        #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1000))]
        pool_size: u32,
        /// PostgreSQL: longest a statement may run before it is cancelled (ms, 0: no limit); a
        /// cancelled statement answers 503.
        #[arg(long, value_name = "MS", default_value_t = 10_000)]
        statement_timeout_ms: u64,
        /// Address to listen on (port 0 picks a free port; the chosen address is printed).
        #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// HS256 secret that signs the tokens.
        #[arg(long, env = "TENTHS_JWT_SECRET", hide_env_values = true)]
        jwt_secret: Option<String>,
        /// Log as JSON lines instead of text.
        #[arg(long)]
        log_json: bool,
        /// Close a connection whose request head (headers) is not complete this long after it
        /// was opened, or after the first byte of its next request (slowloris).
        #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = tenths_cli::serve::parse_timeout)]
        header_timeout: std::time::Duration,
        /// Answer 408 and close when a request body has not arrived whole this long after its
        /// head.
        #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = tenths_cli::serve::parse_timeout)]
        body_timeout: std::time::Duration,
        /// Close a kept-alive connection that sends no new request this long after its last
        /// response.
        #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = tenths_cli::serve::parse_timeout)]
        idle_timeout: std::time::Duration,
        /// Open connections at most [default: the open-files limit (ulimit -n) less 64]. At the
        /// cap, the connection that has waited longest without a request in the engine is
        /// closed to make room; when every connection runs a request, new ones get 503.
        #[arg(long, value_name = "N")]
        max_connections: Option<usize>,
        /// Test hook: a request with `X-Tenths-Fault: panic` panics in its handler.
        #[arg(long, hide = true)]
        test_faults: bool,
        /// Skip `PRAGMA quick_check` at open (it reads the whole file; see decision 51). A
        /// damaged file is then served until a request meets the damage, and read-only from
        /// then on.
        #[arg(long)]
        skip_integrity_check: bool,
        /// SQLite: give every write its own commit (and fsync) instead of letting concurrent
        /// writes share one durable commit, each in a savepoint of its own (decision 101).
        #[arg(long)]
        no_group_commit: bool,
        /// An identity provider's JSON Web Key Set (a file or an http(s):// URL): RS256 and
        /// ES256 tokens are verified by their `kid`. The secret is then optional; with both,
        /// HS256 tokens go to the secret. A JWKS that cannot be read or parsed stops the server.
        #[arg(long, value_name = "PATH_OR_URL")]
        jwks: Option<String>,
        /// How often the JWKS is read again (a failed refresh keeps the last good keys).
        #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = tenths_cli::serve::parse_timeout)]
        jwks_refresh: std::time::Duration,
        /// The `iss` a JWKS token must name.
        #[arg(long, value_name = "ISS", requires = "jwks")]
        issuer: Option<String>,
        /// An `aud` a JWKS token must name.
        #[arg(long, value_name = "AUD", requires = "jwks")]
        audience: Option<String>,
        /// Do not serve GET /metrics.
        #[arg(long, conflicts_with = "metrics_auth")]
        no_metrics: bool,
        /// Serve GET /metrics only to an admin's bearer token (default: to anyone).
        #[arg(long)]
        metrics_auth: bool,
        /// A host webhooks may target although its addresses are loopback or private
        /// (repeatable; e.g. 127.0.0.1, or an internal service's name). Compared exactly with a
        /// target URL's host. By default no such target is accepted, and link-local (the
        /// metadata address 169.254.169.254), multicast, broadcast and unspecified addresses
        /// are refused unless named here.
        #[arg(long = "webhook-allow-host", value_name = "HOST", env = "TENTHS_WEBHOOK_ALLOW_HOSTS", value_delimiter = ',')]
        webhook_allow_hosts: Vec<String>,
        /// Do not run the webhook delivery worker (deliveries stay queued for another process).
        #[arg(long)]
        no_webhooks: bool,
        /// Longest one webhook attempt may take (connect, send, answer).
        #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = tenths_cli::serve::parse_timeout)]
        webhook_timeout: std::time::Duration,
        /// Attempts after which a webhook delivery is dead.
        #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(i64).range(1..=100))]
        webhook_max_attempts: i64,
        /// Dead deliveries in a row after which a webhook subscription is disabled.
        #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(i64).range(1..=1000))]
        webhook_disable_after: i64,
        /// Test hook: the first retry's wait in ms (doubled after each failure).
        #[arg(long, hide = true, default_value_t = 30_000, value_parser = clap::value_parser!(i64).range(1..=86_400_000))]
        webhook_retry_base_ms: i64,
        /// Test hook: how long an idle delivery thread waits before it looks again, ms.
        #[arg(long, hide = true, default_value_t = 250, value_parser = clap::value_parser!(u64).range(1..=60_000))]
        webhook_poll_ms: u64,
    },
    /// Print a signed token (HS256 JWT) for `tenths serve`.
    Token {
        /// The secret `tenths serve` was started with.
        #[arg(long, env = "TENTHS_JWT_SECRET", hide_env_values = true)]
        secret: String,
        /// Customer (tenant) id.
        #[arg(long, value_name = "ID")]
        customer: String,
        /// User id (`sub`).
        #[arg(long, value_name = "ID")]
        user: String,
        /// user, admin or connector.
        #[arg(long, default_value = "user")]
        role: String,
        /// Users this user may act for (repeatable).
        #[arg(long = "delegator", value_name = "ID")]
        delegators: Vec<String>,
        /// Lifetime: 90s, 30m, 1h, 7d.
        #[arg(long, default_value = "1h")]
        ttl: String,
    },
    /// Sync a device database with a `tenths serve` over HTTP (offline-first sync).
    ///
    /// Pushes the device's pending changes until none is left, then pulls the server's changes
    /// (entries and reference data) until the feed is exhausted, with `Authorization: Bearer
    /// TOKEN` on every request. Prints the run's report and the device's sync status (pending,
    /// quarantined, conflicts logged, last error). Exits non-zero when the sync failed; the next
    /// run takes up where it stopped.
    Sync {
        /// The device database (created if missing).
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// The server's base URL, e.g. http://127.0.0.1:8080.
        #[arg(long, value_name = "URL")]
        server: String,
        /// Bearer token of the user (see `tenths token`).
        #[arg(long, env = "TENTHS_TOKEN", hide_env_values = true)]
        token: String,
        /// Customer (tenant) id.
        #[arg(long, value_name = "ID")]
        customer: String,
        /// The user whose entries this device syncs.
        #[arg(long, value_name = "ID")]
        user: String,
        /// Per-request timeout: 90s, 30m, 1h.
        #[arg(long, default_value = "60s")]
        timeout: String,
        /// Print the report and status as one JSON object.
        #[arg(long)]
        json: bool,
    },
}

fn token(secret: &str, customer: &str, user: &str, role: &str, delegators: &[String], ttl: &str) -> Result<String, String> {
    let id = |s: &str, field: &str| tenths::ObjectId::parse_field(s, field).map_err(|e| e.to_string());
    let mut principal = tenths::api::Principal::new(id(customer, "customer")?, id(user, "user")?, tenths::api::Role::parse(role).map_err(|e| e.to_string())?);
    for d in delegators {
        principal.delegator_ids.push(id(d, "delegator")?);
    }
    let ttl = tenths_cli::serve::parse_ttl(ttl)?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?.as_secs();
    let exp = i64::try_from(now).map_err(|e| e.to_string())?.saturating_add(ttl);
    tenths::api::mint_hs256(secret.as_bytes(), &principal, exp).map_err(|e| e.to_string())
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo { db, csv, seed, users, days, entries_per_day } => {
            let opts = DemoOptions { db, csv, seed, users, days, entries_per_day };
            match demo::run(&opts, &mut std::io::stdout()) {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Serve {
            db,
            pool_size,
            statement_timeout_ms,
            addr,
            jwt_secret,
            log_json,
            test_faults,
            skip_integrity_check,
            no_group_commit,
            header_timeout,
            body_timeout,
            idle_timeout,
            max_connections,
            jwks,
            jwks_refresh,
            issuer,
            audience,
            no_metrics,
            metrics_auth,
            webhook_allow_hosts,
            no_webhooks,
            webhook_timeout,
            webhook_max_attempts,
            webhook_disable_after,
            webhook_retry_base_ms,
            webhook_poll_ms,
        } => {
            let jwt_secret = jwt_secret.filter(|s| !s.is_empty());
            if jwt_secret.is_none() && jwks.is_none() {
                eprintln!("error: a JWT secret is required: pass --jwt-secret or set TENTHS_JWT_SECRET (or --jwks)");
                return ExitCode::FAILURE;
            }
            init_logging(log_json);
            let jwks =
                jwks.map(|source| tenths_cli::serve::JwksConfig { source, refresh: jwks_refresh, options: tenths::api::JwksOptions { issuer, audience } });
            let metrics = match (no_metrics, metrics_auth) {
                (true, _) => tenths_cli::serve::MetricsAccess::Off,
                (false, true) => tenths_cli::serve::MetricsAccess::Admin,
                (false, false) => tenths_cli::serve::MetricsAccess::Open,
            };
            match tenths_cli::serve::run(tenths_cli::serve::ServeConfig {
                db,
                pg_pool_size: pool_size,
                pg_statement_timeout_ms: statement_timeout_ms,
                addr,
                jwt_secret,
                jwks,
                metrics,
                fault_injection: test_faults,
                header_timeout,
                body_timeout,
                idle_timeout,
                max_connections,
                check_integrity: !skip_integrity_check,
                webhook_hosts: tenths::rules::webhooks::AllowedHosts::new(&webhook_allow_hosts),
                webhooks: (!no_webhooks).then(|| tenths_cli::webhooks::WebhookConfig {
                    allowed: tenths::rules::webhooks::AllowedHosts::new(&webhook_allow_hosts),
                    policy: tenths::rules::webhooks::RetryPolicy {
                        base_millis: webhook_retry_base_ms,
                        max_attempts: webhook_max_attempts,
                        disable_after_dead: webhook_disable_after,
                        ..Default::default()
                    },
                    timeout: webhook_timeout,
                    poll: std::time::Duration::from_millis(webhook_poll_ms),
                    ..Default::default()
                }),
                group_commit: !no_group_commit,
            }) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Sync { db, server, token, customer, user, timeout, json } => {
            let timeout = match tenths_cli::serve::parse_ttl(&timeout) {
                Ok(t) => std::time::Duration::from_secs(t.unsigned_abs()),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match tenths_cli::sync::run(&tenths_cli::sync::SyncConfig { db, server, token, customer, user, timeout }) {
                Ok(outcome) => {
                    if json {
                        println!("{}", outcome.to_json());
                    } else {
                        print!("{}", outcome.to_text());
                    }
                    if outcome.error.is_some() {
                        ExitCode::FAILURE
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Token { secret, customer, user, role, delegators, ttl } => match token(&secret, &customer, &user, &role, &delegators, &ttl) {
            Ok(t) => {
                println!("{t}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
