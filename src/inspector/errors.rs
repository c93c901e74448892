//! SDK errors mapped onto the domain's [`Error`], keeping the service's code,
//! message and any `Retry-After` it sent.

use crate::domain::{AwsErrorKind, Error, Operation};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

type SdkError<E> =
    aws_sdk_inspector2::error::SdkError<E, aws_sdk_inspector2::config::http::HttpResponse>;

/// Map an SDK error onto [`Error`], keeping the service's code and message
/// and any `Retry-After` the service sent.
pub fn aws_error<E>(op: Operation, err: SdkError<E>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    Error::Aws(crate::sdk::aws_error(op.iam_action(), &err, kind_for))
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
