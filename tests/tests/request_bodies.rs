//! Request bodies at the edge of JSON: a body is exactly one JSON value (data after it is a 400 on
//! `body`, whitespace after it is fine), and a string holding a lone UTF-16 surrogate escape is
//! refused with a message that says so, on the field it was sent in.

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

#[test]
fn a_lone_surrogate_is_named_on_its_field() {
    let (engine, _) = engine_at("2026-03-10T12:00:00Z");
    let cases: [(&str, &str, &str); 7] = [
        // A leading surrogate at the end of the string.
        (r#"{"summary": "\ud800", "durationInSeconds": 60}"#, "summary", r"\ud800"),
        // A leading surrogate followed by something that is not its trailing half.
        (r#"{"summary": "ab\uD834x", "durationInSeconds": 60}"#, "summary", r"\uD834"),
        (r#"{"summary": "\ud800\u0041", "durationInSeconds": 60}"#, "summary", r"\ud800"),
        // A trailing surrogate alone.
        (r#"{"notes": "x\udc00", "durationInSeconds": 60}"#, "notes", r"\udc00"),
        // Deeper in the body.
        (
            r#"{"sources": [{"kind": "call", "startedAt": "2026-03-10T09:00:00Z", "endedAt": "2026-03-10T09:10:00Z", "title": "\udbff"}]}"#,
            "sources[0].title",
            r"\udbff",
        ),
        // In a key, where no field is known yet: the body.
        (r#"{"\ud800": 1}"#, "body", r"\ud800"),
        // In a key of a nested object: the object holding it.
        (r#"{"sources": [{"\udc00": 1}]}"#, "sources[0]", r"\udc00"),
    ];
    for (body, field, escape) in cases {
        let r = create(&engine, body.as_bytes());
        let (status, code, got_field, message) = error_of(&r);
        assert_eq!((status, code.as_str(), got_field.as_str()), (400, "invalid_argument", field), "{body}: {message}");
        assert!(message.contains(&format!("a lone UTF-16 surrogate ({escape}) is not a character")), "{body}: {message}");
        assert!(!message.contains("hex escape"), "{body}: {message}");
    }
    // A pair is a character; an escaped backslash before `u` is no escape at all.
    for (body, summary) in
        [(r#"{"summary": "\ud83d\ude00", "durationInSeconds": 60}"#, "\u{1F600}"), (r#"{"summary": "\\ud800", "durationInSeconds": 60}"#, r"\ud800")]
    {
        let r = create(&engine, body.as_bytes());
        assert_eq!(r.status, 201, "{body}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.body_json()["summary"], summary);
    }
}
