//! What a queued message is, as the consumer sees it: SQS events from the
//! work queue decoded into [`QueuedMessage`]s (body, receive count, and the
//! attributes the function writes: attempt, unfinishedSince, sweep). Each
//! body is a direct-invocation request (`{"action": ..., ...}`, the same
//! shapes and validation: routed by ingress's direct router), one message
//! at a time; the answer is Lambda's partial batch response, naming the
//! messages to deliver again.

use crate::config::Limits;
use crate::domain::{Action, Error};
use crate::ingress::actions::Origin;
use crate::ingress::body::json_object;
use crate::ingress::direct;
use crate::ingress::wire::{type_name, unsupported};
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures::StreamExt;
use serde_json::{Map, Value};
use std::future::Future;

/// `eventSource` of every record Lambda delivers from an SQS queue.
pub const EVENT_SOURCE: &str = "aws:sqs";

/// What came of a message, as its `message` log line says (`outcome`):
/// every item finished; unfinished work sent back as new messages (the
/// message deleted); named in `batchItemFailures` to come back (a receive
/// used); failed for good (deleted); not a valid request (named, until it
/// is dead-lettered). docs/OPERATIONS.md lists them; a test checks both.
pub const COMPLETED: &str = "completed";
pub const LATER: &str = "later";
pub const RETRY: &str = "retry";
pub const FAILED: &str = "failed";
pub const REJECTED: &str = "rejected";
pub const OUTCOMES: &[&str] = &[COMPLETED, LATER, RETRY, FAILED, REJECTED];

/// One message of a batch, as the function needs it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueuedMessage {
    /// `messageId`: kept across redeliveries; what a failed message is named by.
    pub message_id: String,
    pub body: String,
    /// `attributes.ApproximateReceiveCount`: 1 at the first delivery.
    pub receive_count: u32,
    /// Message attribute `attempt`: how often this work was left
    /// unfinished and sent again (0: never).
    pub attempt: u32,
    /// Message attribute `unfinishedSince`: when (Unix seconds) this work
    /// was first left unfinished.
    pub unfinished_since: Option<u64>,
    /// Message attribute `sweep`: the key of the sweep the work belongs to.
    pub sweep: Option<String>,
    /// Message attribute `requested`: how the work was asked for (JSON),
    /// carried to the watches of the scans it starts.
    pub requested: Option<String>,
    /// `receiptHandle`: what a watch is kept with for its next look.
    pub receipt_handle: String,
    /// `eventSourceARN`: the queue the message came from.
    pub source: Option<String>,
}

/// The message attributes the function writes and reads.
pub const ATTEMPT: &str = "attempt";
pub const UNFINISHED_SINCE: &str = "unfinishedSince";
pub const SWEEP: &str = "sweep";
pub const REQUESTED: &str = "requested";

/// The attributes of new work: the sweep it belongs to (its key, bounded
/// to 128 characters) and how it was asked for (its scans' results say);
/// an empty one is left out (SQS refuses an empty value).
pub fn work_attributes(sweep: &str, requested: &str) -> Vec<(&'static str, String)> {
    [
        (SWEEP, crate::domain::error::bounded(sweep, 128)),
        (REQUESTED, requested.to_string()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect()
}

/// An SQS event: `Records`, every one from `aws:sqs`.
pub fn is_sqs(map: &Map<String, Value>) -> bool {
    map.get("Records")
        .and_then(Value::as_array)
        .is_some_and(|records| {
            !records.is_empty()
                && records
                    .iter()
                    .all(|r| r.get("eventSource").and_then(Value::as_str) == Some(EVENT_SOURCE))
        })
}

pub fn decode(map: Map<String, Value>) -> Result<Vec<QueuedMessage>, Error> {
    let event: SqsEvent = serde_json::from_value(Value::Object(map))
        .map_err(|e| unsupported(&format!("an SQS event that does not parse: {e}")))?;
    event
        .records
        .into_iter()
        .map(|r| {
            let attribute = |name: &str| {
                r.message_attributes
                    .get(name)
                    .and_then(|a| a.string_value.clone())
            };
            let attempt = attribute(ATTEMPT).and_then(|n| n.parse().ok()).unwrap_or(0);
            let unfinished_since = attribute(UNFINISHED_SINCE).and_then(|n| n.parse().ok());
            let sweep = attribute(SWEEP).map(|s| crate::domain::error::bounded(&s, 128));
            let requested = attribute(REQUESTED).filter(|r| r.len() <= 4096);
            let message_id = r
                .message_id
                .filter(|id| !id.is_empty())
                .ok_or_else(|| unsupported("an SQS record without messageId"))?;
            Ok(QueuedMessage {
                message_id,
                body: r.body.unwrap_or_default(),
                receive_count: r
                    .attributes
                    .get("ApproximateReceiveCount")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1),
                attempt,
                unfinished_since,
                sweep,
                requested,
                receipt_handle: r.receipt_handle.unwrap_or_default(),
                source: r.event_source_arn,
            })
        })
        .collect()
}

/// A message's body routed as a direct invocation. Without tokens or run
/// names of its own, the message's work derives them from its `messageId`,
/// which every redelivery of it keeps.
pub fn route(message: &QueuedMessage, cfg: &Limits) -> Result<Action, Error> {
    let mut fields: Map<String, Value> = json_object(
        Some(&message.body),
        false,
        cfg.max_body_bytes,
        cfg.max_body_values(),
    )?;
    let action = match fields.remove("action") {
        Some(Value::String(a)) => a,
        Some(other) => {
            return Err(Error::invalid_field(
                "action",
                format!("must be a string, got a JSON {}", type_name(&other)),
            ));
        }
        None => return Err(Error::invalid_field("action", "is required")),
    };
    let origin = Origin {
        token_base: Some(message.message_id.clone()),
        run_name_base: Some(message.message_id.clone()),
        scope: "queue".to_string(),
        scoped_tokens: false,
    };
    direct::route(&action, &fields, cfg, &origin)
}

/// The batch processor: `handle` runs on each message of a batch (given its
/// index: a closure over a borrowed message defeats rustc's `Send` proof,
/// rust-lang/rust#102211, which the concurrent runtime needs), at most
/// `concurrency` at once (the batch's messages share the bound); one verdict
/// per message, in order.
pub async fn handle_each<T, Fut>(
    messages: &[QueuedMessage],
    concurrency: usize,
    handle: impl FnMut(usize) -> Fut,
) -> Vec<T>
where
    Fut: Future<Output = T>,
{
    futures::stream::iter(0..messages.len())
        .map(handle)
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// The partial batch response, `{"batchItemFailures": [{"itemIdentifier":
/// messageId}, ...]}`, naming the messages whose `again` is set: Lambda
/// deletes every other message of the batch and delivers these again. With
/// how many it names.
pub fn partial_response(messages: &[QueuedMessage], again: &[bool]) -> (usize, Value) {
    let mut response = SqsBatchResponse::default();
    for (m, _) in messages.iter().zip(again).filter(|(_, a)| **a) {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = m.message_id.clone();
        response.batch_item_failures.push(failure);
    }
    let named = response.batch_item_failures.len();
    (named, serde_json::to_value(response).unwrap_or(Value::Null))
}
