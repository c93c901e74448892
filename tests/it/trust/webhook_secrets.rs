//! Webhooks against a failing or slow Secrets Manager: the cheap checks
//! come before the secret, a failed read is remembered, the last good
//! secrets outlive an outage by a grace period, and the webhooks' own share
//! of the function turns a flood away before it waits on anything.

use crate::common;

use common::logs::Logs;
use common::webhooks::*;
use common::*;
use inspector_scan_router::App;
use serde_json::Value;
use std::time::Duration;

const GH_PUSH: &str = "webhook-github-push.json";
const GL_PUSH: &str = "webhook-gitlab-push.json";

async fn send(app: &App, delivery: Value) -> (u64, Value) {
    let r = app.handle(event(delivery)).await.expect("HTTP answers");
    (r["statusCode"].as_u64().unwrap(), http_body(&r))
}

fn without(file: &str, header: &str) -> Value {
    let mut e = load_event(file);
    e["headers"].as_object_mut().unwrap().remove(header);
    e
}

#[tokio::test]
async fn a_delivery_without_a_signature_header_reads_no_secret() {
    let (_logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&local_secret(), None);
    let (server, inspector, app) =
        with_vault(&vault, secret_settings(Duration::ZERO, Duration::ZERO)).await;
    let body = load_event(GH_PUSH)["body"].as_str().unwrap().to_string();
    for delivery in [
        without(GH_PUSH, "x-hub-signature-256"),
        without(GL_PUSH, "x-gitlab-token"),
        github_delivery("push", &body, Some("sha256=zz"), "d-1"),
        github_delivery("push", &body, Some("sha1=0123"), "d-2"),
    ] {
        let (status, answer) = send(&app, delivery).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (401, Some("InvalidSignature"))
        );
    }
    assert!(vault.calls().is_empty(), "no Secrets Manager call");
    assert!(inspector.state.lock().unwrap().scans.is_empty());
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn after_a_good_read_an_outage_is_bridged_by_the_last_secrets() {
    let (logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&local_secret(), None);
    // TTL 0: every delivery fetches; grace 300 s.
    let s = secret_settings(Duration::ZERO, Duration::from_secs(300));
    let (_server, inspector, app) = with_vault(&vault, s).await;
    assert_eq!(send(&app, load_event(GH_PUSH)).await.0, 202);
    vault.set(|v| v.failing = Some((500, "InternalServiceError")));
    // Still verified, with the values read before: a good delivery scans,
    // a forged one is refused.
    assert_eq!(send(&app, load_event(GL_PUSH)).await.0, 202);
    let body = load_event(GH_PUSH)["body"].as_str().unwrap().to_string();
    let forged = signed_github("push", &body, "not-the-secret", "d-9");
    assert_eq!(send(&app, forged).await.0, 401);
    assert_eq!(inspector.state.lock().unwrap().scans.len(), 2);
    assert!(logs.text().contains("using the values fetched before"));
    let log = logs.text();
    assert!(!log.contains(LOCAL_GITHUB_SECRET) && !log.contains(LOCAL_GITLAB_TOKEN));

    // Past TTL + grace: no longer.
    let s = secret_settings(Duration::ZERO, Duration::ZERO);
    let vault = SecretsManager::holding(&local_secret(), None);
    let (_server, _, app) = with_vault(&vault, s).await;
    assert_eq!(send(&app, load_event(GH_PUSH)).await.0, 202);
    vault.set(|v| v.failing = Some((500, "InternalServiceError")));
    assert_eq!(send(&app, load_event(GH_PUSH)).await.0, 500);
}

#[tokio::test]
async fn a_failed_read_is_remembered() {
    let (_logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&local_secret(), None);
    vault.set(|v| v.failing = Some((500, "InternalServiceError")));
    let (_server, _, app) =
        with_vault(&vault, secret_settings(Duration::ZERO, Duration::ZERO)).await;
    for _ in 0..5 {
        assert_eq!(send(&app, load_event(GH_PUSH)).await.0, 500);
    }
    assert_eq!(
        vault.calls().len(),
        2,
        "one fetch (two versions) for five deliveries"
    );
}

#[tokio::test]
async fn a_flood_of_deliveries_holds_no_more_than_the_webhooks_share() {
    let (_logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&local_secret(), None);
    vault.set(|v| v.delay = Duration::from_millis(300));
    let mut s = secret_settings(Duration::from_secs(300), Duration::ZERO);
    s.webhooks.concurrency = 2;
    let (_server, _, app) = with_vault(&vault, s).await;
    let deliveries = (0..5).map(|_| send(&app, load_event(GH_PUSH)));
    let answers = futures::future::join_all(deliveries).await;
    let busy: Vec<_> = answers.iter().filter(|(s, _)| *s == 503).collect();
    assert_eq!(busy.len(), 3, "{answers:?}");
    assert_eq!(busy[0].1["error"]["code"], "WebhookConcurrencyReached");
    assert_eq!(answers.iter().filter(|(s, _)| *s == 202).count(), 2);
    // The slots are given back.
    assert_eq!(send(&app, load_event(GH_PUSH)).await.0, 202);
}
