//! Repository pushes, schedules and Scheduler fan-out: resolution of
//! repositories to projects, skips, and exactly-once starts under redelivery.
//! A stateful stand-in plays Inspector: it starts one scan per clientToken
//! and refuses a second run of the same name, as the services do.

use crate::common;

use common::stateful::*;
use common::*;
use inspector_scan_router::Settings;
use inspector_scan_router::domain::keys::{derive_run_name, derive_token, push_token};
use inspector_scan_router::ingress::answer::ErrorAnswer;
use serde_json::json;
use std::collections::HashMap;
use wiremock::MockServer;

fn payments_coverage() -> HashMap<String, Vec<(String, String)>> {
    let id = |p: &str| {
        format!("arn:aws:inspector2:us-east-1:123456789012:codesecurity-integration/abc/{p}")
    };
    HashMap::from([(
        "payments-api".to_string(),
        vec![
            // Another integration's repository of the same name comes first.
            (id(PROJECT2), "someone-else/payments-api".to_string()),
            (id(PROJECT), "octo-org/payments-api".to_string()),
        ],
    )])
}

async fn paths(server: &MockServer) -> Vec<String> {
    requests(server)
        .await
        .iter()
        .map(|r| {
            req_header(r, "x-amz-target")
                .map(str::to_string)
                .unwrap_or_else(|| r.url.path().to_string())
        })
        .collect()
}

#[tokio::test]
async fn trigger_events_are_all_tested_here() {
    // events.rs leaves these files to this one: each must be driven by a
    // test here, beyond the dry run that loops over them all.
    let source: String = include_str!("triggers.rs")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for f in TRIGGER_EVENTS {
        assert!(events_dir().join(f).is_file(), "{f}");
        assert!(
            source.contains(&format!("load_event(\"{f}\""))
                || source.contains(&format!("handled(&server,\"{f}\")")),
            "no test in tests/it/contract/triggers.rs drives {f}"
        );
    }
}

#[tokio::test]
async fn github_push_to_default_branch_resolves_and_scans_once_despite_redelivery() {
    let (server, inspector) = stateful_stand_in(payments_coverage()).await;
    let app = live_app(&server).await;
    let ev = load_event("eventbridge-github-push.json");
    let first = app.handle(event(ev.clone())).await.unwrap();
    assert_eq!(first["result"]["repository"], "octo-org/payments-api");
    assert_eq!(
        first["result"]["projectId"], PROJECT,
        "the full-name match wins over the first candidate"
    );

    // ListCoverage paginated (2 pages), then the start.
    assert_eq!(
        paths(&server).await,
        [
            "/coverage/list",
            "/coverage/list",
            "/codesecurity/scan/start"
        ]
    );
    let reqs = requests(&server).await;
    let start = json_of(&reqs[2]);
    let token = start["clientToken"].as_str().unwrap();
    // From (provider, repository, commit), not the event id.
    assert_eq!(
        token,
        push_token(
            "github",
            "octo-org/payments-api",
            "9fceb02d0ae598e95dc970b74767f19372d61af8"
        )
    );
    assert!(token.len() <= 64);
    assert_eq!(start["resource"], json!({"projectId": PROJECT}));

    // The same event again: same token, so the service starts nothing new;
    // the resolution comes from the warm cache (no ListCoverage).
    let second = app.handle(event(ev)).await.unwrap();
    assert_eq!(second, first);
    assert_eq!(
        inspector.state.lock().unwrap().scans.len(),
        1,
        "one scan for two deliveries"
    );
    assert_eq!(paths(&server).await.len(), 4);
    assert_eq!(json_of(&requests(&server).await[3])["clientToken"], token);

    // A webhook redelivery, or the inbound endpoint retrying PutEvents, is a
    // new EventBridge event (new id, new time) for the same commit: still
    // one scan.
    let mut redelivered = load_event("eventbridge-github-push.json");
    redelivered["id"] = "7a1b2c3d-0000-4000-8000-000000000001".into();
    redelivered["time"] = "2026-11-21T16:05:00Z".into();
    let third = app.handle(event(redelivered)).await.unwrap();
    assert_eq!(third["result"]["scanId"], first["result"]["scanId"]);
    assert_eq!(inspector.state.lock().unwrap().scans.len(), 1);

    // A new commit is new work: a second scan.
    let mut next = load_event("eventbridge-github-push.json");
    next["detail"]["after"] = "1111111111111111111111111111111111111111".into();
    app.handle(event(next)).await.unwrap();
    assert_eq!(inspector.state.lock().unwrap().scans.len(), 2);
}

#[tokio::test]
async fn push_to_another_branch_is_skipped_without_calls() {
    let (server, _) = stateful_stand_in(payments_coverage()).await;
    let app = live_app(&server).await;
    let r = app
        .handle(event(load_event(
            "eventbridge-github-push-feature-branch.json",
        )))
        .await
        .unwrap();
    assert_eq!(r["result"]["skipped"], true);
    assert!(
        r["result"]["reason"]
            .as_str()
            .unwrap()
            .contains("feature/invoice-rounding")
    );
    assert!(requests(&server).await.is_empty());

    for (detail_patch, why) in [
        (json!({"ref": "refs/tags/v1.2.0"}), "tag"),
        (
            json!({"deleted": true, "after": "0000000000000000000000000000000000000000"}),
            "deleted",
        ),
    ] {
        let mut ev = load_event("eventbridge-github-push.json");
        for (k, v) in detail_patch.as_object().unwrap() {
            ev["detail"][k] = v.clone();
        }
        let r = app.handle(event(ev)).await.unwrap();
        assert_eq!(r["result"]["skipped"], true, "{why}");
        assert!(
            r["result"]["reason"].as_str().unwrap().contains(why),
            "{why}: {r}"
        );
    }
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn gitlab_push_uses_the_project_map() {
    let (server, _) = stateful_stand_in(HashMap::new()).await;
    let mut settings = crate::common::settings();
    settings.resolve.project_map =
        HashMap::from([("deploy-bot".to_string(), PROJECT2.to_string())]);
    let app = live_app_with(&server, settings, 1).await;
    let r = app
        .handle(event(load_event("eventbridge-gitlab-push.json")))
        .await
        .unwrap();
    assert_eq!(r["result"]["projectId"], PROJECT2);
    assert_eq!(r["result"]["repository"], "platform/tools/deploy-bot");
    assert_eq!(
        paths(&server).await,
        ["/codesecurity/scan/start"],
        "no ListCoverage when mapped"
    );
    assert_eq!(
        json_of(&requests(&server).await[0])["clientToken"],
        push_token(
            "gitlab",
            "platform/tools/deploy-bot",
            "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
        )
    );
}

#[tokio::test]
async fn unknown_and_ambiguous_repositories_fail_clearly() {
    // Candidates under other owners are never taken for octo-org/payments-api.
    let mut coverage = payments_coverage();
    coverage.get_mut("payments-api").unwrap()[1].1 = "third/payments-api".into();
    let (server, _) = stateful_stand_in(coverage).await;
    let err = handled(&server, "eventbridge-github-push.json")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "RepositoryNotFound");

    // Two candidates known only by the bare name: ambiguous.
    let mut coverage = payments_coverage();
    for c in coverage.get_mut("payments-api").unwrap() {
        c.1 = "payments-api".into();
    }
    let (server, _) = stateful_stand_in(coverage).await;
    let err = handled(&server, "eventbridge-github-push.json")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "AmbiguousRepository");
    assert!(
        err.to_string().contains(PROJECT) && err.to_string().contains(PROJECT2),
        "{err}"
    );
    assert!(!err.retryable());

    let err = handled(&server, "scheduler-start-scans-repositories.json")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "PartialFailure");
    assert!(!err.retryable(), "an unknown repository is not retried");
    let body = err.to_body();
    let results = body["error"]["results"]["scans"].as_array().unwrap();
    assert_eq!(results.len(), 2, "one result per repository");
    assert_eq!(results[1]["repository"], "platform/tools/deploy-bot");
    assert_eq!(results[1]["error"]["code"], "RepositoryNotFound");
    assert!(
        results[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("platform/tools/deploy-bot")
    );
    assert_eq!(results[0]["error"]["code"], "AmbiguousRepository");
}

#[tokio::test]
async fn scheduled_event_starts_one_named_run_per_template_once() {
    let (server, inspector) = stateful_stand_in(HashMap::new()).await;
    let mut settings = crate::common::settings();
    settings.limits.assessment_template_arns =
        vec![TEMPLATE_ARN.to_string(), TEMPLATE_ARN2.to_string()];
    let app = live_app_with(&server, settings, 1).await;
    let ev = load_event("scheduled-event.json");
    let first = app.handle(event(ev.clone())).await.unwrap();
    let runs = first["result"]["assessmentRuns"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["assessmentTemplateArn"], TEMPLATE_ARN);
    assert_eq!(runs[1]["assessmentTemplateArn"], TEMPLATE_ARN2);
    let name = derive_run_name("2026-11-22T03:00:00Z-89d1a02d-5ec7-412e-82f5-13505f849b41");
    for r in requests(&server).await {
        assert_eq!(json_of(&r)["assessmentRunName"], name);
    }

    let second = app.handle(event(ev)).await.unwrap();
    let again = second["result"]["assessmentRuns"].as_array().unwrap();
    for (a, b) in runs.iter().zip(again) {
        assert_eq!(
            a["assessmentRunArn"], b["assessmentRunArn"],
            "the second delivery returns the first run"
        );
        assert_eq!(b["alreadyStarted"], true);
    }
    assert_eq!(
        inspector.state.lock().unwrap().runs.len(),
        2,
        "two runs for two deliveries"
    );
    let targets = paths(&server).await;
    assert_eq!(
        targets
            .iter()
            .filter(|t| t.ends_with("ListAssessmentRuns"))
            .count(),
        2
    );
}

#[tokio::test]
async fn scheduler_fan_out_derives_one_token_per_project_from_the_request_id() {
    let (server, inspector) = stateful_stand_in(HashMap::new()).await;
    let app = live_app(&server).await;
    let ev = load_event("scheduler-start-scans.json");
    let r = app
        .handle(event_with_request_id(ev.clone(), "req-7f3a"))
        .await
        .unwrap();
    let scans = r["result"]["scans"].as_array().unwrap();
    assert_eq!(scans.len(), 2);
    assert_eq!(scans[0]["projectId"], PROJECT);
    assert_eq!(scans[1]["projectId"], PROJECT2);
    let mut tokens: Vec<String> = requests(&server)
        .await
        .iter()
        .map(|r| json_of(r)["clientToken"].as_str().unwrap().to_string())
        .collect();
    tokens.sort();
    let mut expected = vec![
        derive_token("req-7f3a", PROJECT),
        derive_token("req-7f3a", PROJECT2),
    ];
    expected.sort();
    assert_eq!(tokens, expected);

    // Lambda retries an asynchronous invocation with the same request id.
    let retry = app
        .handle(event_with_request_id(ev, "req-7f3a"))
        .await
        .unwrap();
    assert_eq!(retry, r);
    assert_eq!(inspector.state.lock().unwrap().scans.len(), 2);
}

/// A dry run given SDK clients (aimed at a stand-in that counts calls)
/// plans every trigger event and calls nothing.
#[tokio::test]
async fn trigger_events_dry_run_without_calls() {
    let mut settings = Settings {
        dry_run: true,
        ..crate::common::settings()
    };
    settings.limits.assessment_template_arns = vec![TEMPLATE_ARN.to_string()];
    let server = stand_in().await;
    let app = live_app_with(&server, settings, 1).await;
    for f in TRIGGER_EVENTS {
        let r = app
            .handle(event(load_event(f)))
            .await
            .unwrap_or_else(|e| panic!("{f}: {e}"));
        let result = &r["result"];
        assert!(
            result["dryRun"] == true || result["skipped"] == true,
            "{f}: {r}"
        );
    }
    assert_eq!(paths(&server).await, Vec::<String>::new(), "no call to AWS");
}
