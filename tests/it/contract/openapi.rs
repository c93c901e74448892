//! The examples schemathesis found against openapi.json (scripts/check-openapi),
//! kept as tests: each is answered as the document now says.

use crate::common;

use common::webhooks::*;
use common::*;
use inspector_scan_router::domain::WebhookSecrets;
use inspector_scan_router::{App, Settings};
use serde_json::{Value, json};

/// A dry run holding the local test secret, as scripts/check-openapi runs the function.
fn fuzzed_app() -> App {
    let mut settings = Settings {
        dry_run: true,
        ..crate::common::settings()
    };
    settings.webhooks.dry_run_secrets = Some(WebhookSecrets::parse(&local_secret()).unwrap());
    App::new(settings, None)
}

async fn status_and_body(app: &App, e: Value) -> (u64, Value) {
    let r = app.handle(event(e)).await.unwrap();
    (r["statusCode"].as_u64().unwrap(), http_body(&r))
}

/// `curl -X POST -H 'X-GitHub-Event: 0' -H 'X-Hub-Signature-256: sha256=…' /webhooks/github`
/// with no body: the document first said a body is required; the function
/// reads the body only for the events it acts on, so an ignored event (or a
/// ping) without one is acknowledged, and a push without one is a 400.
#[tokio::test]
async fn a_webhook_delivery_without_a_body_is_read_only_if_acted_on() {
    let app = fuzzed_app();
    let secret = "run-local-github-webhook-secret";
    let mut e = signed_github("0", "", secret, "0");
    e.as_object_mut().unwrap().remove("body");
    let (status, body) = status_and_body(&app, e).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["ignored"], true);

    let mut e = signed_github("push", "", secret, "1");
    e.as_object_mut().unwrap().remove("body");
    let (status, body) = status_and_body(&app, e).await;
    assert_eq!(status, 400, "{body}");

    let mut e = gitlab_delivery("0", "", Some("run-local-gitlab-webhook-token"));
    e.as_object_mut().unwrap().remove("body");
    let (status, body) = status_and_body(&app, e).await;
    assert_eq!(status, 202, "{body}");
}

/// A body clientToken other than the Idempotency-Key header, and an
/// assessmentRunName beside it, are schema-valid requests (schemathesis:
/// "schema-valid request rejected" while they were 400s): accepted, the
/// body's value winning as the document says. The scan's token is the one
/// the clientToken alone gives (namespaced by the caller), the run's name
/// is the one sent.
#[tokio::test]
async fn a_body_token_or_run_name_beside_the_header_is_accepted_and_wins() {
    let app = fuzzed_app();
    let planned = |answer: &Value, field: &str| answer["calls"][0]["input"][field].clone();
    let scan = json!({"clientToken": "other", "resource": {"projectId": project(1)}}).to_string();
    let run = json!({"assessmentRunName": "0", "assessmentTemplateArn": "arn:"}).to_string();
    for (path, body, field) in [
        ("/scans", &scan, "clientToken"),
        ("/assessment-runs", &run, "assessmentRunName"),
    ] {
        let alone = http_event("POST", path, Some(body), false);
        let (status, without) = status_and_body(&app, alone.clone()).await;
        assert_eq!(status, 200, "{path}: {without}");
        if field == "assessmentRunName" {
            assert_eq!(planned(&without, field), "0", "{without}");
        }
        for key in ["k-1", "other"] {
            let mut e = alone.clone();
            e["headers"]["idempotency-key"] = key.into();
            let (status, with) = status_and_body(&app, e).await;
            assert_eq!(status, 200, "{path}, {key}: {with}");
            assert_eq!(with["dryRun"], true);
            assert_eq!(
                planned(&with, field),
                planned(&without, field),
                "{path}, {key}"
            );
        }
    }
}

/// Over HTTP the one way to send an idempotency key is the Idempotency-Key
/// header: the body field other triggers take is refused on every route
/// with a body, naming it, and the document does not list it.
#[tokio::test]
async fn a_body_idempotency_key_is_refused_over_http() {
    let app = fuzzed_app();
    let cases = [
        ("/scans", json!({"projectId": project(1)})),
        (
            "/assessment-runs",
            json!({"assessmentTemplateArn": "arn:aws:inspector:us-east-1:123456789012:target/0-a/template/0-b"}),
        ),
        (
            "/scan-configurations/disassociate",
            json!({"disassociateConfigurationRequests": [{"scanConfigurationArn": CONFIG_ARN,
                                                          "resource": {"projectId": project(1)}}]}),
        ),
    ];
    for (path, mut body) in cases {
        let (status, answer) = status_and_body(
            &app,
            http_event("POST", path, Some(&body.to_string()), false),
        )
        .await;
        assert_eq!(status, 200, "{path}: {answer}");
        body["idempotencyKey"] = "k-1".into();
        let (status, answer) = status_and_body(
            &app,
            http_event("POST", path, Some(&body.to_string()), false),
        )
        .await;
        assert_eq!(status, 400, "{path}: {answer}");
        assert_eq!(answer["error"]["code"], "InvalidRequest", "{answer}");
        assert_eq!(
            answer["error"]["fields"][0]["field"], "idempotencyKey",
            "{answer}"
        );
    }
}

/// `GET /scans/{projectId}/{scanId}` (and its findings) with a scan id that
/// is not Inspector's (a lowercase UUID): refused before any call, as the
/// document's path pattern says, not sent to be refused with AWS's
/// ValidationException.
#[tokio::test]
async fn a_malformed_scan_id_in_the_path_is_refused_before_any_call() {
    let app = fuzzed_app();
    let good = "8f3b2c1a-9d4e-4f5a-b6c7-d8e9f0a1b2c3";
    for suffix in ["", "/findings"] {
        let path = format!("/scans/{}/{good}{suffix}", project(1));
        let (status, answer) = status_and_body(&app, http_event("GET", &path, None, false)).await;
        assert_eq!(status, 200, "{path}: {answer}");
        for bad in [
            "A",
            "scan-1",
            "8F3B2C1A-9D4E-4F5A-B6C7-D8E9F0A1B2C3",
            "8f3b2c1a9d4e4f5ab6c7d8e9f0a1b2c3",
        ] {
            let path = format!("/scans/{}/{bad}{suffix}", project(1));
            let (status, answer) =
                status_and_body(&app, http_event("GET", &path, None, false)).await;
            assert_eq!(status, 400, "{path}: {answer}");
            assert_eq!(answer["error"]["code"], "InvalidRequest", "{answer}");
            assert_eq!(answer["error"]["fields"][0]["field"], "scanId", "{answer}");
        }
    }
}

/// `-H 'X-GitHub-Delivery;'` (empty): the document first required a
/// non-empty delivery id; the function only logs it, so any value is
/// accepted. An empty event header is still a 400.
#[tokio::test]
async fn an_empty_delivery_id_is_accepted_and_an_empty_event_is_not() {
    let app = fuzzed_app();
    let secret = "run-local-github-webhook-secret";
    let (status, body) = status_and_body(&app, signed_github("0", "{}", secret, "")).await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = status_and_body(&app, signed_github(" ", "{}", secret, "1")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["fields"][0]["field"], "X-GitHub-Event",
        "{body}"
    );
}

/// `-d '[null, null]'` to /webhooks/gitlab with an ignored event, and a form
/// body without `payload=` to /webhooks/github: the document first said the
/// body is an object (a form with payload); the function reads it only for
/// a push, so an ignored event is acknowledged whatever its body, and a push
/// with such a body is a 400.
#[tokio::test]
async fn a_webhook_body_is_checked_only_for_a_push() {
    let app = fuzzed_app();
    let token = Some("run-local-gitlab-webhook-token");
    let (status, body) = status_and_body(&app, gitlab_delivery("0", "[null, null]", token)).await;
    assert_eq!(status, 202, "{body}");
    let (status, body) =
        status_and_body(&app, gitlab_delivery("Push Hook", "[null, null]", token)).await;
    assert_eq!(status, 400, "{body}");
    let secret = "run-local-github-webhook-secret";
    for event in ["0", "push"] {
        let mut e = signed_github(event, "a=1", secret, "2");
        e["headers"]["content-type"] = "application/x-www-form-urlencoded".into();
        let (status, body) = status_and_body(&app, e).await;
        assert_eq!(status, if event == "push" { 400 } else { 202 }, "{body}");
    }
}
