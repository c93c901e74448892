//! Execute: run an [`Action`] through the AWS SDK clients (or plan it, in dry
//! run), and map SDK errors onto [`Error`].

use crate::error::{AwsError, AwsErrorKind, Error};
use crate::model::{
    Action, DISASSOCIATE_BATCH_LIMIT, Disassociate, DisassociateItem, GetScan, Operation,
    ScanTarget, Skip, StartRun, StartScan,
};
use crate::resolve::Resolver;
use aws_sdk_inspector2::types::{CodeSecurityResource, DisassociateConfigurationRequest};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

type SdkError<E> =
    aws_sdk_inspector2::error::SdkError<E, aws_sdk_inspector2::config::http::HttpResponse>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    pub project_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanStarted {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    pub project_id: String,
    pub scan_id: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanDetails {
    pub project_id: String,
    pub scan_id: String,
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_commit_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SuccessfulAssociation {
    pub scan_configuration_arn: String,
    pub resource: Resource,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedAssociation {
    pub scan_configuration_arn: String,
    pub resource: Resource,
    pub status_code: String,
    pub status_message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BatchOutcome {
    pub successful_associations: Vec<SuccessfulAssociation>,
    pub failed_associations: Vec<FailedAssociation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunStarted {
    pub assessment_run_arn: String,
    /// The run named in the request existed already (a redelivered event):
    /// this is the first delivery's run, not a new one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub already_started: bool,
}

/// One item of a fan-out: what was asked, and its result or error.
#[derive(Debug, Clone, PartialEq)]
pub struct FanOutItem<T> {
    /// `("projectId" | "repository" | "assessmentTemplateArn", value)`
    pub key: (&'static str, String),
    pub result: Result<T, Error>,
}

impl<T: Serialize> FanOutItem<T> {
    fn to_json(&self) -> Value {
        let mut v = match &self.result {
            Ok(r) => serde_json::to_value(r).unwrap_or(Value::Null),
            Err(e) => e.to_body(),
        };
        if let Value::Object(m) = &mut v {
            m.entry(self.key.0)
                .or_insert_with(|| self.key.1.clone().into());
        }
        v
    }
}

/// One AWS call a dry run would have made, with its input in AWS's JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedCall {
    pub service: &'static str,
    pub operation: &'static str,
    pub input: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    ScanStarted(ScanStarted),
    Scan(ScanDetails),
    Disassociated(BatchOutcome),
    RunStarted(RunStarted),
    Scans(Vec<FanOutItem<ScanStarted>>),
    Runs(Vec<FanOutItem<RunStarted>>),
    Skipped(Skip),
    DryRun(Vec<PlannedCall>),
}

impl Outcome {
    pub fn to_json(&self) -> Value {
        let v = match self {
            Outcome::ScanStarted(s) => serde_json::to_value(s),
            Outcome::Scan(s) => serde_json::to_value(s),
            Outcome::Disassociated(b) => serde_json::to_value(b),
            Outcome::RunStarted(r) => serde_json::to_value(r),
            Outcome::Scans(items) => {
                Ok(json!({"scans": items.iter().map(FanOutItem::to_json).collect::<Vec<_>>()}))
            }
            Outcome::Runs(items) => Ok(
                json!({"assessmentRuns": items.iter().map(FanOutItem::to_json).collect::<Vec<_>>()}),
            ),
            Outcome::Skipped(s) => Ok(json!({
                "skipped": true, "reason": s.reason, "repository": s.repository, "ref": s.git_ref
            })),
            Outcome::DryRun(calls) => Ok(json!({"dryRun": true, "calls": calls})),
        };
        v.unwrap_or(Value::Null)
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

fn call(op: Operation, input: Value) -> PlannedCall {
    PlannedCall {
        service: op.iam_action().split(':').next().unwrap_or_default(),
        operation: op.name(),
        input,
    }
}

fn plan_scan(s: &StartScan, resolver: &Resolver) -> Vec<PlannedCall> {
    let mut calls = Vec::new();
    let project = match &s.target {
        ScanTarget::ProjectId(p) => p.clone(),
        ScanTarget::Repository(r) => match resolver.from_map(r) {
            Some(p) => p,
            None => {
                calls.push(call(
                    Operation::ListCoverage,
                    Resolver::list_coverage_input(r),
                ));
                format!("<projectId of {r}>")
            }
        },
    };
    let mut input = json!({"resource": {"projectId": project}});
    if let Some(t) = &s.client_token {
        input["clientToken"] = t.clone().into();
    }
    calls.push(call(Operation::StartCodeSecurityScan, input));
    calls
}

fn plan_run(r: &StartRun) -> PlannedCall {
    let mut input = json!({"assessmentTemplateArn": r.assessment_template_arn});
    if let Some(n) = &r.assessment_run_name {
        input["assessmentRunName"] = n.clone().into();
    }
    call(Operation::StartAssessmentRun, input)
}

/// The calls an action makes, in order. Disassociation is split into calls
/// of at most [`DISASSOCIATE_BATCH_LIMIT`] items; a repository the project
/// map does not name is looked up with ListCoverage first.
pub fn plan(action: &Action, resolver: &Resolver) -> Vec<PlannedCall> {
    match action {
        Action::StartCodeSecurityScan(s) => plan_scan(s, resolver),
        Action::StartCodeSecurityScans(scans) => {
            scans.iter().flat_map(|s| plan_scan(s, resolver)).collect()
        }
        Action::StartAssessmentRuns(runs) => runs.iter().map(plan_run).collect(),
        Action::Skip(_) => Vec::new(),
        Action::GetCodeSecurityScan(g) => vec![call(
            Operation::GetCodeSecurityScan,
            json!({"resource": {"projectId": g.project_id}, "scanId": g.scan_id}),
        )],
        Action::BatchDisassociate(d) => d
            .items
            .chunks(DISASSOCIATE_BATCH_LIMIT)
            .map(|chunk| {
                let requests: Vec<Value> = chunk
                    .iter()
                    .map(|i| json!({"scanConfigurationArn": i.scan_configuration_arn, "resource": {"projectId": i.project_id}}))
                    .collect();
                call(
                    Operation::BatchDisassociateCodeSecurityScanConfiguration,
                    json!({"disassociateConfigurationRequests": requests}),
                )
            })
            .collect(),
        Action::StartAssessmentRun(r) => vec![plan_run(r)],
    }
}

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
fn kind_for(code: &str, status: u16) -> AwsErrorKind {
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

/// Times an AWS call (all its attempts) into the latency metric.
pub(crate) trait Timed: std::future::Future + Sized {
    async fn timed(self, op: Operation) -> Self::Output {
        let started = Instant::now();
        let out = self.await;
        crate::telemetry::aws_call(op, started.elapsed());
        out
    }
}

impl<F: std::future::Future> Timed for F {}

/// When the invocation must have answered by, and how much time a call
/// needs: no call starts when less than `margin` is left.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub at: Option<Instant>,
    pub margin: Duration,
}

impl Deadline {
    pub const NONE: Deadline = Deadline {
        at: None,
        margin: Duration::ZERO,
    };

    /// Is there time to start another call?
    pub fn allows_call(&self) -> bool {
        self.at
            .is_none_or(|at| at.saturating_duration_since(Instant::now()) > self.margin)
    }
}

/// The live adapter over the SDK clients. Built once per cold start.
#[derive(Debug, Clone)]
pub struct Inspector {
    pub(crate) v2: aws_sdk_inspector2::Client,
    pub(crate) classic: aws_sdk_inspector::Client,
    /// Calls in flight at once for disassociation batches and fan-outs.
    concurrency: usize,
    item_retry_rounds: u32,
    item_retry_backoff: Duration,
    resolver: std::sync::Arc<Resolver>,
}

impl Inspector {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        settings: &crate::config::Settings,
        resolver: Resolver,
    ) -> Self {
        let v2 = aws_sdk_inspector2::config::Builder::from(sdk)
            .retry_classifier(crate::sdk::RetryAfterHeader)
            .build();
        let classic = aws_sdk_inspector::config::Builder::from(sdk)
            .retry_classifier(crate::sdk::RetryAfterHeader)
            .build();
        Self {
            v2: aws_sdk_inspector2::Client::from_conf(v2),
            classic: aws_sdk_inspector::Client::from_conf(classic),
            concurrency: settings.batch_concurrency.max(1),
            item_retry_rounds: settings.item_retry_rounds,
            item_retry_backoff: settings.item_retry_backoff,
            resolver: std::sync::Arc::new(resolver),
        }
    }

    pub async fn execute(&self, action: &Action, deadline: Deadline) -> Result<Outcome, Error> {
        let not_attempted = |op: Operation| Error::NotAttempted {
            operation: op.iam_action(),
        };
        match action {
            Action::StartCodeSecurityScan(s) => self.start_scan(s).await.map(Outcome::ScanStarted),
            Action::StartCodeSecurityScans(scans) => {
                let items = futures::stream::iter(scans)
                    .map(|s| async move {
                        let key = match &s.target {
                            ScanTarget::ProjectId(p) => ("projectId", p.clone()),
                            ScanTarget::Repository(r) => ("repository", r.clone()),
                        };
                        let result = if deadline.allows_call() {
                            self.start_scan(s).await
                        } else {
                            Err(not_attempted(Operation::StartCodeSecurityScan))
                        };
                        FanOutItem { key, result }
                    })
                    .buffered(self.concurrency)
                    .collect()
                    .await;
                Ok(Outcome::Scans(items))
            }
            Action::GetCodeSecurityScan(g) => self.get_scan(g).await.map(Outcome::Scan),
            Action::BatchDisassociate(d) => {
                Ok(Outcome::Disassociated(self.disassociate(d, deadline).await))
            }
            Action::StartAssessmentRun(r) => self.start_run(r).await.map(Outcome::RunStarted),
            Action::StartAssessmentRuns(runs) => {
                let items = futures::stream::iter(runs)
                    .map(|r| async move {
                        let result = if deadline.allows_call() {
                            self.start_run(r).await
                        } else {
                            Err(not_attempted(Operation::StartAssessmentRun))
                        };
                        FanOutItem {
                            key: ("assessmentTemplateArn", r.assessment_template_arn.clone()),
                            result,
                        }
                    })
                    .buffered(self.concurrency)
                    .collect()
                    .await;
                Ok(Outcome::Runs(items))
            }
            Action::Skip(skip) => Ok(Outcome::Skipped(skip.clone())),
        }
    }

    async fn start_scan(&self, s: &StartScan) -> Result<ScanStarted, Error> {
        let (repository, project_id) = match &s.target {
            ScanTarget::ProjectId(p) => (None, p.clone()),
            ScanTarget::Repository(r) => {
                (Some(r.clone()), self.resolver.resolve(&self.v2, r).await?)
            }
        };
        let out = self
            .v2
            .start_code_security_scan()
            .resource(CodeSecurityResource::ProjectId(project_id.clone()))
            .set_client_token(s.client_token.clone())
            .send()
            .timed(Operation::StartCodeSecurityScan)
            .await
            .map_err(|e| aws_error(Operation::StartCodeSecurityScan, e))?;
        Ok(ScanStarted {
            repository,
            project_id,
            scan_id: out.scan_id().unwrap_or_default().to_string(),
            status: out
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
        })
    }

    async fn get_scan(&self, g: &GetScan) -> Result<ScanDetails, Error> {
        let out = self
            .v2
            .get_code_security_scan()
            .resource(CodeSecurityResource::ProjectId(g.project_id.clone()))
            .scan_id(&g.scan_id)
            .send()
            .timed(Operation::GetCodeSecurityScan)
            .await
            .map_err(|e| aws_error(Operation::GetCodeSecurityScan, e))?;
        let time =
            |t: Option<&aws_smithy_types::DateTime>| t.and_then(|t| t.fmt(Format::DateTime).ok());
        Ok(ScanDetails {
            project_id: g.project_id.clone(),
            scan_id: out.scan_id().unwrap_or(&g.scan_id).to_string(),
            status: out.status().map(|s| s.as_str().to_string()),
            status_reason: out.status_reason().map(str::to_string),
            account_id: out.account_id().map(str::to_string),
            created_at: time(out.created_at()),
            updated_at: time(out.updated_at()),
            last_commit_id: out.last_commit_id().map(str::to_string),
        })
    }

    /// Start a run. When a named run is refused (the name is taken, or the
    /// template's agents are busy with it), a redelivery is the likely cause:
    /// look the run up by name and return it instead of failing.
    async fn start_run(&self, r: &StartRun) -> Result<RunStarted, Error> {
        let started = self
            .classic
            .start_assessment_run()
            .assessment_template_arn(&r.assessment_template_arn)
            .set_assessment_run_name(r.assessment_run_name.clone())
            .send()
            .timed(Operation::StartAssessmentRun)
            .await;
        let err = match started {
            Ok(out) => {
                return Ok(RunStarted {
                    assessment_run_arn: out.assessment_run_arn().to_string(),
                    already_started: false,
                });
            }
            Err(e) => aws_error(Operation::StartAssessmentRun, e),
        };
        let refused = matches!(&err, Error::Aws(a) if matches!(a.kind, AwsErrorKind::InvalidInput | AwsErrorKind::Conflict));
        let Some(name) = r.assessment_run_name.as_deref().filter(|_| refused) else {
            return Err(err);
        };
        match self.find_run(&r.assessment_template_arn, name).await? {
            Some(arn) => {
                tracing::info!(assessment_run_name = name, assessment_run_arn = %arn, "run already started by an earlier delivery");
                Ok(RunStarted {
                    assessment_run_arn: arn,
                    already_started: true,
                })
            }
            None => Err(err),
        }
    }

    async fn find_run(&self, template: &str, name: &str) -> Result<Option<String>, Error> {
        let out = self
            .classic
            .list_assessment_runs()
            .assessment_template_arns(template)
            .filter(
                aws_sdk_inspector::types::AssessmentRunFilter::builder()
                    .name_pattern(name)
                    .build(),
            )
            .send()
            .timed(Operation::ListAssessmentRuns)
            .await
            .map_err(|e| aws_error(Operation::ListAssessmentRuns, e))?;
        Ok(out.assessment_run_arns().first().cloned())
    }

    /// Split into calls of at most 25, run up to `batch_concurrency` at once,
    /// and account for every item exactly once, in input order.
    async fn disassociate(&self, d: &Disassociate, deadline: Deadline) -> BatchOutcome {
        let chunks = d.items.chunks(DISASSOCIATE_BATCH_LIMIT);
        let results: Vec<Vec<ItemResult>> = futures::stream::iter(chunks)
            .map(|chunk| self.disassociate_with_retries(chunk, deadline))
            .buffered(self.concurrency)
            .collect()
            .await;
        let mut outcome = BatchOutcome::default();
        for (item, result) in d.items.iter().zip(results.into_iter().flatten()) {
            let resource = Resource {
                project_id: item.project_id.clone(),
            };
            match result {
                ItemResult::Ok => outcome.successful_associations.push(SuccessfulAssociation {
                    scan_configuration_arn: item.scan_configuration_arn.clone(),
                    resource,
                }),
                ItemResult::Failed { code, message, .. } => {
                    outcome.failed_associations.push(FailedAssociation {
                        scan_configuration_arn: item.scan_configuration_arn.clone(),
                        resource,
                        status_code: code,
                        status_message: message,
                    })
                }
            }
        }
        outcome
    }

    /// One chunk: a call (unless the deadline is near), then further calls
    /// for the items the service failed transiently, with doubling backoff.
    /// One result per input item, in order.
    async fn disassociate_with_retries(
        &self,
        chunk: &[DisassociateItem],
        deadline: Deadline,
    ) -> Vec<ItemResult> {
        if !deadline.allows_call() {
            return vec![ItemResult::not_attempted(); chunk.len()];
        }
        let mut results = self.disassociate_chunk(chunk).await;
        let mut backoff = self.item_retry_backoff;
        for _ in 0..self.item_retry_rounds {
            let again: Vec<usize> = (0..chunk.len())
                .filter(|i| results[*i].transient())
                .collect();
            if again.is_empty() {
                break;
            }
            tokio::time::sleep(backoff).await;
            backoff *= 2;
            if !deadline.allows_call() {
                break;
            }
            let items: Vec<DisassociateItem> = again.iter().map(|i| chunk[*i].clone()).collect();
            tracing::info!(
                items = items.len(),
                "retrying disassociation items the service failed with INTERNAL_ERROR"
            );
            for (i, result) in again.into_iter().zip(self.disassociate_chunk(&items).await) {
                results[i] = result;
            }
        }
        results
    }

    /// One service call; returns one result per input item, in order.
    async fn disassociate_chunk(&self, chunk: &[DisassociateItem]) -> Vec<ItemResult> {
        let requests = chunk
            .iter()
            .map(|i| {
                DisassociateConfigurationRequest::builder()
                    .scan_configuration_arn(&i.scan_configuration_arn)
                    .resource(CodeSecurityResource::ProjectId(i.project_id.clone()))
                    .build()
                    .expect("both required members are set")
            })
            .collect();
        let op = Operation::BatchDisassociateCodeSecurityScanConfiguration;
        let out = match self
            .v2
            .batch_disassociate_code_security_scan_configuration()
            .set_disassociate_configuration_requests(Some(requests))
            .send()
            .timed(Operation::BatchDisassociateCodeSecurityScanConfiguration)
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = aws_error(op, e);
                tracing::warn!(
                    code = e.code(),
                    items = chunk.len(),
                    "disassociation call failed; reporting its items failed"
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
        fn project(r: Option<&CodeSecurityResource>) -> &str {
            r.and_then(|r| r.as_project_id().ok())
                .map(String::as_str)
                .unwrap_or_default()
        }
        let reported = out
            .successful_associations()
            .iter()
            .map(|s| {
                (
                    s.scan_configuration_arn().unwrap_or_default(),
                    project(s.resource()),
                    ItemResult::Ok,
                )
            })
            .chain(out.failed_associations().iter().map(|f| {
                (
                    f.scan_configuration_arn().unwrap_or_default(),
                    project(f.resource()),
                    {
                        let code = f
                            .status_code()
                            .map(|c| c.as_str().to_string())
                            .unwrap_or_else(|| "INTERNAL_ERROR".to_string());
                        ItemResult::Failed {
                            retry: code == "INTERNAL_ERROR",
                            code,
                            message: f.status_message().unwrap_or_default().to_string(),
                        }
                    },
                )
            }));
        for (arn, project_id, result) in reported {
            // Remove on first sight: an item the service reports twice, or one
            // we never sent, is logged and ignored, never counted twice.
            match index.remove(&(arn, project_id)) {
                Some(i) => results[i] = Some(result),
                None => tracing::warn!(
                    scan_configuration_arn = arn,
                    project_id,
                    "service reported an item that was not pending in this call; ignored"
                ),
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or(ItemResult::Failed {
                    code: "INTERNAL_ERROR".to_string(),
                    message: "the service did not report a result for this item".to_string(),
                    retry: true,
                })
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ItemResult {
    Ok,
    /// `retry`: the failure may pass if the item is sent again (the
    /// service's INTERNAL_ERROR, or no answer for the item). A call that
    /// failed as a whole was already retried by the SDK.
    Failed {
        code: String,
        message: String,
        retry: bool,
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
        }
    }
}

/// Live calls, or a dry run that validates and plans without calling AWS.
#[derive(Debug, Clone)]
pub enum Executor {
    Live(Inspector),
    DryRun(Resolver),
}

impl Executor {
    pub async fn execute(&self, action: &Action, deadline: Deadline) -> Result<Outcome, Error> {
        match (self, action) {
            (_, Action::Skip(skip)) => Ok(Outcome::Skipped(skip.clone())),
            (Executor::Live(inspector), _) => inspector.execute(action, deadline).await,
            (Executor::DryRun(resolver), _) => Ok(Outcome::DryRun(plan(action, resolver))),
        }
    }

    /// Opens the connections `PRECONNECT` names (live only; a dry run has none).
    pub async fn preconnect(
        &self,
        services: &[crate::preconnect::Service],
        budget: Duration,
    ) -> Vec<crate::preconnect::Opened> {
        match self {
            Executor::Live(inspector) if !services.is_empty() => {
                inspector.preconnect(services, budget).await
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_splits_disassociation_into_calls_of_25() {
        let items = (0..60)
            .map(|i| DisassociateItem {
                scan_configuration_arn: format!("arn-{i}"),
                project_id: format!("p-{i}"),
            })
            .collect();
        let resolver = Resolver::new(HashMap::new(), Duration::ZERO, 0);
        let calls = plan(
            &Action::BatchDisassociate(Disassociate { items }),
            &resolver,
        );
        let sizes: Vec<usize> = calls
            .iter()
            .map(|c| {
                c.input["disassociateConfigurationRequests"]
                    .as_array()
                    .unwrap()
                    .len()
            })
            .collect();
        assert_eq!(sizes, [25, 25, 10]);
        assert_eq!(
            calls[2].input["disassociateConfigurationRequests"][9]["resource"]["projectId"],
            "p-59"
        );
        assert_eq!(calls[0].service, "inspector2");
    }

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
