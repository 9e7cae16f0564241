//! The OpenAPI document holds true: the checked-in copy equals the generated one, the served one
//! is the same, every route the router knows is documented with its parameters, body and
//! answers, and every documented operation is routed.

use tenths::api::{Principal, Request, Role, ROUTES};
use tenths_tests::http::Api;
use tenths_tests::{engine_at, oid};

fn checked_in_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json")
}

#[test]
fn checked_in_document_is_current() {
    let generated = serde_json::to_string_pretty(&tenths::api::openapi::document()).unwrap() + "\n";
    let path = checked_in_path();
    if std::env::var_os("TENTHS_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(on_disk == generated, "docs/openapi.json is stale: run `TENTHS_BLESS=1 cargo test -p tenths-tests --test openapi` and commit it");
}

#[test]
fn served_document_equals_the_generated_one() {
    let (engine, _) = engine_at("2026-03-10T12:00:00Z");
    let r = Api::new(&engine, None).serve(&Request::new("GET", "/openapi.json", Vec::new()));
    assert_eq!(r.status, 200);
    assert_eq!(r.body_json(), tenths::api::openapi::document());
}

#[test]
fn every_route_is_documented_with_its_parts() {
    let doc = tenths::api::openapi::document();
    for r in ROUTES {
        let op = &doc["paths"][r.path][r.method.to_ascii_lowercase()];
        assert!(op.is_object(), "{} {} is not documented", r.method, r.path);
        assert_eq!(op["operationId"], r.id);
        // A parameter is inline or a $ref to components.parameters (the Idempotency-Key header).
        let resolve = |p: &'_ serde_json::Value| -> String {
            let p = match p["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/parameters/")) {
                Some(name) => &doc["components"]["parameters"][name],
                None => p,
            };
            p["name"].as_str().unwrap().to_string()
        };
        let names: Vec<String> = op["parameters"].as_array().unwrap().iter().map(resolve).collect();
        let params: Vec<&str> = names.iter().map(String::as_str).collect();
        for q in r.query {
            assert!(params.contains(&q.name), "{}: query {} undocumented", r.id, q.name);
        }
        for seg in r.path.split('/').filter(|s| s.starts_with('{')) {
            assert!(params.contains(&seg.trim_matches(|c| c == '{' || c == '}')), "{}: path parameter {seg} undocumented", r.id);
        }
        assert_eq!(op["requestBody"].is_object(), r.body.is_some(), "{}: request body", r.id);
        for (status, _) in r.responses {
            assert!(op["responses"][status.to_string()].is_object(), "{}: answer {status} undocumented", r.id);
        }
        assert_eq!(op["x-tenths-extension"] == serde_json::json!(true), r.seed.is_none(), "{}: extension mark", r.id);
    }
    // Every $ref resolves.
    let text = doc.to_string();
    for kind in ["schemas", "parameters", "responses"] {
        for piece in text.split(&format!("#/components/{kind}/")).skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(doc["components"][kind][name].is_object(), "dangling $ref {kind}/{name}");
        }
    }
}

#[test]
fn every_documented_operation_is_routed() {
    let (engine, _) = engine_at("2026-03-10T12:00:00Z");
    let doc = tenths::api::openapi::document();
    let admin = Principal::new(oid(1), oid(2), Role::Admin);
    let mut count = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, _) in ops.as_object().unwrap() {
            let concrete = path
                .replace("{customerId}", &oid(1).to_string())
                .replace("{userId}", &oid(2).to_string())
                .replace("{entryId}", &oid(3).to_string())
                .replace("{initiativeExternalId}", "M-1");
            let r = Api::new(&engine, None).serve(&Request::new(&method.to_ascii_uppercase(), &concrete, Vec::new()).with_principal(admin.clone()));
            let body = r.body_json();
            let unrouted = r.status == 405 || (r.status == 404 && body["error"]["message"].as_str().unwrap_or("").starts_with("route not found"));
            assert!(!unrouted, "{method} {path} is documented but not routed: {body}");
            count += 1;
        }
    }
    assert_eq!(count, ROUTES.len());
}
