//! BatchDisassociateCodeSecurityScanConfiguration: any number of items, split
//! into calls of 25, bounded concurrency, every item answered exactly once.

mod common;

use common::*;
use inspector_scan_router::Settings;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

fn project(i: usize) -> String {
    format!("project-0a1b2c3d-4e5f-6a7b-8c9d-{i:012x}")
}

fn items(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"scanConfigurationArn": CONFIG_ARN, "resource": {"projectId": project(i)}}))
        .collect()
}

fn direct(n: usize) -> Value {
    json!({"action": "BatchDisassociateCodeSecurityScanConfiguration", "disassociateConfigurationRequests": items(n)})
}

fn http(n: usize) -> Value {
    let mut e = load_event("http-disassociate.json");
    e["isBase64Encoded"] = false.into();
    e["body"] = json!({"disassociateConfigurationRequests": items(n)})
        .to_string()
        .into();
    e
}

/// A scripted stand-in: per project id, what the service says about it.
#[derive(Clone, Default)]
struct Script {
    /// project id -> failure status code
    fail: HashMap<String, &'static str>,
    /// project ids the service leaves out of its answer
    omit: Vec<String>,
    /// project ids the service reports twice
    twice: Vec<String>,
    /// a call containing this project id fails as a whole with HTTP 500
    call_fails_with: Option<String>,
    delay: Duration,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Respond for Script {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.arrivals.lock().unwrap().push(Instant::now());
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let reqs = body["disassociateConfigurationRequests"]
            .as_array()
            .unwrap();
        assert!(
            !reqs.is_empty() && reqs.len() <= 25,
            "service limit broken: {} items",
            reqs.len()
        );
        let pid = |r: &Value| r["resource"]["projectId"].as_str().unwrap().to_string();
        if let Some(bad) = &self.call_fails_with
            && reqs.iter().any(|r| &pid(r) == bad)
        {
            return ResponseTemplate::new(500)
                .insert_header("x-amzn-errortype", "InternalServerException")
                .set_body_json(json!({"message": "boom"}));
        }
        let (mut ok, mut failed) = (vec![], vec![]);
        for r in reqs {
            let p = pid(r);
            if self.omit.contains(&p) {
                continue;
            }
            let times = if self.twice.contains(&p) { 2 } else { 1 };
            for _ in 0..times {
                match self.fail.get(&p) {
                    Some(code) => failed.push(failed_item(r, code, &format!("{code} for {p}"))),
                    None => ok.push(r.clone()),
                }
            }
        }
        // An item the caller never sent must be ignored, not counted.
        ok.push(json!({"scanConfigurationArn": CONFIG_ARN, "resource": {"projectId": "project-ffffffff-ffff-ffff-ffff-ffffffffffff"}}));
        ResponseTemplate::new(200)
            .set_delay(self.delay)
            .set_body_json(json!({"successfulAssociations": ok, "failedAssociations": failed}))
    }
}

async fn stand_in(script: Script) -> MockServer {
    serving(DISASSOCIATE_PATH, script).await
}

/// Each input project appears exactly once across both lists.
fn assert_accounted(result: &Value, n: usize) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for list in ["successfulAssociations", "failedAssociations"] {
        for item in result[list].as_array().unwrap() {
            *seen
                .entry(item["resource"]["projectId"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    for i in 0..n {
        assert_eq!(
            seen.remove(&project(i)),
            Some(1),
            "{} not accounted exactly once",
            project(i)
        );
    }
    assert!(seen.is_empty(), "items nobody sent: {seen:?}");
}

#[tokio::test]
async fn sixty_items_become_three_calls_and_all_come_back() {
    let server = stand_in(Script::default()).await;
    let app = live_app(&server).await;
    let r = app.handle(event(direct(60))).await.unwrap();
    assert_accounted(&r["result"], 60);
    assert_eq!(r["result"]["failedAssociations"], json!([]));
    // Input order is kept.
    assert_eq!(
        r["result"]["successfulAssociations"][59]["resource"]["projectId"],
        project(59)
    );

    let mut sizes: Vec<usize> = requests(&server)
        .await
        .iter()
        .map(|req| {
            json_of(req)["disassociateConfigurationRequests"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    sizes.sort();
    assert_eq!(sizes, [10, 25, 25]);
}

#[tokio::test]
async fn partial_failure_is_207_with_each_item_once() {
    let script = Script {
        fail: HashMap::from([
            (project(3), "SCAN_CONFIGURATION_NOT_FOUND"),
            (project(30), "ACCESS_DENIED"),
        ]),
        omit: vec![project(7)],
        twice: vec![project(8), project(30)],
        ..Script::default()
    };
    let server = stand_in(script).await;
    let app = live_app(&server).await;
    let r = app.handle(event(http(40))).await.unwrap();
    assert_eq!(r["statusCode"], 207);
    let body = http_body(&r);
    assert_accounted(&body, 40);
    let failed: HashMap<String, (String, String)> = body["failedAssociations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["resource"]["projectId"].as_str().unwrap().to_string(),
                (
                    f["statusCode"].as_str().unwrap().to_string(),
                    f["statusMessage"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect();
    assert_eq!(failed.len(), 3);
    assert_eq!(failed[&project(3)].0, "SCAN_CONFIGURATION_NOT_FOUND");
    assert_eq!(failed[&project(30)].0, "ACCESS_DENIED");
    assert_eq!(
        failed[&project(7)].0,
        "INTERNAL_ERROR",
        "an item the service left out is failed, not lost"
    );
}

#[tokio::test]
async fn a_failed_call_fails_only_its_own_items() {
    let script = Script {
        call_fails_with: Some(project(26)),
        ..Script::default()
    };
    let server = stand_in(script).await;
    let app = live_app(&server).await;
    let r = app.handle(event(direct(60))).await.unwrap();
    let result = &r["result"];
    assert_accounted(result, 60);
    let failed = result["failedAssociations"].as_array().unwrap();
    assert_eq!(failed.len(), 25, "the second call's 25 items");
    assert!(failed.iter().all(|f| {
        f["statusCode"] == "INTERNAL_ERROR"
            && f["statusMessage"]
                .as_str()
                .unwrap()
                .starts_with("InternalServerException")
    }));
    assert_eq!(failed[0]["resource"]["projectId"], project(25));
    assert_eq!(
        result["successfulAssociations"].as_array().unwrap().len(),
        35
    );
}

#[tokio::test]
async fn calls_run_concurrently_up_to_the_bound() {
    let delay = Duration::from_millis(300);
    let script = Script {
        delay,
        ..Script::default()
    };
    let arrivals = script.arrivals.clone();
    let server = stand_in(script).await;
    let mut settings = Settings::default();
    settings.batch.concurrency = 3;
    let app = live_app_with(&server, settings, 1).await;
    let r = app.handle(event(direct(25 * 9))).await.unwrap();
    assert_accounted(&r["result"], 225);

    // Calls in flight when each call arrived: those that arrived less than
    // (most of) one service latency earlier.
    let times = arrivals.lock().unwrap().clone();
    assert_eq!(times.len(), 9);
    let window = delay.mul_f32(0.8);
    let max_in_flight = times
        .iter()
        .map(|t| {
            times
                .iter()
                .filter(|u| *u <= t && t.duration_since(**u) < window)
                .count()
        })
        .max()
        .unwrap();
    assert_eq!(max_in_flight, 3, "concurrency bound is 3");
}

#[tokio::test]
async fn more_items_than_the_limit_are_rejected_before_any_call() {
    let server = stand_in(Script::default()).await;
    let mut settings = Settings::default();
    settings.limits.max_batch_items = 50;
    let app = live_app_with(&server, settings, 1).await;
    let err = app.handle(event(direct(51))).await.unwrap_err();
    assert_eq!(err.fields()[0].field, "disassociateConfigurationRequests");
    assert!(requests(&server).await.is_empty());
}
