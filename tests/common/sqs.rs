//! A small SQS, in process, for the runs that move thousands of messages:
//! the 100,000-item end-to-end test and the queue benchmark. moto's SQS
//! (tests/it/queue/moto.rs uses it for everything else) recomputes every queue
//! attribute over all messages at each message sent, so its time per
//! message grows with the queue's depth: on this project's machine a
//! SendMessageBatch took 0.27 s with an empty queue and over 1 s at 3,000
//! messages, minutes for the 4,000 messages of 100,000 items.
//!
//! It speaks SQS's JSON protocol over HTTP to the real aws-sdk-sqs, for the
//! calls the function and the in-process event source mapping make
//! (SendMessageBatch, ReceiveMessage, DeleteMessageBatch,
//! ChangeMessageVisibilityBatch, GetQueueAttributes), with the semantics
//! they rely on: a received message is invisible for the visibility
//! timeout and delivered again unless deleted, ApproximateReceiveCount, and
//! a message received more than maxReceiveCount times moved to the
//! dead-letter queue at its next receive.

use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

struct Message {
    id: String,
    body: String,
    receives: u32,
    /// MessageAttributes as SQS answers them.
    attributes: Value,
}

#[derive(Default)]
struct Queue {
    ready: VecDeque<Message>,
    /// sent with DelaySeconds: visible from then on
    delayed: Vec<(Message, Instant)>,
    /// receipt handle -> (message, visible again at)
    in_flight: HashMap<String, (Message, Instant)>,
    /// (dead-letter queue's name, maxReceiveCount)
    redrive: Option<(String, u32)>,
}

#[derive(Default)]
struct State {
    queues: HashMap<String, Queue>,
    next: u64,
}

/// The server; queues are named by the last segment of their URL.
#[derive(Clone)]
pub struct SqsStandIn {
    state: Arc<Mutex<State>>,
    visibility: Duration,
    pub server: Arc<MockServer>,
}

impl SqsStandIn {
    /// Received messages stay invisible this long unless deleted.
    pub fn with_visibility(mut self, visibility: Duration) -> SqsStandIn {
        self.visibility = visibility;
        self
    }

    pub async fn start() -> SqsStandIn {
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        let sqs = SqsStandIn {
            state: Arc::default(),
            visibility: Duration::from_secs(30),
            server: Arc::new(server),
        };
        Mock::given(method("POST"))
            .respond_with(sqs.clone())
            .mount(&sqs.server)
            .await;
        sqs
    }

    /// A queue, with a redrive policy to `dead_letter` (another queue's
    /// name) after `max_receive_count` receives; its URL.
    pub fn queue(&self, name: &str, dead_letter: Option<(&str, u32)>) -> String {
        let mut st = self.state.lock().unwrap();
        st.queues.entry(name.to_string()).or_default().redrive =
            dead_letter.map(|(q, n)| (q.to_string(), n));
        self.url(name)
    }

    pub fn url(&self, name: &str) -> String {
        format!("{}/123456789012/{name}", self.server.uri())
    }
}

fn name_of(body: &Value) -> String {
    let url = body["QueueUrl"].as_str().expect("QueueUrl");
    url.rsplit('/').next().unwrap().to_string()
}

fn entries(body: &Value) -> &Vec<Value> {
    body["Entries"].as_array().expect("Entries")
}

impl Respond for SqsStandIn {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let target = req
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .trim_start_matches("AmazonSQS.")
            .to_string();
        let body: Value = serde_json::from_slice(&req.body).expect("a JSON request");
        let name = name_of(&body);
        let mut st = self.state.lock().unwrap();
        let now = Instant::now();
        let answer = match target.as_str() {
            "SendMessageBatch" => {
                let mut ok = Vec::new();
                for e in entries(&body) {
                    st.next += 1;
                    let id = format!("00000000-0000-4000-8000-{:012}", st.next);
                    ok.push(json!({"Id": e["Id"], "MessageId": id,
                                   "MD5OfMessageBody": "00000000000000000000000000000000"}));
                    let m = Message {
                        id,
                        body: e["MessageBody"].as_str().unwrap().to_string(),
                        receives: 0,
                        attributes: e.get("MessageAttributes").cloned().unwrap_or(json!({})),
                    };
                    let q = st.queues.get_mut(&name).expect("queue");
                    match e["DelaySeconds"].as_u64().filter(|d| *d > 0) {
                        Some(d) => q.delayed.push((m, now + Duration::from_secs(d))),
                        None => q.ready.push_back(m),
                    }
                }
                json!({"Successful": ok, "Failed": []})
            }
            "ReceiveMessage" => {
                let max = body["MaxNumberOfMessages"].as_u64().unwrap_or(1) as usize;
                let visibility = self.visibility;
                st.next += 1;
                let round = st.next;
                let q = st.queues.get_mut(&name).expect("queue");
                // Visibility timeouts that ran out: delivered again.
                let expired: Vec<String> = q
                    .in_flight
                    .iter()
                    .filter(|(_, (_, at))| *at <= now)
                    .map(|(h, _)| h.clone())
                    .collect();
                for h in expired {
                    let (m, _) = q.in_flight.remove(&h).unwrap();
                    q.ready.push_back(m);
                }
                let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut q.delayed)
                    .into_iter()
                    .partition(|(_, at)| *at <= now);
                q.delayed = later;
                q.ready.extend(due.into_iter().map(|(m, _)| m));
                let redrive = q.redrive.clone();
                let (mut out, mut dead) = (Vec::new(), Vec::new());
                while out.len() < max {
                    let Some(mut m) = q.ready.pop_front() else {
                        break;
                    };
                    if let Some((_, max_receives)) = &redrive
                        && m.receives >= *max_receives
                    {
                        dead.push(m);
                        continue;
                    }
                    m.receives += 1;
                    let handle = format!("{}-{round}", m.id);
                    out.push(json!({"MessageId": m.id, "ReceiptHandle": handle, "Body": m.body,
                                    "MD5OfBody": "00000000000000000000000000000000",
                                    "MessageAttributes": m.attributes,
                                    "Attributes": {"ApproximateReceiveCount": m.receives.to_string()}}));
                    q.in_flight.insert(handle, (m, now + visibility));
                }
                if let Some((dlq, _)) = redrive {
                    let d = st.queues.get_mut(&dlq).expect("dead-letter queue");
                    d.ready.extend(dead);
                }
                json!({ "Messages": out })
            }
            "DeleteMessageBatch" | "ChangeMessageVisibilityBatch" => {
                let delete = target == "DeleteMessageBatch";
                let q = st.queues.get_mut(&name).expect("queue");
                let mut ok = Vec::new();
                for e in entries(&body) {
                    let handle = e["ReceiptHandle"].as_str().unwrap();
                    if let Some((m, at)) = q.in_flight.remove(handle)
                        && !delete
                    {
                        let secs = e["VisibilityTimeout"].as_u64().unwrap_or(0);
                        if secs == 0 {
                            q.ready.push_back(m);
                        } else {
                            let until = at.max(now + Duration::from_secs(secs));
                            q.in_flight.insert(handle.to_string(), (m, until));
                        }
                    }
                    ok.push(json!({"Id": e["Id"]}));
                }
                json!({"Successful": ok, "Failed": []})
            }
            "GetQueueAttributes" => {
                let q = st.queues.get(&name).expect("queue");
                json!({"Attributes": {
                    "ApproximateNumberOfMessages": q.ready.len().to_string(),
                    "ApproximateNumberOfMessagesNotVisible": q.in_flight.len().to_string(),
                    "ApproximateNumberOfMessagesDelayed": q.delayed.len().to_string()}})
            }
            other => panic!("the SQS stand-in does not do {other}"),
        };
        ResponseTemplate::new(200)
            .insert_header("content-type", "application/x-amz-json-1.0")
            .set_body_json(answer)
    }
}
