//! Scan results against moto (SQS: the work queue and the FIFO watch
//! queue; EventBridge: the results bus, with a rule forwarding results
//! events to a queue the test reads) and an Inspector stand-in whose scans
//! run for a while: every scan started ends in exactly one `Code Security
//! Scan Completed` event, whatever the trigger and however often it is
//! delivered; a scan still running at the watch's end is `TIMED_OUT`; a
//! throttled or failing look keeps the watch; a results event starts nothing.
//!
//! Needs `MOTO_SERVER`: run by scripts/check-queue, hence ignored in a
//! plain `cargo test`.

use crate::common;

use common::queue::*;
use common::results::*;
use common::*;
use inspector_scan_router::{App, Settings};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use wiremock::MockServer;

fn settings(w: &Wiring) -> Settings {
    let mut s = crate::common::settings();
    s.batch.item_retry_rounds = 0;
    s.queue.url = Some(w.work.clone());
    s.results.watch_queue_url = Some(w.watch.clone());
    s.results.event_bus = w.bus.clone();
    s.results.first_delay = Duration::from_secs(1);
    s.results.max_delay = Duration::from_secs(2);
    s.results.max_age = Duration::from_secs(120);
    s.resolve.project_map =
        HashMap::from([("octo-org/payments-api".to_string(), PROJECT.to_string())]);
    s
}

async fn app(inspector: &MockServer, moto: &Moto, w: &Wiring, s: Settings) -> Arc<App> {
    let sdk = moto.sdk().await;
    Arc::new(
        live_app_with(inspector, s, 2)
            .await
            .with_queue_sdk(&sdk, &w.work)
            .with_results_sdk(&sdk, &w.watch),
    )
}

/// Lambda's two event source mappings: the work queue, then the watch
/// queue (watches kept invisible for their next look, as Lambda leaves a
/// message named in batchItemFailures).
async fn drain_all(moto: &Moto, w: &Wiring, app: &Arc<App>) {
    let sqs = moto.client().await;
    drain(&sqs, &w.work, app.clone(), 1).await;
    let keep = Mapping {
        keep_visibility: true,
        timeout: None,
        // A watch is kept invisible up to the largest delay (2 s) between looks.
        quiet: Some(Duration::from_millis(2500)),
    };
    let watching = drain_with(&sqs, &w.watch, vec![app.clone()], keep);
    tokio::time::timeout(Duration::from_secs(60), watching)
        .await
        .expect("every watch ended within a minute");
}

/// The results events the rule forwarded, as EventBridge delivered them.
async fn published(moto: &Moto, w: &Wiring) -> Vec<Value> {
    let sqs = moto.client().await;
    take_all(&sqs, &w.out)
        .await
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect()
}

fn github_push() -> Value {
    load_event("eventbridge-github-push.json")
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn a_push_an_http_start_and_a_scheduler_fan_out_each_end_in_one_event() {
    let moto = Moto::start().await;
    let w = wire(&moto, 1).await;
    let running = Running {
        in_progress: 2,
        ..Running::default()
    };
    let (inspector, _) = running_stand_in(running.clone()).await;
    let mut s = settings(&w);
    // The Scheduler's two projects are queued, not run inline.
    s.queue.inline_max_items = 1;
    let app = app(&inspector, &moto, &w, s).await;

    app.handle(event(github_push())).await.unwrap();
    let http = app
        .handle(event(load_event("http-start-scan.json")))
        .await
        .unwrap();
    assert_eq!(http["statusCode"], 202);
    let mut scheduler = load_event("scheduler-start-scans.json");
    scheduler["idempotencyKey"] =
        "arn:aws:scheduler:us-east-1:123456789012:schedule/default/nightly@2026-05-20T02:00:00Z"
            .into();
    let queued = app.handle(event(scheduler)).await.unwrap();
    assert_eq!(queued["queued"], 2, "{queued}");
    drain_all(&moto, &w, &app).await;

    let events = published(&moto, &w).await;
    let by_trigger = |t: &str| -> Vec<&Value> {
        events
            .iter()
            .filter(|e| e["detail"]["requested"]["trigger"] == t)
            .collect()
    };
    assert_eq!(events.len(), 4, "one per scan: {events:#?}");
    for e in &events {
        assert_eq!(e["source"], "inspector-scan-router");
        assert_eq!(e["detail-type"], "Code Security Scan Completed");
        let d = &e["detail"];
        assert_eq!(d["status"], "SUCCESSFUL");
        assert_eq!(
            d["findings"],
            json!({"critical": 1, "high": 2, "medium": 3, "all": 9})
        );
        assert_eq!(
            d["lastCommitId"],
            "9fceb02d0ae598e95dc970b74767f19372d61af8"
        );
        assert_eq!(d["startedAt"], "2026-11-19T16:00:00Z");
        assert!(d["completedAt"].is_string() && d["scanId"].is_string());
    }
    let push = by_trigger("push");
    assert_eq!(push.len(), 1);
    let r = &push[0]["detail"]["requested"];
    assert_eq!(r["caller"], "github.com");
    assert_eq!(r["repository"], "octo-org/payments-api");
    assert_eq!(r["ref"], "refs/heads/main");
    assert_eq!(r["commit"], "9fceb02d0ae598e95dc970b74767f19372d61af8");
    assert_eq!(r["eventId"], "0d6f1c2e-8b7a-4c3d-9e2f-1a0b9c8d7e6f");
    assert_eq!(push[0]["detail"]["projectId"], PROJECT);

    let http_events = by_trigger("http");
    assert_eq!(http_events.len(), 1);
    let location = resp_header(&http, "location").unwrap();
    let scan_id = http_body(&http)["scanId"].as_str().unwrap().to_string();
    assert!(
        location.ends_with(&format!("/scans/{PROJECT}/{scan_id}")),
        "{location}"
    );
    assert_eq!(http_events[0]["detail"]["scanId"], scan_id.as_str());

    let direct = by_trigger("direct");
    assert_eq!(direct.len(), 2, "each of the Scheduler's projects");
    for e in direct {
        assert!(
            e["detail"]["requested"]["idempotencyKey"]
                .as_str()
                .unwrap()
                .contains("schedule/default/nightly")
        );
    }
    assert!(
        running.gets.lock().unwrap().values().all(|n| *n == 3),
        "two looks in progress, one finished: {:?}",
        running.gets.lock().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn a_redelivered_push_ends_in_one_event() {
    let moto = Moto::start().await;
    let w = wire(&moto, 1).await;
    let (inspector, state) = running_stand_in(Running::default()).await;
    let app = app(&inspector, &moto, &w, settings(&w)).await;

    // EventBridge delivers the push again, and again as a new event.
    let push = github_push();
    let mut again = push.clone();
    again["id"] = "11111111-2222-4333-8444-555555555555".into();
    for e in [&push, &push, &again] {
        app.handle(event(e.clone())).await.unwrap();
    }
    assert_eq!(state.state.lock().unwrap().scans.len(), 1, "one scan");
    drain_all(&moto, &w, &app).await;
    let events = published(&moto, &w).await;
    assert_eq!(events.len(), 1, "one event: {events:#?}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn a_scan_still_running_at_the_watch_end_is_timed_out() {
    let moto = Moto::start().await;
    let w = wire(&moto, 1).await;
    let running = Running {
        forever: true,
        ..Running::default()
    };
    let (inspector, _) = running_stand_in(running.clone()).await;
    let mut s = settings(&w);
    s.results.max_age = Duration::from_secs(4);
    let app = app(&inspector, &moto, &w, s).await;

    app.handle(event(github_push())).await.unwrap();
    drain_all(&moto, &w, &app).await;
    let events = published(&moto, &w).await;
    assert_eq!(events.len(), 1, "{events:#?}");
    let d = &events[0]["detail"];
    assert_eq!(d["status"], "TIMED_OUT");
    assert!(d.get("findings").is_none());
    assert!(d["statusReason"].as_str().unwrap().contains("IN_PROGRESS"));
    assert!(*running.gets.lock().unwrap().values().next().unwrap() >= 2);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn a_throttled_or_failing_look_keeps_the_watch() {
    let moto = Moto::start().await;
    let w = wire(&moto, 1).await;
    let running = Running {
        // More than the SDK's two attempts per look: whole looks fail.
        throttled: 4,
        failing: 4,
        in_progress: 1,
        ..Running::default()
    };
    let (inspector, _) = running_stand_in(running.clone()).await;
    let mut s = settings(&w);
    s.batch.pacing = false;
    let app = app(&inspector, &moto, &w, s).await;

    app.handle(event(github_push())).await.unwrap();
    drain_all(&moto, &w, &app).await;
    let events = published(&moto, &w).await;
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["detail"]["status"], "SUCCESSFUL");
    assert_eq!(*running.gets.lock().unwrap().values().next().unwrap(), 10);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn a_results_event_on_the_bus_starts_nothing() {
    let moto = Moto::start().await;
    let w = wire(&moto, 1).await;
    let (inspector, state) = running_stand_in(Running::default()).await;
    let app = app(&inspector, &moto, &w, settings(&w)).await;
    let sqs = moto.client().await;
    let (function_in, function_arn) = create_queue(&sqs, "function-in", None).await;
    // The function's own rules, as the template writes them (commands from
    // COMMAND_SOURCES, pushes from PUSH_SOURCES), forwarded to a queue
    // standing in for the function.
    let events = aws_sdk_eventbridge::Client::new(&moto.sdk().await);
    let commands = json!({"source": ["com.example.ci"],
        "detail-type": ["StartCodeSecurityScan", "BatchDisassociateCodeSecurityScanConfiguration", "StartAssessmentRun"]});
    let pushes = json!({"source": ["github.com", "gitlab.com"]});
    rule_to(&events, &w.bus, "commands", commands, &function_arn).await;
    rule_to(&events, &w.bus, "pushes", pushes, &function_arn).await;

    // A scan that ends: its results event is put on the bus by the function.
    app.handle(event(github_push())).await.unwrap();
    drain_all(&moto, &w, &app).await;
    let results = published(&moto, &w).await;
    assert_eq!(results.len(), 1);
    assert!(
        take_all(&sqs, &function_in).await.is_empty(),
        "no rule of the function matches its results events"
    );
    // Handed to the function anyway: refused, nothing started.
    let before = state.state.lock().unwrap().scans.len();
    let mut ev = results[0].clone();
    ev["account"] = "123456789012".into();
    assert!(app.handle(event(ev)).await.is_err());
    assert_eq!(state.state.lock().unwrap().scans.len(), before);
}
