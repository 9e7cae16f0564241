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
///
/// A token that verified is remembered with what it says (decision 113): a client sends the
/// same token with every request, and checking its signature and parsing its claims again cost
/// more than the rest of a small read. The time claims are checked again on every use, so a
/// remembered token still expires; only tokens whose signature verified are remembered (no
/// one without the secret can fill the memory), at most [`Hs256Verifier::REMEMBERED`] of them.
pub struct Hs256Verifier {
    key: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
    verified: std::sync::Mutex<std::collections::HashMap<String, (Principal, TimeClaims)>>,
}

/// The checks a [`JwksVerifier`] makes beyond the signature and the claims of `api.md`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JwksOptions {
    /// The `iss` a token must name (exactly), if set.
    pub issuer: Option<String>,
    /// An `aud` a token must name (its `aud` is a string or a list of strings), if set.
    pub audience: Option<String>,
}

/// One usable key of a JWKS: its algorithm and its decoding key.
struct JwksKey {
    algorithm: jsonwebtoken::Algorithm,
    key: jsonwebtoken::DecodingKey,
}

/// Verifies RS256 and ES256 JWTs by their `kid` against a JSON Web Key Set (an identity
/// provider's public keys), with the same claims and time rules as [`Hs256Verifier`] and the
/// optional `iss` and `aud` checks of [`JwksOptions`]. A key is used only for its algorithm (an
/// RSA key for RS256, a P-256 key for ES256; a key's `alg`, when given, must agree), so a token
/// whose header names another algorithm than its key's is refused. The key set can be replaced
/// while serving ([`JwksVerifier::replace_keys`]): the host fetches, this only parses.
pub struct JwksVerifier {
    keys: std::sync::RwLock<std::collections::HashMap<String, std::sync::Arc<JwksKey>>>,
    options: JwksOptions,
}

/// The usable keys of a JWKS document: RSA keys (RS256) and P-256 keys (ES256) that have a `kid`
/// and are not for encryption only. Other keys are skipped; a document that is not a JWKS, or has
/// no usable key, is refused (`jwks`, with what is wrong).
fn parse_jwks(json: &[u8]) -> Result<std::collections::HashMap<String, std::sync::Arc<JwksKey>>> {
    use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
    use jsonwebtoken::Algorithm;
    let doc: Value = serde_json::from_slice(json).map_err(|e| TenthsError::invalid("jwks", format!("not JSON: {e}")))?;
    let items = doc.get("keys").and_then(Value::as_array).ok_or_else(|| TenthsError::invalid("jwks", "not a JWKS: no \"keys\" list"))?;
    let mut keys = std::collections::HashMap::new();
    for item in items {
        // A key of a kind this verifier does not use (or a malformed one) is skipped: an
        // identity provider may publish keys for other algorithms next to ours.
        let Ok(jwk) = serde_json::from_value::<Jwk>(item.clone()) else { continue };
        let Some(kid) = jwk.common.key_id.clone() else { continue };
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            continue;
        }
        let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
            (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
            (AlgorithmParameters::EllipticCurve(p), None | Some(KeyAlgorithm::ES256)) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
            _ => continue,
        };
        let Ok(key) = jsonwebtoken::DecodingKey::from_jwk(&jwk) else { continue };
        keys.insert(kid, std::sync::Arc::new(JwksKey { algorithm, key }));
    }
    if keys.is_empty() {
        return Err(TenthsError::invalid("jwks", "no usable key: none is an RS256 (RSA) or ES256 (P-256) key with a kid"));
    }
    Ok(keys)
}

impl JwksVerifier {
    /// A verifier over the keys of the JWKS document `json`: its RSA (RS256) and P-256 (ES256)
    /// signing keys that have a `kid`; other keys are skipped, and a set with none is refused.
    pub fn new(json: &[u8], options: JwksOptions) -> Result<JwksVerifier> {
        Ok(JwksVerifier { keys: std::sync::RwLock::new(parse_jwks(json)?), options })
    }

    /// Replaces the key set by the keys of `json`, answering how many are usable. A document
    /// that cannot be used leaves the current keys in place and answers its error.
    pub fn replace_keys(&self, json: &[u8]) -> Result<usize> {
        let keys = parse_jwks(json)?;
        let count = keys.len();
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = keys;
        Ok(count)
    }

    /// The `kid`s of the current keys, sorted (for logs and tests).
    pub fn key_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.keys.read().unwrap_or_else(|p| p.into_inner()).keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The `iss` and `aud` checks of the options, on verified claims.
    fn check_issuer_and_audience(&self, claims: &Map<String, Value>) -> Result<()> {
        if let Some(issuer) = &self.options.issuer {
            match claims.get("iss") {
                None => return Err(unauthenticated("the token has no issuer (iss)")),
                Some(v) if v.as_str() == Some(issuer.as_str()) => {}
                Some(_) => return Err(unauthenticated("the token is from another issuer (iss)")),
            }
        }
        if let Some(audience) = &self.options.audience {
            let names = |v: &Value| v.as_str() == Some(audience.as_str());
            match claims.get("aud") {
                None => return Err(unauthenticated("the token has no audience (aud)")),
                Some(Value::Array(items)) if items.iter().any(names) => {}
                Some(v) if names(v) => {}
                Some(_) => return Err(unauthenticated("the token is for another audience (aud)")),
            }
        }
        Ok(())
    }
}

impl Verifier for JwksVerifier {
    fn verify(&self, token: &str) -> Result<Principal> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| unauthenticated("the token is malformed"))?;
        let kid = header.kid.ok_or_else(|| unauthenticated("the token names no key (kid)"))?;
        let key = self.keys.read().unwrap_or_else(|p| p.into_inner()).get(&kid).cloned();
        let key = key.ok_or_else(|| unauthenticated("the token's key (kid) is not one of the identity provider's keys"))?;
        if header.alg != key.algorithm {
            return Err(unauthenticated(format!("the token is not signed with {:?}, the algorithm of its key", key.algorithm)));
        }
        let mut validation = jsonwebtoken::Validation::new(key.algorithm);
        validation.leeway = 0;
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation).map_err(|e| decode_failure(&e))?;
        let principal = claims_of(&data.claims, now_unix_seconds())?;
        self.check_issuer_and_audience(&data.claims)?;
        Ok(principal)
    }
}

/// Verifies with the [`Hs256Verifier`] the tokens signed with HS256 and with the
/// [`JwksVerifier`] every other token, when a server takes both (a shared secret for its own
/// tools, an identity provider for its users).
pub struct EitherVerifier {
    /// The shared-secret verifier.
    pub hs256: Hs256Verifier,
    /// The identity provider's keys.
    pub jwks: std::sync::Arc<JwksVerifier>,
}

impl Verifier for EitherVerifier {
    fn verify(&self, token: &str) -> Result<Principal> {
        match jsonwebtoken::decode_header(token) {
            Ok(h) if h.alg == jsonwebtoken::Algorithm::HS256 => self.hs256.verify(token),
            _ => self.jwks.verify(token),
        }
    }
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
        Ok(Hs256Verifier { key, validation, verified: std::sync::Mutex::new(std::collections::HashMap::new()) })
    }

    /// Verified tokens remembered at most; past it the memory starts again empty.
    pub const REMEMBERED: usize = 4096;
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

/// A token's time claims, in seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TimeClaims {
    exp: i64,
    nbf: Option<i64>,
    iat: Option<i64>,
}

impl TimeClaims {
    /// The time claims of a token (`exp` required).
    fn of(claims: &Map<String, Value>) -> Result<TimeClaims> {
        let exp = time_claim(claims, "exp")?.ok_or_else(|| unauthenticated(format!("the token has no {}", claim_name("exp"))))?;
        Ok(TimeClaims { exp, nbf: time_claim(claims, "nbf")?, iat: time_claim(claims, "iat")? })
    }

    /// Whether the token may be used at `now`: before `exp` (no leeway), and neither valid
    /// from nor issued later than the leeway ahead.
    fn check(&self, now: i64) -> Result<()> {
        if now >= self.exp {
            return Err(unauthenticated("the token is expired"));
        }
        let latest = now.saturating_add(CLOCK_SKEW_LEEWAY_SECONDS);
        if self.nbf.is_some_and(|nbf| nbf > latest) {
            return Err(unauthenticated("the token is not valid yet (nbf)"));
        }
        if self.iat.is_some_and(|iat| iat > latest) {
            return Err(unauthenticated("the token was issued in the future (iat)"));
        }
        Ok(())
    }
}

/// The principal of verified claims at `now`: the time claims first (a token out of its time
/// is refused whatever else it says), then who it names.
fn claims_of(claims: &Map<String, Value>, now: i64) -> Result<Principal> {
    TimeClaims::of(claims)?.check(now)?;
    principal_of(claims)
}

/// Who verified claims name.
fn principal_of(claims: &Map<String, Value>) -> Result<Principal> {
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
        self.verify_at(token, now_unix_seconds())
    }
}

impl Hs256Verifier {
    /// [`Verifier::verify`] at `now` (seconds since the epoch).
    fn verify_at(&self, token: &str, now: i64) -> Result<Principal> {
        let remembered = self.verified.lock().unwrap_or_else(|p| p.into_inner()).get(token).cloned();
        if let Some((principal, times)) = remembered {
            times.check(now)?;
            return Ok(principal);
        }
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &self.key, &self.validation).map_err(|e| decode_failure(&e))?;
        let times = TimeClaims::of(&data.claims)?;
        times.check(now)?;
        let principal = principal_of(&data.claims)?;
        let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if verified.len() >= Self::REMEMBERED {
            verified.clear();
        }
        verified.insert(token.to_string(), (principal.clone(), times));
        Ok(principal)
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

    /// A remembered token answers without a second verification, still expires at its `exp`
    /// and still waits for its `nbf`; a refused one is not remembered; past the limit the
    /// memory starts again.
    #[test]
    fn remembered_tokens_keep_their_time_rules() {
        let v = Hs256Verifier::new(b"secret").unwrap();
        let remembered = |v: &Hs256Verifier| v.verified.lock().unwrap().len();
        let p = Principal { customer: id(1), user: id(2), role: Role::Admin, delegator_ids: vec![] };
        let now = 1_800_000_000;
        let token = mint_hs256(b"secret", &p, now + 10).unwrap();
        assert_eq!(v.verify_at(&token, now).unwrap(), p);
        assert_eq!(remembered(&v), 1);
        assert_eq!(v.verify_at(&token, now + 9).unwrap(), p, "from memory");
        let expired = v.verify_at(&token, now + 10).unwrap_err();
        assert!(expired.to_string().contains("expired"), "{expired}");
        let claims = serde_json::json!({"sub": id(2).to_string(), "customerId": id(1).to_string(), "role": "user", "exp": now + 7200, "nbf": now + 3600});
        let key = jsonwebtoken::EncodingKey::from_secret(b"secret").unwrap();
        let later = jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), &claims, &key).unwrap();
        assert!(v.verify_at(&later, now + 3600).is_ok());
        assert!(v.verify_at(&later, now).unwrap_err().to_string().contains("not valid yet"), "nbf checked again from memory");
        let forged = mint_hs256(b"not the secret", &p, now + 10).unwrap();
        assert!(v.verify_at(&forged, now).is_err());
        assert_eq!(remembered(&v), 2, "a refused token is not remembered");
        for n in 0..Hs256Verifier::REMEMBERED {
            let other = Principal { customer: id(1), user: id(1000 + n as u64), role: Role::User, delegator_ids: vec![] };
            v.verify_at(&mint_hs256(b"secret", &other, now + 10).unwrap(), now).unwrap();
        }
        assert!(remembered(&v) <= Hs256Verifier::REMEMBERED, "bounded: {}", remembered(&v));
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

    const JWKS: &[u8] = include_bytes!("../../../tests/fixtures/jwks/jwks.json");
    const JWKS_ROTATED: &[u8] = include_bytes!("../../../tests/fixtures/jwks/jwks-rotated.json");

    /// A token over `claims` signed by the fixture key `key` (`rsa-1`, `rsa-2`, `ec-1`) with
    /// `alg`, naming `kid` in its header.
    fn signed(key: &str, alg: jsonwebtoken::Algorithm, kid: Option<&str>, claims: &serde_json::Value) -> String {
        let der = std::fs::read(format!("{}/../tests/fixtures/jwks/{key}.der", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let encoding = match alg {
            jsonwebtoken::Algorithm::ES256 => jsonwebtoken::EncodingKey::from_ec_der(&der),
            _ => jsonwebtoken::EncodingKey::from_rsa_der(&der),
        };
        let mut header = jsonwebtoken::Header::new(alg);
        header.kid = kid.map(str::to_string);
        jsonwebtoken::encode(&header, claims, &encoding).unwrap()
    }

    fn idp_claims(extra: serde_json::Value) -> serde_json::Value {
        let mut claims = serde_json::json!({"sub": id(2).to_string(), "customerId": id(1).to_string(), "role": "user", "exp": 4_102_444_800_i64,
            "iss": "https://idp.example", "aud": ["tenths", "other"]});
        if let (Some(map), Some(more)) = (claims.as_object_mut(), extra.as_object()) {
            map.extend(more.clone());
        }
        claims
    }

    fn refusal(v: &JwksVerifier, token: &str) -> String {
        let e = v.verify(token).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Unauthenticated, "{e}");
        e.to_string()
    }

    #[test]
    fn jwks_tokens_by_kid_with_issuer_and_audience() {
        use jsonwebtoken::Algorithm::{ES256, HS256, RS256};
        let options = JwksOptions { issuer: Some("https://idp.example".into()), audience: Some("tenths".into()) };
        let v = JwksVerifier::new(JWKS, options).unwrap();
        assert_eq!(v.key_ids(), ["ec-1", "rsa-1"]);
        let good = idp_claims(serde_json::json!({}));
        let p = v.verify(&signed("rsa-1", RS256, Some("rsa-1"), &good)).unwrap();
        assert_eq!((p.user, p.customer, p.role), (id(2), id(1), Role::User));
        v.verify(&signed("ec-1", ES256, Some("ec-1"), &good)).unwrap();
        v.verify(&signed("ec-1", ES256, Some("ec-1"), &idp_claims(serde_json::json!({"aud": "tenths"})))).unwrap();
        // The refusals, each with its plain reason.
        assert!(refusal(&v, &signed("rsa-2", RS256, Some("rsa-2"), &good)).contains("kid"));
        assert!(refusal(&v, &signed("rsa-1", RS256, None, &good)).contains("names no key"));
        assert!(refusal(&v, &signed("rsa-2", RS256, Some("rsa-1"), &good)).contains("signature"));
        assert!(refusal(&v, &signed("ec-1", ES256, Some("rsa-1"), &good)).contains("not signed with RS256"));
        assert!(refusal(&v, &signed("rsa-1", RS256, Some("rsa-1"), &idp_claims(serde_json::json!({"iss": "https://evil.example"})))).contains("issuer"));
        assert!(refusal(&v, &signed("rsa-1", RS256, Some("rsa-1"), &idp_claims(serde_json::json!({"aud": "someone-else"})))).contains("audience"));
        assert!(refusal(&v, &signed("rsa-1", RS256, Some("rsa-1"), &idp_claims(serde_json::json!({"exp": 1_000_000_000})))).contains("expired"));
        let leeway = now_unix_seconds() + CLOCK_SKEW_LEEWAY_SECONDS + 120;
        assert!(refusal(&v, &signed("rsa-1", RS256, Some("rsa-1"), &idp_claims(serde_json::json!({"nbf": leeway})))).contains("not valid yet"));
        // An HS256 token, even one naming a JWKS kid and signed with the public key's bytes.
        let mut hs = jsonwebtoken::Header::new(HS256);
        hs.kid = Some("rsa-1".into());
        let hs_token = jsonwebtoken::encode(&hs, &good, &jsonwebtoken::EncodingKey::from_secret(b"secret").unwrap()).unwrap();
        assert!(refusal(&v, &hs_token).contains("not signed with RS256"));
        // alg none is not a JWT this verifier reads.
        // {"alg":"none","kid":"rsa-1"} . {"sub":"x","exp":4102444800} . (no signature)
        assert!(refusal(&v, "eyJhbGciOiJub25lIiwia2lkIjoicnNhLTEifQ.eyJzdWIiOiJ4IiwiZXhwIjo0MTAyNDQ0ODAwfQ.").contains("malformed"));
    }

    #[test]
    fn jwks_rotation_and_bad_documents() {
        use jsonwebtoken::Algorithm::RS256;
        let v = JwksVerifier::new(JWKS, JwksOptions::default()).unwrap();
        let claims = idp_claims(serde_json::json!({}));
        let rotated = signed("rsa-2", RS256, Some("rsa-2"), &claims);
        assert!(v.verify(&rotated).is_err());
        assert_eq!(v.replace_keys(JWKS_ROTATED).unwrap(), 2);
        v.verify(&rotated).unwrap();
        assert!(v.verify(&signed("rsa-1", RS256, Some("rsa-1"), &claims)).is_err(), "the retired key no longer passes");
        // A bad document is refused and the keys in place stay.
        for bad in [&b"not json"[..], br#"{"nokeys": []}"#, br#"{"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]}"#] {
            assert_eq!(v.replace_keys(bad).unwrap_err().kind(), crate::ErrorKind::InvalidArgument);
            assert!(JwksVerifier::new(bad, JwksOptions::default()).is_err());
        }
        v.verify(&rotated).unwrap();
    }

    #[test]
    fn either_verifier_picks_by_algorithm() {
        use jsonwebtoken::Algorithm::RS256;
        let jwks = std::sync::Arc::new(JwksVerifier::new(JWKS, JwksOptions::default()).unwrap());
        let v = EitherVerifier { hs256: Hs256Verifier::new(b"secret").unwrap(), jwks };
        let p = Principal { customer: id(1), user: id(2), role: Role::Admin, delegator_ids: vec![] };
        v.verify(&mint_hs256(b"secret", &p, 4_102_444_800).unwrap()).unwrap();
        v.verify(&signed("rsa-1", RS256, Some("rsa-1"), &idp_claims(serde_json::json!({})))).unwrap();
        assert!(v.verify(&mint_hs256(b"wrong", &p, 4_102_444_800).unwrap()).is_err());
    }
}
