//! StartAssessmentRun (Inspector Classic), and everything particular to
//! it: the run and its answer, the request shape and its validation, the
//! switch (Classic reached end of support on 2026-05-20, so it is off unless
//! a deployment says otherwise), the route, what a dry run plans, the
//! work-queue body and the metric. The SDK call is `inspector::runs`.

use super::error::{Error, FieldError, MAX_SHOWN, bounded};
use super::switch::Switch;
use super::validate::{check_len, finish, non_null};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Inspector Classic's end of support, as the refusals and README say it.
pub const CLASSIC_END_OF_SUPPORT: &str = "2026-05-20";

/// `CLASSIC_ENABLED`: Inspector Classic assessment runs.
pub const CLASSIC: Switch = Switch {
    setting: "CLASSIC_ENABLED",
    parameter: "EnableClassic",
    what: "Inspector Classic assessment runs",
    note: "Classic reached end of support on 2026-05-20",
};

/// The HTTP route (`POST`) and the JWT scope it needs.
pub const PATH: &str = "/assessment-runs";
pub const SCOPE: &str = "assessments.start";

/// Runs started (a run found already started is not counted).
pub const RUNS_STARTED: &str = "AssessmentRunsStarted";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartRun {
    pub assessment_template_arn: String,
    pub assessment_run_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct RunStarted {
    pub assessment_run_arn: String,
    /// The run named in the request existed already (a redelivered event):
    /// this is the first delivery's run, not a new one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub already_started: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct StartRunInput {
    #[serde(default, deserialize_with = "non_null")]
    pub assessment_template_arn: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub assessment_run_name: Option<String>,
    /// The caller's own key for the work (`idempotencyKey`).
    #[serde(default, deserialize_with = "non_null")]
    pub idempotency_key: Option<String>,
}

impl StartRunInput {
    pub fn validate(self) -> Result<StartRun, Error> {
        let mut errors = Vec::new();
        let arn = match self.assessment_template_arn {
            None => {
                errors.push(FieldError::new("assessmentTemplateArn", "is required"));
                String::new()
            }
            Some(a) => {
                if check_len("assessmentTemplateArn", &a, 300, &mut errors)
                    && !a.starts_with("arn:")
                {
                    errors.push(FieldError::new(
                        "assessmentTemplateArn",
                        format!("\"{}\" is not an ARN", bounded(&a, MAX_SHOWN)),
                    ));
                }
                a
            }
        };
        if let Some(name) = &self.assessment_run_name
            && check_len("assessmentRunName", name, 140, &mut errors)
            && name.contains(['*', '?'])
        {
            // The service's run look-up takes these as wildcards: a name with
            // them could find somebody else's run.
            errors.push(FieldError::new(
                "assessmentRunName",
                "must not contain * or ?",
            ));
        }
        finish(
            StartRun {
                assessment_template_arn: arn,
                assessment_run_name: self.assessment_run_name,
            },
            errors,
        )
    }
}

impl StartRun {
    /// The call's input (a dry run's plan), in AWS's shape.
    pub fn input(&self) -> Value {
        let mut input = json!({"assessmentTemplateArn": self.assessment_template_arn});
        if let Some(n) = &self.assessment_run_name {
            input["assessmentRunName"] = n.clone().into();
        }
        input
    }

    /// A work-queue body (a direct-invocation request) that starts this run,
    /// with its name, so a redelivery finds the run instead of starting one.
    pub fn message(&self, action: &str) -> Value {
        let mut body = self.input();
        body["action"] = action.into();
        body
    }
}

/// One run per template of a plain schedule rule (`ASSESSMENT_TEMPLATE_ARNS`),
/// each named from the event (`name`), so a redelivered tick starts none twice.
pub fn scheduled(templates: &[String], name: Option<String>) -> Result<Vec<StartRun>, Error> {
    if templates.is_empty() {
        return Err(Error::UnsupportedEvent {
            message:
                "a Scheduled Event arrived but ASSESSMENT_TEMPLATE_ARNS is empty: nothing to run"
                    .into(),
        });
    }
    Ok(templates
        .iter()
        .map(|arn| StartRun {
            assessment_template_arn: arn.clone(),
            assessment_run_name: name.clone(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_says_when_support_ended() {
        assert!(CLASSIC.note.contains(CLASSIC_END_OF_SUPPORT));
    }

    #[test]
    fn a_run_keeps_its_name_in_its_plan_and_its_message() {
        let run = StartRun {
            assessment_template_arn:
                "arn:aws:inspector:us-east-1:123456789012:target/0-a/template/0-b".into(),
            assessment_run_name: Some("weekly".into()),
        };
        assert_eq!(run.input()["assessmentRunName"], "weekly");
        let body = run.message("StartAssessmentRun");
        assert_eq!(body["action"], "StartAssessmentRun");
        assert_eq!(body["assessmentTemplateArn"], run.assessment_template_arn);
        assert!(scheduled(&[], None).is_err());
        let two = scheduled(&["a".into(), "b".into()], Some("n".into())).unwrap();
        assert_eq!(two.len(), 2);
        assert!(
            two.iter()
                .all(|r| r.assessment_run_name.as_deref() == Some("n"))
        );
    }
}
