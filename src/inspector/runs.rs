//! Inspector Classic assessment runs (Classic reached end of support on
//! 2026-05-20; kept working for those who still run it).

use super::client::{Clients, Timed};
use super::errors::aws_error;
use crate::domain::{AwsErrorKind, Deadline, Error, Operation, RunStarted, StartRun};

/// Start a run. When a named run is refused (the name is taken, or the
/// template's agents are busy with it), a redelivery is the likely cause:
/// look the run up by its exact name and return it instead of failing. If
/// the look-up finds nothing, fails, or the deadline leaves no time for it,
/// the original error stands.
pub async fn start_run(
    clients: &Clients,
    r: &StartRun,
    deadline: Deadline,
) -> Result<RunStarted, Error> {
    if !deadline.allows_call() {
        return Err(Error::NotAttempted {
            operation: Operation::StartAssessmentRun.iam_action(),
        });
    }
    let started = clients
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
    match find_run(clients, &r.assessment_template_arn, name, deadline).await {
        Ok(Some(arn)) => {
            tracing::info!(assessment_run_name = name, assessment_run_arn = %arn, "run already started by an earlier delivery");
            Ok(RunStarted {
                assessment_run_arn: arn,
                already_started: true,
            })
        }
        Ok(None) => Err(err),
        Err(lookup) => {
            tracing::warn!(
                code = lookup.code(),
                "run look-up failed; the start's own error stands"
            );
            Err(err)
        }
    }
}

/// The run of `template` named exactly `name`: every page of the runs the
/// name filter matches, then their names read back (the filter matches
/// patterns, so only an exact name counts).
async fn find_run(
    clients: &Clients,
    template: &str,
    name: &str,
    deadline: Deadline,
) -> Result<Option<String>, Error> {
    let not_attempted = |op: Operation| Error::NotAttempted {
        operation: op.iam_action(),
    };
    let filter = aws_sdk_inspector::types::AssessmentRunFilter::builder()
        .name_pattern(name)
        .build();
    let mut pages = clients
        .classic
        .list_assessment_runs()
        .assessment_template_arns(template)
        .filter(filter)
        .into_paginator()
        .send();
    let mut arns = Vec::new();
    loop {
        if !deadline.allows_call() {
            return Err(not_attempted(Operation::ListAssessmentRuns));
        }
        let Some(page) = pages.next().timed(Operation::ListAssessmentRuns).await else {
            break;
        };
        let page = page.map_err(|e| aws_error(Operation::ListAssessmentRuns, e))?;
        arns.extend(page.assessment_run_arns().iter().cloned());
    }
    // DescribeAssessmentRuns takes at most 10 ARNs a call.
    for chunk in arns.chunks(10) {
        if !deadline.allows_call() {
            return Err(not_attempted(Operation::DescribeAssessmentRuns));
        }
        let out = clients
            .classic
            .describe_assessment_runs()
            .set_assessment_run_arns(Some(chunk.to_vec()))
            .send()
            .timed(Operation::DescribeAssessmentRuns)
            .await
            .map_err(|e| aws_error(Operation::DescribeAssessmentRuns, e))?;
        if let Some(run) = out.assessment_runs().iter().find(|run| run.name() == name) {
            return Ok(Some(run.arn().to_string()));
        }
    }
    Ok(None)
}
