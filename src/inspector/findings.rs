//! A finished scan's findings: the project's active findings by severity,
//! from `ListFindingAggregations` (aggregation type `CODE_REPOSITORY`,
//! narrowed to the project by its resource id), through the pacer.

use super::client::Clients;
use super::errors::aws_error;
use crate::domain::completion::Findings;
use crate::domain::{Deadline, Error, Operation};
use aws_sdk_inspector2::types::{
    AggregationRequest, AggregationType, CodeRepositoryAggregation, StringComparison, StringFilter,
};

/// The project's active findings by severity (all zero when Inspector
/// has no aggregation for it: nothing found).
pub async fn findings(
    clients: &Clients,
    project_id: &str,
    deadline: Deadline,
) -> Result<Findings, Error> {
    let op = Operation::ListFindingAggregations;
    let filter = StringFilter::builder()
        .comparison(StringComparison::Equals)
        .value(project_id)
        .build()
        .map_err(|e| Error::Internal {
            message: format!("a findings filter that does not build: {e}"),
        })?;
    let request = AggregationRequest::CodeRepositoryAggregation(
        CodeRepositoryAggregation::builder()
            .resource_ids(filter)
            .build(),
    );
    let out = clients
        .paced(op, deadline, || async {
            clients
                .v2
                .list_finding_aggregations()
                .aggregation_type(AggregationType::CodeRepository)
                .aggregation_request(request.clone())
                .send()
                .await
                .map_err(|e| aws_error(op, e))
        })
        .await?;
    let mut total = Findings::default();
    for response in out.responses() {
        let Ok(repo) = response.as_code_repository_aggregation() else {
            continue;
        };
        // The filter names one project; a service that answers more is
        // not counted beyond it.
        if repo.resource_id().is_some_and(|id| id != project_id) {
            continue;
        }
        if let Some(c) = repo.severity_counts() {
            total.critical += c.critical().unwrap_or(0);
            total.high += c.high().unwrap_or(0);
            total.medium += c.medium().unwrap_or(0);
            total.all += c.all().unwrap_or(0);
        }
    }
    Ok(total)
}
