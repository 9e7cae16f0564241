//! `tenths sync` end to end: a real `tenths serve` on a loopback port, two device databases
//! written with the engine, synced by the real `tenths sync` binary (the HTTP transport), and the
//! server checked through its HTTP API.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use serde_json::{json, Value};
use tenths::api::{mint_hs256, Principal, Role};
use tenths::{Engine, EntryPatch, NewEntry, ObjectId, Scope};

const SECRET: &str = "sync-e2e-secret";

struct Server {
    child: Child,
    base: String,
    dir: PathBuf,
}

impl Server {
    fn start() -> Server {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("tenths-sync-e2e-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (child, base) = common::spawn_serve(dir.join("server.sqlite").to_str().unwrap(), SECRET, &[]);
        Server { child, base, dir }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn id(n: u64) -> ObjectId {
    ObjectId::parse(&format!("{n:024x}")).unwrap()
}

fn token(customer: ObjectId, user: ObjectId, role: Role) -> String {
    let exp = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600) as i64;
    mint_hs256(SECRET.as_bytes(), &Principal::new(customer, user, role), exp).unwrap()
}

/// One HTTP call to the server: status and JSON body.
fn call(base: &str, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let url = format!("{base}{path}");
    let auth = format!("Bearer {token}");
    let result = match (method, body) {
        ("GET", _) => agent.get(&url).header("Authorization", &auth).call(),
        ("PATCH", b) => agent.patch(&url).header("Authorization", &auth).header("Content-Type", "application/json").send(b.unwrap_or(Value::Null).to_string()),
        (_, b) => agent.post(&url).header("Authorization", &auth).header("Content-Type", "application/json").send(b.unwrap_or(Value::Null).to_string()),
    };
    let mut resp = result.expect("HTTP exchange");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Runs `tenths sync --json` and answers its exit success and its JSON output.
fn sync(db: &Path, server: &str, token: &str, customer: ObjectId, user: ObjectId) -> (bool, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_tenths"))
        .args(["sync", "--db", db.to_str().unwrap(), "--server", server, "--customer", &customer.to_string(), "--user", &user.to_string(), "--json"])
        .env("TENTHS_TOKEN", token)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let json: Value =
        serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?} stderr {:?}", String::from_utf8_lossy(&out.stderr)));
    (out.status.success(), json)
}

#[test]
fn two_devices_sync_through_tenths_serve() {
    let server = Server::start();
    let c = id(0xc1);
    let lawyer = id(0xa1);
    let user_token = token(c, lawyer, Role::User);
    let connector = token(c, id(0xcc), Role::Connector);
    let cu = format!("/api/v1/public/customers/{c}/users/{lawyer}");

    // Reference data on the server: a matter the devices learn about by pulling.
    assert_eq!(
        call(&server.base, "POST", &format!("/api/v1/customers/{c}/clients/import"), &connector, Some(json!({"externalId": "CL-1", "name": "Acme"}))).0,
        201
    );
    let (status, matter) = call(
        &server.base,
        "POST",
        &format!("/api/v1/customers/{c}/initiatives/import"),
        &connector,
        Some(json!({"externalId": "M-1", "name": "Acme v. Widget", "clientExternalId": "CL-1", "billingType": "billable", "unitIncrements": 360})),
    );
    assert_eq!(status, 201, "{matter}");
    let matter_id = ObjectId::parse(matter["_id"].as_str().unwrap()).unwrap();

    // Device A: first sync pulls the reference data; then two entries made offline.
    let db_a = server.dir.join("device-a.sqlite");
    let (ok, first) = sync(&db_a, &server.base, &user_token, c, lawyer);
    assert!(ok, "{first}");
    assert_eq!(first["report"]["pushed"], 0, "{first}");
    assert!(first["status"]["cursor"]["referenceSeq"].as_i64().unwrap() > 0, "reference data pulled: {first}");
    let scope = Scope::new(c, lawyer);
    let (e1, e2) = (id(0xe1), id(0xe2));
    {
        let a = Engine::open(&db_a).unwrap();
        assert_eq!(a.list_initiatives(&c).unwrap().len(), 1, "device A knows the matter");
        for (entry, summary, secs) in [(e1, "Drafted the complaint", 1_000), (e2, "Called opposing counsel", 400)] {
            let input = NewEntry {
                id: Some(entry),
                initiative_id: Some(matter_id),
                summary: Some(summary.into()),
                duration_in_seconds: Some(secs),
                work_date: Some(tenths::Date::parse("2026-03-02").unwrap()),
                ..NewEntry::default()
            };
            a.create_entry(&scope, &input).unwrap();
        }
        assert_eq!(a.sync_status(&c, &lawyer).unwrap().pending, 2);
        a.close().unwrap();
    }
    let (ok, pushed) = sync(&db_a, &server.base, &user_token, c, lawyer);
    assert!(ok, "{pushed}");
    assert_eq!(pushed["report"]["pushed"], 2, "{pushed}");
    assert_eq!(pushed["report"]["applied"], 2, "{pushed}");
    assert_eq!(pushed["status"]["pending"], 0, "{pushed}");
    assert_eq!(pushed["status"]["lastError"], Value::Null, "{pushed}");

    // The server has them, with the device's ids and the unit math applied.
    let (status, on_server) = call(&server.base, "GET", &format!("{cu}/entries/{e1}"), &user_token, None);
    assert_eq!(status, 200, "{on_server}");
    assert_eq!(on_server["summary"], "Drafted the complaint");
    assert_eq!(on_server["incrementDurationInSeconds"], 1080, "1000 s in 360 s units: {on_server}");
    assert_eq!(call(&server.base, "GET", &format!("{cu}/entries/{e2}"), &user_token, None).0, 200);

    // A change on the server (the user's web app) comes back to device A.
    let (status, patched) =
        call(&server.base, "PATCH", &format!("{cu}/entries/{e2}"), &user_token, Some(json!({"summary": "Called opposing counsel re: discovery"})));
    assert_eq!(status, 200, "{patched}");
    let (ok, pulled) = sync(&db_a, &server.base, &user_token, c, lawyer);
    assert!(ok, "{pulled}");
    assert!(pulled["report"]["pulled"].as_u64().unwrap() >= 1, "{pulled}");
    {
        let a = Engine::open(&db_a).unwrap();
        assert_eq!(a.get_entry(&scope, &e2).unwrap().summary, "Called opposing counsel re: discovery");
        // An offline edit on A, pushed next time.
        a.edit_entry(&scope, &e1, &EntryPatch { notes: Some("See the draft v2".into()), ..EntryPatch::default() }).unwrap();
        a.close().unwrap();
    }
    let (ok, edited) = sync(&db_a, &server.base, &user_token, c, lawyer);
    assert!(ok, "{edited}");
    assert_eq!(edited["report"]["applied"], 1, "{edited}");
    let (_, on_server) = call(&server.base, "GET", &format!("{cu}/entries/{e1}"), &user_token, None);
    assert_eq!(on_server["notes"], "See the draft v2", "{on_server}");

    // Device B (a fresh database) pulls everything.
    let db_b = server.dir.join("device-b.sqlite");
    let (ok, b_first) = sync(&db_b, &server.base, &user_token, c, lawyer);
    assert!(ok, "{b_first}");
    assert_eq!(b_first["report"]["pulled"], 2, "{b_first}");
    let b = Engine::open(&db_b).unwrap();
    let got1 = b.get_entry(&scope, &e1).unwrap();
    assert_eq!((got1.summary.as_str(), got1.notes.as_deref(), got1.unit_increment_count()), ("Drafted the complaint", Some("See the draft v2"), 3));
    assert_eq!(b.get_entry(&scope, &e2).unwrap().summary, "Called opposing counsel re: discovery");
    assert_eq!(b.sync_status(&c, &lawyer).unwrap().pending, 0);
    b.close().unwrap();
}

#[test]
fn a_refused_token_fails_the_sync_and_is_kept_as_the_last_error() {
    let server = Server::start();
    let c = id(0xc2);
    let lawyer = id(0xa2);
    let db = server.dir.join("device.sqlite");
    {
        let a = Engine::open(&db).unwrap();
        a.create_entry(
            &Scope::new(c, lawyer),
            &NewEntry { id: Some(id(0xe9)), summary: Some("Offline work".into()), duration_in_seconds: Some(60), ..NewEntry::default() },
        )
        .unwrap();
        a.close().unwrap();
    }
    let (ok, out) = sync(&db, &server.base, "not-a-token", c, lawyer);
    assert!(!ok, "a bad token must fail the sync: {out}");
    assert_eq!(out["report"], Value::Null);
    assert!(out["error"].as_str().unwrap().contains("unauthenticated"), "{out}");
    assert_eq!(out["status"]["pending"], 1, "nothing lost: {out}");
    assert!(out["status"]["lastError"].is_string(), "{out}");

    // Nothing listens there: a transport error, also kept.
    let (ok, out) = sync(&db, "http://127.0.0.1:9", &token(c, lawyer, Role::User), c, lawyer);
    assert!(!ok, "{out}");
    assert!(out["error"].as_str().unwrap().contains("transport"), "{out}");

    // With a good token the same device finishes the job.
    let (ok, out) = sync(&db, &server.base, &token(c, lawyer, Role::User), c, lawyer);
    assert!(ok, "{out}");
    assert_eq!(out["report"]["applied"], 1, "{out}");
    assert_eq!(out["status"]["lastError"], Value::Null, "{out}");
}
