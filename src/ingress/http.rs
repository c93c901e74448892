//! HTTP triggers: API Gateway HTTP API (payload 2.0) and Lambda function
//! URLs, API Gateway REST API (payload 1.0); their requests normalised, and
//! routed by method and path.

use super::actions::IDEMPOTENCY_KEY;
use super::actions::{Origin, Request, action_for};
use super::body::json_object;
use super::caller::{self, Who};
use crate::config::Limits;
use crate::domain::error::{MAX_SHOWN, bounded};
use crate::domain::sweep::Sweep;
use crate::domain::validate::check_idempotency_key;
use crate::domain::{Action, Error};
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Which HTTP integration sent the request; decides the response shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpFlavor {
    /// HTTP API payload 2.0 or a function URL.
    #[default]
    V2,
    /// REST API (payload 1.0).
    V1,
}

/// An HTTP request, normalised across integrations.
#[derive(Debug, Clone, PartialEq, Default)]
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
    /// The body as the integration delivered it; decoded by [`HttpRequest::json_body`].
    pub body: Option<String>,
    pub is_base64_encoded: bool,
    /// Who asked, as API Gateway established it.
    pub who: Who,
    /// Sent through a Lambda function URL, not API Gateway.
    pub function_url: bool,
}

impl HttpRequest {
    /// The body (base64-decoded, within `max` bytes, at most `max_values`
    /// JSON values), one JSON object parsed into the shape `T`.
    pub fn json_body<T: DeserializeOwned>(
        &self,
        max: usize,
        max_values: usize,
    ) -> Result<T, Error> {
        json_object(
            self.body.as_deref(),
            self.is_base64_encoded,
            max,
            max_values,
        )
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A function URL's requests come on `<url-id>.lambda-url.<region>.on.aws`
/// (payload 2.0, `requestContext.domainName`); API Gateway's never do.
pub fn is_function_url(domain_name: Option<&str>) -> bool {
    domain_name.is_some_and(|d| d.contains(".lambda-url."))
}

fn malformed_event(kind: &str, e: serde_json::Error) -> Error {
    Error::UnsupportedEvent {
        message: format!(
            "malformed {kind} event: {}",
            crate::domain::error::bounded(&e.to_string(), 128)
        ),
    }
}

pub fn decode_v2(payload: Value) -> Result<HttpRequest, Error> {
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
    let route = (method, path, base_path);
    let mut request = normalised(
        HttpFlavor::V2,
        route,
        &req.headers,
        req.body,
        req.is_base64_encoded,
    );
    request.who = caller::from_v2(&req.request_context);
    request.function_url = is_function_url(req.request_context.domain_name.as_deref());
    Ok(request)
}

/// The request both integrations come to: `route` is (method, path, base path).
fn normalised(
    flavor: HttpFlavor,
    (method, path, base_path): (String, String, String),
    headers: &aws_lambda_events::http::HeaderMap,
    body: Option<String>,
    is_base64_encoded: bool,
) -> HttpRequest {
    HttpRequest {
        flavor,
        method,
        path,
        base_path,
        headers: lowercase_headers(headers),
        body,
        is_base64_encoded,
        ..HttpRequest::default()
    }
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

pub fn decode_v1(payload: Value) -> Result<HttpRequest, Error> {
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
    let route = (method, path, base_path);
    let mut request = normalised(
        HttpFlavor::V1,
        route,
        &req.headers,
        req.body,
        req.is_base64_encoded,
    );
    request.who = caller::from_v1(&req.request_context);
    Ok(request)
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

use super::routes::Handler;
pub use super::routes::{HTTP_ROUTES, ROUTE_SCOPES};

pub fn route(req: &HttpRequest, cfg: &Limits) -> Result<Action, Error> {
    let matched = super::routes::find(&req.method, &req.path)?;
    let Handler::Api(op) = matched.route.handler else {
        // app.rs sends the webhook routes to the webhook handler first.
        return Err(Error::NotFound {
            path: bounded(&req.path, MAX_SHOWN),
        });
    };
    // The route's scope, the identity HTTP_AUTH requires and what a
    // function URL may serve are the gate's to check (domain::gate).
    // A caller's key is namespaced by who the caller is: the same caller
    // retrying gets the same tokens; two callers sharing a key never do.
    let mut origin = Origin {
        scope: format!("http:{}", req.who.caller.as_deref().unwrap_or("")),
        scoped_tokens: true,
        ..Origin::default()
    };
    let key = idempotency_key(req)?;
    if let Some(key) = key {
        origin = origin.with_key(key);
    }
    let (max, values) = (cfg.max_body_bytes, cfg.max_body_values());
    // A route with path parameters reads: its fields are the parameters
    // (checked by the operation's own shape before any call); any other
    // route's fields are its JSON body.
    let fields: Map<String, Value> = if matched.params.is_empty() {
        req.json_body(max, values)?
    } else {
        matched
            .params
            .iter()
            .map(|(name, value)| (name.to_string(), Value::String(value.clone())))
            .collect()
    };
    let request = Request::decode(op, Value::Object(fields))?;
    header_only(request.body_key())?;
    let action = action_for(request, cfg.max_batch_items, &origin)?;
    // A sweep is known by the Idempotency-Key, as the caller sent it.
    Ok(match (action, key) {
        (Action::Sweep(sweep), Some(key)) => Action::Sweep(Sweep {
            key: Some(bounded(key, MAX_SHOWN)),
            ..sweep
        }),
        (action, _) => action,
    })
}

/// Over HTTP an idempotency key has one way in, the `Idempotency-Key`
/// header: the body field `idempotencyKey` (other triggers' way) is refused,
/// so that no request carries two keys of which one would silently win.
fn header_only(body_key: Option<&str>) -> Result<(), Error> {
    match body_key {
        Some(_) => Err(Error::invalid_field(
            IDEMPOTENCY_KEY,
            "is not taken over HTTP: send the Idempotency-Key header",
        )),
        None => Ok(()),
    }
}

/// The `Idempotency-Key` header, checked: sent at most once (API Gateway
/// joins repeated headers with commas, so a comma means it was repeated),
/// 1-1,024 printable characters.
fn idempotency_key(req: &HttpRequest) -> Result<Option<&str>, Error> {
    const HEADER: &str = "Idempotency-Key";
    let mut values = req
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(HEADER))
        .map(|(_, v)| v.as_str());
    let Some(key) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() || key.contains(',') {
        return Err(Error::invalid_field(
            HEADER,
            "must be sent once, with one key (repeated or comma-joined values are refused)",
        ));
    }
    check_idempotency_key(HEADER, key).map_err(|f| Error::invalid(vec![f]))?;
    Ok(Some(key))
}
