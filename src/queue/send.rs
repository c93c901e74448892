//! Producing: messages sent to SQS with SendMessageBatch, at most ten to a
//! call and within SQS's size limits, with their delays and attributes.
//! Entries SQS reports failed are sent again; what still fails is reported
//! by index, never dropped.

use crate::domain::resend::{Resend, resend_unsettled};
use crate::domain::{AwsError, AwsErrorKind, Deadline, Error};
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use futures::StreamExt;
use std::collections::HashMap;
use std::time::Duration;

use super::batches::{MAX_BATCH_BYTES, batches};

/// The IAM action of SendMessageBatch (batch calls need the single one).
pub const SEND_ACTION: &str = "sqs:SendMessage";
const OPERATION: &str = "sqs:SendMessageBatch";

/// One message to send: its body, how long SQS keeps it invisible
/// (`DelaySeconds`, 0-900), and its message attributes (name, number).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outgoing {
    pub body: String,
    pub delay_seconds: i32,
    pub attributes: Vec<(&'static str, String)>,
    /// A FIFO queue's message group and deduplication ids (the sweep queue).
    pub fifo: Option<(String, String)>,
}

impl From<&String> for Outgoing {
    fn from(body: &String) -> Self {
        Outgoing {
            body: body.clone(),
            ..Outgoing::default()
        }
    }
}

/// Sends of an entry SendMessageBatch reports failed, the first included,
/// before it counts as unsent (the call itself already had the SDK's
/// retries; what is still unsent fails the invocation, and Lambda retries).
/// Fixed: the work queue and the watch queue send through the same
/// [`resend_unsettled`] loop with these.
pub const SEND_RESEND: Resend = Resend {
    calls: 3,
    backoff: Duration::from_millis(50),
};

/// Room kept in each call for the message attributes.
const ATTRIBUTE_BYTES: usize = 256;

/// The client and the queue; built once per cold start.
#[derive(Debug, Clone)]
pub struct WorkQueue {
    client: aws_sdk_sqs::Client,
    url: String,
    /// Where work that stays unfinished too long goes.
    dead_letter_url: Option<String>,
    /// SendMessageBatch calls in flight at once.
    concurrency: usize,
}

/// Bodies SQS did not accept after every attempt, by their index in the
/// list given to [`WorkQueue::send`], and the last error.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsent {
    pub indices: Vec<usize>,
    pub error: Error,
}

impl WorkQueue {
    pub fn new(sdk: &aws_config::SdkConfig, url: impl Into<String>) -> Self {
        Self {
            client: aws_sdk_sqs::Client::new(sdk),
            url: url.into(),
            dead_letter_url: None,
            concurrency: 8,
        }
    }

    /// `concurrency` SendMessageBatch calls at once.
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// The queue that work unfinished for too long is sent to.
    pub fn with_dead_letter(mut self, url: Option<String>) -> Self {
        self.dead_letter_url = url;
        self
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn dead_letter_url(&self) -> Option<&str> {
        self.dead_letter_url.as_deref()
    }

    /// Sends every body as one message. `Ok` once SQS has accepted all of
    /// them; otherwise the ones it did not accept.
    pub async fn send(&self, bodies: &[String]) -> Result<(), Unsent> {
        let messages: Vec<Outgoing> = bodies.iter().map(Outgoing::from).collect();
        self.send_to(&self.url, &messages).await
    }

    /// Sends `messages` to the queue at `url` (this queue or its
    /// dead-letter queue), with their delays and attributes.
    pub async fn send_to(&self, url: &str, messages: &[Outgoing]) -> Result<(), Unsent> {
        let sizes: Vec<usize> = messages
            .iter()
            .map(|m| m.body.len() + ATTRIBUTE_BYTES)
            .collect();
        let (batches, too_large) = batches(&sizes);
        let mut unsent: Vec<Unsent> = futures::stream::iter(batches)
            .map(|batch| self.send_batch(url, messages, batch))
            .buffer_unordered(self.concurrency)
            .filter_map(|r| async move { r.err() })
            .collect()
            .await;
        if !too_large.is_empty() {
            unsent.push(Unsent {
                error: Error::Internal {
                    message: format!(
                        "{} message(s) over SQS's limit of {MAX_BATCH_BYTES} bytes",
                        too_large.len()
                    ),
                },
                indices: too_large,
            });
        }
        let Some(error) = unsent.first().map(|u| u.error.clone()) else {
            return Ok(());
        };
        let mut indices: Vec<usize> = unsent.into_iter().flat_map(|u| u.indices).collect();
        indices.sort_unstable();
        Err(Unsent { indices, error })
    }

    /// One batch: the messages at `batch`, through [`send_resending`].
    async fn send_batch(
        &self,
        url: &str,
        messages: &[Outgoing],
        batch: Vec<usize>,
    ) -> Result<(), Unsent> {
        Box::pin(send_resending(&self.client, url, batch.len(), |p| {
            entry(p, &messages[batch[p]])
        }))
        .await
        .map_err(|u| Unsent {
            indices: u.indices.iter().map(|p| batch[*p]).collect(),
            error: u.error,
        })
    }
}

/// Sends the `len` entries `entry(position)` (each with its position as
/// its id; ten at most) to the queue at `url` with SendMessageBatch, then
/// those SQS failed (or all, when the call failed as a whole after the
/// SDK's own retries) again, as [`SEND_RESEND`] says: the one loop behind
/// the work queue's and the watch queue's sends. `Err`: the positions still
/// unsent, and the last error.
pub(super) async fn send_resending(
    client: &aws_sdk_sqs::Client,
    url: &str,
    len: usize,
    entry: impl Fn(usize) -> SendMessageBatchRequestEntry,
) -> Result<(), Unsent> {
    let entry = &entry;
    let results = resend_unsettled(
        len,
        SEND_RESEND,
        Deadline::NONE,
        Result::is_err,
        |attempt, positions| async move {
            let entries = positions.iter().map(|p| entry(*p)).collect();
            let sent = client
                .send_message_batch()
                .queue_url(url)
                .set_entries(Some(entries))
                .send()
                .await;
            match sent {
                Ok(out) => entry_results(&out, &positions, attempt),
                Err(e) => {
                    let e = Error::Aws(crate::sdk::aws_error(OPERATION, &e, sqs_kind));
                    tracing::warn!(
                        code = e.code(),
                        attempt,
                        entries = positions.len(),
                        "SendMessageBatch failed"
                    );
                    vec![Err(Some(e)); positions.len()]
                }
            }
        },
    )
    .await;
    let mut unsent = Vec::new();
    let mut error = None;
    for (position, result) in results.into_iter().enumerate() {
        if let Some(Err(e)) = result {
            unsent.push(position);
            error = error.or(e);
        }
    }
    if unsent.is_empty() {
        return Ok(());
    }
    Err(Unsent {
        indices: unsent,
        error: error.unwrap_or_else(|| Error::Internal {
            message: "SQS did not report the messages sent".to_string(),
        }),
    })
}

/// What SendMessageBatch said of the entries of `indices` (each entry's id
/// is its index): for each, in order, `Ok` when SQS accepted it, else its
/// error (`None` when SQS reported it neither way, so it is not known to
/// be sent).
pub(super) fn entry_results(
    out: &aws_sdk_sqs::operation::send_message_batch::SendMessageBatchOutput,
    indices: &[usize],
    attempt: u32,
) -> Vec<Result<(), Option<Error>>> {
    let mut results: HashMap<String, Result<(), Option<Error>>> = HashMap::new();
    for s in out.successful() {
        results.insert(s.id().to_string(), Ok(()));
    }
    // A failure wins over a success reported for the same entry.
    for f in out.failed() {
        tracing::warn!(
            entry = f.id(),
            code = f.code(),
            sender_fault = f.sender_fault(),
            attempt,
            "SendMessageBatch entry failed"
        );
        let error = entry_error(f.code(), f.message(), f.sender_fault());
        results.insert(f.id().to_string(), Err(Some(error)));
    }
    indices
        .iter()
        .map(|i| results.remove(&i.to_string()).unwrap_or(Err(None)))
        .collect()
}

/// The entry of the message at `index` (its id), with its delay and
/// attributes.
fn entry(index: usize, m: &Outgoing) -> SendMessageBatchRequestEntry {
    let mut entry = SendMessageBatchRequestEntry::builder()
        .id(index.to_string())
        .message_body(&m.body);
    if m.delay_seconds > 0 {
        entry = entry.delay_seconds(m.delay_seconds.min(900));
    }
    if let Some((group, dedup)) = &m.fifo {
        entry = entry
            .message_group_id(group)
            .message_deduplication_id(dedup);
    }
    for (name, value) in &m.attributes {
        entry = entry.message_attributes(
            *name,
            MessageAttributeValue::builder()
                .data_type(if value.parse::<u64>().is_ok() {
                    "Number"
                } else {
                    "String"
                })
                .string_value(value)
                .build()
                .expect("the data type is set"),
        );
    }
    entry.build().expect("id and body are set")
}

fn entry_error(code: &str, message: Option<&str>, sender_fault: bool) -> Error {
    Error::Aws(AwsError {
        operation: OPERATION,
        code: code.to_string(),
        message: message.unwrap_or_default().to_string(),
        kind: if sender_fault {
            AwsErrorKind::InvalidInput
        } else {
            AwsErrorKind::ServiceFailure
        },
        retry_after: None,
    })
}

/// SQS's codes by kind; the rest is a service failure.
fn sqs_kind(code: &str, _status: u16) -> AwsErrorKind {
    match code {
        c if c.contains("Throttl") || c == "RequestThrottled" => AwsErrorKind::Throttled,
        c if c.contains("AccessDenied") || c.starts_with("Kms") => AwsErrorKind::AccessDenied,
        c if c.contains("NonExistentQueue") || c == "QueueDoesNotExist" => AwsErrorKind::NotFound,
        _ => AwsErrorKind::ServiceFailure,
    }
}

/// An SQS call's error (`operation` names the call).
pub(super) fn sdk_error<E: aws_sdk_sqs::error::ProvideErrorMetadata>(
    operation: &'static str,
    e: aws_sdk_sqs::error::SdkError<E, aws_sdk_sqs::config::http::HttpResponse>,
) -> Error {
    Error::Aws(crate::sdk::aws_error(operation, &e, sqs_kind))
}
