//! HTTP request bodies: base64 and the size limit, then one JSON object
//! with no repeated key.

use super::wire::decode_input;
use crate::domain::Error;
use crate::domain::error::{MAX_SHOWN, bounded};
use base64::Engine;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::cell::Cell;

/// The body's bytes, base64-decoded when marked so; over `max` bytes is a
/// 413, checked before decoding as well as after.
pub fn decode_body(
    body: Option<&str>,
    base64: bool,
    max: usize,
) -> Result<Option<Cow<'_, [u8]>>, Error> {
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
        return Ok(Some(Cow::Borrowed(body.as_bytes())));
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
    Ok(Some(Cow::Owned(bytes)))
}

/// Decode (base64, size limit `max`) and parse the body of an HTTP request
/// or a queue message, a JSON object of at most `max_values` JSON values,
/// straight into the shape `T`. The document is walked first without
/// building anything (repeated keys refused, values counted), so a body of
/// millions of tiny values is refused before it can take memory; then it is
/// parsed once, into `T`, naming the field a shape refuses.
pub fn json_object<T: DeserializeOwned>(
    body: Option<&str>,
    base64: bool,
    max: usize,
    max_values: usize,
) -> Result<T, Error> {
    let bytes = decode_body(body, base64, max)?;
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return Err(Error::malformed("request body is required: a JSON object"));
    };
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| Error::malformed(format!("request body is not valid UTF-8: {e}")))?;
    let count = Cell::new(0);
    let walk = Walk {
        count: &count,
        limit: max_values,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    match serde::de::DeserializeSeed::deserialize(walk, &mut de).and_then(|()| de.end()) {
        Ok(()) => {}
        Err(_) if count.get() > max_values => {
            return Err(Error::invalid_field(
                "",
                format!("request body holds more than {max_values} JSON values"),
            ));
        }
        Err(e) if e.is_syntax() || e.is_eof() => {
            return Err(Error::malformed(format!(
                "request body is not valid JSON: {}",
                bounded(&e.to_string(), MAX_SHOWN)
            )));
        }
        // serde_json keeps the last of two equal keys; a body that says two
        // things is refused instead.
        Err(e) => {
            return Err(Error::malformed(format!(
                "request body is ambiguous: {}",
                bounded(&e.to_string(), MAX_SHOWN)
            )));
        }
    }
    // Valid JSON, so its first character says what kind of value it is.
    let kind = match text.trim_start().as_bytes().first() {
        Some(b'{') => None,
        Some(b'[') => Some("array"),
        Some(b'"') => Some("string"),
        Some(b't' | b'f') => Some("boolean"),
        Some(b'n') => Some("null"),
        _ => Some("number"),
    };
    if let Some(kind) = kind {
        return Err(Error::malformed(format!(
            "request body must be a JSON object, got a JSON {kind}"
        )));
    }
    // The walk has checked the whole text, its end included.
    decode_input(&mut serde_json::Deserializer::from_str(text))
}

/// Walks a JSON document, builds nothing, counts its values up to `limit`,
/// and fails on an object with a repeated key.
#[derive(Clone, Copy)]
struct Walk<'a> {
    count: &'a Cell<usize>,
    limit: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.count.set(self.count.get() + 1);
        if self.count.get() > self.limit {
            return Err(serde::de::Error::custom("too many values"));
        }
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "duplicate key \"{}\"",
                    bounded(&key, 40)
                )));
            }
            map.next_value_seed(self)?;
        }
        Ok(())
    }
}
