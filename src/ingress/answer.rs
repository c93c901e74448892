//! Errors at the edge: the HTTP status and the JSON body the caller gets for
//! each domain [`Error`]. HTTP callers get both; other callers get the body
//! as a Lambda error's message (see `app.rs`). The domain only says what
//! went wrong and whether trying again may help.

use crate::domain::error::{MAX_ERROR_BODY, MAX_MESSAGE, MAX_SHOWN, bounded};
use crate::domain::{AwsErrorKind, Error, FanOutItem, Outcome};
use serde::Serialize;
use serde_json::{Value, json};

/// How an error is answered.
pub trait ErrorAnswer {
    /// The HTTP status of the answer.
    fn http_status(&self) -> u16;
    /// `{"error": {"code", "message", "fields"?, "retryable"}}`.
    fn to_body(&self) -> serde_json::Value;
}

impl ErrorAnswer for Error {
    fn http_status(&self) -> u16 {
        match self {
            Error::MalformedRequest { .. }
            | Error::InvalidRequest { .. }
            | Error::UnsupportedEvent { .. } => 400,
            Error::InvalidSignature { .. } | Error::Unauthenticated { .. } => 401,
            Error::NotFound { .. } => 404,
            Error::MethodNotAllowed { .. } => 405,
            Error::PayloadTooLarge { .. } => 413,
            Error::Internal { .. } => 500,
            Error::UntrustedEvent { .. } | Error::Forbidden { .. } => 403,
            Error::Repository { code, .. } if *code == "AmbiguousRepository" => 409,
            Error::Repository { .. } => 404,
            Error::PartialFailure { .. } => 502,
            Error::NotAttempted { .. } => 503,
            Error::Aws(e) => match e.kind {
                AwsErrorKind::InvalidInput => 400,
                AwsErrorKind::AccessDenied => 403,
                AwsErrorKind::NotFound => 404,
                AwsErrorKind::Conflict => 409,
                AwsErrorKind::Throttled => 429,
                AwsErrorKind::ServiceFailure => 502,
                AwsErrorKind::Unavailable => 503,
            },
        }
    }

    /// `{"error": {"code", "message", "fields"?, "retryable"}}`: the body of
    /// every error response and the message of every Lambda error. Every
    /// string in it is escaped and bounded, and the fields listed stop
    /// before the body would pass [`MAX_ERROR_BODY`] bytes
    /// (`fieldsOmitted` counts the rest), whatever the caller sent.
    fn to_body(&self) -> serde_json::Value {
        let mut inner = serde_json::json!({
            "code": bounded(self.code(), MAX_SHOWN),
            "message": bounded(&self.public_message(), MAX_MESSAGE),
            "retryable": self.retryable(),
        });
        let fields = self.fields();
        if !fields.is_empty() {
            let mut budget = MAX_ERROR_BODY - 1024;
            let mut shown = Vec::new();
            for f in fields {
                let entry = serde_json::json!({
                    "field": bounded(&f.field, MAX_SHOWN),
                    "message": bounded(&f.message, MAX_MESSAGE),
                });
                let size = entry.to_string().len() + 1;
                if size > budget {
                    break;
                }
                budget -= size;
                shown.push(entry);
            }
            if shown.len() < fields.len() {
                inner["fieldsOmitted"] = (fields.len() - shown.len()).into();
            }
            inner["fields"] = shown.into();
        }
        if let Some(after) = self.retry_after() {
            inner["retryAfterSeconds"] = after.as_secs().into();
        }
        if let Error::PartialFailure { results, .. } = self {
            inner["results"] = results.clone();
        }
        serde_json::json!({ "error": inner })
    }
}

/// How an outcome is answered: its JSON in AWS's field names.
pub trait OutcomeAnswer {
    fn to_json(&self) -> Value;
}

impl OutcomeAnswer for Outcome {
    fn to_json(&self) -> Value {
        let v = match self {
            Outcome::ScanStarted(s) => serde_json::to_value(s),
            Outcome::Scan(s) => serde_json::to_value(s),
            Outcome::Findings(f) => serde_json::to_value(f),
            Outcome::Configured(c) => serde_json::to_value(&c.batch),
            Outcome::RunStarted(r) => serde_json::to_value(r),
            Outcome::Scans(items) => {
                Ok(json!({"scans": items.iter().map(fan_out_item_json).collect::<Vec<_>>()}))
            }
            Outcome::Runs(items) => Ok(
                json!({"assessmentRuns": items.iter().map(fan_out_item_json).collect::<Vec<_>>()}),
            ),
            Outcome::Skipped(s) => Ok(json!({
                "skipped": true, "reason": s.reason, "repository": s.repository, "ref": s.git_ref
            })),
            Outcome::DryRun(calls) => Ok(json!({"dryRun": true, "calls": calls})),
        };
        v.unwrap_or(Value::Null)
    }
}

/// One fan-out item: its result, or its error's body, with its key.
fn fan_out_item_json<T: Serialize>(item: &FanOutItem<T>) -> Value {
    let mut v = match &item.result {
        Ok(r) => serde_json::to_value(r).unwrap_or(Value::Null),
        Err(e) => e.to_body(),
    };
    if let Value::Object(m) = &mut v {
        m.entry(item.key.0)
            .or_insert_with(|| item.key.1.clone().into());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AwsError, FieldError};

    fn aws(code: &str, kind: AwsErrorKind) -> Error {
        Error::Aws(AwsError {
            operation: "inspector2:StartCodeSecurityScan",
            code: code.into(),
            message: "User: arn:aws:sts::123456789012:assumed-role/x is not authorized".into(),
            kind,
            retry_after: None,
        })
    }

    #[test]
    fn statuses_and_retryability() {
        let cases = [
            (AwsErrorKind::InvalidInput, 400, false),
            (AwsErrorKind::AccessDenied, 403, false),
            (AwsErrorKind::NotFound, 404, false),
            (AwsErrorKind::Conflict, 409, false),
            (AwsErrorKind::Throttled, 429, true),
            (AwsErrorKind::ServiceFailure, 502, true),
            (AwsErrorKind::Unavailable, 503, true),
        ];
        for (kind, status, retryable) in cases {
            let e = aws("X", kind);
            assert_eq!(e.http_status(), status, "{kind:?}");
            assert_eq!(e.retryable(), retryable, "{kind:?}");
        }
        assert_eq!(Error::malformed("x").http_status(), 400);
        assert_eq!(Error::NotFound { path: "/".into() }.http_status(), 404);
        assert_eq!(
            Error::PayloadTooLarge { size: 2, limit: 1 }.http_status(),
            413
        );
    }

    #[test]
    fn access_denied_detail_stays_out_of_the_body() {
        let body = aws("AccessDeniedException", AwsErrorKind::AccessDenied).to_body();
        let text = body.to_string();
        assert!(!text.contains("123456789012"), "{text}");
        assert_eq!(body["error"]["code"], "AccessDeniedException");
    }

    #[test]
    fn bodies_are_bounded_whatever_was_sent() {
        let huge = "x".repeat(3_000_000);
        let long = "y".repeat(300);
        let mut fields: Vec<FieldError> = (0..10_000)
            .map(|i| FieldError::new(format!("items[{i}].{long}"), long.clone()))
            .collect();
        fields[0] = FieldError::new(huge.clone(), huge.clone());
        let body = Error::invalid(fields).to_body().to_string();
        assert!(body.len() <= MAX_ERROR_BODY, "{}", body.len());
        assert!(body.contains("fieldsOmitted"));
        let e = Error::invalid_field("a", format!("bad \u{1b}[31m {huge}"));
        let body = e.to_body().to_string();
        assert!(
            body.len() < 2048 && !body.contains('\u{1b}'),
            "{}",
            body.len()
        );
    }

    #[test]
    fn service_messages_lose_account_ids_and_arns() {
        let e = Error::Aws(AwsError {
            operation: "inspector2:StartCodeSecurityScan",
            code: "ValidationException".into(),
            message: "project arn:aws:inspector2:us-east-1:123456789012:codesecurity-integration/x not in account 123456789012.".into(),
            kind: AwsErrorKind::InvalidInput,
            retry_after: None,
        });
        let text = e.to_body().to_string();
        assert!(
            !text.contains("123456789012") && !text.contains("arn:aws"),
            "{text}"
        );
        assert!(
            text.contains("<arn>") && text.contains("<account>"),
            "{text}"
        );
    }
}
