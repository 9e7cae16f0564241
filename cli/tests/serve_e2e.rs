//! End to end through the real `tenths serve` binary on a loopback port, with a real HTTP
//! client: the whole connector loop, paging, window edges, oversize bodies, a panicking handler
//! that does not take the server down, a graceful shutdown that leaves a clean database, a
//! damaged database refused at start (or, with the check skipped, served read-only), and a
//! retry with an `Idempotency-Key` after the answer was lost on the way back.
//!
//! With `TENTHS_E2E_STORE=postgres` (and `TENTHS_TEST_PG_URL`, `scripts/with-postgres`), the
//! servers of these tests that are not about a SQLite file serve from a PostgreSQL database of
//! their own instead: `scripts/test` runs the file both ways.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};
use tenths::api::{mint_hs256, Principal, Role};
use tenths::ObjectId;

const SECRET: &str = "e2e-secret";

struct Server {
    child: Child,
    base: String,
    dir: std::path::PathBuf,
    /// The PostgreSQL database served, when the run asks for one.
    pg: Option<common::Database>,
}

impl Server {
    /// A server with test faults on: on a SQLite file, or on a PostgreSQL database of its own
    /// when `TENTHS_E2E_STORE=postgres`.
    fn start() -> Server {
        if std::env::var("TENTHS_E2E_STORE").is_ok_and(|v| v == "postgres") {
            let url = common::pg_url().expect("TENTHS_E2E_STORE=postgres needs TENTHS_TEST_PG_URL");
            let pg = common::Database::new(&url, "e2e");
            let (child, base) = common::spawn_serve(&pg.url(), SECRET, &["--test-faults"]);
            return Server { child, base, dir: temp_dir(), pg: Some(pg) };
        }
        Server::start_in(temp_dir(), &["--test-faults"])
    }

    /// The served store, opened as an engine (after the server stopped).
    fn open_store(&self) -> tenths::Engine {
        match &self.pg {
            Some(pg) => tenths_postgres::open(&pg.url(), tenths_postgres::PgOptions::default()).unwrap(),
            None => tenths::Engine::open(self.dir.join("serve.sqlite")).unwrap(),
        }
    }

    /// A server on `dir/serve.sqlite` with `extra` arguments.
    fn start_in(dir: std::path::PathBuf, extra: &[&str]) -> Server {
        let (child, base) = common::spawn_serve(dir.join("serve.sqlite").to_str().unwrap(), SECRET, extra);
        Server { child, base, dir, pg: None }
    }

    fn stop(&mut self) -> std::process::ExitStatus {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        self.child.wait().unwrap()
    }
}

fn temp_dir() -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("tenths-e2e-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Client {
    agent: ureq::Agent,
    base: String,
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl Client {
    fn new(base: &str) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        Client { agent, base: base.to_string() }
    }

    fn call(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Reply {
        self.raw(method, path, &[("Authorization", &format!("Bearer {token}"))], body.map(|b| b.to_string()))
    }

    fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<String>) -> Reply {
        let url = format!("{}{}", self.base, path);
        let result = match (method, body) {
            ("GET", _) => {
                let mut r = self.agent.get(&url);
                for (k, v) in headers {
                    r = r.header(*k, *v);
                }
                r.call()
            }
            ("DELETE", _) => {
                let mut r = self.agent.delete(&url);
                for (k, v) in headers {
                    r = r.header(*k, *v);
                }
                r.call()
            }
            (m, body) => {
                let mut r = match m {
                    "POST" => self.agent.post(&url),
                    "PATCH" => self.agent.patch(&url),
                    _ => self.agent.put(&url),
                };
                let mut has_type = false;
                for (k, v) in headers {
                    has_type |= k.eq_ignore_ascii_case("content-type");
                    r = r.header(*k, *v);
                }
                if !has_type {
                    r = r.header("Content-Type", "application/json");
                }
                r.send(body.unwrap_or_default())
            }
        };
        let mut resp = result.expect("HTTP exchange");
        let status = resp.status().as_u16();
        let headers = resp.headers().iter().map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string())).collect();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        Reply { status, headers, text }
    }
}

fn id(n: u64) -> ObjectId {
    ObjectId::parse(&format!("{n:024x}")).unwrap()
}

fn token(user: ObjectId, role: Role) -> String {
    token_of(id(0xc), user, role)
}

fn token_of(customer: ObjectId, user: ObjectId, role: Role) -> String {
    let exp = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600) as i64;
    mint_hs256(SECRET.as_bytes(), &Principal::new(customer, user, role), exp).unwrap()
}

#[test]
fn the_connector_loop_over_http() {
    let mut server = Server::start();
    let http = Client::new(&server.base);
    let c = id(0xc);
    let lawyer = id(0xa);
    let admin = token(id(0xad), Role::Admin);
    let connector = token(id(0xcc), Role::Connector);
    let user = token(lawyer, Role::User);
    let cc = format!("/api/v1/customers/{c}");
    let cu = format!("/api/v1/public/customers/{c}/users/{lawyer}");

    assert_eq!(http.raw("GET", "/healthz", &[], None).status, 200);
    assert_eq!(http.call("GET", &format!("{cc}/initiatives"), "garbage", None).status, 401);

    // Reference data from the connector.
    assert_eq!(http.call("POST", &format!("{cc}/clients/import"), &connector, Some(&json!({"externalId": "CL-1", "name": "Acme"}))).status, 201);
    let matter = http.call(
        "POST",
        &format!("{cc}/initiatives/import"),
        &connector,
        Some(&json!({"externalId": "M-1", "name": "Acme v. Widget", "clientExternalId": "CL-1", "billingType": "billable", "unitIncrements": 360})),
    );
    assert_eq!(matter.status, 201, "{}", matter.text);
    let matter_id = matter.json()["_id"].as_str().unwrap().to_string();
    let settings = http.call("PUT", &format!("{cc}/settings"), &admin, Some(&json!({"timezone": "Europe/London"})));
    assert_eq!(settings.status, 200);

    // 250 entries through the user's route (device-made ids), then page through them.
    let mut ids = Vec::new();
    for i in 0..250u64 {
        let entry_id = id(0xe000 + i);
        let body = json!({"_id": entry_id.to_string(), "initiativeId": matter_id, "summary": format!("Task {i}"), "durationInSeconds": 300 + i, "workDate": "2026-01-15"});
        let r = http.call("POST", &format!("{cu}/entries"), &user, Some(&body));
        assert_eq!(r.status, 201, "{}", r.text);
        ids.push(entry_id.to_string());
    }
    // The same create again answers 200 with the stored entry.
    let again = http.call(
        "POST",
        &format!("{cu}/entries"),
        &user,
        Some(&json!({"_id": ids[0], "initiativeId": matter_id, "summary": "Task 0", "durationInSeconds": 300, "workDate": "2026-01-15"})),
    );
    assert_eq!(again.status, 200, "{}", again.text);
    let window = "updatedAfter=2000-01-01T00:00:00Z&updatedOnOrBefore=2100-01-01T00:00:00Z";
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cur) => format!("/api/v2/customers/{c}/entries?{window}&pageSize=7&cursor={cur}"),
            None => format!("/api/v2/customers/{c}/entries?{window}&pageSize=7"),
        };
        let page = http.call("GET", &path, &connector, None);
        assert_eq!(page.status, 200, "{}", page.text);
        let body = page.json();
        for e in body["entries"].as_array().unwrap() {
            seen.push(e["entryId"].as_str().unwrap().to_string());
        }
        match body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "every entry once, in _id order");
    let v1 = http.call("GET", &format!("{cc}/entries?{window}"), &connector, None);
    assert_eq!(v1.header("Deprecation"), Some("true"));
    assert_eq!(v1.json().as_array().unwrap().len(), 250);

    // Window edges: updatedAfter is exclusive, updatedOnOrBefore inclusive.
    let first = http.call("GET", &format!("{cu}/entries/{}", ids[0]), &user, None).json();
    let t = first["updatedAt"].as_str().unwrap().to_string();
    let at = |after: &str, until: &str| -> Vec<String> {
        let r = http.call("GET", &format!("/api/v2/customers/{c}/entries?updatedAfter={after}&updatedOnOrBefore={until}&pageSize=100"), &connector, None);
        r.json()["entries"].as_array().unwrap().iter().map(|e| e["entryId"].as_str().unwrap().to_string()).collect()
    };
    assert!(at("2000-01-01T00:00:00Z", &t).contains(&ids[0]), "inclusive upper bound");
    assert!(!at(&t, "2100-01-01T00:00:00Z").contains(&ids[0]), "exclusive lower bound");

    // Release five, then export the window.
    for id in ids.iter().take(5) {
        let r = http.call("POST", &format!("{cu}/entries/{id}/release"), &user, None);
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["statusInfo"]["status"], "release-pending");
    }
    let rwin = "releasedAfter=2000-01-01T00:00:00Z&releasedOnOrBefore=2100-01-01T00:00:00Z";
    let export = http.call("GET", &format!("/api/v2/customers/{c}/entries/export?{rwin}"), &connector, None).json();
    assert_eq!(export["entries"].as_array().unwrap().len(), 5);
    let csv = http.call("GET", &format!("/api/v2/customers/{c}/entries/export?{rwin}&format=csv"), &connector, None);
    assert_eq!(csv.header("Content-Type"), Some("text/csv; charset=utf-8"));
    assert_eq!(csv.text.lines().count(), 6);

    // Batch: three good, one unknown, one malformed, one not released: results in input order.
    let batch = json!({"entries": [
        {"entryId": ids[0], "externalId": "PMS-0"}, {"entryId": id(0xdead).to_string()}, {"entryId": ids[1], "externalId": "PMS-1"},
        {"entryId": "nope"}, {"entryId": ids[2], "externalId": "PMS-2"}, {"entryId": ids[100]}]});
    let r = http.call("POST", &format!("{cc}/entries/release-succeeded/batch"), &connector, Some(&batch));
    assert_eq!(r.status, 207, "{}", r.text);
    let statuses: Vec<String> = r.json()["results"].as_array().unwrap().iter().map(|x| x["status"].as_str().unwrap().to_string()).collect();
    assert_eq!(statuses, ["ok", "not_found", "ok", "invalid_argument", "ok", "conflict"]);
    // A retried identical callback is a no-op success.
    let r = http.call("POST", &format!("{cc}/users/{lawyer}/entries/{}/release-succeeded", ids[0]), &connector, Some(&json!({"externalId": "PMS-0"})));
    assert_eq!(r.status, 200, "{}", r.text);

    // The PMS rejects one; the lawyer fixes it and releases again; the connector succeeds.
    let r = http.call(
        "POST",
        &format!("{cc}/users/{lawyer}/entries/{}/release-failed", ids[3]),
        &connector,
        Some(&json!({"errors": ["Matter M-1 is closed for time entry"]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let failed = http.call("GET", &format!("{cu}/entries/{}", ids[3]), &user, None).json();
    assert_eq!(failed["statusInfo"]["status"], "release-failed");
    assert_eq!(failed["statusInfo"]["releaseFailedErrors"][0]["originalMessage"], "Matter M-1 is closed for time entry");
    let fixed = http.call("PATCH", &format!("{cu}/entries/{}/override", ids[3]), &user, Some(&json!({"summary": "Task 3 (corrected)"})));
    assert_eq!(fixed.status, 200, "{}", fixed.text);
    assert_eq!(fixed.json()["summary"], "Task 3 (corrected)");
    assert_eq!(http.call("POST", &format!("{cu}/entries/{}/release", ids[3]), &user, None).status, 200);
    let r = http.call("POST", &format!("{cc}/users/{lawyer}/entries/{}/release-succeeded", ids[3]), &connector, Some(&json!({"externalId": "PMS-3"})));
    assert_eq!(r.status, 200);
    let e3 = http.call("GET", &format!("{cu}/entries/{}", ids[3]), &user, None).json();
    assert_eq!((e3["releaseCount"].as_i64(), e3["externalId"].as_str()), (Some(2), Some("PMS-3")));

    // Locked entries refuse edits; unrelease unlocks and keeps the PMS id; delete soft-deletes.
    let locked = http.call("PATCH", &format!("{cu}/entries/{}", ids[0]), &user, Some(&json!({"summary": "late"})));
    assert_eq!(locked.status, 423);
    assert_eq!(locked.json()["error"]["code"], "locked");
    assert_eq!(http.call("POST", &format!("{cu}/entries/{}/unrelease", ids[0]), &user, None).status, 200);
    let e0 = http.call("GET", &format!("{cu}/entries/{}", ids[0]), &user, None).json();
    assert_eq!((e0["isLocked"].as_bool(), e0["externalId"].as_str()), (Some(false), Some("PMS-0")));
    let deleted = http.call("DELETE", &format!("{cu}/entries/{}", ids[0]), &user, None);
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.json()["isDeleted"], true);
    assert_eq!(http.call("GET", &format!("{cu}/entries/{}", ids[0]), &user, None).status, 404);
    // Deleted entries stay visible to connectors.
    let listed = http.call("GET", &format!("{cc}/entries?{window}"), &connector, None).json();
    assert!(listed.as_array().unwrap().iter().any(|e| e["entryId"] == ids[0].as_str() && e["isDeleted"] == true));

    // Bad input answers 4xx with the error body naming the field; nothing is written.
    let e10_before = http.call("GET", &format!("{cu}/entries/{}", ids[10]), &user, None).json();
    let bad = http.call("PATCH", &format!("{cu}/entries/{}", ids[10]), &user, Some(&json!({"unitIncrementCountAdjustments": 2.5})));
    assert_eq!((bad.status, bad.json()["error"]["field"].as_str()), (400, Some("unitIncrementCountAdjustments")));
    let bad = http.call("GET", &format!("/api/v2/customers/{c}/entries?{window}&pageSize=101"), &connector, None);
    assert_eq!((bad.status, bad.json()["error"]["field"].as_str()), (400, Some("pageSize")));
    let bad =
        http.call("GET", &format!("/api/v2/customers/{c}/entries?updatedAfter=2023-02-29T00:00:00Z&updatedOnOrBefore=2100-01-01T00:00:00Z"), &connector, None);
    assert_eq!((bad.status, bad.json()["error"]["field"].as_str()), (400, Some("updatedAfter")));
    let bad = http.raw("POST", &format!("{cu}/entries"), &[("Authorization", &format!("Bearer {user}")), ("Content-Type", "text/plain")], Some("{}".into()));
    assert_eq!(bad.status, 400);
    let bad = http.raw("POST", &format!("{cu}/entries"), &[("Authorization", &format!("Bearer {user}"))], Some("{not json".into()));
    assert_eq!(bad.status, 400);
    let huge = format!("{{\"summary\": \"{}\"}}", "x".repeat(1_100_000));
    let bad = http.raw("POST", &format!("{cu}/entries"), &[("Authorization", &format!("Bearer {user}"))], Some(huge));
    assert_eq!((bad.status, bad.json()["error"]["code"].as_str()), (413, Some("too_large")));
    let e10_after = http.call("GET", &format!("{cu}/entries/{}", ids[10]), &user, None).json();
    assert_eq!(e10_after, e10_before, "refused requests changed nothing");

    // A panicking handler answers 500 and the server keeps serving.
    let boom = http.raw("GET", "/healthz", &[("X-Tenths-Fault", "panic")], None);
    assert_eq!((boom.status, boom.json()["error"]["code"].as_str()), (500, Some("internal")));
    assert_eq!(http.raw("GET", "/healthz", &[], None).status, 200);

    // Graceful shutdown: exit 0 and a store that reopens with every entry.
    let status = server.stop();
    assert!(status.success(), "{status:?}");
    let engine = server.open_store();
    let all = engine
        .list_updated(
            &c,
            tenths::Window::new(tenths::Timestamp::parse("2000-01-01T00:00:00Z").unwrap(), tenths::Timestamp::parse("2100-01-01T00:00:00Z").unwrap()).unwrap(),
        )
        .unwrap();
    assert_eq!(all.len(), 250);
}

#[test]
fn serve_refuses_to_start_without_a_secret() {
    let out = Command::new(env!("CARGO_BIN_EXE_tenths"))
        .args(["serve", "--db", "/nonexistent/x.sqlite", "--addr", "127.0.0.1:0"])
        .env_remove("TENTHS_JWT_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("secret"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn serve_refuses_a_damaged_database_and_leaves_it_untouched() {
    let dir = temp_dir();
    let db = dir.join("serve.sqlite");
    tenths_tests::damage::damaged(&db);
    let before = std::fs::read(&db).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tenths"))
        .args(["serve", "--db", db.to_str().unwrap(), "--addr", "127.0.0.1:0"])
        .env("TENTHS_JWT_SECRET", SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A server that started anyway would never exit: it is stopped and the test fails.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(out.stdout.is_empty(), "it must never listen: {}", String::from_utf8_lossy(&out.stdout));
    assert!(stderr.contains("serve.sqlite") && stderr.contains("integrity check") && stderr.contains("--skip-integrity-check"), "{stderr}");
    assert!(std::fs::read(&db).unwrap() == before, "the refused file was written to");

    // With the check skipped it serves; the first request that meets the damage turns it
    // read-only, and the health check says so.
    let mut server = Server::start_in(dir, &["--skip-integrity-check"]);
    let client = Client::new(&server.base);
    let scope = tenths_tests::damage::scope();
    let t = token_of(scope.customer, scope.user, Role::User);
    let entries = format!("/api/v1/public/customers/{}/users/{}/entries", scope.customer, scope.user);
    let list = client.call("GET", &format!("{entries}?workDateFrom=2026-01-01&workDateTo=2026-12-31"), &t, None);
    assert_eq!((list.status, list.json()["error"]["code"].as_str()), (503, Some("corrupt")), "{}", list.text);
    let create = client.call("POST", &entries, &t, Some(&json!({"summary": "Called the client", "durationInSeconds": 360})));
    assert_eq!((create.status, create.json()["error"]["code"].as_str()), (503, Some("corrupt")), "{}", create.text);
    let health = client.raw("GET", "/healthz", &[], None);
    assert_eq!((health.status, health.json()["error"]["code"].as_str()), (503, Some("corrupt")), "{}", health.text);
    assert!(server.stop().success());
    assert!(std::fs::read(&db).unwrap() == before, "the damaged file was written to");
}

#[test]
fn token_command_mints_a_verifiable_token() {
    let out = Command::new(env!("CARGO_BIN_EXE_tenths"))
        .args(["token", "--secret", "s3", "--customer", &id(0xc).to_string(), "--user", &id(0xa).to_string(), "--role", "connector", "--ttl", "1h"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap();
    let p = tenths::api::Verifier::verify(&tenths::api::Hs256Verifier::new(b"s3").unwrap(), token.trim()).unwrap();
    assert_eq!((p.customer, p.user, p.role), (id(0xc), id(0xa), Role::Connector));
}

/// Reads one HTTP/1.1 message (head, then `Content-Length` bytes of body) from `stream`.
fn read_message(stream: &mut impl Read) -> Vec<u8> {
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    while !out.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).unwrap() == 0 {
            return out;
        }
        out.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&out).to_ascii_lowercase();
    let length = head.lines().find_map(|l| l.strip_prefix("content-length:")).map_or(0, |v| v.trim().parse::<usize>().unwrap());
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    out.extend_from_slice(&body);
    out
}

/// A proxy for one exchange that loses the answer: it forwards the client's request to the
/// server, reads the server's whole answer (the work is done and answered), and closes the
/// client's connection without sending it. Answers its address and, once the exchange is over,
/// the answer the client never saw.
fn answer_losing_proxy(server: &str) -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let upstream = server.trim_start_matches("http://").to_string();
    let exchange = std::thread::spawn(move || {
        let (mut client, _) = listener.accept().unwrap();
        let request = read_message(&mut client);
        let mut server = TcpStream::connect(upstream).unwrap();
        server.write_all(&request).unwrap();
        let answer = read_message(&mut server);
        drop(client); // the answer is lost on the way back
        String::from_utf8(answer).unwrap()
    });
    (addr, exchange)
}

/// Issue 14: a release whose answer was lost is retried safely with the same `Idempotency-Key`
/// (the retry answers the first answer, and the entry is released once), where a retry without
/// a key answers 409; a create retried with its key makes one entry.
#[test]
fn a_release_whose_answer_was_lost_is_retried_with_its_key() {
    let server = Server::start();
    let http = Client::new(&server.base);
    let (c, lawyer) = (id(0xc), id(0xa));
    let user = token(lawyer, Role::User);
    let cu = format!("/api/v1/public/customers/{c}/users/{lawyer}");
    let matter = import_matter(&http, c);
    for n in [1u64, 2] {
        let body = json!({"_id": id(0xe00 + n).to_string(), "initiativeId": matter, "summary": "Drafted the claim", "durationInSeconds": 600, "workDate": "2026-01-15"});
        assert_eq!(http.call("POST", &format!("{cu}/entries"), &user, Some(&body)).status, 201);
    }
    let auth = format!("Bearer {user}");
    let lossy = |path: &str, key: Option<&str>, body: Option<String>| -> String {
        let (proxy, exchange) = answer_losing_proxy(&server.base);
        // The proxy reads a Content-Length answer: the client asks for no compression (which
        // would come chunked).
        let mut headers = vec![("Authorization", auth.as_str()), ("Accept-Encoding", "identity")];
        headers.extend(key.map(|k| ("Idempotency-Key", k)));
        let client = Client::new(&proxy);
        let lost = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| client.raw("POST", path, &headers, body)));
        assert!(lost.is_err(), "the client got no answer");
        exchange.join().unwrap()
    };

    // With a key: the answer is lost, the retry answers it again and releases nothing twice.
    let release = format!("{cu}/entries/{}/release", id(0xe01));
    let first = lossy(&release, Some("release-e01-attempt"), None);
    assert!(first.starts_with("HTTP/1.1 200"), "the server released the entry: {first}");
    let first_body = first.split("\r\n\r\n").nth(1).unwrap();
    let retry = http.raw("POST", &release, &[("Authorization", &auth), ("Idempotency-Key", "release-e01-attempt")], None);
    assert_eq!(retry.status, 200, "the retry answers the lost answer: {}", retry.text);
    assert_eq!(retry.text, first_body, "the same body");
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    let entry = http.call("GET", &format!("{cu}/entries/{}", id(0xe01)), &user, None);
    assert_eq!(entry.json()["releaseCount"], 1, "released once");

    // Without a key, the same loss leaves the client a 409 on its retry (what the issue saw).
    let release2 = format!("{cu}/entries/{}/release", id(0xe02));
    assert!(lossy(&release2, None, None).starts_with("HTTP/1.1 200"));
    let blind = http.raw("POST", &release2, &[("Authorization", &auth)], None);
    assert_eq!(blind.status, 409, "{}", blind.text);

    // A create with a server-made id, answer lost: the retry with its key makes no second entry.
    let create = json!({"initiativeId": matter, "summary": "Called the client", "durationInSeconds": 300, "workDate": "2026-01-16"}).to_string();
    let made = lossy(&format!("{cu}/entries"), Some("create-call-1"), Some(create.clone()));
    assert!(made.starts_with("HTTP/1.1 201"), "{made}");
    let again = http.raw("POST", &format!("{cu}/entries"), &[("Authorization", &auth), ("Idempotency-Key", "create-call-1")], Some(create));
    assert_eq!((again.status, again.text.as_str()), (201, made.split("\r\n\r\n").nth(1).unwrap()));
    let day = http.call("GET", &format!("{cu}/entries?workDateFrom=2026-01-16&workDateTo=2026-01-16"), &user, None);
    assert_eq!(day.json().as_array().map(Vec::len), Some(1), "one entry: {}", day.text);

    // A key of bytes that are not visible ASCII reaches the router and is refused (400 on the
    // header), not dropped on the way (the request would then run without its key).
    let mut raw = TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    let mut request = format!("POST {cu}/entries/{}/release HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nIdempotency-Key: ", id(0xe01)).into_bytes();
    request.extend_from_slice(b"\xd7\xf8\x9b\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    raw.write_all(&request).unwrap();
    let answer = String::from_utf8_lossy(&read_message(&mut raw)).into_owned();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("Idempotency-Key"), "{answer}");
}

/// The connector imports a billable matter in 6-minute units for customer `c`; answers its id.
fn import_matter(http: &Client, c: ObjectId) -> String {
    let connector = token(id(0xcc), Role::Connector);
    let body = json!({"externalId": "M-1", "name": "Acme v. Widget", "billingType": "billable", "unitIncrements": 360});
    let imported = http.call("POST", &format!("/api/v1/customers/{c}/initiatives/import"), &connector, Some(&body));
    assert_eq!(imported.status, 201, "{}", imported.text);
    imported.json()["_id"].as_str().unwrap().to_string()
}

/// One raw HTTP/1.1 GET (the test must see the bytes on the wire, which a client library would
/// decode): the status line, the headers (names lower-cased) and the body with any chunked
/// framing removed but its content encoding kept.
fn raw_get(base: &str, path: &str, token: &str, accept_encoding: Option<&str>) -> (String, Vec<(String, String)>, Vec<u8>) {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    let encoding = accept_encoding.map(|e| format!("Accept-Encoding: {e}\r\n")).unwrap_or_default();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n{encoding}Connection: close\r\n\r\n").unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("end of head") + 4;
    let head = String::from_utf8_lossy(&bytes[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().to_string();
    let headers: Vec<(String, String)> = lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string())).collect();
    let mut body = bytes[split..].to_vec();
    if headers.iter().any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked")) {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let line_end = rest.windows(2).position(|w| w == b"\r\n").expect("chunk size line");
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap().split(';').next().unwrap().trim(), 16).unwrap();
            rest = &rest[line_end + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
        body = out;
    }
    (status, headers, body)
}

/// Answers are compressed when the client asks (gzip or zstd), decode to the same JSON as the
/// plain answer, and small answers are sent as they are. The week listing's bytes per row on
/// the wire are printed (issue 13's figure).
#[test]
fn answers_are_compressed_when_the_client_asks() {
    let server = Server::start();
    let http = Client::new(&server.base);
    let (c, lawyer) = (id(0xc), id(0xa));
    let user = token(lawyer, Role::User);
    let cu = format!("/api/v1/public/customers/{c}/users/{lawyer}");
    let matter_id = import_matter(&http, c);
    // A busy week: 700 entries over Monday to Sunday, created in one batch.
    let days = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-07", "2026-03-08"];
    // Summaries of 6 to 13 words drawn from a vocabulary by a fixed pseudo-random sequence, and
    // varied durations: text that compresses like a real week's, not 700 copies of one line.
    let words = [
        "reviewed",
        "drafted",
        "revised",
        "call",
        "with",
        "client",
        "opposing",
        "counsel",
        "re",
        "discovery",
        "motion",
        "to",
        "compel",
        "deposition",
        "outline",
        "research",
        "case",
        "law",
        "on",
        "summary",
        "judgment",
        "email",
        "correspondence",
        "regarding",
        "settlement",
        "terms",
        "prepared",
        "exhibits",
        "for",
        "hearing",
        "analysis",
        "of",
        "contract",
        "indemnity",
        "clause",
        "conference",
        "expert",
        "witness",
        "report",
        "filing",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: usize| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize % n
    };
    let items: Vec<Value> = (0..700)
        .map(|i| {
            let length = 6 + next(8);
            let summary: Vec<&str> = (0..length).map(|_| words[next(words.len())]).collect();
            json!({"initiativeId": matter_id, "summary": summary.join(" "), "workDate": days[i % 7], "durationInSeconds": 60 + next(7_200)})
        })
        .collect();
    let created = http.call("POST", &format!("{cu}/entries/batch"), &user, Some(&json!({ "entries": items })));
    assert_eq!(created.status, 207, "{}", created.text);

    let week = format!("{cu}/entries?workDateFrom=2026-03-02&workDateTo=2026-03-08");
    let (status, headers, plain) = raw_get(&server.base, &week, &user, None);
    assert!(status.contains(" 200 "), "{status}");
    assert!(!headers.iter().any(|(n, _)| n == "content-encoding"), "no encoding unasked: {headers:?}");
    let listing: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(listing.as_array().unwrap().len(), 700);

    let (status, headers, gzipped) = raw_get(&server.base, &week, &user, Some("gzip"));
    assert!(status.contains(" 200 "), "{status}");
    assert!(headers.iter().any(|(n, v)| n == "content-encoding" && v == "gzip"), "{headers:?}");
    assert!(headers.iter().any(|(n, v)| n == "vary" && v.to_ascii_lowercase().contains("accept-encoding")), "{headers:?}");
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&gzipped[..]).read_to_end(&mut decoded).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&decoded).unwrap(), listing, "gzip decodes to the same answer");

    let (_, headers, zstd_bytes) = raw_get(&server.base, &week, &user, Some("zstd"));
    assert!(headers.iter().any(|(n, v)| n == "content-encoding" && v == "zstd"), "{headers:?}");
    let decoded = zstd::decode_all(&zstd_bytes[..]).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&decoded).unwrap(), listing, "zstd decodes to the same answer");
    eprintln!(
        "week listing of 700 entries: {} B plain ({} B a row), {} B gzip ({} B a row), {} B zstd ({} B a row)",
        plain.len(),
        plain.len() / 700,
        gzipped.len(),
        gzipped.len() / 700,
        zstd_bytes.len(),
        zstd_bytes.len() / 700
    );
    assert!(gzipped.len() * 4 < plain.len(), "gzip shrinks the listing: {} of {}", gzipped.len(), plain.len());

    // A body of a few bytes is not worth a compression frame.
    let (status, headers, _) = raw_get(&server.base, "/healthz", &user, Some("gzip"));
    assert!(status.contains(" 200 "), "{status}");
    assert!(!headers.iter().any(|(n, _)| n == "content-encoding"), "{headers:?}");
}
