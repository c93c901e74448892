//! Outcomes: what an action came to, in AWS's own field names.

use super::assessment_run::RunStarted;
use super::configurations::ConfigurationOutcome;
use super::error::Error;
use super::operation::Operation;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ScanStarted {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    pub project_id: String,
    pub scan_id: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ScanDetails {
    pub project_id: String,
    pub scan_id: String,
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_commit_id: Option<String>,
    /// The project's active findings by severity, once the scan is
    /// `SUCCESSFUL` (`ListFindingAggregations`): filled in only by the
    /// findings action, never part of this (status) answer; the results
    /// event carries it.
    #[serde(skip)]
    pub findings: Option<Findings>,
}

/// A scan's findings: `GET /scans/{projectId}/{scanId}/findings` (scope
/// `findings.read`). `findings` once the scan is `SUCCESSFUL`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ScanFindings {
    pub project_id: String,
    pub scan_id: String,
    pub status: Option<String>,
    /// The project's active findings by severity, once the scan is `SUCCESSFUL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Findings>,
    /// The scan as read, for the results event (not part of the answer).
    #[serde(skip)]
    pub scan: ScanDetails,
}

/// A project's active findings by severity (`ListFindingAggregations`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Findings {
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub all: i64,
}

/// One item of a fan-out: what was asked, and its result or error.
#[derive(Debug, Clone, PartialEq)]
pub struct FanOutItem<T> {
    /// `("projectId" | "repository" | "assessmentTemplateArn", value)`
    pub key: (&'static str, String),
    pub result: Result<T, Error>,
}

/// One AWS call a dry run would have made, with its input in AWS's JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PlannedCall {
    pub service: &'static str,
    pub operation: &'static str,
    pub input: Value,
}

impl PlannedCall {
    /// A call of `op` with `input`.
    pub fn of(op: Operation, input: Value) -> Self {
        PlannedCall {
            service: op.iam_action().split(':').next().unwrap_or_default(),
            operation: op.name(),
            input,
        }
    }
}

/// Nothing to do (a push to another branch, a tag, a deletion): why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub reason: String,
    pub repository: Option<String>,
    pub git_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    ScanStarted(ScanStarted),
    Scan(ScanDetails),
    Findings(ScanFindings),
    Configured(ConfigurationOutcome),
    RunStarted(RunStarted),
    Scans(Vec<FanOutItem<ScanStarted>>),
    Runs(Vec<FanOutItem<RunStarted>>),
    Skipped(Skip),
    DryRun(Vec<PlannedCall>),
}

impl Outcome {
    /// Items of a fan-out or disassociation batch that failed.
    pub fn failed_items(&self) -> usize {
        match self {
            Outcome::Configured(c) => c.batch.failed_associations.len(),
            other => other.fan_out_failures().map_or(0, |f| f.0),
        }
    }

    /// Items of a fan-out that failed: `(failed, total, any retryable)`.
    pub fn fan_out_failures(&self) -> Option<(usize, usize, bool)> {
        fn count<T>(items: &[FanOutItem<T>]) -> (usize, usize, bool) {
            let failed: Vec<&Error> = items
                .iter()
                .filter_map(|i| i.result.as_ref().err())
                .collect();
            (
                failed.len(),
                items.len(),
                failed.iter().any(|e| e.retryable()),
            )
        }
        match self {
            Outcome::Scans(items) => Some(count(items)),
            Outcome::Runs(items) => Some(count(items)),
            _ => None,
        }
    }
}
