//! A sweep's listing calls: one page of the projects a selector names
//! (`ListCoverage` of code repositories, or
//! `ListCodeSecurityScanConfigurationAssociations`), through the pacer like
//! every other call.

use super::client::Clients;
use super::errors::aws_error;
use super::resolve::{coverage_page, project_id, string_filter as equals};
use crate::domain::selector::{Listed, Page, Selector};
use crate::domain::{Deadline, Error, Operation};
use aws_sdk_inspector2::types::CoverageFilterCriteria;

/// The largest page each listing call may answer with.
pub const COVERAGE_PAGE: i32 = 200;
pub const CONFIGURATION_PROJECTS_PAGE: i32 = 100;

/// The page of `select` from `next_token` (none: the first).
pub async fn page(
    clients: &Clients,
    select: &Selector,
    next_token: Option<&str>,
    deadline: Deadline,
) -> Result<Page, Error> {
    let next_token = next_token.map(str::to_string);
    match select {
        Selector::Covered { provider_type, .. } => {
            let criteria = CoverageFilterCriteria::builder()
                .resource_type(equals("CODE_REPOSITORY"))
                .set_code_repository_provider_type(
                    provider_type.as_deref().map(|t| vec![equals(t)]),
                )
                .build();
            let out = coverage_page(
                clients,
                &criteria,
                Some(COVERAGE_PAGE),
                next_token.as_deref(),
                deadline,
            )
            .await?;
            let projects = out
                .covered_resources()
                .iter()
                .map(|r| {
                    let meta = r.resource_metadata().and_then(|m| m.code_repository());
                    Listed {
                        project_id: project_id(r),
                        project_name: meta.map(|m| m.project_name().to_string()),
                        provider_type: meta.map(|m| m.provider_type().to_string()),
                    }
                })
                .filter(|l| !l.project_id.is_empty())
                .collect();
            Ok(Page {
                projects,
                next_token: token(out.next_token()),
            })
        }
        Selector::Configuration(arn) => {
            let op = Operation::ListCodeSecurityScanConfigurationAssociations;
            let out = clients
                .paced(op, deadline, || async {
                    clients
                        .v2
                        .list_code_security_scan_configuration_associations()
                        .scan_configuration_arn(arn)
                        .max_results(CONFIGURATION_PROJECTS_PAGE)
                        .set_next_token(next_token.clone())
                        .send()
                        .await
                        .map_err(|e| aws_error(op, e))
                })
                .await?;
            let projects = out
                .associations()
                .iter()
                .filter_map(|a| a.resource()?.as_project_id().ok())
                .map(|id| Listed {
                    project_id: id.clone(),
                    ..Listed::default()
                })
                .collect();
            Ok(Page {
                projects,
                next_token: token(out.next_token()),
            })
        }
    }
}

/// A page token, when there is a next page (an empty one ends the listing).
fn token(t: Option<&str>) -> Option<String> {
    t.filter(|t| !t.is_empty()).map(str::to_string)
}
