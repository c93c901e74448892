//! The bundled sweeps by selector (`events/*sweep*`, and one tick of the
//! weekly rescan), through the handler with the real SDK clients: each is
//! sent whole to the FIFO sweep queue and answered at once with its key,
//! nothing listed; delivered again it is the same FIFO message (its group
//! and deduplication id), which SQS drops within five minutes; a dry run
//! plans the first listing call; a deployment without the sweep queue
//! refuses the selector; a configuration outside the allow-list refuses
//! the sweep before anything is listed or queued.

use crate::common;

use common::queue::SendStandIn;
use common::*;
use inspector_scan_router::Error;
use inspector_scan_router::domain::keys::scoped_base;
use serde_json::{Value, json};

/// The sweep events: covered here rather than by the one-call table of
/// tests/it/contract/events.rs.
pub const SWEEP_EVENTS: [&str; 4] = [
    "http-sweep-covered.json",
    "eventbridge-sweep-disassociate.json",
    "direct-sweep-associate.json",
    "scheduler-weekly-rescan.json",
];

const SWEEP_URL: &str =
    "https://sqs.us-east-1.amazonaws.com/123456789012/inspector-scan-router-sweep.fifo";
const WEEKLY_KEY: &str = "arn:aws:scheduler:us-east-1:123456789012:schedule/default/inspector-scan-router-weekly-rescan@2026-11-22T03:00:00Z";

/// One sweep event: what it is answered with, what it sends to the sweep
/// queue, and the listing call a dry run plans.
struct Case {
    file: &'static str,
    /// The sweep's key (the answer's `sweep`, the message's attribute).
    key: &'static str,
    action: &'static str,
    select: Value,
    /// `None`: HTTP (answered `202`); else the answer's `trigger`.
    trigger: Option<&'static str>,
    /// The body sent to the sweep queue.
    body: Value,
    listing: (&'static str, Value),
}

fn cases() -> Vec<Case> {
    let coverage = |filters: Value| {
        let mut criteria =
            json!({"resourceType": [{"comparison": "EQUALS", "value": "CODE_REPOSITORY"}]});
        if let Value::Object(extra) = filters {
            criteria.as_object_mut().unwrap().extend(extra);
        }
        ("ListCoverage", json!({"filterCriteria": criteria}))
    };
    let http_key = "rescan-payments-2026-11-21";
    vec![
        Case {
            file: "http-sweep-covered.json",
            key: http_key,
            action: "StartCodeSecurityScan",
            select: json!({"covered": {"projectNamePrefix": "payments/"}}),
            trigger: None,
            // Each project's token derives from the Idempotency-Key,
            // namespaced by the IAM caller, as a list's would.
            body: json!({"action": "StartCodeSecurityScan",
                         "select": {"covered": {"projectNamePrefix": "payments/"}},
                         "clientToken": scoped_base(CI_CALLER_SCOPE, http_key)}),
            // The prefix is compared by the function: ListCoverage has no
            // prefix filter.
            listing: coverage(Value::Null),
        },
        Case {
            file: "eventbridge-sweep-disassociate.json",
            key: "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
            action: "BatchDisassociateCodeSecurityScanConfiguration",
            select: json!({"associatedWith": CONFIG_ARN}),
            trigger: Some("eventbridge"),
            body: json!({"action": "BatchDisassociateCodeSecurityScanConfiguration",
                         "scanConfigurationArn": CONFIG_ARN,
                         "select": {"associatedWith": CONFIG_ARN}}),
            listing: (
                "ListCodeSecurityScanConfigurationAssociations",
                json!({"scanConfigurationArn": CONFIG_ARN}),
            ),
        },
        Case {
            file: "direct-sweep-associate.json",
            key: "onboard-github-2026-11",
            action: "BatchAssociateCodeSecurityScanConfiguration",
            select: json!({"covered": {"providerType": "GITHUB"}}),
            trigger: Some("direct"),
            body: json!({"action": "BatchAssociateCodeSecurityScanConfiguration",
                         "scanConfigurationArn": CONFIG_ARN,
                         "select": {"covered": {"providerType": "GITHUB"}}}),
            listing: coverage(
                json!({"codeRepositoryProviderType": [{"comparison": "EQUALS", "value": "GITHUB"}]}),
            ),
        },
        Case {
            file: "scheduler-weekly-rescan.json",
            key: WEEKLY_KEY,
            action: "StartCodeSecurityScan",
            select: json!({"covered": {}}),
            trigger: Some("direct"),
            body: json!({"action": "StartCodeSecurityScan", "select": {"covered": {}},
                         "clientToken": scoped_base("direct", WEEKLY_KEY)}),
            listing: coverage(Value::Null),
        },
    ]
}

/// An app whose SQS calls go to `server` and which has a sweep queue.
async fn with_sweep_queue(server: &wiremock::MockServer) -> inspector_scan_router::App {
    let mut s = settings();
    s.queue.sweep_url = Some(SWEEP_URL.to_string());
    live_app_with(server, s, 1).await
}

/// The entries of every SendMessageBatch `server` received.
async fn sent(server: &wiremock::MockServer) -> Vec<Value> {
    let all = requests(server).await;
    let mut entries = Vec::new();
    for r in &all {
        assert_eq!(
            req_header(r, "x-amz-target"),
            Some("AmazonSQS.SendMessageBatch"),
            "nothing but the sweep queue is called: {}",
            r.url
        );
        let call = json_of(r);
        assert_eq!(call["QueueUrl"], SWEEP_URL);
        entries.extend(call["Entries"].as_array().unwrap().iter().cloned());
    }
    entries
}

/// The answer as its trigger gives it, checked against the case.
fn check_answer(case: &Case, answer: &Value) {
    let file = case.file;
    let body = match case.trigger {
        None => {
            assert_eq!(answer["statusCode"], 202, "{file}: {answer}");
            assert_eq!(
                resp_header(answer, "content-type"),
                Some("application/json")
            );
            assert!(resp_header(answer, "location").is_none(), "{file}");
            http_body(answer)
        }
        Some(trigger) => {
            let mut a = answer.clone();
            assert_eq!(
                a.as_object_mut().unwrap().remove("trigger"),
                Some(json!(trigger)),
                "{file}: {answer}"
            );
            a
        }
    };
    assert_eq!(
        body,
        json!({"sweep": case.key, "action": case.action, "select": case.select}),
        "{file}"
    );
}

#[tokio::test]
async fn each_sweep_event_is_queued_whole_and_answered_at_once() {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")).unwrap(),
    )
    .unwrap();
    let documented = &doc["components"]["schemas"]["Sweep"];
    for case in cases() {
        let file = case.file;
        let sqs = SendStandIn::default();
        let server = sqs.serve().await;
        let app = with_sweep_queue(&server).await;
        let answer = app
            .handle(event(load_event(file)))
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        check_answer(&case, &answer);
        if case.trigger.is_none() {
            // The HTTP answer is the document's Sweep, key for key.
            let body = http_body(&answer);
            let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
            keys.sort();
            let mut described: Vec<&String> = documented["properties"]
                .as_object()
                .unwrap()
                .keys()
                .collect();
            described.sort();
            assert_eq!(keys, described, "{file}");
            assert!(
                documented["properties"]["action"]["enum"]
                    .as_array()
                    .unwrap()
                    .contains(&body["action"]),
                "{file}"
            );
        }

        // One message, the sweep itself, in the sweep's own group, with a
        // deduplication id; nothing listed yet.
        let entries = sent(&server).await;
        assert_eq!(entries.len(), 1, "{file}: {entries:?}");
        let e = &entries[0];
        let body: Value = serde_json::from_str(e["MessageBody"].as_str().unwrap()).unwrap();
        assert_eq!(body, case.body, "{file}");
        assert_eq!(
            e["MessageAttributes"]["sweep"]["StringValue"], case.key,
            "{file}"
        );
        let (group, dedup) = (
            e["MessageGroupId"].as_str().unwrap(),
            e["MessageDeduplicationId"].as_str().unwrap(),
        );
        assert!(group.starts_with("sweep-"), "{file}: {group}");
        for id in [group, dedup] {
            assert!(
                (1..=128).contains(&id.len())
                    && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "{file}: an SQS id: {id}"
            );
        }
        assert!(
            e.get("DelaySeconds").is_none(),
            "{file}: a FIFO queue takes no per-message delay"
        );

        // Delivered again (the same event id, the same key): the very same
        // message, which SQS drops within its five minutes.
        let again = app
            .handle(event(load_event(file)))
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        check_answer(&case, &again);
        let entries = sent(&server).await;
        assert_eq!(entries.len(), 2, "{file}");
        assert_eq!(entries[1]["MessageGroupId"], group, "{file}");
        assert_eq!(entries[1]["MessageDeduplicationId"], dedup, "{file}");
        assert_eq!(
            entries[1]["MessageBody"], entries[0]["MessageBody"],
            "{file}"
        );
    }
}

/// Another key is another sweep: another group and deduplication id.
#[tokio::test]
async fn another_key_is_another_sweep() {
    let server = SendStandIn::default().serve().await;
    let app = with_sweep_queue(&server).await;
    let mut e = load_event("http-sweep-covered.json");
    app.handle(event(e.clone())).await.unwrap();
    e["headers"]["idempotency-key"] = "rescan-payments-2026-11-28".into();
    let answer = app.handle(event(e)).await.unwrap();
    assert_eq!(http_body(&answer)["sweep"], "rescan-payments-2026-11-28");
    let entries = sent(&server).await;
    assert_eq!(entries.len(), 2);
    for id in ["MessageGroupId", "MessageDeduplicationId"] {
        assert_ne!(entries[0][id], entries[1][id], "{id}");
    }
}

#[tokio::test]
async fn a_dry_run_plans_the_first_listing_call() {
    let app = dry_app();
    for case in cases() {
        let file = case.file;
        let response = app
            .handle(event(load_event(file)))
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let plan = match case.trigger {
            None => {
                assert_eq!(response["statusCode"], 200, "{file}");
                http_body(&response)
            }
            Some(_) => {
                assert_eq!(response["action"], case.action, "{file}");
                response["result"].clone()
            }
        };
        let (operation, input) = &case.listing;
        assert_eq!(
            plan,
            json!({"dryRun": true, "calls": [{"service": "inspector2", "operation": operation, "input": input}]}),
            "{file}"
        );
    }
}

/// Without `SWEEP_QUEUE_URL` (never the template's case) a selector is
/// refused on `select`, and nothing is called: a non-HTTP caller gets the
/// error (its invocation fails).
#[tokio::test]
async fn without_the_sweep_queue_a_selector_is_refused() {
    for case in cases().into_iter().filter(|c| c.trigger.is_some()) {
        let file = case.file;
        let server = stand_in().await;
        let answer = live_app(&server)
            .await
            .handle(event(load_event(file)))
            .await;
        match answer {
            Err(Error::InvalidRequest { fields, .. }) => {
                assert_eq!(fields[0].field, "select", "{file}");
            }
            other => panic!("{file}: {other:?}"),
        }
        assert!(requests(&server).await.is_empty(), "{file}: nothing called");
    }
}

/// Over HTTP a sweep that cannot be queued is answered like any refusal or
/// fault: `400` on `select` without the sweep queue, a `5xx` when SQS
/// fails, never a Lambda error (which API Gateway turns into a bare 500).
/// Today `App::start_sweep` (src/app/selectors.rs) returns its error as is
/// for every trigger; the HTTP case must encode it (`http_error`).
#[tokio::test]
async fn over_http_a_sweep_that_cannot_be_queued_is_an_http_answer() {
    let server = stand_in().await;
    let answer = live_app(&server)
        .await
        .handle(event(load_event("http-sweep-covered.json")))
        .await
        .expect("an HTTP answer, not a Lambda error");
    assert_eq!(answer["statusCode"], 400, "{answer}");
    let error = &http_body(&answer)["error"];
    assert_eq!(error["code"], "InvalidRequest", "{error}");
    assert_eq!(error["fields"][0]["field"], "select", "{error}");

    // SQS refusing the message: a 5xx the caller may retry.
    let sqs = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(aws_error_answer(500, "InternalError"))
        .mount(&sqs)
        .await;
    let answer = with_sweep_queue(&sqs)
        .await
        .handle(event(load_event("http-sweep-covered.json")))
        .await
        .expect("an HTTP answer, not a Lambda error");
    let status = answer["statusCode"].as_u64().unwrap();
    assert!((500..600).contains(&status), "{answer}");
    assert_eq!(http_body(&answer)["error"]["retryable"], true, "{answer}");
}

/// A sweep naming a configuration outside ALLOWED_SCAN_CONFIGURATION_ARNS,
/// the one it applies or the one it selects by, is refused before
/// anything is listed or queued, each field named (under `detail.` from
/// the bus).
#[tokio::test]
async fn the_allow_list_refuses_a_sweep_before_anything_is_queued() {
    let other = "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/codesecurity-configuration/8d2f3e4a-5b6c-7d8e-9f0a-1b2c3d4e5f6a";
    let server = SendStandIn::default().serve().await;
    let mut s = settings();
    s.queue.sweep_url = Some(SWEEP_URL.to_string());
    s.trust.allowed_scan_configuration_arns = Some(vec![other.to_string()]);
    let app = live_app_with(&server, s, 1).await;
    let e = app
        .handle(event(load_event("eventbridge-sweep-disassociate.json")))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), "Forbidden");
    let named = |e: &Error| -> Vec<String> {
        match e {
            Error::Forbidden { fields, .. } => fields.iter().map(|f| f.field.clone()).collect(),
            other => panic!("{other}"),
        }
    };
    assert_eq!(
        named(&e),
        [
            "detail.scanConfigurationArn",
            "detail.select.associatedWith"
        ]
    );
    let e = app
        .handle(event(load_event("direct-sweep-associate.json")))
        .await
        .expect_err("refused");
    assert_eq!(named(&e), ["scanConfigurationArn"]);
    assert!(requests(&server).await.is_empty(), "nothing queued");
}
