//! Exactly once on every delivery path: the same work sent twice, the way
//! that path really retries, starts one scan per project and one run per
//! template at a stand-in that keeps state as Inspector does. Also: Classic
//! run names, a repeated Idempotency-Key, and throttling beyond the budget.

use crate::common;

use common::stateful::*;
use common::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer};

async fn inspector() -> (MockServer, Inspector, inspector_scan_router::App) {
    let coverage = HashMap::from([(
        "example-repo".to_string(),
        vec![(
            format!(
                "arn:aws:inspector2:us-east-1:123456789012:codesecurity-integration/abc/{PROJECT}"
            ),
            "example-org/example-repo".to_string(),
        )],
    )]);
    let (server, state) = stateful_stand_in(coverage).await;
    let app = live_app(&server).await;
    (server, state, app)
}

fn scans(state: &Inspector) -> usize {
    state.state.lock().unwrap().scans.len()
}

fn runs(state: &Inspector) -> usize {
    state.state.lock().unwrap().runs.len()
}

#[tokio::test]
async fn direct_invocation_retried_with_a_new_request_id_starts_nothing_new() {
    let (_server, state, app) = inspector().await;
    // A Step Functions Retry, a re-run of `aws lambda invoke`, an SDK retry
    // of a timed-out Invoke: a new Lambda request id, the same key.
    let payload = json!({"action": "StartCodeSecurityScan", "projectIds": [PROJECT, PROJECT2],
                         "idempotencyKey": "arn:aws:states:us-east-1:123456789012:execution:deploy:run-7"});
    let first = app
        .handle(event_with_request_id(payload.clone(), "req-1"))
        .await
        .unwrap();
    let again = app
        .handle(event_with_request_id(payload, "req-2"))
        .await
        .unwrap();
    assert_eq!(scans(&state), 2, "one scan per project");
    assert_eq!(first["result"], again["result"]);

    // Single form and Classic runs too.
    let single = json!({"action": "StartCodeSecurityScan", "projectId": PROJECT,
                        "idempotencyKey": "pipeline-99"});
    for request_id in ["req-3", "req-4"] {
        app.handle(event_with_request_id(single.clone(), request_id))
            .await
            .unwrap();
    }
    assert_eq!(scans(&state), 3);
    let run = json!({"action": "StartAssessmentRun", "assessmentTemplateArn": TEMPLATE_ARN,
                     "idempotencyKey": "pipeline-99"});
    let first = app
        .handle(event_with_request_id(run.clone(), "req-5"))
        .await
        .unwrap();
    let again = app
        .handle(event_with_request_id(run, "req-6"))
        .await
        .unwrap();
    assert_eq!(runs(&state), 1, "one run per template");
    assert_eq!(again["result"]["alreadyStarted"], true);
    assert_eq!(
        again["result"]["assessmentRunArn"],
        first["result"]["assessmentRunArn"]
    );
}

#[tokio::test]
async fn without_a_key_only_the_request_id_keeps_a_direct_invocation_once() {
    let (_server, state, app) = inspector().await;
    let payload = json!({"action": "StartCodeSecurityScan", "projectId": PROJECT});
    // Lambda's own asynchronous retries keep the request id: once.
    for _ in 0..2 {
        app.handle(event_with_request_id(payload.clone(), "async-1"))
            .await
            .unwrap();
    }
    assert_eq!(scans(&state), 1);
    // A new request id without a key is new work (the README says so).
    app.handle(event_with_request_id(payload, "async-2"))
        .await
        .unwrap();
    assert_eq!(scans(&state), 2);
}

#[tokio::test]
async fn custom_event_sent_again_as_a_new_event_with_its_key_starts_nothing_new() {
    let (server, state, app) = inspector().await;
    let mut ev = load_event("eventbridge-start-scan.json");
    ev["detail"].as_object_mut().unwrap().remove("clientToken");
    ev["detail"]["idempotencyKey"] = "ci-pipeline-4711".into();
    app.handle(event(ev.clone())).await.unwrap();
    ev["id"] = "11111111-2222-4333-8444-555555555555".into();
    app.handle(event(ev.clone())).await.unwrap();
    assert_eq!(scans(&state), 1);
    // The same key from another trusted source is another caller's key.
    let mut settings = crate::common::settings();
    settings.trust.command_sources = vec!["com.example.ci".into(), "com.example.other-ci".into()];
    let app = live_app_with(&server, settings, 1).await;
    ev["source"] = "com.example.other-ci".into();
    app.handle(event(ev)).await.unwrap();
    assert_eq!(scans(&state), 2);
}

#[tokio::test]
async fn github_and_gitlab_push_redeliveries_as_new_events_scan_once() {
    let (_server, state, app) = inspector().await;
    for file in [
        "eventbridge-github-push.json",
        "eventbridge-gitlab-push.json",
    ] {
        let mut ev = load_event(file);
        // Both pushes name repositories the stand-in covers as example-repo.
        if ev["detail"].get("project").is_some() {
            ev["detail"]["project"]["path_with_namespace"] = "example-org/example-repo".into();
        } else {
            ev["detail"]["repository"]["full_name"] = "example-org/example-repo".into();
        }
        let before = scans(&state);
        for (i, id) in ["a-1", "a-2", "a-3"].iter().enumerate() {
            ev["id"] = (*id).into();
            ev["time"] = format!("2026-11-21T16:0{i}:00Z").into();
            app.handle(event(ev.clone())).await.unwrap();
        }
        assert_eq!(scans(&state), before + 1, "{file}");
    }
}

/// The template's default SchedulerInput, as Scheduler delivers it: its
/// placeholders filled in.
fn scheduler_input(scheduled_time: &str) -> Value {
    use crate::template::{parameter, template};
    let text = parameter(template(), "SchedulerInput")["Default"]
        .as_str()
        .expect("a default")
        .replace(
            "<aws.scheduler.schedule-arn>",
            "arn:aws:scheduler:us-east-1:123456789012:schedule/default/scan",
        )
        .replace("<aws.scheduler.scheduled-time>", scheduled_time);
    serde_json::from_str(&text).expect("the default is JSON")
}

#[tokio::test]
async fn scheduler_default_input_routes_and_a_retried_tick_starts_nothing_new() {
    let (_server, state, app) = inspector().await;
    let tick = scheduler_input("2026-11-21T03:00:00Z");
    // Scheduler's retries of one tick: a new execution (request) id each time.
    for request_id in ["exec-1", "exec-2", "exec-3"] {
        let r = app
            .handle(event_with_request_id(tick.clone(), request_id))
            .await
            .unwrap_or_else(|e| panic!("the default input must pass: {e}"));
        assert_eq!(r["action"], "StartCodeSecurityScan");
    }
    assert_eq!(scans(&state), 1);
    // The next tick is new work.
    app.handle(event_with_request_id(
        scheduler_input("2026-11-22T03:00:00Z"),
        "exec-4",
    ))
    .await
    .unwrap();
    assert_eq!(scans(&state), 2);
}

fn http_with(file: &str, user_arn: &str, api_request_id: &str, body: Value) -> Value {
    let mut e = load_event(file);
    e["requestContext"]["authorizer"]["iam"]["userArn"] = user_arn.into();
    e["requestContext"]["requestId"] = api_request_id.into();
    e["body"] = body.to_string().into();
    e
}

const CALLER_A: &str = "arn:aws:sts::123456789012:assumed-role/team-a/ci";
const CALLER_B: &str = "arn:aws:sts::123456789012:assumed-role/team-b/ci";

#[tokio::test]
async fn http_keys_are_the_callers_own() {
    let (_server, state, app) = inspector().await;
    let a = http_with(
        "http-start-scan.json",
        CALLER_A,
        "api-1",
        json!({"projectId": PROJECT}),
    );
    let first = app.handle(event(a.clone())).await.unwrap();
    // The same caller retrying (a new API request) gets the same scan.
    let mut retry = a;
    retry["requestContext"]["requestId"] = "api-2".into();
    let again = app.handle(event(retry)).await.unwrap();
    assert_eq!(http_body(&first), http_body(&again));
    assert_eq!(scans(&state), 1);
    // Caller B, the same key, another project: B's own scan, of B's project.
    let b = http_with(
        "http-start-scan.json",
        CALLER_B,
        "api-3",
        json!({"projectId": PROJECT2}),
    );
    let r = app.handle(event(b)).await.unwrap();
    assert_eq!(r["statusCode"], 202);
    assert_eq!(http_body(&r)["projectId"], PROJECT2);
    assert_ne!(http_body(&r)["scanId"], http_body(&first)["scanId"]);
    assert_eq!(scans(&state), 2);
    // Caller B, the same key, A's project: still B's own request, not A's.
    let b_same = http_with(
        "http-start-scan.json",
        CALLER_B,
        "api-5",
        json!({"projectId": PROJECT}),
    );
    app.handle(event(b_same)).await.unwrap();
    assert_eq!(scans(&state), 3, "two callers never share a token");

    // The list form honours the key too: (caller, key, target), so A's
    // PROJECT is the scan A already has, and PROJECT2 is new once.
    let list = http_with(
        "http-start-scan.json",
        CALLER_A,
        "api-4",
        json!({"projectIds": [PROJECT, PROJECT2]}),
    );
    app.handle(event(list.clone())).await.unwrap();
    app.handle(event(list)).await.unwrap();
    assert_eq!(scans(&state), 4, "one more, once");
}

#[tokio::test]
async fn http_assessment_runs_honour_the_idempotency_key() {
    let (_server, state, app) = inspector().await;
    let mut e = http_with(
        "http-start-assessment-run.json",
        CALLER_A,
        "api-1",
        json!({"assessmentTemplateArn": TEMPLATE_ARN}),
    );
    e["headers"]["idempotency-key"] = "release-2026-11-21".into();
    let first = app.handle(event(e.clone())).await.unwrap();
    assert_eq!(first["statusCode"], 201);
    e["requestContext"]["requestId"] = "api-2".into();
    let again = app.handle(event(e.clone())).await.unwrap();
    assert_eq!(again["statusCode"], 200);
    assert_eq!(http_body(&again)["alreadyStarted"], true);
    assert_eq!(runs(&state), 1);
    // Another caller's same key is another run.
    e["requestContext"]["authorizer"]["iam"]["userArn"] = CALLER_B.into();
    app.handle(event(e)).await.unwrap();
    assert_eq!(runs(&state), 2);
}

#[tokio::test]
async fn a_repeated_idempotency_key_header_is_refused_before_any_call() {
    let (server, _state, app) = inspector().await;
    let mut e = load_event("http-start-scan.json");
    // API Gateway joins a repeated header's values with commas.
    e["headers"]["idempotency-key"] = "deploy-1,deploy-2".into();
    let r = app.handle(event(e)).await.unwrap();
    assert_eq!(r["statusCode"], 400);
    assert_eq!(
        http_body(&r)["error"]["fields"][0]["field"],
        "Idempotency-Key"
    );
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn classic_run_names_are_exact() {
    let (server, state, app) = inspector().await;
    let run = |name: &str| {
        event(http_with(
            "http-start-assessment-run.json",
            CALLER_A,
            "api-1",
            json!({"assessmentTemplateArn": TEMPLATE_ARN, "assessmentRunName": name}),
        ))
    };
    // A busy template, with somebody else's run on it.
    {
        let mut st = state.state.lock().unwrap();
        st.runs.insert(
            (
                TEMPLATE_ARN.to_string(),
                "nightly-by-someone-else".to_string(),
            ),
            format!("{TEMPLATE_ARN}/run/0-other"),
        );
        st.busy.push(TEMPLATE_ARN.to_string());
        st.loose_name_filter = true;
    }
    // Wildcards: refused before any call.
    let r = app.handle(run("*")).await.unwrap();
    assert_eq!(r["statusCode"], 400);
    assert!(requests(&server).await.is_empty());
    // A name the filter matches loosely is not this request's run: the
    // start's own refusal stands.
    let r = app.handle(run("nightly")).await.unwrap();
    assert_eq!(r["statusCode"], 409, "{r}");
    assert_eq!(
        http_body(&r)["error"]["code"],
        "AgentsAlreadyRunningAssessmentException"
    );
    assert!(!r["body"].as_str().unwrap().contains("0-other"));
}

#[tokio::test]
async fn a_failing_run_look_up_leaves_the_original_error() {
    let server = serving(START_SCAN_PATH, scan_started()).await;
    for (target, answer) in [
        (
            "InspectorService.StartAssessmentRun",
            wiremock::ResponseTemplate::new(400).set_body_json(json!({
                "__type": "InvalidInputException", "message": "assessment run name is already taken",
                "errorCode": "INVALID_ASSESSMENT_RUN_STATE", "canRetry": false})),
        ),
        (
            "InspectorService.ListAssessmentRuns",
            aws_error_answer(500, "InternalException"),
        ),
    ] {
        Mock::given(method("POST"))
            .and(header("x-amz-target", target))
            .respond_with(answer)
            .mount(&server)
            .await;
    }
    let r = handled(&server, "http-start-assessment-run.json")
        .await
        .unwrap();
    assert_eq!(r["statusCode"], 400);
    assert_eq!(http_body(&r)["error"]["code"], "InvalidInputException");
}

#[tokio::test]
async fn throttling_beyond_the_budget_answers_429_with_retry_after_at_once() {
    let throttled = aws_error_answer(429, "ThrottlingException").insert_header("retry-after", "7");
    let server = serving(START_SCAN_PATH, throttled).await;
    // Three attempts allowed; a 7 s wait is more than the budget affords.
    let app = live_app_with(&server, crate::common::settings(), 3).await;
    let r = app
        .handle(event(load_event("http-start-scan.json")))
        .await
        .unwrap();
    assert_eq!(r["statusCode"], 429);
    assert_eq!(resp_header(&r, "retry-after"), Some("7"));
    assert_eq!(http_body(&r)["error"]["code"], "ThrottlingException");
    assert_eq!(
        requests(&server).await.len(),
        1,
        "no sleeping out the budget"
    );

    // Other triggers: a retryable ThrottlingException.
    let err = app
        .handle(event(load_event("direct-start-scan.json")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ThrottlingException");
    assert!(err.retryable());
    assert_eq!(requests(&server).await.len(), 2);
}
