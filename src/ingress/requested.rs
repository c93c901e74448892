//! How a scan was asked for, as its results event tells it (`requested`):
//! the trigger and, where the trigger says, the caller, the repository,
//! commit and ref of a push, the event id and the caller's idempotency key.
//! Every value escaped and bounded.

use super::Trigger;
use super::actions::IDEMPOTENCY_KEY;
use super::push::{self, Push};
use crate::domain::completion::Requested;
use serde_json::Value;

pub fn requested(trigger: &Trigger) -> Requested {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let r = match trigger {
        Trigger::Http(req) => Requested {
            trigger: "http".to_string(),
            caller: req.who.caller.clone(),
            idempotency_key: req.header("idempotency-key").map(str::to_string),
            ..Requested::default()
        },
        Trigger::EventBridge(ev) => {
            let mut r = Requested {
                trigger: "command".to_string(),
                caller: Some(ev.source.clone()),
                event_id: Some(ev.id.clone()).filter(|id| !id.is_empty()),
                ..Requested::default()
            };
            if ev.source == "aws.events" && ev.detail_type == "Scheduled Event" {
                r.trigger = "schedule".to_string();
            } else if push::is_push(&ev.detail_type, &ev.detail) {
                r.trigger = "push".to_string();
                if let Ok(Push::Scan {
                    repository,
                    git_ref,
                    after,
                    ..
                }) = push::decide(&ev.detail)
                {
                    r.repository = Some(repository);
                    r.git_ref = Some(git_ref);
                    r.commit = Some(after).filter(|a| !a.is_empty());
                }
                r.report = push::target(&ev.detail);
            } else {
                r.idempotency_key = text(ev.detail.get(IDEMPOTENCY_KEY));
            }
            r
        }
        Trigger::Direct { fields, .. } => Requested {
            trigger: "direct".to_string(),
            idempotency_key: text(fields.get(IDEMPOTENCY_KEY)),
            ..Requested::default()
        },
    };
    r.bounded()
}
