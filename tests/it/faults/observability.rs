//! What an operator sees: one structured log line per invocation (never
//! credentials, authorization headers or bodies), and EMF metrics.

use crate::common;

use common::logs::Logs;
use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

struct Echo;
impl Respond for Echo {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let (ok, failed): (Vec<Value>, Vec<Value>) = requested_items(req)
            .into_iter()
            .partition(|i| i["resource"]["projectId"] == PROJECT);
        let failed: Vec<Value> = failed
            .iter()
            .map(|i| failed_item(i, "ACCESS_DENIED", "no"))
            .collect();
        ResponseTemplate::new(200)
            .set_body_json(json!({"successfulAssociations": ok, "failedAssociations": failed}))
    }
}

async fn stand_in() -> MockServer {
    let server = serving(START_SCAN_PATH, scan_started()).await;
    on_post(&server, DISASSOCIATE_PATH, Echo).await;
    Mock::given(method("POST"))
        .and(path("/"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                json!({"__type": "NoSuchEntityException", "message": "no template"}),
            ),
        )
        .mount(&server)
        .await;
    server
}

/// In a process of its own: the metrics recorder is process-global, and the
/// other tests of the binary record metrics too.
#[tokio::test(flavor = "current_thread")]
async fn logs_and_metrics_tell_what_happened_and_nothing_secret() {
    if !in_own_process(
        module_path!(),
        "logs_and_metrics_tell_what_happened_and_nothing_secret",
    ) {
        return;
    }
    let (logs, _turn) = Logs::capture().await;
    let metrics = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace("InspectorScanRouterTest")
        .with_timestamp(1)
        .init()
        .unwrap();
    let flush = || {
        let mut out = Vec::new();
        metrics.flush(&mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    let metric = |docs: &[Value], name: &str| -> Option<Value> {
        docs.iter().find_map(|d| d.get(name).cloned())
    };

    let server = stand_in().await;
    let app = live_app(&server).await;

    // A scan started over HTTP, with an Authorization header and a body.
    let mut e = load_event("http-start-scan.json");
    e["headers"]["authorization"] = "AWS4-HMAC-SHA256 Credential=AKIASECRETSECRET/20261121/us-east-1/execute-api/aws4_request, Signature=deadbeefcafe".into();
    e["headers"]["x-amz-security-token"] = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN".into();
    app.handle(event_with_request_id(e, "req-log-1"))
        .await
        .unwrap();
    let docs = flush();
    assert_eq!(metric(&docs, "ScansStarted"), Some(json!(1)), "{docs:?}");
    assert!(metric(&docs, "AwsCallLatency").is_some(), "{docs:?}");
    let doc = docs
        .iter()
        .find(|d| d.get("AwsCallLatency").is_some())
        .unwrap();
    assert_eq!(doc["operation"], "StartCodeSecurityScan");
    assert_eq!(
        doc["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "InspectorScanRouterTest"
    );

    let text = logs.take();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let line = lines
        .iter()
        .find(|l| l["message"] == "invocation")
        .expect("one invocation line");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["message"] == "invocation")
            .count(),
        1
    );
    assert_eq!(line["request_id"], "req-log-1");
    assert_eq!(line["trigger"], "http-v2");
    assert_eq!(line["action"], "StartCodeSecurityScan");
    assert_eq!(line["resource"], PROJECT);
    assert_eq!(line["outcome"], "completed");
    assert_eq!(line["level"], "INFO");
    assert!(line["latency_ms"].is_u64());
    for secret in [
        "AKIASECRETSECRET",
        "Signature=",
        "IQoJb3JpZ2lu",
        "test-secret",
        "ASIAEXAMPLEEXAMPLE00",
        "deploy-2026-11-21-0001\\\"}",
    ] {
        assert!(!text.contains(secret), "log contains {secret}: {text}");
    }
    assert!(
        !text.contains("\"projectId\":"),
        "no request body in logs: {text}"
    );

    // A disassociation with one failed item; a Classic error; a skip.
    app.handle(event(load_event("direct-disassociate.json")))
        .await
        .unwrap();
    let docs = flush();
    assert_eq!(metric(&docs, "DisassociationsSucceeded"), Some(json!(1)));
    assert_eq!(metric(&docs, "DisassociationsFailed"), Some(json!(1)));
    // Finished with a failed item: the runbook's PartialFailure error, and
    // the log line says failed.
    let partial = docs
        .iter()
        .find(|d| d.get("Errors").is_some())
        .expect("an Errors metric");
    assert_eq!(partial["code"], "PartialFailure");
    let text = logs.take();
    assert!(text.contains("\"failed_items\":1"), "{text}");
    assert!(text.contains("\"outcome\":\"failed\""), "{text}");

    let err = app
        .handle(event(load_event("direct-start-assessment-run.json")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "NoSuchEntityException");
    let docs = flush();
    let errors = docs
        .iter()
        .find(|d| d.get("Errors").is_some())
        .expect("an Errors metric");
    assert_eq!(errors["code"], "NoSuchEntityException");
    let text = logs.take();
    let line: Value = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["message"] == "invocation")
        .unwrap();
    assert_eq!(line["outcome"], "rejected");
    assert_eq!(line["level"], "WARN");
    assert_eq!(line["error_code"], "NoSuchEntityException");
    assert_eq!(line["resource"], TEMPLATE_ARN);

    app.handle(event(load_event(
        "eventbridge-github-push-feature-branch.json",
    )))
    .await
    .unwrap();
    assert_eq!(metric(&flush(), "EventsSkipped"), Some(json!(1)));
    let text = logs.take();
    assert!(
        text.contains("\"outcome\":\"skipped\"") && text.contains("feature/invoice-rounding"),
        "{text}"
    );
}
