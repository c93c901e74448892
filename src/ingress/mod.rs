//! Ingress: the raw invocation payload decoded into a [`Trigger`], and the
//! trigger routed to a validated [`Action`]; [`encode`] turns the outcome
//! back into the answer the caller expects. One file per trigger kind, and
//! the wire shapes callers send. Knows nothing of the SDK.

pub mod actions;
pub mod answer;
pub mod body;
pub mod caller;
pub mod direct;
pub mod encode;
pub mod eventbridge;
pub mod http;
pub mod push;
pub mod requested;
pub mod routes;
pub mod webhook;
pub mod wire;

use crate::config::{Limits, Trust};
use crate::domain::error::{MAX_SHOWN, bounded};
use crate::domain::{Action, Error};
use actions::Origin;
use eventbridge::EventBridgeEvent;
use http::HttpRequest;
use serde_json::{Map, Value};
use wire::{type_name, unsupported};

pub use eventbridge::event_operations;
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

/// Who asked, for the invocation's log line: every value escaped and
/// bounded. HTTP: the caller, API request id and source IP; EventBridge:
/// the event's source, account and id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attribution {
    pub caller: Option<String>,
    pub api_request_id: Option<String>,
    pub source_ip: Option<String>,
    pub event_source: Option<String>,
    pub event_account: Option<String>,
    pub event_id: Option<String>,
}

impl Trigger {
    pub fn attribution(&self) -> Attribution {
        let b = |v: &Option<String>| v.as_deref().map(|v| bounded(v, MAX_SHOWN));
        match self {
            Trigger::Http(r) => Attribution {
                caller: b(&r.who.caller),
                api_request_id: b(&r.who.api_request_id),
                source_ip: b(&r.who.source_ip),
                ..Attribution::default()
            },
            Trigger::EventBridge(e) => Attribution {
                event_source: Some(bounded(&e.source, MAX_SHOWN)),
                event_account: Some(bounded(&e.account, MAX_SHOWN)),
                event_id: Some(bounded(&e.id, MAX_SHOWN)),
                ..Attribution::default()
            },
            Trigger::Direct { .. } => Attribution::default(),
        }
    }
}

/// What the router knows of the invocation beyond the trigger.
#[derive(Debug, Clone, Copy, Default)]
pub struct Invocation<'a> {
    /// The Lambda request id: stable across the retries of one asynchronous
    /// invocation only, so it is the base of a direct invocation's tokens
    /// just when the caller sends no `idempotencyKey`.
    pub request_id: &'a str,
    /// The function's own account (from the invoked function ARN), when known.
    pub own_account: Option<&'a str>,
}

/// Route a trigger to a validated action. EventBridge events are checked
/// for a trusted account and source here, as those decide what the event
/// is; everything else about whether the caller may ask is the gate's.
pub fn route(
    trigger: &Trigger,
    cfg: &Limits,
    trust: &Trust,
    at: Invocation,
) -> Result<Action, Error> {
    // Whether the caller may have it done is the gate's to say (domain::gate).
    let action = match trigger {
        Trigger::Http(req) => http::route(req, cfg)?,
        Trigger::EventBridge(ev) => eventbridge::route(ev, cfg, trust, at.own_account)?,
        Trigger::Direct { action, fields } => {
            let origin = Origin {
                token_base: Some(at.request_id.to_string()),
                run_name_base: Some(at.request_id.to_string()),
                scope: "direct".to_string(),
                scoped_tokens: false,
            };
            direct::route(action, fields, cfg, &origin)?
        }
    };
    Ok(action)
}
