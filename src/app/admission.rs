//! The gate, tied in: every routed request, webhook delivery and work-queue
//! message goes through [`crate::domain::gate::decide`] before anything is
//! called, and the executor runs only what it permits. A refusal is logged
//! here, once, with who asked and through which trigger (never a body,
//! header or credential).

use super::App;
use crate::domain::error::bounded;
use crate::domain::gate::{self, OwnQueue, Through};
use crate::domain::{Action, Error, Permitted};
use crate::ingress::Trigger;
use serde_json::Value;

/// Who asked, for a refusal's log line.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Asker<'a> {
    pub request_id: &'a str,
    pub caller: Option<&'a str>,
    /// The EventBridge event's account, or the queue message's id.
    pub account: Option<&'a str>,
    pub message_id: Option<&'a str>,
}

impl App {
    /// The way `trigger` arrived, as the gate sees it.
    fn through<'t>(trigger: &'t Trigger) -> Through<'t> {
        match trigger {
            Trigger::Http(req) => Through::Http {
                principal: req.who.principal,
                scopes: req.who.jwt_scopes.as_deref(),
                // The route table's scope for this route.
                route_scope: crate::ingress::routes::scope_of(&req.method, &req.path),
                function_url: req.function_url,
            },
            Trigger::EventBridge(_) => Through::EventBridge,
            Trigger::Direct { .. } => Through::Direct,
        }
    }

    /// An HTTP request's identity, before it is routed: a 401 for a caller
    /// without the identity `HTTP_AUTH` requires.
    pub(super) fn authenticate(&self, trigger: &Trigger, request_id: &str) -> Result<(), Error> {
        let Trigger::Http(req) = trigger else {
            return Ok(());
        };
        gate::authenticate(&self.settings.trust.rules(), req.who.principal).inspect_err(|e| {
            let asker = Asker {
                request_id,
                caller: req.who.caller.as_deref(),
                ..Asker::default()
            };
            refused(&asker, Self::through(trigger), None, e);
        })
    }

    /// The gate for a routed trigger.
    pub(super) fn permit(
        &self,
        trigger: &Trigger,
        action: Action,
        request_id: &str,
    ) -> Result<Permitted, Error> {
        let (caller, account) = match trigger {
            Trigger::Http(req) => (req.who.caller.as_deref(), None),
            Trigger::EventBridge(ev) => (Some(ev.source.as_str()), Some(ev.account.as_str())),
            _ => (None, None),
        };
        let asker = Asker {
            request_id,
            caller,
            account,
            message_id: None,
        };
        self.decide(Self::through(trigger), action, &asker)
    }

    /// The gate for `action`, asked through `through` by `asker`.
    pub(super) fn decide(
        &self,
        through: Through,
        action: Action,
        asker: &Asker,
    ) -> Result<Permitted, Error> {
        let op = action.operation().name();
        gate::decide(&self.settings.trust.rules(), through, action)
            .inspect_err(|e| refused(asker, through, Some(op), e))
    }

    /// The gate for a work-queue message. A refused message is not retried:
    /// the caller deletes it (the refusal is logged here).
    pub(super) fn permit_message(
        &self,
        action: Action,
        request_id: &str,
        message_id: &str,
    ) -> Result<Permitted, Error> {
        let asker = Asker {
            request_id,
            message_id: Some(message_id),
            ..Asker::default()
        };
        self.decide(Through::Queue, action, &asker)
    }

    /// An SQS batch is accepted only from one of the function's own queues
    /// (work or watch): `sources` are its records' `eventSourceARN`s.
    pub(super) fn admit_batch(
        &self,
        sources: &[Option<String>],
        request_id: &str,
    ) -> Result<OwnQueue, Error> {
        gate::admit_batch(
            sources.iter().map(Option::as_deref),
            gate::OwnQueues {
                work: self.work_queue_arn.as_deref(),
                watch: self.watch_queue_arn.as_deref(),
                sweep: self.sweep_queue_arn.as_deref(),
            },
        )
        .inspect_err(|e| {
            let asker = Asker {
                request_id,
                ..Asker::default()
            };
            refused(&asker, Through::Queue, None, e);
        })
    }
}

/// The `eventSourceARN` of each record of an SQS-shaped payload; empty for
/// any other payload. Read before the payload is decoded, which drops it.
pub(super) fn batch_sources(payload: &serde_json::Map<String, Value>) -> Vec<Option<String>> {
    payload
        .get("Records")
        .and_then(Value::as_array)
        .map(|records| {
            records
                .iter()
                .map(|r| {
                    r.get("eventSourceARN")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One warning per refusal: the trigger, the caller (HTTP identity, or the
/// event's source and account), the operation and the reason.
fn refused(asker: &Asker, through: Through, action: Option<&str>, e: &Error) {
    let b = |v: Option<&str>| v.map(|v| bounded(v, 256));
    tracing::warn!(
        request_id = asker.request_id,
        trigger = through.name(),
        caller = b(asker.caller),
        event_account = b(asker.account),
        message_id = b(asker.message_id),
        action = action.unwrap_or("none"),
        outcome = "refused",
        error_code = e.code(),
        error = %bounded(&e.to_string(), 1024),
        "gate"
    );
}
