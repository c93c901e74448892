//! Lambda Managed Instances: with `AWS_LAMBDA_MAX_CONCURRENCY` above 1 the
//! binary serves that many invocations at once, in one process, sharing one
//! `App` (its clients and its pacer). The official emulator hands out one
//! event at a time, so a Runtime API stand-in of the tests' own (wiremock)
//! hands out several events at once to the built binary, whose Inspector is
//! a stand-in that holds every call until no new one arrives: the most
//! calls it held at once is how many invocations ran at once.

use crate::common;

use common::in_flight::holding;
use common::*;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NEXT: &str = "/2018-06-01/runtime/invocation/next";

struct Function(Child);
impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A Runtime API that hands out `events` (each once, to whichever poll asks
/// first), then holds every further poll; it takes every answer.
async fn runtime_api(events: &[(String, Value)]) -> MockServer {
    let server = MockServer::start().await;
    let deadline = (std::time::SystemTime::now() + Duration::from_secs(30))
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    for (id, payload) in events {
        Mock::given(method("GET"))
            .and(path(NEXT))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(payload)
                    .insert_header("lambda-runtime-aws-request-id", id.as_str())
                    .insert_header("lambda-runtime-deadline-ms", deadline.to_string())
                    .insert_header(
                        "lambda-runtime-invoked-function-arn",
                        "arn:aws:lambda:us-east-1:123456789012:function:router",
                    ),
            )
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(NEXT))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(600)))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(
            r"^/2018-06-01/runtime/invocation/[^/]+/(response|error)$",
        ))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    server
}

fn start(runtime: &MockServer, inspector: &str, concurrency: &str, ceiling: &str) -> Function {
    let child = Command::new(env!("CARGO_BIN_EXE_inspector-scan-router"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", runtime.address().to_string())
        .env("AWS_LAMBDA_MAX_CONCURRENCY", concurrency)
        .env("AWS_LAMBDA_FUNCTION_NAME", "router")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_FORMAT", "text")
        .env("AWS_ENDPOINT_URL", inspector)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "concurrency-test")
        .env("PRECONNECT", "none")
        .env("SCAN_RESULTS", "off")
        .env("INSPECTOR_MAX_CALLS_PER_SECOND", ceiling)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the built binary starts");
    Function(child)
}

/// The answers the function posted, by request id.
async fn answers(runtime: &MockServer, n: usize) -> Vec<(String, Value)> {
    let started = Instant::now();
    loop {
        let got: Vec<(String, Value)> = runtime
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.method.as_str() == "POST")
            .map(|r| {
                let id = r
                    .url
                    .path()
                    .split('/')
                    .nth(4)
                    .unwrap_or_default()
                    .to_string();
                (id, serde_json::from_slice(&r.body).unwrap_or(Value::Null))
            })
            .collect();
        if got.len() >= n || started.elapsed() > Duration::from_secs(60) {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Four single starts handed out at once: with a concurrency of 4 all four
/// are in flight at Inspector together; with 1 one at a time. With a
/// ceiling of 1 call a second (a bucket of 2) the four invocations share one
/// pacer: two go at once, the others a second apart (four pacers would let
/// all four go). Every invocation is answered, each with its own scan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_invocations_run_at_once_in_one_environment() {
    for (concurrency, ceiling, expected) in [("4", "0", 4), ("1", "0", 1), ("4", "1", 2)] {
        let answer: common::in_flight::Answer = Arc::new(|_path: &str, body: &Value| {
            json!({"scanId": format!("scan-{}", body["clientToken"].as_str().unwrap_or("")),
                   "status": "IN_PROGRESS"})
        });
        let (inspector, counts) = holding(Duration::from_millis(400), answer).await;
        let events: Vec<(String, Value)> = (0..4)
            .map(|i| {
                let mut e = load_event("direct-start-scan.json");
                e["clientToken"] = format!("lmi-{i}").into();
                (format!("request-{i}"), e)
            })
            .collect();
        let runtime = runtime_api(&events).await;
        let _function = start(&runtime, &inspector, concurrency, ceiling);
        let mut got = answers(&runtime, 4).await;
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(got.len(), 4, "concurrency {concurrency}: {got:?}");
        for (i, (id, body)) in got.iter().enumerate() {
            assert_eq!(id, &format!("request-{i}"));
            assert_eq!(body["result"]["scanId"], format!("scan-lmi-{i}"), "{body}");
        }
        assert_eq!(counts.calls(), 4);
        assert_eq!(
            counts.max(),
            expected,
            "concurrency {concurrency}, ceiling {ceiling}: calls in flight at once"
        );
    }
}
