//! The work queue, tied in. A non-HTTP fan-out of more than
//! `INLINE_MAX_ITEMS` items is queued whole; the items an inline run leaves
//! unfinished are queued; a batch from the queue is done message by
//! message. Without a queue, unfinished items fail the invocation with
//! `PartialFailure`: a fan-out never ends as a success that drops them.

use super::record::Record;
use super::{App, Batch, Tally};
use crate::config::Settings;
use crate::domain::gate::OwnQueue;
use crate::domain::{Action, Deadline, Error, FanOutItem, Outcome, Permitted};
use crate::ingress::Trigger;
use crate::ingress::answer::OutcomeAnswer;
use crate::ingress::encode::summary;
use crate::queue::bodies as work;
use crate::queue::later::{expired, later_messages, unix_now};
use crate::queue::message::{self as sqs, QueuedMessage};
use crate::queue::{Outgoing, Rest, Split, Unsent, WorkQueue};
use serde_json::Value;

/// The work queue's client, with the function's limits.
pub(super) fn queue(sdk: &aws_config::SdkConfig, url: &str, settings: &Settings) -> WorkQueue {
    WorkQueue::new(sdk, url)
        .with_concurrency(settings.batch.concurrency)
        .with_dead_letter(settings.queue.dead_letter_url.clone())
}

/// What came of one message of a batch.
pub(super) enum Verdict {
    /// Finished (every item succeeded or failed for good): deleted.
    Done,
    /// Nothing finished, and something may later: delivered again.
    Retry,
    /// Not a valid request: delivered again until it is dead-lettered.
    Rejected,
    /// These items did not finish (throttled, unavailable, not reached
    /// before the deadline): sent again as new messages that come back
    /// after a growing delay, and the message itself is done, so its
    /// finished items are not sent again and its receives are not used up.
    Later(Action),
}

impl App {
    /// Runs `action`, or (a fan-out too large to run inline, with a queue:
    /// `INLINE_MAX_ITEMS`, for HTTP the fixed 100) leaves all of it
    /// to the queue. HTTP is otherwise never split.
    pub(super) async fn execute(
        &self,
        trigger: &Trigger,
        permit: &Permitted,
        deadline: Deadline,
    ) -> Result<Split, Error> {
        let action = permit.action();
        let http = matches!(trigger, Trigger::Http(_));
        let inline_max = match http {
            true => self.settings.queue.http_inline_max_items,
            false => self.settings.queue.inline_max_items,
        };
        if self.queue.is_some()
            && action.items() > inline_max
            && let Some(split) = Split::deferred(action)
        {
            return Ok(split);
        }
        // Boxed, as in consume_one: the SDK's futures nest deep, and
        // unboxed the binary's main future exceeds the compiler's query depth.
        let outcome = Box::pin(self.executor.execute(permit, deadline)).await?;
        Ok(if http {
            Split {
                finished: outcome,
                rest: None,
            }
        } else {
            Split::of(action, outcome)
        })
    }

    /// The answer to a non-HTTP caller: what finished, and what was queued
    /// (`queued` items in `messages`). Unfinished items with no queue, or
    /// items of a scan or run fan-out that failed for good, fail the
    /// invocation, so that it is retried (starts are idempotent) and, in
    /// the end, kept in the on-failure destination.
    pub(super) async fn settle(
        &self,
        trigger: &Trigger,
        action: &Action,
        outcome: Outcome,
        rest: Option<Rest>,
        request_id: &str,
    ) -> Result<Value, Error> {
        let mut answer = summary(trigger, action.operation(), &outcome);
        let mut queued = 0;
        if let Some(rest) = rest {
            queued = rest.action.items();
            let Some(queue) = &self.queue else {
                return Err(Error::PartialFailure {
                    message: format!(
                        "{queued} of {} items unfinished (they may succeed if sent again)",
                        action.items()
                    ),
                    retryable: true,
                    results: rest.results.to_json(),
                });
            };
            let bodies = work::messages(&rest.action)?;
            let sweep = trigger.attribution().event_id;
            let requested = crate::ingress::requested::requested(trigger);
            let requested = serde_json::to_string(&requested).unwrap_or_default();
            self.send(
                queue,
                &bodies,
                queued,
                request_id,
                sweep.as_deref(),
                &requested,
            )
            .await
            .map_err(|unsent| {
                tracing::error!(
                    request_id,
                    unsent = unsent.indices.len(),
                    messages = bodies.len(),
                    error_code = unsent.error.code(),
                    "work queue did not accept every message; failing the invocation"
                );
                unsent.error
            })?;
            answer["queued"] = queued.into();
            answer["messages"] = bodies.len().into();
        }
        match outcome.fan_out_failures() {
            Some((failed, total, retryable)) if failed > 0 => Err(Error::PartialFailure {
                message: if queued > 0 {
                    format!("{failed} of {total} items failed; {queued} more queued")
                } else {
                    format!("{failed} of {total} items failed")
                },
                retryable,
                results: answer["result"].clone(),
            }),
            _ => Ok(answer),
        }
    }

    /// Sends `bodies` (`items` items) to the queue; logs and counts them.
    async fn send(
        &self,
        queue: &WorkQueue,
        bodies: &[String],
        items: usize,
        request_id: &str,
        sweep: Option<&str>,
        requested: &str,
    ) -> Result<(), Unsent> {
        // The sweep's key: what every log line of its messages carries.
        let sweep = sweep.unwrap_or(request_id);
        let outgoing: Vec<Outgoing> = bodies
            .iter()
            .map(|body| Outgoing {
                body: body.clone(),
                delay_seconds: 0,
                fifo: None,
                attributes: sqs::work_attributes(sweep, requested),
            })
            .collect();
        queue.send_to(queue.url(), &outgoing).await?;
        crate::telemetry::queued(items, bodies.len());
        tracing::info!(request_id, sweep, items, messages = bodies.len(), "queued");
        Ok(())
    }

    /// A batch from the work queue: each message routed and run on its own,
    /// up to `BATCH_CONCURRENCY` at once; the answer names the messages to
    /// deliver again.
    pub(super) async fn consume(&self, batch: &Batch<'_>, own: OwnQueue) -> Value {
        let (messages, request_id) = (&batch.messages, batch.request_id);
        let results: Vec<(Verdict, Tally)> =
            sqs::handle_each(messages, self.settings.batch.concurrency, |i| {
                self.consume_one(&messages[i], request_id, batch.deadline)
            })
            .await;
        let mut total = Tally::default();
        let verdicts: Vec<Verdict> = results
            .into_iter()
            .map(|(v, t)| {
                total.selected += t.selected;
                total.queued += t.queued;
                total.finished += t.finished;
                v
            })
            .collect();
        let mut again = vec![false; messages.len()];
        let (mut later, mut dead, mut rejected, mut items) = (Vec::new(), Vec::new(), 0, 0);
        let mut owners: (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
        let now = unix_now();
        for (i, verdict) in verdicts.into_iter().enumerate() {
            match verdict {
                Verdict::Done => {}
                Verdict::Retry => again[i] = true,
                Verdict::Rejected => {
                    again[i] = true;
                    rejected += 1;
                }
                Verdict::Later(rest) => match work::messages(&rest) {
                    Ok(bodies) => {
                        let m = &messages[i];
                        let since = m.unfinished_since.unwrap_or(now);
                        let expired = expired(&self.settings.queue, since, now);
                        let outgoing =
                            later_messages(&self.settings.queue, m, bodies, since, request_id);
                        if expired
                            && self
                                .queue
                                .as_ref()
                                .is_some_and(|q| q.dead_letter_url().is_some())
                        {
                            tracing::error!(
                                request_id,
                                message_id = m.message_id,
                                sweep = m.sweep.as_deref(),
                                attempt = m.attempt,
                                unfinished_since = since,
                                item_count = rest.items(),
                                items = crate::queue::later::items_named(&rest),
                                "unfinished past THROTTLED_RETRY_HOURS; dead-lettered"
                            );
                            owners.1.extend(std::iter::repeat_n(i, outgoing.len()));
                            // Kept as they are, at once, for an operator to read.
                            dead.extend(outgoing.into_iter().map(|o| Outgoing {
                                delay_seconds: 0,
                                ..o
                            }));
                        } else if expired {
                            again[i] = true;
                        } else {
                            items += rest.items();
                            owners.0.extend(std::iter::repeat_n(i, outgoing.len()));
                            later.extend(outgoing);
                        }
                    }
                    Err(e) => {
                        tracing::error!(request_id, message_id = messages[i].message_id, error = %e, "could not write the unfinished items as messages");
                        again[i] = true;
                    }
                },
            }
        }
        // A message whose unfinished items were not all sent is delivered
        // again whole: its finished items are sent twice, but nothing is lost.
        for (outgoing, owners, dead_letter) in [(later, owners.0, false), (dead, owners.1, true)] {
            if outgoing.is_empty() {
                continue;
            }
            let unsent = match &self.queue {
                Some(queue) => {
                    let url = if dead_letter {
                        queue.dead_letter_url().unwrap_or(queue.url())
                    } else {
                        queue.url()
                    };
                    match queue.send_to(url, &outgoing).await {
                        Ok(()) if dead_letter => {
                            crate::telemetry::dead_lettered(outgoing.len());
                            Vec::new()
                        }
                        Ok(()) => {
                            crate::telemetry::queued(items, outgoing.len());
                            Vec::new()
                        }
                        Err(unsent) => unsent.indices,
                    }
                }
                None => (0..outgoing.len()).collect(),
            };
            for i in unsent {
                again[owners[i]] = true;
            }
        }
        let (retried, response) = sqs::partial_response(messages, &again);
        crate::telemetry::batch(retried, rejected);
        Record {
            messages: Some(messages.len()),
            retried: Some(retried),
            rejected: Some(rejected),
            later_items: Some(items),
            selected: (total.selected > 0).then_some(total.selected),
            queued: (total.queued > 0).then_some(total.queued),
            finished_items: Some(total.finished),
            queue: Some(own.name()),
            ..Record::new(request_id, "sqs", batch.started)
        }
        .write();
        response
    }

    async fn consume_one(
        &self,
        message: &QueuedMessage,
        request_id: &str,
        deadline: Deadline,
    ) -> (Verdict, Tally) {
        let (message_id, receive_count) = (message.message_id.as_str(), message.receive_count);
        let action = match sqs::route(message, &self.settings.limits) {
            Ok(action) => action,
            Err(e) => {
                crate::telemetry::error(&e);
                tracing::warn!(request_id, message_id, sweep = message.sweep.as_deref(), receive_count, outcome = sqs::REJECTED, error_code = e.code(), error = %e, "message");
                return (Verdict::Rejected, Tally::default());
            }
        };
        // The gate, as for any request; a refusal is for good: deleted, logged there.
        let Ok(permit) = self.permit_message(action, request_id, message_id) else {
            return (Verdict::Done, Tally::default());
        };
        if permit.action().is_sweep() {
            return Box::pin(self.expand(permit, message, request_id, deadline)).await;
        }
        let action = permit.action();
        let (op, resource) = (action.operation().name(), action.describe());
        let Split { finished, rest } = match Box::pin(self.executor.execute(&permit, deadline))
            .await
        {
            Ok(outcome) => Split::of(action, outcome),
            Err(e) => {
                crate::telemetry::error(&e);
                // A single start that may pass later comes back later, like
                // a fan-out's unfinished items: its receives are not used up.
                if let Some(split) = Split::later(action, &e) {
                    split
                } else {
                    let retry = e.retryable();
                    let outcome = if retry { sqs::RETRY } else { sqs::FAILED };
                    tracing::warn!(request_id, message_id, sweep = message.sweep.as_deref(), receive_count, action = op, resource, outcome, error_code = e.code(), error = %e, "message");
                    let verdict = if retry { Verdict::Retry } else { Verdict::Done };
                    return (verdict, Tally::default());
                }
            }
        };
        // Its scans are watched; a watch not sent sends the message again
        // (its starts are idempotent, and SQS drops a second watch).
        let requested = Self::requested_of(message);
        if self.watch(&finished, &requested, request_id).await.is_err() {
            return (Verdict::Retry, Tally::default());
        }
        log_failed_items(request_id, message_id, &finished);
        let failed_items = finished.failed_items();
        let finished = Ok(finished);
        crate::telemetry::outcome(&finished);
        let unfinished = rest.as_ref().map_or(0, |r| r.action.items());
        let finished_items = action.items().saturating_sub(unfinished);
        let (verdict, outcome) = match rest {
            None => (Verdict::Done, sqs::COMPLETED),
            Some(r) => (Verdict::Later(r.action), sqs::LATER),
        };
        tracing::info!(
            request_id,
            message_id,
            sweep = message.sweep.as_deref(),
            attempt = message.attempt,
            receive_count,
            action = op,
            resource,
            outcome,
            failed_items,
            finished_items,
            unfinished,
            "message"
        );
        let tally = Tally {
            finished: finished_items,
            ..Tally::default()
        };
        (verdict, tally)
    }
}

/// Items that failed for good, one warning each (identifiers and codes;
/// never a body).
fn log_failed_items(request_id: &str, message_id: &str, outcome: &Outcome) {
    fn fan_out<T>(request_id: &str, message_id: &str, items: &[FanOutItem<T>]) {
        for item in items {
            if let Err(e) = &item.result {
                tracing::warn!(
                    request_id,
                    message_id,
                    field = item.key.0,
                    value = item.key.1,
                    error_code = e.code(),
                    "item failed"
                );
            }
        }
    }
    match outcome {
        Outcome::Configured(c) => {
            for f in &c.batch.failed_associations {
                tracing::warn!(
                    request_id,
                    message_id,
                    scan_configuration_arn = f.scan_configuration_arn,
                    project_id = f.resource.project_id,
                    status_code = f.status_code,
                    "item failed"
                );
            }
        }
        Outcome::Scans(items) => fan_out(request_id, message_id, items),
        Outcome::Runs(items) => fan_out(request_id, message_id, items),
        _ => {}
    }
}
