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

/// Every schema nested in a component (a property, an array's items, a `oneOf`/`anyOf` arm)
/// that is an object with properties, at any depth. Generators name such objects after where
/// they sit, so one reused inline object became two models with one name and was dropped
/// (issue 15: `BatchReleaseSucceededBodyType0EntriesItem`).
fn inline_objects(v: &serde_json::Value, path: &str, top: bool, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if !top && m.contains_key("properties") {
                out.push(path.to_string());
            }
            for (k, child) in m {
                inline_objects(child, &format!("{path}/{k}"), false, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                inline_objects(child, &format!("{path}/{i}"), false, out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_object_inside_a_schema_is_a_named_schema() {
    let doc = tenths::api::openapi::document();
    let mut found = Vec::new();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        inline_objects(schema, name, true, &mut found);
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        inline_objects(item, path, false, &mut found);
    }
    assert!(found.is_empty(), "inline objects (make each a component and $ref it): {found:?}");
}

/// openapi-python-client names an enum member by its value upper-cased with everything but
/// letters, digits and `_ -.` (then word breaks) dropped; two values with one name crash it
/// (issue 15: `Duplicate key GMT0 in enum time_zone.TimeZone`).
fn enum_member_name(value: &str) -> String {
    value.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase()
}

fn enums<'a>(v: &'a serde_json::Value, path: &str, out: &mut Vec<(String, &'a Vec<serde_json::Value>)>) {
    match v {
        serde_json::Value::Object(m) => {
            if let Some(serde_json::Value::Array(values)) = m.get("enum") {
                out.push((path.to_string(), values));
            }
            for (k, child) in m {
                enums(child, &format!("{path}/{k}"), out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|c| enums(c, path, out)),
        _ => {}
    }
}

#[test]
fn every_enum_can_be_named_by_a_generator() {
    let doc = tenths::api::openapi::document();
    let mut found = Vec::new();
    enums(&doc, "", &mut found);
    assert!(!found.is_empty());
    for (path, values) in found {
        let mut names = std::collections::HashMap::new();
        for v in values {
            let v = v.as_str().unwrap_or_default();
            if let Some(other) = names.insert(enum_member_name(v), v) {
                panic!("{path}: {other:?} and {v:?} have one member name");
            }
        }
    }
}

#[test]
fn the_time_zone_pattern_is_exactly_the_zones_the_server_accepts() {
    let doc = tenths::api::openapi::document();
    let tz = &doc["components"]["schemas"]["TimeZone"];
    assert_eq!(tz["type"], "string");
    assert!(tz.get("enum").is_none());
    let pattern = format!("^(?:{})$", tz["pattern"].as_str().unwrap().trim_start_matches('^').trim_end_matches('$'));
    let re = regex::Regex::new(&pattern).unwrap();
    let (engine, _) = engine_at("2026-03-10T12:00:00Z");
    let c = oid(0xc1);
    let put = |zone: &str| {
        let body = serde_json::json!({"timezone": zone}).to_string();
        let req = Request::new("PUT", &format!("/api/v1/customers/{c}/settings"), body.into_bytes())
            .header("content-type", "application/json")
            .with_principal(Principal::new(c, oid(0xad), Role::Admin));
        Api::new(&engine, None).serve(&req).status
    };
    for zone in ["Europe/Berlin", "America/New_York", "UTC", "Etc/GMT+1", "Etc/GMT-14", "GMT0", "GMT+0", "America/Argentina/Buenos_Aires"] {
        assert!(re.is_match(zone), "{zone}");
        assert_eq!(put(zone), 200, "{zone}");
    }
    for zone in ["Mars/Olympus", "europe/berlin", "Etc/GMT+15", "UTC ", "Europe/Berlin/x", "Etc/GMT1"] {
        assert!(!re.is_match(zone), "{zone}");
        assert_eq!(put(zone), 400, "{zone}");
    }
}

#[test]
fn every_answer_has_one_media_type_and_csv_export_is_its_own_operation() {
    let doc = tenths::api::openapi::document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, answer) in op["responses"].as_object().unwrap() {
                let n = answer.get("content").and_then(|c| c.as_object()).map_or(0, |c| c.len());
                assert!(n <= 1, "{method} {path} {status}: {n} media types (a generated client parses one)");
            }
        }
    }
    let csv = &doc["paths"]["/api/v2/customers/{customerId}/entries/export.csv"]["get"];
    assert_eq!(csv["operationId"], "exportEntriesV2Csv");
    assert!(csv["responses"]["200"]["content"]["text/csv"].is_object());
}

#[test]
fn operation_ids_read_as_method_names() {
    let verbs = [
        "get",
        "list",
        "create",
        "delete",
        "edit",
        "override",
        "release",
        "unrelease",
        "export",
        "import",
        "set",
        "update",
        "start",
        "stop",
        "resume",
        "sync",
        "redeliver",
    ];
    for r in ROUTES {
        let verb: String = r.id.chars().take_while(char::is_ascii_lowercase).collect();
        assert!(verbs.contains(&verb.as_str()), "{}: starts with {verb:?}, not a verb", r.id);
        assert!(r.id.chars().all(|c| c.is_ascii_alphanumeric()), "{}", r.id);
    }
}
