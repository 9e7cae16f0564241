//! Idempotency keys (decisions 53–54): what a well-formed key is, what a request is remembered
//! by (its fingerprint), how long a kept answer lives, and which answers are kept. Pure: the
//! router asks these, the operations keep and find answers through the store.

use sha2::{Digest, Sha256};

use crate::error::{Result, TenthsError};
use crate::rules::time::Timestamp;

/// The request header that carries the key.
pub const HEADER: &str = "Idempotency-Key";

/// The longest key accepted, in bytes (every character is one byte: visible ASCII).
pub const MAX_KEY_LEN: usize = 255;

/// How long a kept answer is replayed: 24 hours after it was first given. After that the key
/// is free again (a retry does the work afresh).
pub const ANSWER_LIFETIME_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// How many expired answers one keeping transaction removes at most (lazy pruning: every kept
/// answer removes up to this many expired ones, so the table never outgrows a day of keys).
pub const PRUNE_BATCH: usize = 64;

/// The OpenAPI pattern of a key: 1 to [`MAX_KEY_LEN`] visible ASCII characters (`!`..=`~`).
pub const KEY_PATTERN: &str = "^[!-~]+$";

/// Checks a key: 1..=255 visible ASCII characters (no space, no control character).
pub fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(TenthsError::invalid(HEADER, format!("must be 1 to {MAX_KEY_LEN} characters")));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(TenthsError::invalid(HEADER, "must be visible ASCII characters (! to ~), without spaces"));
    }
    Ok(())
}

/// The fingerprint of a request: the hex SHA-256 of its method, path (with query) and body.
/// The same key with another fingerprint is refused, never answered with another request's
/// answer.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    for part in [method.to_ascii_uppercase().as_bytes(), path.as_bytes()] {
        h.update(u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
        h.update(part);
    }
    h.update(body);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether an answer of this status is kept and replayed: successes and deterministic
/// refusals (2xx and 4xx). Not a 5xx (a failure or a passing condition: the retry must do the
/// work for real) and not a 401 (authentication comes before the key).
pub fn is_kept(status: u16) -> bool {
    (200..300).contains(&status) || ((400..500).contains(&status) && status != 401)
}

/// The instant before which kept answers have expired, at `now`.
pub fn expired_before(now: Timestamp) -> Timestamp {
    Timestamp::from_millis_clamped(now.millis().saturating_sub(ANSWER_LIFETIME_MILLIS))
}

/// Whether an answer kept at `created_at` is still replayed at `now`.
pub fn is_live(created_at: Timestamp, now: Timestamp) -> bool {
    created_at >= expired_before(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        for ok in ["a", "!", "~", "550e8400-e29b-41d4-a716-446655440000", &"k".repeat(255)] {
            assert!(check_key(ok).is_ok(), "{ok}");
        }
        for bad in ["", " ", "a b", "tab\t", "é", "\u{7f}", &"k".repeat(256)] {
            let e = check_key(bad).unwrap_err();
            assert_eq!(e.field(), Some(HEADER), "{bad:?}");
        }
    }

    #[test]
    fn the_fingerprint_tells_method_path_and_body_apart() {
        let base = fingerprint("POST", "/a", b"{}");
        assert_eq!(base.len(), 64);
        assert_eq!(base, fingerprint("post", "/a", b"{}"));
        assert_ne!(base, fingerprint("PATCH", "/a", b"{}"));
        assert_ne!(base, fingerprint("POST", "/b", b"{}"));
        assert_ne!(base, fingerprint("POST", "/a", b"{ }"));
        // The parts are length-prefixed: moving a byte from the path to the body changes it.
        assert_ne!(fingerprint("POST", "/a{", b"}"), fingerprint("POST", "/a", b"{}"));
    }

    #[test]
    fn successes_and_refusals_are_kept_failures_and_401_are_not() {
        for s in [200, 201, 207, 400, 403, 404, 409, 413, 422, 423] {
            assert!(is_kept(s), "{s}");
        }
        for s in [401, 500, 503, 100, 302] {
            assert!(!is_kept(s), "{s}");
        }
    }

    #[test]
    fn an_answer_lives_24_hours() {
        let t = Timestamp::from_millis(1_800_000_000_000).unwrap();
        let later = |ms: i64| Timestamp::from_millis(t.millis() + ms).unwrap();
        assert!(is_live(t, t));
        assert!(is_live(t, later(ANSWER_LIFETIME_MILLIS)));
        assert!(!is_live(t, later(ANSWER_LIFETIME_MILLIS + 1)));
    }
}
