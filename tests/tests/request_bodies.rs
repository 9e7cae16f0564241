//! Request bodies at the edge of JSON: a body is exactly one JSON value (data after it is a 400 on
//! `body`, whitespace after it is fine).

use tenths::api::{handle, Principal, Request, Response, Role};
use tenths::Engine;
use tenths_tests::{engine_at, oid};

fn post(engine: &Engine, path: &str, body: &[u8]) -> Response {
    let request =
        Request::new("POST", path, body.to_vec()).header("Content-Type", "application/json").with_principal(Principal::new(oid(1), oid(2), Role::Admin));
    handle(engine, None, &request)
}

fn create(engine: &Engine, body: &[u8]) -> Response {
    post(engine, &format!("/api/v1/public/customers/{}/users/{}/entries", oid(1), oid(2)), body)
}

/// (status, error code, field, message) of an answer.
fn error_of(r: &Response) -> (u16, String, String, String) {
    let json = r.body_json();
    let text = |p: &str| json.pointer(p).and_then(|v| v.as_str()).unwrap_or("").to_string();
    (r.status, text("/error/code"), text("/error/field"), text("/error/message"))
}

#[test]
fn data_after_the_json_value_is_refused_on_body() {
    let (engine, _) = engine_at("2026-03-10T12:00:00Z");
    let bodies: [&[u8]; 5] = [
        br#"{"summary":"first","durationInSeconds":60}{"x":1} trailing"#,
        br#"{"summary":"first","durationInSeconds":60}{"x":1}"#,
        br#"{"summary":"first","durationInSeconds":60} trailing"#,
        br#"{"summary":"first","durationInSeconds":60},"#,
        b"{\"summary\":\"first\",\"durationInSeconds\":60}\n\n]",
    ];
    for body in bodies {
        let r = create(&engine, body);
        let (status, code, field, message) = error_of(&r);
        let shown = String::from_utf8_lossy(body);
        assert_eq!((status, code.as_str(), field.as_str()), (400, "invalid_argument", "body"), "{shown}: {message}");
        assert!(message.contains("unexpected data after the JSON value"), "{shown}: {message}");
        assert!(!message.contains("line") && !message.contains("column"), "{shown}: {message}");
    }
    let day = tenths::Date::parse("2026-03-10").unwrap();
    assert!(engine.list_entries(&tenths::Scope::new(oid(1), oid(2)), day, day).unwrap().is_empty(), "nothing was created");

    // The batch takes a bare array: data after it is refused the same way.
    let batch = format!("/api/v1/customers/{}/entries/release-succeeded/batch", oid(1));
    let r = post(&engine, &batch, br#"[] []"#);
    assert_eq!(error_of(&r).0, 400, "{}", error_of(&r).3);
    assert_eq!(error_of(&r).2, "body");
}

#[test]
fn whitespace_after_the_json_value_is_fine() {
    let (engine, _) = engine_at("2026-03-10T12:00:00Z");
    for body in [&b"{\"summary\":\"a\",\"durationInSeconds\":60}  \r\n\t\n"[..], b"\n {\"summary\":\"b\",\"durationInSeconds\":60}\n"] {
        let r = create(&engine, body);
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    }
}
