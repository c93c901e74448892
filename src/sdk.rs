//! An AWS SDK error, from whichever service's client, in the domain's terms:
//! the service's code and message, a kind (each adapter says how its
//! service's codes map), and any `Retry-After` the service sent. The one
//! mapper the adapters share; it knows no service.

use crate::domain::{AwsError, AwsErrorKind};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::time::Duration;

/// `err`, the answer of `operation` (an IAM action name), with its kind
/// from `kind_for(code, HTTP status)` when the service answered.
pub fn aws_error<E: ProvideErrorMetadata>(
    operation: &'static str,
    err: &SdkError<E, HttpResponse>,
    kind_for: impl Fn(&str, u16) -> AwsErrorKind,
) -> AwsError {
    let retry_after = err
        .raw_response()
        .and_then(|r| r.headers().get("retry-after"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let (code, message, kind) = match err {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("UnknownError").to_string();
            let kind = kind_for(&code, se.raw().status().as_u16());
            (
                code,
                se.err().message().unwrap_or_default().to_string(),
                kind,
            )
        }
        SdkError::TimeoutError(_) => (
            "TimeoutError",
            "the call did not complete within the configured timeout",
            AwsErrorKind::Unavailable,
        )
            .into_owned(),
        SdkError::DispatchFailure(_) => (
            "DispatchFailure",
            "could not send the request",
            AwsErrorKind::Unavailable,
        )
            .into_owned(),
        SdkError::ResponseError(_) => (
            "ResponseError",
            "the service's response could not be read",
            AwsErrorKind::ServiceFailure,
        )
            .into_owned(),
        _ => (
            "ConstructionFailure",
            "the request could not be built",
            AwsErrorKind::ServiceFailure,
        )
            .into_owned(),
    };
    AwsError {
        operation,
        code,
        message,
        kind,
        retry_after,
    }
}

trait IntoOwned {
    fn into_owned(self) -> (String, String, AwsErrorKind);
}

impl IntoOwned for (&str, &str, AwsErrorKind) {
    fn into_owned(self) -> (String, String, AwsErrorKind) {
        (self.0.to_string(), self.1.to_string(), self.2)
    }
}
