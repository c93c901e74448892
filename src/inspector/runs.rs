//! Inspector Classic assessment runs (Classic reached end of support on
//! 2026-05-20; kept working for those who still run it).

use super::client::Clients;
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
    let op = Operation::StartAssessmentRun;
    let started = clients
        .paced(op, deadline, || async {
            clients
                .classic
                .start_assessment_run()
                .assessment_template_arn(&r.assessment_template_arn)
                .set_assessment_run_name(r.assessment_run_name.clone())
                .send()
                .await
                .map_err(|e| aws_error(op, e))
        })
        .await;
    let err = match started {
        Ok(out) => {
            return Ok(RunStarted {
                assessment_run_arn: out.assessment_run_arn().to_string(),
                already_started: false,
            });
        }
        Err(e @ Error::NotAttempted { .. }) => return Err(e),
        Err(e) => e,
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
    let filter = aws_sdk_inspector::types::AssessmentRunFilter::builder()
        .name_pattern(name)
        .build();
    let mut arns = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let op = Operation::ListAssessmentRuns;
        let page = clients
            .paced(op, deadline, || async {
                clients
                    .classic
                    .list_assessment_runs()
                    .assessment_template_arns(template)
                    .filter(filter.clone())
                    .set_next_token(next_token.clone())
                    .send()
                    .await
                    .map_err(|e| aws_error(op, e))
            })
            .await?;
        arns.extend(page.assessment_run_arns().iter().cloned());
        next_token = page.next_token().map(str::to_string);
        if next_token.as_deref().is_none_or(str::is_empty) {
            break;
        }
    }
    // DescribeAssessmentRuns takes at most 10 ARNs a call.
    for chunk in arns.chunks(10) {
        let op = Operation::DescribeAssessmentRuns;
        let out = clients
            .paced(op, deadline, || async {
                clients
                    .classic
                    .describe_assessment_runs()
                    .set_assessment_run_arns(Some(chunk.to_vec()))
                    .send()
                    .await
                    .map_err(|e| aws_error(op, e))
            })
            .await?;
        if let Some(run) = out.assessment_runs().iter().find(|run| run.name() == name) {
            return Ok(Some(run.arn().to_string()));
        }
    }
    Ok(None)
}
