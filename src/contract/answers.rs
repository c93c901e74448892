//! The answers the code builds as JSON values rather than types (the error
//! body, a dry run, a fan-out, a webhook's acknowledgement), and which error
//! codes each route can answer with, by status: each status computed by
//! `Error::http_status` from an error of that kind, never written here.

use crate::domain::error::MAX_SHOWN;
use crate::domain::{AwsError, AwsErrorKind, Error};
use crate::ingress::answer::ErrorAnswer;
use serde_json::{Value, json};

fn error_of(kind: AwsErrorKind) -> Error {
    Error::Aws(AwsError {
        operation: "",
        code: String::new(),
        message: String::new(),
        kind,
        retry_after: None,
    })
}

/// The AWS error codes the function knows, with the kind the inspector
/// adapter gives each (`inspector::errors`; checked by a test there).
pub const AWS_CODES: [(&str, AwsErrorKind); 18] = [
    ("ValidationException", AwsErrorKind::InvalidInput),
    ("InvalidInputException", AwsErrorKind::InvalidInput),
    ("BadRequestException", AwsErrorKind::InvalidInput),
    ("AccessDeniedException", AwsErrorKind::AccessDenied),
    (
        "InvalidCrossAccountRoleException",
        AwsErrorKind::AccessDenied,
    ),
    ("UnrecognizedClientException", AwsErrorKind::AccessDenied),
    ("ExpiredTokenException", AwsErrorKind::AccessDenied),
    ("ResourceNotFoundException", AwsErrorKind::NotFound),
    ("NoSuchEntityException", AwsErrorKind::NotFound),
    ("ConflictException", AwsErrorKind::Conflict),
    (
        "AgentsAlreadyRunningAssessmentException",
        AwsErrorKind::Conflict,
    ),
    ("ThrottlingException", AwsErrorKind::Throttled),
    ("LimitExceededException", AwsErrorKind::Throttled),
    ("TooManyRequestsException", AwsErrorKind::Throttled),
    (
        "ServiceTemporarilyUnavailableException",
        AwsErrorKind::Unavailable,
    ),
    ("ServiceUnavailableException", AwsErrorKind::Unavailable),
    ("InternalServerException", AwsErrorKind::ServiceFailure),
    ("InternalException", AwsErrorKind::ServiceFailure),
];

/// The SDK's own codes, when no service answer came.
const SDK_CODES: [(&str, AwsErrorKind); 3] = [
    ("TimeoutError", AwsErrorKind::Unavailable),
    ("DispatchFailure", AwsErrorKind::Unavailable),
    ("ResponseError", AwsErrorKind::ServiceFailure),
];

/// What can go wrong on a route, besides AWS answering with an error.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The four IAM/JWT routes: body, JWT scope, AWS.
    Api {
        body: bool,
        aws: bool,
        repository: bool,
    },
    /// The webhook routes.
    Webhook,
}

/// `(status, codes)` for a route, ascending, each code once.
pub fn error_codes(kind: Kind) -> Vec<(u16, Vec<String>)> {
    let mut errors: Vec<Error> = vec![Error::invalid_field("f", "x")];
    let aws = match kind {
        Kind::Api {
            body,
            aws,
            repository,
        } => {
            // A JWT without the route's scope; an item outside
            // ALLOWED_SCAN_CONFIGURATION_ARNS; an operation switched off.
            errors.push(Error::Forbidden {
                message: String::new(),
                fields: Vec::new(),
            });
            // A request without the identity HTTP_AUTH requires.
            errors.push(Error::Unauthenticated {
                message: String::new(),
            });
            if body {
                errors.push(Error::malformed("x"));
                errors.push(Error::PayloadTooLarge { size: 2, limit: 1 });
            }
            if repository {
                for code in ["RepositoryNotFound", "AmbiguousRepository"] {
                    errors.push(Error::Repository {
                        code,
                        message: String::new(),
                    });
                }
            }
            aws
        }
        Kind::Webhook => {
            errors.push(Error::malformed("x"));
            errors.push(Error::PayloadTooLarge { size: 2, limit: 1 });
            errors.push(Error::InvalidSignature { provider: "GitHub" });
            errors.push(Error::NotFound {
                path: String::new(),
            });
            errors.push(Error::Internal {
                message: String::new(),
            });
            true
        }
    };
    if aws {
        errors.push(Error::NotAttempted { operation: "" });
    }
    let mut by_status: Vec<(u16, Vec<String>)> = Vec::new();
    let mut add = |status: u16, code: &str| match by_status.iter_mut().find(|(s, _)| *s == status) {
        Some((_, codes)) if codes.iter().any(|c| c == code) => {}
        Some((_, codes)) => codes.push(code.to_string()),
        None => by_status.push((status, vec![code.to_string()])),
    };
    for e in &errors {
        add(e.http_status(), e.code());
    }
    if aws {
        for (code, k) in AWS_CODES.iter().chain(&SDK_CODES) {
            let mut status = error_of(*k).http_status();
            if kind == Kind::Webhook && status < 500 {
                // A push whose scan did not start is never a 4xx (ingress::webhook::failed).
                status = if error_of(*k).retryable() { 503 } else { 502 };
            }
            add(status, code);
        }
    }
    if kind == Kind::Webhook {
        // The push's own repository resolution, answered as a 5xx too.
        add(502, "AmbiguousRepository");
        // The webhooks' share of the function is full (app/deliveries.rs).
        add(503, "WebhookConcurrencyReached");
    }
    by_status.sort_by_key(|(s, _)| *s);
    by_status
}

/// Statuses where AWS's own code is passed through: besides the codes
/// listed, the service may answer with one the function does not know.
pub fn passes_aws_codes(status: u16) -> bool {
    [400, 403, 404, 409, 429, 502, 503].contains(&status)
}

/// The code of each status, as an `ErrorBody` refined for that status.
pub fn error_schema(status: u16, codes: &[String], aws: bool) -> Value {
    let code = if aws && passes_aws_codes(status) {
        json!({"anyOf": [
            {"enum": codes},
            {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9]*$",
             "description": "another AWS error code, as the service sent it"},
        ]})
    } else {
        json!({"enum": codes})
    };
    json!({"allOf": [
        {"$ref": "#/components/schemas/ErrorBody"},
        {"properties": {"error": {"properties": {"code": code}}}},
    ]})
}

/// The operations a selector may sweep.
fn sweep_operations() -> Vec<&'static str> {
    std::iter::once(crate::domain::Operation::StartCodeSecurityScan.name())
        .chain(crate::domain::Direction::ALL.map(|d| d.name()))
        .collect()
}

/// Schemas of answers the code builds with `json!`.
pub fn schemas() -> Vec<(&'static str, Value)> {
    let string = json!({"type": "string"});
    let error_inner = json!({
        "type": "object",
        "required": ["code", "message", "retryable"],
        "additionalProperties": false,
        "properties": {
            "code": {"type": "string", "description": "stable, machine-readable (see each response)"},
            "message": {"type": "string", "description": format!(
                "for people; values the caller sent are escaped and cut to {} characters", MAX_SHOWN)},
            "retryable": {"type": "boolean", "description": "the same request may succeed later"},
            "fields": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"},
                       "description": "each bad field, as a JSON path in the caller's spelling"},
            "fieldsOmitted": {"type": "integer", "minimum": 1,
                              "description": "fields left out to keep the body under 8 KiB"},
            "retryAfterSeconds": {"type": "integer", "minimum": 0},
            "results": {"description": "a fan-out's per-item results (non-HTTP callers only)"},
        },
    });
    // A target that failed: its error's body with the target beside it
    // (ingress::answer::fan_out_item_json). Spelled out, not an allOf of
    // ErrorBody, whose additionalProperties would refuse the target's key.
    let fan_out_item = |key: &str| {
        json!({"anyOf": [
            {"$ref": "#/components/schemas/ScanStarted"},
            {"type": "object", "required": [key, "error"], "additionalProperties": false,
             "properties": {key: string.clone(), "error": error_inner.clone()}},
        ]})
    };
    vec![
        (
            "ErrorBody",
            json!({"type": "object", "required": ["error"], "properties": {"error": error_inner.clone()},
                   "additionalProperties": false}),
        ),
        (
            "GatewayMessage",
            json!({"type": "object", "required": ["message"], "properties": {"message": string},
                   "description": "API Gateway's own answer, before the function runs \
                                   (authorizer refusal, throttling, a body over API Gateway's limit)"}),
        ),
        (
            "DryRun",
            json!({"type": "object", "required": ["dryRun", "calls"], "additionalProperties": false,
                   "description": "DRY_RUN=true: nothing was called; the calls the request would have made",
                   "properties": {"dryRun": {"const": true},
                                  "calls": {"type": "array", "items": {"$ref": "#/components/schemas/PlannedCall"}}}}),
        ),
        (
            "ScanFanOut",
            json!({"type": "object", "required": ["scans"], "additionalProperties": false,
                   "description": "projectIds or repositories: one result per target, in the request's order",
                   "properties": {"scans": {"type": "array", "items": {"anyOf": [
                       fan_out_item("projectId"), fan_out_item("repository")]}}}}),
        ),
        (
            "WebhookPing",
            json!({"type": "object", "required": ["event", "received"], "additionalProperties": false,
                   "properties": {"event": string, "received": {"const": true}}}),
        ),
        (
            "Queued",
            json!({"type": "object", "required": ["queued", "messages"], "additionalProperties": false,
                   "description": "A list above 100 items: queued whole to the work queue, done there",
                   "properties": {"queued": {"type": "integer", "minimum": 1},
                                  "messages": {"type": "integer", "minimum": 1}}}),
        ),
        (
            "Sweep",
            json!({"type": "object", "required": ["sweep", "action", "select"], "additionalProperties": false,
                   "description": "A sweep by selector, queued whole to the sweep queue: nothing was listed \
                                   yet; the sweep queue lists the projects page by page and does the work \
                                   (docs/OPERATIONS.md#sweeps-by-selector)",
                   "properties": {
                       "sweep": {"type": "string", "description":
                           "the sweep's key, which every log line of the sweep carries: the \
                            Idempotency-Key, else the Lambda request id"},
                       "action": {"enum": sweep_operations()},
                       "select": {"$ref": "#/components/schemas/SelectInput"}}}),
        ),
        (
            "WebhookIgnored",
            json!({"type": "object", "required": ["event", "ignored", "reason"], "additionalProperties": false,
                   "properties": {"event": string, "ignored": {"const": true}, "reason": string}}),
        ),
        (
            "WebhookSkipped",
            json!({"type": "object", "required": ["skipped", "reason"], "additionalProperties": false,
                   "description": "a push to another branch, a tag, a deletion, a repository Inspector does not cover",
                   "properties": {"skipped": {"const": true}, "reason": string,
                                  "repository": {"type": ["string", "null"]},
                                  "ref": {"type": ["string", "null"]}}}),
        ),
    ]
}
