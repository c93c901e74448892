//! Work left unfinished (throttled, unavailable, not reached before the
//! deadline) is not a failure: it comes back as new messages after a short,
//! jittered, growing delay, carrying its attempt, when it was first left
//! unfinished, and its sweep; the message it came from is deleted, so its
//! receives are kept for crashes, timeouts and poison messages. Past
//! `THROTTLED_RETRY_HOURS` it goes to the dead-letter queue instead.

use super::message::{self, QueuedMessage};
use super::send::Outgoing;
use crate::config::QueueSettings;
use crate::domain::Action;
use crate::domain::error::bounded;

/// The items of `action`, named for a log record (escaped, at most 2 KiB):
/// `scanConfigurationArn/projectId`, scan targets, or template ARNs.
pub fn items_named(action: &Action) -> String {
    bounded(&action.item_names().join(","), 2048)
}

/// Has work first left unfinished at `since` (Unix seconds) been
/// unfinished too long at `now`?
pub fn expired(settings: &QueueSettings, since: u64, now: u64) -> bool {
    now.saturating_sub(since) >= settings.throttled_retry.as_secs()
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The delay before work left unfinished for the `attempt`-th time comes
/// back: `retry_delay` doubled per attempt, at most `retry_delay_max`, less
/// a random part of up to half of it (so that messages throttled together
/// do not come back together). Whole seconds, at least one.
pub fn later_delay(settings: &QueueSettings, attempt: u32) -> u32 {
    let q = settings;
    let full = q
        .retry_delay
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(q.retry_delay_max)
        .as_secs_f64();
    let jitter = fastrand::f64();
    ((full * (1.0 - jitter / 2.0)).round() as u32).clamp(1, 900)
}

/// The messages that carry `bodies` (a message's unfinished work) back
/// later: the next attempt, when it was first left unfinished, its sweep.
pub fn later_messages(
    settings: &QueueSettings,
    m: &QueuedMessage,
    bodies: Vec<String>,
    since: u64,
    request_id: &str,
) -> Vec<Outgoing> {
    let attempt = m.attempt + 1;
    let sweep = m
        .sweep
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| request_id.to_string());
    bodies
        .into_iter()
        .map(|body| Outgoing {
            body,
            fifo: None,
            delay_seconds: later_delay(settings, attempt) as i32,
            attributes: [
                (message::ATTEMPT, attempt.to_string()),
                (message::UNFINISHED_SINCE, since.to_string()),
                (message::SWEEP, sweep.clone()),
                (message::REQUESTED, m.requested.clone().unwrap_or_default()),
            ]
            .into_iter()
            // SQS refuses an empty attribute value.
            .filter(|(_, v)| !v.is_empty())
            .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_delay_grows_is_jittered_and_capped() {
        let s = QueueSettings {
            retry_delay: Duration::from_secs(2),
            retry_delay_max: Duration::from_secs(60),
            ..QueueSettings::default()
        };
        for attempt in 1..=12 {
            let full = (2u64 << (attempt - 1)).min(60) as f64;
            let d = later_delay(&s, attempt) as f64;
            assert!(
                d <= full && d >= (full / 2.0).floor(),
                "attempt {attempt}: {d} of {full}"
            );
        }
        let spread: std::collections::BTreeSet<u32> = (0..50).map(|_| later_delay(&s, 6)).collect();
        assert!(spread.len() > 5, "jittered: {spread:?}");
    }

    #[test]
    fn unfinished_too_long_is_expired() {
        let s = QueueSettings::default();
        assert!(!expired(&s, 1_000, 1_000 + 23 * 3600));
        assert!(expired(&s, 1_000, 1_000 + 24 * 3600));
    }

    #[test]
    fn messages_carry_the_next_attempt_the_first_time_and_the_sweep() {
        let s = QueueSettings::default();
        let m = QueuedMessage {
            attempt: 2,
            sweep: Some("sweep-1".into()),
            ..QueuedMessage::default()
        };
        let out = later_messages(&s, &m, vec!["{}".into()], 77, "req");
        assert_eq!(
            out[0].attributes,
            [
                (message::ATTEMPT, "3".to_string()),
                (message::UNFINISHED_SINCE, "77".to_string()),
                (message::SWEEP, "sweep-1".to_string()),
            ]
        );
        assert!(out[0].delay_seconds >= 1);
    }
}
