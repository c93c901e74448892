//! Work-queue bodies: what a fan-out leaves to do, as messages, read back
//! as the same work (moved from the unit tests: public behaviour).

//! Queued work keeps the original event's tokens and run names: an action
//! routed from an event, written as messages, and each message routed back
//! (as the consumer does) gives the same scans, runs and items.

use inspector_scan_router::config::Limits;
use inspector_scan_router::domain::{Action, Direction, ScanTarget, StartRun, StartScan};
use inspector_scan_router::ingress::{decode, route};
use inspector_scan_router::queue::bodies::messages;
use inspector_scan_router::queue::message::{self as sqs, QueuedMessage};
use serde_json::{Value, json};

const ARN: &str = "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/codesecurity-configuration/7c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f";

fn project(i: usize) -> String {
    format!("project-0a1b2c3d-4e5f-6a7b-8c9d-{i:012x}")
}

fn routed(payload: Value, cfg: &Limits) -> Action {
    let at = inspector_scan_router::ingress::Invocation {
        request_id: "request-1",
        own_account: Some("123456789012"),
    };
    route(
        &decode(payload).unwrap(),
        cfg,
        &inspector_scan_router::config::Trust::default(),
        at,
    )
    .unwrap()
}

/// Each body routed as the consumer routes it, under its own message id.
fn round_trip(action: &Action, cfg: &Limits) -> Vec<Action> {
    messages(action)
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let m = QueuedMessage {
                message_id: format!("message-{i}"),
                body,
                receive_count: 1,
                ..QueuedMessage::default()
            };
            sqs::route(&m, cfg).unwrap_or_else(|e| panic!("{}: {e}", m.body))
        })
        .collect()
}

fn scans(actions: &[Action]) -> Vec<StartScan> {
    actions
        .iter()
        .flat_map(|a| match a {
            Action::StartCodeSecurityScans(v) => v.clone(),
            Action::StartCodeSecurityScan(s) => vec![s.clone()],
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn configuration_batches_go_in_messages_of_25_items_in_order() {
    let cfg = Limits::default();
    let items: Vec<Value> = (0..60)
        .map(|i| json!({"scanConfigurationArn": ARN, "resource": {"projectId": project(i)}}))
        .collect();
    for direction in Direction::ALL {
        let action = routed(
            json!({"action": direction.name(), direction.request_field(): items}),
            &cfg,
        );
        let back = round_trip(&action, &cfg);
        let sizes: Vec<usize> = back.iter().map(Action::items).collect();
        assert_eq!(sizes, [25, 25, 10]);
        let Action::Configurations(original) = &action else {
            panic!()
        };
        assert_eq!(original.direction, direction);
        let again: Vec<_> = back
            .iter()
            .flat_map(|a| match a {
                Action::Configurations(c) if c.direction == direction => c.items.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(again, original.items);
    }
}

#[test]
fn a_keyed_scan_fan_out_keeps_every_token() {
    let cfg = Limits::default();
    let ids: Vec<String> = (0..60).map(project).collect();
    let action = routed(
        json!({"action": "StartCodeSecurityScan", "projectIds": ids,
               "idempotencyKey": "deploy-1234"}),
        &cfg,
    );
    let back = round_trip(&action, &cfg);
    assert_eq!(back.len(), 3, "lists of 25, 25 and 10");
    let Action::StartCodeSecurityScans(original) = &action else {
        panic!()
    };
    assert_eq!(&scans(&back), original, "same targets, same tokens");
    assert!(original.iter().all(|s| s.client_token.is_some()));
}

#[test]
fn an_eventbridge_repository_fan_out_keeps_the_event_id_tokens() {
    let cfg = Limits::default();
    let event = json!({"version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "StartCodeSecurityScan", "source": "com.example.ci",
        "account": "123456789012", "time": "2026-11-21T03:00:00Z", "region": "us-east-1",
        "resources": [], "detail": {"repositories": ["octo/a", "octo/b", "c"]}});
    let action = routed(event, &cfg);
    let back = round_trip(&action, &cfg);
    assert_eq!(back.len(), 1);
    let Action::StartCodeSecurityScans(original) = &action else {
        panic!()
    };
    assert_eq!(&scans(&back), original);
}

#[test]
fn scans_without_a_derived_token_go_alone() {
    let cfg = Limits::default();
    // Tokens not derived by this function (none, or given as is): each
    // scan is its own message, with its own token or none.
    let action = Action::StartCodeSecurityScans(vec![
        StartScan {
            target: ScanTarget::ProjectId(project(1)),
            client_token: Some("deploy-1234".into()),
        },
        StartScan {
            target: ScanTarget::Repository("octo/a".into()),
            client_token: None,
        },
    ]);
    let bodies = messages(&action).unwrap();
    assert_eq!(bodies.len(), 2);
    let back = round_trip(&action, &cfg);
    let again = scans(&back);
    assert_eq!(again[0], action_scans(&action)[0], "its own token, as is");
    // No token: the consumer derives one from the message id, which every
    // redelivery of that message keeps.
    let m = QueuedMessage {
        message_id: "m-7".into(),
        body: bodies[1].clone(),
        receive_count: 3,
        ..QueuedMessage::default()
    };
    let first = scans(&[sqs::route(&m, &cfg).unwrap()]);
    let redelivered = scans(&[sqs::route(&m, &cfg).unwrap()]);
    assert!(first[0].client_token.is_some());
    assert_eq!(first, redelivered);
}

fn action_scans(action: &Action) -> Vec<StartScan> {
    scans(std::slice::from_ref(action))
}

#[test]
fn scheduled_runs_go_one_per_message_with_their_names() {
    let cfg = Limits {
        assessment_template_arns: vec![
            "arn:aws:inspector:us-east-1:123456789012:target/0-a/template/0-1".into(),
            "arn:aws:inspector:us-east-1:123456789012:target/0-a/template/0-2".into(),
        ],
        ..Limits::default()
    };
    let event = json!({"version": "0", "id": "e-1", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": "2026-11-22T03:00:00Z",
        "region": "us-east-1", "resources": [], "detail": {}});
    let action = routed(event, &cfg);
    let Action::StartAssessmentRuns(original) = &action else {
        panic!()
    };
    let back: Vec<StartRun> = round_trip(&action, &cfg)
        .into_iter()
        .map(|a| match a {
            Action::StartAssessmentRun(r) => r,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(&back, original, "same templates, same run names");
    assert!(original.iter().all(|r| r.assessment_run_name.is_some()));
}

#[test]
fn single_operations_are_not_queued() {
    let single = Action::StartCodeSecurityScan(StartScan {
        target: ScanTarget::ProjectId(project(1)),
        client_token: None,
    });
    assert_eq!(messages(&single).unwrap_err().code(), "InternalError");
}
