//! Ingress: the raw invocation payload decoded into a [`Trigger`], and the
//! trigger routed to a validated [`Action`]; [`encode`] turns the outcome
//! back into the answer the caller expects. One file per trigger kind, and
//! the wire shapes callers send. Knows nothing of the SDK.

pub mod actions;
pub mod body;
pub mod direct;
pub mod encode;
pub mod eventbridge;
pub mod http;
pub mod push;
pub mod webhook;
pub mod wire;

use crate::config::Limits;
use crate::domain::{Action, Error};
use actions::Origin;
use eventbridge::EventBridgeEvent;
use http::HttpRequest;
use serde_json::{Map, Value};
use wire::{type_name, unsupported};

pub use eventbridge::EVENT_OPERATIONS;
pub use http::{HTTP_ROUTES, HttpFlavor};

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
                http::HttpFlavor::V2 => "http-v2",
                http::HttpFlavor::V1 => "http-v1",
            },
            Trigger::EventBridge(_) => "eventbridge",
            Trigger::Direct { .. } => "direct",
        }
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
        return http::decode_v2(Value::Object(map)).map(Trigger::Http);
    }
    if map.contains_key("httpMethod") && map.contains_key("requestContext") {
        return http::decode_v1(Value::Object(map)).map(Trigger::Http);
    }
    if map.contains_key("detail-type") && map.contains_key("source") {
        return eventbridge::decode(map).map(Trigger::EventBridge);
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

/// Route a trigger. `request_id` is the Lambda request id: stable across
/// the retries of one asynchronous invocation only, so it is the base of a
/// direct invocation's tokens just when the caller sends no `idempotencyKey`.
pub fn route(trigger: &Trigger, cfg: &Limits, request_id: &str) -> Result<Action, Error> {
    match trigger {
        Trigger::Http(req) => http::route(req, cfg),
        Trigger::EventBridge(ev) => eventbridge::route(ev, cfg),
        Trigger::Direct { action, fields } => {
            let origin = Origin {
                token_base: Some(request_id.to_string()),
                run_name_base: Some(request_id.to_string()),
                scope: "direct".to_string(),
                scoped_tokens: false,
            };
            direct::route(action, fields, cfg, &origin)
        }
    }
}

#[cfg(test)]
mod tests;
