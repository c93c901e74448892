//! The one log record every invocation ends with (`"invocation"`): each
//! path fills in the fields it knows, and the record is written here alone,
//! with one list of fields and one rule for its level. Every value is
//! bounded; no body, header or credential is ever a field.

use crate::domain::error::bounded;
use crate::domain::{Error, Outcome};
use crate::ingress::Attribution;
use crate::ingress::answer::ErrorAnswer;
use std::time::Instant;

#[derive(Debug, Default)]
pub(super) struct Record<'a> {
    pub request_id: &'a str,
    /// `http-v2`, `http-v1` (`ingress::Trigger::kind`), `eventbridge`,
    /// `direct`, `webhook`, `sqs`, `unknown`.
    pub trigger: &'a str,
    /// `sqs`: which of the function's queues (`work`, `sweep`, `watch`).
    pub queue: Option<&'a str>,
    /// `webhook`: the sender, its event and delivery id.
    pub provider: Option<&'a str>,
    pub event: Option<&'a str>,
    pub delivery_id: Option<&'a str>,
    /// The operation asked for, and what it was asked of.
    pub action: Option<&'a str>,
    pub resource: Option<String>,
    /// Who asked, as the trigger tells it.
    pub who: Attribution,
    /// `completed`, `planned`, `skipped`, `ignored`, `received`, `queued`
    /// (a sweep), `failed`, `rejected`.
    pub outcome: Option<&'a str>,
    pub reason: Option<String>,
    pub repository: Option<String>,
    pub git_ref: Option<String>,
    pub failed_items: Option<usize>,
    /// `sqs`: the batch's messages, and what became of them.
    pub messages: Option<usize>,
    pub retried: Option<usize>,
    pub rejected: Option<usize>,
    pub later_items: Option<usize>,
    pub watching: Option<usize>,
    /// A sweep by selector: its key; projects selected (their work sent to
    /// the sweep queue), messages that carried them, items finished.
    pub sweep: Option<String>,
    pub selected: Option<usize>,
    pub queued: Option<usize>,
    pub finished_items: Option<usize>,
    pub error_code: Option<&'a str>,
    pub retryable: Option<bool>,
    pub error: Option<String>,
    pub latency_ms: u64,
}

impl<'a> Record<'a> {
    /// A record of `trigger`, timed from `started` to now.
    pub fn new(request_id: &'a str, trigger: &'a str, started: Instant) -> Self {
        Record {
            request_id,
            trigger,
            latency_ms: started.elapsed().as_millis() as u64,
            ..Record::default()
        }
    }

    /// What came of the work: its outcome, or its error.
    pub fn result(self, result: &'a Result<Outcome, Error>) -> Self {
        match result {
            Ok(o) => self.outcome(o),
            Err(e) => self.error(e),
        }
    }

    /// A finished outcome: a skip names its reason; anything else counts its
    /// failed items.
    pub fn outcome(mut self, o: &Outcome) -> Self {
        let failed = o.failed_items();
        self.outcome = Some(match o {
            Outcome::DryRun(_) => "planned",
            Outcome::Skipped(_) => "skipped",
            _ if failed > 0 => "failed",
            _ => "completed",
        });
        match o {
            Outcome::Skipped(s) => {
                self.reason = Some(bounded(&s.reason, 256));
                self.repository = s.repository.as_deref().map(|r| bounded(r, 256));
                self.git_ref = s.git_ref.as_deref().map(|r| bounded(r, 128));
            }
            _ => self.failed_items = Some(failed),
        }
        self
    }

    /// An error: `failed` (retryable, or the function's fault) or
    /// `rejected` (the request's).
    pub fn error(mut self, e: &'a Error) -> Self {
        self.error_code = Some(e.code());
        self.error = Some(bounded(&e.to_string(), 1024));
        if e.retryable() || e.http_status() >= 500 {
            self.outcome = Some("failed");
            self.retryable = Some(e.retryable());
        } else {
            self.outcome = Some("rejected");
        }
        self
    }

    /// Written at error for a failure with an error, warn for a refusal,
    /// info otherwise (a fan-out with failed items included: each item's
    /// error is in the answer, and counted).
    pub fn write(self) {
        macro_rules! write_at {
            ($level:ident) => {
                tracing::$level!(
                    request_id = self.request_id,
                    trigger = self.trigger,
                    queue = self.queue,
                    provider = self.provider,
                    event = self.event,
                    delivery_id = self.delivery_id,
                    action = self.action,
                    resource = self.resource,
                    caller = self.who.caller,
                    api_request_id = self.who.api_request_id,
                    source_ip = self.who.source_ip,
                    event_source = self.who.event_source,
                    event_account = self.who.event_account,
                    event_id = self.who.event_id,
                    outcome = self.outcome,
                    reason = self.reason,
                    repository = self.repository,
                    git_ref = self.git_ref,
                    failed_items = self.failed_items,
                    messages = self.messages,
                    retried = self.retried,
                    rejected = self.rejected,
                    later_items = self.later_items,
                    watching = self.watching,
                    sweep = self.sweep,
                    selected = self.selected,
                    queued = self.queued,
                    finished_items = self.finished_items,
                    error_code = self.error_code,
                    retryable = self.retryable,
                    error = self.error,
                    latency_ms = self.latency_ms,
                    "invocation"
                )
            };
        }
        match (self.outcome, self.error_code) {
            (Some("failed"), Some(_)) => write_at!(error),
            (Some("rejected"), _) => write_at!(warn),
            _ => write_at!(info),
        }
    }
}
