//! The one error type of the function, and its single mapping to an HTTP
//! status, to "retryable or not", and to the Lambda error a non-HTTP caller sees.

use serde::Serialize;
use std::time::Duration;

/// One problem with one field of a request. `field` is a JSON path in the
/// caller's own spelling, e.g. `disassociateConfigurationRequests[3].scanConfigurationArn`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What kind of failure an AWS call ended in. Decides the HTTP status and
/// whether the caller should try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsErrorKind {
    InvalidInput,
    AccessDenied,
    NotFound,
    Conflict,
    Throttled,
    /// The service failed (5xx, unknown error).
    ServiceFailure,
    /// The service said it is temporarily unavailable, or it could not be
    /// reached at all (timeout, connection failure).
    Unavailable,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AwsError {
    /// `inspector2:StartCodeSecurityScan`, ...
    pub operation: &'static str,
    /// The service's error code (`ThrottlingException`, ...) or, when no
    /// answer came, `TimeoutError` / `DispatchFailure` / `ResponseError`.
    pub code: String,
    /// The service's own message. Logged; only shown to callers for
    /// client-side kinds (see [`Error::public_message`]).
    pub message: String,
    pub kind: AwsErrorKind,
    pub retry_after: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The request could not be parsed (bad JSON, bad base64, bad UTF-8).
    #[error("{message}")]
    MalformedRequest {
        message: String,
        fields: Vec<FieldError>,
    },
    /// The request parsed but failed validation.
    #[error("{message}")]
    InvalidRequest {
        message: String,
        fields: Vec<FieldError>,
    },
    #[error("no route for {path}")]
    NotFound { path: String },
    #[error("method {method} is not allowed here; allowed: {}", allow.join(", "))]
    MethodNotAllowed {
        method: String,
        allow: Vec<&'static str>,
    },
    #[error("request body is {size} bytes, over the limit of {limit} bytes")]
    PayloadTooLarge { size: usize, limit: usize },
    /// The event is not one of the shapes this function handles.
    #[error("{message}")]
    UnsupportedEvent { message: String },
    #[error("{} failed: {}: {}", .0.operation, bounded(&.0.code, MAX_SHOWN), bounded(&.0.message, MAX_MESSAGE))]
    Aws(AwsError),
    /// A repository could not be matched to exactly one Inspector project.
    #[error("{message}")]
    Repository { code: &'static str, message: String },
    /// Some items of a fan-out failed; `results` has one entry per item.
    #[error("{message}")]
    PartialFailure {
        message: String,
        retryable: bool,
        results: serde_json::Value,
    },
    /// An EventBridge event from an account or source this function does not
    /// trust: nothing is called.
    #[error("{message}")]
    UntrustedEvent { message: String },
    /// The caller may not do this: a JWT without the route's scope, or an
    /// item outside the allowed scan configurations. Nothing is called.
    #[error("{message}")]
    Forbidden {
        message: String,
        fields: Vec<FieldError>,
    },
    /// Not started: the invocation's deadline was too near to start a call.
    #[error("not attempted: the invocation was too close to its deadline to start {operation}")]
    NotAttempted { operation: &'static str },
    #[error("{message}")]
    Internal { message: String },
    /// A webhook delivery whose signature (GitHub) or token (GitLab) is
    /// missing or does not match. Says nothing of what was sent.
    #[error("the {provider} webhook signature or token is missing or does not match")]
    InvalidSignature { provider: &'static str },
    /// An HTTP request without the identity the deployment requires
    /// (`HTTP_AUTH`): nothing is called.
    #[error("{message}")]
    Unauthenticated { message: String },
}

impl Error {
    pub fn invalid(fields: Vec<FieldError>) -> Self {
        let message = match fields.as_slice() {
            [one] => format!("invalid request: {}: {}", one.field, one.message),
            many => format!("invalid request: {} fields failed validation", many.len()),
        };
        Error::InvalidRequest { message, fields }
    }

    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        Error::MalformedRequest {
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &str {
        match self {
            Error::MalformedRequest { .. } => "MalformedRequest",
            Error::InvalidRequest { .. } => "InvalidRequest",
            Error::NotFound { .. } => "NotFound",
            Error::MethodNotAllowed { .. } => "MethodNotAllowed",
            Error::PayloadTooLarge { .. } => "PayloadTooLarge",
            Error::UnsupportedEvent { .. } => "UnsupportedEvent",
            Error::Aws(e) => &e.code,
            Error::Repository { code, .. } => code,
            Error::PartialFailure { .. } => "PartialFailure",
            Error::NotAttempted { .. } => "NotAttempted",
            Error::UntrustedEvent { .. } => "UntrustedEvent",
            Error::Forbidden { .. } => "Forbidden",
            Error::Internal { .. } => "InternalError",
            Error::InvalidSignature { .. } => "InvalidSignature",
            Error::Unauthenticated { .. } => "Unauthenticated",
        }
    }

    /// Would the same request succeed if tried again later?
    pub fn retryable(&self) -> bool {
        match self {
            Error::Aws(e) => matches!(
                e.kind,
                AwsErrorKind::Throttled | AwsErrorKind::ServiceFailure | AwsErrorKind::Unavailable
            ),
            Error::Internal { .. } => true,
            Error::PartialFailure { retryable, .. } => *retryable,
            Error::NotAttempted { .. } => true,
            _ => false,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Aws(e) => e.retry_after,
            _ => None,
        }
    }

    pub fn fields(&self) -> &[FieldError] {
        match self {
            Error::MalformedRequest { fields, .. }
            | Error::InvalidRequest { fields, .. }
            | Error::Forbidden { fields, .. } => fields,
            _ => &[],
        }
    }

    /// The message a caller may see. Service messages are passed through only
    /// where they tell the caller what to fix in their own request; for
    /// access and server-side failures the caller gets a fixed sentence and
    /// the detail goes to the log.
    pub fn public_message(&self) -> String {
        match self {
            Error::Aws(e) => match e.kind {
                AwsErrorKind::InvalidInput | AwsErrorKind::NotFound | AwsErrorKind::Conflict => {
                    format!(
                        "{} rejected the request: {}",
                        e.operation,
                        redacted(&e.message)
                    )
                }
                AwsErrorKind::AccessDenied => format!(
                    "the function is not authorised to call {} on this resource",
                    e.operation
                ),
                AwsErrorKind::Throttled => {
                    format!("{} is throttling requests; retry later", e.operation)
                }
                AwsErrorKind::ServiceFailure => {
                    format!("{} failed on the service side; retry later", e.operation)
                }
                AwsErrorKind::Unavailable => {
                    format!(
                        "{} is unavailable or did not answer in time; retry later",
                        e.operation
                    )
                }
            },
            Error::Internal { .. } => "internal error".to_string(),
            other => other.to_string(),
        }
    }
}

/// The most bytes an error body's message and fields take (8 KiB).
pub const MAX_ERROR_BODY: usize = 8 * 1024;
/// The most characters of a value a caller sent that are shown back.
pub const MAX_SHOWN: usize = 128;
/// The most characters of one message (which may quote a value).
pub const MAX_MESSAGE: usize = 512;

/// The one way a value from outside (a caller's, a service's) is shown in
/// a message or a log, cut to `max` characters: control characters, line
/// and paragraph separators and invisible formatting characters (bidi
/// overrides, zero-width ones) escaped (`\u{1b}`, `\u{2028}`), and so are
/// `"` and `\`, so a value can neither forge a line, hide text, drive a
/// terminal, nor close the quotes it is shown in.
pub fn bounded(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == max {
            out.push_str("...");
            break;
        }
        if invisible(c) {
            out.extend(c.escape_unicode());
        } else if c.is_control() || c == '"' || c == '\\' {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// The most characters [`bounded`] makes of a value cut to `max`: every
/// character escaped as `\u{10ffff}`, and the `...`.
pub fn bounded_len(max: usize) -> usize {
    max.saturating_mul(10).saturating_add(3)
}

/// Could `text` be what [`bounded`] made of a value cut to `max`? No
/// control or invisible character, and no longer than it makes. For values
/// read back from the function's own messages, which were bounded when
/// written: one that is not was not written by the function.
pub fn is_bounded(text: &str, max: usize) -> bool {
    text.chars().count() <= bounded_len(max)
        && !text.chars().any(|c| c.is_control() || invisible(c))
}

/// Characters that show nothing, or break or reorder a line: separators,
/// bidi controls, zero-width characters, the byte-order mark, soft hyphen.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}')
}

/// A service's message without account ids or ARNs (of resources the
/// caller may not have named), escaped and bounded.
pub fn redacted(message: &str) -> String {
    let words: Vec<String> = message
        .split(' ')
        .map(|w| {
            let core = w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != ':');
            if core.starts_with("arn:") {
                w.replace(core, "<arn>")
            } else if core.len() == 12 && core.bytes().all(|b| b.is_ascii_digit()) {
                w.replace(core, "<account>")
            } else {
                w.to_string()
            }
        })
        .collect();
    bounded(&words.join(" "), MAX_SHOWN)
}
