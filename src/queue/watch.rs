//! The watch queue: a FIFO queue (`SCAN_WATCH_QUEUE_URL`) holding one
//! message per scan the function started. Each message's group and
//! deduplication id is the scan id, so a second watch of the same scan sent
//! within SQS's five-minute deduplication window (a redelivered push,
//! command or direct invocation gets the same scan back from Inspector) is
//! dropped by SQS. The queue's own `DelaySeconds` is the first delay; while
//! the scan runs, the message is kept with `ChangeMessageVisibility` for the
//! next, longer delay and named in `batchItemFailures`.

use super::send::{sdk_error, send_resending};
use crate::domain::Error;
use crate::domain::completion::Watch;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use std::time::Duration;

const HOLD: &str = "sqs:ChangeMessageVisibility";
/// The IAM action that keeps a watch for its next look.
pub const HOLD_ACTION: &str = HOLD;

/// SQS's limit on a FIFO message group or deduplication id.
const MAX_ID: usize = 128;

/// The client and the queue; built once per cold start.
#[derive(Debug, Clone)]
pub struct WatchQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

/// The group and deduplication id of a scan's watch: the scan id, within
/// SQS's characters (alphanumerics and punctuation) and length.
pub fn dedup_id(scan_id: &str) -> String {
    scan_id
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(MAX_ID)
        .collect()
}

impl WatchQueue {
    pub fn new(sdk: &aws_config::SdkConfig, url: impl Into<String>) -> Self {
        Self {
            client: aws_sdk_sqs::Client::new(sdk),
            url: url.into(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends one watch per scan (ten to a call; entries SQS fails are sent
    /// again by the work queue's loop, [`send_resending`]). `Ok` once SQS
    /// has accepted all of them (a duplicate within the window is
    /// accepted, and dropped).
    pub async fn send(&self, watches: &[Watch]) -> Result<(), Error> {
        for chunk in watches.chunks(10) {
            // Boxed: the send loop's future is deep, and the function's is
            // near the compiler's layout depth limit.
            Box::pin(send_resending(&self.client, &self.url, chunk.len(), |p| {
                let w = &chunk[p];
                let id = dedup_id(&w.scan_id);
                let body = serde_json::to_string(w).unwrap_or_default();
                SendMessageBatchRequestEntry::builder()
                    .id(p.to_string())
                    .message_body(body)
                    .message_group_id(&id)
                    .message_deduplication_id(&id)
                    .build()
                    .expect("id and body are set")
            }))
            .await
            .map_err(|u| u.error)?;
        }
        Ok(())
    }

    /// Keeps the received message `receipt_handle` invisible for `delay`:
    /// its next look (the caller names it in `batchItemFailures`).
    pub async fn hold(&self, receipt_handle: &str, delay: Duration) -> Result<(), Error> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(delay.as_secs().clamp(1, 43_200) as i32)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(HOLD, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dedup_id_is_the_scan_id_within_sqs_limits() {
        assert_eq!(
            dedup_id("8f3b2c1a-0000-4000-8000-000000000001"),
            "8f3b2c1a-0000-4000-8000-000000000001"
        );
        assert_eq!(dedup_id("a b\nc"), "abc");
        assert_eq!(dedup_id(&"x".repeat(300)).len(), 128);
    }
}
