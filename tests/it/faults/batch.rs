//! BatchAssociate/BatchDisassociateCodeSecurityScanConfiguration: any number
//! of items, split into calls of 25, bounded concurrency, every item
//! answered exactly once, in either direction.

use crate::common;

use common::in_flight;
use common::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

fn http(file: &str, field: &str, n: usize) -> Value {
    let mut e = load_event(file);
    e["isBase64Encoded"] = false.into();
    e["body"] = json!({ field: disassociate_items(n) }).to_string().into();
    e
}

#[tokio::test]
async fn sixty_items_become_three_calls_and_all_come_back() {
    for (op, field, at, _) in DIRECTIONS {
        let server = Disassociation::default().serve_at(at).await;
        let app = live_app(&server).await;
        let r = app
            .handle(event(direct_batch(op, field, 60)))
            .await
            .unwrap();
        assert_eq!(r["action"], op);
        accounted(&r["result"], 60);
        assert_eq!(r["result"]["failedAssociations"], json!([]));
        // Input order is kept.
        assert_eq!(
            r["result"]["successfulAssociations"][59]["resource"]["projectId"],
            project(59)
        );

        let mut sizes: Vec<usize> = requests(&server)
            .await
            .iter()
            .map(|req| json_of(req)[field].as_array().unwrap().len())
            .collect();
        sizes.sort();
        assert_eq!(sizes, [10, 25, 25], "{op}");
    }
}

#[tokio::test]
async fn partial_failure_is_207_with_each_item_once() {
    for (op, field, at, file) in DIRECTIONS {
        let script = Disassociation {
            fail: HashMap::from([
                (project(3), "SCAN_CONFIGURATION_NOT_FOUND"),
                (project(30), "ACCESS_DENIED"),
            ]),
            omit: vec![project(7)],
            twice: vec![project(8), project(30)],
            ..Disassociation::default()
        };
        let server = script.serve_at(at).await;
        let app = live_app(&server).await;
        let r = app.handle(event(http(file, field, 40))).await.unwrap();
        assert_eq!(r["statusCode"], 207, "{op}");
        let body = http_body(&r);
        accounted(&body, 40);
        let failed: HashMap<String, (String, String)> = body["failedAssociations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["resource"]["projectId"].as_str().unwrap().to_string(),
                    (
                        f["statusCode"].as_str().unwrap().to_string(),
                        f["statusMessage"].as_str().unwrap().to_string(),
                    ),
                )
            })
            .collect();
        assert_eq!(failed.len(), 3);
        assert_eq!(failed[&project(3)].0, "SCAN_CONFIGURATION_NOT_FOUND");
        assert_eq!(failed[&project(30)].0, "ACCESS_DENIED");
        assert_eq!(
            failed[&project(7)].0,
            "INTERNAL_ERROR",
            "an item the service left out is failed, not lost"
        );
    }
}

/// Calls in flight, counted exactly by the stand-in (tests/common/in_flight.rs):
/// it holds every call until no new one arrives, so the most the function
/// lets be in flight are in flight together, and one more would be counted.
const QUIET: Duration = Duration::from_millis(250);

#[tokio::test]
async fn calls_run_concurrently_up_to_the_bound() {
    let answer: in_flight::Answer = Arc::new(|_, body: &Value| {
        json!({"successfulAssociations": body["disassociateConfigurationRequests"],
               "failedAssociations": []})
    });
    let (endpoint, counts) = in_flight::holding(QUIET, answer).await;
    let mut settings = crate::common::settings();
    settings.batch.concurrency = 3;
    // No rate: the bound on calls in flight alone.
    settings.batch.pacing = false;
    let app = live_app_at(&endpoint, settings, 1).await;
    let r = app
        .handle(event(direct_disassociate(25 * 9)))
        .await
        .unwrap();
    accounted(&r["result"], 225);
    assert_eq!(counts.calls(), 9);
    assert_eq!(counts.now(), 0, "every call answered");
    assert_eq!(counts.max(), 3, "concurrency bound is 3");
}

#[tokio::test]
async fn more_items_than_the_limit_are_rejected_before_any_call() {
    for (op, field, at, _) in DIRECTIONS {
        let server = Disassociation::default().serve_at(at).await;
        let mut settings = crate::common::settings();
        settings.limits.max_batch_items = 50;
        let app = live_app_with(&server, settings, 1).await;
        let err = app
            .handle(event(direct_batch(op, field, 51)))
            .await
            .unwrap_err();
        assert_eq!(err.fields()[0].field, field);
        assert!(requests(&server).await.is_empty());
    }
}

#[tokio::test]
async fn one_bound_on_calls_in_flight_is_shared_by_every_message_of_a_batch() {
    let answer: in_flight::Answer = Arc::new(|path, _: &Value| {
        assert_eq!(path, START_SCAN_PATH);
        json!({"scanId": SCAN_ID, "status": "IN_PROGRESS"})
    });
    let (endpoint, counts) = in_flight::holding(QUIET, answer).await;
    let mut settings = crate::common::settings();
    settings.batch.concurrency = 3;
    settings.batch.pacing = false;
    settings.trust.work_queue_arn = Some(common::queue::QUEUE_ARN.into());
    let app = live_app_at(&endpoint, settings, 1).await;
    // Four messages, each a list of five scans: twenty calls.
    let messages: Vec<(String, String, u32)> = (0..4)
        .map(|m| {
            let ids: Vec<String> = (0..5).map(|i| project(m * 5 + i)).collect();
            let body = json!({"action": "StartCodeSecurityScan", "projectIds": ids,
                              "clientToken": format!("sweep-{m}")});
            (format!("message-{m}"), body.to_string(), 1)
        })
        .collect();
    let answer = app
        .handle(event(common::queue::sqs_event(&messages)))
        .await
        .unwrap();
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    assert_eq!(counts.calls(), 20);
    assert_eq!(counts.now(), 0, "every call answered");
    assert_eq!(
        counts.max(),
        3,
        "BATCH_CONCURRENCY bounds the batch, not each message"
    );
}
