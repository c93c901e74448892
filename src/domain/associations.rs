//! The answer of either scan-configuration batch, in the service's shape:
//! the items that succeeded and those that failed (`domain::configurations`
//! has everything else of the two operations).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Resource {
    pub project_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct SuccessfulAssociation {
    pub scan_configuration_arn: String,
    pub resource: Resource,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct FailedAssociation {
    pub scan_configuration_arn: String,
    pub resource: Resource,
    pub status_code: String,
    pub status_message: String,
    /// The item may succeed if sent again (throttled, 5xx, timed out, not
    /// attempted, failed with INTERNAL_ERROR): unfinished, not failed for good.
    /// Not part of the answer.
    #[serde(skip)]
    pub retryable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct BatchOutcome {
    pub successful_associations: Vec<SuccessfulAssociation>,
    pub failed_associations: Vec<FailedAssociation>,
}
