//! HTTP request bodies: base64 and the size limit, then one JSON object
//! with no repeated key.

use super::wire::type_name;
use crate::domain::Error;
use base64::Engine;
use serde_json::Value;

/// The body's bytes, base64-decoded when marked so; over `max` bytes is a
/// 413, checked before decoding as well as after.
pub fn decode_body(body: Option<&str>, base64: bool, max: usize) -> Result<Option<Vec<u8>>, Error> {
    let Some(body) = body else { return Ok(None) };
    // Check the size before decoding: base64 never shrinks by more than 3/4.
    let upper = if base64 {
        body.len() / 4 * 3
    } else {
        body.len()
    };
    if upper > max {
        return Err(Error::PayloadTooLarge {
            size: upper,
            limit: max,
        });
    }
    if !base64 {
        return Ok(Some(body.as_bytes().to_vec()));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .map_err(|e| Error::malformed(format!("body is marked base64 but is not: {e}")))?;
    if bytes.len() > max {
        return Err(Error::PayloadTooLarge {
            size: bytes.len(),
            limit: max,
        });
    }
    Ok(Some(bytes))
}

/// Decode (base64, size limit `max`) and parse the body of an HTTP request
/// as a JSON object.
pub fn json_object(body: Option<&str>, base64: bool, max: usize) -> Result<Value, Error> {
    let bytes = decode_body(body, base64, max)?;
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return Err(Error::malformed("request body is required: a JSON object"));
    };
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| Error::malformed(format!("request body is not valid UTF-8: {e}")))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Error::malformed(format!("request body is not valid JSON: {e}")))?;
    // serde_json keeps the last of two equal keys; a body that says two
    // things is refused instead.
    serde_json::from_str::<NoDuplicateKeys>(text)
        .map_err(|e| Error::malformed(format!("request body is ambiguous: {e}")))?;
    if !value.is_object() {
        return Err(Error::malformed(format!(
            "request body must be a JSON object, got a JSON {}",
            type_name(&value)
        )));
    }
    Ok(value)
}

/// Walks a JSON document and fails on an object with a repeated key.
struct NoDuplicateKeys;

impl<'de> serde::Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicateKeys)
    }
}

impl<'de> serde::de::Visitor<'de> for NoDuplicateKeys {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(self)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                let shown: String = key.chars().take(40).flat_map(char::escape_debug).collect();
                return Err(serde::de::Error::custom(format!(
                    "duplicate key \"{shown}\""
                )));
            }
            map.next_value::<NoDuplicateKeys>()?;
        }
        Ok(self)
    }
}
