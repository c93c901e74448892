//! EventBridge events: custom command events (`detail-type` names the
//! operation), repository pushes, and plain schedules.

use super::actions::{Origin, Request, action_for};
use super::push::{self, Push};
use super::wire::{type_name, unsupported};
use crate::config::{Limits, Trust};
use crate::domain::error::{MAX_SHOWN, bounded};
use crate::domain::keys::derive_run_name;
use crate::domain::{Action, Error, FieldError, Operation};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct EventBridgeEvent {
    pub id: String,
    pub source: String,
    /// The account the event came from, as EventBridge sets it.
    pub account: String,
    pub detail_type: String,
    pub time: Option<String>,
    pub detail: Value,
}

/// Operations an EventBridge custom event may name in `detail-type`.
pub fn event_operations() -> impl Iterator<Item = Operation> {
    Operation::ALL.into_iter().filter(|op| op.on_the_bus())
}

pub fn decode(mut map: Map<String, Value>) -> Result<EventBridgeEvent, Error> {
    let mut text = |key: &str| -> Result<Option<String>, Error> {
        match map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(unsupported(&format!(
                "EventBridge field `{key}` is a JSON {}",
                type_name(&other)
            ))),
        }
    };
    let detail_type = text("detail-type")?.unwrap_or_default();
    let source = text("source")?.unwrap_or_default();
    let id = text("id")?.unwrap_or_default();
    let account = text("account")?.unwrap_or_default();
    let time = text("time")?;
    let detail = map.remove("detail").unwrap_or(Value::Null);
    if detail_type.is_empty() {
        return Err(unsupported("EventBridge event with an empty detail-type"));
    }
    Ok(EventBridgeEvent {
        id,
        source,
        account,
        detail_type,
        time,
        detail,
    })
}

/// Nothing is done for an event from an account or source not trusted:
/// EventBridge does not authenticate `source`, so it is checked here as well
/// as in the rule.
fn untrusted(ev: &EventBridgeEvent, why: &str) -> Error {
    Error::UntrustedEvent {
        message: format!(
            "EventBridge event {} from account {} with source {}: {why}",
            bounded(&ev.id, MAX_SHOWN),
            bounded(&ev.account, MAX_SHOWN),
            bounded(&ev.source, MAX_SHOWN)
        ),
    }
}

pub fn route(
    ev: &EventBridgeEvent,
    cfg: &Limits,
    trust: &Trust,
    own_account: Option<&str>,
) -> Result<Action, Error> {
    if !trust.trusts_account(&ev.account, own_account) {
        return Err(untrusted(
            ev,
            "the account is not trusted (TRUSTED_ACCOUNTS, default the function's own)",
        ));
    }
    // Event ids are unique per event and kept across redeliveries of that
    // event (not across a new event for the same work: send idempotencyKey).
    let has_id = !ev.id.is_empty();
    let origin = Origin {
        token_base: Some(ev.id.clone()).filter(|_| has_id),
        run_name_base: has_id
            .then(|| format!("{}-{}", ev.time.as_deref().unwrap_or_default(), ev.id)),
        scope: format!("event:{}:{}", ev.account, ev.source),
        scoped_tokens: false,
    };
    if ev.source == "aws.events" && ev.detail_type == "Scheduled Event" {
        return scheduled_runs(cfg, &origin);
    }
    if push::is_push(&ev.detail_type, &ev.detail) {
        if !trust.push_sources.contains(&ev.source) {
            return Err(untrusted(ev, "the source is not one of PUSH_SOURCES"));
        }
        return match push::decide(&ev.detail)? {
            Push::Skip(skip) => Ok(Action::Skip(skip)),
            Push::Scan {
                provider,
                repository,
                after,
                ..
            } => {
                // Every delivery of one push has the same commit: one scan.
                Ok(Action::push_scan(
                    provider,
                    repository,
                    &after,
                    origin.token_base.as_deref(),
                ))
            }
        };
    }
    let op = Operation::from_name(&ev.detail_type)
        .filter(|op| op.on_the_bus())
        .ok_or_else(|| Error::UnsupportedEvent {
            message: format!(
                "unsupported EventBridge event: detail-type \"{}\" from source \"{}\"; expected detail-type one of {}",
                bounded(&ev.detail_type, MAX_SHOWN),
                bounded(&ev.source, MAX_SHOWN),
                event_operations().map(Operation::name).collect::<Vec<_>>().join(", ")
            ),
        })?;
    if !trust.command_sources.contains(&ev.source) {
        return Err(untrusted(ev, "the source is not one of COMMAND_SOURCES"));
    }
    if !ev.detail.is_object() {
        return Err(Error::invalid_field("detail", "must be a JSON object"));
    }
    Request::decode(op, &ev.detail)
        .and_then(|request| action_for(request, cfg.max_batch_items, &origin))
        .map_err(|e| prefix_fields(e, "detail"))
}

/// A plain schedule rule (no Input): one run per configured template.
fn scheduled_runs(cfg: &Limits, origin: &Origin) -> Result<Action, Error> {
    let name = origin.run_name_base.as_deref().map(derive_run_name);
    Action::scheduled(&cfg.assessment_template_arns, name)
}

/// Field paths inside `detail` are reported as `detail.<path>`.
fn prefix_fields(e: Error, prefix: &str) -> Error {
    match e {
        Error::InvalidRequest { fields, .. } => Error::invalid(
            fields
                .into_iter()
                .map(|f| {
                    let field = if f.field.is_empty() {
                        prefix.to_string()
                    } else {
                        format!("{prefix}.{}", f.field)
                    };
                    FieldError { field, ..f }
                })
                .collect(),
        ),
        other => other,
    }
}
