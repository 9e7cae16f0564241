//! Who is calling: principals, roles, and the token verifier the host gives the router. The
//! default verifier checks HS256 JWTs with the claims of `api.md` (`sub`, `customerId`, `role`,
//! `exp`, `delegatorIds`).

use serde::{Deserialize, Serialize};

use crate::error::{Result, TenthsError};
pub use crate::http::{Principal, Role};
use crate::rules::ids::ObjectId;

/// Checks a bearer token and says who it belongs to. Hosts may supply their own (OIDC, sessions).
pub trait Verifier: Send + Sync {
    /// The principal of a valid token, or `Unauthenticated`.
    fn verify(&self, token: &str) -> Result<Principal>;
}

/// Verifies HS256 JWTs signed with a shared secret; `exp` is required.
pub struct Hs256Verifier {
    key: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Claims {
    sub: String,
    customer_id: String,
    role: String,
    exp: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    delegator_ids: Vec<String>,
}

impl Hs256Verifier {
    /// A verifier for tokens signed with `secret` (which must not be empty).
    pub fn new(secret: &[u8]) -> Result<Hs256Verifier> {
        if secret.is_empty() {
            return Err(TenthsError::invalid("secret", "must not be empty"));
        }
        let key = jsonwebtoken::DecodingKey::from_secret(secret).map_err(|e| TenthsError::invalid("secret", e.to_string()))?;
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(Hs256Verifier { key, validation })
    }
}

fn unauthenticated(reason: impl Into<String>) -> TenthsError {
    TenthsError::Unauthenticated { reason: reason.into() }
}

impl Verifier for Hs256Verifier {
    fn verify(&self, token: &str) -> Result<Principal> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(|e| unauthenticated(format!("invalid token: {e}")))?;
        let c = data.claims;
        let bad = |what: &str| unauthenticated(format!("invalid token: bad {what} claim"));
        let mut delegator_ids = Vec::with_capacity(c.delegator_ids.len());
        for d in &c.delegator_ids {
            delegator_ids.push(ObjectId::parse(d).map_err(|_| bad("delegatorIds"))?);
        }
        Ok(Principal {
            customer: ObjectId::parse(&c.customer_id).map_err(|_| bad("customerId"))?,
            user: ObjectId::parse(&c.sub).map_err(|_| bad("sub"))?,
            role: Role::parse(&c.role).map_err(|_| bad("role"))?,
            delegator_ids,
        })
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
}
