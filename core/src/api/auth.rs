//! Who is calling: principals, roles, and the token verifier the host gives the router. The
//! default verifier checks HS256 JWTs with the claims of `api.md` (`sub`, `customerId`, `role`,
//! `exp`, `delegatorIds`) and the optional time claims `nbf` and `iat`. It decides which tokens
//! pass and what a refused caller is told: one plain reason per refusal (expired, not valid yet,
//! bad signature, a claim missing or of the wrong shape), never the decoder's own messages.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Result, TenthsError};
pub use crate::http::{Principal, Role};
use crate::rules::ids::ObjectId;

/// Checks a bearer token and says who it belongs to. Hosts may supply their own (OIDC, sessions).
pub trait Verifier: Send + Sync {
    /// The principal of a valid token, or `Unauthenticated`.
    fn verify(&self, token: &str) -> Result<Principal>;
}

/// How far ahead of this host's clock a token's `nbf` (not before) and `iat` (issued at) may be,
/// in seconds: the issuer's clock may run a little ahead of ours, and a token minted there a
/// moment ago must still pass here. `exp` gets no leeway: a token is never honoured after the
/// time its issuer set, so skew can only shorten its life, never lengthen it.
pub const CLOCK_SKEW_LEEWAY_SECONDS: i64 = 60;

/// Verifies HS256 JWTs signed with a shared secret; `exp` is required.
pub struct Hs256Verifier {
    key: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
}

/// The claims [`mint_hs256`] writes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Claims {
    sub: String,
    customer_id: String,
    role: String,
    exp: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    delegator_ids: Vec<String>,
}

impl Hs256Verifier {
    /// A verifier for tokens signed with `secret` (which must not be empty).
    pub fn new(secret: &[u8]) -> Result<Hs256Verifier> {
        if secret.is_empty() {
            return Err(TenthsError::invalid("secret", "must not be empty"));
        }
        let key = jsonwebtoken::DecodingKey::from_secret(secret).map_err(|e| TenthsError::invalid("secret", e.to_string()))?;
        // jsonwebtoken checks the algorithm and the signature only. The claims, the time claims
        // included, are checked in `claims_of`: its one leeway would widen `exp` as well, and
        // its errors are not messages to show a caller.
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims.clear();
        Ok(Hs256Verifier { key, validation })
    }
}

fn unauthenticated(reason: impl Into<String>) -> TenthsError {
    TenthsError::Unauthenticated { reason: reason.into() }
}

/// The plain reason of a token jsonwebtoken refused.
fn decode_failure(e: &jsonwebtoken::errors::Error) -> TenthsError {
    use jsonwebtoken::errors::ErrorKind;
    unauthenticated(match e.kind() {
        ErrorKind::InvalidSignature => "the token's signature does not verify",
        ErrorKind::InvalidAlgorithm => "the token is not signed with HS256",
        ErrorKind::InvalidAudience => "the token is for another audience (aud)",
        // Not three parts, not base64, a header or claims that are not a JSON object, an
        // unknown algorithm name: the caller can only get a new token.
        _ => "the token is malformed",
    })
}

/// The seconds since the Unix epoch on this host's clock.
fn now_unix_seconds() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)).unwrap_or(0)
}

/// The name a refusal gives a claim: the registered ones say what they mean.
fn claim_name(name: &str) -> String {
    match name {
        "exp" => "expiry (exp)".into(),
        "sub" => "subject (sub)".into(),
        other => format!("{other} claim"),
    }
}

/// A time claim (`exp`, `nbf`, `iat`): whole seconds since the epoch, if present.
fn time_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| unauthenticated(format!("the token's {name} claim is not a whole number of seconds"))),
    }
}

/// A text claim that must be present.
fn text_claim<'c>(claims: &'c Map<String, Value>, name: &str) -> Result<&'c str> {
    match claims.get(name) {
        None => Err(unauthenticated(format!("the token has no {}", claim_name(name)))),
        Some(v) => v.as_str().ok_or_else(|| unauthenticated(format!("the token's {name} claim is not a string"))),
    }
}

/// An id claim that must be present.
fn id_claim(claims: &Map<String, Value>, name: &str) -> Result<ObjectId> {
    ObjectId::parse(text_claim(claims, name)?).map_err(|_| unauthenticated(format!("the token's {name} claim is not an id")))
}

/// The principal of verified claims at `now`: the time claims first (a token out of its time
/// is refused whatever else it says), then who it names.
fn claims_of(claims: &Map<String, Value>, now: i64) -> Result<Principal> {
    let exp = time_claim(claims, "exp")?.ok_or_else(|| unauthenticated(format!("the token has no {}", claim_name("exp"))))?;
    if now >= exp {
        return Err(unauthenticated("the token is expired"));
    }
    let latest = now.saturating_add(CLOCK_SKEW_LEEWAY_SECONDS);
    if time_claim(claims, "nbf")?.is_some_and(|nbf| nbf > latest) {
        return Err(unauthenticated("the token is not valid yet (nbf)"));
    }
    if time_claim(claims, "iat")?.is_some_and(|iat| iat > latest) {
        return Err(unauthenticated("the token was issued in the future (iat)"));
    }
    let user = id_claim(claims, "sub")?;
    let customer = id_claim(claims, "customerId")?;
    let role = Role::parse(text_claim(claims, "role")?).map_err(|_| unauthenticated("the token's role claim is not user, admin or connector"))?;
    let not_ids = || unauthenticated("the token's delegatorIds claim is not a list of ids");
    let delegator_ids = match claims.get("delegatorIds") {
        None => Vec::new(),
        Some(v) => {
            let items = v.as_array().ok_or_else(not_ids)?;
            let mut ids = Vec::with_capacity(items.len());
            for item in items {
                ids.push(item.as_str().and_then(|s| ObjectId::parse(s).ok()).ok_or_else(not_ids)?);
            }
            ids
        }
    };
    Ok(Principal { customer, user, role, delegator_ids })
}

impl Verifier for Hs256Verifier {
    fn verify(&self, token: &str) -> Result<Principal> {
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &self.key, &self.validation).map_err(|e| decode_failure(&e))?;
        claims_of(&data.claims, now_unix_seconds())
    }
}

/// Mints an HS256 token (for `tenths token`, tests and local tools).
pub fn mint_hs256(secret: &[u8], principal: &Principal, expires_unix_seconds: i64) -> Result<String> {
    let role = match principal.role {
        Role::User => "user",
        Role::Admin => "admin",
        Role::Connector => "connector",
    };
    let claims = Claims {
        sub: principal.user.to_string(),
        customer_id: principal.customer.to_string(),
        role: role.to_string(),
        exp: expires_unix_seconds,
        delegator_ids: principal.delegator_ids.iter().map(ToString::to_string).collect(),
    };
    if secret.is_empty() {
        return Err(TenthsError::invalid("secret", "must not be empty"));
    }
    let key = jsonwebtoken::EncodingKey::from_secret(secret).map_err(|e| TenthsError::invalid("secret", e.to_string()))?;
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), &claims, &key)
        .map_err(|e| TenthsError::invalid("secret", format!("cannot sign: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> ObjectId {
        ObjectId::parse(&format!("{n:024x}")).unwrap()
    }

    #[test]
    fn round_trip_and_refusals() {
        let p = Principal { customer: id(1), user: id(2), role: Role::User, delegator_ids: vec![id(3)] };
        let far = 4_102_444_800; // 2100-01-01
        let token = mint_hs256(b"secret", &p, far).unwrap();
        assert_eq!(Hs256Verifier::new(b"secret").unwrap().verify(&token).unwrap(), p);
        assert_eq!(Hs256Verifier::new(b"other").unwrap().verify(&token).unwrap_err().kind(), crate::ErrorKind::Unauthenticated);
        let expired = mint_hs256(b"secret", &p, 1_000_000_000).unwrap();
        assert_eq!(Hs256Verifier::new(b"secret").unwrap().verify(&expired).unwrap_err().kind(), crate::ErrorKind::Unauthenticated);
        assert!(Hs256Verifier::new(b"secret").unwrap().verify("not.a.token").is_err());
    }

    #[test]
    fn time_claims_at_their_boundaries() {
        let now = 1_800_000_000;
        let at = |extra: serde_json::Value| {
            let mut claims = serde_json::json!({"sub": id(2).to_string(), "customerId": id(1).to_string(), "role": "user", "exp": now + 10});
            if let (Some(map), Some(more)) = (claims.as_object_mut(), extra.as_object()) {
                map.extend(more.clone());
            }
            claims_of(claims.as_object().unwrap(), now).map(|_| ()).map_err(|e| e.to_string())
        };
        let leeway = CLOCK_SKEW_LEEWAY_SECONDS;
        assert_eq!(at(serde_json::json!({})), Ok(()));
        assert_eq!(at(serde_json::json!({"exp": now + 1})), Ok(()));
        assert!(at(serde_json::json!({"exp": now})).unwrap_err().contains("the token is expired"));
        for claim in ["nbf", "iat"] {
            assert_eq!(at(serde_json::json!({claim: now + leeway})), Ok(()), "{claim} at the leeway");
            assert_eq!(at(serde_json::json!({claim: now - 86_400})), Ok(()), "{claim} in the past");
            assert!(at(serde_json::json!({claim: now + leeway + 1})).is_err(), "{claim} past the leeway");
        }
        // Out of its time is refused before anything else is read.
        let refused = at(serde_json::json!({"nbf": now + 3600, "role": "wizard"})).unwrap_err();
        assert!(refused.contains("not valid yet"), "{refused}");
    }
}
