//! The built bootstrap under the official Lambda Runtime Interface Emulator
//! (from the aws-sam-cli wheel), invoked with every file in events/, the SDK
//! pointed at local stand-ins for Inspector and Secrets Manager through
//! AWS_ENDPOINT_URL.
//!
//! Needs `RIE` (the emulator) and `BOOTSTRAP` (the built function): run by
//! scripts/check-template after `sam build`, hence ignored in a plain `cargo test`.

use crate::common;

use common::*;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Emulator(
    Child,
    #[allow(dead_code)] tokio::sync::MutexGuard<'static, ()>,
);
impl Drop for Emulator {
    fn drop(&mut self) {
        // The function process first: killed alone, the emulator would leave
        // it polling the Runtime API port for the next emulator's events.
        if let Some(pid) = bootstrap_pid(self) {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn invoke(port: u16, payload: &[u8]) -> (u16, Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        payload.len()
    )
    .unwrap();
    s.write_all(payload).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    // The emulator may answer chunked; take the JSON between the first { and last }.
    let start = body.find(['{', '"']).unwrap_or(0);
    let end = body.rfind(['}', '"']).map_or(body.len(), |e| e + 1);
    (
        status,
        serde_json::from_str(&body[start..end]).unwrap_or(Value::String(body.to_string())),
    )
}

/// The emulator's own Runtime API listens on a fixed port (9001): one
/// emulator at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The bootstrap under the emulator, the SDK aimed at `endpoint`, with
/// `env` added; its output goes to `log` when given.
async fn start(
    endpoint: &str,
    env: &[(&str, &str)],
    log: Option<std::fs::File>,
) -> (Emulator, u16) {
    let turn = ONE_AT_A_TIME.lock().await;
    let rie = std::env::var("RIE").expect("RIE: path of the Lambda emulator");
    let bootstrap = std::env::var("BOOTSTRAP").expect("BOOTSTRAP: path of the built bootstrap");
    let port = free_port();
    let mut cmd = Command::new(&rie);
    cmd.args([
        "--log-level",
        "error",
        "--runtime-interface-emulator-address",
        &format!("127.0.0.1:{port}"),
        &bootstrap,
    ])
    .env_clear()
    .env("PATH", std::env::var("PATH").unwrap_or_default())
    .env("AWS_ENDPOINT_URL", endpoint)
    .env("AWS_REGION", "us-east-1")
    .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    .env("AWS_SECRET_ACCESS_KEY", "emulator-secret")
    .env("AWS_LAMBDA_FUNCTION_TIMEOUT", "30")
    // The bundled events come from account 123456789012; the emulator's
    // function ARN names another.
    .env("TRUSTED_ACCOUNTS", "123456789012")
    // Fail closed unless said: the bundled events use every operation.
    .env("HTTP_AUTH", "IAM")
    .env("ASSOCIATION_ENABLED", "true")
    .env("DISASSOCIATION_ENABLED", "true")
    .env("CLASSIC_ENABLED", "true")
    .env("DISASSOCIATION_COMMANDS_ENABLED", "true")
    .env("ASSESSMENT_TEMPLATE_ARNS", TEMPLATE_ARN)
    // The bundled SQS event's queue (its ARN derived from the URL):
    // batches from any other are refused.
    .env(
        "WORK_QUEUE_URL",
        "https://sqs.us-east-1.amazonaws.com/123456789012/inspector-scan-router-WorkQueue-1A2B3C4D5E6F",
    )
    // The webhook events are signed with the local test secret, which the
    // Secrets Manager stand-in on `endpoint` holds (see every_event_…).
    .env("WEBHOOK_SECRET_ARN", webhooks::SECRET_ARN)
    .env(
        "PROJECT_MAP",
        json!({"octo-org/payments-api": PROJECT, "deploy-bot": PROJECT2}).to_string(),
    );
    for (k, v) in env {
        cmd.env(k, v);
    }
    match log {
        Some(f) => {
            let f2 = f.try_clone().unwrap();
            cmd.stdout(Stdio::from(f)).stderr(Stdio::from(f2));
        }
        None => {
            cmd.stdout(Stdio::null()).stderr(Stdio::inherit());
        }
    }
    let child = cmd.spawn().expect("start the emulator");
    let emulator = Emulator(child, turn);
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "emulator did not listen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (emulator, port)
}

async fn invoke_async(port: u16, payload: Vec<u8>) -> (u16, Value) {
    tokio::task::spawn_blocking(move || invoke(port, &payload))
        .await
        .unwrap()
}

/// The function process the emulator started (its child).
fn bootstrap_pid(emulator: &Emulator) -> Option<u32> {
    let parent = emulator.0.id();
    std::fs::read_dir("/proc").ok()?.find_map(|e| {
        let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after = stat.rsplit_once(") ")?.1;
        let ppid: u32 = after.split_whitespace().nth(1)?.parse().ok()?;
        (ppid == parent).then_some(pid)
    })
}

/// Peak resident memory of a process, in KiB (VmHWM).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmHWM")
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs RIE and BOOTSTRAP: run scripts/check-template"]
async fn every_event_under_the_emulator() {
    let server = stand_in().await;
    // The webhook events are signed with the local test secret.
    webhooks::SecretsManager::holding(&webhooks::local_secret(), None)
        .mount(&server)
        .await;
    // The sweeps by selector are sent to the sweep queue.
    let sweeps = common::queue::SendStandIn::default();
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::header(
            "x-amz-target",
            "AmazonSQS.SendMessageBatch",
        ))
        .respond_with(sweeps.clone())
        .mount(&server)
        .await;
    let sweep_url =
        "https://sqs.us-east-1.amazonaws.com/123456789012/inspector-scan-router-sweep.fifo";
    let (_emulator, port) = start(&server.uri(), &[("SWEEP_QUEUE_URL", sweep_url)], None).await;

    let mut files: Vec<_> = std::fs::read_dir(events_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 19);
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let payload = std::fs::read(f).unwrap();
        let (status, answer) = tokio::task::spawn_blocking(move || invoke(port, &payload))
            .await
            .unwrap();
        assert_eq!(status, 200, "{name}: {answer}");
        assert!(
            answer.get("errorType").is_none(),
            "{name}: function error {answer}"
        );
        if let Some(failures) = answer.get("batchItemFailures") {
            // An SQS batch: every message done.
            assert_eq!(failures, &json!([]), "{name}: {answer}");
        } else if let Some(code) = answer.get("statusCode") {
            let code = code.as_u64().unwrap();
            assert!((200..300).contains(&code), "{name}: HTTP {code}: {answer}");
            let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
            assert!(body.get("dryRun").is_none(), "{name}: live, not a dry run");
        } else if let Some(sweep) = answer.get("sweep") {
            // A sweep by selector: queued whole, answered with its key.
            assert!(
                sweep.is_string() && answer["select"].is_object(),
                "{name}: {answer}"
            );
        } else {
            let result = &answer["result"];
            assert!(result.is_object(), "{name}: {answer}");
            assert!(
                result.get("dryRun").is_none(),
                "{name}: live, not a dry run"
            );
        }
    }
    // An unsupported event is a Lambda error with its code, not a success.
    let (_, answer) = tokio::task::spawn_blocking(move || invoke(port, b"{\"hello\": 1}"))
        .await
        .unwrap();
    assert_eq!(answer["errorType"], "UnsupportedEvent", "{answer}");
    assert!(
        !requests(&server).await.is_empty(),
        "the function reached the stand-in"
    );
    let sweep_events = std::fs::read_dir(events_dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("sweep")
        })
        .count();
    assert!(
        sweeps.accepted().len() >= sweep_events,
        "each sweep event sent to the sweep queue: {:?}",
        sweeps.accepted()
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs RIE and BOOTSTRAP: run scripts/check-template"]
async fn at_trace_the_logs_name_the_caller_and_carry_no_secret() {
    let server = stand_in().await;
    let path = std::env::temp_dir().join(format!("emulator-trace-{}.log", std::process::id()));
    let log = std::fs::File::create(&path).unwrap();
    let (emulator, port) = start(
        &server.uri(),
        &[
            ("AWS_LAMBDA_LOG_LEVEL", "trace"),
            ("AWS_LAMBDA_LOG_FORMAT", "json"),
            // Both kinds of caller in one run: no one mode required, said
            // explicitly (a JWT's scope is still checked).
            ("HTTP_AUTH", "NONE"),
        ],
        Some(log),
    )
    .await;
    // A JWT caller with a bearer token, and an IAM caller with the
    // authorizer's access key and session token.
    let mut jwt = load_event("http-start-scan.json");
    jwt["headers"]["authorization"] = "Bearer eyJhbGciOiJSUzI1NiJ9.SECRETPAYLOAD.SECRETSIG".into();
    jwt["requestContext"]["authorizer"] = json!({"jwt": {
        "claims": {"iss": "https://issuer.example.com", "sub": "ci-bot", "scope": "scans.start"},
        "scopes": null}});
    let mut iam = load_event("http-start-scan.json");
    iam["requestContext"]["authorizer"]["iam"]["accessKey"] = "ASIASECRETACCESSKEY1".into();
    iam["requestContext"]["authorizer"]["iam"]["sessionToken"] = "IQoJb3JpZ2luSECRETSESSION".into();
    iam["headers"]["x-amz-security-token"] = "IQoJb3JpZ2luSECRETSESSION".into();
    for e in [jwt, iam] {
        let (status, answer) = invoke_async(port, e.to_string().into_bytes()).await;
        assert_eq!(status, 200);
        assert_eq!(answer["statusCode"], 202, "{answer}");
    }
    drop(emulator);
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    for l in text.lines().filter(|l| l.contains("SECRET")) {
        println!("LEAK: {}", &l[..l.len().min(400)]);
    }
    for secret in [
        "SECRETPAYLOAD",
        "SECRETSIG",
        "ASIASECRETACCESSKEY1",
        "SECRETSESSION",
        "emulator-secret",
        "deploy-2026-11-21-0001",
        "\\\"projectId\\\"",
    ] {
        assert!(!text.contains(secret), "the log holds {secret}");
    }
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["message"] == "invocation")
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["caller"], "jwt:https://issuer.example.com ci-bot");
    assert_eq!(
        lines[1]["caller"],
        "iam:arn:aws:sts::123456789012:assumed-role/ci-deployer/ci-session"
    );
    for l in &lines {
        assert_eq!(l["api_request_id"], "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
        assert_eq!(l["source_ip"], "203.0.113.7");
    }
    assert!(text.lines().all(|l| l.len() <= 16 * 1024));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs RIE and BOOTSTRAP: run scripts/check-template"]
async fn the_worst_shaped_body_at_the_size_limit_stays_small() {
    let server = stand_in().await;
    let (emulator, port) = start(&server.uri(), &[], None).await;
    // Millions of tiny JSON values, the body just under the body limit (3 MiB).
    let limit = 3 * 1024 * 1024;
    let mut body = String::from("{\"x\":[0");
    while body.len() + 4 < limit {
        body.push_str(",0");
    }
    body.push_str("]}");
    let mut e = load_event("http-start-scan.json");
    e["body"] = body.into();
    let (status, answer) = invoke_async(
        port,
        load_event("http-get-scan.json").to_string().into_bytes(),
    )
    .await;
    assert_eq!(
        (status, &answer["statusCode"]),
        (200, &json!(200)),
        "{answer}"
    );
    // The emulator starts the function at the first invocation.
    let pid = bootstrap_pid(&emulator).expect("the bootstrap process");
    let before = peak_rss_kib(pid);
    println!("peak RSS after an ordinary request: {before} KiB");
    let (status, answer) = invoke_async(port, e.to_string().into_bytes()).await;
    assert_eq!(status, 200);
    assert_eq!(answer["statusCode"], 400, "{answer}");
    println!("{}", answer["body"]);
    assert!(answer["body"].as_str().unwrap().len() < 8 * 1024);
    let peak = peak_rss_kib(pid);
    println!(
        "peak RSS with a {limit}-byte worst-shaped body: {} KiB",
        peak
    );
    assert!(peak < 64 * 1024, "peak RSS {peak} KiB");
}
