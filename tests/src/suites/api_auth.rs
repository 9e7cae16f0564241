//! Every route × 8 identities, with the exact status each must get (api.md auth rules), on a
//! fresh world per probe so a mutating success cannot hide the next probe's answer. Also: a
//! cross-tenant or cross-user id is the same 404 as a missing one.

use std::sync::Arc;

use tenths::api::{mint_hs256, Hs256Verifier, Principal, Request, Role, Verifier, ROUTES};
use tenths::{NewEntry, Scope, TimerStart};

use crate::conformance::{Backend, Opened};
use crate::http::Api;
use crate::{oid, ts};

const SECRET: &[u8] = b"test-secret";
const FAR: i64 = 4_102_444_800; // 2100-01-01

struct World {
    engine: Opened,
    verifier: Arc<dyn Verifier>,
    _clock: Arc<tenths::FixedClock>,
}

impl World {
    fn api(&self) -> Api<'_> {
        Api::new(&self.engine, Some(self.verifier.clone()))
    }
}

fn c() -> tenths::ObjectId {
    oid(0xc1)
}
fn owner() -> tenths::ObjectId {
    oid(0xa1)
}
const EDITABLE: u64 = 0xe1;
const RELEASED: u64 = 0xe2;
const RUNNING: u64 = 0xe3;
const STOPPED: u64 = 0xe4;

fn world(backend: &dyn Backend) -> World {
    let clock = Arc::new(tenths::FixedClock::new(ts("2026-03-10T15:00:00Z")));
    let engine = backend.open(clock.clone());
    let verifier: Arc<dyn Verifier> = Arc::new(Hs256Verifier::new(SECRET).unwrap());
    let matter = crate::simple_matter(&engine, &c());
    engine.upsert_code_type(&c(), &tenths::CodeTypeInput { external_id: "task".into(), name: "Task".into(), semantic_type: "task".into() }).unwrap();
    engine
        .upsert_code(
            &c(),
            &tenths::CodeInput { external_id: "L110".into(), name: "Facts".into(), description: None, code_type_external_id: "task".into(), is_disabled: None },
        )
        .unwrap();
    let scope = Scope::new(c(), owner());
    let new = |id: u64| NewEntry {
        id: Some(oid(id)),
        initiative_id: Some(matter),
        summary: Some("Work".into()),
        duration_in_seconds: Some(600),
        ..Default::default()
    };
    engine.create_entry(&scope, &new(EDITABLE)).unwrap();
    engine.create_entry(&scope, &new(RELEASED)).unwrap();
    engine.release_entry(&scope, &oid(RELEASED)).unwrap();
    clock.set(ts("2026-03-10T15:30:00Z"));
    engine.start_timer(&scope, &TimerStart { id: Some(oid(STOPPED)), initiative_id: Some(matter), summary: Some("t".into()) }).unwrap();
    clock.set(ts("2026-03-10T15:40:00Z"));
    engine.start_timer(&scope, &TimerStart { id: Some(oid(RUNNING)), initiative_id: Some(matter), summary: Some("t".into()) }).unwrap();
    clock.set(ts("2026-03-10T16:00:00Z"));
    World { engine, verifier, _clock: clock }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Nobody,
    BadSignature,
    Expired,
    OtherCustomer,
    OtherUser,
    Delegate,
    Admin,
    Connector,
}

const ALL: [Who; 8] = [Who::Nobody, Who::BadSignature, Who::Expired, Who::OtherCustomer, Who::OtherUser, Who::Delegate, Who::Admin, Who::Connector];

fn token(who: Who) -> Option<String> {
    let p = |user: u64, role: Role| Principal::new(c(), oid(user), role);
    Some(match who {
        Who::Nobody => return None,
        Who::BadSignature => mint_hs256(b"wrong-secret", &p(0xa1, Role::Admin), FAR).unwrap(),
        Who::Expired => mint_hs256(SECRET, &p(0xa1, Role::Admin), 1_000_000_000).unwrap(),
        Who::OtherCustomer => mint_hs256(SECRET, &Principal::new(oid(0xc2), oid(0xa1), Role::Admin), FAR).unwrap(),
        Who::OtherUser => mint_hs256(SECRET, &p(0xa2, Role::User), FAR).unwrap(),
        Who::Delegate => mint_hs256(SECRET, &Principal { delegator_ids: vec![owner()], ..p(0xa3, Role::User) }, FAR).unwrap(),
        Who::Admin => mint_hs256(SECRET, &p(0xad, Role::Admin), FAR).unwrap(),
        Who::Connector => mint_hs256(SECRET, &p(0xcc, Role::Connector), FAR).unwrap(),
    })
}

/// A valid request for each route against a fresh world, and its success status.
fn probe(id: &str) -> (&'static str, String, String, u16) {
    let cu = format!("/api/v1/public/customers/{}/users/{}", c(), owner());
    let e = |n: u64| format!("{cu}/entries/{}", oid(n));
    let cc = format!("/api/v1/customers/{}", c());
    let win = "updatedAfter=2026-03-01T00:00:00Z&updatedOnOrBefore=2026-03-31T00:00:00Z";
    let rwin = "releasedAfter=2026-03-01T00:00:00Z&releasedOnOrBefore=2026-03-31T00:00:00Z";
    let (m, path, body, status): (&str, String, &str, u16) = match id {
        "getHealth" => ("GET", "/healthz".into(), "", 200),
        "getOpenApi" => ("GET", "/openapi.json".into(), "", 200),
        "unreleaseEntry" => ("POST", format!("{}/unrelease", e(RELEASED)), "", 200),
        "overrideEntry" => ("PATCH", format!("{}/override", e(EDITABLE)), r#"{"summary": "Revised"}"#, 200),
        "deleteEntry" => ("DELETE", e(EDITABLE), "", 200),
        "listEntriesV1" => ("GET", format!("{cc}/entries?{win}"), "", 200),
        "exportEntriesV1" => ("GET", format!("{cc}/entries/export?{rwin}"), "", 200),
        "releaseSucceededBatch" => (
            "POST",
            format!("{cc}/entries/release-succeeded/batch"),
            "{\"entries\": [{\"entryId\": \"0000000000000000000000e2\", \"externalId\": \"P1\"}]}",
            207,
        ),
        "listEntriesV2" => ("GET", format!("/api/v2/customers/{}/entries?{win}&pageSize=10", c()), "", 200),
        "exportEntriesV2" => ("GET", format!("/api/v2/customers/{}/entries/export?{rwin}&format=csv", c()), "", 200),
        "exportEntriesV2Csv" => ("GET", format!("/api/v2/customers/{}/entries/export.csv?{rwin}", c()), "", 200),
        "releaseSucceeded" => ("POST", format!("{cc}/users/{}/entries/{}/release-succeeded", owner(), oid(RELEASED)), r#"{"externalId": "P1"}"#, 200),
        "releaseFailed" => ("POST", format!("{cc}/users/{}/entries/{}/release-failed", owner(), oid(RELEASED)), r#"{"errors": ["Matter closed"]}"#, 200),
        "releaseDay" => ("POST", format!("{cu}/entries/release-day"), r#"{"workDate": "2026-03-10", "mode": "ready-subset"}"#, 200),
        "createEntry" => ("POST", format!("{cu}/entries"), r#"{"summary": "New", "durationInSeconds": 360}"#, 201),
        "createEntries" => ("POST", format!("{cu}/entries/batch"), r#"{"entries": [{"summary": "New", "durationInSeconds": 360}]}"#, 207),
        "listUserEntries" => ("GET", format!("{cu}/entries?workDateFrom=2026-03-01&workDateTo=2026-03-31"), "", 200),
        "getEntry" => ("GET", e(EDITABLE), "", 200),
        "editEntry" => ("PATCH", e(EDITABLE), r#"{"notes": "n"}"#, 200),
        "releaseEntry" => ("POST", format!("{}/release", e(EDITABLE)), "", 200),
        "startTimer" => ("POST", format!("{cu}/timers"), "", 201),
        "stopTimer" => ("POST", format!("{}/timer/stop", e(RUNNING)), "", 200),
        "resumeTimer" => ("POST", format!("{}/timer/resume", e(STOPPED)), "", 200),
        "importClient" => ("POST", format!("{cc}/clients/import"), r#"{"externalId": "CL-2", "name": "Beta"}"#, 201),
        "importCodeType" => ("POST", format!("{cc}/code-types/import"), r#"{"externalId": "activity", "name": "Activity", "semanticType": "activity"}"#, 201),
        "importCode" => ("POST", format!("{cc}/codes/import"), r#"{"externalId": "L120", "name": "Analysis", "codeTypeExternalId": "task"}"#, 201),
        "importInitiative" => {
            ("POST", format!("{cc}/initiatives/import"), r#"{"externalId": "M-2", "name": "Beta", "billingType": "billable", "unitIncrements": 900}"#, 201)
        }
        "setInitiativeCodes" => ("POST", format!("{cc}/initiatives/M-1/codes"), r#"{"codeExternalIds": ["L110"]}"#, 200),
        "setInitiativeAccess" => ("POST", format!("{cc}/initiatives/M-1/access"), r#"{"type": "deny", "userIds": ["0000000000000000000000a9"]}"#, 200),
        "setInitiativeRules" => ("POST", format!("/api/v1/validations/customers/{}/initiatives/M-1/rules", c()), r#"{"requiredCodeTypeExternalIds": []}"#, 200),
        "setCustomerRules" => ("POST", format!("/api/v1/validations/customers/{}/rules", c()), r#"{"isSummaryRequired": false}"#, 200),
        "listInitiatives" => ("GET", format!("{cc}/initiatives"), "", 200),
        "listCodes" => ("GET", format!("{cc}/codes"), "", 200),
        "listClients" => ("GET", format!("{cc}/clients"), "", 200),
        "listTotals" => ("GET", format!("{cc}/totals?workDateFrom=2026-03-01&workDateTo=2026-03-31"), "", 200),
        "updateCustomerSettings" => ("PUT", format!("{cc}/settings"), r#"{"rounding": "nearest"}"#, 200),
        "updateUserSettings" => ("PUT", format!("{cc}/users/{}/settings", owner()), r#"{"timezone": "Europe/Paris"}"#, 200),
        "syncPush" => ("POST", format!("{cu}/sync/push"), r#"{"batchId": "0000000000000000000000b1", "ops": []}"#, 200),
        "syncChanges" => ("GET", format!("{cu}/sync/changes?entrySeq=0&limit=10&protocolVersion=2"), "", 200),
        // Webhooks: a subscription to a public name is made; the routes naming one answer the
        // 404 of an unknown subscription once the caller is let through.
        "createWebhook" => ("POST", format!("{cc}/webhooks"), r#"{"url": "https://hooks.example.com/tenths", "events": ["entry.released"]}"#, 201),
        "listWebhooks" => ("GET", format!("{cc}/webhooks"), "", 200),
        "getWebhook" => ("GET", format!("{cc}/webhooks/{}", oid(0x0b1)), "", 404),
        "deleteWebhook" => ("DELETE", format!("{cc}/webhooks/{}", oid(0x0b1)), "", 404),
        "listWebhookDeliveries" => ("GET", format!("{cc}/webhooks/{}/deliveries", oid(0x0b1)), "", 404),
        "redeliverWebhookDelivery" => ("POST", format!("{cc}/webhooks/{}/deliveries/{}/redeliver", oid(0x0b1), oid(0x0d1)), "", 404),
        "getEntryHistory" => ("GET", format!("{cc}/users/{}/entries/{}/history?pageSize=10", owner(), oid(EDITABLE)), "", 200),
        "getEntryHistoryCsv" => ("GET", format!("{cc}/users/{}/entries/{}/history.csv", owner(), oid(EDITABLE)), "", 200),
        "listEvents" => ("GET", format!("{cc}/events?after=2026-03-01T00:00:00Z&onOrBefore=2030-01-01T00:00:00Z"), "", 200),
        "listEventsCsv" => ("GET", format!("{cc}/events.csv?after=2026-03-01T00:00:00Z&onOrBefore=2030-01-01T00:00:00Z"), "", 200),
        other => panic!("route {other} has no probe: add one"),
    };
    let method: &'static str = match m {
        "GET" => "GET",
        "POST" => "POST",
        "PATCH" => "PATCH",
        "PUT" => "PUT",
        _ => "DELETE",
    };
    (method, path, body.to_string(), status)
}

fn expected(route: &tenths::api::RouteSpec, who: Who, success: u16) -> u16 {
    use tenths::api::Access;
    if route.access == Access::Open {
        return success;
    }
    match who {
        Who::Nobody | Who::BadSignature | Who::Expired => 401,
        Who::OtherCustomer => 403,
        Who::Admin => success,
        // Another user's history is the same 404 as a missing entry's (decision 94).
        Who::OtherUser if matches!(route.id, "getEntryHistory" | "getEntryHistoryCsv") => 404,
        Who::OtherUser => 403,
        Who::Delegate => match route.access {
            Access::UserScope | Access::ConnectorOrSelf => success,
            _ => 403,
        },
        Who::Connector => match route.access {
            Access::Connector | Access::ConnectorOrSelf => success,
            _ => 403,
        },
    }
}

pub fn every_route_with_eight_identities(backend: &dyn Backend) {
    let mut failures = Vec::new();
    for route in ROUTES {
        let (method, path, body, success) = probe(route.id);
        assert_eq!(method, route.method, "{}", route.id);
        for who in ALL {
            let w = world(backend);
            let mut req = Request::new(method, &path, body.as_bytes().to_vec());
            if !body.is_empty() {
                req = req.header("Content-Type", "application/json");
            }
            if let Some(t) = token(who) {
                req = req.header("Authorization", &format!("Bearer {t}"));
            }
            let resp = w.api().serve(&req);
            let want = expected(route, who, success);
            if resp.status != want {
                failures.push(format!("{} {} as {:?}: got {} want {} ({})", route.id, method, who, resp.status, want, String::from_utf8_lossy(&resp.body)));
            }
            if resp.status >= 400 {
                let json = resp.body_json();
                assert!(json["error"]["code"].is_string() && json["error"]["message"].is_string(), "{}: {json}", route.id);
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

pub fn other_users_and_tenants_ids_are_the_same_404_as_missing_ones(backend: &dyn Backend) {
    let w = world(backend);
    let admin = mint_hs256(SECRET, &Principal::new(c(), oid(0xad), Role::Admin), FAR).unwrap();
    // Another user's entry in the same tenant, via this user's path.
    w.engine.create_entry(&Scope::new(c(), oid(0xb1)), &NewEntry { id: Some(oid(0xf1)), ..Default::default() }).unwrap();
    // Another tenant's entry with the same owner id.
    w.engine.create_entry(&Scope::new(oid(0xc9), owner()), &NewEntry { id: Some(oid(0xf2)), ..Default::default() }).unwrap();
    let get = |entry: u64| {
        let path = format!("/api/v1/public/customers/{}/users/{}/entries/{}", c(), owner(), oid(entry));
        let r = w.api().serve(&Request::new("GET", &path, Vec::new()).header("Authorization", &format!("Bearer {admin}")));
        let mut body = r.body_json();
        body["error"]["message"] = serde_json::Value::Null;
        (r.status, body)
    };
    let missing = get(0xf9);
    assert_eq!(missing.0, 404);
    assert_eq!(get(0xf1), missing);
    assert_eq!(get(0xf2), missing);
}
