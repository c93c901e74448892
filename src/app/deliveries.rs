//! A webhook delivery, in this order: a slot of the webhooks' own share
//! (4 at once, fixed; else 503 at once); method; body size (before any
//! signature work); the signature header's presence and shape (before any
//! secret is read); the provider's secret (fetched at the first webhook);
//! the signature; the event; the gate; for a push, the scan, through the same
//! executor as every other trigger; the answer. One log line per delivery,
//! with the event and delivery id once the delivery is verified; before
//! that nothing of the request is logged.

use super::App;
use super::record::Record;
use crate::config::WEBHOOK_ANSWER_WITHIN;
use crate::domain::completion::Requested;
use crate::domain::error::{MAX_SHOWN, bounded};
use crate::domain::gate::Through;
use crate::domain::{Action, Deadline, Error, Outcome, Provider};
use crate::ingress::encode::{HttpAnswer, envelope, http_error, http_success};
use crate::ingress::http::HttpRequest;
use crate::ingress::webhook::{self, Asks, Delivery, WEBHOOK_ROUTES};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

impl App {
    /// Answers a request to a webhook route: always an HTTP response.
    pub(super) async fn webhook(
        &self,
        req: &HttpRequest,
        provider: Provider,
        request_id: &str,
        started: Instant,
        lambda: Deadline,
    ) -> Value {
        // The webhooks' own share of the function: a flood of deliveries
        // (signed or not) waits for no secret and holds no more than this.
        let Some(_slot) = Slot::take(&self.webhook_slots, self.settings.webhooks.concurrency)
        else {
            Record {
                provider: Some(provider.key()),
                outcome: Some("rejected"),
                error_code: Some(BUSY),
                ..Record::new(request_id, "webhook", started)
            }
            .write();
            let body = serde_json::json!({"error": {"code": BUSY, "retryable": true,
                "message": "too many webhook deliveries in flight; retry later"}});
            let answer = HttpAnswer {
                status: 503,
                headers: vec![("retry-after", "1".to_string())],
                body,
            };
            return envelope(req.flavor, answer);
        };
        let delivery = match self.verified(req, provider).await {
            Ok(d) => d,
            Err(e) => {
                crate::telemetry::error(&e);
                rejected(request_id, provider, &e, started);
                return envelope(req.flavor, http_error(&e));
            }
        };
        let action = match &delivery.asks {
            Asks::Run(action) => action,
            Asks::Ping | Asks::Ignored(_) => {
                acknowledged(request_id, &delivery, started);
                let answer = webhook::acknowledged(&delivery).expect("a ping or an ignored event");
                return envelope(req.flavor, answer);
            }
        };
        // The gate, as for every other trigger.
        let asker = super::admission::Asker {
            request_id,
            caller: Some(provider.key()),
            ..Default::default()
        };
        let permit = match self.decide(Through::Webhook, action.clone(), &asker) {
            Ok(permit) => permit,
            Err(e) => return envelope(req.flavor, http_error(&e)),
        };
        let deadline = self.webhook_deadline(started, lambda);
        let result = self.executor.execute(&permit, deadline).await;
        let result = webhook::push_result(result, action);
        crate::telemetry::outcome(&result);
        ran(request_id, &delivery, action, &result, started);
        if let Ok(outcome) = &result {
            let requested = Requested {
                trigger: "webhook".to_string(),
                caller: Some(provider.key().to_string()),
                event_id: delivery.id.clone(),
                report: delivery.target.clone(),
                ..Requested::default()
            };
            // The sender has its answer either way; a watch not sent is logged.
            let _ = self.watch(outcome, &requested, request_id).await;
        }
        match result {
            Ok(outcome) => envelope(req.flavor, http_success(req, &outcome)),
            Err(e) => envelope(req.flavor, webhook::failed(&e)),
        }
    }

    async fn verified(&self, req: &HttpRequest, provider: Provider) -> Result<Delivery, Error> {
        if req.method != "POST" {
            return Err(Error::MethodNotAllowed {
                method: bounded(&req.method, MAX_SHOWN),
                allow: vec!["POST"],
            });
        }
        let no_route = || Error::NotFound {
            path: WEBHOOK_ROUTES
                .iter()
                .find(|(_, p)| *p == provider)
                .map_or("/webhooks", |(path, _)| path)
                .to_string(),
        };
        if !self.webhook_secrets.enabled() {
            return Err(no_route());
        }
        let max = self.settings.limits.max_body_bytes;
        let body = webhook::raw_body(req, max)?;
        webhook::signature_present(req, provider)?;
        let secrets = self.webhook_secrets.get().await?;
        let values = secrets.of(provider);
        if values.is_empty() {
            return Err(no_route());
        }
        webhook::verify(req, provider, &body, values)?;
        webhook::decode(req, provider, &body)
    }

    /// The sender waits [`WEBHOOK_ANSWER_WITHIN`]: no call starts later than
    /// one operation timeout before that (so a call that starts also ends in
    /// time), nor later than the invocation's own limit for calls. A scan
    /// that cannot start in time is a 503, which the sender shows and can
    /// redeliver.
    fn webhook_deadline(&self, started: Instant, lambda: Deadline) -> Deadline {
        let margin = self.settings.sdk.operation_timeout;
        let window = started + WEBHOOK_ANSWER_WITHIN;
        // The invocation's last moment for a call, kept with the smaller margin.
        let shift = lambda.margin.saturating_sub(margin);
        let invocation = lambda.at.map(|at| at.checked_sub(shift).unwrap_or(started));
        Deadline {
            at: Some(invocation.map_or(window, |at| at.min(window))),
            margin,
            lane: lambda.lane,
        }
    }
}

/// The code of a delivery turned away because the webhooks' share is full.
const BUSY: &str = "WebhookConcurrencyReached";

/// One of the webhooks' slots, given back when dropped.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(in_flight: &Arc<AtomicUsize>, limit: usize) -> Option<Slot> {
        in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(in_flight.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Not verified (or not served): the code only, nothing the request carried.
fn rejected(request_id: &str, provider: Provider, e: &Error, started: Instant) {
    Record {
        provider: Some(provider.key()),
        ..Record::new(request_id, "webhook", started)
    }
    .error(e)
    .write();
}

/// A delivery's record: who sent it, which event, which delivery.
fn delivered<'a>(request_id: &'a str, delivery: &'a Delivery, started: Instant) -> Record<'a> {
    Record {
        provider: Some(delivery.provider.key()),
        event: Some(delivery.event.as_str()),
        delivery_id: delivery.id.as_deref(),
        ..Record::new(request_id, "webhook", started)
    }
}

fn acknowledged(request_id: &str, delivery: &Delivery, started: Instant) {
    let (outcome, reason) = match &delivery.asks {
        Asks::Ignored(reason) => ("ignored", Some(reason.clone())),
        _ => ("received", None),
    };
    Record {
        outcome: Some(outcome),
        reason,
        ..delivered(request_id, delivery, started)
    }
    .write();
}

fn ran(
    request_id: &str,
    delivery: &Delivery,
    action: &Action,
    result: &Result<Outcome, Error>,
    started: Instant,
) {
    Record {
        action: Some(action.operation().name()),
        resource: Some(action.describe()),
        ..delivered(request_id, delivery, started)
    }
    .result(result)
    .write();
}
