//! What an outcome leaves to do (moved from the unit tests: public behaviour).

use inspector_scan_router::domain::{
    Action, AwsError, AwsErrorKind, BatchOutcome, ConfigurationChange, ConfigurationItem,
    ConfigurationOutcome, Direction, Error, FailedAssociation, FanOutItem, Outcome, Resource,
    RunStarted, ScanStarted, ScanTarget, StartRun, StartScan, SuccessfulAssociation,
};
use inspector_scan_router::queue::Split;

const ARN: &str = "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/codesecurity-configuration/7c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f";

fn item(i: usize) -> ConfigurationItem {
    ConfigurationItem {
        scan_configuration_arn: ARN.into(),
        project_id: format!("project-{i}"),
    }
}

fn failed(i: usize, code: &str, retryable: bool) -> FailedAssociation {
    FailedAssociation {
        scan_configuration_arn: ARN.into(),
        resource: Resource {
            project_id: format!("project-{i}"),
        },
        status_code: code.into(),
        status_message: "m".into(),
        retryable,
    }
}

fn throttled() -> Error {
    Error::Aws(AwsError {
        operation: "inspector2:StartCodeSecurityScan",
        code: "ThrottlingException".into(),
        message: "slow down".into(),
        kind: AwsErrorKind::Throttled,
        retry_after: None,
    })
}

#[test]
fn configuration_batches_keep_failures_for_good_and_leave_the_retryable() {
    for direction in Direction::ALL {
        let action = Action::Configurations(ConfigurationChange {
            direction,
            items: (0..4).map(item).collect(),
        });
        let outcome = Outcome::Configured(ConfigurationOutcome {
            direction,
            batch: BatchOutcome {
                successful_associations: vec![SuccessfulAssociation {
                    scan_configuration_arn: ARN.into(),
                    resource: Resource {
                        project_id: "project-0".into(),
                    },
                }],
                failed_associations: vec![
                    failed(1, "ACCESS_DENIED", false),
                    failed(2, "INTERNAL_ERROR", true),
                    failed(3, "INTERNAL_ERROR", true),
                ],
            },
        });
        let split = Split::of(&action, outcome);
        let Outcome::Configured(done) = &split.finished else {
            panic!("{split:?}")
        };
        assert_eq!(done.direction, direction);
        assert_eq!(done.batch.successful_associations.len(), 1);
        assert_eq!(
            done.batch.failed_associations,
            [failed(1, "ACCESS_DENIED", false)]
        );
        let rest = split.rest.as_ref().expect("two left");
        assert_eq!(
            rest.action,
            Action::Configurations(ConfigurationChange {
                direction,
                items: vec![item(2), item(3)]
            }),
            "the rest keeps the batch's direction"
        );
        assert_eq!(split.unfinished_items(), 2);
        assert_eq!(rest.results.failed_items(), 2);
    }
}

#[test]
fn fan_outs_leave_their_retryable_items_with_their_tokens() {
    let scans: Vec<StartScan> = (0..3)
        .map(|i| StartScan {
            target: ScanTarget::ProjectId(format!("project-{i}")),
            client_token: Some(format!("token-{i}")),
        })
        .collect();
    let action = Action::StartCodeSecurityScans(scans.clone());
    let key = |i: usize| ("projectId", format!("project-{i}"));
    let outcome = Outcome::Scans(vec![
        FanOutItem {
            key: key(0),
            result: Err(throttled()),
        },
        FanOutItem {
            key: key(1),
            result: Ok(ScanStarted {
                repository: None,
                project_id: "project-1".into(),
                scan_id: "s".into(),
                status: "IN_PROGRESS".into(),
            }),
        },
        FanOutItem {
            key: key(2),
            result: Err(Error::invalid_field("x", "permanent")),
        },
    ]);
    let split = Split::of(&action, outcome);
    let rest = split.rest.expect("one left");
    assert_eq!(
        rest.action,
        Action::StartCodeSecurityScans(vec![scans[0].clone()])
    );
    assert_eq!(rest.results.fan_out_failures(), Some((1, 1, true)));
    assert_eq!(split.finished.fan_out_failures(), Some((1, 2, false)));

    let runs = vec![StartRun {
        assessment_template_arn: "arn:aws:inspector:t".into(),
        assessment_run_name: Some("inspector-scan-router-x".into()),
    }];
    let action = Action::StartAssessmentRuns(runs);
    let ok = Outcome::Runs(vec![FanOutItem {
        key: ("assessmentTemplateArn", "arn:aws:inspector:t".into()),
        result: Ok(RunStarted {
            assessment_run_arn: "arn:aws:inspector:t/run/1".into(),
            already_started: false,
        }),
    }]);
    assert_eq!(Split::of(&action, ok).rest, None);
}

#[test]
fn deferred_leaves_everything_and_singles_are_never_split() {
    let action = Action::Configurations(ConfigurationChange {
        direction: Direction::ALL[0],
        items: (0..30).map(item).collect(),
    });
    let split = Split::deferred(&action).expect("a fan-out");
    assert_eq!(split.unfinished_items(), 30);
    assert_eq!(split.finished.failed_items(), 0);
    let single = Action::StartCodeSecurityScan(StartScan {
        target: ScanTarget::ProjectId("project-1".into()),
        client_token: None,
    });
    assert!(Split::deferred(&single).is_none());
    assert!(!single.is_fan_out());
    assert_eq!(single.items(), 1);
    let planned = Split::of(&action, Outcome::DryRun(Vec::new()));
    assert_eq!(planned.rest, None, "a dry run leaves nothing to do");
}
