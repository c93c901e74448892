//! The scan-configuration batches (`domain::configurations`), in either
//! direction: any number of items, split into calls of at most 25, items
//! the service failed transiently sent again, and every item accounted for
//! exactly once, in input order.
//!
//! The accounting is written against [`BatchApi`], one call of the service,
//! so that it can be tested with an in-memory fake; the SDK client is the
//! live implementation.

use super::client::Clients;
use super::errors::aws_error;
use crate::config::BatchSettings;
use crate::domain::resend::{Resend, resend_unsettled};
use crate::domain::{
    AwsErrorKind, BatchOutcome, CONFIGURATIONS_PER_CALL, ConfigurationChange, ConfigurationItem,
    ConfigurationOutcome, Deadline, Direction, Error, FailedAssociation, Resource,
    SuccessfulAssociation,
};
use aws_sdk_inspector2::types::{
    AssociateConfigurationRequest, CodeSecurityResource, DisassociateConfigurationRequest,
    FailedAssociationResult, SuccessfulAssociationResult,
};
use futures::StreamExt;
use std::collections::HashMap;
use std::future::Future;

/// One item as the service reported it: the pair it names, and its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    pub scan_configuration_arn: String,
    pub project_id: String,
    pub result: ItemResult,
}

/// One call of the service with at most 25 items: what it reported, in
/// whatever order and completeness the service chose, or the call's error.
pub trait BatchApi: Sync {
    fn batch_call(
        &self,
        direction: Direction,
        chunk: &[ConfigurationItem],
    ) -> impl Future<Output = Result<Vec<Reported>, Error>> + Send;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemResult {
    Ok,
    /// `retry`: the failure may pass if the item is sent again (the
    /// service's INTERNAL_ERROR, or no answer for the item). A call that
    /// failed as a whole was already retried by the SDK. `unfinished`: the
    /// item may succeed later (retryable, or not attempted), so it is queued
    /// or reported unfinished rather than failed for good.
    Failed {
        code: String,
        message: String,
        retry: bool,
        unfinished: bool,
    },
}

impl ItemResult {
    fn transient(&self) -> bool {
        matches!(self, ItemResult::Failed { retry: true, .. })
    }

    fn not_attempted() -> Self {
        ItemResult::Failed {
            code: "INTERNAL_ERROR".to_string(),
            message:
                "not attempted: the invocation was too close to its deadline; send this item again"
                    .to_string(),
            retry: false,
            unfinished: true,
        }
    }

    fn not_reported() -> Self {
        ItemResult::Failed {
            code: "INTERNAL_ERROR".to_string(),
            message: "the service did not report a result for this item".to_string(),
            retry: true,
            unfinished: true,
        }
    }

    /// Every item of a call that failed as a whole gets the call's error,
    /// in the batch API's own status codes.
    fn from_call_error(e: &Error) -> Self {
        let code = match e {
            Error::Aws(a) => match a.kind {
                AwsErrorKind::AccessDenied => "ACCESS_DENIED",
                AwsErrorKind::InvalidInput => "INVALID_INPUT",
                AwsErrorKind::NotFound => "RESOURCE_NOT_FOUND",
                _ => "INTERNAL_ERROR",
            },
            _ => "INTERNAL_ERROR",
        };
        ItemResult::Failed {
            code: code.to_string(),
            message: format!("{}: {}", e.code(), e.public_message()),
            retry: false,
            unfinished: e.retryable(),
        }
    }
}

/// Split into calls of at most 25, run up to `settings.concurrency` at once,
/// and account for every item exactly once, in input order.
pub async fn change(
    api: &impl BatchApi,
    settings: &BatchSettings,
    c: &ConfigurationChange,
    deadline: Deadline,
) -> ConfigurationOutcome {
    let direction = c.direction;
    let chunks: Vec<&[ConfigurationItem]> = c.items.chunks(CONFIGURATIONS_PER_CALL).collect();
    // Indices, not references, through the stream: a closure over a
    // borrowed item defeats rustc's `Send` proof (rust-lang/rust#102211),
    // which the concurrent runtime needs.
    let results: Vec<Vec<ItemResult>> = futures::stream::iter(0..chunks.len())
        .map(|i| with_retries(api, settings, direction, chunks[i], deadline))
        .buffered(settings.concurrency.max(1))
        .collect()
        .await;
    let mut outcome = BatchOutcome::default();
    // Paired chunk by chunk: each chunk's answer has one result per item.
    for (chunk, results) in chunks.into_iter().zip(results) {
        assert_eq!(chunk.len(), results.len(), "one result per item");
        for (item, result) in chunk.iter().zip(results) {
            let resource = Resource {
                project_id: item.project_id.clone(),
            };
            match result {
                ItemResult::Ok => outcome.successful_associations.push(SuccessfulAssociation {
                    scan_configuration_arn: item.scan_configuration_arn.clone(),
                    resource,
                }),
                ItemResult::Failed {
                    code,
                    message,
                    unfinished,
                    ..
                } => outcome.failed_associations.push(FailedAssociation {
                    scan_configuration_arn: item.scan_configuration_arn.clone(),
                    resource,
                    status_code: code,
                    status_message: message,
                    retryable: unfinished,
                }),
            }
        }
    }
    ConfigurationOutcome {
        direction,
        batch: outcome,
    }
}

/// One chunk: a call (unless the deadline is near), then further calls
/// for the items the service failed transiently, with doubling backoff.
/// One result per input item, in order.
async fn with_retries(
    api: &impl BatchApi,
    settings: &BatchSettings,
    direction: Direction,
    chunk: &[ConfigurationItem],
    deadline: Deadline,
) -> Vec<ItemResult> {
    let resend = Resend {
        calls: settings.item_retry_rounds.saturating_add(1),
        backoff: settings.item_retry_backoff,
    };
    let results = resend_unsettled(
        chunk.len(),
        resend,
        deadline,
        ItemResult::transient,
        |attempt, indices| async move {
            let items: Vec<ConfigurationItem> = indices.iter().map(|i| chunk[*i].clone()).collect();
            if attempt > 1 {
                tracing::info!(
                    operation = direction.name(),
                    items = items.len(),
                    "retrying items the service failed with INTERNAL_ERROR"
                );
            }
            call(api, direction, &items).await
        },
    )
    .await;
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(ItemResult::not_attempted))
        .collect()
}

/// One service call; one result per input item, in order, whatever the
/// service reported: an item reported twice, or one never sent, is logged
/// and ignored; an item not reported is a transient failure.
async fn call(
    api: &impl BatchApi,
    direction: Direction,
    chunk: &[ConfigurationItem],
) -> Vec<ItemResult> {
    let reported = match api.batch_call(direction, chunk).await {
        Ok(reported) => reported,
        Err(e) => {
            tracing::warn!(
                operation = direction.name(),
                code = e.code(),
                items = chunk.len(),
                "batch call failed; reporting its items failed"
            );
            return vec![ItemResult::from_call_error(&e); chunk.len()];
        }
    };
    let mut index: HashMap<(&str, &str), usize> = chunk
        .iter()
        .enumerate()
        .map(|(i, it)| {
            (
                (it.scan_configuration_arn.as_str(), it.project_id.as_str()),
                i,
            )
        })
        .collect();
    let mut results: Vec<Option<ItemResult>> = vec![None; chunk.len()];
    for r in &reported {
        // Remove on first sight: never counted twice.
        match index.remove(&(r.scan_configuration_arn.as_str(), r.project_id.as_str())) {
            Some(i) => results[i] = Some(r.result.clone()),
            None => tracing::warn!(
                scan_configuration_arn = r.scan_configuration_arn.as_str(),
                project_id = r.project_id.as_str(),
                "service reported an item that was not pending in this call; ignored"
            ),
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(ItemResult::not_reported))
        .collect()
}

/// The live service: the inspector2 client, through the pacer.
pub struct Live<'a> {
    pub clients: &'a Clients,
    pub deadline: Deadline,
}

/// One call in one direction: the SDK's request type, operation and setter
/// differ by direction; the request, the pacing and the answer's shape do not.
macro_rules! batch_call {
    ($live:expr, $op:expr, $chunk:expr, $request:ident, $call:ident, $set:ident) => {{
        let requests: Vec<$request> = $chunk
            .iter()
            .map(|i| {
                $request::builder()
                    .scan_configuration_arn(&i.scan_configuration_arn)
                    .resource(CodeSecurityResource::ProjectId(i.project_id.clone()))
                    .build()
                    .expect("both required members are set")
            })
            .collect();
        let out = $live
            .clients
            .paced($op, $live.deadline, || async {
                $live
                    .clients
                    .v2
                    .$call()
                    .$set(Some(requests.clone()))
                    .send()
                    .await
                    .map_err(|e| aws_error($op, e))
            })
            .await?;
        reported(out.successful_associations(), out.failed_associations())
    }};
}

impl BatchApi for Live<'_> {
    async fn batch_call(
        &self,
        direction: Direction,
        chunk: &[ConfigurationItem],
    ) -> Result<Vec<Reported>, Error> {
        let op = direction.operation();
        Ok(match direction {
            Direction::Associate => batch_call!(
                self,
                op,
                chunk,
                AssociateConfigurationRequest,
                batch_associate_code_security_scan_configuration,
                set_associate_configuration_requests
            ),
            Direction::Disassociate => batch_call!(
                self,
                op,
                chunk,
                DisassociateConfigurationRequest,
                batch_disassociate_code_security_scan_configuration,
                set_disassociate_configuration_requests
            ),
        })
    }
}

/// Both directions answer in one shape: successful and failed associations.
fn reported(
    ok: &[SuccessfulAssociationResult],
    failed: &[FailedAssociationResult],
) -> Vec<Reported> {
    fn project(r: Option<&CodeSecurityResource>) -> String {
        r.and_then(|r| r.as_project_id().ok())
            .cloned()
            .unwrap_or_default()
    }
    let ok = ok.iter().map(|s| Reported {
        scan_configuration_arn: s.scan_configuration_arn().unwrap_or_default().to_string(),
        project_id: project(s.resource()),
        result: ItemResult::Ok,
    });
    let failed = failed.iter().map(|f| {
        let code = f
            .status_code()
            .map(|c| c.as_str().to_string())
            .unwrap_or_else(|| "INTERNAL_ERROR".to_string());
        Reported {
            scan_configuration_arn: f.scan_configuration_arn().unwrap_or_default().to_string(),
            project_id: project(f.resource()),
            result: ItemResult::Failed {
                retry: code == "INTERNAL_ERROR",
                unfinished: code == "INTERNAL_ERROR",
                code,
                message: f.status_message().unwrap_or_default().to_string(),
            },
        }
    });
    ok.chain(failed).collect()
}

#[cfg(test)]
mod tests;
