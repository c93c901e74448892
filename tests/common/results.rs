//! Scan results in tests: an Inspector stand-in whose scans run for a
//! while (GetCodeSecurityScan answers IN_PROGRESS, optionally throttled or
//! failing, then SUCCESSFUL), its findings, and on moto the watch queue
//! (FIFO), a results bus with a rule forwarding results events to a queue
//! the test reads.

use super::queue::{Moto, create_queue};
use super::stateful::stateful_stand_in;
use super::{FINDINGS_PATH, GET_SCAN_PATH, findings_answer, on_post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

/// How GetCodeSecurityScan answers, per scan: `throttled` throttling
/// answers, then `failing` 500s, then `in_progress` IN_PROGRESS answers,
/// then SUCCESSFUL (never, with `forever`).
#[derive(Clone, Default)]
pub struct Running {
    pub throttled: usize,
    pub failing: usize,
    pub in_progress: usize,
    pub forever: bool,
    /// scanId -> GetCodeSecurityScan calls
    pub gets: Arc<Mutex<HashMap<String, usize>>>,
}

impl Respond for Running {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let scan = body["scanId"].as_str().unwrap().to_string();
        let project = body["resource"]["projectId"].as_str().unwrap().to_string();
        let mut gets = self.gets.lock().unwrap();
        let n = gets.entry(scan.clone()).or_default();
        *n += 1;
        let n = *n;
        if n <= self.throttled {
            return super::aws_error_answer(429, "ThrottlingException");
        }
        if n <= self.throttled + self.failing {
            return super::aws_error_answer(500, "InternalServerException");
        }
        let done = !self.forever && n > self.throttled + self.failing + self.in_progress;
        let mut out = json!({
            "scanId": scan, "resource": {"projectId": project}, "accountId": "123456789012",
            "status": if done { "SUCCESSFUL" } else { "IN_PROGRESS" },
            "createdAt": 1795104000,
            "lastCommitId": "9fceb02d0ae598e95dc970b74767f19372d61af8"
        });
        if done {
            out["updatedAt"] = 1795104300.into();
        }
        ResponseTemplate::new(200).set_body_json(out)
    }
}

/// ListFindingAggregations for the project asked about.
struct Findings;
impl Respond for Findings {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let project =
            body["aggregationRequest"]["codeRepositoryAggregation"]["resourceIds"][0]["value"]
                .as_str()
                .unwrap();
        findings_answer(project)
    }
}

/// The stateful Inspector (one scan per clientToken) whose scans run as
/// `running` says.
pub async fn running_stand_in(running: Running) -> (MockServer, super::stateful::Inspector) {
    let (server, state) = stateful_stand_in(HashMap::new()).await;
    on_post(&server, GET_SCAN_PATH, running).await;
    on_post(&server, FINDINGS_PATH, Findings).await;
    (server, state)
}

/// Everything on moto: the work queue, the FIFO watch queue (first delay
/// `delay` seconds), the results bus and the queue its rule forwards
/// results events to.
pub struct Wiring {
    pub work: String,
    pub watch: String,
    pub out: String,
    pub bus: String,
}

pub async fn wire(moto: &Moto, delay: u32) -> Wiring {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let sqs = moto.client().await;
    let (work, _) = create_queue(&sqs, "work", None).await;
    let watch = sqs
        .create_queue()
        .queue_name("watch.fifo")
        .attributes(A::FifoQueue, "true")
        .attributes(A::DelaySeconds, delay.to_string())
        .attributes(A::VisibilityTimeout, "30")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let (out, out_arn) = create_queue(&sqs, "results-out", None).await;
    let events = aws_sdk_eventbridge::Client::new(&moto.sdk().await);
    let bus = "results".to_string();
    events.create_event_bus().name(&bus).send().await.unwrap();
    rule_to(
        &events,
        &bus,
        "results-to-test",
        results_pattern(),
        &out_arn,
    )
    .await;
    Wiring {
        work,
        watch,
        out,
        bus,
    }
}

/// What a user's rule for results events matches.
pub fn results_pattern() -> Value {
    json!({"source": ["inspector-scan-router"], "detail-type": ["Code Security Scan Completed"]})
}

pub async fn rule_to(
    events: &aws_sdk_eventbridge::Client,
    bus: &str,
    name: &str,
    pattern: Value,
    queue_arn: &str,
) {
    events
        .put_rule()
        .name(name)
        .event_bus_name(bus)
        .event_pattern(pattern.to_string())
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(name)
        .event_bus_name(bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}
