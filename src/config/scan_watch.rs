//! Scan results: whether every scan the function starts is watched until
//! it ends, where the watches wait, and where the one event per scan goes.

use super::ConfigError;
use super::{Env, bad};
use crate::domain::completion::Timing;
use std::time::Duration;

/// `SCAN_RESULTS` and the watch's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultsSettings {
    /// `SCAN_RESULTS`: `events` (watch every scan started and publish one
    /// event when it ends) or `off`. Watches are sent only when there is a
    /// watch queue (`SCAN_WATCH_QUEUE_URL`).
    pub enabled: bool,
    /// `SCAN_WATCH_QUEUE_URL`: the FIFO queue watches wait in.
    pub watch_queue_url: Option<String>,
    /// The only other queue SQS batches are accepted from (watches). Not
    /// read from the environment: the ARN behind `SCAN_WATCH_QUEUE_URL` is
    /// derived from it (`domain::gate::queue_arn`); tests set it.
    pub watch_queue_arn: Option<String>,
    /// `RESULTS_EVENT_BUS`: the bus results events go to (name or ARN).
    pub event_bus: String,
    /// `RESULTS_EVENT_SOURCE`: their `source`; never `aws.*`, and never one
    /// of `COMMAND_SOURCES` or `PUSH_SOURCES` (`Settings::check` refuses it:
    /// no loops).
    pub event_source: String,
    /// `SCAN_WATCH_FIRST_DELAY_SECONDS` (the first look, then doubling to
    /// `max_delay`) and `SCAN_WATCH_MAX_HOURS` (after which a scan still
    /// running is `TIMED_OUT`). Durations, so tests can use seconds.
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub max_age: Duration,
}

impl ResultsSettings {
    pub fn timing(&self) -> Timing {
        Timing {
            first_delay: self.first_delay,
            max_delay: self.max_delay,
            max_age: self.max_age,
        }
    }

    /// Are watches sent? `events` and a watch queue.
    pub fn watching(&self) -> bool {
        self.enabled && self.watch_queue_url.is_some()
    }
}

/// The default `source` of results events.
pub const DEFAULT_SOURCE: &str = "inspector-scan-router";

impl Default for ResultsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            watch_queue_url: None,
            watch_queue_arn: None,
            event_bus: "default".to_string(),
            event_source: DEFAULT_SOURCE.to_string(),
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(900),
            max_age: Duration::from_secs(6 * 3600),
        }
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub(super) fn results(&self) -> Result<ResultsSettings, ConfigError> {
        let d = ResultsSettings::default();
        let get = |name: &str| self.get(name);
        let enabled = match get("SCAN_RESULTS").as_deref() {
            Some("events") => true,
            Some("off") => false,
            other => {
                return Err(bad(
                    "SCAN_RESULTS",
                    other.unwrap_or_default(),
                    "events or off",
                ));
            }
        };
        let watch_queue_url = match get("SCAN_WATCH_QUEUE_URL") {
            Some(v) if !(v.starts_with("https://") || v.starts_with("http://")) => {
                return Err(bad(
                    "SCAN_WATCH_QUEUE_URL",
                    &v,
                    "an SQS queue URL (https://...)",
                ));
            }
            v => v,
        };
        let source = get("RESULTS_EVENT_SOURCE").unwrap_or_default();
        if source.starts_with("aws.") || source.len() > 256 {
            return Err(bad(
                "RESULTS_EVENT_SOURCE",
                &source,
                "a source of at most 256 characters, not starting with aws.",
            ));
        }
        let first = self.number("SCAN_WATCH_FIRST_DELAY_SECONDS", 1..=900)? as u64;
        let hours = self.number("SCAN_WATCH_MAX_HOURS", 1..=24)? as u64;
        Ok(ResultsSettings {
            enabled,
            watch_queue_url,
            event_bus: get("RESULTS_EVENT_BUS").unwrap_or_default(),
            event_source: source,
            first_delay: Duration::from_secs(first),
            max_age: Duration::from_secs(hours * 3600),
            ..d
        })
    }
}
