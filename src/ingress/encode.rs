//! Encode: an outcome (or error) into the answer the caller expects: an API
//! Gateway / function URL response, or an invocation result.

use super::Trigger;
use super::answer::{ErrorAnswer, OutcomeAnswer};
use super::http::{HttpFlavor, HttpRequest};
use crate::domain::{Error, Operation, Outcome};
use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

/// An HTTP answer before it is put in the integration's envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Value,
}

pub fn http_success(req: &HttpRequest, outcome: &Outcome) -> HttpAnswer {
    let mut headers = Vec::new();
    let status = match outcome {
        Outcome::ScanStarted(s) => {
            headers.push((
                "location",
                format!("{}/scans/{}/{}", req.base_path, s.project_id, s.scan_id),
            ));
            202
        }
        Outcome::Scan(_) | Outcome::Findings(_) => 200,
        Outcome::Configured(c) if c.batch.failed_associations.is_empty() => 200,
        Outcome::Configured(_) => 207,
        Outcome::RunStarted(r) if r.already_started => 200,
        Outcome::RunStarted(_) => 201,
        Outcome::Scans(_) | Outcome::Runs(_) => match outcome.fan_out_failures() {
            Some((0, _, _)) => 202,
            _ => 207,
        },
        Outcome::Skipped(_) | Outcome::DryRun(_) => 200,
    };
    HttpAnswer {
        status,
        headers,
        body: outcome.to_json(),
    }
}

/// A fan-out queued whole (above the HTTP inline limit): `202` with how many
/// items and messages went to the work queue (`settled`: the summary the
/// queue side made).
pub fn http_queued(settled: &Value) -> HttpAnswer {
    HttpAnswer {
        status: 202,
        headers: Vec::new(),
        body: json!({
            "queued": settled["queued"].as_u64().unwrap_or_default(),
            "messages": settled["messages"].as_u64().unwrap_or_default(),
        }),
    }
}

pub fn http_error(e: &Error) -> HttpAnswer {
    let mut headers = Vec::new();
    if let Error::MethodNotAllowed { allow, .. } = e {
        headers.push(("allow", allow.join(", ")));
    }
    if let Some(after) = e.retry_after() {
        headers.push(("retry-after", after.as_secs().to_string()));
    }
    HttpAnswer {
        status: e.http_status(),
        headers,
        body: e.to_body(),
    }
}

/// Put an answer into the envelope of the integration that sent the request.
pub fn envelope(flavor: HttpFlavor, answer: HttpAnswer) -> Value {
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("content-type"),
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in answer.headers {
        // Values are built by this module from validated identifiers; one
        // that is still not a legal header value is dropped, never echoed.
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    }
    let body = Some(Body::Text(answer.body.to_string()));
    let status = i64::from(answer.status);
    let v = match flavor {
        HttpFlavor::V2 => {
            let mut r = ApiGatewayV2httpResponse::default();
            r.status_code = status;
            r.headers = headers;
            r.body = body;
            serde_json::to_value(r)
        }
        HttpFlavor::V1 => {
            let mut r = ApiGatewayProxyResponse::default();
            r.status_code = status;
            r.headers = headers;
            r.body = body;
            serde_json::to_value(r)
        }
    };
    v.unwrap_or(Value::Null)
}

/// The result a non-HTTP caller receives on success.
pub fn summary(trigger: &Trigger, operation: Operation, outcome: &Outcome) -> Value {
    json!({
        "trigger": trigger.kind(),
        "action": operation.name(),
        "result": outcome.to_json(),
    })
}
