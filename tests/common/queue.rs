//! The work queue in tests: SQS events in the shape Lambda delivers (built
//! from the bundled events/sqs-work-queue.json), a SendMessageBatch
//! stand-in that can fail entries, and moto, a real SQS implementation run
//! in server mode, with an in-process stand-in for Lambda's event source
//! mapping that drains a queue through the function.

use super::{
    Disassociation, direct_disassociate, event_with_request_id, live_app_with, load_event, project,
    sdk_config,
};
use inspector_scan_router::App;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:work";

/// An SQS event of `(messageId, body, receive count)` messages, each record
/// the bundled event's first record with these values.
pub fn sqs_event(messages: &[(String, String, u32)]) -> Value {
    let template = load_event("sqs-work-queue.json")["Records"][0].clone();
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, body, count)| {
            let mut r = template.clone();
            r["messageId"] = id.clone().into();
            r["receiptHandle"] = format!("handle-{id}").into();
            r["body"] = body.clone().into();
            r["md5OfBody"] = Value::Null;
            r["attributes"]["ApproximateReceiveCount"] = count.to_string().into();
            r["eventSourceARN"] = QUEUE_ARN.into();
            r
        })
        .collect();
    json!({ "Records": records })
}

/// The SQS event Lambda's event source mapping builds from `got`: ids,
/// bodies, receive counts and message attributes.
pub fn sqs_event_of(got: &[aws_sdk_sqs::types::Message]) -> Value {
    let plain: Vec<(String, String, u32)> = got
        .iter()
        .map(|m| {
            let count = m
                .attributes
                .as_ref()
                .and_then(|a| {
                    a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
                })
                .map_or(1, |c| c.parse().unwrap());
            (
                m.message_id.clone().unwrap(),
                m.body.clone().unwrap(),
                count,
            )
        })
        .collect();
    let mut event = sqs_event(&plain);
    for (record, m) in event["Records"].as_array_mut().unwrap().iter_mut().zip(got) {
        let mut attrs = serde_json::Map::new();
        for (name, v) in m.message_attributes.iter().flatten() {
            attrs.insert(
                name.clone(),
                json!({"stringValue": v.string_value(), "stringListValues": [],
                       "binaryListValues": [], "dataType": v.data_type()}),
            );
        }
        record["messageAttributes"] = Value::Object(attrs);
        if let Some(handle) = &m.receipt_handle {
            record["receiptHandle"] = handle.clone().into();
        }
    }
    event
}

/// The message ids a batch response names.
pub fn failed_ids(answer: &Value) -> Vec<String> {
    answer["batchItemFailures"]
        .as_array()
        .unwrap_or_else(|| panic!("not a batch response: {answer}"))
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
        .collect()
}

/// A SendMessageBatch stand-in (SQS's JSON protocol). Entries whose body
/// contains one of `failing` are reported failed the first `fail_times`
/// times they are sent; every other entry is accepted and kept.
#[derive(Clone, Default)]
pub struct SendStandIn {
    pub failing: Vec<String>,
    pub fail_times: usize,
    /// bodies accepted, in order
    pub accepted: Arc<Mutex<Vec<String>>>,
    /// the entry count of each call
    pub calls: Arc<Mutex<Vec<usize>>>,
    /// body -> times sent
    pub tries: Arc<Mutex<HashMap<String, usize>>>,
}

impl SendStandIn {
    pub async fn serve(&self) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(header("x-amz-target", "AmazonSQS.SendMessageBatch"))
            .respond_with(self.clone())
            .mount(&server)
            .await;
        server
    }

    pub fn accepted(&self) -> Vec<String> {
        self.accepted.lock().unwrap().clone()
    }

    pub fn calls(&self) -> Vec<usize> {
        self.calls.lock().unwrap().clone()
    }
}

impl Respond for SendStandIn {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let entries = body["Entries"].as_array().unwrap();
        assert!((1..=10).contains(&entries.len()), "SQS takes 1-10 entries");
        self.calls.lock().unwrap().push(entries.len());
        let (mut ok, mut failed) = (vec![], vec![]);
        let mut tries = self.tries.lock().unwrap();
        for e in entries {
            let (id, text) = (
                e["Id"].as_str().unwrap(),
                e["MessageBody"].as_str().unwrap(),
            );
            let n = tries.entry(text.to_string()).or_default();
            *n += 1;
            if self.failing.iter().any(|f| text.contains(f.as_str())) && *n <= self.fail_times {
                failed.push(
                    json!({"Id": id, "SenderFault": false, "Code": "InternalError",
                                   "Message": "try again"}),
                );
            } else {
                self.accepted.lock().unwrap().push(text.to_string());
                ok.push(json!({"Id": id, "MessageId": format!("m-{}", self.accepted.lock().unwrap().len()),
                               "MD5OfMessageBody": "00000000000000000000000000000000"}));
            }
        }
        ResponseTemplate::new(200)
            .insert_header("content-type", "application/x-amz-json-1.0")
            .set_body_json(json!({"Successful": ok, "Failed": failed}))
    }
}

// ---- moto ------------------------------------------------------------------

/// moto in server mode on a free loopback port, stopped when dropped.
/// `MOTO_SERVER` names its `moto_server` (scripts/check-queue sets it).
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    pub async fn start() -> Moto {
        let server = std::env::var("MOTO_SERVER")
            .expect("MOTO_SERVER: path of moto_server (run scripts/check-queue)");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        moto
    }

    pub async fn sdk(&self) -> aws_config::SdkConfig {
        sdk_config(&self.endpoint, 3).await
    }

    pub async fn client(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk().await)
    }
}

/// A queue: `(url, arn)`. With `dead_letter`, messages received more than
/// `max_receive_count` times move there (SQS's redrive policy).
pub async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    dead_letter: Option<(&str, u32)>,
) -> (String, String) {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    // As the template sets it (six times the function's timeout): a message
    // in work is not delivered again while a slow consumer still holds it.
    let mut create = sqs
        .create_queue()
        .queue_name(name)
        .attributes(A::VisibilityTimeout, "180");
    if let Some((arn, max)) = dead_letter {
        create = create.attributes(
            A::RedrivePolicy,
            json!({"deadLetterTargetArn": arn, "maxReceiveCount": max}).to_string(),
        );
    }
    let url = create.send().await.unwrap().queue_url.unwrap();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(A::QueueArn)
        .send()
        .await
        .unwrap();
    let arn = attrs.attributes.unwrap()[&A::QueueArn].clone();
    (url, arn)
}

/// Messages waiting or in flight.
pub async fn depth(sqs: &aws_sdk_sqs::Client, url: &str) -> usize {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(A::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default();
    attrs.values().map(|v| v.parse::<usize>().unwrap()).sum()
}

/// Every body now in the queue, received and deleted.
pub async fn take_all(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let got = receive(sqs, url).await;
        if got.is_empty() {
            return bodies;
        }
        for m in got {
            bodies.push(m.body.clone().unwrap());
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle.unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

pub async fn receive(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    sqs.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
}

/// What the drain saw.
#[derive(Debug, Default, Clone)]
pub struct Drained {
    /// invocations of the function (batches)
    pub batches: usize,
    /// messages received, redeliveries included
    pub received: usize,
    /// messages the function named in batchItemFailures
    pub retried: usize,
}

/// Deletes the received messages the function finished; makes the ones it
/// named visible again at once.
async fn settle(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    got: Vec<aws_sdk_sqs::types::Message>,
    failed: &[String],
    keep_visibility: bool,
) {
    use aws_sdk_sqs::types::{
        ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    };
    let (mut delete, mut again) = (Vec::new(), Vec::new());
    for (i, m) in got.into_iter().enumerate() {
        let (id, handle) = (m.message_id.unwrap(), m.receipt_handle.unwrap());
        if failed.contains(&id) {
            again.push(
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .build()
                    .unwrap(),
            );
        } else {
            delete.push(
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(handle)
                    .build()
                    .unwrap(),
            );
        }
    }
    if !delete.is_empty() {
        let out = sqs
            .delete_message_batch()
            .queue_url(url)
            .set_entries(Some(delete))
            .send()
            .await
            .unwrap();
        assert!(out.failed.is_empty(), "{:?}", out.failed);
    }
    if !again.is_empty() && !keep_visibility {
        sqs.change_message_visibility_batch()
            .queue_url(url)
            .set_entries(Some(again))
            .send()
            .await
            .unwrap();
    }
}

/// Lambda's event source mapping, in process: `consumers` pollers each
/// receive up to 10 messages, hand them to the function as one SQS event,
/// delete the ones its batch response does not name and make those it
/// names visible again at once (where Lambda waits out the visibility
/// timeout), until the queue is empty (and still empty 2.5 s later).
pub async fn drain(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    app: Arc<App>,
    consumers: usize,
) -> Drained {
    let apps = vec![app; consumers];
    let mapping = Mapping {
        quiet: Some(Duration::from_millis(2500)),
        ..Mapping::default()
    };
    drain_with(sqs, url, apps, mapping).await
}

/// How the in-process event source mapping behaves.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mapping {
    /// Leave the messages a batch response names invisible for the rest of
    /// their visibility timeout, as Lambda does (else visible at once).
    pub keep_visibility: bool,
    /// Each invocation's deadline (none when unset).
    pub timeout: Option<Duration>,
    /// Before calling the queue empty, wait this long and look again: moto
    /// has been seen to count no message for a moment while one sent with
    /// a delay, or kept invisible for its next look, was still to come (a
    /// drain then ended early, its work unfinished). Longer than the
    /// longest delay the test's messages carry.
    pub quiet: Option<Duration>,
}

/// The event source mapping with one function environment per poller
/// (`apps`, each its own cold start: its own pacer).
pub async fn drain_with(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    apps: Vec<Arc<App>>,
    mapping: Mapping,
) -> Drained {
    let seen = Arc::new(Mutex::new(Drained::default()));
    // One receive at a time: moto's ReceiveMessage takes no lock, and two
    // at once were seen to hand the same message to both (2,500 messages,
    // three receivers: one message twice). SQS does not hand a message in
    // flight to a second receiver in the ordinary course; its rare
    // at-least-once duplicates are what the function's client tokens are for.
    let receiving = Arc::new(tokio::sync::Mutex::new(()));
    let pollers: Vec<_> = apps
        .into_iter()
        .enumerate()
        .map(|(c, app)| {
            let (sqs, url, seen) = (sqs.clone(), url.to_string(), seen.clone());
            let receiving = receiving.clone();
            // Polled together in this task (the function's future is not
            // Send-general enough for tokio::spawn); calls overlap all the same.
            async move {
                let mut n = 0;
                loop {
                    let got = {
                        let _one = receiving.lock().await;
                        receive(&sqs, &url).await
                    };
                    if got.is_empty() {
                        if depth(&sqs, &url).await == 0 {
                            let Some(quiet) = mapping.quiet else { return };
                            tokio::time::sleep(quiet).await;
                            if depth(&sqs, &url).await == 0 {
                                return;
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                    n += 1;
                    let request_id = format!("consumer-{c}-{n}");
                    let mut payload = sqs_event_of(&got);
                    // Lambda names the queue each record came from.
                    let name = url.rsplit('/').next().unwrap_or_default();
                    for r in payload["Records"].as_array_mut().unwrap() {
                        r["eventSourceARN"] =
                            format!("arn:aws:sqs:us-east-1:123456789012:{name}").into();
                    }
                    let event = match mapping.timeout {
                        Some(t) => super::event_with_deadline(payload, &request_id, t),
                        None => event_with_request_id(payload, &request_id),
                    };
                    let answer = app
                        .handle(event)
                        .await
                        .expect("an SQS batch is always answered with a batch response");
                    let failed = failed_ids(&answer);
                    {
                        let mut s = seen.lock().unwrap();
                        s.batches += 1;
                        s.received += got.len();
                        s.retried += failed.len();
                    }
                    settle(&sqs, &url, got, &failed, mapping.keep_visibility).await;
                }
            }
        })
        .collect();
    futures::future::join_all(pollers).await;
    seen.lock().unwrap().clone()
}

/// One asynchronous event disassociating `n` items, queued whole (more
/// than INLINE_MAX_ITEMS) on the queue at `url` (an SQS reached with
/// `sqs_sdk`), then drained by `consumers` in-process consumers, against
/// an Inspector stand-in that throttles some calls (some once: the SDK's
/// retry absorbs it; some more often than the function's 2 attempts: the
/// message is delivered again), fails some items with INTERNAL_ERROR the
/// first time (no item retry rounds: left unfinished, queued again) and
/// refuses some for good. Every item is answered exactly once at the
/// stand-in (succeeded, or refused for good): none lost, none doubled, and
/// nothing is left in the queue or its dead-letter queue.
pub async fn end_to_end(
    n: usize,
    sqs_sdk: &aws_config::SdkConfig,
    url: &str,
    dlq: &str,
    consumers: usize,
) -> Drained {
    let script = Disassociation {
        throttle: (0..n)
            .filter(|i| i % 499 == 7 || i % 997 == 11)
            .map(|i| (project(i), if i % 499 == 7 { 1 } else { 3 }))
            .collect(),
        flaky: (0..n).filter(|i| i % 101 == 5).map(project).collect(),
        fail: (0..n)
            .filter(|i| i % 1009 == 13)
            .map(|i| (project(i), "ACCESS_DENIED"))
            .collect(),
        ..Disassociation::default()
    };
    let inspector = script.serve().await;
    let mut s = super::settings();
    s.batch.item_retry_rounds = 0;
    s.batch.concurrency = 4;
    // Its throttles are scripted, not a quota: no rate to find.
    s.batch.pacing = false;
    s.limits.max_batch_items = n;
    s.queue.url = Some(url.to_string());
    s.queue.inline_max_items = 500;
    let app = Arc::new(
        live_app_with(&inspector, s, 2)
            .await
            .with_queue_sdk(sqs_sdk, url),
    );

    let answer = app
        .handle(event_with_request_id(
            direct_disassociate(n),
            "async-invocation-1",
        ))
        .await
        .unwrap();
    assert_eq!(answer["queued"], n);
    assert_eq!(answer["messages"], n.div_ceil(25));
    assert!(script.calls().is_empty(), "nothing ran inline");

    let sqs = aws_sdk_sqs::Client::new(sqs_sdk);
    let drained = drain(&sqs, url, app, consumers).await;
    assert!(
        drained.received > n.div_ceil(25) + drained.retried,
        "some unfinished items came back later as new messages"
    );
    let answered = script.answered.lock().unwrap().clone();
    let doubled: Vec<_> = answered.iter().filter(|(_, k)| **k != 1).collect();
    assert!(doubled.is_empty(), "answered more than once: {doubled:?}");
    let lost: Vec<String> = (0..n)
        .map(project)
        .filter(|p| !answered.contains_key(p))
        .collect();
    assert!(
        lost.is_empty(),
        "{} never answered, e.g. {:?}",
        lost.len(),
        lost.first()
    );
    assert_eq!(answered.len(), n, "nothing else answered");
    assert_eq!(
        depth(&sqs, url).await + depth(&sqs, dlq).await,
        0,
        "nothing left behind"
    );
    drained
}
