//! The HTTP contract as an OpenAPI 3.1 document (`openapi.json`), built from
//! the code itself: the route table and JWT scopes (`ingress::http`), the
//! request shapes (`ingress::wire`) and outcomes (`domain::outcome`) through
//! schemars, the validation patterns (`domain::validate`), the limits'
//! defaults and the error codes with their statuses (`domain::error`).
//!
//! Test-only: schemars is a dev-dependency and nothing here is in the
//! Lambda binary. `scripts/openapi` writes the document
//! (`OPENAPI_WRITE=1 cargo test --lib contract`); the same test without it
//! fails when the committed file and the code disagree.

mod answers;
mod paths;
mod schemas;
mod tests;

use crate::config::Limits;
use serde_json::{Value, json};

/// The document, as `scripts/openapi` writes it.
pub fn document() -> Value {
    let limits = Limits::default();
    let control = schemas::CONTROL;
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "inspector-scan-router",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "Starts Amazon Inspector work over HTTP: code security scans, their status, scan \
                 configuration disassociation and Inspector Classic assessment runs; and GitHub and \
                 GitLab webhooks. Generated from the code (scripts/openapi); docs/HTTP.md#http-contract \
                 says the rest. Bodies are JSON, field names AWS's own. Limits: bodies of at most \
                 {} bytes (larger: 413), at most {} items per list. Any other method \
                 on a route answers 405 MethodNotAllowed with an Allow header; any other path 404 NotFound. \
                 A stage prefix (/prod/scans) is handled and kept in Location.",
                limits.max_body_bytes, limits.max_batch_items),
            "license": {"name": env!("CARGO_PKG_LICENSE"), "identifier": env!("CARGO_PKG_LICENSE")},
        },
        "servers": [{
            "url": "https://{apiId}.execute-api.{region}.amazonaws.com/prod",
            "description": "the stack's HTTP API (output ApiUrl)",
            "variables": {"apiId": {"default": "API_ID"}, "region": {"default": "us-east-1"}},
        }],
        "tags": [
            {"name": "inspector", "description": "IAM (SigV4) or JWT, as the stack's HttpAuth sets"},
            {"name": "webhooks", "description": "signed by the sender; no authorizer"},
        ],
        "paths": paths::paths(),
        "components": {
            "schemas": schemas::components(&limits),
            "parameters": {"IdempotencyKey": {
                "name": "Idempotency-Key", "in": "header", "required": false,
                "description": "1-1,024 printable characters, sent once (a repeated or comma-joined \
                                value is a 400). Namespaced by the caller: the same caller retrying \
                                gets the same scan or run. The one way to send a key over HTTP (a body \
                                idempotencyKey is a 400). A body clientToken (scans) or \
                                assessmentRunName (runs) beside it wins: the scan's token derives from \
                                the clientToken, the run is the one of that name; the header is then \
                                only recorded (a scan's results event: requested.idempotencyKey).",
                // HTTP trims a field value's surrounding whitespace, so a key cannot begin or end with it.
                "schema": {"type": "string",
                           "pattern": format!("^[^,\\s{control}]([^,{control}]{{0,1022}}[^,\\s{control}])?$")},
            }},
            "headers": {
                "Location": {"description": "the scan's URL: /scans/{projectId}/{scanId}, after the stage if any",
                             "schema": {"type": "string"}},
                "Retry-After": {"description": "seconds to wait, as the service said",
                                "schema": {"type": "integer", "minimum": 0}},
                "Allow": {"description": "the methods the path takes",
                          "schema": {"type": "string"}},
            },
            "responses": {"MethodNotAllowed": {
                "description": "Any method a route does not take (code MethodNotAllowed)",
                "headers": {"Allow": {"$ref": "#/components/headers/Allow"}},
                "content": {"application/json": {"schema": answers::error_schema(405, &["MethodNotAllowed".into()], false)}},
            }},
            "securitySchemes": {
                "sigv4": {
                    "type": "apiKey", "in": "header", "name": "Authorization",
                    "description": "HttpAuth=IAM (the default): a SigV4-signed request from a principal \
                                    allowed execute-api:Invoke on the route",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                },
                "jwt": {
                    "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                    "description": format!(
                        "HttpAuth=JWT: a token from JwtIssuer for JwtAudience carrying the route's scope \
                         ({} by default, JwtScopePrefix); the function checks the scope again (403 Forbidden)",
                        paths::SCOPE_PREFIX),
                },
                "githubSignature": {
                    "type": "apiKey", "in": "header", "name": "X-Hub-Signature-256",
                    "description": "sha256= and the hex HMAC-SHA256 of the body under the github value of the webhook secret",
                },
                "gitlabToken": {
                    "type": "apiKey", "in": "header", "name": "X-Gitlab-Token",
                    "description": "the gitlab value of the webhook secret",
                },
            },
        },
    })
}

/// The document as committed: pretty-printed, with a final newline.
pub fn text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("a JSON value");
    text.push('\n');
    text
}
