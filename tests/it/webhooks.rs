//! Webhooks straight from GitHub and GitLab, through the handler: the real
//! Secrets Manager and Inspector SDK clients over HTTP against stand-ins
//! (the stateful Inspector counts scans per clientToken).

use crate::common;

use common::logs::Logs;
use common::stateful::*;
use common::webhooks::*;
use common::*;
use inspector_scan_router::config::WebhookSettings;
use inspector_scan_router::domain::keys::push_token;
use inspector_scan_router::{App, Settings};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use wiremock::MockServer;

fn settings(ttl_seconds: u64) -> Settings {
    let grace = WebhookSettings::default().secret_grace;
    secret_settings(Duration::from_secs(ttl_seconds), grace)
}

fn scans(inspector: &Inspector) -> usize {
    inspector.state.lock().unwrap().scans.len()
}

/// Calls that reached anything but Secrets Manager.
async fn inspector_calls(server: &MockServer) -> usize {
    requests(server)
        .await
        .iter()
        .filter(|r| {
            !req_header(r, "x-amz-target").is_some_and(|t| t.starts_with("secretsmanager."))
        })
        .count()
}

async fn send(app: &App, delivery: Value) -> (u64, Value) {
    let r = app.handle(event(delivery)).await.expect("HTTP answers");
    (r["statusCode"].as_u64().unwrap(), http_body(&r))
}

const GH_PUSH: &str = "webhook-github-push.json";
const GL_PUSH: &str = "webhook-gitlab-push.json";

fn github_push_body() -> String {
    load_event(GH_PUSH)["body"].as_str().unwrap().to_string()
}

fn gitlab_push_body() -> String {
    load_event(GL_PUSH)["body"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn githubs_published_test_vector_verifies_through_the_handler() {
    let (_logs, _turn) = Logs::capture().await;
    // GitHub's documented example: this secret, this payload, this signature.
    let vault =
        SecretsManager::holding(&secret_json(Some("It's a Secret to Everybody"), None), None);
    let (server, _, app) = with_vault(&vault, settings(300)).await;
    let signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    assert_eq!(
        sign("It's a Secret to Everybody", b"Hello, World!"),
        signature
    );
    let (status, body) = send(
        &app,
        github_delivery("ping", "Hello, World!", Some(signature), "d-1"),
    )
    .await;
    assert_eq!(
        (status, &body),
        (200, &json!({"event": "ping", "received": true}))
    );
    // Verified, then read: not a push payload.
    let (status, body) = send(
        &app,
        github_delivery("push", "Hello, World!", Some(signature), "d-2"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "MalformedRequest");
    // One hex digit off.
    let off = signature.replace("e17", "e18");
    let (status, body) = send(
        &app,
        github_delivery("ping", "Hello, World!", Some(&off), "d-3"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("InvalidSignature"))
    );
    assert_eq!(inspector_calls(&server).await, 0);
}

#[tokio::test]
async fn a_push_starts_one_scan_and_a_redelivery_starts_none() {
    let (_logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&local_secret(), None);
    let (server, inspector, app) = with_vault(&vault, settings(300)).await;
    let (status, first) = send(&app, load_event(GH_PUSH)).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["projectId"], PROJECT);
    assert_eq!(scans(&inspector), 1);

    // GitHub's redelivery: the same body and signature, a new delivery id.
    let mut again = load_event(GH_PUSH);
    again["headers"]["x-github-delivery"] = "0b9e7c44-c7a5-11f0-8f00-0a1b2c3d4e5f".into();
    let (status, second) = send(&app, again).await;
    assert_eq!(status, 202);
    assert_eq!(
        second["scanId"], first["scanId"],
        "the first delivery's scan"
    );
    assert_eq!(scans(&inspector), 1, "a redelivery starts no scan");

    // Keyed as an EventBridge push of the same commit: that starts none either.
    let payload = payload_of(GH_PUSH);
    let token = push_token(
        "github",
        "octo-org/payments-api",
        payload["after"].as_str().unwrap(),
    );
    let starts: Vec<Value> = requests(&server)
        .await
        .iter()
        .filter(|r| r.url.path() == START_SCAN_PATH)
        .map(json_of)
        .collect();
    assert_eq!(starts.len(), 2);
    assert!(
        starts.iter().all(|b| b["clientToken"] == token.as_str()),
        "{starts:?}"
    );
    app.handle(event(load_event("eventbridge-github-push.json")))
        .await
        .unwrap();
    assert_eq!(
        scans(&inspector),
        1,
        "webhook and EventBridge deliveries of one push: one scan"
    );
}

#[tokio::test]
async fn gitlab_push_starts_a_scan_keyed_as_its_eventbridge_delivery() {
    let (_logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&local_secret(), None);
    let (_server, inspector, app) = with_vault(&vault, settings(300)).await;
    let (status, body) = send(&app, load_event(GL_PUSH)).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["projectId"], PROJECT2);
    let after = payload_of(GL_PUSH)["after"].as_str().unwrap().to_string();
    let token = push_token("gitlab", "platform/tools/deploy-bot", &after);
    assert!(inspector.state.lock().unwrap().scans.contains_key(&token));
    app.handle(event(load_event("eventbridge-gitlab-push.json")))
        .await
        .unwrap();
    assert_eq!(scans(&inspector), 1);
}

#[tokio::test]
async fn wrong_missing_or_truncated_signatures_and_tokens_are_401_and_call_nothing() {
    let (logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&local_secret(), None);
    let (server, inspector, app) = with_vault(&vault, settings(300)).await;
    let body = github_push_body();
    let good = sign(LOCAL_GITHUB_SECRET, body.as_bytes());
    let wrong_secret = sign("not-the-secret", body.as_bytes());
    let other_body = sign(LOCAL_GITHUB_SECRET, b"{}");
    let cases: Vec<(&str, Value)> = vec![
        ("missing", github_delivery("push", &body, None, "d-1")),
        (
            "wrong secret",
            github_delivery("push", &body, Some(&wrong_secret), "d-2"),
        ),
        (
            "another body's",
            github_delivery("push", &body, Some(&other_body), "d-3"),
        ),
        (
            "truncated",
            github_delivery("push", &body, Some(&good[..good.len() - 2]), "d-4"),
        ),
        (
            "prefix only",
            github_delivery("push", &body, Some("sha256="), "d-5"),
        ),
        (
            "no prefix",
            github_delivery("push", &body, Some(&good["sha256=".len()..]), "d-6"),
        ),
        (
            "sha1 form",
            github_delivery("push", &body, Some(&good.replace("sha256", "sha1")), "d-7"),
        ),
        (
            "repeated",
            github_delivery("push", &body, Some(&format!("{good},{good}")), "d-8"),
        ),
        ("empty", github_delivery("push", &body, Some(""), "d-9")),
        (
            "gitlab wrong token",
            gitlab_delivery(
                "Push Hook",
                &gitlab_push_body(),
                Some("run-local-gitlab-webhook-toke"),
            ),
        ),
        (
            "gitlab missing token",
            gitlab_delivery("Push Hook", &gitlab_push_body(), None),
        ),
        ("gitlab's token to github", {
            let mut e = github_delivery("push", &body, None, "d-10");
            e["headers"]["x-gitlab-token"] = LOCAL_GITLAB_TOKEN.into();
            e
        }),
    ];
    for (name, delivery) in cases {
        let sent = delivery.to_string();
        let r = app.handle(event(delivery)).await.unwrap();
        assert_eq!(r["statusCode"], 401, "{name}: {r}");
        let answer = http_body(&r);
        assert_eq!(answer["error"]["code"], "InvalidSignature", "{name}");
        assert_eq!(answer["error"]["retryable"], false, "{name}");
        let text = r.to_string();
        for secretish in [
            &good[7..31],
            "octo-org",
            "payments-api",
            "run-local-gitlab",
            "deploy-bot",
            "d-1",
        ] {
            assert!(
                !text.contains(secretish),
                "{name}: answer echoes {secretish}: {text}"
            );
        }
        assert!(sent.contains("payments-api") || sent.contains("deploy-bot"));
    }
    assert_eq!(inspector_calls(&server).await, 0, "nothing called");
    assert_eq!(scans(&inspector), 0);
    let log = logs.text();
    assert_eq!(
        log.matches("\"error_code\":\"InvalidSignature\"").count(),
        12,
        "{log}"
    );
    for leaked in [
        &good[7..31],
        &wrong_secret[7..31],
        "payments-api",
        "deploy-bot",
        "run-local-gitlab",
        // As a value: "d-2" alone also occurs inside random UUIDs of the
        // SDK's trace lines (…86bd-2fa8…).
        "\"d-2\"",
        "Hookshot",
        "140.82.",
    ] {
        assert!(!log.contains(leaked), "log carries {leaked}: {log}");
    }
}

/// A rotation revokes: the previous version is accepted only for
/// `WEBHOOK_PREVIOUS_SECRET_HOURS` after the current one was created (its
/// `CreatedDate`), then only the current one; a kept copy obeys it too.
#[tokio::test]
async fn the_previous_secret_is_refused_once_its_hours_after_the_rotation_are_past() {
    let (_logs, _turn) = Logs::capture().await;
    let new = secret_json(Some("github-new"), Some("gitlab-new"));
    let old = secret_json(Some("github-old"), Some("gitlab-old"));
    let body = github_push_body();
    for (age_hours, window_hours, old_status) in [(25, 24, 401), (23, 24, 202), (1, 0, 401)] {
        let vault = SecretsManager::holding(&new, Some(&old));
        vault.set(|v| v.current_age = Some(Duration::from_secs(age_hours * 3600)));
        let mut s = settings(300);
        s.webhooks.previous_secret_window = Duration::from_secs(window_hours * 3600);
        let (_server, _inspector, app) = with_vault(&vault, s).await;
        let case = format!("rotated {age_hours} h ago, window {window_hours} h");
        let (got, answer) = send(&app, signed_github("push", &body, "github-old", "d-old")).await;
        assert_eq!(got, old_status, "{case}: {answer}");
        let (got, answer) = send(&app, signed_github("push", &body, "github-new", "d-new")).await;
        assert_eq!(got, 202, "{case}: the current one always: {answer}");
        let (got, _) = send(
            &app,
            gitlab_delivery("Push Hook", &gitlab_push_body(), Some("gitlab-old")),
        )
        .await;
        assert_eq!(got, old_status, "{case}: GitLab's too");
    }
}

#[test]
fn the_previous_secret_window_is_read_and_bounded() {
    let read = |v: &str| {
        Settings::from_lookup(|k| (k == "WEBHOOK_PREVIOUS_SECRET_HOURS").then(|| v.to_string()))
    };
    assert_eq!(
        Settings::from_lookup(|_| None)
            .unwrap()
            .webhooks
            .previous_secret_window,
        Duration::from_secs(24 * 3600)
    );
    assert_eq!(
        read("2").unwrap().webhooks.previous_secret_window,
        Duration::from_secs(7200)
    );
    assert!(read("721").is_err() && read("-1").is_err());
}

#[tokio::test]
async fn a_signature_made_with_the_previous_secret_version_is_accepted() {
    let (_logs, _turn) = Logs::capture().await;
    let new = secret_json(Some("github-new"), Some("gitlab-new"));
    let old = secret_json(Some("github-old"), Some("gitlab-old"));
    let vault = SecretsManager::holding(&new, Some(&old));
    let (_server, inspector, app) = with_vault(&vault, settings(300)).await;
    let body = github_push_body();
    for (secret, status) in [
        ("github-old", 202),
        ("github-new", 202),
        ("github-older", 401),
    ] {
        let (got, answer) = send(&app, signed_github("push", &body, secret, secret)).await;
        assert_eq!(got, status, "{secret}: {answer}");
    }
    let gl_body = gitlab_push_body();
    for (token, status) in [
        ("gitlab-old", 202),
        ("gitlab-new", 202),
        ("github-old", 401),
    ] {
        let (got, answer) = send(&app, gitlab_delivery("Push Hook", &gl_body, Some(token))).await;
        assert_eq!(got, status, "{token}: {answer}");
    }
    assert_eq!(
        scans(&inspector),
        2,
        "one scan per push, whichever version signed it"
    );
}

#[tokio::test]
async fn ping_tag_pushes_and_other_events_answer_without_calling_inspector() {
    let (_logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&local_secret(), None);
    let (server, _, app) = with_vault(&vault, settings(300)).await;
    let (status, body) = send(&app, load_event("webhook-github-ping.json")).await;
    assert_eq!(
        (status, body),
        (200, json!({"event": "ping", "received": true}))
    );

    let mut tag = payload_of(GH_PUSH);
    tag["ref"] = "refs/tags/v1.4.0".into();
    let mut branch = payload_of(GH_PUSH);
    branch["ref"] = "refs/heads/feature/rounding".into();
    let mut gl_tag = payload_of(GL_PUSH);
    gl_tag["object_kind"] = "tag_push".into();
    gl_tag["ref"] = "refs/tags/v2.0.0".into();
    let s = LOCAL_GITHUB_SECRET;
    let t = Some(LOCAL_GITLAB_TOKEN);
    let cases = [
        (
            "github tag",
            signed_github("push", &tag.to_string(), s, "d-1"),
            200,
            "skipped",
        ),
        (
            "github branch",
            signed_github("push", &branch.to_string(), s, "d-2"),
            200,
            "skipped",
        ),
        (
            "github issues",
            signed_github("issues", "{\"action\":\"opened\"}", s, "d-3"),
            202,
            "ignored",
        ),
        (
            "gitlab tag",
            gitlab_delivery("Tag Push Hook", &gl_tag.to_string(), t),
            200,
            "skipped",
        ),
        (
            "gitlab merge request",
            gitlab_delivery(
                "Merge Request Hook",
                "{\"object_kind\":\"merge_request\"}",
                t,
            ),
            202,
            "ignored",
        ),
        (
            "gitlab system hook",
            gitlab_delivery("System Hook", "{\"event_name\":\"project_create\"}", t),
            202,
            "ignored",
        ),
    ];
    for (name, delivery, status, key) in cases {
        let (got, body) = send(&app, delivery).await;
        assert_eq!(got, status, "{name}: {body}");
        assert_eq!(body[key], true, "{name}: {body}");
        assert!(
            body["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{name}: {body}"
        );
    }
    // A tag push sent as a Push Hook is refused, not scanned.
    let (status, _) = send(&app, gitlab_delivery("Push Hook", &gl_tag.to_string(), t)).await;
    assert_eq!(status, 400);
    assert_eq!(inspector_calls(&server).await, 0);
}

#[tokio::test]
async fn form_encoded_and_base64_bodies_are_verified_over_the_bytes_sent() {
    let (_logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&local_secret(), None);
    let (_server, inspector, app) = with_vault(&vault, settings(300)).await;
    let json_body = github_push_body();
    let form: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &json_body)
        .finish();
    let mut delivery = signed_github("push", &form, LOCAL_GITHUB_SECRET, "d-1");
    delivery["headers"]["content-type"] = "application/x-www-form-urlencoded".into();
    let (status, body) = send(&app, delivery.clone()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(scans(&inspector), 1);

    // API Gateway may hand the form body over base64-encoded.
    let (status, body) = send(&app, base64_body(delivery)).await;
    assert_eq!(status, 202, "{body}");
    // Signed over the JSON, sent as a form: not what was signed.
    let mut resigned = signed_github("push", &json_body, LOCAL_GITHUB_SECRET, "d-2");
    resigned["headers"]["content-type"] = "application/x-www-form-urlencoded".into();
    resigned["body"] = form.clone().into();
    assert_eq!(send(&app, resigned).await.0, 401);
    assert_eq!(scans(&inspector), 1, "one push, one scan");
}

#[tokio::test]
async fn function_url_and_rest_api_deliveries_are_handled_alike() {
    let (_logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&local_secret(), None);
    let (_server, inspector, app) = with_vault(&vault, settings(300)).await;
    // A function URL: no stage in the path.
    let mut url = load_event(GH_PUSH);
    url["rawPath"] = "/webhooks/github".into();
    url["requestContext"]["http"]["path"] = "/webhooks/github".into();
    url["requestContext"]["stage"] = "$default".into();
    let (status, body) = send(&app, url).await;
    assert_eq!(status, 202, "{body}");
    // A REST API (payload 1.0) delivery of the same push.
    let gh = load_event(GH_PUSH);
    let rest = json!({
        "resource": "/webhooks/github", "path": "/webhooks/github", "httpMethod": "POST",
        "headers": gh["headers"], "multiValueHeaders": {}, "queryStringParameters": null,
        "requestContext": {"accountId": "123456789012", "apiId": "abc123", "stage": "prod",
            "requestId": "r-1", "httpMethod": "POST", "resourcePath": "/webhooks/github",
            "path": "/prod/webhooks/github", "identity": {"sourceIp": "140.82.115.10"}},
        "body": gh["body"], "isBase64Encoded": false
    });
    let r = app.handle(event(rest)).await.unwrap();
    assert_eq!(r["statusCode"], 202, "{r}");
    assert!(r.get("multiValueHeaders").is_some(), "REST API envelope");
    assert_eq!(scans(&inspector), 1);
}

#[tokio::test]
async fn the_secret_is_fetched_at_the_first_webhook_and_kept_for_its_ttl() {
    let (_logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&local_secret(), None);
    let (_server, _, app) = with_vault(&vault, settings(300)).await;
    let other =
        json!({"action": "StartCodeSecurityScan", "projectId": PROJECT, "idempotencyKey": "k-1"});
    app.handle(event(other)).await.unwrap();
    assert!(
        vault.calls().is_empty(),
        "not at init, not for other triggers"
    );
    for _ in 0..3 {
        assert_eq!(
            send(&app, load_event("webhook-github-ping.json")).await.0,
            200
        );
        assert_eq!(send(&app, load_event(GL_PUSH)).await.0, 202);
    }
    let calls = vault.calls();
    let stages: Vec<&str> = calls.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(
        calls.len(),
        2,
        "one fetch of both versions for six deliveries: {calls:?}"
    );
    assert!(stages.contains(&"AWSCURRENT") && stages.contains(&"AWSPREVIOUS"));
    assert!(calls.iter().all(|(id, _)| id == SECRET_ARN));

    // TTL 0: fetched for every delivery.
    let vault = SecretsManager::holding(&local_secret(), None);
    let (_server, _, app) = with_vault(&vault, settings(0)).await;
    for _ in 0..3 {
        send(&app, load_event("webhook-github-ping.json")).await;
    }
    assert_eq!(vault.calls().len(), 6);
}

#[tokio::test]
async fn a_provider_without_a_secret_has_no_route() {
    let (_logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&secret_json(Some(LOCAL_GITHUB_SECRET), Some("")), None);
    let (server, _, app) = with_vault(&vault, settings(300)).await;
    let (status, body) = send(&app, load_event(GL_PUSH)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("NotFound"))
    );
    assert_eq!(inspector_calls(&server).await, 0);
    assert_eq!(send(&app, load_event(GH_PUSH)).await.0, 202);

    // No WEBHOOK_SECRET_ARN: no webhook routes, nothing fetched.
    let mut plain = settings(300);
    plain.webhooks = WebhookSettings::default();
    let vault = SecretsManager::holding(&local_secret(), None);
    let (_, _, app) = with_vault(&vault, plain).await;
    for file in WEBHOOK_EVENTS {
        assert_eq!(send(&app, load_event(file)).await.0, 404, "{file}");
    }
    assert!(vault.calls().is_empty());
    let mut get = load_event(GH_PUSH);
    get["requestContext"]["http"]["method"] = "GET".into();
    let r = app.handle(event(get)).await.unwrap();
    assert_eq!(r["statusCode"], 405);
    assert_eq!(resp_header(&r, "allow"), Some("POST"));
}

#[tokio::test]
async fn the_body_size_limit_comes_before_the_secret_and_the_signature() {
    let (_logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&local_secret(), None);
    let mut s = settings(300);
    s.limits.max_body_bytes = 1024;
    let (server, _, app) = with_vault(&vault, s).await;
    let big = format!("{{\"padding\": \"{}\"}}", "x".repeat(2048));
    for delivery in [
        signed_github("push", &big, LOCAL_GITHUB_SECRET, "d-1"),
        github_delivery("push", &big, Some("sha256=00"), "d-2"),
        base64_body(github_delivery("push", &big, None, "d-3")),
    ] {
        let (status, body) = send(&app, delivery).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (413, Some("PayloadTooLarge"))
        );
    }
    assert!(vault.calls().is_empty(), "the secret was not even fetched");
    assert_eq!(inspector_calls(&server).await, 0);
}

#[tokio::test]
async fn secret_failures_are_5xx_and_never_show_a_value() {
    let (logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&local_secret(), None);
    vault.set(|v| v.failing = Some((400, "AccessDeniedException")));
    let (_server, _inspector, app) = with_vault(&vault, settings(300)).await;
    let (status, body) = send(&app, load_event(GH_PUSH)).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(
        body["error"],
        json!({"code": "InternalError", "message": "internal error", "retryable": true})
    );
    assert!(
        logs.text().contains("AccessDeniedException"),
        "the log names the cause"
    );

    // A failed fetch is remembered a few seconds (no call meanwhile), then
    // the next delivery fetches again.
    vault.set(|v| v.failing = None);
    let (status, _) = send(&app, load_event(GH_PUSH)).await;
    assert_eq!(status, 500, "the failure is remembered");
    assert_eq!(vault.calls().len(), 2, "and nothing fetched meanwhile");
    let mut s = settings(300);
    s.webhooks.secret_failure_cache = Duration::ZERO;
    vault.set(|v| v.failing = Some((400, "AccessDeniedException")));
    let (_server, inspector, app) = with_vault(&vault, s).await;
    assert_eq!(send(&app, load_event(GH_PUSH)).await.0, 500);
    vault.set(|v| v.failing = None);
    assert_eq!(send(&app, load_event(GH_PUSH)).await.0, 202);
    assert_eq!(scans(&inspector), 1);

    // A current version that is not the expected JSON: its text is never shown.
    let vault = SecretsManager::holding(
        r#"{"github": ["sentinel-6b1d"], "gitlab": "sentinel-7c2e"}"#,
        None,
    );
    let (_, _, app) = with_vault(&vault, settings(300)).await;
    let r = app.handle(event(load_event(GH_PUSH))).await.unwrap();
    assert_eq!(r["statusCode"], 500);
    let log = logs.text();
    assert!(log.contains("github"), "the log names the key: {log}");
    for text in [r.to_string(), log.clone()] {
        assert!(!text.contains("sentinel"), "{text}");
        assert!(
            !text.contains(LOCAL_GITHUB_SECRET) && !text.contains(LOCAL_GITLAB_TOKEN),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_scan_that_does_not_start_is_a_5xx() {
    let (_logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&local_secret(), None);
    for (status, code, expected) in [
        (500, "InternalServerException", 502),
        (403, "AccessDeniedException", 502),
        (429, "ThrottlingException", 503),
    ] {
        let server = serving(START_SCAN_PATH, aws_error_answer(status, code)).await;
        vault.mount(&server).await;
        let app = live_app_with(&server, settings(300), 1).await;
        let (got, body) = send(&app, load_event(GH_PUSH)).await;
        assert_eq!(got, expected, "{code}: {body}");
        assert_eq!(body["error"]["code"], code);
    }
    // A repository Inspector does not cover: a skip, not a failure (an
    // organisation webhook sends every repository's pushes).
    let (server, _) = stateful_stand_in(HashMap::new()).await;
    vault.mount(&server).await;
    let mut s = settings(300);
    s.resolve.project_map.clear();
    let app = live_app_with(&server, s, 1).await;
    let (status, body) = send(&app, load_event(GH_PUSH)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["skipped"], true);
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("not known to Amazon Inspector"),
        "{body}"
    );
}

#[tokio::test]
async fn a_scan_that_cannot_start_within_the_senders_window_is_a_503_in_time() {
    let (_logs, _turn) = Logs::capture().await;
    // Repository resolution takes 1.6 s: too late to start a call that may
    // last the operation timeout (8 s) within GitHub's 10 s.
    let vault = SecretsManager::holding(&local_secret(), None);
    let coverage = wiremock::ResponseTemplate::new(200)
        .set_delay(Duration::from_millis(1600))
        .set_body_json(json!({"coveredResources": [{
            "resourceType": "CODE_REPOSITORY", "accountId": "123456789012", "scanType": "CODE",
            "resourceId": format!("arn:aws:inspector2:us-east-1:123456789012:codesecurity-integration/x/{PROJECT}"),
            "resourceMetadata": {"codeRepository": {"projectName": "octo-org/payments-api",
                "providerType": "GITHUB", "providerTypeVisibility": "PRIVATE"}}}]}));
    let server = serving("/coverage/list", coverage).await;
    on_post(&server, START_SCAN_PATH, scan_started()).await;
    vault.mount(&server).await;
    let mut s = settings(300);
    s.resolve.project_map.clear();
    let app = live_app_with(&server, s, 1).await;
    let started = Instant::now();
    let (status, body) = send(&app, load_event(GH_PUSH)).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "NotAttempted");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(
        !requests(&server)
            .await
            .iter()
            .any(|r| r.url.path() == START_SCAN_PATH)
    );
}

#[tokio::test]
async fn the_delivery_id_is_logged_once_verified() {
    let (logs, _turn) = Logs::capture().await;
    let vault = SecretsManager::holding(&local_secret(), None);
    let (_server, _, app) = with_vault(&vault, settings(300)).await;
    send(&app, load_event(GH_PUSH)).await;
    send(&app, load_event(GL_PUSH)).await;
    let log = logs.text();
    let lines: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["message"] == "invocation")
        .collect();
    assert_eq!(lines.len(), 2, "{log}");
    let gh = load_event(GH_PUSH);
    assert_eq!(lines[0]["delivery_id"], gh["headers"]["x-github-delivery"]);
    assert_eq!(lines[0]["event"], "push");
    assert_eq!(lines[0]["outcome"], "completed");
    assert_eq!(lines[0]["trigger"], "webhook");
    assert_eq!(
        lines[1]["delivery_id"],
        load_event(GL_PUSH)["headers"]["x-gitlab-event-uuid"]
    );
    assert!(!log.contains(LOCAL_GITHUB_SECRET) && !log.contains(LOCAL_GITLAB_TOKEN));
    assert!(!log.contains(gh["headers"]["x-hub-signature-256"].as_str().unwrap()));
}

#[tokio::test]
async fn a_dry_run_verifies_with_the_local_secrets_and_plans() {
    let (_logs, _turn) = Logs::capture().await;
    let env = |dry: &'static str| {
        move |k: &str| match k {
            "DRY_RUN" => Some(dry.to_string()),
            "DRY_RUN_WEBHOOK_SECRETS" => Some(local_secret()),
            _ => None,
        }
    };
    let settings = Settings::from_lookup(env("true")).unwrap();
    let app = App::new(settings, None);
    for file in WEBHOOK_EVENTS {
        let (status, body) = send(&app, load_event(file)).await;
        assert_eq!(status, 200, "{file}: {body}");
    }
    let (_, plan) = send(&app, load_event(GH_PUSH)).await;
    assert_eq!(plan["dryRun"], true);
    let calls = plan["calls"].as_array().unwrap();
    assert_eq!(
        calls[0]["operation"], "ListCoverage",
        "no PROJECT_MAP: {plan}"
    );
    assert_eq!(
        calls[1]["input"]["clientToken"],
        push_token(
            "github",
            "octo-org/payments-api",
            payload_of(GH_PUSH)["after"].as_str().unwrap()
        )
    );

    // Never outside a dry run, and the error does not quote the value.
    let e = Settings::from_lookup(env("false")).unwrap_err().to_string();
    assert!(
        e.contains("DRY_RUN_WEBHOOK_SECRETS") && !e.contains(LOCAL_GITHUB_SECRET),
        "{e}"
    );
}

#[test]
fn webhook_settings_errors_name_the_variable() {
    let with = |pairs: &'static [(&'static str, &'static str)]| {
        Settings::from_lookup(move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    };
    let ok = with(&[("WEBHOOK_SECRET_ARN", SECRET_ARN)]).unwrap();
    assert_eq!(ok.webhooks.secret_arn.as_deref(), Some(SECRET_ARN));
    assert_eq!(ok.webhooks.secret_ttl, Duration::from_secs(300));
    // The operation timeout is fixed at what a webhook's window allows.
    assert!(ok.sdk.operation_timeout <= Duration::from_secs(8));
    for (pairs, variable) in [
        (
            &[("WEBHOOK_SECRET_ARN", "my-secret")][..],
            "WEBHOOK_SECRET_ARN",
        ),
        (
            &[("WEBHOOK_SECRET_ARN", "arn:aws:s3:::bucket")][..],
            "WEBHOOK_SECRET_ARN",
        ),
        (
            &[("WEBHOOK_PREVIOUS_SECRET_HOURS", "-1")][..],
            "WEBHOOK_PREVIOUS_SECRET_HOURS",
        ),
        (
            &[("DRY_RUN_WEBHOOK_SECRETS", "{\"github\": \"x\"}")][..],
            "DRY_RUN_WEBHOOK_SECRETS",
        ),
        (
            &[
                ("DRY_RUN", "true"),
                ("DRY_RUN_WEBHOOK_SECRETS", "{\"github\": 7}"),
            ][..],
            "DRY_RUN_WEBHOOK_SECRETS",
        ),
    ] {
        let e = with(pairs).unwrap_err().to_string();
        assert!(e.contains(variable), "{pairs:?}: {e}");
    }
}
