//! `tenths serve --db postgresql://…` through the real binary, on the database of
//! `TENTHS_TEST_PG_URL` (`scripts/with-postgres`): a server on PostgreSQL answers the API (each
//! test in a database of its own), and a wrong password is a start-up error that names the user
//! and never the password. Without the URL each test says it was skipped and passes, unless
//! `TENTHS_REQUIRE_PG=1`.

mod common;

use std::process::Command;

use serde_json::{json, Value};
use tenths::api::{mint_hs256, Principal, Role};
use tenths::ObjectId;

use common::{pg_url as url, server_of, Database};

const SECRET: &str = "pg-e2e-secret";

fn id(n: u64) -> ObjectId {
    ObjectId::parse(&format!("{n:024x}")).unwrap()
}

fn token(user: ObjectId, role: Role) -> String {
    let exp = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600) as i64;
    mint_hs256(SECRET.as_bytes(), &Principal::new(id(0xc), user, role), exp).unwrap()
}

fn call(agent: &ureq::Agent, method: &str, url: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let request = ureq::http::Request::builder().method(method).uri(url).header("Authorization", format!("Bearer {token}"));
    let response = match body {
        Some(b) => agent.run(request.header("Content-Type", "application/json").body(b.to_string()).unwrap()),
        None => agent.run(request.body(()).unwrap()),
    }
    .unwrap();
    let status = response.status().as_u16();
    let text = response.into_body().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The API served from PostgreSQL: reference data, a create with a device id, its repeat, a
/// read, and the health check; the rows are in the database.
#[test]
fn serve_answers_the_api_from_postgresql() {
    let Some(url) = url() else { return };
    let db = Database::new(&url, "serve");
    let (mut child, base) = common::spawn_serve(&db.url(), SECRET, &["--pool-size", "2", "--statement-timeout-ms", "5000"]);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let (c, lawyer) = (id(0xc), id(0xa));
    let connector = token(id(0xcc), Role::Connector);
    let user = token(lawyer, Role::User);

    assert_eq!(call(&agent, "GET", &format!("{base}/healthz"), "", None).0, 200);
    let (status, matter) = call(
        &agent,
        "POST",
        &format!("{base}/api/v1/customers/{c}/initiatives/import"),
        &connector,
        Some(json!({"externalId": "M-1", "name": "Acme v. Widget", "billingType": "billable", "unitIncrements": 360})),
    );
    assert_eq!(status, 201, "{matter}");
    let entry = id(0xe1);
    let body = json!({"_id": entry.to_string(), "initiativeId": matter["_id"], "summary": "Drafted", "durationInSeconds": 700, "workDate": "2026-01-15"});
    let entries = format!("{base}/api/v1/public/customers/{c}/users/{lawyer}/entries");
    let (status, created) = call(&agent, "POST", &entries, &user, Some(body.clone()));
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["_id"], json!(entry.to_string()));
    assert_eq!(call(&agent, "POST", &entries, &user, Some(body)).0, 200, "a repeated create answers the stored entry");
    let (status, read) = call(&agent, "GET", &format!("{entries}/{entry}"), &user, None);
    assert_eq!((status, &read["summary"]), (200, &json!("Drafted")));

    let stored: i64 = postgres::Client::connect(&db.url(), postgres::NoTls).unwrap().query_one("SELECT count(*) FROM entries", &[]).unwrap().get(0);
    assert_eq!(stored, 1);
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success());
}

/// A wrong password: `tenths serve` does not start, and says why without the password.
#[test]
fn a_wrong_password_stops_serve_with_a_clear_error() {
    let Some(url) = url() else { return };
    let (port, db) = server_of(&url);
    let out = Command::new(env!("CARGO_BIN_EXE_tenths"))
        .args(["serve", "--db", &format!("postgresql://tenths_password_test:N0t-The-Pa55@127.0.0.1:{port}/{db}"), "--addr", "127.0.0.1:0"])
        .env("TENTHS_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(stderr.contains("password authentication failed") && stderr.contains("tenths_password_test"), "{stderr}");
    assert!(!stderr.contains("N0t-The-Pa55") && !stdout.contains("N0t-The-Pa55"), "the password leaked: {stderr}{stdout}");
}
