//! Trust boundaries: only the callers the deployer names can start or stop
//! scanning, what is echoed or logged is bounded, and the log says who asked.
//! Each boundary: the request is refused, nothing reaches the Inspector
//! stand-in, and the answer and the log are short.

use crate::common;

use common::logs::Logs;
use common::stateful::*;
use common::*;
use inspector_scan_router::{App, Settings};
use serde_json::{Value, json};
use std::collections::HashMap;

async fn inspector_with(settings: Settings) -> (wiremock::MockServer, App) {
    let server = stand_in().await;
    let app = live_app_with(&server, settings, 1).await;
    (server, app)
}

#[tokio::test(flavor = "current_thread")]
async fn events_from_an_untrusted_account_or_source_call_nothing() {
    let (logs, _turn) = Logs::capture().await;
    let (server, app) = inspector_with(crate::common::settings()).await;
    let cases = [
        ("eventbridge-start-scan.json", "account", "999999999999"),
        ("eventbridge-start-scan.json", "source", "com.attacker.ci"),
        ("eventbridge-disassociate.json", "source", "github.com"),
        ("eventbridge-github-push.json", "source", "com.example.ci"),
        ("eventbridge-github-push.json", "account", "999999999999"),
    ];
    for (file, key, value) in cases {
        let mut e = load_event(file);
        e[key] = value.into();
        let err = app.handle(event(e)).await.unwrap_err();
        assert_eq!(err.code(), "UntrustedEvent", "{file} {key}={value}");
        assert!(!err.retryable());
        let line = logs.invocation();
        assert_eq!(line["error_code"], "UntrustedEvent");
        assert_eq!(line[format!("event_{key}")], value, "{line}");
        assert!(line["event_id"].is_string());
    }
    assert!(requests(&server).await.is_empty(), "nothing was called");

    // TRUSTED_ACCOUNTS names other accounts: those, and only those.
    let settings = Settings::from_lookup(|k| {
        (k == "TRUSTED_ACCOUNTS").then(|| "111111111111, 222222222222".to_string())
    })
    .unwrap();
    let (server, app) = inspector_with(settings).await;
    let mut e = load_event("eventbridge-start-scan.json");
    assert_eq!(
        app.handle(event(e.clone())).await.unwrap_err().code(),
        "UntrustedEvent",
        "the function's own account is not listed"
    );
    e["account"] = "222222222222".into();
    app.handle(event(e)).await.unwrap();
    assert_eq!(requests(&server).await.len(), 1);
}

fn jwt_request(scopes: &[&str], method: &str, file: &str) -> Value {
    let mut e = load_event(file);
    e["requestContext"]["authorizer"] = json!({"jwt": {
        "claims": {"iss": "https://issuer.example.com", "sub": "ci-bot", "scope": scopes.join(" ")},
        "scopes": null}});
    e["requestContext"]["http"]["method"] = method.into();
    e
}

#[tokio::test(flavor = "current_thread")]
async fn a_jwt_without_the_routes_scope_is_forbidden() {
    let (_logs, _turn) = Logs::capture().await;
    let settings = Settings::from_lookup(|k| match k {
        "JWT_SCOPE_PREFIX" => Some("inspector-scan-router/".to_string()),
        "HTTP_AUTH" => Some("JWT".to_string()),
        "DISASSOCIATION_ENABLED" => Some("true".to_string()),
        _ => None,
    })
    .unwrap();
    let (server, app) = inspector_with(settings).await;
    // A scope for another route (or without the prefix) does not do.
    for scopes in [
        &["inspector-scan-router/scans.read"][..],
        &["scans.start"][..],
        &[][..],
    ] {
        let r = app
            .handle(event(jwt_request(scopes, "POST", "http-start-scan.json")))
            .await
            .unwrap();
        assert_eq!(r["statusCode"], 403, "{scopes:?}");
        let body = http_body(&r);
        assert_eq!(body["error"]["code"], "Forbidden");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("inspector-scan-router/scans.start")
        );
    }
    let r = app
        .handle(event(jwt_request(
            &["inspector-scan-router/configurations.disassociate"],
            "POST",
            "http-start-scan.json",
        )))
        .await
        .unwrap();
    assert_eq!(r["statusCode"], 403);
    assert!(requests(&server).await.is_empty(), "nothing was called");
    let r = app
        .handle(event(jwt_request(
            &["openid", "inspector-scan-router/scans.start"],
            "POST",
            "http-start-scan.json",
        )))
        .await
        .unwrap();
    assert_eq!(r["statusCode"], 202);
}

#[tokio::test(flavor = "current_thread")]
async fn only_the_allowed_scan_configurations_can_be_disassociated() {
    let (_logs, _turn) = Logs::capture().await;
    let other = CONFIG_ARN.replace("7c1e2d3f", "00000000");
    let settings = Settings::from_lookup(|k| match k {
        "ALLOWED_SCAN_CONFIGURATION_ARNS" => Some(other.clone()),
        "DISASSOCIATION_ENABLED" => Some("true".to_string()),
        _ => None,
    })
    .unwrap();
    let (server, app) = inspector_with(settings).await;
    let r = app
        .handle(event(load_event("http-disassociate.json")))
        .await
        .unwrap();
    assert_eq!(r["statusCode"], 403, "{r}");
    let body = http_body(&r);
    assert_eq!(body["error"]["code"], "Forbidden");
    assert_eq!(
        body["error"]["fields"][0]["field"],
        "disassociateConfigurationRequests[0].scanConfigurationArn"
    );
    let err = app
        .handle(event(load_event("direct-disassociate.json")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "Forbidden");
    assert!(requests(&server).await.is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "current_thread")]
async fn huge_values_and_keys_are_never_echoed_whole() {
    let (logs, _turn) = Logs::capture().await;
    let app = dry_app();
    let big = "V".repeat(2 * 1024 * 1024);
    let key = "K".repeat(1024 * 1024);
    for body in [
        json!({"resource": big}).to_string(),
        json!({"projectId": big}).to_string(),
        format!("{{\"{key}\": 1}}"),
        format!("{{\"projectId\": \"{}\", \"{key}\": 1}}", PROJECT),
    ] {
        let r = app
            .handle(event(http_event("POST", "/scans", Some(&body), false)))
            .await
            .unwrap();
        assert_eq!(r["statusCode"], 400);
        let answer = r["body"].as_str().unwrap();
        assert!(answer.len() < 8 * 1024, "{} bytes", answer.len());
        assert!(!answer.contains(&"V".repeat(129)) && !answer.contains(&"K".repeat(129)));
    }
    let text = logs.text();
    for line in text.lines() {
        assert!(line.len() <= 16 * 1024, "a {}-byte log line", line.len());
    }
    assert!(!text.contains(&"V".repeat(129)) && !text.contains(&"K".repeat(129)));
}

#[tokio::test(flavor = "current_thread")]
async fn the_log_says_who_asked() {
    let (logs, _turn) = Logs::capture().await;
    let app = dry_app();
    app.handle(event(load_event("http-start-scan.json")))
        .await
        .unwrap();
    let line = logs.invocation();
    assert_eq!(
        line["caller"],
        "iam:arn:aws:sts::123456789012:assumed-role/ci-deployer/ci-session"
    );
    assert_eq!(
        line["api_request_id"],
        "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    );
    assert_eq!(line["source_ip"], "203.0.113.7");
    app.handle(event(load_event("eventbridge-start-scan.json")))
        .await
        .unwrap();
    let line = logs.invocation();
    assert_eq!(line["event_source"], "com.example.ci");
    assert_eq!(line["event_account"], "123456789012");
    assert_eq!(line["event_id"], "6a7e8feb-b491-4cf7-a9f1-bf3703467718");
    assert!(line.get("caller").is_none());
}

#[tokio::test(flavor = "current_thread")]
async fn another_owners_repository_is_never_taken() {
    let (_logs, _turn) = Logs::capture().await;
    let coverage = HashMap::from([(
        "payments-api".to_string(),
        vec![(
            format!(
                "arn:aws:inspector2:us-east-1:123456789012:codesecurity-integration/abc/{PROJECT}"
            ),
            "octo-org/payments-api".to_string(),
        )],
    )]);
    let (server, state) = stateful_stand_in(coverage).await;
    let app = live_app(&server).await;
    let payload = json!({"action": "StartCodeSecurityScan", "repository": "attacker/payments-api"});
    let err = app.handle(event(payload)).await.unwrap_err();
    assert_eq!(err.code(), "RepositoryNotFound");
    assert!(state.state.lock().unwrap().scans.is_empty());
    let payload = json!({"action": "StartCodeSecurityScan", "repository": "octo-org/payments-api"});
    app.handle(event(payload)).await.unwrap();
    assert_eq!(state.state.lock().unwrap().scans.len(), 1);
}
