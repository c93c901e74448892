//! Scan results, tied in. Every scan the function starts (any trigger,
//! queued work included) gets a watch on the FIFO watch queue, one per
//! scan id (`queue::watch`); a batch from that queue is looked at message
//! by message: GetCodeSecurityScan through the gate and the executor, as
//! any request; a scan that ended (or a watch past `SCAN_WATCH_MAX_HOURS`)
//! is published once through the results adapter, a scan still running is
//! kept for the next look.

use super::admission::Asker;
use super::record::Record;
use super::{App, Batch};
use crate::domain::completion::{self, Next, Requested, Watch};
use crate::domain::error::{MAX_MESSAGE, bounded};
use crate::domain::gate::OwnQueue;
use crate::domain::gate::Through;
use crate::domain::{Action, Deadline, Error, GetScan, Outcome, PlannedCall, ScanStarted};
use crate::queue::QueuedMessage;
use crate::queue::later::unix_now;
use crate::queue::message as sqs;
use crate::results::Publisher;
use serde_json::{Value, json};
use std::time::Duration;

/// The scans an outcome started, as watches asked for by `requested`.
fn watches(outcome: &Outcome, requested: &Requested, report: bool) -> Vec<Watch> {
    let started: Vec<&ScanStarted> = match outcome {
        Outcome::ScanStarted(s) => vec![s],
        Outcome::Scans(items) => items
            .iter()
            .filter_map(|i| i.result.as_ref().ok())
            .collect(),
        _ => Vec::new(),
    };
    let now = unix_now();
    started
        .into_iter()
        .filter(|s| !s.scan_id.is_empty())
        .map(|s| {
            let mut requested = requested.clone();
            if s.repository.is_some() {
                requested.repository = s.repository.clone();
            }
            let target = requested.report.clone().filter(|_| report);
            Watch {
                scan_id: s.scan_id.clone(),
                project_id: s.project_id.clone(),
                started_at: now,
                requested: requested.bounded(),
                report: target,
            }
        })
        .collect()
}

impl App {
    /// Watches the scans `outcome` started. `Err` when the watch queue did
    /// not take them (non-HTTP callers fail, so the start, idempotent, and
    /// its watch are retried; SQS drops the duplicate watch).
    pub(super) async fn watch(
        &self,
        outcome: &Outcome,
        requested: &Requested,
        request_id: &str,
    ) -> Result<(), Error> {
        let Some(queue) = self.watches.as_ref() else {
            return Ok(());
        };
        let report = requested
            .report
            .as_ref()
            .is_some_and(|t| self.settings.report.to(&t.provider));
        let watches = watches(outcome, requested, report);
        if watches.is_empty() {
            return Ok(());
        }
        match queue.send(&watches).await {
            Ok(()) => {
                crate::telemetry::watches_sent(watches.len());
                tracing::info!(
                    request_id,
                    trigger = requested.trigger,
                    scans = watches.len(),
                    "watching"
                );
                Ok(())
            }
            Err(e) => {
                crate::telemetry::error(&e);
                tracing::error!(request_id, trigger = requested.trigger, scans = watches.len(), error_code = e.code(), error = %e, "watch not sent");
                Err(e)
            }
        }
    }

    /// How a queued message's work was asked for (its `requested`
    /// attribute), else `queue`.
    pub(super) fn requested_of(message: &QueuedMessage) -> Requested {
        message
            .requested
            .as_deref()
            .and_then(|r| serde_json::from_str::<Requested>(r).ok())
            .map_or_else(|| Requested::by("queue"), Requested::bounded)
    }

    /// A dry run's answer: the watch it would send and the event a scan it
    /// starts would end in (its shape; the values are placeholders).
    pub(super) fn planned_results(&self, calls: &[PlannedCall], requested: &Requested) -> Value {
        let r = &self.settings.results;
        if !r.enabled {
            return Value::Null;
        }
        let projects: Vec<&str> = calls
            .iter()
            .filter(|c| c.operation == "StartCodeSecurityScan")
            .filter_map(|c| {
                c.input
                    .pointer("/resource/projectId")
                    .and_then(Value::as_str)
            })
            .collect();
        let Some(project) = projects.first() else {
            return Value::Null;
        };
        let watch = Watch {
            scan_id: "<scanId>".to_string(),
            project_id: project.to_string(),
            started_at: unix_now(),
            requested: requested.clone(),
            report: requested.report.clone(),
        };
        let finished = crate::domain::ScanDetails {
            project_id: watch.project_id.clone(),
            scan_id: watch.scan_id.clone(),
            status: Some("SUCCESSFUL".to_string()),
            status_reason: None,
            created_at: None,
            updated_at: None,
            last_commit_id: requested.commit.clone(),
            findings: Some(completion::Findings::default()),
        };
        let detail = completion::detail(&watch, Ok(&finished), unix_now());
        let report = self.planned_report(calls, requested.report.as_ref());
        let mut planned = json!({
            "watches": projects.len(),
            "watch": {
                "queue": r.watch_queue_url.as_deref().unwrap_or("SCAN_WATCH_QUEUE_URL"),
                "messageGroupId": "<scanId>",
                "messageDeduplicationId": "<scanId>",
                "firstLookAfterSeconds": r.first_delay.as_secs(),
                "maxDelaySeconds": r.max_delay.as_secs(),
                "maxAgeSeconds": r.max_age.as_secs(),
                "body": watch,
            },
            "event": Publisher::entry(&r.event_bus, &r.event_source, &detail),
        });
        if !report.is_null() {
            planned["report"] = report;
        }
        planned
    }

    /// A batch from the watch queue: each watch looked at, up to
    /// `BATCH_CONCURRENCY` at once; the answer names those to look at again.
    pub(super) async fn consume_watches(&self, batch: &Batch<'_>) -> Value {
        let messages = &batch.messages;
        let again = sqs::handle_each(messages, self.settings.batch.concurrency, |i| {
            self.look(&messages[i], batch.request_id, batch.deadline)
        })
        .await;
        let (watching, response) = sqs::partial_response(messages, &again);
        Record {
            queue: Some(OwnQueue::Watch.name()),
            messages: Some(messages.len()),
            watching: Some(watching),
            ..Record::new(batch.request_id, "sqs", batch.started)
        }
        .write();
        response
    }

    /// One look at a watched scan: `true` to look again (the message is
    /// kept for the next delay), `false` when it is done.
    async fn look(&self, m: &QueuedMessage, request_id: &str, deadline: Deadline) -> bool {
        let message_id = m.message_id.as_str();
        let timing = self.settings.results.timing();
        // Validated like any input: a watch that does not parse or does not
        // hold (ids, startedAt, bounded values) was not written by the
        // function; it is deleted and logged, nothing looked at or published.
        let checked = serde_json::from_str::<Watch>(&m.body)
            .map_err(|e| bounded(&e.to_string(), MAX_MESSAGE))
            .and_then(|w| w.check(&timing, unix_now()).map(|()| w));
        let watch = match checked {
            Ok(w) => w,
            Err(why) => {
                crate::telemetry::error(&Error::invalid_field("watch", why.clone()));
                tracing::error!(
                    request_id,
                    message_id,
                    error = why,
                    "a bad watch: deleted, nothing published"
                );
                return false;
            }
        };
        // The findings action: the scan's status and, once it succeeded,
        // the findings the results event carries.
        let action = Action::GetCodeSecurityScanFindings(GetScan {
            project_id: watch.project_id.clone(),
            scan_id: watch.scan_id.clone(),
        });
        let asker = Asker {
            request_id,
            message_id: Some(message_id),
            ..Asker::default()
        };
        // The gate, as for any request; a refusal is for good (logged there).
        let Ok(permit) = self.decide(Through::Queue, action, &asker) else {
            return false;
        };
        let seen = match Box::pin(self.executor.execute(&permit, deadline)).await {
            Ok(Outcome::Findings(f)) => Ok(f.scan),
            Ok(_) => Err(Error::Internal {
                message: "the findings action answered with something else".to_string(),
            }),
            Err(e) => Err(e),
        };
        let now = unix_now();
        let age = now.saturating_sub(watch.started_at);
        let code = seen.as_ref().err().map(|e| e.code().to_string());
        let next = completion::decide(
            &watch,
            seen.as_ref()
                .map_err(|_| code.as_deref().unwrap_or_default()),
            &timing,
            m.receive_count,
            now,
        );
        let (scan_id, project_id) = (watch.scan_id.as_str(), watch.project_id.as_str());
        match next {
            Next::Again(delay) => {
                if let Err(e) = &seen {
                    crate::telemetry::error(e);
                }
                let status = seen.as_ref().ok().and_then(|d| d.status.as_deref());
                tracing::info!(
                    request_id,
                    message_id,
                    scan_id,
                    project_id,
                    status,
                    error_code = code.as_deref(),
                    age_seconds = age,
                    next_look_seconds = delay.as_secs(),
                    receive_count = m.receive_count,
                    "watch"
                );
                self.report_running(&watch, request_id, deadline).await;
                self.hold(m, delay, request_id).await;
                true
            }
            Next::Publish(detail) => {
                // The verdict on the commit first: a report that fails
                // comes back with the watch (until the grace after its end).
                let grace = timing.max_age.saturating_add(super::reports::REPORT_GRACE);
                if !self
                    .report_finished(&watch, &detail, request_id, deadline)
                    .await
                    && Duration::from_secs(age) < grace
                {
                    let delay = completion::next_delay(&timing, m.receive_count, Duration::ZERO);
                    self.hold(m, delay, request_id).await;
                    return true;
                }
                self.publish(m, &detail, age, request_id).await
            }
        }
    }

    /// Publishes a finished scan's event: `false` (done) once EventBridge
    /// took it; else `true`, to look again soon.
    async fn publish(&self, m: &QueuedMessage, detail: &Value, age: u64, request_id: &str) -> bool {
        let status = detail["status"].as_str().unwrap_or_default();
        let (scan_id, project_id) = (detail["scanId"].as_str(), detail["projectId"].as_str());
        let Some(publisher) = &self.publisher else {
            tracing::warn!(
                request_id,
                scan_id,
                status,
                "no results bus: nothing published"
            );
            return false;
        };
        match publisher.publish(detail).await {
            Ok(()) => {
                crate::telemetry::scan_finished(status, Duration::from_secs(age));
                tracing::info!(
                    request_id,
                    message_id = m.message_id,
                    scan_id,
                    project_id,
                    status,
                    age_seconds = age,
                    receive_count = m.receive_count,
                    "scan finished"
                );
                false
            }
            Err(e) => {
                crate::telemetry::error(&e);
                tracing::error!(request_id, message_id = m.message_id, scan_id, status, error_code = e.code(), error = %e, "results event not published");
                self.hold(m, self.settings.results.first_delay, request_id)
                    .await;
                true
            }
        }
    }

    /// Keeps a watch invisible for `delay`. Failing that, it comes back
    /// after the queue's visibility timeout: later, never lost.
    async fn hold(&self, m: &QueuedMessage, delay: Duration, request_id: &str) {
        let Some(queue) = &self.watches else { return };
        if let Err(e) = queue.hold(&m.receipt_handle, delay).await {
            tracing::warn!(request_id, message_id = m.message_id, error_code = e.code(), error = %e, "watch not held for its next look");
        }
    }
}
