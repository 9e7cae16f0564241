//! Reading JSON request bodies. Decides what a body is (exactly one JSON value: an object, or an
//! array where a route takes one; whitespace around it is fine, anything else after it is not)
//! and how a parse failure is reported: a 400 naming the offending field as a path
//! (`sources[0].endedAt`), `body` when no field is known, with a reason a client can act on.

use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

use crate::error::{Result, TenthsError};

/// Parses a request body that must be a JSON object (or, with `allow_array`, an array): serde
/// would otherwise read a struct from an array such as `[null, null]`.
pub(super) fn parse_body<T: DeserializeOwned>(body: &[u8], allow_array: bool) -> Result<T> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None | Some(b'{') => {}
        Some(b'[') if allow_array => {}
        Some(_) => return Err(TenthsError::invalid("body", if allow_array { "expected a JSON object or array" } else { "expected a JSON object" })),
    }
    parse_json(body)
}

/// Parses a JSON body, naming the offending field in the error. The body is exactly one JSON
/// value: a deserializer stops at the end of the value it was asked for, so without the check
/// at the end `{…}{…} junk` would be served as its first object (JSON whitespace after it is
/// fine).
pub(super) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(TenthsError::invalid("body", "a JSON body is required"));
    }
    // A body that parses is read without tracking the path (the tracking costs as much as the
    // parse); only a failing one is read again to name the offending field.
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = known_path(e.path());
        let inner = e.into_inner();
        let reason = lone_surrogate(&inner, body).unwrap_or_else(|| inner.to_string());
        field_error(path, reason)
    })?;
    de.end().map_err(|_| TenthsError::invalid("body", "unexpected data after the JSON value"))?;
    Ok(value)
}

/// Reads a core input type from JSON the way request bodies are read, so bindings name the
/// offending field exactly as the HTTP API does (`summry`, `sources[0].endedAt`, `body`).
pub fn parse_json_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| field_error(known_path(e.path()), e.into_inner().to_string()))
}

/// The path of a failure as far as it is known, written as serde_path_to_error writes paths
/// (`sources[0].title`). A key that could not be read (a segment serde_path_to_error shows as
/// `?`) leaves the field unknown, so the error names the object holding it, or `body`.
fn known_path(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Unknown => break,
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            named => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&named.to_string());
            }
        }
    }
    out
}

/// The error of a failed parse at `path`: for an unknown field the path already ends with its
/// name; for a missing one it is the parent object; the value as a whole is `body`.
fn field_error(path: String, msg: String) -> TenthsError {
    let field = if let Some(rest) = msg.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or("");
        if path == "." || path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    } else if path == "." || path.is_empty() {
        "body".to_string()
    } else {
        path
    };
    TenthsError::invalid(field, msg)
}

/// The reason to give for a string holding half of a UTF-16 surrogate pair (`"\ud800"`), which
/// is no character, so no JSON string of text may hold it alone. serde_json refuses it, but
/// says "unexpected end of hex escape" or "lone leading surrogate in hex escape", which reads
/// like a truncated body; this names the escape instead. `None` for every other error.
///
/// serde_json's error carries no code to match, only its text; those two messages arise from a
/// lone surrogate alone (`a_lone_surrogate_is_named_on_its_field` pins them, so a dependency
/// update that rewords them fails there, not silently).
fn lone_surrogate(e: &serde_json::Error, body: &[u8]) -> Option<String> {
    let msg = e.to_string();
    if !msg.starts_with("unexpected end of hex escape") && !msg.starts_with("lone leading surrogate in hex escape") {
        return None;
    }
    // The error is reported just after the escape it is about: that escape is the last lone
    // one before it (an earlier one may sit in a value serde skipped without decoding).
    let at = byte_offset(body, e.line(), e.column());
    Some(match last_lone_surrogate_before(body, at) {
        Some(escape) => format!("a lone UTF-16 surrogate ({escape}) is not a character"),
        None => "a lone UTF-16 surrogate is not a character".to_string(),
    })
}

/// The byte offset of serde_json's error position (1-based line, column in bytes from the
/// start of that line), clamped to the body.
fn byte_offset(text: &[u8], line: usize, column: usize) -> usize {
    let line_start = if line <= 1 { 0 } else { text.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(line - 2).map(|(i, _)| i + 1).unwrap_or(text.len()) };
    line_start.saturating_add(column).min(text.len())
}

/// The last `\uXXXX` escape inside a JSON string that starts before `before` and is half of a
/// surrogate pair without its other half, as the client wrote it (`\ud800`, `\uDC00`).
fn last_lone_surrogate_before(text: &[u8], before: usize) -> Option<&str> {
    // Four hex digits at `at`, if there are.
    let hex = |at: usize| -> Option<u16> {
        let digits = text.get(at..at.checked_add(4)?)?;
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    };
    let is_trailing = |n: u16| (0xDC00..=0xDFFF).contains(&n);
    let mut found = None;
    let mut in_string = false;
    let mut i = 0;
    while i < before {
        let Some(&b) = text.get(i) else { break };
        match b {
            b'"' => {
                in_string = !in_string;
                i += 1;
            }
            b'\\' if in_string => {
                if text.get(i + 1) != Some(&b'u') {
                    // `\"`, `\\`, `\n`…: two bytes, neither ends the string.
                    i += 2;
                    continue;
                }
                let Some(n) = hex(i + 2) else { break };
                let end = i + 6;
                match n {
                    0xD800..=0xDBFF if text.get(end..end + 2) == Some(b"\\u") && hex(end + 2).is_some_and(is_trailing) => i = end + 6,
                    0xD800..=0xDFFF => {
                        found = text.get(i..end).and_then(|s| std::str::from_utf8(s).ok());
                        i = end;
                    }
                    _ => i = end,
                }
            }
            _ => i += 1,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EntryPatch;

    #[test]
    fn parse_errors_name_the_field_for_bytes_and_values_alike() {
        let cases = [(r#"{"summry": "x"}"#, "summry"), (r#"{"codeIds": ["nope"]}"#, "codeIds[0]"), (r#""text""#, "body")];
        for (text, field) in cases {
            let from_bytes = parse_json::<EntryPatch>(text.as_bytes()).unwrap_err();
            let from_value = parse_json_value::<EntryPatch>(&serde_json::from_str(text).unwrap()).unwrap_err();
            assert_eq!(from_bytes.field(), Some(field), "{text}");
            assert_eq!((from_value.kind(), from_value.field()), (from_bytes.kind(), from_bytes.field()), "{text}");
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)] // read only to be refused
        struct Needs {
            errors: Vec<String>,
        }
        let missing = parse_json_value::<Needs>(&serde_json::json!({})).unwrap_err();
        assert_eq!(missing.field(), Some("errors"));
    }

    #[test]
    fn lone_surrogates_are_found_where_they_are() {
        let cases: [(&str, Option<&str>); 8] = [
            (r#""\ud800""#, Some(r"\ud800")),
            (r#""\ud83d\ude00""#, None),
            (r#""\\ud800""#, None),
            (r#""\"\uDC00""#, Some(r"\uDC00")),
            (r#""\ud800\ud800\udc00""#, Some(r"\ud800")),
            (r#"{"a": "\ud800", "b": "\udbff"}"#, Some(r"\udbff")),
            (r#""\u00e9""#, None),
            (r#""\ud8""#, None),
        ];
        for (text, want) in cases {
            assert_eq!(last_lone_surrogate_before(text.as_bytes(), text.len()), want, "{text}");
        }
        let two = br#"{"a": "\ud800", "b": "\udbff"}"#;
        assert_eq!(last_lone_surrogate_before(two, 16), Some(r"\ud800"));
        assert_eq!(byte_offset(b"ab\ncd\nef", 3, 1), 7);
        assert_eq!(byte_offset(b"ab", 1, 9), 2);
    }
}
