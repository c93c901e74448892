//! SDK errors mapped onto the domain's [`Error`], keeping the service's code,
//! message and any `Retry-After` it sent.

use crate::domain::{AwsError, AwsErrorKind, Error, Operation};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::time::Duration;

type SdkError<E> =
    aws_sdk_inspector2::error::SdkError<E, aws_sdk_inspector2::config::http::HttpResponse>;

/// Map an SDK error onto [`Error`], keeping the service's code and message
/// and any `Retry-After` the service sent.
pub fn aws_error<E>(op: Operation, err: SdkError<E>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let retry_after = err
        .raw_response()
        .and_then(|r| r.headers().get("retry-after"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let (code, message, kind) = match &err {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("UnknownError").to_string();
            let message = se.err().message().unwrap_or_default().to_string();
            let status = se.raw().status().as_u16();
            let kind = kind_for(&code, status);
            (code, message, kind)
        }
        SdkError::TimeoutError(_) => (
            "TimeoutError".to_string(),
            "the call did not complete within the configured timeout".to_string(),
            AwsErrorKind::Unavailable,
        ),
        SdkError::DispatchFailure(d) => (
            "DispatchFailure".to_string(),
            format!("could not send the request: {d:?}"),
            AwsErrorKind::Unavailable,
        ),
        SdkError::ResponseError(_) => (
            "ResponseError".to_string(),
            "the service's response could not be read".to_string(),
            AwsErrorKind::ServiceFailure,
        ),
        other => (
            "ConstructionFailure".to_string(),
            format!("{other}"),
            AwsErrorKind::ServiceFailure,
        ),
    };
    Error::Aws(AwsError {
        operation: op.iam_action(),
        code,
        message,
        kind,
        retry_after,
    })
}

/// The error codes of the three operations (and those any AWS service may
/// answer with), by kind. Unknown codes fall back on the HTTP status.
pub(crate) fn kind_for(code: &str, status: u16) -> AwsErrorKind {
    match code {
        "ValidationException" | "InvalidInputException" | "BadRequestException" => {
            AwsErrorKind::InvalidInput
        }
        "AccessDeniedException"
        | "InvalidCrossAccountRoleException"
        | "UnrecognizedClientException"
        | "ExpiredTokenException" => AwsErrorKind::AccessDenied,
        "ResourceNotFoundException" | "NoSuchEntityException" => AwsErrorKind::NotFound,
        "ConflictException" | "AgentsAlreadyRunningAssessmentException" => AwsErrorKind::Conflict,
        "ThrottlingException" | "LimitExceededException" | "TooManyRequestsException" => {
            AwsErrorKind::Throttled
        }
        "ServiceTemporarilyUnavailableException" | "ServiceUnavailableException" => {
            AwsErrorKind::Unavailable
        }
        "InternalServerException" | "InternalException" => AwsErrorKind::ServiceFailure,
        _ => match status {
            400 => AwsErrorKind::InvalidInput,
            401 | 403 => AwsErrorKind::AccessDenied,
            404 => AwsErrorKind::NotFound,
            409 => AwsErrorKind::Conflict,
            429 => AwsErrorKind::Throttled,
            503 => AwsErrorKind::Unavailable,
            _ => AwsErrorKind::ServiceFailure,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_fall_back_on_status() {
        assert_eq!(kind_for("Weird", 429), AwsErrorKind::Throttled);
        assert_eq!(kind_for("Weird", 500), AwsErrorKind::ServiceFailure);
        assert_eq!(
            kind_for("NoSuchEntityException", 400),
            AwsErrorKind::NotFound
        );
    }
}
