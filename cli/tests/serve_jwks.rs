//! `tenths serve --jwks` end to end (decision 67): RS256 and ES256 tokens of an identity
//! provider verified by `kid` against a JWKS file or URL, with `--issuer` and `--audience`; the
//! refusals (wrong kid, issuer, audience, algorithm, expired) are 401 with a plain reason; a key
//! rotated at the URL is taken at the next refresh (and a bad document then keeps the good keys);
//! a JWKS that cannot be read or parsed stops the server at start; HS256 stays beside it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use jsonwebtoken::Algorithm::{self, ES256, HS256, RS256};
use serde_json::{json, Value};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/jwks");
const CUSTOMER: &str = "0000000000000000000000c1";
const USER: &str = "0000000000000000000000a1";

struct Server {
    child: Child,
    base: String,
    dir: std::path::PathBuf,
}

fn temp_dir() -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("tenths-jwks-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn serve_command(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tenths"));
    command.args(["serve", "--db", dir.join("serve.sqlite").to_str().unwrap(), "--addr", "127.0.0.1:0"]).args(args).env_remove("TENTHS_JWT_SECRET");
    command
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let dir = temp_dir();
        let mut child = serve_command(&dir, args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line.trim().strip_prefix("listening on ").expect("listening line").to_string();
        Server { child, base, dir }
    }

    /// The status and error message of listing the user's entries with `token`.
    fn list(&self, token: &str) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let url = format!("{}/api/v1/public/customers/{CUSTOMER}/users/{USER}/entries?workDateFrom=2026-01-01&workDateTo=2026-01-31", self.base);
        let mut answer = agent.get(&url).header("Authorization", &format!("Bearer {token}")).call().unwrap();
        let body: Value = serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap_or(Value::Null);
        (answer.status().as_u16(), body.pointer("/error/message").and_then(Value::as_str).unwrap_or("").to_string())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn claims(extra: Value) -> Value {
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600;
    let mut c = json!({"sub": USER, "customerId": CUSTOMER, "role": "user", "exp": exp, "iss": "https://idp.test", "aud": "tenths"});
    c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    c
}

/// A token signed by fixture key `key` with `alg`, naming `kid`.
fn token(key: &str, alg: Algorithm, kid: &str, claims: &Value) -> String {
    let encoding = match alg {
        HS256 => jsonwebtoken::EncodingKey::from_secret(key.as_bytes()).unwrap(),
        ES256 => jsonwebtoken::EncodingKey::from_ec_der(&std::fs::read(format!("{FIXTURES}/{key}.der")).unwrap()),
        _ => jsonwebtoken::EncodingKey::from_rsa_der(&std::fs::read(format!("{FIXTURES}/{key}.der")).unwrap()),
    };
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, claims, &encoding).unwrap()
}

#[test]
fn jwks_file_tokens_and_refusals() {
    let jwks = format!("{FIXTURES}/jwks.json");
    let server = Server::start(&["--jwks", &jwks, "--issuer", "https://idp.test", "--audience", "tenths"]);
    let good = claims(json!({}));
    assert_eq!(server.list(&token("rsa-1", RS256, "rsa-1", &good)).0, 200, "RS256");
    assert_eq!(server.list(&token("ec-1", ES256, "ec-1", &good)).0, 200, "ES256");
    let refusals = [
        (token("rsa-2", RS256, "rsa-2", &good), "kid"),
        (token("rsa-1", RS256, "rsa-1", &claims(json!({"iss": "https://other.test"}))), "issuer"),
        (token("rsa-1", RS256, "rsa-1", &claims(json!({"aud": "someone-else"}))), "audience"),
        (token("rsa-1", RS256, "rsa-1", &claims(json!({"exp": 1_000_000_000}))), "expired"),
        (token("ec-1", ES256, "rsa-1", &good), "not signed with RS256"),
        (token("any-secret", HS256, "rsa-1", &good), "not signed with RS256"),
        // {"alg":"none","kid":"rsa-1"} with no signature.
        ("eyJhbGciOiJub25lIiwia2lkIjoicnNhLTEifQ.eyJzdWIiOiJ4In0.".to_string(), "malformed"),
    ];
    for (bad, reason) in refusals {
        let (status, message) = server.list(&bad);
        assert_eq!(status, 401, "{reason}: {message}");
        assert!(message.contains(reason), "{reason}: {message}");
    }
}

#[test]
fn hs256_beside_jwks() {
    let jwks = format!("{FIXTURES}/jwks.json");
    let server = Server::start(&["--jwks", &jwks, "--jwt-secret", "shared"]);
    let good = claims(json!({}));
    // The HS256 verifier refuses an `aud` it was not told to expect (as before --jwks).
    let mut own = good.clone();
    own.as_object_mut().unwrap().remove("aud");
    assert_eq!(server.list(&token("shared", HS256, "x", &own)).0, 200);
    assert_eq!(server.list(&token("rsa-1", RS256, "rsa-1", &good)).0, 200);
    assert_eq!(server.list(&token("not-shared", HS256, "x", &own)).0, 401);
}

#[test]
fn unreadable_or_bad_jwks_stops_serve() {
    let dir = temp_dir();
    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "{\"keys\": \"no\"}").unwrap();
    let missing = dir.join("missing.json");
    for source in [missing.to_str().unwrap(), garbage.to_str().unwrap(), "http://127.0.0.1:9/jwks"] {
        let out = serve_command(&dir, &["--jwks", source]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{source}");
        assert!(stderr.contains(&format!("cannot use the JWKS at {source}")), "{source}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A tiny HTTP server answering every request with the current document; counts the requests.
fn jwks_server(document: Arc<Mutex<Vec<u8>>>, served: Arc<AtomicUsize>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut head = [0u8; 4096];
            let _ = stream.read(&mut head);
            let body = document.lock().unwrap().clone();
            let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = stream.write_all(&body);
            served.fetch_add(1, Ordering::SeqCst);
        }
    });
    url
}

/// Waits (up to a minute) until `done` holds; panics otherwise.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..600 {
        if done() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what} did not happen within a minute");
}

#[test]
fn rotated_key_at_a_url_is_taken_and_a_bad_refresh_keeps_it() {
    let document = Arc::new(Mutex::new(std::fs::read(format!("{FIXTURES}/jwks.json")).unwrap()));
    let served = Arc::new(AtomicUsize::new(0));
    let url = jwks_server(document.clone(), served.clone());
    let server = Server::start(&["--jwks", &url, "--jwks-refresh", "1s"]);
    let good = claims(json!({}));
    let rotated = token("rsa-2", RS256, "rsa-2", &good);
    assert_eq!(server.list(&rotated).0, 401, "rsa-2 is not published yet");
    *document.lock().unwrap() = std::fs::read(format!("{FIXTURES}/jwks-rotated.json")).unwrap();
    eventually("the rotated key taken", || server.list(&rotated).0 == 200);
    assert_eq!(server.list(&token("rsa-1", RS256, "rsa-1", &good)).0, 401, "the retired key");
    // A document that cannot be used: two refreshes later, the last good keys still serve.
    *document.lock().unwrap() = b"not json".to_vec();
    let seen = served.load(Ordering::SeqCst);
    eventually("two refreshes", || served.load(Ordering::SeqCst) >= seen + 2);
    assert_eq!(server.list(&rotated).0, 200);
}
