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

/// The rules across the Idempotency-Key header and the body that OpenAPI
/// cannot state (schemathesis: "schema-valid request rejected"), kept as the
/// document's parameter description says them: 400, naming the body field.
#[tokio::test]
async fn header_and_body_keys_that_disagree_are_400s() {
    let app = fuzzed_app();
    let cases = [
        (
            "/scans",
            json!({"clientToken": "other", "resource": {"projectId": project(1)}}),
            "clientToken",
        ),
        (
            "/assessment-runs",
            json!({"assessmentRunName": "0", "assessmentTemplateArn": "arn:"}),
            "assessmentRunName",
        ),
    ];
    for (path, body, field) in cases {
        let mut e = http_event("POST", path, Some(&body.to_string()), false);
        e["headers"]["idempotency-key"] = "k-1".into();
        let (status, answer) = status_and_body(&app, e.clone()).await;
        assert_eq!(status, 400, "{path}: {answer}");
        assert_eq!(answer["error"]["fields"][0]["field"], field, "{answer}");
        // Without the header, the same body is accepted.
        e["headers"]
            .as_object_mut()
            .unwrap()
            .remove("idempotency-key");
        let (status, answer) = status_and_body(&app, e).await;
        assert_eq!(status, 200, "{path}: {answer}");
        assert_eq!(answer["dryRun"], true);
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
