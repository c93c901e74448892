//! The verdict on the commit (`REPORT_TO`): every scan a GitHub or GitLab
//! push starts ends in one completed check run (or a running then final
//! commit status), by the findings gate, exactly once across redeliveries
//! and environments, never held up by GitHub, and no secret in any log.
//! Real SDK clients against the stand-ins of tests/common/checks.rs; the
//! watch queue's mapping played by `Rig::watch_all`.

use crate::common;

use common::checks::*;
use common::logs::Logs;
use common::{PROJECT, event, load_event};
use serde_json::Value;

fn status_of(answer: &Value) -> u64 {
    answer["statusCode"].as_u64().unwrap_or_default()
}

fn only_run(rig: &Rig) -> Value {
    let hub = rig.github.hub();
    assert!(hub.refused.is_empty(), "GitHub refused: {:?}", hub.refused);
    assert_eq!(hub.check_runs.len(), 1, "{:#?}", hub.check_runs);
    hub.check_runs[0].clone()
}

#[tokio::test]
async fn a_push_over_the_gate_ends_in_a_failure_check_run_with_counts() {
    let (_logs, _turn) = Logs::capture().await;
    let rig = Rig::new("critical:1").await;
    let app = rig.app().await;
    let answer = app.handle(event(github_app_push("d-1"))).await.unwrap();
    assert_eq!(status_of(&answer), 202, "{answer}");
    // The webhook's answer came before any report: GitHub not called yet.
    assert!(rig.github.hub().calls.is_empty());
    rig.watch_all(&app, 10).await;

    let run = only_run(&rig);
    let events = rig.aws.events.lock().unwrap().clone();
    assert_eq!(events.len(), 1);
    assert_eq!(run["name"], "Amazon Inspector code security");
    assert_eq!(run["head_sha"], GITHUB_SHA);
    assert_eq!(run["external_id"], events[0]["scanId"]);
    assert_eq!(
        run["history"],
        serde_json::json!(["in_progress", "completed"])
    );
    assert_eq!(run["conclusion"], "failure");
    let title = run["output"]["title"].as_str().unwrap();
    assert!(
        title.starts_with("1 critical, 2 high, 3 medium, 9 in all"),
        "{title}"
    );
    let summary = run["output"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("| Critical | 1 |") && summary.contains("| All | 9 |"),
        "{summary}"
    );
    assert!(
        run["details_url"]
            .as_str()
            .unwrap()
            .starts_with("https://us-east-1.console.aws.amazon.com/inspector/v2/"),
        "{run}"
    );
    // The installation came with the webhook: no look-up, one exchange.
    let hub = rig.github.hub();
    assert_eq!(hub.tokens.len(), 1);
    assert!(!hub.calls.iter().any(|(_, p)| p.ends_with("/installation")));
}

#[tokio::test]
async fn a_push_under_the_gate_ends_in_success() {
    let (_logs, _turn) = Logs::capture().await;
    let rig = Rig::new("critical:2,high:3").await;
    let app = rig.app().await;
    app.handle(event(github_app_push("d-1"))).await.unwrap();
    rig.watch_all(&app, 10).await;
    let run = only_run(&rig);
    assert_eq!(run["status"], "completed");
    assert_eq!(run["conclusion"], "success");
    assert_eq!(
        run["output"]["title"],
        "1 critical, 2 high, 3 medium, 9 in all"
    );
}

#[tokio::test]
async fn a_redelivered_push_makes_one_check_run_across_environments() {
    let (_logs, _turn) = Logs::capture().await;
    let rig = Rig::new("critical:1").await;
    let (one, two) = (rig.app().await, rig.app().await);
    // The push, GitHub's redelivery, and the same push through EventBridge,
    // each after SQS's five-minute deduplication window (the stand-in
    // drops no watch): three watches of one scan (one client token).
    one.handle(event(github_app_push("d-1"))).await.unwrap();
    assert_eq!(
        rig.look_once(&one).await,
        1,
        "the scan runs: a check run in progress"
    );
    assert_eq!(rig.github.hub().check_runs[0]["status"], "in_progress");
    two.handle(event(github_app_push("d-2"))).await.unwrap();
    two.handle(event(load_event("eventbridge-github-push.json")))
        .await
        .unwrap();
    rig.watch_all(&two, 10).await;
    rig.watch_all(&one, 10).await;
    let run = only_run(&rig);
    assert_eq!(run["status"], "completed");
    assert_eq!(run["conclusion"], "failure");
}

#[tokio::test]
async fn github_down_for_the_first_calls_still_ends_in_a_completed_check_run() {
    let (_logs, _turn) = Logs::capture().await;
    let rig = Rig::new("critical:1").await;
    rig.github.hub().fail_first = 3;
    let app = rig.app().await;
    let answer = app.handle(event(github_app_push("d-1"))).await.unwrap();
    assert_eq!(status_of(&answer), 202);
    let rounds = rig.watch_all(&app, 10).await;
    assert!(
        rounds >= 4,
        "the failed reports came back with the watch: {rounds}"
    );
    let run = only_run(&rig);
    assert_eq!(run["status"], "completed");
    assert_eq!(run["conclusion"], "failure");
    // The results event waited for the verdict, and was put once.
    assert_eq!(rig.aws.events.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_eventbridge_push_without_installation_finds_it() {
    let (_logs, _turn) = Logs::capture().await;
    let rig = Rig::new("critical:1").await;
    let app = rig.app().await;
    let push = load_event("eventbridge-github-push.json");
    assert!(push["detail"].get("installation").is_none());
    app.handle(event(push)).await.unwrap();
    rig.watch_all(&app, 10).await;
    let run = only_run(&rig);
    assert_eq!(run["status"], "completed");
    let hub = rig.github.hub();
    let lookups = hub
        .calls
        .iter()
        .filter(|(m, p)| m == "GET" && p == "/repos/octo-org/payments-api/installation")
        .count();
    assert_eq!(lookups, 1, "{:?}", hub.calls);
}

#[tokio::test]
async fn a_gitlab_push_ends_in_running_then_failed_or_success_by_the_gate() {
    let (_logs, _turn) = Logs::capture().await;
    for (gate, last) in [("critical:1", "failed"), ("critical:5", "success")] {
        let rig = Rig::new(gate).await;
        let app = rig.app().await;
        let answer = app.handle(event(gitlab_push())).await.unwrap();
        assert_eq!(status_of(&answer), 202, "{answer}");
        rig.watch_all(&app, 10).await;
        let statuses = rig.gitlab.statuses();
        let states: Vec<&str> = statuses
            .iter()
            .map(|s| s["state"].as_str().unwrap())
            .collect();
        assert_eq!(states, ["running", last], "{statuses:#?}");
        for s in &statuses {
            assert_eq!(s["project"], "15");
            assert_eq!(s["sha"], GITLAB_SHA);
            assert_eq!(s["name"], "Amazon Inspector code security");
            assert!(
                s["target_url"]
                    .as_str()
                    .unwrap()
                    .contains("console.aws.amazon.com/inspector")
            );
        }
        assert!(
            statuses[1]["description"]
                .as_str()
                .unwrap()
                .starts_with("1 critical, 2 high")
        );
        assert!(
            rig.github.hub().calls.is_empty(),
            "GitLab pushes report to GitLab only"
        );
    }
}

/// A signed push of the same installation for another commit (`after`).
fn another_push(after: &str, delivery: &str) -> serde_json::Value {
    let mut push = common::webhooks::payload_of("webhook-github-push.json");
    push["after"] = after.into();
    push["installation"] = serde_json::json!({"id": INSTALLATION});
    common::webhooks::signed_github(
        "push",
        &push.to_string(),
        common::webhooks::LOCAL_GITHUB_SECRET,
        delivery,
    )
}

#[tokio::test]
async fn one_token_exchange_serves_two_pushes() {
    let (_logs, _turn) = Logs::capture().await;
    let rig = Rig::new("critical:1").await;
    let app = rig.app().await;
    app.handle(event(github_app_push("d-1"))).await.unwrap();
    let other = another_push("1111111111111111111111111111111111111111", "d-2");
    app.handle(event(other)).await.unwrap();
    rig.watch_all(&app, 10).await;
    let hub = rig.github.hub();
    assert_eq!(hub.check_runs.len(), 2, "one per commit and scan");
    assert!(hub.check_runs.iter().all(|r| r["status"] == "completed"));
    assert_eq!(hub.tokens.len(), 1, "{:?}", hub.calls);
    let exchanges = hub
        .calls
        .iter()
        .filter(|(_, p)| p.ends_with("/access_tokens"))
        .count();
    assert_eq!(exchanges, 1);
}

#[tokio::test]
async fn no_secret_reaches_a_log_line_at_trace() {
    let (logs, _turn) = Logs::capture().await;
    let rig = Rig::new("critical:1").await;
    rig.github.hub().fail_first = 1;
    let app = rig.app().await;
    app.handle(event(github_app_push("d-1"))).await.unwrap();
    app.handle(event(gitlab_push())).await.unwrap();
    rig.watch_all(&app, 10).await;
    assert_eq!(rig.github.hub().check_runs.len(), 1);
    assert_eq!(rig.gitlab.statuses().len(), 2);
    let text = logs.text();
    assert!(
        text.contains("reported: scan finished"),
        "the reports were logged"
    );
    assert!(
        text.contains("report not sent"),
        "the failed report was logged"
    );
    let key_line = private_key().lines().nth(3).unwrap().to_string();
    for secret in [
        key_line.as_str(),
        "PRIVATE KEY",
        "ghs_test-only-token",
        GITLAB_TOKEN,
        // the app JWT's header, as every RS256 JWT begins
        "eyJhbGciOiJSUzI1NiIs",
        common::webhooks::LOCAL_GITHUB_SECRET,
        common::webhooks::LOCAL_GITLAB_TOKEN,
    ] {
        assert!(!text.contains(secret), "a log line carries {secret:?}");
    }
    // No authorization header's value either (the SDK's signing trace
    // names the header, without a value).
    for value in ["Bearer ", "token ghs"] {
        let line = text.lines().find(|l| l.contains(value));
        assert!(line.is_none(), "{value} logged: {line:?}");
    }
}

#[tokio::test]
async fn a_dry_run_shows_the_planned_report() {
    let mut s = inspector_scan_router::Settings {
        dry_run: true,
        ..Default::default()
    };
    s.report.github = true;
    s.report.gitlab = true;
    s.resolve.project_map = std::collections::HashMap::from([(
        "octo-org/payments-api".to_string(),
        PROJECT.to_string(),
    )]);
    let app = inspector_scan_router::App::new(s, None);
    let answer = app
        .handle(event(load_event("eventbridge-github-push.json")))
        .await
        .unwrap();
    let report = &answer["results"]["report"];
    assert_eq!(report["to"], "github", "{answer:#}");
    assert_eq!(report["commit"], GITHUB_SHA);
    let calls: Vec<&str> = report["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(calls.iter().any(|c| {
        c.starts_with("GET https://api.github.com/repos/octo-org/payments-api/installation")
    }));
    assert!(calls.iter().any(|c| c.starts_with("PATCH ")), "{calls:?}");
}

#[tokio::test]
async fn the_watches_of_one_batch_share_one_token_exchange() {
    let (_logs, _turn) = Logs::capture().await;
    let rig = Rig::new("critical:1").await;
    // The first exchange is slow: the second watch asks meanwhile.
    rig.github.hub().exchange_delay = std::time::Duration::from_millis(500);
    let mut settings = rig.settings.clone();
    settings.batch.pacing = false;
    let app = common::live_app_with(&rig.inspector, settings, 1).await;
    app.handle(event(github_app_push("d-1"))).await.unwrap();
    let other = another_push("2222222222222222222222222222222222222222", "d-2");
    app.handle(event(other)).await.unwrap();
    let bodies: Vec<String> = rig.aws.watches.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2);
    // Lambda hands both watches over in one batch, looked at concurrently.
    let mut batch = watch_event(0, &bodies[0], 1);
    let second = watch_event(1, &bodies[1], 1)["Records"][0].clone();
    batch["Records"].as_array_mut().unwrap().push(second);
    app.handle(event(batch)).await.unwrap();
    let hub = rig.github.hub();
    assert_eq!(hub.check_runs.len(), 2, "{:?}", hub.calls);
    assert_eq!(hub.tokens.len(), 1, "one exchange: {:?}", hub.calls);
}
