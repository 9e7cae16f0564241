//! Identifiers: MongoDB-style ObjectIds (24 hex characters, stored and emitted lower case) and the
//! free-string external ids of the PMS. An ObjectId made on a device is kept by the server, so
//! generation must be unique without coordination: 4 bytes of seconds, 5 random bytes fixed per
//! process, and a 3-byte counter that starts at a random value.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Result, TenthsError};

/// A 12-byte ObjectId, kept as its 24-character lower-case hex form.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId([u8; 24]);

impl ObjectId {
    /// The smallest id (all zeros): a lower bound of every id.
    pub const MIN: ObjectId = ObjectId([b'0'; 24]);
    /// The largest id (all `f`): an upper bound of every id.
    pub const MAX: ObjectId = ObjectId([b'f'; 24]);

    /// Parses 24 hexadecimal characters (either case); `field` names the input in the error.
    pub fn parse_field(s: &str, field: &str) -> Result<ObjectId> {
        let bytes = s.as_bytes();
        if bytes.len() != 24 {
            return Err(TenthsError::invalid(field, format!("expected a 24-character hexadecimal id, got {:?}", truncate(s))));
        }
        let mut out = [0u8; 24];
        for (slot, b) in out.iter_mut().zip(bytes) {
            if !b.is_ascii_hexdigit() {
                return Err(TenthsError::invalid(field, format!("expected a 24-character hexadecimal id, got {:?}", truncate(s))));
            }
            *slot = b.to_ascii_lowercase();
        }
        Ok(ObjectId(out))
    }

    /// Parses an id; the error names the field `id`.
    pub fn parse(s: &str) -> Result<ObjectId> {
        Self::parse_field(s, "id")
    }

    /// Makes a new id from the given Unix time in seconds (the clock of the engine).
    pub fn generate(unix_seconds: i64) -> ObjectId {
        static PROCESS: OnceLock<[u8; 5]> = OnceLock::new();
        static COUNTER: OnceLock<AtomicU32> = OnceLock::new();
        let process = PROCESS.get_or_init(|| {
            let mut b = [0u8; 5];
            fill_random(&mut b);
            b
        });
        let counter = COUNTER.get_or_init(|| {
            let mut b = [0u8; 4];
            fill_random(&mut b);
            AtomicU32::new(u32::from_le_bytes(b))
        });
        let seconds = u32::try_from(unix_seconds.clamp(0, i64::from(u32::MAX))).unwrap_or(0);
        let count = counter.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
        let mut raw = [0u8; 12];
        raw[..4].copy_from_slice(&seconds.to_be_bytes());
        raw[4..9].copy_from_slice(process);
        raw[9..].copy_from_slice(&count.to_be_bytes()[1..]);
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 24];
        for (i, b) in raw.iter().enumerate() {
            out[2 * i] = HEX[usize::from(b >> 4)];
            out[2 * i + 1] = HEX[usize::from(b & 0x0f)];
        }
        ObjectId(out)
    }

    /// The lower-case hex form.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

fn fill_random(buf: &mut [u8]) {
    if getrandom::fill(buf).is_err() {
        // No OS randomness: fall back to the clock and the address of a local, which still
        // separates processes in practice.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let seed = nanos ^ (buf.as_ptr() as usize as u128);
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (seed >> ((i % 16) * 8)) as u8;
        }
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({})", self.as_str())
    }
}

impl std::str::FromStr for ObjectId {
    type Err = TenthsError;
    fn from_str(s: &str) -> Result<Self> {
        ObjectId::parse(s)
    }
}

impl Serialize for ObjectId {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ObjectId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ObjectId::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Maximum length of a PMS-side id, in characters.
pub const MAX_EXTERNAL_ID_CHARS: usize = 256;

/// Checks a PMS-side id: not blank, at most 256 characters, no control characters.
pub fn check_external_id(s: &str, field: &str) -> Result<()> {
    if crate::rules::text::is_blank(s) {
        return Err(TenthsError::invalid(field, "must not be empty"));
    }
    if s.len() > MAX_EXTERNAL_ID_CHARS && s.chars().count() > MAX_EXTERNAL_ID_CHARS {
        return Err(TenthsError::invalid(field, format!("must be at most {MAX_EXTERNAL_ID_CHARS} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(TenthsError::invalid(field, "must not contain control characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_lowercases() {
        let id = ObjectId::parse("62F6BA1E3C0A4B0012345ABC").unwrap();
        assert_eq!(id.as_str(), "62f6ba1e3c0a4b0012345abc");
    }

    #[test]
    fn refuses_bad_ids_naming_the_field() {
        for bad in ["", "62f6ba1e3c0a4b0012345ab", "62f6ba1e3c0a4b0012345abcd", "62f6ba1e3c0a4b0012345abz", "62f6ba1e3c0a4b0012345áb"] {
            let e = ObjectId::parse_field(bad, "entryId").unwrap_err();
            assert_eq!(e.field(), Some("entryId"), "{bad}");
        }
    }

    #[test]
    fn generated_ids_are_unique_and_valid() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let id = ObjectId::generate(1_660_000_000);
            assert!(ObjectId::parse(id.as_str()).is_ok());
            assert!(id.as_str().starts_with("62f19700"));
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn external_ids_are_checked() {
        assert!(check_external_id("CL-1", "externalId").is_ok());
        assert!(check_external_id(" ", "externalId").is_err());
        assert!(check_external_id(&"x".repeat(257), "externalId").is_err());
        assert!(check_external_id("a\nb", "externalId").is_err());
    }
}
