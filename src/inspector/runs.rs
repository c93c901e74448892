//! Inspector Classic assessment runs (Classic reached end of support on
//! 2026-05-20; kept working for those who still run it).

use super::client::{Clients, Timed};
use super::errors::aws_error;
use crate::domain::{AwsErrorKind, Error, Operation, RunStarted, StartRun};

/// Start a run. When a named run is refused (the name is taken, or the
/// template's agents are busy with it), a redelivery is the likely cause:
/// look the run up by name and return it instead of failing.
pub async fn start_run(clients: &Clients, r: &StartRun) -> Result<RunStarted, Error> {
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
    match find_run(clients, &r.assessment_template_arn, name).await? {
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

async fn find_run(clients: &Clients, template: &str, name: &str) -> Result<Option<String>, Error> {
    let out = clients
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
