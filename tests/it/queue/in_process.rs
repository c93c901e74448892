//! The work queue without a running SQS: SQS events in Lambda's shape,
//! partial batch responses, malformed messages, unfinished items with and
//! without a queue, and SendMessageBatch entries that fail (a stand-in
//! that can fail entries, which moto does not do; queue::moto runs the
//! rest against moto).

use crate::common;

use common::queue::*;
use common::stateful::stateful_stand_in;
use common::*;
use inspector_scan_router::domain::keys::{derive_token, scoped_base};
use inspector_scan_router::ingress::answer::ErrorAnswer;
use inspector_scan_router::{App, Settings};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use wiremock::MockServer;

const QUEUE_URL: &str = "http://127.0.0.1:9/123456789012/work";

fn settings() -> Settings {
    let mut s = crate::common::settings();
    s.batch.item_retry_rounds = 0;
    s.queue.url = Some(QUEUE_URL.into());
    s.queue.inline_max_items = 100;
    s
}

/// The function with Inspector at `inspector` and its work queue at `sqs`.
async fn app_with_queue(inspector: &MockServer, sqs: &MockServer, s: Settings) -> App {
    let sqs_sdk = sdk_config(&sqs.uri(), 1).await;
    live_app_with(inspector, s, 2)
        .await
        .with_queue_sdk(&sqs_sdk, QUEUE_URL)
}

fn disassociate_body(range: std::ops::Range<usize>) -> String {
    batch_body(DIRECTIONS[1].0, DIRECTIONS[1].1, range)
}

/// A message body of `op` (one of `DIRECTIONS`) with the items of `range`.
fn batch_body(op: &str, field: &str, range: std::ops::Range<usize>) -> String {
    let items: Vec<Value> = range
        .map(|i| json!({"scanConfigurationArn": CONFIG_ARN, "resource": {"projectId": project(i)}}))
        .collect();
    json!({"action": op, field: items}).to_string()
}

fn message(id: &str, body: String) -> (String, String, u32) {
    (id.to_string(), body, 1)
}

/// Project ids in the items of queued disassociation bodies, each once.
fn queued_projects(bodies: &[String]) -> Vec<String> {
    queued_projects_of(DIRECTIONS[1].0, DIRECTIONS[1].1, bodies)
}

/// Project ids in the items of queued `op` bodies (list `field`), each once.
fn queued_projects_of(op: &str, field: &str, bodies: &[String]) -> Vec<String> {
    let mut ids: Vec<String> = bodies
        .iter()
        .flat_map(|b| {
            let v: Value = serde_json::from_str(b).unwrap();
            assert_eq!(v["action"], op);
            let items = v[field].as_array().unwrap().clone();
            assert!((1..=25).contains(&items.len()), "{} items", items.len());
            items
                .into_iter()
                .map(|i| i["resource"]["projectId"].as_str().unwrap().to_string())
        })
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "an item queued twice");
    ids
}

#[tokio::test]
async fn the_bundled_sqs_event_does_both_messages() {
    let server = stand_in().await;
    let bundled = load_event("sqs-work-queue.json");
    let mut s = crate::common::settings();
    s.trust.work_queue_arn = bundled["Records"][0]["eventSourceARN"]
        .as_str()
        .map(str::to_string);
    let app = live_app_with(&server, s, 1).await;
    let answer = app.handle(event(bundled)).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 2);
    let scan = reqs
        .iter()
        .find(|r| r.url.path() == START_SCAN_PATH)
        .unwrap();
    // The list's clientToken is the base its tokens derive from.
    assert_eq!(
        json_of(scan)["clientToken"],
        derive_token("k-3f2c1a9d8b7e6f5a4c3b2a1908f7e6d5", PROJECT)
    );
    let call = reqs
        .iter()
        .find(|r| r.url.path() == DISASSOCIATE_PATH)
        .unwrap();
    assert_eq!(requested_items(call).len(), 2);
}

#[tokio::test]
async fn malformed_messages_fail_every_time_without_holding_up_the_batch() {
    let script = Disassociation::default();
    let server = script.serve().await;
    let mut s = crate::common::settings();
    s.trust.work_queue_arn = Some(QUEUE_ARN.into());
    let app = live_app_with(&server, s, 1).await;
    let batch = [
        message("ok-1", disassociate_body(0..3)),
        message("not-json", "{\"action\": ".into()),
        message("no-action", json!({"projectId": PROJECT}).to_string()),
        message(
            "unknown-action",
            json!({"action": "DeleteEverything"}).to_string(),
        ),
        message(
            "invalid",
            json!({"action": "BatchDisassociateCodeSecurityScanConfiguration",
                   "disassociateConfigurationRequests": []})
            .to_string(),
        ),
        message("array", "[1, 2]".into()),
        message("ok-2", disassociate_body(3..5)),
    ];
    for _ in 0..2 {
        let answer = app.handle(event(sqs_event(&batch))).await.unwrap();
        assert_eq!(
            failed_ids(&answer),
            [
                "not-json",
                "no-action",
                "unknown-action",
                "invalid",
                "array"
            ]
        );
    }
    let answered = script.answered.lock().unwrap().clone();
    assert_eq!(answered.len(), 5, "the valid messages' items were done");
}

#[tokio::test]
async fn the_batch_response_names_exactly_the_messages_that_may_succeed_later() {
    let script = Disassociation {
        // More throttled answers than the function's attempts (2).
        throttle: HashMap::from([(project(0), 5)]),
        fail: HashMap::from([(project(10), "ACCESS_DENIED")]),
        ..Disassociation::default()
    };
    let server = script.serve().await;
    let app = live_app_with(&server, settings(), 2).await;
    let batch = [
        message("throttled", disassociate_body(0..3)),
        message("denied", disassociate_body(10..13)),
        message("fine", disassociate_body(20..23)),
    ];
    let answer = app.handle(event(sqs_event(&batch))).await.unwrap();
    assert_eq!(failed_ids(&answer), ["throttled"]);
    let answered = script.answered.lock().unwrap().clone();
    assert_eq!(
        answered.get(&project(10)),
        Some(&1),
        "failed for good, once"
    );
    assert_eq!(
        answered.get(&project(0)),
        None,
        "never answered: delivered again"
    );
}

#[tokio::test]
async fn a_partly_finished_message_queues_only_its_unfinished_items() {
    for (op, field, at, _) in DIRECTIONS {
        let script = Disassociation {
            flaky: vec![project(3), project(17), project(24)],
            ..Disassociation::default()
        };
        let inspector = script.serve_at(at).await;
        let sqs = SendStandIn::default();
        let sqs_server = sqs.serve().await;
        let app = app_with_queue(&inspector, &sqs_server, settings()).await;
        let answer = app
            .handle(event(sqs_event(&[message(
                "m-1",
                batch_body(op, field, 0..25),
            )])))
            .await
            .unwrap();
        assert_eq!(
            failed_ids(&answer),
            Vec::<String>::new(),
            "done: not delivered again"
        );
        assert_eq!(
            queued_projects_of(op, field, &sqs.accepted()),
            [project(3), project(17), project(24)],
            "exactly the unfinished items, in one message, in the same direction"
        );
        assert_eq!(sqs.accepted().len(), 1);
        // The items that finished are never sent again.
        let answered = script.answered.lock().unwrap().clone();
        assert_eq!(answered.len(), 22);
        assert!(answered.values().all(|n| *n == 1));
    }
}

#[tokio::test]
async fn without_a_queue_unfinished_items_fail_the_invocation_listing_exactly_them() {
    let script = Disassociation {
        flaky: vec![project(3), project(40)],
        fail: HashMap::from([(project(7), "ACCESS_DENIED")]),
        ..Disassociation::default()
    };
    let server = script.serve().await;
    let mut s = settings();
    s.queue.url = None;
    let app = live_app_with(&server, s, 1).await;
    let err = app
        .handle(event(direct_disassociate(50)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "PartialFailure");
    assert!(err.retryable());
    let results = &err.to_body()["error"]["results"];
    let listed: BTreeSet<&str> = results["failedAssociations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource"]["projectId"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        BTreeSet::from([project(3).as_str(), project(40).as_str()])
    );
    assert_eq!(results["successfulAssociations"], json!([]));
}

#[tokio::test]
async fn a_scan_fan_out_queues_its_throttled_scan_with_the_events_token() {
    // Every start throttled: all unfinished, all queued.
    let throttling = serving(
        START_SCAN_PATH,
        aws_error_answer(429, "ThrottlingException"),
    )
    .await;
    let sqs = SendStandIn::default();
    let sqs_server = sqs.serve().await;
    let app = app_with_queue(&throttling, &sqs_server, settings()).await;
    let mut ev = load_event("eventbridge-start-scan.json");
    ev["detail"] = json!({"projectIds": [PROJECT, PROJECT2], "idempotencyKey": "release-7"});
    let answer = app.handle(event(ev.clone())).await.unwrap();
    assert_eq!(
        (answer["queued"].as_u64(), answer["messages"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(answer["result"]["scans"], json!([]));
    let bodies = sqs.accepted();
    let body: Value = serde_json::from_str(&bodies[0]).unwrap();
    let scope = format!(
        "event:{}:{}",
        ev["account"].as_str().unwrap(),
        ev["source"].as_str().unwrap()
    );
    let base = scoped_base(&scope, "release-7");
    assert_eq!(
        body,
        json!({"action": "StartCodeSecurityScan",
                            "projectIds": [PROJECT, PROJECT2], "clientToken": base})
    );

    // Delivered from the queue (twice, as SQS may), it starts each scan
    // once, with the token the event itself would have used.
    let (server2, inspector) = stateful_stand_in(HashMap::new()).await;
    let consumer = live_app_with(&server2, settings(), 1).await;
    for _ in 0..2 {
        let answer = consumer
            .handle(event(sqs_event(&[message("q-1", bodies[0].clone())])))
            .await
            .unwrap();
        assert_eq!(failed_ids(&answer), Vec::<String>::new());
    }
    let tokens: BTreeSet<String> = inspector
        .state
        .lock()
        .unwrap()
        .scans
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        tokens,
        BTreeSet::from([derive_token(&base, PROJECT), derive_token(&base, PROJECT2)])
    );
}

#[tokio::test]
async fn failed_entries_are_sent_again_and_every_message_lands_once() {
    let server = Disassociation::default().serve().await;
    let sqs = SendStandIn {
        failing: vec![project(30), project(200)],
        fail_times: 1,
        ..SendStandIn::default()
    };
    let sqs_server = sqs.serve().await;
    let app = app_with_queue(&server, &sqs_server, settings()).await;
    let answer = app.handle(event(direct_disassociate(260))).await.unwrap();
    assert_eq!(answer["queued"], 260);
    assert_eq!(answer["messages"], 11);
    assert_eq!(answer["result"]["successfulAssociations"], json!([]));
    let projects = queued_projects(&sqs.accepted());
    assert_eq!(projects.len(), 260);
    assert_eq!(sqs.accepted().len(), 11, "each message accepted once");
    let mut calls = sqs.calls();
    calls.sort();
    assert_eq!(
        calls,
        [1, 2, 10],
        "10 and 1, then the 2 failed entries again"
    );
    assert!(requests(&server).await.is_empty(), "nothing ran inline");
}

#[tokio::test]
async fn entries_that_keep_failing_fail_the_invocation() {
    let server = Disassociation::default().serve().await;
    let sqs = SendStandIn {
        failing: vec![project(30)],
        fail_times: 100,
        ..SendStandIn::default()
    };
    let sqs_server = sqs.serve().await;
    let app = app_with_queue(&server, &sqs_server, settings()).await;
    let err = app
        .handle(event(direct_disassociate(260)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "InternalError");
    assert!(err.retryable(), "Lambda retries it, then keeps it");
    let mut calls = sqs.calls();
    calls.sort();
    assert_eq!(
        calls,
        [1, 1, 1, 10],
        "the failing entry sent 3 times in all"
    );
}

#[tokio::test]
async fn http_stays_synchronous_with_a_queue() {
    let server = Disassociation::default().serve().await;
    let sqs = SendStandIn::default();
    let sqs_server = sqs.serve().await;
    let mut s = settings();
    s.queue.inline_max_items = 10;
    let app = app_with_queue(&server, &sqs_server, s).await;
    let mut e = load_event("http-disassociate.json");
    e["isBase64Encoded"] = false.into();
    e["body"] = json!({"disassociateConfigurationRequests": disassociate_items(60)})
        .to_string()
        .into();
    let r = app.handle(event(e)).await.unwrap();
    assert_eq!(r["statusCode"], 200);
    accounted(&http_body(&r), 60);
    assert!(sqs.calls().is_empty(), "nothing queued for an HTTP caller");
}

/// Throttling is never failure, for every message: a queued Classic run
/// and a queued single scan (each alone in its message, with its own run
/// name or token) that Inspector throttles come back later as new delayed
/// messages with the same name or token; neither is named in
/// `batchItemFailures`, so neither uses up a receive.
#[tokio::test]
async fn a_throttled_single_start_from_the_queue_comes_back_later_not_as_a_receive() {
    let throttling = MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(aws_error_answer(400, "ThrottlingException"))
        .mount(&throttling)
        .await;
    let sqs = SendStandIn::default();
    let sqs_server = sqs.serve().await;
    let mut s = settings();
    s.trust.switches = s
        .trust
        .switches
        .with(inspector_scan_router::domain::assessment_run::CLASSIC, true);
    let app = app_with_queue(&throttling, &sqs_server, s).await;
    let run = json!({"action": "StartAssessmentRun", "assessmentTemplateArn": TEMPLATE_ARN,
                     "assessmentRunName": "weekly-2026-48"});
    let token = "a".repeat(40);
    let scan =
        json!({"action": "StartCodeSecurityScan", "projectId": PROJECT, "clientToken": token});
    let answer = app
        .handle(event(sqs_event(&[
            message("run-1", run.to_string()),
            message("scan-1", scan.to_string()),
        ])))
        .await
        .unwrap();
    assert_eq!(failed_ids(&answer), Vec::<String>::new(), "{answer}");
    let mut later: Vec<Value> = sqs
        .accepted()
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect();
    later.sort_by_key(|b| b["action"].to_string());
    assert_eq!(later, vec![run, scan], "each back once, as it was");
}

/// Quota protected: an HTTP fan-out above the HTTP inline limit (100) does not
/// hold an environment while it runs; it is queued whole and answered `202`
/// with what was queued. Nothing reaches Inspector inline.
#[tokio::test]
async fn an_http_fan_out_above_its_bound_is_queued_and_answered_at_once() {
    for (op, field, at, file) in DIRECTIONS {
        let server = Disassociation::default().serve_at(at).await;
        let sqs = SendStandIn::default();
        let sqs_server = sqs.serve().await;
        let mut s = settings();
        s.queue.http_inline_max_items = 100;
        let app = app_with_queue(&server, &sqs_server, s).await;
        let mut e = load_event(file);
        e["isBase64Encoded"] = false.into();
        e["body"] = json!({ field: disassociate_items(160) }).to_string().into();
        let r = app.handle(event(e)).await.unwrap();
        assert_eq!(r["statusCode"], 202, "{r}");
        let messages = 160usize.div_ceil(25);
        assert_eq!(http_body(&r), json!({"queued": 160, "messages": messages}));
        assert!(requests(&server).await.is_empty(), "nothing run inline");
        let bodies = sqs.accepted();
        assert_eq!(bodies.len(), messages);
        assert_eq!(
            queued_projects_of(op, field, &bodies).len(),
            160,
            "every item queued once"
        );
    }
}
