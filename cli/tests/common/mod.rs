//! What the serve tests on PostgreSQL share: the test server's URL (`scripts/with-postgres`
//! sets `TENTHS_TEST_PG_URL`), a database of their own per test, and a `tenths serve` process
//! on it. Each test file includes this module and uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The test server's URL, or `None` (the caller says it skipped) unless
/// `TENTHS_REQUIRE_PG=1`, which makes a missing URL a failure.
pub fn pg_url() -> Option<String> {
    let url = std::env::var("TENTHS_TEST_PG_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        assert!(!std::env::var("TENTHS_REQUIRE_PG").is_ok_and(|v| v == "1"), "TENTHS_REQUIRE_PG=1 but TENTHS_TEST_PG_URL is not set");
        eprintln!("skipped: TENTHS_TEST_PG_URL is not set");
    }
    url
}

/// The test server's port and database name.
pub fn server_of(url: &str) -> (u16, String) {
    let config: postgres::Config = url.parse().expect("test URL");
    (config.get_ports().first().copied().unwrap_or(5432), config.get_dbname().unwrap_or("postgres").to_string())
}

/// A database of its own, dropped (with its connections) at the end.
pub struct Database {
    admin_url: String,
    pub name: String,
}

impl Database {
    pub fn new(admin_url: &str, prefix: &str) -> Database {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("{prefix}_{}_{nanos}", std::process::id());
        postgres::Client::connect(admin_url, postgres::NoTls).unwrap().batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        Database { admin_url: admin_url.to_string(), name }
    }

    /// The URL `tenths serve --db` takes.
    pub fn url(&self) -> String {
        let (port, _) = server_of(&self.admin_url);
        format!("postgresql://postgres@127.0.0.1:{port}/{}", self.name)
    }

    /// A direct connection, for the checks a test makes on the stored rows.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url(), postgres::NoTls).unwrap()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", self.name));
        }
    }
}

/// Starts `tenths serve --db DB --addr 127.0.0.1:0 EXTRA…` with the JWT secret and answers
/// the process and its base URL (from the "listening on" line).
pub fn spawn_serve(db: &str, secret: &str, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tenths"))
        .args(["serve", "--db", db, "--addr", "127.0.0.1:0"])
        .args(extra)
        .env("TENTHS_JWT_SECRET", secret)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("no listening line: {line:?}")).to_string();
    (child, base)
}
