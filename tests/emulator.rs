//! The built bootstrap under the official Lambda Runtime Interface Emulator
//! (from the aws-sam-cli wheel), invoked with every file in events/, the SDK
//! pointed at local stand-ins for Inspector and Secrets Manager through
//! AWS_ENDPOINT_URL.
//!
//! Needs `RIE` (the emulator) and `BOOTSTRAP` (the built function): run by
//! scripts/check-template after `sam build`, hence ignored in a plain `cargo test`.

mod common;

use common::*;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Emulator(Child);
impl Drop for Emulator {
    fn drop(&mut self) {
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

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs RIE and BOOTSTRAP: run scripts/check-template"]
async fn every_event_under_the_emulator() {
    let rie = std::env::var("RIE").expect("RIE: path of aws-lambda-rie-x86_64");
    let bootstrap = std::env::var("BOOTSTRAP").expect("BOOTSTRAP: path of the built bootstrap");
    let server = stand_in().await;
    // The webhook events are signed with the local test secret.
    webhooks::SecretsManager::holding(&webhooks::local_secret(), None)
        .mount(&server)
        .await;
    let port = free_port();
    let child = Command::new(&rie)
        .args([
            "--log-level",
            "error",
            "--runtime-interface-emulator-address",
            &format!("127.0.0.1:{port}"),
            &bootstrap,
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL", server.uri())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "emulator-secret")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_LAMBDA_FUNCTION_TIMEOUT", "30")
        .env("ASSESSMENT_TEMPLATE_ARNS", TEMPLATE_ARN)
        .env("WEBHOOK_SECRET_ARN", webhooks::SECRET_ARN)
        .env(
            "PROJECT_MAP",
            json!({"octo-org/payments-api": PROJECT, "deploy-bot": PROJECT2}).to_string(),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the emulator");
    let _emulator = Emulator(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "emulator did not listen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

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
        if let Some(code) = answer.get("statusCode") {
            let code = code.as_u64().unwrap();
            assert!((200..300).contains(&code), "{name}: HTTP {code}: {answer}");
            let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
            assert!(body.get("dryRun").is_none(), "{name}: live, not a dry run");
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
}
