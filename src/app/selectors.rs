//! Sweeps by selector, tied in. A trigger's sweep (already through the
//! gate: scope, switch, allow-list) is sent whole to the sweep queue and
//! answered at once with its key; nothing is listed on the caller's time.
//! A sweep's message from the sweep queue is expanded: its projects are
//! read page by page (each listing call paced like any other) and each
//! page's work is sent to the sweep queue as it is read, so no invocation
//! holds more than a page. What the deadline cuts off goes on in a new
//! message from the page token it reached.

use super::record::Record;
use super::work::Verdict;
use super::{App, Tally};
use crate::domain::error::bounded;
use crate::domain::sweep::Sweep;
use crate::domain::{Action, Deadline, Error, Permitted};
use crate::ingress::Trigger;
use crate::ingress::encode::{HttpAnswer, envelope, http_error};
use crate::queue::bodies as work;
use crate::queue::fifo;
use crate::queue::message::QueuedMessage;
use serde_json::{Value, json};
use std::time::Instant;

/// The sweep a permit holds.
fn sweep_of(permit: &Permitted) -> Result<&Sweep, Error> {
    match permit.action() {
        Action::Sweep(s) => Ok(s),
        other => Err(Error::Internal {
            message: format!("{} is not a sweep", other.operation().name()),
        }),
    }
}

impl App {
    /// A sweep asked for by a trigger: sent to the sweep queue and answered
    /// at once (HTTP `202`) with the sweep's key: the caller's own key,
    /// else the event's id, else the invocation's.
    pub(super) async fn start_sweep(
        &self,
        trigger: &Trigger,
        permit: &Permitted,
        request_id: &str,
        started: Instant,
    ) -> Result<Value, Error> {
        let sweep = sweep_of(permit)?;
        let key = sweep
            .key
            .clone()
            .or_else(|| trigger.attribution().event_id)
            .unwrap_or_else(|| request_id.to_string());
        // A scan sweep over HTTP without a key: its tokens derive from the
        // invocation's id (another request is another sweep).
        let sweep = sweep.keyed(request_id);
        let requested = crate::ingress::requested::requested(trigger);
        let requested = serde_json::to_string(&requested).unwrap_or_default();
        let sent = match &self.sweeps {
            Some(queue) => {
                // Two callers who happen to send the same key each get
                // their sweep (their work, if the same, is sent once).
                let caller = trigger.attribution();
                let caller = caller
                    .caller
                    .or(caller
                        .event_source
                        .zip(caller.event_account)
                        .map(|(s, a)| format!("{a}:{s}")))
                    .unwrap_or_default();
                let page = fifo::page(&key, &caller, sweep.body().to_string(), &requested);
                queue
                    .send_to(queue.url(), &[page])
                    .await
                    .map_err(|u| u.error)
            }
            None => Err(Error::invalid_field(
                "select",
                "sweeps by selector need the sweep queue (SWEEP_QUEUE_URL), which this deployment does not have",
            )),
        };
        let op = sweep.operation().name();
        let record = Record {
            action: Some(op),
            resource: Some(bounded(&sweep.describe(), 256)),
            who: trigger.attribution(),
            sweep: Some(bounded(&key, 256)),
            ..Record::new(request_id, trigger.kind(), started)
        };
        match &sent {
            Ok(()) => Record {
                outcome: Some("queued"),
                ..record
            }
            .write(),
            Err(e) => {
                crate::telemetry::error(e);
                record.error(e).write();
            }
        }
        if let Err(e) = sent {
            return match trigger {
                // HTTP always gets an HTTP answer (a 400 without the sweep
                // queue, a retryable 5xx when SQS did not take it).
                Trigger::Http(req) => Ok(envelope(req.flavor, http_error(&e))),
                _ => Err(e),
            };
        }
        tracing::info!(request_id, sweep = %bounded(&key, 256), action = op, "sweep queued");
        let body = json!({
            "sweep": key,
            "action": op,
            "select": sweep.select.to_json(),
        });
        Ok(match trigger {
            Trigger::Http(req) => envelope(
                req.flavor,
                HttpAnswer {
                    status: 202,
                    headers: Vec::new(),
                    body,
                },
            ),
            _ => {
                let mut answer = body;
                answer["trigger"] = trigger.kind().into();
                answer
            }
        })
    }

    /// A sweep's message from the sweep queue: pages read from its
    /// `nextToken` on and each page's work sent to the sweep queue, until
    /// the last page or the deadline (then the rest goes on in a new
    /// message from the page reached).
    pub(super) async fn expand(
        &self,
        permit: Permitted,
        message: &QueuedMessage,
        request_id: &str,
        deadline: Deadline,
    ) -> (Verdict, Tally) {
        let key = message
            .sweep
            .clone()
            .unwrap_or_else(|| message.message_id.clone());
        let requested = message.requested.clone().unwrap_or_default();
        let message_id = message.message_id.as_str();
        let mut tally = Tally::default();
        let (mut pages, mut listed) = (0usize, 0usize);
        let mut permit = permit;
        let Some(queue) = &self.sweeps else {
            tracing::error!(
                request_id,
                message_id,
                "a sweep arrived but SWEEP_QUEUE_URL is not set"
            );
            return (Verdict::Retry, tally);
        };
        let (verdict, done, error) = loop {
            let sweep = match sweep_of(&permit) {
                Ok(s) => s.clone(),
                Err(e) => break (Verdict::Done, false, Some(e)),
            };
            let page = match Box::pin(self.executor.select(&permit, deadline)).await {
                Ok(page) => page,
                // Cut off (throttled past the deadline, unavailable, not
                // attempted): what was read stands, the rest goes on.
                Err(e) if e.retryable() && pages > 0 => {
                    let rest = fifo::page(&key, "", sweep.body().to_string(), &requested);
                    match queue.send_to(queue.url(), &[rest]).await {
                        Ok(()) => break (Verdict::Done, false, Some(e)),
                        Err(u) => break (Verdict::Retry, false, Some(u.error)),
                    }
                }
                Err(e) if e.retryable() => break (Verdict::Retry, false, Some(e)),
                Err(e) => break (Verdict::Done, false, Some(e)),
            };
            pages += 1;
            listed += page.projects.len();
            if let Some(action) = Action::of_page(&sweep, &page) {
                let outgoing = match work::messages(&action) {
                    Ok(bodies) => bodies
                        .into_iter()
                        .map(|b| fifo::work(&key, b, &requested))
                        .collect::<Vec<_>>(),
                    Err(e) => break (Verdict::Done, false, Some(e)),
                };
                // Not all sent: the message comes back whole; what was
                // sent is dropped by SQS as a duplicate.
                if let Err(u) = queue.send_to(queue.url(), &outgoing).await {
                    break (Verdict::Retry, false, Some(u.error));
                }
                tally.selected += action.items();
                tally.queued += outgoing.len();
            }
            let Some(next) = page.next_token else {
                break (Verdict::Done, true, None);
            };
            let next = Action::Sweep(sweep.from_page(Some(next)));
            permit = match self.permit_message(next, request_id, message_id) {
                Ok(p) => p,
                Err(e) => break (Verdict::Done, false, Some(e)),
            };
        };
        crate::telemetry::sweep(tally.selected, pages);
        let outcome = match (&verdict, done, &error) {
            (_, true, _) => "finished",
            (Verdict::Done, false, Some(e)) if e.retryable() => "continued",
            (Verdict::Retry, _, _) => "retry",
            _ => "failed",
        };
        // A listing cut by the deadline is how a long sweep goes on, not a fault.
        if let Some(e) = error.as_ref().filter(|_| outcome != "continued") {
            crate::telemetry::error(e);
        }
        let sweep = bounded(&key, 256);
        let (code, error) = match &error {
            Some(e) => (Some(e.code()), Some(bounded(&e.to_string(), 1024))),
            None => (None, None),
        };
        let (selected, queued_messages) = (tally.selected, tally.queued);
        macro_rules! line {
            ($level:ident) => {
                tracing::$level!(
                    request_id,
                    message_id,
                    sweep,
                    pages,
                    listed,
                    selected,
                    queued_messages,
                    outcome,
                    error_code = code,
                    error,
                    "sweep"
                )
            };
        }
        if outcome == "failed" {
            line!(error);
        } else {
            line!(info);
        }
        (verdict, tally)
    }
}
