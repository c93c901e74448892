//! Every body checked: a watch read from the watch queue is validated like
//! any input (ids by their patterns, `startedAt` neither in the future nor
//! older than `SCAN_WATCH_MAX_HOURS`, every echoed value bounded). A bad one
//! is deleted and logged; nothing is looked at and nothing is published.
//! In process: the Inspector stand-in, and a stand-in for SQS and
//! EventBridge reached through the real SDK clients.

use crate::common;

use common::logs::Logs;
use common::queue::{failed_ids, sqs_event};
use common::*;
use inspector_scan_router::App;
use inspector_scan_router::queue::later::unix_now;
use serde_json::{Value, json};
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

const WATCH_URL: &str = "http://127.0.0.1:9/123456789012/isr-scan-watch.fifo";
const WATCH_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:isr-scan-watch.fifo";

/// SQS (ChangeMessageVisibility) and EventBridge (PutEvents), answering
/// success and recording what they were asked.
async fn sqs_and_events() -> MockServer {
    let server = MockServer::start().await;
    let json = |body: Value| {
        ResponseTemplate::new(200)
            .insert_header("content-type", "application/x-amz-json-1.1")
            .set_body_json(body)
    };
    Mock::given(method("POST"))
        .and(header("x-amz-target", "AmazonSQS.ChangeMessageVisibility"))
        .respond_with(json(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("x-amz-target", "AWSEvents.PutEvents"))
        .respond_with(json(
            json!({"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]}),
        ))
        .mount(&server)
        .await;
    server
}

async fn app(inspector: &MockServer, aws: &MockServer) -> App {
    let mut s = common::settings();
    s.results.watch_queue_url = Some(WATCH_URL.into());
    s.results.watch_queue_arn = Some(WATCH_ARN.into());
    let sdk = sdk_config(&aws.uri(), 1).await;
    live_app_with(inspector, s, 1)
        .await
        .with_results_sdk(&sdk, WATCH_URL)
}

/// A batch of one watch from the watch queue.
fn watch_batch(id: &str, body: &str) -> Value {
    let mut e = sqs_event(&[(id.to_string(), body.to_string(), 1)]);
    e["Records"][0]["eventSourceARN"] = WATCH_ARN.into();
    e
}

fn watch(started_at: i64) -> Value {
    json!({"scanId": SCAN_ID, "projectId": PROJECT, "startedAt": started_at,
           "requested": {"trigger": "http", "caller": "iam:arn:aws:sts::123456789012:assumed-role/ci-deployer/ci-session"}})
}

async fn puts(aws: &MockServer) -> Vec<Value> {
    requests(aws)
        .await
        .iter()
        .filter(|r| req_header(r, "x-amz-target") == Some("AWSEvents.PutEvents"))
        .map(json_of)
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn a_bad_watch_is_deleted_and_logged_and_nothing_is_published() {
    let (logs, _turn) = Logs::capture().await;
    let (inspector, aws) = (stand_in().await, sqs_and_events().await);
    let app = app(&inspector, &aws).await;
    let now = unix_now() as i64;
    let mut forged_requested = watch(now - 60);
    forged_requested["requested"]["repository"] = "x".repeat(5000).into();
    let mut forged_line = watch(now - 60);
    forged_line["requested"]["commit"] = "abc\n{\"message\":\"forged\"}".into();
    let mut bad_project = watch(now - 60);
    bad_project["projectId"] = "project-1".into();
    let mut bad_scan = watch(now - 60);
    bad_scan["scanId"] = "../../scan".into();
    for (case, body) in [
        ("startedAt 0", watch(0).to_string()),
        (
            // SCAN_WATCH_MAX_HOURS, one largest delay, and the two days
            // a look held up by a backlog is still answered.
            "older than the watch queue could hold",
            watch(now - 7 * 3600 - 900 - 2 * 24 * 3600).to_string(),
        ),
        ("in the future", watch(now + 3600).to_string()),
        ("an unbounded requested value", forged_requested.to_string()),
        ("a forged log line", forged_line.to_string()),
        ("a project id off its pattern", bad_project.to_string()),
        ("a scan id off its pattern", bad_scan.to_string()),
        ("not a watch", "{\"scanId\": 1}".to_string()),
    ] {
        let answer = app
            .handle(event(watch_batch("m-bad", &body)))
            .await
            .unwrap();
        assert!(
            failed_ids(&answer).is_empty(),
            "{case}: deleted, not kept: {answer}"
        );
        assert!(puts(&aws).await.is_empty(), "{case}: nothing published");
        assert!(
            requests(&inspector).await.is_empty(),
            "{case}: nothing looked at"
        );
        assert!(
            logs.text()
                .lines()
                .any(|l| l.contains("a bad watch: deleted") && l.contains("m-bad")),
            "{case}: logged"
        );
    }
    assert!(
        !logs.text().contains("forged\\\"}"),
        "the forged value is not echoed"
    );

    // A watch the function wrote: looked at, and its scan's end published
    // once, with the findings.
    let answer = app
        .handle(event(watch_batch("m-good", &watch(now - 60).to_string())))
        .await
        .unwrap();
    assert!(failed_ids(&answer).is_empty(), "{answer}");
    let put = puts(&aws).await;
    assert_eq!(put.len(), 1, "{put:?}");
    let entry = &put[0]["Entries"][0];
    let detail: Value = serde_json::from_str(entry["Detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["status"], "SUCCESSFUL");
    assert_eq!(detail["findings"]["critical"], 1);
    assert!(detail.get("accountId").is_none());
}
