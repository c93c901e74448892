//! Faults from AWS, through the function's own SDK retry and timeout
//! configuration: throttling with Retry-After, 5xx, connection resets, slow
//! answers, transient item failures in batches, and the Lambda deadline.
//! Each shows the attempts made, the final answer, and that every input item
//! is accounted for exactly once.

use crate::common;

use common::*;
use inspector_scan_router::config::SdkSettings;
use inspector_scan_router::ingress::answer::ErrorAnswer;
use inspector_scan_router::{App, Settings};
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

/// Fast settings for tests: 3 attempts, short backoff and timeouts.
fn settings() -> Settings {
    let mut s = Settings {
        deadline_margin: Duration::ZERO,
        sdk: SdkSettings {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_secs(2),
            connect_timeout: Duration::from_millis(500),
            attempt_timeout: Duration::from_millis(400),
            operation_timeout: Duration::from_secs(5),
        },
        ..crate::common::settings()
    };
    s.batch.item_retry_backoff = Duration::from_millis(10);
    s
}

async fn app_at(endpoint: &str, s: Settings) -> App {
    let sdk = inspector_scan_router::inspector::resilience(loader(endpoint, None), &s.sdk)
        .load()
        .await;
    App::new(s, Some(&sdk))
}

/// Answers from a script, one per call (the last repeats); records arrivals.
#[derive(Clone)]
struct Script {
    answers: Arc<Vec<ResponseTemplate>>,
    arrivals: Arc<Mutex<Vec<(Instant, Value)>>>,
}

impl Script {
    fn new(answers: Vec<ResponseTemplate>) -> Self {
        Self {
            answers: Arc::new(answers),
            arrivals: Arc::default(),
        }
    }
    fn calls(&self) -> Vec<(Instant, Value)> {
        self.arrivals.lock().unwrap().clone()
    }
}

impl Respond for Script {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut arrivals = self.arrivals.lock().unwrap();
        arrivals.push((
            Instant::now(),
            serde_json::from_slice(&req.body).unwrap_or(Value::Null),
        ));
        let i = (arrivals.len() - 1).min(self.answers.len() - 1);
        self.answers[i].clone()
    }
}

async fn scan_stand_in(script: Script) -> MockServer {
    serving(START_SCAN_PATH, script).await
}

/// `payload` handled with the fast test settings by a function whose
/// StartCodeSecurityScan calls `script` answers.
async fn start_scan_with(script: &Script, payload: Value) -> Value {
    let server = scan_stand_in(script.clone()).await;
    let app = app_at(&server.uri(), settings()).await;
    app.handle(event(payload)).await.unwrap()
}

fn http_scan_without_key() -> Value {
    let mut e = load_event("http-start-scan.json");
    e["headers"]
        .as_object_mut()
        .unwrap()
        .remove("idempotency-key");
    e
}

#[tokio::test]
async fn throttling_honours_retry_after_and_keeps_the_client_token() {
    let script = Script::new(vec![
        aws_error_answer(429, "ThrottlingException").insert_header("retry-after", "1"),
        scan_started(),
    ]);
    let r = start_scan_with(&script, http_scan_without_key()).await;
    assert_eq!(r["statusCode"], 202, "the retry succeeded");
    let calls = script.calls();
    assert_eq!(calls.len(), 2, "one throttled attempt, one success");
    let gap = calls[1].0 - calls[0].0;
    assert!(
        gap >= Duration::from_millis(900),
        "waited {gap:?}, the server asked for 1 s"
    );
    let token = calls[0].1["clientToken"]
        .as_str()
        .expect("the function draws a clientToken before the first send");
    assert_eq!(
        calls[1].1["clientToken"], token,
        "a retry reuses the clientToken"
    );
}

#[tokio::test]
async fn persistent_500_is_three_attempts_then_502() {
    let script = Script::new(vec![aws_error_answer(500, "InternalServerException")]);
    let r = start_scan_with(&script, load_event("http-start-scan.json")).await;
    assert_eq!(r["statusCode"], 502);
    assert_eq!(http_body(&r)["error"]["code"], "InternalServerException");
    assert_eq!(script.calls().len(), 3);
    assert!(
        script.calls().iter().all(|(_, b)| b["clientToken"]
            == http_token(CI_CALLER_SCOPE, "deploy-2026-11-21-0001", PROJECT))
    );
}

#[tokio::test]
async fn a_503_then_success_is_two_attempts() {
    let script = Script::new(vec![
        aws_error_answer(503, "ServiceUnavailableException"),
        scan_started(),
    ]);
    let r = start_scan_with(&script, load_event("eventbridge-start-scan.json")).await;
    assert_eq!(r["result"]["scanId"], SCAN_ID);
    assert_eq!(script.calls().len(), 2);
}

#[tokio::test]
async fn connection_resets_are_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(Mutex::new(0usize));
    let counter = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            *counter.lock().unwrap() += 1;
            let mut buf = [0u8; 1024];
            let _ = std::io::Read::read(&mut s, &mut buf);
            // Linger 0: closing sends a reset instead of a clean FIN.
            let _ = socket_reset(&s);
            drop(s);
        }
    });
    let app = app_at(&format!("http://127.0.0.1:{port}"), settings()).await;
    let err = app
        .handle(event(load_event("direct-start-scan.json")))
        .await
        .unwrap_err();
    assert!(err.retryable(), "{err}");
    assert!(err.http_status() >= 500, "{err}");
    assert_eq!(*accepted.lock().unwrap(), 3, "three attempts");
}

/// Closing `s` sends a TCP reset (SO_LINGER on, with a zero timeout).
fn socket_reset(s: &std::net::TcpStream) -> std::io::Result<()> {
    socket2::SockRef::from(s).set_linger(Some(Duration::ZERO))
}

#[tokio::test]
async fn answers_slower_than_the_attempt_timeout_time_out_each_attempt() {
    let script = Script::new(vec![scan_started().set_delay(Duration::from_secs(3))]);
    let r = start_scan_with(&script, load_event("http-start-scan.json")).await;
    assert_eq!(r["statusCode"], 503);
    assert_eq!(http_body(&r)["error"]["code"], "TimeoutError");
    assert_eq!(script.calls().len(), 3, "each of three attempts timed out");
}

// ---- batches ----------------------------------------------------------------

#[tokio::test]
async fn transient_item_failures_are_retried_inside_the_invocation() {
    let b = Disassociation {
        flaky: vec![project(3), project(27)],
        ..Disassociation::default()
    };
    let server = b.serve().await;
    let app = app_at(&server.uri(), settings()).await;
    let r = app.handle(event(direct_disassociate(30))).await.unwrap();
    assert_eq!(accounted(&r["result"], 30), (30, 0), "{r}");
    let calls = b.calls();
    assert_eq!(
        calls.len(),
        4,
        "two chunks, then one retry call for each chunk's failed item"
    );
    let retried: Vec<&Vec<String>> = calls.iter().filter(|c| c.len() == 1).collect();
    assert_eq!(retried.len(), 2);
}

#[tokio::test]
async fn a_chunk_that_keeps_failing_reports_only_its_own_items_and_keeps_the_rest() {
    let b = Disassociation {
        broken: Some(project(40)),
        ..Disassociation::default()
    };
    let server = b.serve().await;
    let app = app_at(&server.uri(), settings()).await;
    // An asynchronous caller: the unfinished items fail the invocation,
    // listed exactly (an HTTP caller gets 207 with every item instead).
    let err = app
        .handle(event(direct_disassociate(60)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "PartialFailure");
    assert!(err.retryable());
    let body = err.to_body();
    let failed = body["error"]["results"]["failedAssociations"]
        .as_array()
        .unwrap();
    // Only the failing call's own 25 items (the second chunk) failed, each
    // with the batch API's code and the call's error.
    assert_eq!(failed.len(), 25);
    assert!(failed.iter().all(|f| {
        f["statusCode"] == "INTERNAL_ERROR"
            && f["statusMessage"]
                .as_str()
                .unwrap()
                .starts_with("InternalServerException")
    }));
    assert_eq!(failed[0]["resource"]["projectId"], project(25));
    assert_eq!(b.answered.lock().unwrap().len(), 35, "the rest was done");
    let calls = b.calls();
    assert_eq!(
        calls.iter().filter(|c| c.contains(&project(40))).count(),
        3,
        "the failing call had 3 attempts"
    );
}

fn with_deadline(payload: Value, in_ms: u64) -> LambdaEvent<Value> {
    let mut ctx = context();
    ctx.request_id = "deadline-test".into();
    ctx.deadline = (SystemTime::now() + Duration::from_millis(in_ms))
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    LambdaEvent::new(payload, ctx)
}

#[tokio::test]
async fn near_the_deadline_no_new_calls_start_and_the_rest_is_reported() {
    let b = Disassociation {
        delay: Duration::from_millis(200),
        ..Disassociation::default()
    };
    let server = b.serve().await;
    let mut s = settings();
    s.batch.concurrency = 1;
    s.deadline_margin = Duration::from_millis(100);
    let app = app_at(&server.uri(), s).await;
    let err = app
        .handle(with_deadline(direct_disassociate(250), 900))
        .await
        .unwrap_err();
    // Not a success: the items not attempted fail the invocation, listed.
    assert_eq!(err.code(), "PartialFailure");
    assert!(err.retryable());
    let calls = b.calls().len();
    assert!((1..10).contains(&calls), "some calls, not all: {calls}");
    assert_eq!(
        b.answered.lock().unwrap().len(),
        calls * 25,
        "every call made succeeded"
    );
    let body = err.to_body();
    let failed = body["error"]["results"]["failedAssociations"]
        .as_array()
        .unwrap();
    assert_eq!(failed.len(), 250 - calls * 25);
    for f in failed {
        assert_eq!(f["statusCode"], "INTERNAL_ERROR");
        assert!(
            f["statusMessage"]
                .as_str()
                .unwrap()
                .contains("not attempted"),
            "{f}"
        );
    }
}

#[tokio::test]
async fn fan_out_past_the_deadline_fails_retryably_without_calls() {
    let script = Script::new(vec![scan_started()]);
    let server = scan_stand_in(script.clone()).await;
    let mut s = settings();
    s.deadline_margin = Duration::from_secs(2);
    let app = app_at(&server.uri(), s).await;
    let err = app
        .handle(with_deadline(
            load_event("scheduler-start-scans.json"),
            1000,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "PartialFailure");
    assert!(err.retryable());
    let results = err.to_body()["error"]["results"]["scans"].clone();
    assert_eq!(results.as_array().unwrap().len(), 2);
    assert!(
        results
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["error"]["code"] == "NotAttempted")
    );
    assert!(script.calls().is_empty());
}

#[tokio::test]
async fn a_throttled_call_is_sent_again_by_the_pacer_alone() {
    // Always throttled: the SDK's 3 attempts in all, not 3 by the
    // pacer times 3 by the SDK's own retry.
    let script = Script::new(vec![aws_error_answer(429, "ThrottlingException")]);
    let r = start_scan_with(&script, http_scan_without_key()).await;
    assert_eq!(r["statusCode"], 429, "{r}");
    assert_eq!(script.calls().len(), 3);
}
