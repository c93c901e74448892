//! The work queue's settings: where fan-outs and unfinished work go, and
//! when unfinished work comes back or is dead-lettered.

use super::ConfigError;
use super::{Env, bad};
use std::time::Duration;

/// The work queue: where fan-outs too large for one invocation, and the
/// items an invocation leaves unfinished, are sent as messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSettings {
    /// `WORK_QUEUE_URL`: the SQS queue's URL; unset, nothing is queued and a
    /// non-HTTP fan-out with unfinished items fails with `PartialFailure`.
    pub url: Option<String>,
    /// `INLINE_MAX_ITEMS`: with a queue, a non-HTTP fan-out of more items
    /// than this is queued instead of run inline.
    pub inline_max_items: usize,
    /// With a queue, an HTTP fan-out of more items than this (100) is
    /// queued whole and answered `202` at once, instead of holding an
    /// environment (and API Gateway's 30 s) while it runs. Fixed: 100 items
    /// fit well within 30 s at any quota the pacer has seen; tests set it.
    pub http_inline_max_items: usize,
    /// `WORK_DEAD_LETTER_QUEUE_URL`: where work still unfinished after
    /// `throttled_retry` goes (unset: it is named in `batchItemFailures`,
    /// and the queue's redrive policy moves it after its receives).
    pub dead_letter_url: Option<String>,
    /// `SWEEP_QUEUE_URL`: the FIFO queue sweeps by selector go through
    /// (their pages, and the work each page comes to, deduplicated by SQS);
    /// unset, a selector is refused.
    pub sweep_url: Option<String>,
    /// `THROTTLED_RETRY_HOURS`: how long unfinished work (throttled,
    /// unavailable, not reached before the deadline) keeps coming back.
    pub throttled_retry: Duration,
    /// The delay before unfinished work comes back: `retry_delay` after the
    /// first time, doubling, at most `retry_delay_max`, jittered (the lower
    /// half of the interval may be taken off).
    pub retry_delay: Duration,
    pub retry_delay_max: Duration,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            url: None,
            inline_max_items: 100_000,
            http_inline_max_items: 100,
            dead_letter_url: None,
            sweep_url: None,
            throttled_retry: Duration::from_secs(24 * 3600),
            retry_delay: Duration::from_secs(2),
            retry_delay_max: Duration::from_secs(60),
        }
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub(super) fn queue(&self) -> Result<QueueSettings, ConfigError> {
        let d = QueueSettings::default();
        let queue_url = |name: &str| match self.get(name) {
            None => Ok(None),
            Some(v) if v.starts_with("https://") || v.starts_with("http://") => Ok(Some(v)),
            Some(v) => Err(bad(name, &v, "an SQS queue URL (https://...)")),
        };
        let hours = self.number("THROTTLED_RETRY_HOURS", 1..=336)? as u64;
        Ok(QueueSettings {
            url: queue_url("WORK_QUEUE_URL")?,
            inline_max_items: self.number("INLINE_MAX_ITEMS", 1..=100_000)?,
            dead_letter_url: queue_url("WORK_DEAD_LETTER_QUEUE_URL")?,
            sweep_url: queue_url("SWEEP_QUEUE_URL")?,
            throttled_retry: Duration::from_secs(hours * 3600),
            ..d
        })
    }
}
