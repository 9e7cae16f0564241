//! Bearer tokens at the edge: the time claims (`exp`, `nbf`, `iat`) are checked against the
//! verifier's clock with a small leeway for clock skew on `nbf` and `iat`, and every refusal is
//! a 401 whose message is a plain reason, never the decoder's internals.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tenths::api::{handle, Hs256Verifier, Principal, Request, Response, Role, Verifier, CLOCK_SKEW_LEEWAY_SECONDS};
use tenths_tests::{engine_at, oid};

const SECRET: &[u8] = b"token-secret";

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Claims of a valid connector token of customer 1, an hour from expiry.
fn claims() -> Value {
    json!({"sub": oid(2).to_string(), "customerId": oid(1).to_string(), "role": "connector", "exp": now() + 3600})
}

fn sign(claims: &Value) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET).unwrap();
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), claims, &key).unwrap()
}

/// `message` (`header.payload`, base64url) with its HS256 signature, whatever the payload holds.
fn signed_raw(message: &str) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET).unwrap();
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, jsonwebtoken::Algorithm::HS256).unwrap();
    format!("{message}.{signature}")
}

/// Claims with `name` set to `value` (`Value::Null`: removed).
fn with(name: &str, value: Value) -> Value {
    let mut c = claims();
    if let Some(map) = c.as_object_mut() {
        if value.is_null() {
            map.remove(name);
        } else {
            map.insert(name.to_string(), value);
        }
    }
    c
}

fn call(token: &str) -> Response {
    let (engine, _) = engine_at("2026-03-10T12:00:00Z");
    let verifier = Hs256Verifier::new(SECRET).unwrap();
    let request = Request::new("GET", &format!("/api/v1/customers/{}/initiatives", oid(1)), Vec::new()).header("Authorization", &format!("Bearer {token}"));
    handle(&engine, Some(&verifier as &dyn Verifier), &request)
}

/// (status, code, message) of an answer.
fn answer(r: &Response) -> (u16, String, String) {
    let json = r.body_json();
    let text = |p: &str| json.pointer(p).and_then(|v| v.as_str()).unwrap_or("").to_string();
    (r.status, text("/error/code"), text("/error/message"))
}

#[test]
fn a_token_valid_only_later_is_refused() {
    let day = 86_400;
    for (name, value) in [("nbf", now() + day), ("iat", now() + day)] {
        let r = call(&sign(&with(name, json!(value))));
        let (status, code, message) = answer(&r);
        assert_eq!((status, code.as_str()), (401, "unauthenticated"), "{name} a day ahead: {message}");
    }
}

#[test]
fn time_claims_within_the_leeway_or_in_the_past_are_accepted() {
    let skew = CLOCK_SKEW_LEEWAY_SECONDS / 2;
    for (name, value) in [("nbf", now() + skew), ("iat", now() + skew), ("nbf", now() - 3600), ("iat", now() - 3600), ("nbf", now()), ("iat", now())] {
        let r = call(&sign(&with(name, json!(value))));
        assert_eq!(r.status, 200, "{name} = now {:+}: {:?}", value - now(), answer(&r));
    }
    let both = json!({"sub": oid(2).to_string(), "customerId": oid(1).to_string(), "role": "connector", "exp": now() + 60, "nbf": now() - 5, "iat": now() - 5});
    assert_eq!(call(&sign(&both)).status, 200);
    // Past the leeway, refused.
    let late = CLOCK_SKEW_LEEWAY_SECONDS + 120;
    for name in ["nbf", "iat"] {
        assert_eq!(call(&sign(&with(name, json!(now() + late)))).status, 401, "{name} past the leeway");
    }
}

#[test]
fn every_refusal_is_a_plain_reason() {
    let (header, payload, _) = {
        let t = sign(&claims());
        let mut parts = t.split('.').map(str::to_string).collect::<Vec<_>>().into_iter();
        (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap())
    };
    let other_key = jsonwebtoken::EncodingKey::from_secret(b"another-secret").unwrap();
    let badly_signed = jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), &claims(), &other_key).unwrap();
    let hs512 =
        jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512), &claims(), &jsonwebtoken::EncodingKey::from_secret(SECRET).unwrap())
            .unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        ("no exp", sign(&with("exp", Value::Null)), "the token has no expiry (exp)"),
        ("expired", sign(&with("exp", json!(now() - 3600))), "the token is expired"),
        ("bad signature", badly_signed, "the token's signature does not verify"),
        ("not a token", "not.a.token".into(), "the token is malformed"),
        ("two parts", format!("{header}.{payload}"), "the token is malformed"),
        ("payload not JSON, badly signed", format!("{header}.bm90IGpzb24.sig"), "the token's signature does not verify"),
        ("payload not JSON", signed_raw(&format!("{header}.bm90IGpzb24")), "the token is malformed"),
        ("not valid yet", sign(&with("nbf", json!(now() + 86_400))), "the token is not valid yet"),
        ("issued in the future", sign(&with("iat", json!(now() + 86_400))), "the token was issued in the future"),
        ("no sub", sign(&with("sub", Value::Null)), "the token has no subject (sub)"),
        ("no customerId", sign(&with("customerId", Value::Null)), "the token has no customerId claim"),
        ("no role", sign(&with("role", Value::Null)), "the token has no role claim"),
        ("exp a string", sign(&with("exp", json!("tomorrow"))), "the token's exp claim is not a whole number of seconds"),
        ("nbf a string", sign(&with("nbf", json!("now"))), "the token's nbf claim is not a whole number of seconds"),
        ("iat a float", sign(&with("iat", json!(1.5))), "the token's iat claim is not a whole number of seconds"),
        ("role unknown", sign(&with("role", json!("wizard"))), "the token's role claim is not user, admin or connector"),
        ("sub not an id", sign(&with("sub", json!("alice"))), "the token's sub claim is not an id"),
        ("customerId a number", sign(&with("customerId", json!(7))), "the token's customerId claim is not a string"),
        ("delegatorIds not a list", sign(&with("delegatorIds", json!("x"))), "the token's delegatorIds claim is not a list of ids"),
        ("claims an array", sign(&json!([1, 2])), "the token is malformed"),
        ("HS512", hs512, "the token is not signed with HS256"),
    ];
    let mut failures = Vec::new();
    for (what, token, want) in cases {
        let (status, code, message) = answer(&call(&token));
        let internals = ["line", "column", "JSON error", "Missing required claim", "Invalid", "Error", "Base64", "UTF-8"];
        if status != 401 || code != "unauthenticated" || !message.contains(want) || internals.iter().any(|i| message.contains(i)) {
            failures.push(format!("{what}: {status} {code} {message:?} (want 401 with {want:?})"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_valid_token_still_passes_with_its_principal() {
    let p = Principal { delegator_ids: vec![oid(3)], ..Principal::new(oid(1), oid(2), Role::User) };
    let token = tenths::api::mint_hs256(SECRET, &p, now() + 3600).unwrap();
    assert_eq!(Hs256Verifier::new(SECRET).unwrap().verify(&token).unwrap(), p);
}
