//! Decode: the raw invocation payload into a [`Trigger`]. Recognises API
//! Gateway HTTP API (payload 2.0) and Lambda function URLs, API Gateway REST
//! API (payload 1.0), EventBridge events, and direct invocations.

use crate::error::Error;
use crate::model::Operation;
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
use base64::Engine;
use serde_json::{Map, Value};

/// Which HTTP integration sent the request; decides the response shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpFlavor {
    /// HTTP API payload 2.0 or a function URL.
    V2,
    /// REST API (payload 1.0).
    V1,
}

/// An HTTP request, normalised across integrations.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub flavor: HttpFlavor,
    pub method: String,
    /// The path as routed: stage prefix removed, still percent-encoded.
    pub path: String,
    /// `/{stage}` when the request came through a named stage, else empty;
    /// prefixed to `Location` headers.
    pub base_path: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body as the integration delivered it; decoded by [`json_body`].
    pub body: Option<String>,
    pub is_base64_encoded: bool,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventBridgeEvent {
    pub id: String,
    pub source: String,
    pub detail_type: String,
    pub time: Option<String>,
    pub detail: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    Http(HttpRequest),
    EventBridge(EventBridgeEvent),
    Direct {
        action: String,
        fields: Map<String, Value>,
    },
}

impl Trigger {
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::Http(r) => match r.flavor {
                HttpFlavor::V2 => "http-v2",
                HttpFlavor::V1 => "http-v1",
            },
            Trigger::EventBridge(_) => "eventbridge",
            Trigger::Direct { .. } => "direct",
        }
    }
}

fn expected_shapes() -> String {
    format!(
        "expected an API Gateway HTTP/REST API or function URL request, an EventBridge event \
         (detail-type one of {ops}), or a direct invocation {{\"action\": one of {ops}, ...}}",
        ops = Operation::names()
    )
}

fn unsupported(what: &str) -> Error {
    Error::UnsupportedEvent {
        message: format!("unsupported event: {what}; {}", expected_shapes()),
    }
}

/// Decode an invocation payload. HTTP bodies are left encoded: a bad body
/// is the route's 400 or 413, after 404 and 405 are ruled out.
pub fn decode(payload: Value) -> Result<Trigger, Error> {
    let Value::Object(map) = payload else {
        return Err(unsupported(&format!(
            "payload is a JSON {}",
            type_name(&payload)
        )));
    };
    let is_v2 = map.get("version").and_then(Value::as_str) == Some("2.0")
        && map
            .get("requestContext")
            .and_then(|c| c.get("http"))
            .is_some();
    if is_v2 {
        return decode_v2(Value::Object(map));
    }
    if map.contains_key("httpMethod") && map.contains_key("requestContext") {
        return decode_v1(Value::Object(map));
    }
    if map.contains_key("detail-type") && map.contains_key("source") {
        return decode_eventbridge(map);
    }
    if map.contains_key("action") {
        let mut fields = map;
        let action = match fields.remove("action") {
            Some(Value::String(s)) => s,
            Some(other) => {
                return Err(Error::invalid_field(
                    "action",
                    format!("must be a string, got a JSON {}", type_name(&other)),
                ));
            }
            None => unreachable!("checked above"),
        };
        return Ok(Trigger::Direct { action, fields });
    }
    Err(unsupported("an object with none of the recognised keys"))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn malformed_event(kind: &str, e: serde_json::Error) -> Error {
    Error::UnsupportedEvent {
        message: format!("malformed {kind} event: {e}"),
    }
}

fn decode_v2(payload: Value) -> Result<Trigger, Error> {
    let req: ApiGatewayV2httpRequest =
        serde_json::from_value(payload).map_err(|e| malformed_event("HTTP API", e))?;
    let method = req.request_context.http.method.as_str().to_string();
    let raw_path = req
        .raw_path
        .clone()
        .or_else(|| req.request_context.http.path.clone())
        .unwrap_or_else(|| "/".to_string());
    let stage = req.request_context.stage.as_deref().unwrap_or("$default");
    let (base_path, path) = strip_stage(&raw_path, stage);
    Ok(Trigger::Http(HttpRequest {
        flavor: HttpFlavor::V2,
        method,
        path,
        base_path,
        headers: lowercase_headers(&req.headers),
        body: req.body,
        is_base64_encoded: req.is_base64_encoded,
    }))
}

/// Header names lowercased (they are case-insensitive); values as text.
fn lowercase_headers(headers: &aws_lambda_events::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn decode_v1(payload: Value) -> Result<Trigger, Error> {
    let req: ApiGatewayProxyRequest =
        serde_json::from_value(payload).map_err(|e| malformed_event("REST API", e))?;
    let method = req.http_method.as_str().to_string();
    let raw_path = req.path.clone().unwrap_or_else(|| "/".to_string());
    let stage = req.request_context.stage.as_deref().unwrap_or("$default");
    // REST API `path` normally omits the stage; strip it where a custom
    // domain or a test console put it there.
    let (_, path) = strip_stage(&raw_path, stage);
    let base_path = if stage == "$default" || stage.is_empty() {
        String::new()
    } else {
        format!("/{stage}")
    };
    Ok(Trigger::Http(HttpRequest {
        flavor: HttpFlavor::V1,
        method,
        path,
        base_path,
        headers: lowercase_headers(&req.headers),
        body: req.body,
        is_base64_encoded: req.is_base64_encoded,
    }))
}

fn strip_stage(raw_path: &str, stage: &str) -> (String, String) {
    if stage != "$default" && !stage.is_empty() {
        let prefix = format!("/{stage}");
        if raw_path == prefix {
            return (prefix, "/".to_string());
        }
        if let Some(rest) = raw_path.strip_prefix(&prefix)
            && rest.starts_with('/')
        {
            return (prefix, rest.to_string());
        }
    }
    (String::new(), raw_path.to_string())
}

fn decode_body(body: Option<&str>, base64: bool, max: usize) -> Result<Option<Vec<u8>>, Error> {
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

fn decode_eventbridge(mut map: Map<String, Value>) -> Result<Trigger, Error> {
    let mut text = |key: &str| -> Result<Option<String>, Error> {
        match map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(unsupported(&format!(
                "EventBridge field `{key}` is a JSON {}",
                type_name(&other)
            ))),
        }
    };
    let detail_type = text("detail-type")?.unwrap_or_default();
    let source = text("source")?.unwrap_or_default();
    let id = text("id")?.unwrap_or_default();
    let time = text("time")?;
    let detail = map.remove("detail").unwrap_or(Value::Null);
    if detail_type.is_empty() {
        return Err(unsupported("EventBridge event with an empty detail-type"));
    }
    Ok(Trigger::EventBridge(EventBridgeEvent {
        id,
        source,
        detail_type,
        time,
        detail,
    }))
}

/// Decode (base64, size limit `max`) and parse the body of an HTTP request
/// as a JSON object.
pub fn json_body(req: &HttpRequest, max: usize) -> Result<Value, Error> {
    let bytes = decode_body(req.body.as_deref(), req.is_base64_encoded, max)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v2(method: &str, raw_path: &str, stage: &str, body: Option<&str>, b64: bool) -> Value {
        json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": raw_path,
            "rawQueryString": "",
            "headers": {"Content-Type": "application/json", "Idempotency-Key": "k1"},
            "requestContext": {
                "accountId": "123456789012", "apiId": "api", "domainName": "x", "domainPrefix": "x",
                "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1",
                         "sourceIp": "1.2.3.4", "userAgent": "curl"},
                "requestId": "r", "routeKey": "$default", "stage": stage,
                "time": "12/Mar/2020:19:03:58 +0000", "timeEpoch": 1583348638390u64
            },
            "body": body,
            "isBase64Encoded": b64
        })
    }

    fn http(payload: Value) -> HttpRequest {
        match decode(payload).unwrap() {
            Trigger::Http(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn v2_strips_named_stage_and_decodes_base64() {
        let r = http(v2(
            "POST",
            "/prod/scans",
            "prod",
            Some("eyJhIjoxfQ=="),
            true,
        ));
        assert_eq!((r.path.as_str(), r.base_path.as_str()), ("/scans", "/prod"));
        assert_eq!(json_body(&r, 1024).unwrap(), json!({"a": 1}));
        assert_eq!(r.header("idempotency-key"), Some("k1"));
    }

    #[test]
    fn v2_default_stage_keeps_path() {
        let r = http(v2("GET", "/scans", "$default", None, false));
        assert_eq!((r.path.as_str(), r.base_path.as_str()), ("/scans", ""));
    }

    #[test]
    fn bad_base64_and_oversize_bodies() {
        let r = http(v2("POST", "/scans", "$default", Some("!!!"), true));
        assert_eq!(json_body(&r, 1024).unwrap_err().code(), "MalformedRequest");
        let big = "a".repeat(2000);
        let r = http(v2("POST", "/scans", "$default", Some(&big), false));
        assert_eq!(json_body(&r, 1024).unwrap_err().http_status(), 413);
        let r = http(v2(
            "POST",
            "/scans",
            "$default",
            Some(&"QUFB".repeat(400)),
            true,
        ));
        assert_eq!(json_body(&r, 1024).unwrap_err().http_status(), 413);
    }

    #[test]
    fn eventbridge_and_direct() {
        let t = decode(
            json!({"id": "1", "source": "ci", "detail-type": "StartCodeSecurityScan", "detail": {}}),
        )
        .unwrap();
        assert_eq!(t.kind(), "eventbridge");
        let t =
            decode(json!({"action": "StartAssessmentRun", "assessmentTemplateArn": "a"})).unwrap();
        let Trigger::Direct { action, fields } = t else {
            panic!()
        };
        assert_eq!(action, "StartAssessmentRun");
        assert!(fields.contains_key("assessmentTemplateArn") && !fields.contains_key("action"));
    }

    #[test]
    fn anything_else_is_unsupported_and_names_what_was_expected() {
        for payload in [
            json!(null),
            json!([1]),
            json!("s"),
            json!({"foo": 1}),
            json!({"action": 3}),
        ] {
            let e = decode(payload.clone()).unwrap_err();
            assert_eq!(e.http_status(), 400, "{payload}");
        }
        let e = decode(json!({"foo": 1})).unwrap_err();
        assert!(e.to_string().contains("direct invocation"), "{e}");
    }

    #[test]
    fn json_body_errors() {
        let mut r = HttpRequest {
            flavor: HttpFlavor::V2,
            method: "POST".into(),
            path: "/scans".into(),
            base_path: String::new(),
            headers: vec![],
            body: Some("//4=".into()),
            is_base64_encoded: true,
        };
        assert!(json_body(&r, 99).unwrap_err().to_string().contains("UTF-8"));
        r.is_base64_encoded = false;
        r.body = Some("{not json".into());
        assert!(
            json_body(&r, 99)
                .unwrap_err()
                .to_string()
                .contains("not valid JSON")
        );
        r.body = Some("[1]".into());
        assert!(
            json_body(&r, 99)
                .unwrap_err()
                .to_string()
                .contains("JSON object")
        );
        r.body = None;
        assert!(json_body(&r, 99).is_err());
    }
}
